// One simulated host's management API endpoint: an HTTPS server on 127.0.0.1 with the TLS policy of
// crypto-policy.ts, routing XAPI's paths (POST /jsonrpc, /json, / and /RPC2) to the model behind the
// XapiBackend seam. A host the model calls unreachable (down, or its management connection lost)
// does not answer: its connections are destroyed. Wire-only faults (extra latency, dropped
// requests) live here in WireFaults, since the model knows nothing of sockets.

import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { XapiFailure, type XapiBackend } from './backend.js';
import { TLS_CIPHERS, TLS_MAX_VERSION, TLS_MIN_VERSION } from '../crypto-policy.js';
import { handleJsonRpc, handleLegacyJson, type Dispatch, type WireReply } from './rpc-json.js';
import { handleXmlRpc } from './rpc-xml.js';
import { closeServer, listenOn } from '../../common/listen.js';

/** Faults of the network rather than of XAPI, keyed by host uuid. */
export class WireFaults {
  /** Extra delay (ms) before each request of a host is handled. */
  readonly delayMs = new Map<string, number>();
  /** How many of a host's next requests are dropped (connection destroyed, no answer). */
  readonly drops = new Map<string, number>();

  /** True (and counts it) when this request must be dropped. */
  takeDrop(hostUuid: string): boolean {
    const n = this.drops.get(hostUuid) ?? 0;
    if (n <= 0) return false;
    this.drops.set(hostUuid, n - 1);
    return true;
  }
}

export interface XapiServerOptions {
  cert: string;
  key: string;
  /** 0 (default) for any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  wire?: WireFaults;
  /** Name shown on the GET / page. */
  name?: string;
  /** system.listMethods (XML-RPC introspection) when the backend does not answer it itself. */
  listMethods?: () => string[];
}

const MAX_BODY = 32 * 1024 * 1024;
const STEP_HEADER = 'x-poolform-step';
const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type, Accept, X-Poolform-Step',
  'Access-Control-Max-Age': '86400',
};
// XAPI matches handlers by path prefix, so any POST path reaches XML-RPC; /xmlrpc is the one the
// third-party xen-api client uses. Other paths answer 404 here, which catches typos in our clients.
const RPC_PATHS = new Set(['/', '/RPC2', '/jsonrpc', '/json', '/xmlrpc']);

/**
 * The HTTPS endpoint of one simulated host. It listens before the model exists (the model needs
 * the address to exist first), then `bind()` attaches it to its host; until then it answers nothing.
 */
export class XapiHttpsServer {
  private readonly server: https.Server;
  private backend?: XapiBackend;
  private hostUuid?: string;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly opts: XapiServerOptions) {
    this.server = https.createServer(
      {
        cert: opts.cert,
        key: opts.key,
        minVersion: TLS_MIN_VERSION,
        maxVersion: TLS_MAX_VERSION,
        ciphers: TLS_CIPHERS,
        honorCipherOrder: true,
      },
      (req, res) => void this.onRequest(req, res),
    );
    // Raw TCP connection: a host that is down does not even complete the TLS handshake.
    this.server.on('connection', (sock: Socket) => {
      sock.setNoDelay(true);
      if (!this.answering()) {
        sock.destroy();
        return;
      }
      this.sockets.add(sock);
      sock.on('close', () => this.sockets.delete(sock));
    });
    // Handshake failures (TLS 1.3 only, unlisted ciphers) are the client's problem: drop quietly.
    this.server.on('tlsClientError', (_e, sock) => sock.destroy());
  }

  bind(backend: XapiBackend, hostUuid: string): void {
    this.backend = backend;
    this.hostUuid = hostUuid;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `https://${this.opts.host ?? '127.0.0.1'}:${this.boundPort}`;
  }

  async start(): Promise<number> {
    this.boundPort = await listenOn(this.server, this.opts.port, this.opts.host);
    return this.boundPort;
  }

  stop(): Promise<void> {
    return closeServer(this.server, () => {
      for (const s of this.sockets) s.destroy();
      this.server.closeAllConnections();
    });
  }

  private answering(): boolean {
    return !!this.backend && !!this.hostUuid && this.backend.reachable(this.hostUuid);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const backend = this.backend;
    const hostUuid = this.hostUuid;
    if (!backend || !hostUuid || !backend.reachable(hostUuid) || this.opts.wire?.takeDrop(hostUuid)) {
      req.socket.destroy();
      return;
    }
    const delay = this.opts.wire?.delayMs.get(hostUuid) ?? 0;
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));

    const path = (req.url ?? '/').split('?')[0];
    if (!RPC_PATHS.has(path)) return send(res, { status: 404, contentType: 'text/plain', body: `${path}: not found\n` });
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { ...CORS, 'Content-Length': '0' });
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/') {
      const name = this.opts.name ?? 'host';
      return send(res, { status: 200, contentType: 'text/html', body: `<html><head><title>XenServer</title></head><body><p>XenServer ${name} (poolform simulator). The management API is at POST /jsonrpc.</p></body></html>\n` });
    }
    if (req.method !== 'POST') return send(res, { status: 405, contentType: 'text/plain', body: 'method not allowed\n' }, { Allow: 'POST, OPTIONS' });

    let body: string;
    try {
      body = await readBody(req);
    } catch {
      req.socket.destroy();
      return;
    }
    const stepHeader = req.headers[STEP_HEADER];
    const step = Array.isArray(stepHeader) ? stepHeader[0] : stepHeader;
    const listMethods = this.opts.listMethods;
    const dispatch: Dispatch = (method, params) => {
      const p = backend.call(hostUuid, method, params, step ? { step } : {});
      if (method !== 'system.listMethods' || !listMethods) return p;
      return p.catch((e: unknown) => {
        if (e instanceof XapiFailure && e.code === 'MESSAGE_METHOD_UNKNOWN') return listMethods();
        throw e;
      });
    };
    let reply: WireReply;
    if (path === '/jsonrpc') reply = await handleJsonRpc(body, dispatch);
    else if (path === '/json') reply = await handleLegacyJson(body, dispatch);
    else reply = await handleXmlRpc(body, dispatch);
    send(res, reply);
  }
}

function send(res: ServerResponse, reply: WireReply, extra: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const buf = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, { 'Content-Type': reply.contentType, 'Content-Length': String(buf.length), ...CORS, ...extra });
  res.end(buf);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
