// One simulated Proxmox node's SSH daemon (sshd as far as pvecm and the probes need it): an ssh2
// Server on 127.0.0.1, root logins by password or by an authorised public key (the lab's client
// key), and `exec` requests answered by the model's shell (pvecm, date, ping, pvesm scan, cat, cp,
// ifreload). No interactive shells, no forwarding. Host keys come from providers/common/ssh-keys.ts.
// It answers while the node is powered on even when its API does not: a node whose management
// address was lost is repaired over this path (the lab's stand-in for the console).

import ssh2 from 'ssh2'; // CommonJS: named imports do not resolve under ESM
import type { Connection } from 'ssh2';
import { timingSafeEqual } from 'node:crypto';
import type { PveBackend } from './backend.js';
import type { SshHostKeys } from '../../common/ssh-keys.js';
import { closeServer, listenOn } from '../../common/listen.js';

const { Server, utils } = ssh2;

export interface PveSshAgentOptions {
  hostKeys: SshHostKeys;
  /** Whether `user`/`password` may log in (root with the node's root password). */
  checkPassword(user: string, password: string): boolean;
  /** Public keys ("ssh-ed25519 AAAA... comment", authorized_keys lines) that may log in as root. */
  authorizedKeys?: () => string[];
  /** False while the node is off: connections are dropped. Default: always answering. */
  answering?: () => boolean;
  /** 0 (default) for any free port. */
  port?: number;
  host?: string;
}

/** The blob of each authorized_keys line that parses. */
function keyBlobs(lines: string[]): { blob: Buffer; key: ReturnType<typeof parseOne> }[] {
  const out: { blob: Buffer; key: ReturnType<typeof parseOne> }[] = [];
  for (const line of lines) {
    const key = parseOne(line);
    if (key) out.push({ blob: key.getPublicSSH() as Buffer, key });
  }
  return out;
}

function parseOne(line: string) {
  const k = utils.parseKey(line.trim());
  if (k instanceof Error) return undefined;
  return Array.isArray(k) ? k[0] : k;
}

/** The SSH endpoint of one simulated node; like the HTTPS server it listens first and is bound later. */
export class PveSshAgent {
  private readonly server: InstanceType<typeof Server>;
  private backend?: PveBackend;
  private nodeName?: string;
  private readonly conns = new Set<Connection>();
  private boundPort = 0;

  constructor(private readonly opts: PveSshAgentOptions) {
    // Debian 13's OpenSSH offers ed25519, ecdsa and rsa host keys; ed25519 and ecdsa suffice here.
    this.server = new Server({ hostKeys: [opts.hostKeys.ed25519, opts.hostKeys.ecdsa], ident: 'OpenSSH_10.0p2 Debian-7' }, (client) => this.onConnection(client));
    this.server.on('error', () => {});
  }

  bind(backend: PveBackend, node: string): void {
    this.backend = backend;
    this.nodeName = node;
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

  /** Ends open sessions when the node stopped answering (powered off meanwhile). */
  dropIfOff(): void {
    if (this.opts.answering?.() ?? true) return;
    for (const c of this.conns) c.end();
  }

  private onConnection(client: Connection): void {
    if (!this.backend || !(this.opts.answering?.() ?? true)) {
      client.end();
      return;
    }
    (client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true);
    this.conns.add(client);
    client.on('close', () => this.conns.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password') {
        if (this.opts.checkPassword(ctx.username, ctx.password)) return ctx.accept();
        return ctx.reject(['publickey', 'password']);
      }
      if (ctx.method === 'publickey' && ctx.username === 'root') {
        const known = keyBlobs(this.opts.authorizedKeys?.() ?? []).find((k) => k.blob.length === ctx.key.data.length && timingSafeEqual(k.blob, ctx.key.data));
        if (known) {
          // Without a signature the client only asks whether the key would do; with one it proves it holds the key.
          if (!ctx.signature) return ctx.accept();
          if (ctx.blob && known.key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
        }
      }
      ctx.reject(['publickey', 'password']);
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
          const node = this.nodeName;
          if (!backend || !node) {
            stream.stderr.write('node not ready\n');
            stream.exit(255);
            stream.end();
            return;
          }
          backend.shell(node, info.command).then(
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
      client.on('request', (_accept, reject) => reject?.());
      client.on('tcpip', (_accept, reject) => reject());
    });
  }
}
