// A simulated host's SSH daemon, as far as poolform needs one: an ssh2 Server on loopback that
// accepts root by password (and, when given authorised keys, by public key) and answers `exec`
// requests through a command runner (the model's shell). No interactive shells, no forwarding.
// Both simulators' sshd (XenServer dom0, Proxmox node) are this with their own ident, algorithms
// and runner; while the host is off, connections are dropped.

import ssh2 from 'ssh2'; // CommonJS: named imports do not resolve under ESM
import type { Algorithms, Connection } from 'ssh2';
import type { Server as NetServer } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { SshHostKeys } from './ssh-keys.js';
import { TrackedListener } from './listen.js';

const { Server, utils } = ssh2;

/** What a command run over SSH printed and exited with. */
export interface ShellResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface SshExecServerOptions {
  /** Host keys (OpenSSH private keys): ed25519 and ecdsa, as a host has both. */
  hostKeys: SshHostKeys;
  /** The version string sent in the banner ("OpenSSH_8.0"). */
  ident: string;
  /** Algorithm lists to offer; default ssh2's. */
  algorithms?: Algorithms;
  /** Whether `user`/`password` may log in. */
  checkPassword(user: string, password: string): boolean;
  /** Public keys (authorized_keys lines) that may log in as root; absent: passwords only. */
  authorizedKeys?: () => string[];
  /** False while the host is off: connections are dropped. Default: always answering. */
  answering?: () => boolean;
  /** 0 (default) for any free port. */
  port?: number;
  host?: string;
}

type Runner = (command: string) => Promise<ShellResult>;
type ParsedKey = Exclude<ReturnType<typeof utils.parseKey>, Error | unknown[]>;

function parseOne(line: string): ParsedKey | undefined {
  const k = utils.parseKey(line.trim());
  if (k instanceof Error) return undefined;
  return (Array.isArray(k) ? k[0] : k) as ParsedKey | undefined;
}

/** The SSH endpoint of one simulated host; it listens first, and `serve()` attaches its shell later. */
export class SshExecServer {
  private readonly server: InstanceType<typeof Server>;
  private readonly listener: TrackedListener<Connection>;
  private run?: Runner;

  constructor(private readonly opts: SshExecServerOptions) {
    this.server = new Server({ hostKeys: [opts.hostKeys.ed25519, opts.hostKeys.ecdsa], ident: opts.ident, ...(opts.algorithms ? { algorithms: opts.algorithms } : {}) }, (client) => this.onConnection(client));
    this.server.on('error', () => {});
    // ssh2's Server wraps a net.Server and has its listen/close/address.
    this.listener = new TrackedListener<Connection>(this.server as unknown as NetServer, (c) => c.end(), { port: opts.port, host: opts.host });
  }

  /** Attaches the shell that answers exec requests; until then connections are dropped. */
  serve(run: Runner): void {
    this.run = run;
  }

  get port(): number {
    return this.listener.port;
  }

  start(): Promise<number> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  /** Ends open sessions when the host stopped answering (powered off meanwhile). */
  dropIfOff(): void {
    if (!this.answering()) this.listener.dropAll();
  }

  private answering(): boolean {
    return this.opts.answering?.() ?? true;
  }

  private authorised(blob: Buffer): ParsedKey | undefined {
    for (const line of this.opts.authorizedKeys?.() ?? []) {
      const key = parseOne(line);
      const known = key?.getPublicSSH() as Buffer | undefined;
      if (key && known && known.length === blob.length && timingSafeEqual(known, blob)) return key;
    }
    return undefined;
  }

  private onConnection(client: Connection): void {
    const run = this.run;
    if (!run || !this.answering()) {
      client.end();
      return;
    }
    // The server-side connection has setNoDelay at runtime; @types/ssh2 declares it on Client only.
    (client as Connection & { setNoDelay(on: boolean): void }).setNoDelay(true);
    this.listener.track(client);
    client.on('error', () => {}); // handshake refusals (algorithms outside a policy) end here
    const methods: ('publickey' | 'password')[] = this.opts.authorizedKeys ? ['publickey', 'password'] : ['password'];
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password') {
        if (this.opts.checkPassword(ctx.username, ctx.password)) return ctx.accept();
        return ctx.reject(methods);
      }
      if (ctx.method === 'publickey' && ctx.username === 'root') {
        const known = this.authorised(ctx.key.data);
        if (known) {
          // Without a signature the client only asks whether the key would do; with one it proves it holds the key.
          if (!ctx.signature) return ctx.accept();
          if (ctx.blob && known.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
        }
      }
      ctx.reject(methods);
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
          const finish = (stdout: string, stderr: string, code: number) => {
            if (stdout) stream.write(stdout);
            if (stderr) stream.stderr.write(stderr);
            stream.exit(code);
            stream.end();
          };
          run(info.command).then(
            (r) => finish(r.stdout, r.stderr, r.code),
            (e: unknown) => finish('', `${e instanceof Error ? e.message : String(e)}\n`, 1),
          );
        });
      });
      client.on('request', (_accept, reject) => reject?.()); // no port forwarding
      client.on('tcpip', (_accept, reject) => reject());
    });
  }
}
