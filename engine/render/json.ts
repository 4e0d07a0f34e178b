// The plan as Terraform's JSON plan document (`terraform show -json PLANFILE`, format 1.2), so
// policy tools (OPA/conftest, Sentinel-style checks) and PR bots written for Terraform read it.
//
// One deliberate deviation: Terraform writes sensitive values in clear into `before`/`after`
// (and `planned_values`), relying on `*_sensitive` to hide them. Secrets never reach poolform's
// plans, so here every sensitive leaf is null while the `*_sensitive` shapes keep saying where
// the secrets are. Sensitive variable and output values are left out the same way.

import type { Action, ActionReason, OutputChange, Plan, ResourceChange } from '../plan/types.js';
import { planHasChanges } from '../plan/types.js';
import { applyChanges, withSensitivePaths } from './diff.js';
import { compareAddresses, addressParts } from './text.js';

export const JSON_PLAN_FORMAT_VERSION = '1.2';

/** Terraform's spelling of each action (replace depends on the order). */
export function terraformActions(action: Action, replaceOrder?: 'delete-first' | 'create-first'): string[] {
  switch (action) {
    case 'create':
      return ['create'];
    case 'update':
      return ['update'];
    case 'delete':
      return ['delete'];
    case 'read':
      return ['read'];
    case 'noop':
      return ['no-op'];
    case 'replace':
      return replaceOrder === 'create-first' ? ['create', 'delete'] : ['delete', 'create'];
  }
}

/** Terraform's spelling of each action reason (ours were chosen to match; this pins it). */
const REASONS: Record<ActionReason, string> = {
  replace_because_cannot_update: 'replace_because_cannot_update',
  replace_by_request: 'replace_by_request',
  replace_by_triggers: 'replace_by_triggers',
  replace_because_tainted: 'replace_because_tainted',
  delete_because_no_resource_config: 'delete_because_no_resource_config',
  delete_because_count_index: 'delete_because_count_index',
  delete_because_each_key: 'delete_because_each_key',
  delete_because_no_module: 'delete_because_no_module',
  read_because_config_unknown: 'read_because_config_unknown',
  read_because_dependency_pending: 'read_because_dependency_pending',
};

/** Provider addresses are "type" or "type.alias"; Terraform's provider_name has no alias. */
function providerName(provider: string): string {
  const dot = provider.indexOf('.');
  return dot < 0 ? provider : provider.slice(0, dot);
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A value as the JSON document carries it: sensitive leaves become null (our deviation), and
 * unknown attributes are left out of objects (null in lists), as Terraform does.
 */
export function maskValue(v: unknown, sens: unknown, unk: unknown): unknown {
  if (sens === true || unk === true) return null;
  if (Array.isArray(v)) {
    const sa = Array.isArray(sens) ? sens : undefined;
    const ua = Array.isArray(unk) ? unk : undefined;
    if (!sa && !ua) return v;
    return v.map((e, i) => maskValue(e, sa?.[i], ua?.[i]));
  }
  if (isObj(v)) {
    const so = isObj(sens) ? sens : undefined;
    const uo = isObj(unk) ? unk : undefined;
    if (!so && !uo) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      if (uo?.[k] === true) continue;
      out[k] = maskValue(v[k], so?.[k], uo?.[k]);
    }
    return out;
  }
  return v;
}

/** A sensitive shape as Terraform writes it: false for a null side, an object (possibly {}) otherwise. */
function shapeOut(value: unknown, shape: unknown): unknown {
  if (value === null || value === undefined) return false;
  if (shape === true) return true;
  if (shape === null || typeof shape !== 'object') return isObj(value) ? {} : Array.isArray(value) ? [] : false;
  return shape;
}

interface Sides {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  afterUnknown: unknown;
  beforeSensitive: unknown;
  afterSensitive: unknown;
}

