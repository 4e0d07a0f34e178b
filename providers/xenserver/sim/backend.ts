// The seam between the simulator's object model (sim/xapi.ts and friends: what XAPI knows and
// enforces) and its wire (sim/server.ts: HTTPS, JSON-RPC, XML-RPC; sim/ssh-agent.ts: SSH). The
// wire knows nothing of XAPI's classes; the model knows nothing of sockets.

/** An XAPI failure as the platform reports it: `[CODE, param1, param2, ...]` (see xapi-errors.json). */
export class XapiFailure extends Error {
  constructor(
    readonly code: string,
    readonly params: string[] = [],
  ) {
    super(`${code}${params.length ? ` [${params.join(', ')}]` : ''}`);
    this.name = 'XapiFailure';
  }
}

/** Any error as the failure a caller sees: a model bug (not an XapiFailure) is INTERNAL_ERROR, as XAPI reports its own bugs. */
export function asFailure(e: unknown): XapiFailure {
  if (e instanceof XapiFailure) return e;
  return new XapiFailure('INTERNAL_ERROR', [e instanceof Error ? e.message : String(e)]);
}

/** One simulated host as the wire needs it. */
export interface SimHostInfo {
  uuid: string;
  name: string;
  /** How clients reach its XAPI: "127.0.0.1:<port>" in the lab (each host its own port). */
  address: string;
}

/** The result of a command run on a host's dom0 over SSH. */
// What a command run over SSH printed and exited with (the shared sshd's contract).
import type { ShellResult } from '../../common/ssh-exec-server.js';
export type { ShellResult };

/** What the wire knows about a call besides its content. */
export interface CallMeta {
  /** The X-Poolform-Step header: the poolform step the call runs for (the bench's accounting). */
  step?: string;
}

export interface XapiBackend {
  /**
   * One API call that arrived at the host `hostUuid` (the endpoint that received it). `method` is
   * the wire name ("session.login_with_password", "VM.get_all_records", "Async.pool.join"); `params`
   * are positional, the session ref first except for session.login*. Resolves to the call's result
   * or rejects with an XapiFailure (never another error for a bad call).
   */
  call(hostUuid: string, method: string, params: unknown[], meta?: CallMeta): Promise<unknown>;
  /** Every simulated host, pool members and standalone hosts alike. */
  hosts(): SimHostInfo[];
  /** False while a fault (host down, lost management connection) makes the host's API unreachable. */
  reachable(hostUuid: string): boolean;
  /** Runs a command on the host's dom0 (the SSH agent's backend): `date +%s.%N`, `xe ...`, `ping`. */
  shell(hostUuid: string, command: string): Promise<ShellResult>;
}
