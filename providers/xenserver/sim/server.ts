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
import { TrackedListener } from '../../common/listen.js';
import type { WireFaults } from '../../common/sim-faults.js';
import { readBody } from '../../common/read-body.js';

// Faults of the network rather than of XAPI, keyed by host uuid (shared with the Proxmox sim).
export { WireFaults } from '../../common/sim-faults.js';

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
  private readonly listener: TrackedListener<Socket>;

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
      this.listener.track(sock);
    });
    // Handshake failures (TLS 1.3 only, unlisted ciphers) are the client's problem: drop quietly.
    this.server.on('tlsClientError', (_e, sock) => sock.destroy());
    this.listener = new TrackedListener<Socket>(this.server, (s) => s.destroy(), { port: opts.port, host: opts.host });
  }

  bind(backend: XapiBackend, hostUuid: string): void {
    this.backend = backend;
    this.hostUuid = hostUuid;
  }

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    return `https://${this.opts.host ?? '127.0.0.1'}:${this.listener.port}`;
  }

  start(): Promise<number> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop(() => this.server.closeAllConnections());
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
    await this.opts.wire?.delay(hostUuid);

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
      body = await readBody(req, MAX_BODY);
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
