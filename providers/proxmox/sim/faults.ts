// Injected trouble for tests and the lab, all things a real lab can do to the provider: slower or
// instant tasks, transient API failures, tasks that fail, a node whose API is down, a storage
// server one node cannot reach, latency between two nodes on the cluster network, clock skew, and
// a node that loses its management address after a network reload (until rolled back over SSH).

import { PveFailure } from './backend.js';
import { DEFAULT_LATENCIES } from './tasks.js';
import { queueCounted, takeCounted } from '../../common/sim-faults.js';

interface Transient {
  path: RegExp;
  method?: string;
  status: number;
  message: string;
  left: number;
}

export interface FaultHooks {
  setClockSkew(node: string, ms: number): void;
  /** Something observable changed (reachability): tell the wire and the lab. */
  changed(): void;
}

export class Faults {
  /** Multiplies every default task latency; 0 makes the lab instant (tasks still need polling). */
  latencyScale = 1;
  private readonly latency = new Map<string, number>();
  private readonly transients: Transient[] = [];
  private readonly taskFailures = new Map<string, { message: string; left: number }[]>();
  private readonly apiDown = new Set<string>();
  private readonly unreachable = new Set<string>();
  private readonly linkLatency = new Map<string, number>();
  private readonly lostMgmt = new Set<string>();

  constructor(private readonly hooks: FaultHooks) {}

  /** Overrides a task type's latency in ms (absolute, not scaled); undefined restores the default. */
  setLatency(taskType: string, ms: number | undefined): void {
    if (ms === undefined) this.latency.delete(taskType);
    else this.latency.set(taskType, ms);
  }

  /** The latency of a task type, in ms. */
  taskLatency(taskType: string): number {
    return this.latency.get(taskType) ?? (DEFAULT_LATENCIES[taskType] ?? 0) * this.latencyScale;
  }

  /** The next `count` requests whose path matches (and method, when given) fail with status/message. */
  failRequests(path: RegExp | string, status: number, message: string, count = 1, method?: string): void {
    this.transients.push({ path: typeof path === 'string' ? new RegExp(path) : path, status, message, left: count, ...(method ? { method } : {}) });
  }

  /** Consumes a pending request failure for this request, if one matches. */
  takeRequestFailure(method: string, path: string): PveFailure | undefined {
    const i = this.transients.findIndex((t) => t.path.test(path) && (!t.method || t.method === method));
    if (i < 0) return undefined;
    const t = this.transients[i]!;
    if (--t.left <= 0) this.transients.splice(i, 1);
    return new PveFailure(t.status, t.message);
  }

  /** The next `count` tasks of this type end with `message` as their exit status. */
  failTasks(taskType: string, message: string, count = 1): void {
    queueCounted(this.taskFailures, taskType, { message, left: count });
  }

  takeTaskFailure(taskType: string): string | undefined {
    return takeCounted(this.taskFailures, taskType)?.message;
  }

  /** Takes a node's API down (connections reset; SSH and corosync keep working) or brings it back. */
  setApiDown(node: string, down = true): void {
    if (down) this.apiDown.add(node);
    else this.apiDown.delete(node);
    this.hooks.changed();
  }

  isApiDown(node: string): boolean {
    return this.apiDown.has(node);
  }

  /** Makes a storage server (its address) unreachable from one node, or reachable again. */
  setStorageUnreachable(server: string, node: string, unreachable = true): void {
    const k = `${server}|${node}`;
    if (unreachable) this.unreachable.add(k);
    else this.unreachable.delete(k);
    this.hooks.changed();
  }

  storageReachable(server: string, node: string): boolean {
    return !this.unreachable.has(`${server}|${node}`);
  }

  /** Round-trip latency between two nodes on the cluster network, in ms (what ping reports). */
  setLinkLatency(a: string, b: string, ms: number | undefined): void {
    const k = [a, b].sort().join('|');
    if (ms === undefined) this.linkLatency.delete(k);
    else this.linkLatency.set(k, ms);
  }

  linkLatencyMs(a: string, b: string): number {
    return this.linkLatency.get([a, b].sort().join('|')) ?? 0.2;
  }

  setClockSkew(node: string, ms: number): void {
    this.hooks.setClockSkew(node, ms);
  }

  /**
   * The node's next network reload loses its management address even when the new config is
   * fine (a switch port, a wrong VLAN): its API stops answering until `ifreload -a` over SSH.
   */
  loseManagementOnReload(node: string, on = true): void {
    if (on) this.lostMgmt.add(node);
    else this.lostMgmt.delete(node);
  }

  /** Consumes the armed lost-management fault of a node. */
  takeLostManagement(node: string): boolean {
    return this.lostMgmt.delete(node);
  }
}
