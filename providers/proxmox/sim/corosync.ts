// Corosync membership and votequorum as the lab computes them: a configured node is a member while
// it is powered on, still in its cluster, and at least one of its link addresses is up on it; the
// cluster is quorate while member votes reach floor(expected/2)+1, expected being the configured
// votes (or `pvecm expected`, never below the members' votes). A node cut off sees only itself.
// Also corosync.conf's text, /cluster/status, and pvecm's status and nodes output.

import { hasAddress } from './network.js';
import type { Ctx, SimState } from './state.js';
import { fail, type ClusterConf, type CoroNode, type SimNode } from './world.js';

export interface QuorumView {
  clustered: boolean;
  /** Members as this node sees them (itself alone when cut off). */
  members: CoroNode[];
  memberNames: Set<string>;
  configuredVotes: number;
  total: number;
  expected: number;
  quorum: number;
  quorate: boolean;
}

export function linkUp(node: SimNode, cn: CoroNode): boolean {
  return Object.values(cn.links).some((a) => hasAddress(node, a));
}

function inMembership(st: SimState, from: SimNode, cn: CoroNode): boolean {
  const n = st.nodes.get(cn.name);
  return !!n && n.domain === from.domain && n.powered && !n.rogue && linkUp(n, cn);
}

export function quorumView(st: SimState, node: SimNode): QuorumView {
  const c = node.domain.cluster;
  if (!c) return { clustered: false, members: [], memberNames: new Set([node.name]), configuredVotes: 1, total: 1, expected: 1, quorum: 1, quorate: true };
  let configured = 0;
  for (const cn of c.nodes.values()) configured += cn.votes;
  let members = [...c.nodes.values()].filter((cn) => inMembership(st, node, cn));
  if (!members.some((m) => m.name === node.name)) {
    const me = c.nodes.get(node.name);
    members = me && node.powered ? [me] : [];
  }
  const total = members.reduce((s, m) => s + m.votes, 0);
  const expected = Math.max(c.expectedOverride ?? configured, total);
  const quorum = Math.floor(expected / 2) + 1;
  return { clustered: true, members, memberNames: new Set(members.map((m) => m.name)), configuredVotes: configured, total, expected, quorum, quorate: total >= quorum };
}

/** Cluster-wide writes need quorum ("cluster not ready - no quorum?"); standalone nodes always have it. */
export function requireQuorum(st: SimState, node: SimNode): void {
  if (!quorumView(st, node).quorate) fail(500, 'cluster not ready - no quorum?');
}

/** "10.20.10.11" or "address=10.20.10.11,priority=10" */
export function parseLink(v: string): { address: string; priority?: number } {
  let address = '';
  let priority: number | undefined;
  for (const part of v.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) address = part;
    else if (part.slice(0, eq) === 'address') address = part.slice(eq + 1);
    else if (part.slice(0, eq) === 'priority') priority = Number(part.slice(eq + 1));
  }
  return priority === undefined ? { address } : { address, priority };
}

/** link0..link7 parameters present in a request. */
export function linkParams(params: Record<string, string>): Record<string, { address: string; priority?: number }> {
  const out: Record<string, { address: string; priority?: number }> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = /^link(\d)$/.exec(k);
    if (m && v) out[m[1]!] = parseLink(v);
  }
  return out;
}

export function renderCorosyncConf(c: ClusterConf): string {
  const nodes = [...c.nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const nodeBlocks = nodes.map((n) => {
    const links = Object.entries(n.links)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([k, a]) => `    ring${k}_addr: ${a}\n`)
      .join('');
    return `  node {\n    name: ${n.name}\n    nodeid: ${n.nodeid}\n    quorum_votes: ${n.votes}\n${links}  }\n`;
  });
  const ifaces = Object.entries(c.links)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([k, prio]) => `  interface {\n${prio ? `    knet_link_priority: ${prio}\n` : ''}    linknumber: ${k}\n  }\n`)
    .join('');
  return (
    `logging {\n  debug: off\n  to_syslog: yes\n}\n\n` +
    `nodelist {\n${nodeBlocks.join('')}}\n\n` +
    `quorum {\n  provider: corosync_votequorum\n}\n\n` +
    `totem {\n  cluster_name: ${c.name}\n  config_version: ${c.configVersion}\n${ifaces}  ip_version: ipv4-6\n  link_mode: passive\n  secauth: on\n  version: 2\n}\n`
  );
}

