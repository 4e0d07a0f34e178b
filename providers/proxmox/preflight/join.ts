// The preconditions of adding a node to a Proxmox VE cluster (seed 002 and the join's own checks),
// probed read-only on the joining node before anything changes: it is standalone, it holds no
// guests, it runs the cluster's major release, its link addresses are on its interfaces and match
// the cluster's links, its clock agrees with a member's, and the corosync network between it and
// every member answers in under 2 ms. Every failing rule is reported, each naming the node, the
// rule and the remedy. Used by the plan's preflight (preflight/cluster.ts) and again right before
// the join (resources/cluster-node.ts): a plan may be applied long after it was made.

import { PveTransportError, type PveClient } from '../client/types.js';
import { clusterMajor, errText, interfaceAddresses, majorOf, members, parseEpochMs, parsePing, str, type Member } from '../resources/cluster-facts.js';
import type { PveSession } from '../session.js';
import { splitResources, splitStatus, type Rec, type Snapshot } from '../snapshot.js';

/**
 * Clocks further apart than this fail the check. NTP keeps nodes within milliseconds of each
 * other, so a second only flags a clock that is not synchronised at all, while SSH round trips
 * (added as measurement uncertainty) cannot make a synchronised pair fail.
 */
export const MAX_CLOCK_SKEW_MS = 1000;
/** The seed's rule for the corosync network: it works only below 2 ms between nodes. */
export const MAX_LINK_LATENCY_MS = 2;
/** Echo requests per latency probe (`ping -c 3 -q`). */
const PING_COUNT = 3;

export interface JoinRequest {
  node: string;
  /** The cluster name the resource names (checked by the caller). */
  cluster: string;
  link0?: string;
  link1?: string;
  votes: number;
  joinVia: 'ssh' | 'api';
}

/** The cluster a join targets: as it is, or as this plan creates it. */
export interface ClusterView {
  name: string;
  /** False while this plan has yet to create it. */
  exists: boolean;
  /** Its members (for a planned cluster: the node it is created on, with its links). */
  members: Member[];
  hasLink1: boolean;
  major?: { major: number; node: string; version: string };
}

export interface JoinProblem {
  severity: 'error' | 'warning';
  rule: string;
  summary: string;
  remedy: string;
}

/** The existing cluster in `snap` (parts status, corosync, versions), else the one a plan creates. */
export function clusterView(snap: Snapshot, planned?: { name: string; node: string; link0?: string; link1?: string }): ClusterView | undefined {
  if (snap.cluster) {
    const list = members(snap);
    return { name: snap.cluster.name, exists: true, members: list, hasLink1: list.some((m) => m.link1 !== undefined), major: clusterMajor(snap) };
  }
  if (!planned) return undefined;
  const creator: Member = { name: planned.node, votes: 1, online: true, link0: planned.link0, link1: planned.link1 };
  return { name: planned.name, exists: false, members: [creator], hasLink1: planned.link1 !== undefined, major: clusterMajor(snap, [planned.node]) };
}

/** SSH credentials configured at all (otherwise probes are skipped with a warning). */
export function sshConfigured(s: PveSession, node: string): boolean {
  const n = s.config.nodes.get(node);
  return !!(n?.ssh.password || n?.ssh.privateKey);
}

async function probeClock(s: PveSession, node: string, signal?: AbortSignal): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  const t0 = Date.now();
  const out = await s.ssh(node, 'date +%s.%N', signal);
  const t1 = Date.now();
  if (out.code !== 0) throw new Error(`\`date +%s.%N\` on ${node} exited with ${out.code}${out.stderr.trim() ? `: ${out.stderr.trim()}` : ''}`);
  const remote = parseEpochMs(out.stdout);
  if (remote === undefined) throw new Error(`\`date +%s.%N\` on ${node} printed "${out.stdout.trim()}"`);
  return { offsetMs: remote - (t0 + t1) / 2, uncertaintyMs: (t1 - t0) / 2 };
}