/** Fold the platform id in as `id` (Terraform's objects carry it) and widen sensitive shapes. */
function sidesOf(c: ResourceChange): Sides {
  let before = c.before;
  let after = c.after;
  let afterUnknown: unknown = c.afterUnknown ?? {};
  if (c.mode === 'managed') {
    if (c.id !== undefined && before !== null && !('id' in before)) before = { ...before, id: c.id };
    if (after !== null && !('id' in after)) {
      if (c.action === 'create' || c.action === 'replace') afterUnknown = { ...(isObj(afterUnknown) ? afterUnknown : {}), id: true };
      else if (before !== null && 'id' in before) after = { ...after, id: before.id };
    }
  }
  return {
    before,
    after,
    afterUnknown,
    beforeSensitive: before === null ? false : withSensitivePaths(c.beforeSensitive, c.changes),
    afterSensitive: after === null ? false : withSensitivePaths(c.afterSensitive, c.changes),
  };
}

function identity(c: ResourceChange): Record<string, unknown> {
  const o: Record<string, unknown> = { address: c.address };
  if (c.moduleAddress) o.module_address = c.moduleAddress;
  o.mode = c.mode;
  o.type = c.type;
  o.name = c.name;
  if (c.index !== undefined) o.index = c.index;
  o.provider_name = providerName(c.provider);
  return o;
}

function resourceChangeJSON(c: ResourceChange): Record<string, unknown> {
  const s = sidesOf(c);
  const change: Record<string, unknown> = {
    actions: terraformActions(c.action, c.replaceOrder),
    before: s.before === null ? null : maskValue(s.before, s.beforeSensitive, undefined),
    after: s.after === null ? null : maskValue(s.after, s.afterSensitive, s.afterUnknown),
    after_unknown: s.after === null ? {} : isObj(s.afterUnknown) || Array.isArray(s.afterUnknown) ? s.afterUnknown : s.afterUnknown === true ? true : {},
    before_sensitive: shapeOut(s.before, s.beforeSensitive),
    after_sensitive: shapeOut(s.after, s.afterSensitive),
  };
  if (c.replacePaths.length > 0) change.replace_paths = c.replacePaths;
  if (c.importingId !== undefined) change.importing = { id: c.importingId };
  const o = identity(c);
  o.change = change;
  if (c.actionReason) o.action_reason = REASONS[c.actionReason] ?? c.actionReason;
  if (c.previousAddress) o.previous_address = c.previousAddress;
  return o;
}

function driftJSON(c: ResourceChange): Record<string, unknown> {
  const drift = c.drift!;
  const recorded = applyChanges(c.before, drift, 'before');
  const deleted = c.before === null;
  const observed = deleted ? null : applyChanges(c.before, drift, 'after');
  if (c.mode === 'managed' && c.id !== undefined && !('id' in recorded)) {
    recorded.id = c.id;
    if (observed) observed.id = c.id;
  }
  const sens = withSensitivePaths(c.beforeSensitive, drift);
  const o = identity(c);
  o.change = {
    actions: deleted ? ['delete'] : ['update'],
    before: maskValue(recorded, sens, undefined),
    after: observed === null ? null : maskValue(observed, sens, undefined),
    after_unknown: {},
    before_sensitive: shapeOut(recorded, sens),
    after_sensitive: shapeOut(observed, sens),
  };
  return o;
}

function outputChangeJSON(o: OutputChange): Record<string, unknown> {
  const before = o.action === 'create' ? null : o.sensitive ? null : (o.before ?? null);
  const out: Record<string, unknown> = { actions: terraformActions(o.action), before };
  // Terraform leaves `after` out when it is unknown.
  if (!o.afterUnknown) out.after = o.action === 'delete' || o.sensitive ? null : (o.after ?? null);
  out.after_unknown = o.afterUnknown;
  out.before_sensitive = o.sensitive;
  out.after_sensitive = o.sensitive;
  return out;
}

