// One simulated Proxmox node's API endpoint (pveproxy as far as poolform and third-party clients
// see it): HTTPS on 127.0.0.1, /api2/json and /api2/extjs, the PVE envelope and status lines,
// authentication (auth.ts: tickets + CSRF, API tokens, 401s delayed like pveproxy's 3 s), parameter
// verification against the reference schemas (params.ts), then the model behind the PveBackend
// seam. A node the model calls unreachable (powered off, API down, management address lost) does
// not answer: its connections are destroyed. Wire-only faults (extra latency, dropped requests)
// live here in WireFaults, since the model knows nothing of sockets.

import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PveFailure, type ApiResponse, type PveBackend } from './backend.js';
import { authenticate, createTicket } from './auth.js';
import { checkParams, matchRoute } from './params.js';
import { TrackedListener } from '../../common/listen.js';
import type { WireFaults } from '../../common/sim-faults.js';
import { BodyTooLarge, readBody } from '../../common/read-body.js';

// Faults of the network rather than of Proxmox, keyed by node name (shared with the XenServer sim).
export { WireFaults } from '../../common/sim-faults.js';

export interface PveServerOptions {
  cert: string;
  key: string;
  /** 0 (default) for any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  wire?: WireFaults;
  /** How long a 401 waits before it is sent (pveproxy: 3000 ms; tests use ~50). */
  authFailDelayMs?: number;
}

const MAX_BODY = 8 * 1024 * 1024;
const STEP_HEADER = 'x-poolform-step';
const JSON_TYPE = 'application/json;charset=UTF-8';
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);
/** Formats pveproxy serves below /api2 that answer the same data here. */
const FORMATS = new Set(['json', 'extjs']);
/** GET /access/domains: the realms a fresh install has (unauthenticated, like the login dialog reads them). */
const DOMAINS = [
  { realm: 'pam', type: 'pam', comment: 'Linux PAM standard authentication' },
  { realm: 'pve', type: 'pve', comment: 'Proxmox VE authentication server' },
];

/**
 * The HTTPS endpoint of one simulated node. It listens before the model exists (the model needs
 * the port for its fingerprints and URLs), then `bind()` attaches it to its node; until then it
 * answers nothing.
 */
export class PveHttpsServer {
  private readonly server: https.Server;
  private backend?: PveBackend;
  private nodeName?: string;
  private readonly listener: TrackedListener<Socket>;
  private served = 0;

  constructor(private readonly opts: PveServerOptions) {
    this.server = https.createServer({ cert: opts.cert, key: opts.key, minVersion: 'TLSv1.2' }, (req, res) => void this.onRequest(req, res));
    // Raw TCP connection: a node that is off does not even complete the TLS handshake.
    this.server.on('connection', (sock: Socket) => {
      sock.setNoDelay(true);
      if (!this.answering()) {
        sock.destroy();
        return;
      }
      this.listener.track(sock);
    });
    this.server.on('tlsClientError', (_e, sock) => sock.destroy());
    this.listener = new TrackedListener<Socket>(this.server, (s) => s.destroy(), { port: opts.port, host: opts.host });
  }

  bind(backend: PveBackend, node: string): void {
    this.backend = backend;
    this.nodeName = node;
  }

