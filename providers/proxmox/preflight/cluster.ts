// Plan-time checks of the cluster as a whole, before anything changes: the node a cluster is
// created on is standalone and carries its link addresses; every node about to join passes the
// join preconditions (preflight/join.ts: probed read-only on the node itself and over SSH);
// nodes are removed only once powered off; no join or removal runs without quorum or leaves the
// cluster without it (walked step by step in plan order, nodes offline now counting as absent);
// HA objects need at least three nodes once the plan has run; the cluster's fixed attributes
// (name, first node, links; a member's name, links and votes) do not change. Every failure is a
// Diagnostic on the resource it concerns, naming the node and the rule, with the remedy.

import { nearestName, type Diagnostic } from '../../../engine/diagnostics.js';
import type { PlannedChange, ProviderContext } from '../../../engine/provider.js';
import { clusterChangeProblems } from '../resources/cluster.js';
import { nodeChangeProblems, REMOVAL_REMEDY } from '../resources/cluster-node.js';
import { activeOf, errText, int, interfaceAddresses, members, plannedMembers, QUORUM_REMEDY, quorumWalk, str, type MembershipStep } from '../resources/cluster-facts.js';
import type { PveSession } from '../session.js';
import { splitStatus, type Rec, type Snapshot } from '../snapshot.js';
import { checkJoin, clusterView, type JoinRequest } from './join.js';

/** The seed: HA needs at least three nodes, so that losing one leaves a quorate majority. */
export const MIN_HA_NODES = 3;

const HA_TYPES = ['proxmox_ha_group', 'proxmox_ha_rule', 'proxmox_ha_resource'];

const err = (address: string, summary: string, detail: string, suggestion?: string): Diagnostic => ({ severity: 'error', address, summary, detail, ...(suggestion ? { suggestion } : {}) });
const creates = (c: PlannedChange): boolean => c.action === 'create' || c.action === 'replace';

/** The creating node is standalone and its link addresses are on its interfaces. */
async function checkCreate(c: PlannedChange, s: PveSession, signal?: AbortSignal): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const name = str(c.after?.cluster_name);
  const node = str(c.after?.node);
  if (!node) return out; // known only after apply: checked then
  if (!s.config.nodes.has(node)) {
    out.push(err(c.address, `${node}: node configured: it is not in the provider's nodes (${s.nodeNames().join(', ')})`, 'the cluster is created through the node\'s own API: add it to the provider block\'s nodes', nearestName(node, s.nodeNames())));
    return out;
  }
  try {
    const client = await s.client(node, signal);
    const [status, network] = await Promise.all([
      client.get<Rec[]>('/cluster/status', undefined, { signal }),
      client.get<Rec[]>(`/nodes/${encodeURIComponent(node)}/network`, undefined, { signal }),
    ]);
    const own = splitStatus(status ?? []).cluster;
    if (own && own.name === name) {
      out.push(err(c.address, `${node}: standalone node: it already belongs to cluster "${own.name}"`, `the cluster exists: adopt it with an import block (to = ${c.address}, id = "${own.name}") instead of creating it`));
    } else if (own) {
      out.push(err(c.address, `${node}: standalone node: it belongs to cluster "${own.name}"`, 'a cluster is created on a standalone node: pick another node, or manage the existing cluster (import it)'));
    }
    const addrs = interfaceAddresses(network ?? []);
    for (const k of ['link0', 'link1'] as const) {
      const v = str(c.after?.[k]);
      if (v && !addrs.has(v.toLowerCase())) {
        out.push(err(c.address, `${node}: ${k} address on the node: ${v} is not configured on any of its interfaces`, `use an address ${node} has on the cluster network (it has ${[...addrs.entries()].map(([a, i]) => `${a} (${i})`).join(', ') || 'none'})`));
      }
    }
  } catch (e) {
    if (signal?.aborted) throw e;
    out.push(err(c.address, `${node}: node reachable: ${errText(e)}`, 'check that the node is up and that its api_url, tls_fingerprint and the credentials in the provider block are right'));
  }
  return out;
}

