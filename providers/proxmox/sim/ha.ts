// The HA stack's configuration: HA resources (a guest and the state the CRM keeps it in), groups
// (PVE 8) and rules (PVE 9, where groups "have been migrated to rules"). The cluster's version is
// its lowest node version; a PVE 8 node does not know the rules endpoints at all (501). The CRM's
// effect is immediate here: a resource requested "started" runs, "stopped" stops.

import { quorumView, requireQuorum } from './corosync.js';
import { HA_LOCK } from './locks.js';
import { major } from './join.js';
import type { Ctx, SimState } from './state.js';
import { knownNodes } from './state.js';
import { boolParam, fail, intParam, need, paramFail, sha1, splitList, type Domain, type Section, type SimNode } from './world.js';

export function clusterVersion(st: SimState, node: SimNode): string {
  const versions = knownNodes(st, node).map((n) => n.version);
  return versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))[0] ?? node.version;
}

export const hasRules = (st: SimState, node: SimNode) => major(clusterVersion(st, node)) >= 9;

function renderHa(d: Domain): string {
  const part = (kind: string, m: Map<string, Section>) => [...m.values()].map((s) => `${kind}: ${JSON.stringify(s)}`).join('\n');
  return [part('resource', d.haResources), part('group', d.haGroups), part('rule', d.haRules)].join('\n');
}

const digest = (d: Domain) => sha1(renderHa(d));

function checkDigest(d: Domain, params: Record<string, string>): void {
  if (params.digest && params.digest !== digest(d)) fail(500, 'detected modified configuration - file changed by other user? Try again.');
}

const NUMERIC = new Set(['max_restart', 'max_relocate', 'failback', 'nofailback', 'restricted', 'strict', 'disable']);

function view(s: Section, d: Domain): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = NUMERIC.has(k) ? Number(v) : v;
  out.digest = digest(d);
  return out;
}

/** "100", "vm:100", "ct:100" -> "vm:100" */
export function normalizeSid(sid: string, type?: string): string {
  if (/^\d+$/.test(sid)) return `${type ?? 'vm'}:${sid}`;
  if (!/^(vm|ct):\d+$/.test(sid)) paramFail({ sid: `value '${sid}' does not look like a valid ha resource id` });
  return sid;
}

function checkNodes(st: SimState, node: SimNode, list: string, param: string): string {
  const known = new Set(knownNodes(st, node).map((n) => n.name));
  const entries = splitList(list);
  if (!entries.length) paramFail({ [param]: 'property is missing and it is not optional' });
  for (const e of entries) {
    const [name, prio] = e.split(':');
    if (!known.has(name!)) fail(500, `no such cluster node '${name}'`);
    if (prio !== undefined && !/^\d+$/.test(prio)) paramFail({ [param]: `invalid priority '${prio}' for node '${name}'` });
  }
  return entries.join(',');
}

async function haWrite<T>(ctx: Ctx, fn: (d: Domain) => T): Promise<T> {
  requireQuorum(ctx.st, ctx.local);
  const d = ctx.local.domain;
  const release = await ctx.st.lock(d, [HA_LOCK]);
  try {
    return fn(d);
  } finally {
    release();
  }
}

/** The CRM acting on a resource's requested state. */
function enforce(st: SimState, from: SimNode, d: Domain, s: Section): void {
  const vmid = Number(s.sid!.split(':')[1]);
  const g = d.guests.get(vmid);
  if (!g || g.config.template === '1' || g.lock) return;
  const online = quorumView(st, from).memberNames.has(g.node);
  if ((s.state === 'started' || s.state === 'enabled') && online && g.status !== 'running') {
    g.status = 'running';
    g.startedAt = Date.now();
  } else if ((s.state === 'stopped' || s.state === 'disabled') && g.status === 'running') {
    g.status = 'stopped';
    delete g.startedAt;
  }
}

export function haIndex(ctx: Ctx): unknown[] {
  return [{ id: 'status' }, { id: 'resources' }, { id: hasRules(ctx.st, ctx.local) ? 'rules' : 'groups' }];
}

// ---- resources ----

