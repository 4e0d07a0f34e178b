// The XAPI client: JSON-RPC 2.0 over HTTPS (POST <url>/jsonrpc) to a pool coordinator. Logs in,
// follows HOST_IS_SLAVE to the coordinator, re-logs in once when a session expires, retries the
// platform's "not now" codes, runs Async.* tasks to completion (watching each task through
// event.from), and turns every failure into an XapiError or TransportError that names the host
// and says what to do.
// Hand-written on node:https rather than the npm xen-api package: that package is a dev-only
// oracle here, and this client must own TLS pinning, the crypto policy and secret scrubbing.

import { abortable, sleep } from '../../common/abort.js';
import { ConnectionReset, HttpsOrigin, hostPort, socketFailure, type HttpsAnswer, type HttpsRequest } from '../../common/https-request.js';
import { opensslReason } from '../../common/tls.js';
import { TLS_CIPHERS } from '../crypto-policy.js';
import { isTransient, remedyFor } from './remedies.js';
import { trustPolicy, type TrustPolicy } from './tls.js';
import {
  TransportError,
  XapiError,
  type AsyncCallOptions,
  type CallOptions,
  type XapiClient,
  type XapiEndpoint,
} from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;
/** HOST_IS_SLAVE redirects followed at most (a member names the coordinator: one hop is normal). */
const MAX_REDIRECTS = 2;
/** Retries of a transient code, with doubling delays from TRANSIENT_DELAY_MS (≈ 3 s in all). */
const TRANSIENT_RETRIES = 4;
const TRANSIENT_DELAY_MS = 200;
/** How long one event.from waits for a change of the task before it is asked again (seconds). */
const EVENT_WAIT_S = 5;
/** The longest pause between task.get_record polls (only for a host that refuses event.from). */
const POLL_MAX_MS = 1_000;

/** Logs in to the endpoint (following HOST_IS_SLAVE when `followSlave`) and returns the client. */
export async function connectXapi(endpoint: XapiEndpoint, opts: { signal?: AbortSignal; followSlave: boolean }): Promise<XapiClient> {
  const policy = trustPolicy(endpoint);
  const ctx: Context = {
    endpoint,
    policy,
    followSlave: opts.followSlave,
    counter: { n: 0 },
    sessions: new Set(),
  };
  const { wire, session } = await establish(ctx, parseXapiUrl(endpoint.url), opts.signal);
  return new Client(ctx, wire, session);
}

interface Context {
  endpoint: XapiEndpoint;
  policy: TrustPolicy;
  followSlave: boolean;
  counter: { n: number };
  /** Every session ref this client held: scrubbed from messages. */
  sessions: Set<string>;
}

