// The Proxmox provider's view of its transports: a REST client for one node's API (HTTPS,
// /api2/json, API token or ticket + CSRF) and SSH to nodes for pvecm and probes. Implemented in
// client/api.ts and client/ssh.ts; resources, observation and preflight use only these types.

import type { SshTarget } from '../../common/ssh.js';
import type { TransportKind } from '../../common/tls.js';

export type { ShellOutput } from '../../common/ssh.js';

/** One node's API endpoint and how to trust it. */
export interface PveEndpoint {
  /** The node's name (for messages: "pve2"). */
  node: string;
  /** "https://host:port" (Proxmox listens on 8006). */
  url: string;
  /**
   * SHA-256 fingerprints of the node's certificate ("AB:CD:...", colons optional, "sha256:" prefix
   * allowed). When given, a certificate matching one of them is trusted (the way to trust a
   * self-signed node) and checked before any request byte; when empty, the CA store (or caFile) verifies.
   */
  fingerprints?: string[];
  caFile?: string;
  /** Per-request timeout (default 30 000 ms). */
  timeoutMs?: number;
}

/** API token (PVEAPIToken header, no CSRF) or a user's password (ticket cookie + CSRF token). */
export type PveAuth =
  | { kind: 'token'; tokenId: string; secret: string } // tokenId "root@pam!poolform"
  | { kind: 'password'; username: string; password: string }; // username "root@pam"

/** Parameters as the API takes them; booleans are sent as 0/1, arrays repeat the key. */
export type Params = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  signal?: AbortSignal;
  /** The poolform step on whose behalf the call runs (sent as the X-Poolform-Step header). */
  step?: string;
  /**
   * Retry the config-lock failures ("can't lock file '...' - got timeout") with backoff instead of
   * failing (default true): Proxmox serialises writes per config file, so concurrent steps collide.
   */
  retryLocks?: boolean;
}

export interface TaskOptions extends RequestOptions {
  /** Learns the UPID as soon as the API returns it (the apply journal records it before the wait). */
  onTask?(upid: string): void;
  /** Progress lines for the apply display. */
  log?(line: string): void;
  /** First pause between status polls (default 100 ms, growing to 1 s). */
  pollMs?: number;
  /** Give up waiting after this long (default 10 min); the task keeps running on the node. */
  timeoutMs?: number;
}

export interface TaskStatus {
  upid: string;
  node: string;
  type: string;
  id: string;
  status: 'running' | 'stopped';
  /** "OK" on success; otherwise the error text or "WARNINGS: n". */
  exitstatus?: string;
}

export interface PveClient {
  readonly endpoint: PveEndpoint;
  /** Requests sent by this client so far, login included. */
  readonly requests: number;
  get<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T>;
  post<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T>;
  put<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T>;
  delete<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T>;
  /** A GET answering the whole envelope: `data` plus keys beside it (e.g. the staged network diff `changes`). */
  getEnvelope<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<{ data: T } & Record<string, unknown>>;
  /**
   * A call that answers a UPID: sends it, reports the UPID (onTask), polls the task on the node the
   * UPID names until it stops, and resolves to the final status; rejects with PveTaskError unless
   * exitstatus is "OK" (or "WARNINGS: n"). Lock failures at submit time are retried like any call.
   */
  task(method: 'POST' | 'PUT' | 'DELETE', path: string, params?: Params, opts?: TaskOptions): Promise<TaskStatus>;
  /** Waits for a UPID obtained elsewhere (e.g. from a journal). */
  waitTask(upid: string, opts?: TaskOptions): Promise<TaskStatus>;
  close(): void;
}

/** An error the API answered: status, its message, per-parameter errors; with what to do. */
export class PveApiError extends Error {
  constructor(
    readonly status: number,
    /** The API's own message ("storage ID 'nfs1' already defined"). */
    readonly apiMessage: string,
    readonly node: string,
    readonly method: string,
    readonly path: string,
    readonly errors?: Record<string, string>,
    readonly remedy?: string,
  ) {
    const params = errors ? Object.entries(errors).map(([k, v]) => `${k}: ${v.trim()}`).join('; ') : '';
    super(`${method} ${path} on ${node} failed (${status}): ${apiMessage.trim()}${params ? ` (${params})` : ''}${remedy ? `. ${remedy}` : ''}`);
    this.name = 'PveApiError';
  }
}

/** A task that ended with an error. */
export class PveTaskError extends Error {
  constructor(
    readonly upid: string,
    readonly node: string,
    readonly exitstatus: string,
    readonly what: string,
    readonly remedy?: string,
  ) {
    super(`${what} on ${node} failed: ${exitstatus} (task ${upid})${remedy ? `. ${remedy}` : ''}`);
    this.name = 'PveTaskError';
  }
}

/** The node could not be talked to at all: refused, unreachable, timed out, TLS or host-key mismatch, bad credentials. */
export class PveTransportError extends Error {
  constructor(
    message: string,
    readonly node: string,
    readonly kind: TransportKind,
  ) {
    super(message);
    this.name = 'PveTransportError';
  }
}

/** SSH access to one node, strictly checked against a known_hosts file. */
export interface PveSshEndpoint extends SshTarget {
  node: string;
}
