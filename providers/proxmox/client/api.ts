// The Proxmox VE API client of one node: REST over HTTPS (/api2/json), its certificate pinned (or
// CA-verified) by providers/common/tls.ts before any byte is sent, one keep-alive agent per node.
// Authenticates with an API token (Authorization header, no CSRF) or a password (ticket cookie plus
// CSRFPreventionToken on every non-GET, renewed before the ticket's 2 h lifetime); encodes
// parameters as the API takes them (params.ts); decodes the {data} envelope; retries what is
// "not now" (config-lock timeouts with backoff; 595 and connection resets for GETs); waits for
// UPID tasks; and turns every failure into a PveApiError, PveTaskError or PveTransportError that
// names the node and says what to do (remedies.ts) without ever echoing a secret.
// Hand-written on node:https (common/https-request.ts) rather than the proxmox-api package (a dev-only fidelity oracle here):
// this client must own TLS pinning, retries, request counting and secret scrubbing.

import type { OutgoingHttpHeaders } from 'node:http';
import { abortable, sleep } from '../../common/abort.js';
import { ConnectionReset, HttpsOrigin, hostPort, socketFailure } from '../../common/https-request.js';
import { isTrustError, opensslReason, trustPolicy, type TlsPlatform } from '../../common/tls.js';
import { encodeParams, secretValues } from './params.js';
import { authRemedy, isLockTimeout, isTokenId, remedyFor } from './remedies.js';
import {
  PveApiError,
  PveTaskError,
  PveTransportError,
  type Params,
  type PveAuth,
  type PveClient,
  type PveEndpoint,
  type RequestOptions,
  type TaskOptions,
  type TaskStatus,
} from './types.js';
import { describeTask, parseUpid } from '../upid.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
type Envelope<T> = { data: T } & Record<string, unknown>;

const DEFAULT_TIMEOUT_MS = 30_000;
/** Tickets live 2 h; a new one is fetched once the current one is this old. */
const TICKET_RENEW_MS = 60 * 60_000;
/** Config-lock retries: pauses from 100 ms doubling to 2 s, for about 15 s in all. */
const LOCK_FIRST_MS = 100;
const LOCK_MAX_MS = 2_000;
const LOCK_BUDGET_MS = 15_000;
/** GET retries on 595 (the node could not proxy) and connection resets: 100, 200, 400, 800 ms. */
const TRANSIENT_RETRIES = 4;
const TRANSIENT_FIRST_MS = 100;
/** Task polling: from pollMs (100 ms) doubling to 1 s; waits give up after 10 min by default. */
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1_000;
const TASK_TIMEOUT_MS = 10 * 60_000;

/** Kept-alive sockets idle this long are closed by the client. */
const IDLE_SOCKET_MS = 2_000;

const FINGERPRINT_HINT = '`pvenode cert info` on the node, or: openssl x509 -in /etc/pve/local/pve-ssl.pem -noout -fingerprint -sha256';

export interface ConnectOptions {
  signal?: AbortSignal;
  /**
   * Renew the login ticket once it is this old (default 1 h; Proxmox tickets live 2 h). Only for
   * password authentication; tests use a small value.
   */
  ticketRenewMs?: number;
  /** How long config-lock failures are retried before one is reported (default 15 000 ms). */
  lockRetryBudgetMs?: number;
}

/**
 * A client for the node's API. With a password it logs in now (so a wrong password or an
 * untrusted certificate fails here); with an API token nothing is sent until the first call (whose
 * 401 names the token), so opening a client costs no request.
 */
export async function connectPve(endpoint: PveEndpoint, auth: PveAuth, opts: ConnectOptions = {}): Promise<PveClient> {
  const client = new PveRestClient(endpoint, auth, opts.ticketRenewMs ?? TICKET_RENEW_MS, opts.lockRetryBudgetMs ?? LOCK_BUDGET_MS);
  if (auth.kind === 'password') {
    try {
      await client.login(opts.signal);
    } catch (e) {
      client.close();
      throw e;
    }
  }
  return client;
}