class Client implements XapiClient {
  private renewing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly ctx: Context,
    private wire: Wire,
    private session: string,
  ) {}

  get url(): string {
    return this.wire.url;
  }

  get requests(): number {
    return this.ctx.counter.n;
  }

  async call<T = unknown>(method: string, params: unknown[] = [], opts: CallOptions = {}): Promise<T> {
    let renewed = false;
    let transient = 0;
    for (;;) {
      if (this.closed) throw new TransportError(`the XAPI session with ${this.wire.url} was closed (logout) before ${method}`, this.wire.url, 'protocol');
      const session = this.session;
      const out = await this.wire.post(method, [session, ...params], opts);
      if (out.ok) return out.value as T;
      if (out.code === 'SESSION_INVALID' && !renewed && method !== 'session.logout') {
        renewed = true; // sessions expire (coordinator restart, idle timeout): log in again once
        await this.renew(session, opts.signal);
        continue;
      }
      if (isTransient(out.code) && transient < TRANSIENT_RETRIES) {
        await sleep(TRANSIENT_DELAY_MS * 2 ** transient++, opts.signal);
        continue;
      }
      throw makeXapiError(this.ctx, out, this.wire.url, method, secretsOf(method, params));
    }
  }

  async callAsync(method: string, params: unknown[] = [], opts: AsyncCallOptions = {}): Promise<string> {
    for (let transient = 0; ; transient++) {
      const out = await this.runTask(method, params, opts);
      if (out.ok) return out.value as string;
      // A task that failed with a "not now" code did nothing: start it again, like a sync call.
      if (!isTransient(out.code) || transient >= TRANSIENT_RETRIES) throw makeXapiError(this.ctx, out, this.wire.url, method, secretsOf(method, params));
      await sleep(TRANSIENT_DELAY_MS * 2 ** transient, opts.signal);
    }
  }

  /** Starts `Async.<method>` and waits for the task's end: its decoded result, or its error code. */
  private async runTask(method: string, params: unknown[], opts: AsyncCallOptions): Promise<Outcome> {
    const base = { signal: opts.signal, step: opts.step };
    const task = await this.call<string>(`Async.${method}`, params, base);
    opts.onTask?.(task);
    try {
      const rec = await this.waitTask(task, base, opts.pollMs);
      this.forget(task, opts.step);
      if (rec.status === 'success') return { ok: true, value: decodeTaskResult(typeof rec.result === 'string' ? rec.result : '') };
      const info = Array.isArray(rec.error_info) && rec.error_info.length ? rec.error_info.map(String) : ['TASK_CANCELLED', task];
      return { ok: false, code: info[0], params: info.slice(1) };
    } catch (e) {
      if (opts.signal?.aborted) {
        // Ask the host to stop the work; the task ref was handed to onTask for the journal.
        await this.call('task.cancel', [task], { step: opts.step }).catch(() => undefined);
      }
      throw e;
    }
  }

  /**
   * The task's record once it has ended. Watched through event.from on that one task
   * ("task/<ref>"): the first call returns its record, each later one waits (up to EVENT_WAIT_S)
   * for its next change and returns it. A host that refuses the event call is polled instead
   * (task.get_record, with doubling pauses from `pollMs`).
   */
  private async waitTask(task: string, base: CallOptions, pollMs = 100): Promise<TaskRecord> {
    let token = '';
    let delay = Math.max(1, pollMs);
    let events = true;
    for (;;) {
      let rec: TaskRecord | undefined;
      if (events) {
        try {
          const r = await this.call<{ token: string; events: { ref: string; operation: string; snapshot?: TaskRecord }[] }>('event.from', [[`task/${task}`], token, token ? EVENT_WAIT_S : 0], base);
          const first = token === '';
          token = r.token;
          const ev = r.events.filter((e) => e.ref === task).pop();
          if (ev?.snapshot && ev.operation !== 'del') rec = ev.snapshot;
          else if (!first && !ev) continue; // the wait ended without a change
          // otherwise the task was not reported, or was deleted: ask for it (HANDLE_INVALID when gone)
        } catch (e) {
          if (base.signal?.aborted || !(e instanceof XapiError)) throw e;
          events = false;
        }
      }
      rec ??= await this.call<TaskRecord>('task.get_record', [task], base);
      if (rec.status === 'success' || rec.status === 'failure' || rec.status === 'cancelled') return rec;
      if (!events) {
        await sleep(delay, base.signal);
        delay = Math.min(delay * 2, Math.max(POLL_MAX_MS, pollMs));
      }
    }
  }

  /** Destroys a finished task, best-effort and without delaying the caller. */
  private forget(task: string, step?: string): void {
    this.call('task.destroy', [task], { step }).catch(() => undefined);
  }

  private renew(stale: string, signal?: AbortSignal): Promise<void> {
    if (this.session !== stale) return Promise.resolve(); // another call already renewed it
    if (!this.renewing) {
      // Shared by every call that found the session dead, so not tied to one caller's signal.
      this.renewing = (async () => {
        try {
          const { wire, session } = await establish(this.ctx, parseXapiUrl(this.wire.url));
          if (wire !== this.wire) {
            this.wire.close();
            this.wire = wire;
          }
          this.session = session;
        } finally {
          this.renewing = undefined;
        }
      })();
    }
    return abortable(this.renewing, signal);
  }

  async logout(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.wire.post('session.logout', [this.session], {});
    } catch {
      // the session dies with the host anyway
    } finally {
      this.wire.close();
    }
  }
}

interface TaskRecord {
  status?: string;
  result?: unknown;
  error_info?: unknown[];
}

