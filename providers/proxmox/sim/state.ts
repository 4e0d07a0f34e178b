// The simulator's shared services, handed to every rule module: the nodes, tasks, locks, faults,
// the lab's credentials, change notification, and the request context a handler works in. Kept
// apart from PveSim (cluster.ts) so the rule modules need not know the backend seam.

import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiRequest } from './backend.js';
import { Faults } from './faults.js';
import { Locks, type LockSpec } from './locks.js';
import { TaskTable, type SimTask } from './tasks.js';
import { fail, type Domain, type SimNode } from './world.js';

/** Where a handler runs: the node that received the request and the node that serves it (proxyto). */
export interface Ctx {
  st: SimState;
  req: ApiRequest;
  /** The node whose endpoint received the request. */
  local: SimNode;
  /** The node named by /nodes/{node}/..., else the receiving node. */
  node: SimNode;
  params: Record<string, string>;
  /** Path placeholders ({node}, {vmid}, {iface}, ...), decoded. */
  path: Record<string, string>;
}

export interface StateOptions {
  password: string;
  token: { id: string; secret: string };
  /** Multiplies every task latency (0 = instant; tasks still need polling). Default 1. */
  latencyScale?: number;
  /** How long a request waits for a held config lock (default 100 ms x latencyScale, min 20 ms). */
  lockWaitMs?: number;
  /** Each node's API certificate SHA-256 fingerprint ("AB:CD:..."), checked by API joins. */
  fingerprints?: Record<string, string>;
}

export class SimState {
  readonly nodes = new Map<string, SimNode>();
  readonly locks = new Locks();
  readonly faults: Faults;
  readonly tasks: TaskTable;
  password: string;
  token: { id: string; secret: string };
  fingerprints: Record<string, string>;
  private readonly lockWaitOverride?: number;
  private readonly listeners = new Set<() => void>();

  constructor(opts: StateOptions) {
    this.password = opts.password;
    this.token = opts.token;
    this.fingerprints = opts.fingerprints ?? {};
    if (opts.lockWaitMs !== undefined) this.lockWaitOverride = opts.lockWaitMs;
    this.faults = new Faults({
      setClockSkew: (node, ms) => {
        this.mustNode(node).clockSkewMs = ms;
      },
      changed: () => this.emit(),
    });
    this.faults.latencyScale = opts.latencyScale ?? 1;
    this.tasks = new TaskTable(
      (n) => this.nodes.get(n)?.bootTime ?? Date.now(),
      (_t: SimTask) => this.emit(),
    );
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  emit(): void {
    for (const cb of [...this.listeners]) {
      try {
        cb();
      } catch {
        // a listener's trouble is its own
      }
    }
  }

  mustNode(name: string): SimNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no simulated node "${name}" (have: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  /** How long a request waits for a held lock: lab default 100 ms x latencyScale, at least 20 ms. */
  lockWaitMs(): number {
    return this.lockWaitOverride ?? Math.max(20, 100 * this.faults.latencyScale);
  }

  /** Takes config locks of a domain (cluster) by path; fails with the platform's timeout message. */
  lock(domain: Domain, paths: string[]): Promise<() => void> {
    const specs: LockSpec[] = paths.map((p) => ({ key: `${domain.id}|${p}`, path: p }));
    return this.locks.acquire(specs, this.lockWaitMs());
  }

  /**
   * Starts a worker task on a node: returns its UPID now, runs `run` after the type's latency, and
   * releases `release` when it ends. An armed task fault fails it instead (then `onFailure` runs).
   */
  startTask(node: SimNode, type: string, id: string, user: string, run: () => void | Promise<void>, opts: { release?: () => void; failure?: string; onFailure?: () => void } = {}): string {
    const injected = this.faults.takeTaskFailure(type);
    const failure = opts.failure ?? injected;
    // A task that fails before its work undoes what it claimed up front (a clone's placeholder VM).
    const release = failure !== undefined && opts.onFailure ? () => (opts.onFailure!(), opts.release?.()) : opts.release;
    return this.tasks.start({
      node: node.name,
      type,
      id,
      user,
      ms: this.faults.taskLatency(type),
      ...(failure !== undefined ? { failure } : {}),
      run,
      ...(release ? { finally: release } : {}),
    });
  }

  /** Resolves after `ms` of task latency for work done outside tasks (pvecm add over SSH). */
  async delay(type: string): Promise<void> {
    const ms = this.faults.taskLatency(type);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  }
}

export function newDomain(token: { id: string; secret: string }): Domain {
  return {
    id: randomUUID(),
    authKey: randomBytes(32).toString('hex'),
    tokens: { [token.id]: token.secret },
    storage: new Map(),
    storageSecrets: {},
    options: {},
    haResources: new Map(),
    haGroups: new Map(),
    haRules: new Map(),
    guests: new Map(),
  };
}

/** The nodes a node's /etc/pve knows: its cluster's nodelist, or itself. */
export function knownNodes(st: SimState, node: SimNode): SimNode[] {
  const c = node.domain.cluster;
  if (!c) return [node];
  const out: SimNode[] = [];
  for (const name of c.nodes.keys()) {
    const n = st.nodes.get(name);
    if (n) out.push(n);
  }
  return out;
}

export function requireNodeKnown(st: SimState, from: SimNode, name: string): SimNode {
  if (name === from.name) return from;
  const c = from.domain.cluster;
  const n = st.nodes.get(name);
  if (!c || !c.nodes.has(name) || !n) fail(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
  return n;
}