export function listResources(ctx: Ctx): unknown[] {
  const d = ctx.local.domain;
  return [...d.haResources.values()].filter((s) => !ctx.params.type || s.type === ctx.params.type).map((s) => view(s, d));
}

export function getResource(ctx: Ctx): unknown {
  const d = ctx.local.domain;
  const sid = normalizeSid(need(ctx.path, 'sid'));
  const s = d.haResources.get(sid);
  if (!s) fail(500, `no such resource '${sid}'`);
  return view(s, d);
}

function resourceOptions(ctx: Ctx, d: Domain, s: Section): void {
  const p = ctx.params;
  const pve9 = hasRules(ctx.st, ctx.local);
  if (p.group !== undefined) {
    if (pve9) fail(500, 'ha groups have been migrated to rules');
    if (!d.haGroups.has(p.group)) fail(500, `ha group '${p.group}' does not exist`);
    s.group = p.group;
  }
  if (p.failback !== undefined) {
    if (!pve9) paramFail({ failback: 'property is not defined in schema and the schema does not allow additional properties' });
    s.failback = String(boolParam(p, 'failback'));
  }
  for (const k of ['max_restart', 'max_relocate'] as const) {
    const v = intParam(p, k);
    if (v !== undefined) {
      if (v < 0) paramFail({ [k]: `value must have a minimum value of 0` });
      s[k] = String(v);
    }
  }
  if (p.state !== undefined) s.state = p.state === 'enabled' ? 'started' : p.state;
  if (p.comment !== undefined) s.comment = p.comment;
}

export function createResource(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    const sid = normalizeSid(need(ctx.params, 'sid'), ctx.params.type);
    if (d.haResources.has(sid)) fail(500, `resource ID '${sid}' already defined`);
    const [type, id] = sid.split(':') as [string, string];
    const g = d.guests.get(Number(id));
    if (!g || (type === 'vm') !== (g.type === 'qemu')) fail(500, `unable to find ${type === 'vm' ? 'VM' : 'CT'} ${id}`);
    const s: Section = { sid, type, state: 'started' };
    resourceOptions(ctx, d, s);
    d.haResources.set(sid, s);
    enforce(ctx.st, ctx.local, d, s);
    return null;
  });
}

export function updateResource(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    const sid = normalizeSid(need(ctx.path, 'sid'));
    const s = d.haResources.get(sid);
    if (!s) fail(500, `no such resource '${sid}'`);
    checkDigest(d, ctx.params);
    for (const k of splitList(ctx.params.delete)) {
      if (ctx.params[k] !== undefined) paramFail({ delete: `cannot set and delete property '${k}' at the same time!` });
      if (k !== 'sid' && k !== 'type') delete s[k];
    }
    resourceOptions(ctx, d, s);
    enforce(ctx.st, ctx.local, d, s);
    return null;
  });
}

export function deleteResource(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    const sid = normalizeSid(need(ctx.path, 'sid'));
    if (!d.haResources.has(sid)) fail(500, `no such resource '${sid}'`);
    d.haResources.delete(sid);
    if (boolParam(ctx.params, 'purge') !== 0) {
      for (const [name, r] of d.haRules) {
        const rest = splitList(r.resources).filter((x) => x !== sid);
        if (rest.length) r.resources = rest.join(',');
        else d.haRules.delete(name);
      }
    }
    return null;
  });
}

// ---- groups (PVE 8) ----

export function listGroups(ctx: Ctx): unknown[] {
  const d = ctx.local.domain;
  return [...d.haGroups.values()].map((s) => view(s, d));
}

export function getGroup(ctx: Ctx): unknown {
  const d = ctx.local.domain;
  const name = need(ctx.path, 'group');
  const s = d.haGroups.get(name);
  if (!s) fail(500, `no such ha group '${name}'`);
  return view(s, d);
}

function groupOptions(ctx: Ctx, s: Section): void {
  const p = ctx.params;
  if (p.nodes !== undefined) s.nodes = checkNodes(ctx.st, ctx.local, p.nodes, 'nodes');
  for (const k of ['restricted', 'nofailback'] as const) if (p[k] !== undefined) s[k] = String(boolParam(p, k));
  if (p.comment !== undefined) s.comment = p.comment;
}

