// One simulated host's SSH daemon (dom0's sshd as far as poolform needs it): an ssh2 Server on
// 127.0.0.1 offering only the host version's algorithm lists (crypto-policy.ts), password logins
// for root, and `exec` requests answered by the model's shell (date +%s.%N, xe ..., ping). No
// interactive shells, no forwarding. Host keys are ed25519 and ecdsa-nistp256, as a host has both.

import ssh2 from 'ssh2'; // CommonJS: named imports do not resolve under ESM
import type { Algorithms, Connection } from 'ssh2';
import type { SshHostKeys } from '../../common/ssh-keys.js';
import type { XapiBackend } from './backend.js';
import { SSH_ALGORITHMS_XS8, type SshAlgorithms } from '../crypto-policy.js';
import { closeServer, listenOn } from '../../common/listen.js';

// Host keys and known_hosts lines live in providers/common/ssh-keys.ts (the Proxmox lab uses them
// too); re-exported under the names this simulator's callers know.
export { generateSshHostKeys, knownHostsLines, loadOrCreateSshHostKeys, publicKeyEntry, privateKeyFingerprint as sshFingerprint, type SshHostKeys } from '../../common/ssh-keys.js';

const { Server } = ssh2;

export interface SshAgentOptions {
  /** Host keys (OpenSSH private keys). */
  hostKeys: SshHostKeys;
  /** Whether `user`/`password` may log in (root with the host's root password). */
  checkPassword(user: string, password: string): boolean;
  /** False while the host is down: connections are dropped. Default: always answering. */
  answering?: () => boolean;
  /** Default SSH_ALGORITHMS_XS8. */
  algorithms?: SshAlgorithms;
  /** 0 (default) for any free port. */
  port?: number;
  host?: string;
}

/** The SSH endpoint of one simulated host. Like the HTTPS server, it listens first and is bound later. */
export class SshAgent {
  private readonly server: InstanceType<typeof Server>;
  private backend?: XapiBackend;
  private hostUuid?: string;
  private readonly conns = new Set<Connection>();
  private boundPort = 0;

  constructor(private readonly opts: SshAgentOptions) {
    const algos = opts.algorithms ?? SSH_ALGORITHMS_XS8;
    this.server = new Server(
      {
        hostKeys: [opts.hostKeys.ed25519, opts.hostKeys.ecdsa],
        // The policy's host-key list also names types this host has no key for; ssh2 offers the keys it has.
        algorithms: { kex: algos.kex, cipher: algos.cipher, hmac: algos.hmac, serverHostKey: algos.serverHostKey, compress: algos.compress } as Algorithms,
        ident: 'OpenSSH_8.0',
      },
      (client) => this.onConnection(client),
    );
    this.server.on('error', () => {});
  }

  bind(backend: XapiBackend, hostUuid: string): void {
    this.backend = backend;
    this.hostUuid = hostUuid;
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<number> {
    this.boundPort = await listenOn(this.server, this.opts.port, this.opts.host);
    return this.boundPort;
  }

  stop(): Promise<void> {
    return closeServer(this.server, () => {
      for (const c of this.conns) c.end();
    });
  }

  private onConnection(client: Connection): void {
    if (!this.backend || !(this.opts.answering?.() ?? true)) {
      client.end();
      return;
    }
    // The server-side connection has setNoDelay at runtime; @types/ssh2 declares it on Client only.
    (client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true);
    this.conns.add(client);
    client.on('close', () => this.conns.delete(client));
    client.on('error', () => {}); // handshake refusals (algorithms outside the policy) end here
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && this.opts.checkPassword(ctx.username, ctx.password)) ctx.accept();
      else ctx.reject(['password']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('env', (accept) => accept?.());
        session.on('pty', (_accept, reject) => reject?.());
        session.on('shell', (_accept, reject) => reject());
        session.on('subsystem', (_accept, reject) => reject());
        session.on('exec', (accept, _reject, info) => {
          const stream = accept();
          const backend = this.backend;
          const hostUuid = this.hostUuid;
          if (!backend || !hostUuid) {
            stream.stderr.write('host not ready\n');
            stream.exit(255);
            stream.end();
            return;
          }
          backend.shell(hostUuid, info.command).then(
            (r) => {
              if (r.stdout) stream.write(r.stdout);
              if (r.stderr) stream.stderr.write(r.stderr);
              stream.exit(r.code);
              stream.end();
            },
            (e: unknown) => {
              stream.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
              stream.exit(1);
              stream.end();
            },
          );
        });
      });
      client.on('request', (_accept, reject) => reject?.()); // no port forwarding
      client.on('tcpip', (_accept, reject) => reject());
    });
  }
}
