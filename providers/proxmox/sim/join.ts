// Cluster membership changes and /cluster/config: create a cluster on a standalone node, join a
// node (API join task or `pvecm add` over SSH, both checked the same way and failing with the
// platform's "detected the following error(s):" list), the internal addnode call, and removal
// (`pvecm delnode` / DELETE /cluster/config/nodes/{node}). Removing a node that is still running
// is allowed, as on the platform, and leaves it "rogue": answering, but outside the cluster.

import { COROSYNC_LOCK } from './locks.js';
import { localAddresses } from './network.js';
import { cloneDomain } from './persist.js';
import { linkParams, quorumView, renderCorosyncConf, requireQuorum, totemView } from './corosync.js';
import type { Ctx, SimState } from './state.js';
import { boolParam, fail, intParam, need, sha1, type SimNode } from './world.js';

type Links = Record<string, { address: string; priority?: number }>;

export interface JoinRequest {
  hostname: string;
  links: Links;
  votes?: number;
  nodeid?: number;
  force: boolean;
  /** API joins authenticate to the peer and pin its certificate; `pvecm add --use_ssh` uses SSH trust. */
  password?: string;
  fingerprint?: string;
  viaSsh: boolean;
}

export interface JoinCheck {
  /** Problems `force` cannot override. */
  blocking: string[];
  /** Problems `force` overrides (guests, link addresses not local). */
  forceable: string[];
  target?: SimNode;
}

export const major = (v: string) => Number(v.split('.')[0]);

export function joinErrorText(lines: string[]): string {
  return `detected the following error(s):\n${lines.map((l) => `* ${l}`).join('\n')}\nCheck if node may join a cluster failed!`;
}

function normFp(fp: string): string {
  return fp.replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase();
}

/** Finds the cluster node a join names: its name, management address or a link address. */
export function resolveHost(st: SimState, host: string): SimNode | undefined {
  for (const n of st.nodes.values()) if (n.name === host || n.ip === host) return n;
  for (const n of st.nodes.values()) {
    const cn = n.domain.cluster?.nodes.get(n.name);
    if (cn && Object.values(cn.links).includes(host)) return n;
  }
  return undefined;
}

export function apiReachable(st: SimState, n: SimNode): boolean {
  return n.powered && !n.mgmtLost && !st.faults.isApiDown(n.name);
}

export function checkJoin(st: SimState, joiner: SimNode, r: JoinRequest): JoinCheck {
  const blocking: string[] = [];
  const forceable: string[] = [];
  if (joiner.domain.cluster) {
    blocking.push("authentication key '/etc/corosync/authkey' already exists");
    blocking.push("cluster config '/etc/pve/corosync.conf' already exists");
    blocking.push('corosync is already running, is this node already in a cluster?!');
  }
  for (const g of joiner.domain.guests.values()) {
    if (g.node === joiner.name) {
      forceable.push('this host already contains virtual guests');
      break;
    }
  }
  const links: Links = Object.keys(r.links).length ? r.links : { '0': { address: joiner.ip } };
  const local = localAddresses(joiner);
  for (const [k, l] of Object.entries(links)) if (!local.includes(l.address)) forceable.push(`link${k}: cannot use IP '${l.address}', not found on local node!`);

  const target = resolveHost(st, r.hostname);
  if (!target || target === joiner) {
    blocking.push(`500 Can't connect to ${r.hostname}:8006 (Connection timed out)`);
    return { blocking, forceable };
  }
  if (!apiReachable(st, target)) {
    blocking.push(`500 Can't connect to ${r.hostname}:8006 (Connection refused)`);
    return { blocking, forceable, target };
  }
  if (!r.viaSsh) {
    const want = st.fingerprints[target.name];
    if (want && normFp(want) !== normFp(r.fingerprint ?? '')) blocking.push(`fingerprint mismatch: '${r.hostname}' presents certificate fingerprint ${want}, not ${r.fingerprint ?? '(none)'} (check with 'pvenode cert info' on ${target.name})`);
    if (r.password !== st.password) blocking.push(`authentication failed: 401 authentication failure - wrong root@pam password for '${r.hostname}'`);
  }
  const c = target.domain.cluster;
  if (!c) {
    blocking.push(`'${r.hostname}': node is not in a cluster, no join info available!`);
    return { blocking, forceable, target };
  }
  if (major(joiner.version) !== major(target.version)) {
    blocking.push(`version mismatch: this node runs pve-manager/${joiner.version}, cluster node '${target.name}' runs pve-manager/${target.version} - all nodes need the same major version`);
  }
  if (!quorumView(st, target).quorate) blocking.push('cluster not ready - no quorum?');
  if (c.nodes.has(joiner.name)) blocking.push(`can't add existing node '${joiner.name}'`);
  for (const k of Object.keys(c.links)) if (!links[k]) blocking.push(`corosync: the cluster uses link${k} but no link${k} address was given`);
  for (const k of Object.keys(links)) if (!(k in c.links)) blocking.push(`corosync: link${k} given, but the cluster has no link${k} configured`);
  for (const l of Object.values(links)) {
    for (const cn of c.nodes.values()) {
      if (cn.name !== joiner.name && Object.values(cn.links).includes(l.address)) blocking.push(`corosync: address '${l.address}' already defined by node '${cn.name}'`);
    }
  }
  if (r.nodeid !== undefined) {
    for (const cn of c.nodes.values()) if (cn.nodeid === r.nodeid) blocking.push(`corosync: node ID ${r.nodeid} is already used by node '${cn.name}'`);
  }
  return { blocking, forceable, target };
}