/** Joins: the cluster they name, duplicates, and each node's preconditions. */
async function checkJoins(joins: PlannedChange[], snap: Snapshot, planned: PlannedChange | undefined, s: PveSession, signal?: AbortSignal): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const view = clusterView(
    snap,
    planned && str(planned.after?.cluster_name) && str(planned.after?.node)
      ? { name: str(planned.after?.cluster_name)!, node: str(planned.after?.node)!, link0: str(planned.after?.link0), link1: str(planned.after?.link1) }
      : undefined,
  );
  const seen = new Map<string, string>();
  const requests: { c: PlannedChange; j: JoinRequest }[] = [];
  for (const c of joins) {
    const a = c.after ?? {};
    const node = str(a.node);
    const cluster = str(a.cluster);
    if (!view) {
      out.push(err(c.address, `${node ?? 'node'}: cluster exists: there is no cluster${cluster ? ` "${cluster}"` : ''} among the provider's nodes, and this plan creates none`, 'create it with a proxmox_cluster resource (and have this node reference it: cluster = proxmox_cluster.<name>.id)'));
      continue;
    }
    if (cluster && cluster !== view.name) {
      out.push(err(c.address, `${node ?? 'node'}: same cluster: it names cluster "${cluster}", but the provider's nodes ${view.exists ? 'form' : 'will form'} "${view.name}"`, `set cluster = "${view.name}" (a provider block manages one cluster)`, nearestName(cluster, [view.name])));
    }
    if (!node) continue; // known only after apply: checked then
    const dup = seen.get(node);
    if (dup) {
      out.push(err(c.address, `${node}: joined twice`, `${dup} joins it already; remove one of them`));
      continue;
    }
    seen.set(node, c.address);
    requests.push({ c, j: { node, cluster: cluster ?? view.name, link0: str(a.link0), link1: str(a.link1), votes: int(a.votes, 1), joinVia: a.join_via === 'api' ? 'api' : 'ssh' } });
  }
  if (!view) return out;
  // One joining node at a time: each check already runs its reads and probes concurrently.
  for (const r of requests) {
    for (const p of await checkJoin(s, view, r.j, signal)) out.push({ severity: p.severity, address: r.c.address, summary: p.summary, detail: p.remedy });
  }
  return out;
}

/** Removals: only of powered-off nodes. */
function checkRemovals(removals: PlannedChange[], snap: Snapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const list = members(snap);
  for (const c of removals) {
    const node = str(c.before?.node) ?? str(c.before?.id);
    const m = list.find((x) => x.name === node);
    if (!m || !m.online) continue; // gone already, or powered off: removable
    out.push(
      err(
        c.address,
        `${node}: removal only when powered off: the node is online in cluster "${snap.cluster?.name ?? '?'}"`,
        `${REMOVAL_REMEDY}. (Proxmox VE would remove a running node, which then keeps its copy of the cluster configuration and disturbs the cluster if it ever talks corosync again.)`,
      ),
    );
  }
  return out;
}

/** Quorum through the plan's membership steps, in plan order. */
function checkQuorum(steps: { c: PlannedChange; step: MembershipStep }[], snap: Snapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const name = snap.cluster?.name ?? '?';
  const byStep = new Map(steps.map((x) => [x.step, x.c]));
  for (const p of quorumWalk(members(snap), steps.map((x) => x.step))) {
    const c = byStep.get(p.step)!;
    const verb = p.step.kind === 'join' ? 'joining' : 'removing';
    if (p.when === 'before') {
      out.push(err(c.address, `${p.step.node}: quorum: cluster "${name}" has no quorum when ${verb} it would run (${p.online} of ${p.expected} expected votes online)`, `joins and removals rewrite corosync.conf, which needs quorum; ${QUORUM_REMEDY}`));
    } else {
      out.push(err(c.address, `${p.step.node}: quorum: ${verb} it leaves cluster "${name}" without quorum (${p.online} of ${p.expected} expected votes online)`, 'bring the offline nodes back online first, or change membership in smaller steps'));
    }
  }
  return out;
}