  get node(): string | undefined {
    return this.nodeName;
  }

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    return `https://${this.opts.host ?? '127.0.0.1'}:${this.listener.port}`;
  }

  /** API requests this endpoint has received (benches count them). */
  get requests(): number {
    return this.served;
  }

  start(): Promise<number> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  /** Cuts open connections when the node stopped answering (powered off meanwhile). */
  dropIfUnreachable(): void {
    if (!this.answering()) this.listener.dropAll();
  }

  private answering(): boolean {
    if (!this.backend || !this.nodeName) return false;
    const name = this.nodeName;
    return this.backend.nodes().find((n) => n.name === name)?.reachable ?? false;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.served++;
    const node = this.nodeName;
    const backend = this.backend;
    if (!backend || !node || !this.answering()) {
      req.socket.destroy();
      return;
    }
    const wire = this.opts.wire;
    if (wire?.takeDrop(node)) {
      req.socket.destroy();
      return;
    }
    await wire?.delay(node);

    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'https://pve.invalid');
    const m = /^\/api2\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m || !FORMATS.has(m[1]!)) {
      await drain(req);
      return this.reply(res, 'json', { status: 501, message: 'no such uri' });
    }
    const format = m[1]!;
    // Segments arrive percent-encoded when clients escape them (a UPID's colons, "vm:100").
    let path: string;
    try {
      path = (m[2] ?? '/').split('/').map(decodeURIComponent).join('/').replace(/\/+$/, '') || '/';
    } catch {
      await drain(req);
      return this.reply(res, format, { status: 400, message: 'malformed URI' });
    }

    let params: Record<string, string>;
    try {
      params = await readParams(req, method, url);
    } catch (e) {
      if (e instanceof BodyTooLarge) return this.reply(res, format, { status: 413, message: 'request entity too large' });
      return this.reply(res, format, { status: 400, message: `unable to parse request body - ${(e as Error).message}` });
    }

    // The few URIs pveproxy serves without authentication.
    if (path === '/access/ticket' && (method === 'GET' || method === 'POST')) return this.ticket(res, format, backend, node, method, params);
    if (path === '/access/domains' && method === 'GET') return this.reply(res, format, { status: 200, data: DOMAINS });

    const auth = authenticate(backend, node, method, req.headers);
    if (!auth.ok) return this.unauthorized(res, format, auth.message);

    if (!METHODS.has(method)) return this.reply(res, format, { status: 501, message: `Method '${method} ${path}' not implemented` });
    const route = matchRoute(path);
    const user = auth.who.kind === 'token' ? auth.who.tokenId : auth.who.user;
    let forward = params;
    if (route) {
      const ep = route.methods[method];
      if (!ep) return this.reply(res, format, { status: 501, message: `Method '${method} ${path}' not implemented` });
      if (ep.allowtoken === 0 && auth.who.kind === 'token')
        return this.reply(res, format, { status: 403, message: `Permission check failed (URI '${path}' not available with API token, need proper ticket.)` });
      const checked = checkParams(ep, params, route.pathParams);
      if (Object.keys(checked.errors).length) return this.reply(res, format, { status: 400, message: 'Parameter verification failed.', errors: checked.errors });
      forward = checked.params;
    }

    const step = req.headers[STEP_HEADER];
    let answer: ApiResponse;
    try {
      answer = await backend.handle({ node, method: method as 'GET' | 'POST' | 'PUT' | 'DELETE', path, params: forward, user, step: Array.isArray(step) ? step[0] : step });
    } catch (e) {
      answer = e instanceof PveFailure ? { status: e.status, message: e.message, errors: e.errors } : { status: 500, message: e instanceof Error ? e.message : String(e) };
    }
    // A node that went away while handling (powered off by a fault) does not answer either.
    if (!this.answering()) {
      req.socket.destroy();
      return;
    }
    this.reply(res, format, answer);
  }

  private ticket(res: ServerResponse, format: string, backend: PveBackend, node: string, method: string, params: Record<string, string>): void {
    if (method === 'GET') return this.reply(res, format, { status: 200, data: null });
    const ep = matchRoute('/access/ticket')?.methods.POST;
    if (ep) {
      const checked = checkParams(ep, params, {});
      if (Object.keys(checked.errors).length) return this.reply(res, format, { status: 400, message: 'Parameter verification failed.', errors: checked.errors });
    }
    const r = createTicket(backend, node, params);
    if (!r.ok) return this.unauthorized(res, format, r.message);
    this.reply(res, format, { status: 200, data: r.data });
  }

  /** A 401 after pveproxy's delay, so password guessing is slow (and clients must not hang on it). */
  private unauthorized(res: ServerResponse, format: string, message: string): void {
    const t = setTimeout(() => this.reply(res, format, { status: 401, message }), this.opts.authFailDelayMs ?? 3000);
    res.on('close', () => clearTimeout(t));
  }

  private reply(res: ServerResponse, format: string, a: ApiResponse): void {
    if (res.writableEnded || res.destroyed) return;
    const ok = a.status >= 200 && a.status < 300;
    let body: Record<string, unknown>;
    let status = a.status;
    let reason = ok ? 'OK' : reasonPhrase(a.message ?? 'error');
    if (format === 'extjs') {
      // ExtJS forms read success/message from a 200 answer.
      body = { data: ok ? (a.data ?? null) : null, success: ok ? 1 : 0, ...(a.extra ?? {}) };
      if (!ok) {
        body.message = a.message ?? '';
        body.status = a.status;
        if (a.errors) body.errors = a.errors;
      }
      status = 200;
      reason = 'OK';
    } else if (ok) {
      body = { data: a.data ?? null, ...(a.extra ?? {}) };
    } else {
      body = { data: null, message: a.message ?? '' };
      if (a.errors) body.errors = a.errors;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, reason, {
      'Content-Type': JSON_TYPE,
      'Content-Length': Buffer.byteLength(text),
      'Cache-Control': 'max-age=0',
      Pragma: 'no-cache',
      Server: 'pve-api-daemon/3.0',
    });
    res.end(text);
  }
}

/** The status line's reason: the message's first line, in the characters a status line may hold. */
function reasonPhrase(message: string): string {
  const first = message.split('\n').find((l) => l.trim() !== '') ?? 'error';
  return first.replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 512) || 'error';
}

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('data', () => {});
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.on('close', resolve);
  });
}

/** A JSON body value as the API's string form: booleans 0/1, arrays joined with commas. */
function jsonParam(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Array.isArray(v)) return v.map((x) => jsonParam(x) ?? '').join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * Query parameters (every method), and for POST/PUT the body (form-encoded or JSON), the body
 * winning. A key given more than once (how clients send -list values) is joined with commas.
 */
async function readParams(req: IncomingMessage, method: string, url: URL): Promise<Record<string, string>> {
  const multi = new Map<string, string[]>();
  const add = (k: string, v: string) => multi.set(k, [...(multi.get(k) ?? []), v]);
  for (const [k, v] of url.searchParams) add(k, v);
  const text = await readBody(req, MAX_BODY);
  if ((method === 'POST' || method === 'PUT') && text.trim() !== '') {
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (type.includes('application/json')) {
      const obj = JSON.parse(text) as unknown;
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error('JSON body is not an object');
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
        const s = jsonParam(v);
        multi.delete(k);
        if (s !== undefined) add(k, s);
      }
    } else {
      const form = new URLSearchParams(text);
      const seen = new Set<string>();
      for (const [k, v] of form) {
        if (!seen.has(k)) multi.delete(k);
        seen.add(k);
        add(k, v);
      }
    }
  }
  const out: Record<string, string> = {};
  for (const [k, vs] of multi) out[k] = vs.join(',');
  return out;
}