interface ModuleJSON {
  address?: string;
  resources: Record<string, unknown>[];
  child_modules: ModuleJSON[];
}

/** The planned state: every instance that exists after apply, nested by module like Terraform. */
function plannedValues(plan: Plan, sorted: ResourceChange[]): Record<string, unknown> {
  const root: ModuleJSON = { resources: [], child_modules: [] };
  const modules = new Map<string, ModuleJSON>([['', root]]);
  const moduleFor = (addr: string | undefined): ModuleJSON => {
    if (!addr) return root;
    const found = modules.get(addr);
    if (found) return found;
    // module.a["x"].module.b: the parent is everything before the last "module.<name>" pair.
    const parts = addressParts(addr);
    const parent = moduleFor(parts.slice(0, -2).join('.'));
    const m: ModuleJSON = { address: addr, resources: [], child_modules: [] };
    parent.child_modules.push(m);
    modules.set(addr, m);
    return m;
  };
  for (const c of sorted) {
    if (c.action === 'delete' || c.after === null) continue;
    const s = sidesOf(c);
    const r = identity(c);
    delete r.module_address;
    r.schema_version = 0;
    r.values = maskValue(s.after, s.afterSensitive, s.afterUnknown);
    const sv = shapeOut(s.after, s.afterSensitive);
    r.sensitive_values = isObj(sv) ? sv : {};
    moduleFor(c.moduleAddress).resources.push(r);
  }
  const finish = (m: ModuleJSON): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (m.address) o.address = m.address;
    if (m.resources.length) o.resources = m.resources;
    if (m.child_modules.length) o.child_modules = m.child_modules.sort((a, b) => compareAddresses(a.address!, b.address!)).map(finish);
    return o;
  };
  const outputs: Record<string, unknown> = {};
  for (const o of [...plan.outputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (o.action === 'delete') continue;
    const v: Record<string, unknown> = { sensitive: o.sensitive };
    if (!o.afterUnknown && !o.sensitive) v.value = o.after ?? null;
    outputs[o.name] = v;
  }
  const pv: Record<string, unknown> = {};
  if (Object.keys(outputs).length) pv.outputs = outputs;
  pv.root_module = finish(root);
  return pv;
}

export interface PlanJSONExtra {
  /** The configuration section, already in Terraform's shape (the caller owns the config model). */
  configuration?: unknown;
  /** The prior state section, already in Terraform's shape. */
  priorState?: unknown;
}

export function renderPlanJSON(plan: Plan, extra: PlanJSONExtra = {}): object {
  const sorted = [...plan.changes].sort((a, b) => compareAddresses(a.address, b.address));
  const doc: Record<string, unknown> = {
    format_version: JSON_PLAN_FORMAT_VERSION,
    terraform_version: plan.poolform_version,
    poolform_version: plan.poolform_version,
  };
  const vars = Object.keys(plan.variables).sort();
  if (vars.length) {
    const variables: Record<string, unknown> = {};
    for (const n of vars) {
      const v = plan.variables[n];
      variables[n] = v.sensitive ? {} : { value: v.value ?? null };
    }
    doc.variables = variables;
  }
  doc.planned_values = plannedValues(plan, sorted);
  // Terraform omits an empty resource_drift; we always write it so consumers can rely on it.
  doc.resource_drift = sorted.filter((c) => c.drift && c.drift.length > 0).map(driftJSON);
  doc.resource_changes = sorted.map(resourceChangeJSON);
  const outs: Record<string, unknown> = {};
  for (const o of [...plan.outputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) outs[o.name] = outputChangeJSON(o);
  doc.output_changes = outs;
  if (extra.priorState !== undefined) doc.prior_state = extra.priorState;
  if (extra.configuration !== undefined) doc.configuration = extra.configuration;
  doc.relevant_attributes = [];
  doc.timestamp = plan.created;
  doc.applyable = planHasChanges(plan);
  doc.complete = true;
  doc.errored = false;
  return doc;
}
