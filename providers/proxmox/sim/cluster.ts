// The simulated Proxmox VE lab behind the backend seam (backend.ts): nodes that start standalone,
// form clusters, hold storage, networks, HA and guests, and answer API requests and shell commands
// the way Proxmox VE 8/9 does. The wire (server.ts, ssh-agent.ts) serves this model over HTTPS and
// SSH; the rules live in the modules this file wires together (corosync, join, network, storage,
// qemu, ha, options, nodes, shell, routes, persist).

import { timingSafeEqual } from 'node:crypto';
import type { ApiRequest, ApiResponse, PveBackend, ShellResult, SimNodeInfo } from './backend.js';
import { quorumView } from './corosync.js';
import type { Faults } from './faults.js';
import { makeRogue } from './join.js';
import { DEFAULT_NICS, defaultNetwork, parseInterfaces, recomputeManagement } from './network.js';
import { apiAnswers } from './nodes.js';
import { domainFromJSON, domainToJSON, nodeFromJSON, nodeToJSON, WORLD_FORMAT, type WorldJSON } from './persist.js';
import { seedGuests } from './qemu.js';
import { Router } from './routes.js';
import { runShell } from './shell.js';
import { newDomain, SimState, type StateOptions } from './state.js';
import { defaultStorage } from './storage.js';
import type { Domain, SimNode } from './world.js';

export { DEFAULT_LATENCIES } from './tasks.js';

/** The lab's root@pam password on every node. */
export const LAB_PASSWORD = 'poolform-lab';
export const DEFAULT_VERSION = '9.1.1';

export interface NodeSpec {
  name: string;
  /** Management address (vmbr0); the n-th node's lab default is 10.20.0.(10+n). */
  ip: string;
  /** pve-manager version: "9.1.1" (default) or e.g. "8.4.1" for PVE 8. */
  version?: string;
  /** Physical NICs (default eno1..eno6). */
  nics?: string[];
  /** openvswitch-switch installed (default false). */
  ovs?: boolean;
  clockSkewMs?: number;
  /** VMs to seed on this node (bench). */
  guests?: number;
}

export interface SimOptions extends StateOptions {
  nodes: NodeSpec[];
}

/** What tests and the lab may inspect about a node. */
export interface NodeState {
  name: string;
  ip: string;
  version: string;
  powered: boolean;
  reachable: boolean;
  clustered: boolean;
  rogue: boolean;
  managementLost: boolean;
  reloads: number;
  pendingNetworkChanges: boolean;
}

function secretEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class PveSim implements PveBackend {
  private readonly st: SimState;
  private readonly router: Router;

  constructor(opts: SimOptions) {
    this.st = new SimState(opts);
    this.router = new Router(this.st, { off: (n) => this.powerOff(n), on: (n) => this.powerOn(n) });
    opts.nodes.forEach((spec, i) => {
      if (this.st.nodes.has(spec.name)) throw new Error(`duplicate node name "${spec.name}"`);
      const domain: Domain = newDomain(opts.token);
      domain.storage = defaultStorage();
      const nics = spec.nics?.length ? [...spec.nics] : [...DEFAULT_NICS];
      const node: SimNode = {
        name: spec.name,
        ip: spec.ip,
        index: i + 1,
        version: spec.version ?? DEFAULT_VERSION,
        nics,
        ovs: spec.ovs ?? false,
        clockSkewMs: spec.clockSkewMs ?? 0,
        powered: true,
        removed: false,
        rogue: false,
        mgmtIface: 'vmbr0',
        mgmtLost: false,
        running: defaultNetwork(i + 1, spec.ip, nics),
        files: new Map(),
        reloads: 0,
        bootTime: Date.now() - 3600_000,
        domain,
      };
      this.st.nodes.set(spec.name, node);
      if (spec.guests) seedGuests(node, spec.guests);
    });
  }

  /** Injected trouble (latencies, failures, API down, storage reachability, link latency, skew). */
  get faults(): Faults {
    return this.st.faults;
  }

  nodes(): SimNodeInfo[] {
    return [...this.st.nodes.values()].map((n) => ({ name: n.name, ip: n.ip, reachable: apiAnswers(this.st, n) }));
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const local = this.st.nodes.get(req.node);
    if (!local) return { status: 595, message: `no such node '${req.node}'` };
    if (!apiAnswers(this.st, local)) return { status: 595, message: 'Connection refused' };
    const injected = this.st.faults.takeRequestFailure(req.method, req.path);
    if (injected) return { status: injected.status, message: injected.message };
    const res = await this.router.dispatch(req, local);
    if (req.method !== 'GET' && res.status < 300) this.st.emit();
    return res;
  }

  checkPassword(node: string, user: string, password: string): boolean {
    return this.st.nodes.has(node) && user === 'root@pam' && secretEquals(password, this.st.password);
  }

  checkToken(node: string, tokenId: string, secret: string): boolean {
    const want = this.st.nodes.get(node)?.domain.tokens[tokenId];
    return want !== undefined && secretEquals(secret, want);
  }

  authKey(node: string): string {
    return this.st.mustNode(node).domain.authKey;
  }

  clusterName(node: string): string | undefined {
    return this.st.nodes.get(node)?.domain.cluster?.name;
  }

  async shell(node: string, command: string): Promise<ShellResult> {
    const n = this.st.nodes.get(node);
    if (!n) return { stdout: '', stderr: `ssh: Could not resolve hostname ${node}: Name or service not known\n`, code: 255 };
    try {
      return await runShell(this.st, n, command);
    } finally {
      this.st.emit();
    }
  }

  /** Cuts the node's power: API and SSH stop answering, it leaves corosync membership, its VMs stop. */
  powerOff(node: string): void {
    const n = this.st.mustNode(node);
    if (!n.powered) return;
    n.powered = false;
    for (const g of n.domain.guests.values()) {
      if (g.node === n.name && g.status === 'running') {
        g.status = 'stopped';
        delete g.startedAt;
      }
    }
    this.st.emit();
  }

  /**
   * Powers the node on: it boots from /etc/network/interfaces. A node deleted from its cluster
   * while off comes back rogue (it still believes in the old cluster), as the platform warns.
   */
  powerOn(node: string): void {
    const n = this.st.mustNode(node);
    if (n.powered) return;
    n.powered = true;
    n.bootTime = Date.now();
    if (n.removed) makeRogue(n);
    if (n.ifacesFile !== undefined) {
      n.running = parseInterfaces(n.ifacesFile, n.nics);
      delete n.ifacesFile;
    }
    recomputeManagement(n);
    this.st.emit();
  }

  isPoweredOn(node: string): boolean {
    return this.st.nodes.get(node)?.powered ?? false;
  }

  /** Upgrades (or downgrades) a node's pve-manager version in place, as an admin's apt run would. */
  upgrade(node: string, version: string): void {
    this.st.mustNode(node).version = version;
    this.st.emit();
  }

  /** Network reloads applied on the node (API applies and `ifreload -a`). */
  reloadCount(node: string): number {
    return this.st.mustNode(node).reloads;
  }

  /** Seeds `count` VMs on the node (lowest free VMIDs); returns their ids. */
  addGuests(node: string, count: number): number[] {
    const ids = seedGuests(this.st.mustNode(node), count);
    this.st.emit();
    return ids;
  }

  /** Called after every change (API writes, task ends, power, shell); returns the unsubscribe. */
  onChange(cb: () => void): () => void {
    return this.st.onChange(cb);
  }

  /** Resolves once every task started so far has ended. */
  idle(): Promise<void> {
    return this.st.tasks.idle();
  }

  /** A node's observable state (tests, lab status). */
  nodeState(node: string): NodeState {
    const n = this.st.mustNode(node);
    return {
      name: n.name,
      ip: n.ip,
      version: n.version,
      powered: n.powered,
      reachable: apiAnswers(this.st, n),
      clustered: !!n.domain.cluster,
      rogue: n.rogue,
      managementLost: n.mgmtLost,
      reloads: n.reloads,
      pendingNetworkChanges: !!n.staged,
    };
  }

  /** Quorum as the node sees it. */
  quorum(node: string): { clustered: boolean; quorate: boolean; expected: number; total: number; members: string[] } {
    const v = quorumView(this.st, this.st.mustNode(node));
    return { clustered: v.clustered, quorate: v.quorate, expected: v.expected, total: v.total, members: [...v.memberNames].sort() };
  }

  toJSON(): WorldJSON {
    const domains = new Map<string, Domain>();
    for (const n of this.st.nodes.values()) domains.set(n.domain.id, n.domain);
    return {
      format: WORLD_FORMAT,
      version: 1,
      password: this.st.password,
      token: { ...this.st.token },
      latencyScale: this.st.faults.latencyScale,
      domains: [...domains.values()].map(domainToJSON),
      nodes: [...this.st.nodes.values()].map(nodeToJSON),
      tasks: this.st.tasks.all().slice(-500),
    };
  }

  /** Restores a saved world; `opts` overrides credentials, latency, lock wait and fingerprints. */
  static fromJSON(json: unknown, opts: Partial<SimOptions> = {}): PveSim {
    const w = json as WorldJSON;
    if (!w || w.format !== WORLD_FORMAT || w.version !== 1) throw new Error(`not a saved Proxmox lab world (format ${String((w as { format?: unknown })?.format)})`);
    const sim = new PveSim({
      nodes: [],
      password: opts.password ?? w.password,
      token: opts.token ?? w.token,
      latencyScale: opts.latencyScale ?? w.latencyScale,
      ...(opts.lockWaitMs !== undefined ? { lockWaitMs: opts.lockWaitMs } : {}),
      ...(opts.fingerprints ? { fingerprints: opts.fingerprints } : {}),
    });
    const domains = new Map(w.domains.map((d) => [d.id, domainFromJSON(d)]));
    for (const nj of w.nodes) sim.st.nodes.set(nj.name, nodeFromJSON(nj, domains));
    sim.st.tasks.restore(w.tasks ?? []);
    return sim;
  }
}
