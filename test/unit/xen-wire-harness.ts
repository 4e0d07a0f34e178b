// Shared pieces of the xen-wire tests: the root password of their hosts and a raw HTTPS request
// helper that shows exactly what went over the wire.

import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';

export const PASSWORD = 'wire-test-pw';

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  peerFingerprint: string;
  protocol: string | null;
}

/** One HTTPS request, trusting exactly the given certificate (as a pin would). */
export function rawRequest(url: string, opts: { method?: string; path: string; body?: string; headers?: Record<string, string>; ca: string }): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request(
      { host: u.hostname, port: u.port, method: opts.method ?? 'POST', path: opts.path, ca: opts.ca, servername: 'localhost', headers: opts.headers, agent: false },
      (res) => {
        const sock = res.socket as TLSSocket;
        const peerFingerprint = sock.getPeerCertificate().fingerprint256;
        const protocol = sock.getProtocol();
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerFingerprint, protocol }));
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export function jsonRpc(url: string, ca: string, body: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  return rawRequest(url, { path: '/jsonrpc', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers }, ca });
}