export function createGroup(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    if (hasRules(ctx.st, ctx.local)) fail(500, 'ha groups have been migrated to rules');
    const name = need(ctx.params, 'group');
    need(ctx.params, 'nodes');
    if (d.haGroups.has(name)) fail(500, `ha group '${name}' already defined`);
    const s: Section = { group: name, type: 'group' };
    groupOptions(ctx, s);
    d.haGroups.set(name, s);
    return null;
  });
}

export function updateGroup(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    if (hasRules(ctx.st, ctx.local)) fail(500, 'ha groups have been migrated to rules');
    const name = need(ctx.path, 'group');
    const s = d.haGroups.get(name);
    if (!s) fail(500, `no such ha group '${name}'`);
    checkDigest(d, ctx.params);
    for (const k of splitList(ctx.params.delete)) {
      if (k === 'nodes') fail(500, `unable to delete required option 'nodes'`);
      delete s[k];
    }
    groupOptions(ctx, s);
    return null;
  });
}

export function deleteGroup(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    if (hasRules(ctx.st, ctx.local)) fail(500, 'ha groups have been migrated to rules');
    const name = need(ctx.path, 'group');
    if (!d.haGroups.has(name)) fail(500, `no such ha group '${name}'`);
    for (const r of d.haResources.values()) if (r.group === name) fail(500, `ha group '${name}' is still used by resource '${r.sid}'`);
    d.haGroups.delete(name);
    return null;
  });
}

// ---- rules (PVE 9) ----

export function listRules(ctx: Ctx): unknown[] {
  const d = ctx.local.domain;
  const res = ctx.params.resource;
  let order = 0;
  return [...d.haRules.values()]
    .map((s): Record<string, unknown> => ({ ...view(s, d), order: ++order }))
    .filter((s) => (!ctx.params.type || s.type === ctx.params.type) && (!res || splitList(String(s.resources)).includes(res)));
}

export function getRule(ctx: Ctx): unknown {
  const d = ctx.local.domain;
  const name = need(ctx.path, 'rule');
  const s = d.haRules.get(name);
  if (!s) fail(500, `no such ha rule '${name}'`);
  return view(s, d);
}

function ruleOptions(ctx: Ctx, d: Domain, s: Section): void {
  const p = ctx.params;
  const type = s.type!;
  if (p.resources !== undefined) {
    const list = splitList(p.resources).map((r) => normalizeSid(r));
    if (!list.length) paramFail({ resources: 'property is missing and it is not optional' });
    for (const sid of list) if (!d.haResources.has(sid)) fail(500, `HA resource '${sid}' does not exist`);
    s.resources = list.join(',');
  }
  if (type === 'node-affinity') {
    if (p.affinity !== undefined) paramFail({ affinity: `property is not defined for rules of type '${type}'` });
    if (p.nodes !== undefined) s.nodes = checkNodes(ctx.st, ctx.local, p.nodes, 'nodes');
    if (p.strict !== undefined) s.strict = String(boolParam(p, 'strict'));
    if (!s.nodes) paramFail({ nodes: 'property is missing and it is not optional' });
  } else {
    for (const k of ['nodes', 'strict']) if (p[k] !== undefined) paramFail({ [k]: `property is not defined for rules of type '${type}'` });
    if (p.affinity !== undefined) s.affinity = p.affinity;
    if (!s.affinity) paramFail({ affinity: 'property is missing and it is not optional' });
  }
  if (p.disable !== undefined) s.disable = String(boolParam(p, 'disable'));
  if (p.comment !== undefined) s.comment = p.comment;
}

export function createRule(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    const name = need(ctx.params, 'rule');
    const type = need(ctx.params, 'type');
    need(ctx.params, 'resources');
    if (d.haRules.has(name)) fail(500, `ha rule '${name}' already defined`);
    const s: Section = { rule: name, type };
    ruleOptions(ctx, d, s);
    d.haRules.set(name, s);
    return null;
  });
}

