// One HTTPS origin of a platform's management API, shared by the XAPI and Proxmox clients: a
// keep-alive agent whose sockets are opened by tls.ts (certificate pinned or CA-verified before any
// byte is sent), and one request at a time over it with a timeout, abort, the step header and the
// whole answer collected. What the answer means (the JSON-RPC or /api2/json envelope), what a
// failure is called and which requests may be sent again stay with each client.

import * as https from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { abortError } from './abort.js';
import { connectTls, isTrustError, type TrustPolicy } from './tls.js';

/** A complete HTTP answer. */
export interface HttpsAnswer {
  status: number;
  reason: string;
  body: string;
}

export interface HttpsRequest {
  method: string;
  path: string;
  headers: OutgoingHttpHeaders;
  body?: string;
  /** Sent as x-poolform-step (percent-encoded unless printable ASCII), so a host's log names the plan step. */
  step?: string;
  signal?: AbortSignal;
  /** Called as the request is sent (not when the signal had already fired): the clients count requests. */
  onSend?: () => void;
  timeoutMs: number;
  /** The error for an answer that did not come within timeoutMs. */
  timeoutError: () => Error;
  /** The error for a socket failure (a certificate judgement of tls.ts arrives here unchanged too). */
  describeError: (err: NodeJS.ErrnoException) => Error;
}

/**
 * A connection reset after the TLS session was up (so mid-request, not at connect), or a broken
 * answer: the request may or may not have run. `stale` marks a reused keep-alive socket the server
 * had closed while idle (ECONNRESET before any answer): the request never reached the server.
 */
export class ConnectionReset extends Error {
  constructor(
    readonly error: Error,
    readonly stale: boolean,
  ) {
    super(error.message);
  }
}

/** The keep-alive connections to one host:port, and requests over them. */
export class HttpsOrigin {
  private readonly agent: PinnedAgent;

  /** `idleMs`: kept-alive sockets idle this long are closed (default: kept until the server closes them). */
  constructor(
    readonly host: string,
    readonly port: number,
    policy: TrustPolicy,
    label: string,
    idleMs?: number,
  ) {
    this.agent = new PinnedAgent(host, port, policy, label, idleMs);
  }

  /**
   * Sends one request and collects its answer, whatever its status. Rejects with describeError's
   * error, timeoutError's, the abort error, or a ConnectionReset wrapping the described error.
   */
  request(r: HttpsRequest): Promise<HttpsAnswer> {
    const { signal } = r;
    return new Promise<HttpsAnswer>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal));
      const headers = { ...r.headers };
      if (r.step) headers['x-poolform-step'] = /^[\x20-\x7e]*$/.test(r.step) ? r.step : encodeURIComponent(r.step);
      r.onSend?.();
      const req = https.request({ host: this.host, port: this.port, path: r.path, method: r.method, headers, agent: this.agent });
      let established = false; // the TLS session was up: a reset then happened mid-request, not at connect
      let done = false;
      const settle = (err: Error | undefined, value?: HttpsAnswer): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) {
          req.destroy();
          reject(err);
        } else resolve(value!);
      };
      const timer = setTimeout(() => settle(r.timeoutError()), r.timeoutMs);
      const onAbort = (): void => settle(abortError(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('socket', (s) => {
        if (req.reusedSocket) established = true;
        else (s as TLSSocket).once('secureConnect', () => void (established = true));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (done) return;
        const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
        const described = r.describeError(err);
        settle(reset && established && !isTrustError(err) ? new ConnectionReset(described, req.reusedSocket && err.code === 'ECONNRESET') : described);
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err: NodeJS.ErrnoException) => settle(new ConnectionReset(r.describeError(err), false)));
        res.on('end', () => settle(undefined, { status: res.statusCode ?? 0, reason: res.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.end(r.body ?? '');
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A keep-alive agent whose sockets are opened by tls.ts (policy, pinning, TCP_NODELAY). */
class PinnedAgent extends https.Agent {
  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly policy: TrustPolicy,
    private readonly label: string,
    idleMs: number | undefined,
  ) {
    super(idleMs === undefined ? { keepAlive: true } : { keepAlive: true, timeout: idleMs });
  }

  override createConnection(): Duplex {
    return connectTls(this.targetHost, this.targetPort, this.policy, this.label);
  }
}

/** host (IPv6 brackets removed) and port (443 by default) of an https URL. */
export function hostPort(url: URL): { host: string; port: number } {
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port ? Number(url.port) : 443 };
}

/** What a socket error of an API request means, for the client's own words. */
export type SocketFailure = 'refused' | 'unresolved' | 'no-route' | 'timeout' | 'reset' | 'tls' | 'other';

export function socketFailure(err: NodeJS.ErrnoException): SocketFailure {
  const code = err.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unresolved';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
      return 'no-route';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
  }
  return code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code === 'EPROTO' || /ssl|tls/i.test(err.message) ? 'tls' : 'other';
}
