// The seam between the Proxmox simulator's model (sim/cluster.ts and friends: what a node and a
// cluster know and enforce) and its wire (sim/server.ts: HTTPS, /api2/json, auth, CSRF, parameter
// checks; sim/ssh-agent.ts: SSH). The wire knows no cluster rules; the model knows no sockets.

/** What reached the model: an authenticated, parameter-checked API request. */
export interface ApiRequest {
  /** The node whose endpoint received the request (any clustered node answers for the cluster). */
  node: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path below /api2/json, e.g. "/nodes/pve1/network" (no query string). */
  path: string;
  /** Query or body parameters as strings (booleans arrive as "0"/"1"); path parameters are not repeated here. */
  params: Record<string, string>;
  /** Who: "root@pam", or the token's owner with its id "root@pam!poolform". */
  user: string;
  /** The X-Poolform-Step header, if any (the bench's accounting). */
  step?: string;
}

/** The model's answer. The wire turns it into the Proxmox envelope and status line. */
export interface ApiResponse {
  /** 200 on success; 400 parameter errors; 403 permission; 500 the handler's die message; 501 unknown; 595 node unreachable. */
  status: number;
  data?: unknown;
  /** The error message (reason phrase and body.message) when status is not 2xx. */
  message?: string;
  /** Per-parameter messages (400 "Parameter verification failed."). */
  errors?: Record<string, string>;
  /** Extra top-level envelope keys, e.g. `changes` (the staged network diff), `total`. */
  extra?: Record<string, unknown>;
}

/** A failure raised inside the model; the wire answers it as `status` with `message`. */
export class PveFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
    this.name = 'PveFailure';
  }
}

/** One simulated node as the wire needs it. */
export interface SimNodeInfo {
  name: string;
  /** Its address on the simulated management network (what /cluster/status calls `ip`). */
  ip: string;
  /** False while powered off, or while a fault cuts its API (connections are reset). */
  reachable: boolean;
}

/** The result of a command run on a node over SSH. */
// What a command run over SSH printed and exited with (the shared sshd's contract).
import type { ShellResult } from '../../common/ssh-exec-server.js';
export type { ShellResult };

export interface PveBackend {
  /** Every simulated node, clustered or standalone. */
  nodes(): SimNodeInfo[];
  /** Answers one request (never throws for a bad request: failures come back as a status). */
  handle(req: ApiRequest): Promise<ApiResponse>;
  /** root@pam (or another user@pam) password check on that node (cluster-wide once joined). */
  checkPassword(node: string, user: string, password: string): boolean;
  /** API token check ("root@pam!poolform" + secret) on that node (token.cfg is cluster-wide once joined). */
  checkToken(node: string, tokenId: string, secret: string): boolean;
  /**
   * The key that signs tickets on that node: cluster-wide once joined, so a ticket from one node is
   * good on every node of its cluster, and refused by a node of another cluster.
   */
  authKey(node: string): string;
  /** The cluster name, when the node is clustered (the ticket answer's `clustername`). */
  clusterName(node: string): string | undefined;
  /** Runs a shell command on the node (the SSH agent's backend): pvecm, date, ping, ifreload. */
  shell(node: string, command: string): Promise<ShellResult>;
}