export function updateRule(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    const name = need(ctx.path, 'rule');
    const s = d.haRules.get(name);
    if (!s) fail(500, `no such ha rule '${name}'`);
    if (ctx.params.type && ctx.params.type !== s.type) paramFail({ type: `rule type cannot be changed (is '${s.type}')` });
    checkDigest(d, ctx.params);
    for (const k of splitList(ctx.params.delete)) {
      if (k === 'resources' || k === 'type') fail(500, `unable to delete required option '${k}'`);
      delete s[k];
    }
    ruleOptions(ctx, d, s);
    return null;
  });
}

export function deleteRule(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    const name = need(ctx.path, 'rule');
    if (!d.haRules.has(name)) fail(500, `no such ha rule '${name}'`);
    d.haRules.delete(name);
    return null;
  });
}

// ---- status ----

export function haStatusIndex(): unknown[] {
  return [{ name: 'current' }, { name: 'manager_status' }];
}

export function haStatusCurrent(ctx: Ctx): unknown[] {
  const { st, local } = ctx;
  const d = local.domain;
  const view = quorumView(st, local);
  const now = Math.floor(Date.now() / 1000);
  const online = [...view.memberNames].sort();
  const master = online[0];
  const armed = d.haArmed?.state ?? 'armed';
  const rows: Record<string, unknown>[] = [{ id: 'quorum', type: 'quorum', node: local.name, status: view.quorate ? 'OK' : 'No quorum on node', quorate: view.quorate ? 1 : 0 }];
  if (d.haResources.size && master) rows.push({ id: 'master', type: 'master', node: master, status: `${master} (active, ${new Date().toString().slice(0, 24)})`, timestamp: now, 'armed-state': armed, ...(d.haArmed?.mode ? { resource_mode: d.haArmed.mode } : {}) });
  for (const n of knownNodes(st, local)) {
    const active = [...d.haResources.values()].some((r) => d.guests.get(Number(r.sid!.split(':')[1]))?.node === n.name);
    rows.push({ id: `lrm:${n.name}`, type: 'lrm', node: n.name, status: view.memberNames.has(n.name) ? `${n.name} (${active ? 'active' : 'idle'}, ${new Date().toString().slice(0, 24)})` : `${n.name} (old timestamp - dead?, ${new Date().toString().slice(0, 24)})`, timestamp: now });
  }
  for (const r of d.haResources.values()) {
    const g = d.guests.get(Number(r.sid!.split(':')[1]));
    const state = r.state === 'stopped' || r.state === 'disabled' ? 'stopped' : r.state === 'ignored' ? 'ignored' : 'started';
    rows.push({ id: `service:${r.sid}`, type: 'service', sid: r.sid, node: g?.node ?? '', state, status: `${r.sid} (${g?.node ?? '?'}, ${state})`, request_state: r.state, crm_state: state, max_restart: Number(r.max_restart ?? 1), max_relocate: Number(r.max_relocate ?? 1), ...(r.failback !== undefined ? { failback: Number(r.failback) } : {}) });
  }
  return rows;
}

export function haManagerStatus(ctx: Ctx): unknown {
  const { st, local } = ctx;
  const d = local.domain;
  const view = quorumView(st, local);
  const nodeStatus = Object.fromEntries(knownNodes(st, local).map((n) => [n.name, view.memberNames.has(n.name) ? 'online' : 'unknown']));
  const serviceStatus = Object.fromEntries([...d.haResources.values()].map((r) => [r.sid!, { node: d.guests.get(Number(r.sid!.split(':')[1]))?.node ?? '', state: r.state === 'stopped' ? 'stopped' : 'started', uid: sha1(r.sid!).slice(0, 22) }]));
  return { manager_status: { master_node: [...view.memberNames].sort()[0] ?? '', node_status: nodeStatus, service_status: serviceStatus, timestamp: Math.floor(Date.now() / 1000) }, quorum: { node: local.name, quorate: view.quorate ? '1' : '0' } };
}

export function armHa(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    delete d.haArmed;
    return null;
  });
}

export function disarmHa(ctx: Ctx): Promise<null> {
  return haWrite(ctx, (d) => {
    d.haArmed = { state: 'disarmed', mode: need(ctx.params, 'resource-mode') };
    return null;
  });
}