/** Logs in at `url`, following HOST_IS_SLAVE redirects when the context allows. */
async function establish(ctx: Context, start: URL, signal?: AbortSignal): Promise<{ wire: Wire; session: string }> {
  const visited: string[] = [];
  let url = start;
  for (;;) {
    const wire = new Wire(url, ctx.policy, ctx.counter, ctx.endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    visited.push(wire.url);
    try {
      return { wire, session: await login(ctx, wire, signal) };
    } catch (e) {
      wire.close();
      if (!(e instanceof XapiError) || e.code !== 'HOST_IS_SLAVE' || !ctx.followSlave) throw e;
      const next = redirectUrl(url, e.params[0] ?? '');
      const nextLabel = originOf(next);
      if (visited.includes(nextLabel) || visited.length > MAX_REDIRECTS) {
        throw new TransportError(
          `HOST_IS_SLAVE redirects do not reach a coordinator (${[...visited, nextLabel].join(' → ')}): ` +
            `the pool may be electing a new coordinator; retry in a minute, or set url to the coordinator's address`,
          wire.url,
          'protocol',
        );
      }
      url = next;
    }
  }
}

async function login(ctx: Context, wire: Wire, signal?: AbortSignal): Promise<string> {
  const { username, password } = ctx.endpoint;
  const method = 'session.login_with_password';
  let transient = 0;
  for (;;) {
    const out = await wire.post(method, [username, password, '1.0', 'poolform'], { signal });
    if (out.ok) {
      if (typeof out.value !== 'string' || !out.value.startsWith('OpaqueRef:')) {
        throw new TransportError(`${wire.url} answered ${method} without a session reference: is this a XenServer XAPI endpoint?`, wire.url, 'protocol');
      }
      ctx.sessions.add(out.value);
      return out.value;
    }
    if (isTransient(out.code) && transient < TRANSIENT_RETRIES) {
      await sleep(TRANSIENT_DELAY_MS * 2 ** transient++, signal);
      continue;
    }
    throw makeXapiError(ctx, out, wire.url, method, [password]);
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; code: string; params: string[] };

function makeXapiError(ctx: Context, out: { code: string; params: string[] }, host: string, method: string, secrets: string[]): XapiError {
  const hide = [ctx.endpoint.password, ...secrets].filter((s) => s.length > 0);
  const scrub = (s: string): string => {
    let t = s;
    for (const secret of hide) t = t.split(secret).join('********');
    for (const ref of ctx.sessions) t = t.split(ref).join('(session)');
    return t;
  };
  const params = out.params.map(scrub);
  return new XapiError(scrub(out.code), params, host, method, remedyFor(out.code, params));
}

/**
 * Values a call carries that must never be echoed: passwords passed positionally by the calls
 * that take them, and any map entry whose key looks like a password or secret (device_config's
 * chappassword, power_on_config's password).
 */
function secretsOf(method: string, params: unknown[]): string[] {
  const out: string[] = [];
  const positional: Record<string, number[]> = {
    'pool.join': [2],
    'pool.join_force': [2],
    'session.change_password': [0, 1],
    'secret.set_value': [1],
  };
  for (const i of positional[method] ?? []) if (typeof params[i] === 'string') out.push(params[i] as string);
  const walk = (v: unknown, depth: number): void => {
    if (depth > 4 || v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'string' && /pass|secret/i.test(k)) out.push(x);
      else if (method === 'secret.create' && k === 'value' && typeof x === 'string') out.push(x);
      else walk(x, depth + 1);
    }
  };
  walk(params, 0);
  return out;
}

/** One XAPI origin: JSON-RPC posting over the shared keep-alive HTTPS origin (common/https-request.ts). */
class Wire {
  readonly url: string;
  private readonly path: string;
  private readonly origin: HttpsOrigin;
  private nextId = 1;

  constructor(
    target: URL,
    policy: TrustPolicy,
    private readonly counter: { n: number },
    private readonly timeoutMs: number,
  ) {
    this.url = originOf(target);
    const { host, port } = hostPort(target);
    this.path = `${target.pathname.replace(/\/+$/, '')}/jsonrpc`;
    this.origin = new HttpsOrigin(host, port, policy, this.url);
  }

  async post(method: string, params: unknown[], opts: CallOptions): Promise<Outcome> {
    const body = JSON.stringify({ jsonrpc: '2.0', method, params, id: this.nextId++ });
    const request: HttpsRequest = {
      method: 'POST',
      path: this.path,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), accept: 'application/json' },
      body,
      step: opts.step,
      signal: opts.signal,
      onSend: () => void this.counter.n++,
      timeoutMs: this.timeoutMs,
      timeoutError: () =>
        new TransportError(
          `XAPI at ${this.url} did not answer ${method} within ${this.timeoutMs / 1000} s: is the host up and the port reachable (and not overloaded)?`,
          this.url,
          'timeout',
        ),
      describeError: (err) => describeSocketError(err, this.url, method),
    };
    let ans: HttpsAnswer;
    try {
      ans = await this.origin.request(request);
    } catch (e) {
      if (!(e instanceof ConnectionReset)) throw e;
      if (!e.stale) throw e.error;
      // A kept-alive socket the server closed while idle: the request never reached it; send again.
      ans = await this.origin.request(request).catch((again: unknown) => {
        throw again instanceof ConnectionReset ? again.error : again;
      });
    }
    if (ans.status !== 200) {
      throw new TransportError(`${this.url} answered HTTP ${ans.status} to ${method}: is url the https address of a XenServer host?${snippet(ans.body)}`, this.url, 'protocol');
    }
    try {
      return decodeResponse(JSON.parse(ans.body));
    } catch {
      throw new TransportError(`${this.url} answered ${method} with something that is not JSON-RPC${snippet(ans.body)}`, this.url, 'protocol');
    }
  }

  close(): void {
    this.origin.close();
  }
}