/** HA objects need at least three members once the plan has run. */
function checkHaSize(changes: PlannedChange[], snap: Snapshot): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { names, removals } = plannedMembers(snap, changes);
  const label = snap.cluster ? `cluster "${snap.cluster.name}"` : 'the cluster';
  const list = names.length ? ` (${names.join(', ')})` : '';
  const detail = `with fewer than ${MIN_HA_NODES} nodes, losing one loses quorum and HA cannot recover anything (the seed: HA needs at least three nodes); join more nodes first (proxmox_cluster_node)`;
  for (const c of changes.filter((x) => HA_TYPES.includes(x.type) && creates(x))) {
    if (names.length < MIN_HA_NODES) out.push(err(c.address, `HA needs at least ${MIN_HA_NODES} nodes: ${label} will have ${names.length}${list}`, detail));
  }
  // Removing members below three while HA resources stay: a warning, since the node is already off.
  const haLeft = [...(snap.haResources?.keys() ?? [])].filter((sid) => !changes.some((c) => c.type === 'proxmox_ha_resource' && c.action === 'delete' && str(c.before?.sid) === sid));
  if (removals.length && haLeft.length && names.length < MIN_HA_NODES) {
    for (const c of changes.filter((x) => x.type === 'proxmox_cluster_node' && x.action === 'delete')) {
      out.push({ severity: 'warning', address: c.address, summary: `HA with ${names.length} nodes: ${label} keeps ${haLeft.length} HA resource(s) after this removal`, detail });
    }
  }
  return out;
}

/** Every cluster-level check of one provider configuration's changes. */
export async function clusterPreflight(changes: PlannedChange[], s: PveSession, ctx: ProviderContext): Promise<Diagnostic[]> {
  const clusters = activeOf(changes, 'proxmox_cluster');
  const nodes = activeOf(changes, 'proxmox_cluster_node');
  const ha = changes.filter((c) => HA_TYPES.includes(c.type) && creates(c));
  if (!clusters.length && !nodes.length && !ha.length) return [];
  const removals = nodes.filter((c) => c.action === 'delete' || c.action === 'replace');
  const parts: Parameters<PveSession['snapshot']>[0] = ['status', 'corosync', 'versions'];
  if (removals.length || ha.length) parts.push('ha-resources');
  const snap = await s.snapshot(parts, ctx.signal);
  const out: Diagnostic[] = [];

  const plannedCreate = clusters.find(creates);
  for (const c of clusters) {
    if (creates(c)) out.push(...(await checkCreate(c, s, ctx.signal)));
    else if (c.action === 'update') {
      const node = str(c.after?.node);
      for (const p of clusterChangeProblems(c.before ?? {}, c.after ?? {}, members(snap).find((m) => m.name === node))) out.push(err(c.address, p.summary, p.detail));
    } else if (c.action === 'delete') {
      out.push({
        severity: 'warning',
        address: c.address,
        summary: `cluster "${str(c.before?.cluster_name) ?? str(c.before?.id) ?? '?'}" stays: poolform only forgets it`,
        detail: 'Proxmox VE cannot dissolve a cluster through its API; its nodes remain members. To take nodes out, remove their proxmox_cluster_node resources (each node powered off first)',
      });
    }
  }

  for (const c of nodes.filter((x) => x.action === 'update')) {
    for (const p of nodeChangeProblems(c.before ?? {}, c.after ?? {})) out.push(err(c.address, p.summary, p.detail));
  }
  out.push(...checkRemovals(removals, snap));
  out.push(...(await checkJoins(nodes.filter(creates), snap, plannedCreate, s, ctx.signal)));

  // Membership steps in plan order (a replace leaves, then joins again).
  const steps: { c: PlannedChange; step: MembershipStep }[] = [];
  if (plannedCreate && !snap.cluster && str(plannedCreate.after?.node)) steps.push({ c: plannedCreate, step: { kind: 'join', node: str(plannedCreate.after?.node)!, votes: 1 } });
  for (const c of nodes) {
    const before = str(c.before?.node) ?? str(c.before?.id);
    const after = str(c.after?.node);
    if ((c.action === 'delete' || c.action === 'replace') && before) steps.push({ c, step: { kind: 'remove', node: before } });
    if (creates(c) && after) steps.push({ c, step: { kind: 'join', node: after, votes: int(c.after?.votes, 1) } });
  }
  if (snap.cluster) out.push(...checkQuorum(steps, snap));
  out.push(...checkHaSize(changes, snap));
  return out;
}
