// A scripted Proxmox-shaped HTTPS server for the client tests, on a real loopback socket with a
// self-signed certificate from providers/common/certs.ts: it records every request as it arrived
// (method, path, query, form body, headers) and answers through a handler the test writes, so the
// client's wire behaviour (encoding, headers, retries, auth renewal) is observed from the server's
// side. It exists for sequences the simulator cannot easily produce (a lock held for exactly n
// attempts, a 595, a reset mid-request); the simulator's lab is tested in pve-client-lab.test.ts.

import * as https from 'node:https';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { generateHostCertificate, type HostCertificate } from '../../providers/common/certs.js';

export interface SeenRequest {
  method: string;
  /** Path below /api2/json, decoded, without the query. */
  path: string;
  /** The raw request target as sent (to check encoding). */
  rawUrl: string;
  /** Query parameters, keys repeated as sent. */
  query: [string, string][];
  /** Form body parameters, keys repeated as sent. */
  form: [string, string][];
  rawBody: string;
  headers: IncomingHttpHeaders;
  /** The client's port: the same for requests on one kept-alive connection. */
  remotePort: number;
  /** When the request arrived (for ordering against client callbacks). */
  seq: number;
}

export type Reply =
  | { status?: number; data?: unknown; message?: string; errors?: Record<string, string>; extra?: Record<string, unknown> }
  /** A body that is not the API's envelope (a proxy's page). */
  | { raw: string; status: number }
  | 'reset'
  | 'silent';

export type Handler = (req: SeenRequest, server: FakePve) => Reply | Promise<Reply>;

let certOnce: Promise<HostCertificate> | undefined;
/** One certificate for the whole test run (RSA generation is slow). */
export function testCertificate(): Promise<HostCertificate> {
  certOnce ??= generateHostCertificate('pve-test');
  return certOnce;
}

/** A global counter both the server and the tests draw from, to order events. */
export const clock = { n: 0 };

export class FakePve {
  readonly seen: SeenRequest[] = [];
  handler: Handler = () => ({ data: null });
  port = 0;
  private server!: https.Server;
  private readonly sockets = new Set<Socket>();

  constructor(readonly cert: HostCertificate) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Requests seen for a method and path (path compared decoded). */
  on(method: string, path: string): SeenRequest[] {
    return this.seen.filter((r) => r.method === method && r.path === path);
  }

  async start(): Promise<this> {
    this.server = https.createServer({ key: this.cert.key, cert: this.cert.cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawUrl = req.url ?? '';
        const u = new URL(rawUrl, 'https://x');
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const seen: SeenRequest = {
          method: req.method ?? '',
          path: decodeURIComponent(u.pathname.replace(/^\/api2\/json/, '')),
          rawUrl,
          query: [...u.searchParams.entries()],
          form: [...new URLSearchParams(rawBody).entries()],
          rawBody,
          headers: req.headers,
          remotePort: req.socket.remotePort ?? 0,
          seq: ++clock.n,
        };
        this.seen.push(seen);
        Promise.resolve()
          .then(() => this.handler(seen, this))
          .then(
            (reply) => this.answer(res, reply),
            (e: unknown) => this.answer(res, { status: 500, message: String(e) }),
          );
      });
    });
    this.server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  private answer(res: ServerResponse, reply: Reply): void {
    if (reply === 'silent') return;
    if (reply === 'reset') {
      res.socket?.destroy();
      return;
    }
    if ('raw' in reply) {
      res.writeHead(reply.status, { 'content-type': 'text/html' }).end(reply.raw);
      return;
    }
    const status = reply.status ?? 200;
    const ok = status >= 200 && status < 300;
    const body = ok
      ? { data: reply.data ?? null, ...reply.extra }
      : { data: null, message: reply.message ?? 'error', ...(reply.errors ? { errors: reply.errors } : {}) };
    const text = JSON.stringify(body);
    // Proxmox puts the message in the reason phrase too (reason phrases must be one line of text).
    const reason = ok ? 'OK' : (reply.message ?? 'error').split('\n')[0].replace(/[^\x20-\x7e]/g, ' ');
    res.writeHead(status, reason, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export async function startFakePve(handler?: Handler): Promise<FakePve> {
  const s = await new FakePve(await testCertificate()).start();
  if (handler) s.handler = handler;
  return s;
}

/** The value of a (first) form or query parameter. */
export function param(list: [string, string][], key: string): string | undefined {
  return list.find(([k]) => k === key)?.[1];
}