function decodeResponse(msg: unknown): Outcome {
  if (msg === null || typeof msg !== 'object') throw new Error('not an object');
  const m = msg as { result?: unknown; error?: unknown };
  const err = m.error;
  if (err !== undefined && err !== null) {
    if (Array.isArray(err)) return { ok: false, code: String(err[0] ?? 'INTERNAL_ERROR'), params: err.slice(1).map(String) }; // JSON-RPC 1.0 form
    const e = err as { message?: unknown; data?: unknown };
    const data = Array.isArray(e.data) ? e.data.map(String) : e.data === undefined || e.data === null ? [] : [String(e.data)];
    return { ok: false, code: String(e.message ?? 'INTERNAL_ERROR'), params: data };
  }
  if (!('result' in m)) throw new Error('no result');
  return { ok: true, value: m.result };
}

function describeSocketError(err: NodeJS.ErrnoException, label: string, method: string): Error {
  if (err instanceof TransportError) return err; // the certificate judgement of tls.ts
  const reach = 'is the host up and the port reachable?';
  switch (socketFailure(err)) {
    case 'refused':
      return new TransportError(`cannot connect to XAPI at ${label}: connection refused. ${cap(reach)} (XAPI listens on HTTPS port 443)`, label, 'unreachable');
    case 'unresolved':
      return new TransportError(`cannot resolve the host name of ${label}: check the address in url (or DNS)`, label, 'unreachable');
    case 'no-route':
      return new TransportError(`no route to ${label}: ${reach}`, label, 'unreachable');
    case 'timeout':
      return new TransportError(`connecting to ${label} timed out: ${reach}`, label, 'timeout');
    case 'reset':
      return new TransportError(`the connection to ${label} was reset during ${method}: ${reach} (a host rebooting or a firewall drops connections)`, label, 'unreachable');
    case 'tls':
      return new TransportError(
        `TLS handshake with ${label} failed (${opensslReason(err.message)}): XenServer accepts TLS 1.2 with ${TLS_CIPHERS}; is url the HTTPS address of a XenServer host?`,
        label,
        'tls',
      );
    case 'other':
      return new TransportError(`cannot talk to XAPI at ${label} (${err.message}): ${reach}`, label, 'unreachable');
  }
}

function cap(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}

function snippet(text: string): string {
  const t = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
  return t ? ` (answer: "${t}")` : '';
}

/** Parses the endpoint URL; only https is accepted (XAPI credentials never travel in clear). */
function parseXapiUrl(text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new TransportError(`url "${text}" is not a URL: expected https://host[:port]`, text, 'protocol');
  }
  if (u.protocol !== 'https:') throw new TransportError(`url "${text}" must use https:// (XAPI is reached over TLS)`, text, 'protocol');
  return u;
}

/**
 * Where HOST_IS_SLAVE points: its parameter is the coordinator's address, "ip" or "ip:port" (or
 * an IPv6 address, bracketed when it carries a port). Without a port the current URL's port is kept.
 */
export function redirectUrl(current: URL, address: string): URL {
  const a = address.trim();
  let host: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  const v4 = /^([^:]+)(?::(\d+))?$/.exec(a);
  if (v6) [, host, port] = v6;
  else if (v4) [, host, port] = v4;
  else host = a; // a bare IPv6 address
  if (!host) throw new TransportError(`HOST_IS_SLAVE from ${originOf(current)} names no coordinator address`, originOf(current), 'protocol');
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const portPart = port ?? current.port;
  return new URL(`https://${hostPart}${portPart ? `:${portPart}` : ''}${current.pathname.replace(/\/+$/, '')}`);
}

function originOf(u: URL): string {
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** The value inside a task's result XML (`<value>…</value>`), XML-unescaped; '' for void. */
export function decodeTaskResult(xml: string): string {
  const s = xml.trim();
  if (s === '' || /^<value\s*\/>$/.test(s)) return '';
  const wrapped = /^<value>([\s\S]*)<\/value>$/.exec(s);
  if (!wrapped) return xmlUnescape(s);
  let inner = wrapped[1];
  const typed = /^<(string|int|i4|i8|double|boolean|dateTime\.iso8601)>([\s\S]*)<\/\1>$/.exec(inner);
  if (typed) inner = typed[2];
  else if (/^<(string|int|i4|i8|double|boolean)\s*\/>$/.test(inner)) inner = '';
  if (inner.includes('<')) return inner; // an array or struct: left as XML for the caller
  return xmlUnescape(inner);
}

function xmlUnescape(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#[0-9]+);/g, (_, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}
