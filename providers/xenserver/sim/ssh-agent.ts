// One simulated host's SSH daemon (dom0's sshd as far as poolform needs it): an ssh2 Server on
// 127.0.0.1 offering only the host version's algorithm lists (crypto-policy.ts), password logins
// for root, and `exec` requests answered by the model's shell (date +%s.%N, xe ..., ping). No
// interactive shells, no forwarding. Host keys are ed25519 and ecdsa-nistp256, as a host has both.

import ssh2 from 'ssh2'; // CommonJS: named imports do not resolve under ESM
import type { Algorithms, Connection } from 'ssh2';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { XapiBackend } from './backend.js';
import { SSH_ALGORITHMS_XS8, type SshAlgorithms } from '../crypto-policy.js';
import { closeServer, listenOn } from './listen.js';

/** A host's SSH host keys, private, in OpenSSH format. */
export interface SshHostKeys {
  ed25519: string;
  ecdsa: string;
}

const { Server, utils } = ssh2;

/**
 * Whether ssh2 can read a private key back. ssh2 1.17's keygen strips leading zero bytes of an
 * ed25519 public key, so about 1 key in 256 comes out malformed (mscdex/ssh2#1390) and fails here.
 */
function readable(privateKey: string): boolean {
  return !(utils.parseKey(privateKey) instanceof Error);
}

/** A new key pair's private key, drawn again until ssh2 can read it back. */
function generateKey(type: 'ed25519' | 'ecdsa', comment: string): string {
  for (;;) {
    const key = (type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256, comment }) : utils.generateKeyPairSync('ed25519', { comment })).private;
    if (readable(key)) return key;
  }
}

export function generateSshHostKeys(comment = 'root@xenserver'): SshHostKeys {
  return { ed25519: generateKey('ed25519', comment), ecdsa: generateKey('ecdsa', comment) };
}

/**
 * The keys kept as `<dir>/<name>.ssh_host_{ed25519,ecdsa}_key`, each generated and written when
 * missing, or when ssh2 cannot read it (one written malformed before the check above existed).
 */
export function loadOrCreateSshHostKeys(dir: string, name: string): SshHostKeys {
  const load = (type: 'ed25519' | 'ecdsa'): string => {
    const file = path.join(dir, `${name}.ssh_host_${type}_key`);
    const kept = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (kept !== undefined && readable(kept)) return kept;
    const key = generateKey(type, `root@${name}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, key, { mode: 0o600 });
    return key;
  };
  return { ed25519: load('ed25519'), ecdsa: load('ecdsa') };
}

function parsed(privateKey: string) {
  const k = utils.parseKey(privateKey);
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? k[0] : k;
}

/** "ssh-ed25519 AAAA..." for a known_hosts line. */
export function publicKeyEntry(privateKey: string): string {
  const k = parsed(privateKey);
  return `${k.type} ${k.getPublicSSH().toString('base64')}`;
}

/** OpenSSH's fingerprint form: "SHA256:<base64 without padding>". */
export function sshFingerprint(privateKey: string): string {
  const blob = parsed(privateKey).getPublicSSH();
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** known_hosts lines for one host reached at 127.0.0.1:port (OpenSSH writes "[host]:port" for non-22 ports). */
export function knownHostsLines(host: string, port: number, keys: SshHostKeys): string[] {
  const who = port === 22 ? host : `[${host}]:${port}`;
  return [publicKeyEntry(keys.ed25519), publicKeyEntry(keys.ecdsa)].map((e) => `${who} ${e}`);
}

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
