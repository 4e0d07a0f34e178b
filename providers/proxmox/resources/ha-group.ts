// proxmox_ha_group: an HA group (Proxmox VE 8): the nodes HA resources of the group prefer, with
// priorities ("pve1:2"), whether they may run only there (restricted) and whether they move back
// to a better node when it returns (nofailback). Proxmox VE 9 replaced groups by HA rules; the
// preflight names the release and points at proxmox_ha_rule.

import { nearestName, type Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { PveSession } from '../session.js';
import { flag, type Snapshot } from '../snapshot.js';
import { clusterRelease, failure, haReleaseProblem, listAttr, parseNodePriority, plannedMembers, plannedRelease, splitList, str } from './cluster-facts.js';
import { haSection } from './ha-section.js';
import type { PveResourceType } from './types.js';

export function observeGroup(snap: Snapshot, id: string): Observed | undefined {
  const r = snap.haGroups?.get(id);
  if (!r) return undefined;
  return {
    id,
    attrs: { id, group: id, nodes: splitList(r.nodes), restricted: flag(r.restricted), nofailback: flag(r.nofailback), comment: str(r.comment) ?? null },
  };
}

function params(attrs: Attrs): Record<string, string | boolean | undefined> {
  return { nodes: listAttr(attrs, 'nodes').join(','), restricted: attrs.restricted === true, nofailback: attrs.nofailback === true, comment: str(attrs.comment) };
}

async function write(s: PveSession, attrs: Attrs, ctx: ProviderContext, how: 'create' | 'update'): Promise<OperationResult> {
  const group = String(attrs.group);
  const label = `HA group "${group}"`;
  const problem = haReleaseProblem('group', await clusterRelease(s, ctx.signal));
  if (problem) throw new Error(`${label}: ${problem.summary}. ${problem.detail}`);
  try {
    const { client } = await s.api(ctx.signal);
    const p = params(attrs);
    const o = { signal: ctx.signal, step: ctx.step };
    if (how === 'create') await client.post('/cluster/ha/groups', { group, type: 'group', ...p }, o);
    else await client.put(`/cluster/ha/groups/${encodeURIComponent(group)}`, { ...p, delete: p.comment === undefined ? 'comment' : undefined }, o);
    s.invalidate();
    const seen = observeGroup(await s.snapshot(['ha-groups'], ctx.signal), group);
    if (!seen) throw new Error('written, but the cluster does not list it');
    return seen;
  } catch (e) {
    throw failure(label, e);
  }
}

/** Node lists of HA groups and node-affinity rules: every node a member once the plan has run. */
export function haNodeProblems(address: string, label: string, nodes: string[], memberNames: string[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const entry of nodes) {
    const { node, priority } = parseNodePriority(entry);
    if (priority !== undefined && (!Number.isInteger(priority) || priority < 0)) {
      out.push({ severity: 'error', address, summary: `${label}: "${entry}" has no valid priority`, detail: 'write a node as "name" or "name:priority" with a priority from 0 up (higher is preferred)' });
    }
    if (!memberNames.includes(node)) {
      const near = nearestName(node, memberNames);
      out.push({
        severity: 'error',
        address,
        summary: `${label}: node "${node}" is not a member of the cluster`,
        detail: `the cluster's members (after this plan) are ${memberNames.join(', ') || 'none'}; HA can only place resources on members`,
        ...(near ? { suggestion: near } : {}),
      });
    }
  }
  return out;
}

export const haGroup: PveResourceType = haSection({
  part: 'ha-groups',
  section: 'groups',
  label: (id) => `HA group "${id}"`,
  observeOne: observeGroup,
  write,

  async check(writes, s, ctx, all) {
    const snap = await s.snapshot(['status', 'corosync', 'versions'], ctx.signal);
    const { names } = plannedMembers(snap, all);
    const problem = haReleaseProblem('group', plannedRelease(snap, all));
    const out: Diagnostic[] = [];
    for (const c of writes) {
      const label = `HA group "${str(c.after?.group) ?? '?'}"`;
      if (problem) out.push({ severity: 'error', address: c.address, summary: problem.summary, detail: problem.detail });
      out.push(...haNodeProblems(c.address, label, listAttr(c.after ?? {}, 'nodes'), names));
    }
    return out;
  },
});