interface Ticket {
  ticket: string;
  csrf: string;
  at: number;
}

interface Answer {
  status: number;
  reason: string;
  body: string;
}

class PveRestClient implements PveClient {
  private readonly label: string;
  private readonly base: string;
  private readonly origin: HttpsOrigin;
  private count = 0;
  private ticket: Ticket | undefined;
  private renewing: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly endpoint: PveEndpoint,
    private readonly auth: PveAuth,
    private readonly ticketRenewMs: number,
    private readonly lockBudgetMs: number,
  ) {
    const { node } = endpoint;
    let url: URL;
    try {
      url = new URL(endpoint.url);
    } catch {
      throw new PveTransportError(`api_url of node ${node} ("${endpoint.url}") is not a URL: write it as https://<address>:8006`, node, 'protocol');
    }
    if (url.protocol !== 'https:') {
      throw new PveTransportError(`api_url of node ${node} must use https (the Proxmox VE API listens on https://<address>:8006), not ${url.protocol}`, node, 'protocol');
    }
    this.label = `${node} (${url.origin})`;
    this.base = `${url.pathname.replace(/\/+$/, '').replace(/\/api2\/json$/, '')}/api2/json`;
    if (auth.kind === 'token' && !isTokenId(auth.tokenId)) {
      throw new PveTransportError(`the API token id "${auth.tokenId}" is malformed for node ${node}: ${authRemedy(auth)}`, node, 'auth');
    }
    const platform: TlsPlatform = {
      fingerprintHint: FINGERPRINT_HINT,
      pinsAttribute: 'tls_fingerprint',
      caAttribute: 'ca_file',
      urlAttribute: 'api_url',
      minVersion: 'TLSv1.2', // pveproxy speaks TLS 1.2 and 1.3
      makeError: (message, _label, kind) => new PveTransportError(message, node, kind),
    };
    const policy = trustPolicy(endpoint, platform, this.label);
    const { host, port } = hostPort(url);
    // Idle sockets are dropped before the server's own keep-alive timeout (Node's 5 s, pveproxy's
    // similar), so a write rarely meets a socket the server is closing: non-GETs are not resent.
    this.origin = new HttpsOrigin(host, port, policy, this.label, IDLE_SOCKET_MS);
  }

  get requests(): number {
    return this.count;
  }

  get<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.call<T>('GET', path, params, opts).then((e) => e.data);
  }

  post<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.call<T>('POST', path, params, opts).then((e) => e.data);
  }

  put<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.call<T>('PUT', path, params, opts).then((e) => e.data);
  }

  delete<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.call<T>('DELETE', path, params, opts).then((e) => e.data);
  }

  getEnvelope<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<Envelope<T>> {
    return this.call<T>('GET', path, params, opts);
  }

  async task(method: 'POST' | 'PUT' | 'DELETE', path: string, params?: Params, opts: TaskOptions = {}): Promise<TaskStatus> {
    const lockPause = this.lockPauses(opts);
    for (;;) {
      const { data } = await this.call<unknown>(method, path, params, opts);
      if (typeof data !== 'string' || !parseUpid(data)) {
        throw new PveTransportError(
          `${method} ${path} on ${this.label} answered ${JSON.stringify(data)?.slice(0, 120) ?? 'nothing'} instead of a task id (UPID): ` +
            `the node's Proxmox VE version may run this call differently; compare \`pveversion\``,
          this.endpoint.node,
          'protocol',
        );
      }
      opts.onTask?.(data);
      try {
        return await this.waitTask(data, opts);
      } catch (e) {
        // A worker that could not take its config lock did nothing: submit it again, like a call.
        const pause = e instanceof PveTaskError && isLockTimeout(e.exitstatus) ? lockPause() : undefined;
        if (pause === undefined || !(e instanceof PveTaskError)) throw e;
        opts.log?.(`${e.what} on ${e.node}: the config lock was busy, submitting again`);
        await sleep(pause, opts.signal);
      }
    }
  }

  async waitTask(upid: string, opts: TaskOptions = {}): Promise<TaskStatus> {
    const u = parseUpid(upid);
    if (!u) throw new PveTransportError(`"${upid}" is not a Proxmox task id (UPID:node:pid:pstart:starttime:type:id:user:)`, this.endpoint.node, 'protocol');
    const what = describeTask(u.type, u.id);
    const path = `/nodes/${encodeURIComponent(u.node)}/tasks/${encodeURIComponent(upid)}/status`;
    const first = Math.max(1, opts.pollMs ?? POLL_FIRST_MS);
    const ceiling = Math.max(POLL_MAX_MS, first);
    const limit = opts.timeoutMs ?? TASK_TIMEOUT_MS;
    const deadline = Date.now() + limit;
    const base: RequestOptions = { signal: opts.signal, step: opts.step };
    opts.log?.(`${what} on ${u.node}: task ${upid}`);
    let delay = first;
    for (;;) {
      const st = (await this.get<Record<string, unknown>>(path, undefined, base)) ?? {};
      if (st.status === 'stopped') {
        const exitstatus = typeof st.exitstatus === 'string' ? st.exitstatus : 'unknown';
        const out: TaskStatus = { upid, node: u.node, type: u.type, id: u.id, status: 'stopped', exitstatus };
        if (exitstatus === 'OK' || /^WARNINGS: \d+$/.test(exitstatus)) {
          opts.log?.(`${what} on ${u.node}: ${exitstatus}`);
          return out;
        }
        const text = this.scrub(exitstatus, []);
        throw new PveTaskError(upid, u.node, text, what, remedyFor(text, { node: u.node }));
      }
      if (Date.now() + delay > deadline) {
        throw new PveTransportError(
          `${what} on ${u.node} was still running after ${Math.round(limit / 1000)} s (task ${upid}); poolform stopped waiting but the task keeps running on the node: ` +
            `follow it there (Datacenter → Tasks, or \`pvenode task status '${upid}'\`) and run again once it has ended`,
          u.node,
          'timeout',
        );
      }
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, ceiling);
    }
  }

  close(): void {
    this.closed = true;
    this.origin.close();
  }

  /** POST /access/ticket with the password: a new ticket and CSRF token. */
  async login(signal?: AbortSignal): Promise<void> {
    if (this.auth.kind !== 'password') return;
    const { username, password } = this.auth;
    const ans = await this.send('POST', '/access/ticket', { username, password }, { signal }, false);
    if (ans.status === 401 || ans.status === 403) {
      throw new PveTransportError(
        `${this.label} refused the login of ${username}: ${this.scrub(messageOf(ans), [])}. ${authRemedy(this.auth)}`,
        this.endpoint.node,
        'auth',
      );
    }
    const env = this.decode<Record<string, unknown>>('POST', '/access/ticket', ans, { username, password });
    const ticket = env.data?.ticket;
    const csrf = env.data?.CSRFPreventionToken;
    if (typeof ticket !== 'string' || typeof csrf !== 'string') {
      throw new PveTransportError(`${this.label} answered the login without a ticket: is api_url the address of a Proxmox VE node (port 8006)?`, this.endpoint.node, 'protocol');
    }
    this.ticket = { ticket, csrf, at: Date.now() };
  }

  /** A fresh ticket, fetched once for every caller that needs it. */
  private relogin(signal?: AbortSignal): Promise<void> {
    if (!this.renewing) {
      // Shared by every call that found the ticket old or refused, so not tied to one caller's signal.
      this.renewing = this.login().finally(() => {
        this.renewing = undefined;
      });
    }
    return abortable(this.renewing, signal);
  }

  /**
   * The pauses before config-lock retries of one call or task: from LOCK_FIRST_MS doubling to
   * LOCK_MAX_MS, undefined once the next would end past the budget (or retryLocks is false).
   */
  private lockPauses(opts: RequestOptions): () => number | undefined {
    // The budget counts the pauses themselves, not the clock: the same answers always get the same
    // number of tries, however busy the machine is.
    let paused = 0;
    let delay = LOCK_FIRST_MS;
    return () => {
      if (opts.retryLocks === false || paused + delay > this.lockBudgetMs) return undefined;
      paused += delay;
      const pause = delay;
      delay = Math.min(delay * 2, LOCK_MAX_MS);
      return pause;
    };
  }

  /** One API call: auth, retries of "not now", and the envelope or a named error. */
  private async call<T>(method: Method, path: string, params: Params | undefined, opts: RequestOptions = {}): Promise<Envelope<T>> {
    const lockPause = this.lockPauses(opts);
    let transient = 0;
    let relogged = false;
    for (;;) {
      if (this.closed) throw new PveTransportError(`the client of ${this.label} was closed before ${method} ${path}`, this.endpoint.node, 'protocol');
      if (this.auth.kind === 'password' && (!this.ticket || Date.now() - this.ticket.at >= this.ticketRenewMs)) await this.relogin(opts.signal);
      const used = this.ticket;
      let ans: Answer;
      try {
        ans = await this.send(method, path, params, opts, true);
      } catch (e) {
        const retry = e instanceof ConnectionReset && method === 'GET' && transient < TRANSIENT_RETRIES;
        if (!retry) throw e instanceof ConnectionReset ? e.error : e;
        await sleep(TRANSIENT_FIRST_MS * 2 ** transient++, opts.signal);
        continue;
      }
      if (ans.status >= 200 && ans.status < 300) return this.decode<T>(method, path, ans, params);
      const message = messageOf(ans);
      if (ans.status === 401) {
        if (this.auth.kind === 'password' && !relogged) {
          relogged = true; // the ticket expired or the node's auth key changed (it joined a cluster): log in again once
          if (this.ticket === used) this.ticket = undefined; // unless another call already did
          continue;
        }
        const who = this.auth.kind === 'token' ? `the API token ${this.auth.tokenId}` : `the login of ${this.auth.username}`;
        throw new PveTransportError(
          `${this.label} refused ${who} for ${method} ${path} (401 ${this.scrub(message, [])}). ${authRemedy(this.auth)}`,
          this.endpoint.node,
          'auth',
        );
      }
      const pause = ans.status === 500 && isLockTimeout(message) ? lockPause() : undefined;
      if (pause !== undefined) {
        await sleep(pause, opts.signal);
        continue;
      }
      if ((ans.status === 595 || ans.status === 596) && method === 'GET' && transient < TRANSIENT_RETRIES) {
        await sleep(TRANSIENT_FIRST_MS * 2 ** transient++, opts.signal);
        continue;
      }
      throw this.apiError(method, path, ans, params);
    }
  }

  private decode<T>(method: Method, path: string, ans: Answer, params: Params | undefined): Envelope<T> {
    if (ans.status < 200 || ans.status >= 300) throw this.apiError(method, path, ans, params);
    if (ans.body.trim() === '') return { data: null as T };
    let parsed: unknown;
    try {
      parsed = JSON.parse(ans.body);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new PveTransportError(
        `${this.label} answered ${method} ${path} with something that is not the API's JSON envelope${snippet(ans.body)}: is api_url the address of a Proxmox VE node (port 8006)?`,
        this.endpoint.node,
        'protocol',
      );
    }
    const env = parsed as Record<string, unknown>;
    return { ...env, data: (env.data ?? null) as T };
  }

  private apiError(method: Method, path: string, ans: Answer, params: Params | undefined): PveApiError {
    const extra = secretValues(params);
    const message = this.scrub(messageOf(ans), extra);
    let errors: Record<string, string> | undefined;
    const env = parseJson(ans.body);
    if (env && typeof env.errors === 'object' && env.errors !== null) {
      errors = {};
      for (const [k, v] of Object.entries(env.errors as Record<string, unknown>)) errors[k] = this.scrub(String(v), extra);
    }
    const remedy = remedyFor(message, { node: this.endpoint.node, status: ans.status, method, path });
    return new PveApiError(ans.status, message, this.endpoint.node, method, path, errors, remedy);
  }

  /** Removes the credentials and any secret parameter from a text the API produced. */
  private scrub(text: string, extra: string[]): string {
    const hide = [...extra];
    if (this.auth.kind === 'token') hide.push(this.auth.secret);
    else hide.push(this.auth.password);
    if (this.ticket) hide.push(this.ticket.ticket, this.ticket.csrf);
    let t = text;
    for (const s of hide) if (s.length > 0) t = t.split(s).join('********');
    return t;
  }

  /**
   * Sends one HTTP request. A reset of an established (or reused keep-alive) connection is a
   * ConnectionReset, which call() retries for GETs only: a POST may have run before the reset.
   */
  private send(method: Method, path: string, params: Params | undefined, opts: RequestOptions, authed: boolean): Promise<Answer> {
    const timeoutMs = this.endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const encoded = encodeParams(params);
    const inQuery = method === 'GET' || method === 'DELETE';
    const body = inQuery ? '' : encoded;
    const headers: OutgoingHttpHeaders = { accept: 'application/json' };
    if (!inQuery) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(body);
    }
    if (authed) {
      if (this.auth.kind === 'token') headers.authorization = `PVEAPIToken=${this.auth.tokenId}=${this.auth.secret}`;
      else if (this.ticket) {
        headers.cookie = `PVEAuthCookie=${this.ticket.ticket}`;
        if (method !== 'GET') headers.csrfpreventiontoken = this.ticket.csrf;
      }
    }
    return this.origin.request({
      method,
      path: `${this.base}${path.startsWith('/') ? path : `/${path}`}${inQuery && encoded ? `?${encoded}` : ''}`,
      headers,
      body,
      step: opts.step,
      signal: opts.signal,
      onSend: () => void this.count++,
      timeoutMs,
      timeoutError: () =>
        new PveTransportError(
          `${this.label} did not answer ${method} ${path} within ${timeoutMs / 1000} s: is the node up and TCP ${this.origin.port} reachable (and the node not overloaded)?`,
          this.endpoint.node,
          'timeout',
        ),
      describeError: (err) => this.describeSocketError(err, method, path),
    });
  }

  private describeSocketError(err: NodeJS.ErrnoException, method: Method, path: string): Error {
    if (isTrustError(err) || err instanceof PveTransportError) return err; // the certificate judgement of common/tls.ts
    const node = this.endpoint.node;
    const where = `the Proxmox VE API of ${this.label}`;
    const reach = `is the node up, pveproxy running (systemctl status pveproxy) and TCP ${this.origin.port} reachable?`;
    switch (socketFailure(err)) {
      case 'refused':
        return new PveTransportError(`cannot connect to ${where}: connection refused. Is the node up, pveproxy running (systemctl status pveproxy) and TCP ${this.origin.port} open?`, node, 'unreachable');
      case 'unresolved':
        return new PveTransportError(`cannot resolve the host name of ${this.label}: check the address in api_url (or DNS)`, node, 'unreachable');
      case 'no-route':
        return new PveTransportError(`no route to ${where}: ${reach}`, node, 'unreachable');
      case 'timeout':
        return new PveTransportError(`connecting to ${where} timed out: ${reach}`, node, 'timeout');
      case 'reset':
        return new PveTransportError(`the connection to ${where} was reset during ${method} ${path}: ${reach} (a node rebooting, or a firewall, drops connections)`, node, 'unreachable');
      case 'tls':
        return new PveTransportError(`TLS handshake with ${this.label} failed (${opensslReason(err.message)}): is api_url the HTTPS address of a Proxmox VE node (port 8006)?`, node, 'tls');
      case 'other':
        return new PveTransportError(`cannot talk to ${where} (${err.message}): ${reach}`, node, 'unreachable');
    }
  }

}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The API's message: the envelope's `message`, else the reason phrase (which carries it too). */
function messageOf(ans: Answer): string {
  const env = parseJson(ans.body);
  const m = env && typeof env.message === 'string' && env.message.trim() !== '' ? env.message : ans.reason || `HTTP ${ans.status}`;
  return m.trim();
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t ? ` ("${t.slice(0, 80)}${t.length > 80 ? '…' : ''}")` : '';
}