/** The join's failure text, or undefined when it may proceed. */
export function joinFailure(check: JoinCheck, force: boolean): string | undefined {
  const lines = [...check.blocking, ...(force ? [] : check.forceable)];
  return lines.length ? joinErrorText(force ? [...check.blocking, ...check.forceable] : lines) : undefined;
}

/** Adds the node to the cluster's corosync.conf and gives it the cluster's /etc/pve. */
export function applyJoin(joiner: SimNode, target: SimNode, r: Pick<JoinRequest, 'links' | 'votes' | 'nodeid'>): void {
  const d = target.domain;
  const c = d.cluster!;
  let nodeid = r.nodeid;
  if (nodeid === undefined) {
    const used = new Set([...c.nodes.values()].map((n) => n.nodeid));
    nodeid = 1;
    while (used.has(nodeid)) nodeid++;
  }
  const links = Object.keys(r.links).length ? r.links : { '0': { address: joiner.ip } };
  c.nodes.set(joiner.name, { name: joiner.name, nodeid, votes: r.votes ?? 1, links: Object.fromEntries(Object.entries(links).map(([k, l]) => [k, l.address])) });
  c.configVersion++;
  c.ringSeq++;
  delete c.expectedOverride;
  // forced joins keep the joiner's guests where their ids are free (the platform warns about clashes)
  for (const g of joiner.domain.guests.values()) if (g.node === joiner.name && !d.guests.has(g.vmid)) d.guests.set(g.vmid, g);
  joiner.domain = d;
  joiner.removed = false;
  joiner.rogue = false;
}

// ---- API handlers ----

export function configIndex(): unknown[] {
  return [{ name: 'apiversion' }, { name: 'join' }, { name: 'nodes' }, { name: 'qdevice' }, { name: 'totem' }];
}

export async function createCluster(ctx: Ctx): Promise<string> {
  const { st, local: node, params } = ctx;
  const name = need(params, 'clustername');
  if (node.domain.cluster) fail(500, "cluster config '/etc/pve/corosync.conf' already exists");
  const links = linkParams(params);
  if (!links['0'] && !Object.keys(links).length) links['0'] = { address: node.ip };
  const nodeid = intParam(params, 'nodeid') ?? 1;
  const votes = intParam(params, 'votes') ?? 1;
  const local = localAddresses(node);
  const problems = Object.entries(links)
    .filter(([, l]) => !local.includes(l.address))
    .map(([k, l]) => `link${k}: cannot use IP '${l.address}', not found on local node!`);
  const release = await st.lock(node.domain, [COROSYNC_LOCK]);
  return st.startTask(
    node,
    'clustercreate',
    name,
    ctx.req.user,
    () => {
      if (node.domain.cluster) throw new Error("cluster config '/etc/pve/corosync.conf' already exists");
      node.domain.cluster = {
        name,
        configVersion: 1,
        ringSeq: 1,
        nodes: new Map([[node.name, { name: node.name, nodeid, votes, links: Object.fromEntries(Object.entries(links).map(([k, l]) => [k, l.address])) }]]),
        links: Object.fromEntries(Object.entries(links).map(([k, l]) => [k, l.priority ?? 0])),
      };
    },
    { release, ...(problems.length ? { failure: problems.join('\n') } : {}) },
  );
}

function joinRequestFrom(params: Record<string, string>, viaSsh: boolean): JoinRequest {
  const votes = intParam(params, 'votes');
  const nodeid = intParam(params, 'nodeid');
  return {
    hostname: need(params, 'hostname'),
    links: linkParams(params),
    force: boolParam(params, 'force') === 1,
    viaSsh,
    ...(votes !== undefined ? { votes } : {}),
    ...(nodeid !== undefined ? { nodeid } : {}),
    ...(params.password !== undefined ? { password: params.password } : {}),
    ...(params.fingerprint !== undefined ? { fingerprint: params.fingerprint } : {}),
  };
}

/** POST /cluster/config/join on the joining node: a "clusterjoin" task. */
export function joinViaApi(ctx: Ctx): string {
  const { st, local: joiner } = ctx;
  need(ctx.params, 'fingerprint');
  need(ctx.params, 'password');
  const r = joinRequestFrom(ctx.params, false);
  const first = joinFailure(checkJoin(st, joiner, r), r.force);
  return st.startTask(
    joiner,
    'clusterjoin',
    '',
    ctx.req.user,
    () => {
      // the cluster may have changed while the task ran: check again, then join
      const check = checkJoin(st, joiner, r);
      const failure = joinFailure(check, r.force);
      if (failure) throw new Error(failure);
      applyJoin(joiner, check.target!, r);
    },
    first ? { failure: first } : {},
  );
}

