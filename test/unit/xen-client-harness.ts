// Test servers for the XenServer client tests, on real loopback sockets: a small XAPI-shaped
// JSON-RPC server over HTTPS (self-signed or CA-signed certificate from `selfsigned`, XenServer's
// TLS policy) with sessions and tasks, and an SSH server (ssh2) with a generated host key. They
// exist so the client can be tested before and independently of the simulator's own wire. Also
// the checks both client test files make: errors of a given class whose messages are collected
// (none may carry a secret), and an abort while the server never answers.

import { after } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import * as net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import ssh2 from 'ssh2';
import type { SshTarget } from '../../providers/common/ssh.js';
import { TLS_CIPHERS, TLS_MAX_VERSION, TLS_MIN_VERSION, type SshAlgorithms } from '../../providers/xenserver/crypto-policy.js';

export interface Pem {
  key: string;
  cert: string;
}

let selfSignedOnce: Promise<Pem> | undefined;
let caOnce: Promise<{ ca: Pem; leaf: Pem; otherName: Pem }> | undefined;

const SAN = {
  name: 'subjectAltName' as const,
  altNames: [
    { type: 2 as const, value: 'localhost' },
    { type: 7 as const, ip: '127.0.0.1' },
  ],
};

/** A self-signed RSA certificate for 127.0.0.1/localhost (RSA: XenServer's suites are ECDHE-RSA). */
export function selfSignedCert(): Promise<Pem> {
  selfSignedOnce ??= generate([{ name: 'commonName', value: 'xs-test' }], { keySize: 2048, algorithm: 'sha256', extensions: [SAN] }).then((r) => ({
    key: r.private,
    cert: r.cert,
  }));
  return selfSignedOnce;
}

/** A CA and two leaf certificates it signed: one for 127.0.0.1/localhost, one for another name only. */
export function caSignedCert(): Promise<{ ca: Pem; leaf: Pem; otherName: Pem }> {
  caOnce ??= (async () => {
    const ca = await generate([{ name: 'commonName', value: 'poolform test CA' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true }],
    });
    const leaf = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'basicConstraints', cA: false }, SAN],
      ca: { key: ca.private, cert: ca.cert },
    });
    const other = await generate([{ name: 'commonName', value: 'xs9.example' }], {
      algorithm: 'sha256',
      keyPair: { privateKey: leaf.private, publicKey: leaf.public },
      extensions: [{ name: 'basicConstraints', cA: false }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'xs9.example' }] }],
      ca: { key: ca.private, cert: ca.cert },
    });
    return {
      ca: { key: ca.private, cert: ca.cert },
      leaf: { key: leaf.private, cert: leaf.cert },
      otherName: { key: other.private, cert: other.cert },
    };
  })();
  return caOnce;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'poolform-xen-client-'));
}