export function totemView(c: ClusterConf): Record<string, unknown> {
  const iface: Record<string, unknown> = {};
  for (const [k, prio] of Object.entries(c.links)) iface[k] = { linknumber: k, ...(prio ? { knet_link_priority: String(prio) } : {}) };
  return { cluster_name: c.name, config_version: String(c.configVersion), interface: iface, ip_version: 'ipv4-6', link_mode: 'passive', secauth: 'on', version: '2' };
}

/** GET /cluster/status */
export function clusterStatus(ctx: Ctx): unknown[] {
  const { st, local } = ctx;
  const c = local.domain.cluster;
  if (!c) return [{ type: 'node', id: `node/${local.name}`, name: local.name, ip: local.ip, level: '', local: 1, nodeid: 0, online: 1 }];
  const view = quorumView(st, local);
  const rows: unknown[] = [{ type: 'cluster', id: 'cluster', name: c.name, nodes: c.nodes.size, quorate: view.quorate ? 1 : 0, version: c.configVersion }];
  for (const cn of [...c.nodes.values()].sort((a, b) => a.nodeid - b.nodeid)) {
    const n = st.nodes.get(cn.name);
    rows.push({ type: 'node', id: `node/${cn.name}`, name: cn.name, ip: n?.ip ?? cn.links['0'] ?? '', level: '', local: cn.name === local.name ? 1 : 0, nodeid: cn.nodeid, online: view.memberNames.has(cn.name) ? 1 : 0 });
  }
  return rows;
}

const STANDALONE_ERROR = "Error: Corosync config '/etc/pve/corosync.conf' does not exist - is this node part of a cluster?\n";

export function pvecmStandalone(): { stdout: string; stderr: string; code: number } {
  return { stdout: '', stderr: STANDALONE_ERROR, code: 2 };
}

const hexId = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** `pvecm status`, in the layout of the platform documentation (the seed). */
export function pvecmStatus(st: SimState, node: SimNode): string {
  const c = node.domain.cluster!;
  const v = quorumView(st, node);
  const me = c.nodes.get(node.name);
  const date = new Date(Date.now() + node.clockSkewMs).toString().replace(/ GMT.*$/, '');
  const members = [...v.members].sort((a, b) => a.nodeid - b.nodeid);
  const lines = [
    'Cluster information',
    '~~~~~~~~~~~~~~~~~~~',
    `Name: ${c.name}`,
    `Config Version: ${c.configVersion}`,
    'Transport: knet',
    'Secure auth: on',
    '',
    'Quorum information',
    '~~~~~~~~~~~~~~~~~~',
    `Date: ${date}`,
    'Quorum provider: corosync_votequorum',
    `Nodes: ${members.length}`,
    `Node ID: ${hexId(me?.nodeid ?? 0)}`,
    `Ring ID: ${members[0]?.nodeid ?? 1}.${c.ringSeq.toString(16)}`,
    `Quorate: ${v.quorate ? 'Yes' : 'No'}`,
    '',
    'Votequorum information',
    '~~~~~~~~~~~~~~~~~~~~~~',
    `Expected votes: ${v.expected}`,
    `Highest expected: ${v.expected}`,
    `Total votes: ${v.total}`,
    `Quorum: ${v.quorum}${v.quorate ? '' : ' Activity blocked'}`,
    `Flags: ${v.quorate ? 'Quorate' : ''}`.trimEnd(),
    '',
    'Membership information',
    '~~~~~~~~~~~~~~~~~~~~~~',
    'Nodeid Votes Name',
    ...members.map((m) => `${hexId(m.nodeid)} ${m.votes} ${m.links['0'] ?? m.name}${m.name === node.name ? ' (local)' : ''}`),
  ];
  return lines.join('\n') + '\n';
}

/** `pvecm nodes` */
export function pvecmNodes(st: SimState, node: SimNode): string {
  const v = quorumView(st, node);
  const members = [...v.members].sort((a, b) => a.nodeid - b.nodeid);
  return ['Membership information', '~~~~~~~~~~~~~~~~~~~~~~', 'Nodeid Votes Name', ...members.map((m) => `${m.nodeid} ${m.votes} ${m.name}${m.name === node.name ? ' (local)' : ''}`)].join('\n') + '\n';
}