/** POST /cluster/config/nodes/{node}: the cluster side of a join (internal API). */
export function addNode(ctx: Ctx): unknown {
  const { st, local } = ctx;
  const name = need(ctx.path, 'node');
  const c = local.domain.cluster;
  if (!c) fail(500, "unable to read file '/etc/pve/corosync.conf'");
  requireQuorum(st, local);
  const links = linkParams(ctx.params);
  if (!Object.keys(links).length && ctx.params.new_node_ip) links['0'] = { address: ctx.params.new_node_ip };
  if (c.nodes.has(name) && boolParam(ctx.params, 'force') !== 1) fail(500, `can't add existing node '${name}'`);
  for (const k of Object.keys(c.links)) if (!links[k]) fail(500, `corosync: the cluster uses link${k} but no link${k} address was given`);
  for (const k of Object.keys(links)) if (!(k in c.links)) fail(500, `corosync: link${k} given, but the cluster has no link${k} configured`);
  for (const l of Object.values(links)) for (const cn of c.nodes.values()) if (cn.name !== name && Object.values(cn.links).includes(l.address)) fail(500, `corosync: address '${l.address}' already defined by node '${cn.name}'`);
  const joiner = st.nodes.get(name);
  const votes = intParam(ctx.params, 'votes');
  const nodeid = intParam(ctx.params, 'nodeid');
  const r = { links, ...(votes !== undefined ? { votes } : {}), ...(nodeid !== undefined ? { nodeid } : {}) };
  if (joiner && !joiner.domain.cluster) applyJoin(joiner, local, r);
  else if (!joiner) {
    const used = new Set([...c.nodes.values()].map((n) => n.nodeid));
    let id = nodeid ?? 1;
    while (nodeid === undefined && used.has(id)) id++;
    c.nodes.set(name, { name, nodeid: id, votes: votes ?? 1, links: Object.fromEntries(Object.entries(links).map(([k, l]) => [k, l.address])) });
    c.configVersion++;
  }
  return { corosync_authkey: Buffer.from(local.domain.authKey).toString('base64'), corosync_conf: renderCorosyncConf(c), warnings: [] };
}

/** Removes a node from corosync.conf (DELETE /cluster/config/nodes/{node}, `pvecm delnode`). */
export function deleteNode(st: SimState, local: SimNode, which: string): void {
  if (which === local.name) fail(500, 'Cannot delete myself from cluster!');
  const c = local.domain.cluster;
  const cn = c ? [...c.nodes.values()].find((n) => n.name === which || Object.values(n.links).includes(which)) : undefined;
  requireQuorum(st, local);
  if (!c || !cn) fail(500, `Node/IP: ${which} is not a known host of the cluster.`);
  c.nodes.delete(cn.name);
  c.configVersion++;
  c.ringSeq++;
  delete c.expectedOverride;
  const n = st.nodes.get(cn.name);
  if (n && n.domain === local.domain) {
    if (n.powered) makeRogue(n);
    else n.removed = true;
  }
}

/** A removed node that still runs: it keeps a copy of the cluster's files and sees itself alone. */
export function makeRogue(n: SimNode): void {
  n.domain = cloneDomain(n.domain);
  n.rogue = true;
  n.removed = false;
}

export function deleteNodeApi(ctx: Ctx): null {
  deleteNode(ctx.st, ctx.local, need(ctx.path, 'node'));
  return null;
}

export function configNodes(ctx: Ctx): unknown[] {
  const c = ctx.local.domain.cluster;
  if (!c) return [];
  return [...c.nodes.values()]
    .sort((a, b) => a.nodeid - b.nodeid)
    .map((n) => ({ name: n.name, node: n.name, nodeid: String(n.nodeid), quorum_votes: String(n.votes), ...Object.fromEntries(Object.entries(n.links).map(([k, a]) => [`ring${k}_addr`, a])) }));
}

export function joinInfo(ctx: Ctx): unknown {
  const { st, local } = ctx;
  const c = local.domain.cluster;
  if (!c) fail(500, 'node is not in a cluster, no join info available!');
  const preferred = ctx.params.node ?? local.name;
  if (!c.nodes.has(preferred)) fail(500, `unknown node '${preferred}'`);
  const conf = renderCorosyncConf(c);
  return {
    nodelist: [...c.nodes.values()].map((n) => ({
      name: n.name,
      nodeid: String(n.nodeid),
      quorum_votes: String(n.votes),
      ...Object.fromEntries(Object.entries(n.links).map(([k, a]) => [`ring${k}_addr`, a])),
      pve_addr: st.nodes.get(n.name)?.ip ?? n.links['0'],
      pve_fp: st.fingerprints[n.name] ?? '',
    })),
    preferred_node: preferred,
    totem: totemView(c),
    config_digest: sha1(conf),
  };
}

export function totem(ctx: Ctx): unknown {
  const c = ctx.local.domain.cluster;
  return c ? totemView(c) : {};
}