export function writeTemp(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** An XAPI failure a handler throws: answered as a JSON-RPC error {code 1, message CODE, data params}. */
export class Fail extends Error {
  constructor(
    readonly code: string,
    readonly params: string[] = [],
  ) {
    super(code);
  }
}

export interface TaskScript {
  /** Polls of task.get_record answered "pending" before the task ends. */
  polls?: number;
  /** The task's result XML on success. */
  result?: string;
  /** error_info on failure. */
  error?: string[];
}

export interface SeenCall {
  method: string;
  params: unknown[];
  headers: IncomingHttpHeaders;
}

type Handler = (params: unknown[], server: FakeXapi) => unknown;

/**
 * An XAPI-shaped JSON-RPC 2.0 server: session.login_with_password (or HOST_IS_SLAVE when
 * `coordinator` is set), session checks (SESSION_INVALID), `methods` for sync calls, `tasks` for
 * Async.* calls (task.get_record / task.cancel / task.destroy), and a record of every call.
 */
export class FakeXapi {
  readonly calls: SeenCall[] = [];
  readonly sessions = new Set<string>();
  readonly tasks = new Map<string, { status: string; result: string; error_info: string[]; polls: number; script: TaskScript }>();
  methods: Record<string, Handler> = {};
  asyncMethods: Record<string, (params: unknown[]) => TaskScript> = {};
  user = 'root';
  password = 'poolform-lab';
  /** When set, logins answer HOST_IS_SLAVE with this address. */
  coordinator: string | undefined;
  /** HTTP requests that reached the server at all. */
  httpRequests = 0;
  private n = 0;
  private server!: https.Server;
  port = 0;

  constructor(private readonly pem: Pem) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  logins(): number {
    return this.calls.filter((c) => c.method === 'session.login_with_password').length;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  expireSessions(): void {
    this.sessions.clear();
  }

  async start(tlsOverrides: https.ServerOptions = {}): Promise<this> {
    this.server = https.createServer(
      { key: this.pem.key, cert: this.pem.cert, minVersion: TLS_MIN_VERSION, maxVersion: TLS_MAX_VERSION, ciphers: TLS_CIPHERS, ...tlsOverrides },
      (req, res) => {
        this.httpRequests++;
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.method !== 'POST' || req.url !== '/jsonrpc') {
            res.writeHead(404).end('<html><body>not found</body></html>');
            return;
          }
          const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { method: string; params: unknown[]; id: unknown };
          this.calls.push({ method: msg.method, params: msg.params, headers: req.headers });
          const answer = (body: object): void => {
            const text = JSON.stringify({ jsonrpc: '2.0', ...body, id: msg.id });
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
          };
          Promise.resolve()
            .then(() => this.dispatch(msg.method, msg.params))
            .then(
              (result) => answer({ result: result === undefined ? '' : result }),
              (e: unknown) => {
                if (e instanceof Fail) answer({ error: { code: 1, message: e.code, data: e.params } });
                else answer({ error: { code: 1, message: 'INTERNAL_ERROR', data: [String(e)] } });
              },
            );
        });
      },
    );
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  private dispatch(method: string, params: unknown[]): unknown {
    if (method === 'session.login_with_password') {
      if (this.coordinator) throw new Fail('HOST_IS_SLAVE', [this.coordinator]);
      if (params[0] !== this.user || params[1] !== this.password) {
        throw new Fail('SESSION_AUTHENTICATION_FAILED', [String(params[0]), 'Authentication failure']);
      }
      const ref = `OpaqueRef:session-${this.port}-${++this.n}`;
      this.sessions.add(ref);
      return ref;
    }
    const [session, ...args] = params;
    if (!this.sessions.has(String(session))) throw new Fail('SESSION_INVALID', [String(session)]);
    if (method === 'session.logout') {
      this.sessions.delete(String(session));
      return '';
    }
    if (method.startsWith('Async.')) {
      const script = this.asyncMethods[method.slice('Async.'.length)];
      if (!script) throw new Fail('MESSAGE_METHOD_UNKNOWN', [method]);
      const ref = `OpaqueRef:task-${++this.n}`;
      this.tasks.set(ref, { status: 'pending', result: '', error_info: [], polls: 0, script: script(args) });
      return ref;
    }
    if (method === 'task.get_record') {
      const t = this.tasks.get(String(args[0]));
      if (!t) throw new Fail('HANDLE_INVALID', ['task', String(args[0])]);
      if (t.status === 'pending') {
        if (t.polls >= (t.script.polls ?? 0)) {
          if (t.script.error) {
            t.status = 'failure';
            t.error_info = t.script.error;
          } else {
            t.status = 'success';
            t.result = t.script.result ?? '';
          }
        }
        t.polls++;
      }
      return { uuid: 'x', status: t.status, result: t.result, error_info: t.error_info, progress: t.status === 'pending' ? 0.5 : 1 };
    }
    if (method === 'task.cancel') {
      const t = this.tasks.get(String(args[0]));
      if (!t) throw new Fail('HANDLE_INVALID', ['task', String(args[0])]);
      if (t.status === 'pending') {
        t.status = 'cancelled';
        t.error_info = ['TASK_CANCELLED', String(args[0])];
      }
      return '';
    }
    if (method === 'task.destroy') {
      this.tasks.delete(String(args[0]));
      return '';
    }
    const h = this.methods[method];
    if (!h) throw new Fail('MESSAGE_METHOD_UNKNOWN', [method]);
    return h(args, this);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export async function startFakeXapi(pem?: Pem, tlsOverrides?: https.ServerOptions): Promise<FakeXapi> {
  return new FakeXapi(pem ?? (await selfSignedCert())).start(tlsOverrides);
}

/** A TCP server that accepts connections and never says a word (for timeouts). */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const socks = new Set<net.Socket>();
  const server = net.createServer((s) => {
    socks.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port on loopback where nothing listens. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

export interface SshTestServer {
  port: number;
  /** The host keys' public lines ("ssh-ed25519 AAAA..."), by type as asked. */
  publicKeys: Record<string, string>;
  /** Authentication attempts seen (a refused host key must leave this at 0). */
  authAttempts: number;
  commands: string[];
  /** What the last handshake negotiated (kex, cipher, mac, server host key). */
  negotiated: { kex?: string; serverHostKey?: string; cs?: { cipher?: string; mac?: string } } | undefined;
  close(): Promise<void>;
}

/**
 * An SSH server (ssh2) with fresh host keys, password auth for root/`password`, and `run` as the
 * shell: it answers exec requests with stdout, stderr and an exit code.
 */
export async function startSshServer(opts: {
  algorithms?: SshAlgorithms;
  keyTypes?: ('ed25519' | 'ecdsa')[];
  password?: string;
  run?: (command: string) => { stdout?: string; stderr?: string; code: number };
}): Promise<SshTestServer> {
  const types = opts.keyTypes ?? ['ed25519'];
  const keys = types.map((t) => (t === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }) : ssh2.utils.generateKeyPairSync('ed25519')));
  const password = opts.password ?? 'ssh-secret';
  type Run = (command: string) => { stdout?: string; stderr?: string; code: number };
  const run: Run = opts.run ?? ((command) => ({ stdout: `ran ${command}\n`, code: 0 }));
  const conns = new Set<ssh2.Connection>();
  const state: SshTestServer = {
    port: 0,
    publicKeys: Object.fromEntries(types.map((t, i) => [t, keys[i].public.trim()])),
    authAttempts: 0,
    commands: [],
    negotiated: undefined,
    close: async () => undefined,
  };
  const server = new ssh2.Server(
    { hostKeys: keys.map((k) => k.private), algorithms: opts.algorithms as ssh2.Algorithms | undefined },
    (client) => {
      conns.add(client);
      client.on('error', () => undefined);
      client.on('close', () => conns.delete(client));
      client.on('handshake', (n) => {
        state.negotiated = n as SshTestServer['negotiated'];
      });
      client.on('authentication', (ctx) => {
        state.authAttempts++;
        if (ctx.method === 'password' && ctx.username === 'root' && ctx.password === password) ctx.accept();
        else ctx.reject(['password']);
      });
      client.on('ready', () => {
        client.on('session', (accept) => {
          const session = accept();
          session.on('exec', (acceptExec, _reject, info) => {
            const stream = acceptExec();
            state.commands.push(info.command);
            const r = run(info.command);
            if (r.stdout) stream.write(r.stdout);
            if (r.stderr) stream.stderr.write(r.stderr);
            stream.exit(r.code);
            stream.end();
          });
        });
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  state.close = () =>
    new Promise<void>((r) => {
      for (const c of conns) c.end();
      server.close(() => r());
    });
  return state;
}

/**
 * Endpoints of `server` for root with `password` and a 5 s timeout, each with a known_hosts file of
 * its own (in `dir`) holding `knownHosts`; `fixed` adds the platform's fields, `extra` overrides any.
 */
export function knownHostsEndpoints<E extends SshTarget>(
  server: SshTestServer,
  password: string,
  fixed: Omit<E, keyof SshTarget>,
): { dir: string; ep: (knownHosts: string, extra?: Partial<E>) => E } {
  const dir = tempDir();
  let n = 0;
  const ep = (knownHosts: string, extra: Partial<E> = {}): E =>
    ({
      ...fixed,
      host: '127.0.0.1',
      port: server.port,
      username: 'root',
      password,
      knownHostsFile: writeTemp(dir, `known_hosts.${++n}`, knownHosts),
      timeoutMs: 5000,
      ...extra,
    }) as E;
  return { dir, ep };
}

/** Runs `f` with the port of a silent server (startSilentServer), closed afterwards. */
export async function withSilentServer<T>(f: (port: number) => Promise<T>): Promise<T> {
  const silent = await startSilentServer();
  try {
    return await f(silent.port);
  } finally {
    await silent.close();
  }
}

/** `connect` to a silent server, aborted shortly after it starts, must reject with an AbortError. */
export function assertAbortWhileSilent(connect: (port: number, signal: AbortSignal) => Promise<unknown>): Promise<void> {
  return withSilentServer(async (port) => {
    const ac = new AbortController();
    const p = connect(port, ac.signal);
    setTimeout(() => ac.abort(), 30);
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
  });
}

/**
 * Every error message a test file saw. checkAfterAll() registers the file's final check: none
 * may contain a secret (SHOW_MESSAGES=1 prints them all, to read the wording).
 */
export class SeenMessages {
  readonly list: string[] = [];

  /** Awaits `p`, which must reject with a `type`; records the message and returns the error. */
  async rejectsWith<E extends Error>(p: Promise<unknown>, type: new (...a: never[]) => E): Promise<E> {
    try {
      await p;
    } catch (e) {
      if (e instanceof Error) this.list.push(e.message);
      assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
      return e as E;
    }
    assert.fail(`expected a ${type.name}`);
  }

  checkAfterAll(secrets: string[], atLeast = 0): void {
    after(() => {
      if (process.env.SHOW_MESSAGES) console.log(this.list.join('\n'));
      assert.ok(this.list.length >= atLeast, `only ${this.list.length} messages seen`);
      for (const m of this.list) for (const secret of secrets) assert.ok(!m.includes(secret), `secret leaked in: ${m}`);
    });
  }
}
