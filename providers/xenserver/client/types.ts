// The provider's view of its transports: an XAPI client (JSON-RPC over HTTPS to the pool
// coordinator) and SSH probes of hosts. Implemented in client/xapi.ts and client/ssh.ts; the
// resources, observation and preflight code use only these types.

import type { SshTarget } from '../../common/ssh.js';
import type { TransportKind } from '../../common/tls.js';

export type { ShellOutput } from '../../common/ssh.js';

/** Where and how to log in to XAPI. */
export interface XapiEndpoint {
  /** "https://host[:port]"; any host of the pool (a member answers HOST_IS_SLAVE and the client follows). */
  url: string;
  username: string;
  password: string;
  /**
   * Accepted certificate fingerprints: SHA-256 of the DER certificate, hex, colons optional, an
   * optional "sha256:" prefix. When given, a certificate matching one of them is trusted (the way to
   * trust a self-signed host); when empty, the CA store (or `caFile`) verifies the chain and name.
   */
  fingerprints?: string[];
  /** PEM bundle of CAs to trust instead of the system store. */
  caFile?: string;
  /** Per-request timeout (default 30 000 ms). */
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** The poolform step on whose behalf the call runs (sent as the X-Poolform-Step header). */
  step?: string;
}

export interface AsyncCallOptions extends CallOptions {
  /** Learns the task ref as soon as the task exists (the apply journal records it). */
  onTask?(taskRef: string): void;
  /** Only for a host that refuses event.from: the first pause between task polls (default 100 ms, doubling up to 1 s). */
  pollMs?: number;
}

export interface XapiClient {
  /** The endpoint actually logged into: the coordinator, after any HOST_IS_SLAVE redirect. */
  readonly url: string;
  /** Requests sent by this client so far, login included. */
  readonly requests: number;
  /** A synchronous call; the session ref is prepended to `params`. */
  call<T = unknown>(method: string, params?: unknown[], opts?: CallOptions): Promise<T>;
  /**
   * `Async.<method>`: starts the task, waits for its end, and resolves to its decoded result (the
   * ref or value inside the task's `<value>` XML; '' for void). A failed task rejects with its
   * XapiError; an abort cancels the task (task.cancel) and rejects.
   */
  callAsync(method: string, params?: unknown[], opts?: AsyncCallOptions): Promise<string>;
  logout(): Promise<void>;
}

/** An XAPI failure, with where it happened and what an administrator can do about it. */
export class XapiError extends Error {
  constructor(
    readonly code: string,
    readonly params: string[],
    /** The host (URL) that answered. */
    readonly host: string,
    /** The call that failed ("pool.join"). */
    readonly method: string,
    /** What to do, when known (client/remedies.ts). */
    readonly remedy?: string,
  ) {
    super(`${method} on ${host} failed: ${code}${params.length ? ` [${params.join(', ')}]` : ''}${remedy ? `. ${remedy}` : ''}`);
    this.name = 'XapiError';
  }
}

/** The host could not be talked to at all: refused, unreachable, timed out, TLS or host-key mismatch. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly host: string,
    readonly kind: TransportKind,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** SSH access to one host, checked against a known_hosts file (strict: unknown or changed keys refuse). */
export type SshEndpoint = SshTarget;