/** Reads what the joining node says of itself, through its own endpoint. */
async function readJoiner(c: PveClient, node: string, signal?: AbortSignal) {
  const o = { signal };
  const [status, resources, version, network] = await Promise.all([
    c.get<Rec[]>('/cluster/status', undefined, o),
    c.get<Rec[]>('/cluster/resources', undefined, o),
    c.get<Rec>('/version', undefined, o),
    c.get<Rec[]>(`/nodes/${encodeURIComponent(node)}/network`, undefined, o),
  ]);
  return { status: splitStatus(status ?? []), resources: splitResources(resources ?? []), version: str(version?.version), ifaces: network ?? [] };
}

/**
 * Every join precondition for `j` against `view`. Never throws for a failing rule or an
 * unreachable node: those are problems. (Nodes joining in the same plan are not pinged from each
 * other: each join is checked again right before it runs, against every member by then.)
 */
export async function checkJoin(s: PveSession, view: ClusterView, j: JoinRequest, signal?: AbortSignal): Promise<JoinProblem[]> {
  const problems: JoinProblem[] = [];
  const add = (rule: string, what: string, remedy: string, severity: JoinProblem['severity'] = 'error'): void => {
    problems.push({ severity, rule, summary: `${j.node}: ${rule}: ${what}`, remedy });
  };
  if (!s.config.nodes.has(j.node)) {
    add('node configured', `"${j.node}" is not in the provider's nodes (${s.nodeNames().join(', ')})`, 'add the node to the provider block\'s nodes (api_url, tls_fingerprint, ssh_address) so poolform can reach it');
    return problems;
  }

  let joiner: Awaited<ReturnType<typeof readJoiner>>;
  try {
    joiner = await readJoiner(await s.client(j.node, signal), j.node, signal);
  } catch (e) {
    if (signal?.aborted) throw e;
    add('node reachable', errText(e), 'check that the node is up and that api_url, tls_fingerprint and the API token (or password) in the provider block are right for it');
    return problems;
  }

  // Standalone: a node in a cluster cannot join another one (or this one again).
  const own = joiner.status.cluster;
  if (own) {
    const already = own.name === view.name && view.members.some((m) => m.name === j.node);
    if (already) add('standalone node', `it is already a member of cluster "${own.name}"`, `adopt it instead: an import block (to = this resource, id = "${j.node}"), or remove this resource`);
    else add('standalone node', `it belongs to cluster "${own.name}"`, `a node joins only while standalone: power it off, remove it from "${own.name}" (pvecm delnode on a member there), reinstall it, then join it`);
  }

  // No guests: its /etc/pve is replaced by the cluster's, and its VMIDs could collide with the cluster's.
  const guests = own ? [] : [...joiner.resources.guests.values()].sort((a, b) => a.vmid - b.vmid);
  if (guests.length) {
    add(
      'no guests on a joining node',
      `it holds ${guests.map((g) => `${g.type === 'lxc' ? 'CT' : 'VM'} ${g.vmid}${g.name ? ` (${g.name})` : ''}`).join(', ')}`,
      'back each guest up (vzdump), remove it from the node, join the node, then restore the backups in the cluster with new VMIDs (qmrestore / pct restore); a joining node\'s /etc/pve is replaced by the cluster\'s',
    );
  }

  // Same major release as the cluster.
  const mine = majorOf(joiner.version);
  if (view.major && mine !== undefined && mine !== view.major.major) {
    const older = mine < view.major.major ? j.node : view.major.node;
    add(
      'same major version',
      `it runs Proxmox VE ${joiner.version}, the cluster ${view.major.version} (${view.major.node})`,
      `upgrade ${older} to Proxmox VE ${Math.max(mine, view.major.major)} first: every node of a cluster runs the same major release`,
    );
  }

  // Link addresses: on its own interfaces, not used by a member, and the same links as the cluster.
  const addrs = interfaceAddresses(joiner.ifaces);
  const list = [...addrs.entries()].map(([a, i]) => `${a} (${i})`).join(', ');
  for (const [k, v] of [['link0', j.link0], ['link1', j.link1]] as const) {
    if (!v) continue;
    if (!addrs.has(v.toLowerCase())) {
      add(`${k} address on the node`, `${v} is not configured on any of its interfaces`, `use an address ${j.node} has on the cluster network (it has ${list || 'none'}), or configure ${v} on its corosync interface first`);
    }
    const taken = view.members.find((m) => m.name !== j.node && (m.link0 === v || m.link1 === v));
    if (taken) add(`${k} address unique`, `${v} is already ${taken.name}'s corosync address`, `give ${j.node}'s own address on that network`);
  }
  if (view.hasLink1 && !j.link1) {
    add('same corosync links as the cluster', `cluster "${view.name}" uses two links (link0 and link1) and the join gives only link0`, `set link1 to ${j.node}'s address on the link 1 network`);
  } else if (!view.hasLink1 && j.link1) {
    add('same corosync links as the cluster', `cluster "${view.name}" uses only link0 and the join gives link1 ${j.link1}`, 'remove link1 (adding a second link to a cluster is a manual corosync.conf edit on every node first)');
  }

  // Probes over SSH: the clock against the first member's, the latency to each member on link0.
  const online = view.members.filter((m) => m.online && m.name !== j.node);
  const first = online[0];
  const viaSsh = j.joinVia === 'ssh';
  if (!sshConfigured(s, j.node) || (first && !sshConfigured(s, first.name))) {
    const what = 'no SSH password or private key in the provider block, so the clock and corosync latency probes were skipped';
    if (viaSsh) add('SSH to the joining node', `${what}, and join_via = "ssh" runs pvecm add over SSH`, 'set ssh_password or ssh_private_key in the provider block, or join over the API (join_via = "api")');
    else add('probes skipped', what, 'set ssh_password or ssh_private_key in the provider block to have them checked', 'warning');
    return problems;
  }
  const sshProblem = (what: string, e: unknown): void => {
    const hostKey = e instanceof PveTransportError && e.kind === 'host-key';
    if (viaSsh || hostKey) add('SSH to the joining node', `${what}: ${errText(e)}`, hostKey ? 'check the node\'s host key in known_hosts_file (ssh-keyscan, compared out of band)' : 'check ssh_address, the SSH credentials and known_hosts_file for this node');
    else add('probes skipped', `${what} failed, so it was not checked: ${errText(e)}`, 'check ssh_address, the SSH credentials and known_hosts_file for this node', 'warning');
  };

  if (first) {
    try {
      const [a, b] = await Promise.all([probeClock(s, j.node, signal), probeClock(s, first.name, signal)]);
      const skew = a.offsetMs - b.offsetMs;
      if (Math.abs(skew) > MAX_CLOCK_SKEW_MS + a.uncertaintyMs + b.uncertaintyMs) {
        add('clock in sync', `its clock is ${(Math.abs(skew) / 1000).toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} ${first.name}'s`, 'synchronise the clocks of all nodes (chrony / NTP) before joining');
      }
    } catch (e) {
      if (signal?.aborted) throw e;
      sshProblem('the clock comparison over SSH', e);
      return problems;
    }
  }

  const targets = online.map((m) => ({ node: m.name, link0: m.link0 })).filter((t): t is { node: string; link0: string } => !!t.link0);
  await Promise.all(
    targets.map(async (t) => {
      try {
        const out = await s.ssh(j.node, `ping -c ${PING_COUNT} -q ${t.link0}`, signal);
        const { loss, avgMs } = parsePing(`${out.stdout}\n${out.stderr}`);
        if (avgMs === undefined || loss === 100) {
          add('corosync network latency', `${t.node}'s link0 address ${t.link0} does not answer ping from ${j.node}`, `connect ${j.node}'s link0 interface to the cluster network ${t.node} is on (and allow ICMP and UDP 5404-5405 there)`);
        } else if (avgMs >= MAX_LINK_LATENCY_MS) {
          add('corosync network latency', `${avgMs} ms to ${t.node} (${t.link0}); corosync needs less than ${MAX_LINK_LATENCY_MS} ms`, 'use a dedicated low-latency network (same LAN, no WAN links) for corosync link0');
        }
      } catch (e) {
        if (signal?.aborted) throw e;
        sshProblem(`the latency probe to ${t.node}`, e);
      }
    }),
  );
  return problems;
}
