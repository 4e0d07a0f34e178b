// proxmox_ha_rule: an HA rule (Proxmox VE 9, where rules replaced HA groups). A node-affinity
// rule keeps its resources on the listed nodes (priorities as "pve1:2"; strict = only there); a
// resource-affinity rule keeps its resources together (positive) or apart (negative). The type
// is the rule's kind and cannot change in place (x-replace-on-change). The preflight checks the
// release, that each attribute fits the rule's type, and that nodes and resources exist.

import { nearestName, type Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { Params } from '../client/types.js';
import type { PveSession } from '../session.js';
import { flag, type Snapshot } from '../snapshot.js';
import { activeOf, clusterRelease, failure, haReleaseProblem, listAttr, plannedMembers, plannedRelease, splitList, str } from './cluster-facts.js';
import { haNodeProblems } from './ha-group.js';
import { haSection } from './ha-section.js';
import type { PveResourceType } from './types.js';

export function observeRule(snap: Snapshot, id: string): Observed | undefined {
  const r = snap.haRules?.get(id);
  if (!r) return undefined;
  const nodeAffinity = r.type === 'node-affinity';
  return {
    id,
    attrs: {
      id,
      rule: id,
      type: str(r.type) ?? null,
      resources: splitList(r.resources),
      nodes: nodeAffinity ? splitList(r.nodes) : null,
      strict: flag(r.strict),
      affinity: str(r.affinity) ?? null,
      disable: flag(r.disable),
      comment: str(r.comment) ?? null,
    },
  };
}

/** The API's parameters for a rule: only those its type accepts (the API refuses the others). */
export function ruleParams(attrs: Attrs): Params {
  const type = String(attrs.type);
  const p: Params = { type, resources: listAttr(attrs, 'resources').join(','), disable: attrs.disable === true, comment: str(attrs.comment) };
  if (type === 'node-affinity') {
    p.nodes = listAttr(attrs, 'nodes').join(',');
    p.strict = attrs.strict === true;
  } else p.affinity = str(attrs.affinity);
  return p;
}

/** What does not fit the rule's type, as messages (pure: also the preflight's). */
export function ruleShapeProblems(attrs: Attrs): { summary: string; detail: string }[] {
  const out: { summary: string; detail: string }[] = [];
  const type = str(attrs.type);
  const nodes = attrs.nodes;
  if (type === 'node-affinity') {
    if (Array.isArray(nodes) && nodes.length === 0) out.push({ summary: 'a node-affinity rule needs nodes', detail: 'list the nodes its resources should run on, as "name" or "name:priority"' });
    if (str(attrs.affinity)) out.push({ summary: 'affinity belongs to resource-affinity rules', detail: 'remove affinity, or set type = "resource-affinity"' });
  } else if (type === 'resource-affinity') {
    if (!str(attrs.affinity)) out.push({ summary: 'a resource-affinity rule needs affinity', detail: 'set affinity = "positive" (keep the resources together) or "negative" (keep them apart)' });
    if (Array.isArray(nodes) && nodes.length) out.push({ summary: 'nodes belong to node-affinity rules', detail: 'remove nodes, or set type = "node-affinity"' });
    if (attrs.strict === true) out.push({ summary: 'strict belongs to node-affinity rules', detail: 'remove strict, or set type = "node-affinity"' });
  }
  return out;
}

async function write(s: PveSession, attrs: Attrs, ctx: ProviderContext, how: 'create' | 'update'): Promise<OperationResult> {
  const rule = String(attrs.rule);
  const label = `HA rule "${rule}"`;
  const problem = haReleaseProblem('rule', await clusterRelease(s, ctx.signal));
  if (problem) throw new Error(`${label}: ${problem.summary}. ${problem.detail}`);
  const shape = ruleShapeProblems(attrs);
  if (shape.length) throw new Error(`${label}: ${shape.map((p) => `${p.summary} (${p.detail})`).join('; ')}`);
  try {
    const { client } = await s.api(ctx.signal);
    const p = ruleParams(attrs);
    const o = { signal: ctx.signal, step: ctx.step };
    if (how === 'create') await client.post('/cluster/ha/rules', { rule, ...p }, o);
    else await client.put(`/cluster/ha/rules/${encodeURIComponent(rule)}`, { ...p, delete: p.comment === undefined ? 'comment' : undefined }, o);
    s.invalidate();
    const seen = observeRule(await s.snapshot(['ha-rules'], ctx.signal), rule);
    if (!seen) throw new Error('written, but the cluster does not list it');
    return seen;
  } catch (e) {
    throw failure(label, e);
  }
}

export const haRule: PveResourceType = haSection({
  part: 'ha-rules',
  section: 'rules',
  label: (id) => `HA rule "${id}"`,
  observeOne: observeRule,
  write,

  async check(writes, s, ctx, all) {
    const snap = await s.snapshot(['status', 'corosync', 'versions', 'ha-resources'], ctx.signal);
    const { names } = plannedMembers(snap, all);
    const problem = haReleaseProblem('rule', plannedRelease(snap, all));
    // HA resources after the plan: those there now, less the deleted, plus the created.
    const sids = new Set(snap.haResources?.keys() ?? []);
    for (const c of activeOf(all, 'proxmox_ha_resource')) {
      if (c.action === 'delete') sids.delete(str(c.before?.sid) ?? '');
      else if (str(c.after?.sid)) sids.add(str(c.after?.sid)!);
    }
    const out: Diagnostic[] = [];
    for (const c of writes) {
      const after = c.after ?? {};
      const label = `HA rule "${str(after.rule) ?? '?'}"`;
      if (problem) out.push({ severity: 'error', address: c.address, summary: problem.summary, detail: problem.detail });
      for (const p of ruleShapeProblems(after)) out.push({ severity: 'error', address: c.address, summary: `${label}: ${p.summary}`, detail: p.detail });
      if (after.type === 'node-affinity') out.push(...haNodeProblems(c.address, label, listAttr(after, 'nodes'), names));
      for (const sid of listAttr(after, 'resources')) {
        if (sids.has(sid)) continue;
        const near = nearestName(sid, [...sids]);
        out.push({
          severity: 'error',
          address: c.address,
          summary: `${label}: resource "${sid}" is not an HA resource`,
          detail: `a rule can only name HA resources: add a proxmox_ha_resource with sid = "${sid}"`,
          ...(near ? { suggestion: near } : {}),
        });
      }
    }
    return out;
  },
});
