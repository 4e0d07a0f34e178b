// The plan as Terraform's JSON plan document (`terraform show -json PLANFILE`, format 1.2), so
// policy tools (OPA/conftest, Sentinel-style checks) and PR bots written for Terraform read it.
//
// One deliberate deviation: Terraform writes sensitive values in clear into `before`/`after`
// (and `planned_values`), relying on `*_sensitive` to hide them. Secrets never reach poolform's
// plans, so here every sensitive leaf is null while the `*_sensitive` shapes keep saying where
// the secrets are. Sensitive variable and output values are left out the same way.

import type { Action, ActionReason, OutputChange, Plan, ResourceChange } from '../plan/types.js';
import { planHasChanges } from '../plan/types.js';
import type { State } from '../state/types.js';
import { driftObjects, shapeFromPaths, withSensitivePaths } from './diff.js';
import { compareAddresses } from '../state/address-order.js';
import { addressParts } from './text.js';
import { compareKeys } from './value.js';

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

/**
 * The provider's name from its configuration address ("xenserver", "xenserver.dc2",
 * "provider.xenserver.dc2", "module.m.provider.xenserver"): Terraform's provider_name names the
 * provider, not the configuration, so module path and alias go.
 */
export function providerName(provider: string): string {
  const parts = provider.split('.');
  const i = parts.lastIndexOf('provider');
  return i >= 0 && i + 1 < parts.length ? parts[i + 1] : parts[0];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A value as the JSON document carries it: sensitive leaves become null (our deviation), and
 * unknown attributes are left out of objects (null in lists), as Terraform does. Object keys
 * come out sorted, as Terraform's do, so documents diff cleanly between runs.
 */
export function maskValue(v: unknown, sens: unknown, unk: unknown): unknown {
  if (sens === true || unk === true) return null;
  if (Array.isArray(v)) {
    const sa = Array.isArray(sens) ? sens : undefined;
    const ua = Array.isArray(unk) ? unk : undefined;
    return v.map((e, i) => maskValue(e, sa?.[i], ua?.[i]));
  }
  if (isObj(v)) {
    const so = isObj(sens) ? sens : undefined;
    const uo = isObj(unk) ? unk : undefined;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
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
  if ((c.action === 'update' || c.action === 'noop') && before !== null && after !== null && !c.changes.some((x) => x.path.length === 0)) {
    // The planner leaves attributes it does not manage (runtime values outside the
    // configuration) null in `after`; they keep their current value, as Terraform's after shows.
    const changed = new Set(c.changes.map((x) => String(x.path[0])));
    const unk = isObj(afterUnknown) ? afterUnknown : {};
    for (const k of Object.keys(before)) {
      if ((after[k] === null || after[k] === undefined) && before[k] !== null && !changed.has(k) && unk[k] === undefined) {
        if (after === c.after) after = { ...after };
        after[k] = before[k];
      }
    }
  }
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

function resourceChangeJSON(c: ResourceChange, s: Sides): Record<string, unknown> {
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
  const { recorded, observed, deleted, sensitive: sens } = driftObjects(c);
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

/** Terraform nests resources by module: root_module.child_modules[].child_modules[]... */
function moduleTree(): { root: ModuleJSON; moduleFor(addr: string | undefined): ModuleJSON; finish(): Record<string, unknown> } {
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
  const finish = (m: ModuleJSON): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (m.address) o.address = m.address;
    if (m.resources.length) o.resources = m.resources;
    if (m.child_modules.length) o.child_modules = m.child_modules.sort((a, b) => compareAddresses(a.address!, b.address!)).map(finish);
    return o;
  };
  return { root, moduleFor, finish: () => finish(root) };
}

/** The planned state: every instance that exists after apply, nested by module like Terraform. */
function plannedValues(plan: Plan, sorted: ResourceChange[], sides: Sides[]): Record<string, unknown> {
  const { moduleFor, finish } = moduleTree();
  for (let i = 0; i < sorted.length; i++) {
    const c = sorted[i];
    if (c.action === 'delete' || c.after === null) continue;
    const s = sides[i];
    const r = identity(c);
    delete r.module_address;
    r.schema_version = 0;
    r.values = maskValue(s.after, s.afterSensitive, s.afterUnknown);
    const sv = shapeOut(s.after, s.afterSensitive);
    r.sensitive_values = isObj(sv) ? sv : {};
    moduleFor(c.moduleAddress).resources.push(r);
  }
  const outputs: Record<string, unknown> = {};
  for (const o of [...plan.outputs].sort((a, b) => compareKeys(a.name, b.name))) {
    if (o.action === 'delete') continue;
    const v: Record<string, unknown> = { sensitive: o.sensitive };
    if (!o.afterUnknown && !o.sensitive) v.value = o.after ?? null;
    outputs[o.name] = v;
  }
  const pv: Record<string, unknown> = {};
  if (Object.keys(outputs).length) pv.outputs = outputs;
  pv.root_module = finish();
  return pv;
}

function isPoolformState(x: unknown): x is State {
  return isObj(x) && Array.isArray(x.resources) && typeof x.lineage === 'string' && typeof x.serial === 'number';
}

/** Split an instance address into its module address, name and instance key. */
function splitInstanceAddress(address: string, mode: 'managed' | 'data'): { module?: string; name: string; index?: string | number } {
  const parts = addressParts(address);
  const last = parts[parts.length - 1];
  const b = last.indexOf('[');
  const name = b < 0 ? last : last.slice(0, b);
  let index: string | number | undefined;
  if (b >= 0) {
    const key = last.slice(b + 1, last.lastIndexOf(']'));
    if (/^\d+$/.test(key)) index = Number(key);
    else {
      try {
        index = JSON.parse(key) as string;
      } catch {
        index = key;
      }
    }
  }
  const own = mode === 'data' ? 3 : 2;
  const module = parts.length > own ? parts.slice(0, parts.length - own).join('.') : undefined;
  return { module, name, index };
}

/**
 * Poolform's state as Terraform's `prior_state` section (format 1.0 values), so policies that
 * look at current objects work. Sensitive values are nulled, as everywhere in this document.
 */
export function stateToJSON(state: State): Record<string, unknown> {
  const { moduleFor, finish } = moduleTree();
  const sorted = [...state.resources].sort((a, b) => compareAddresses(a.address, b.address));
  for (const r of sorted) {
    const { module, name, index } = splitInstanceAddress(r.address, r.mode);
    const values: Record<string, unknown> = r.mode === 'managed' && r.id && !('id' in r.attributes) ? { ...r.attributes, id: r.id } : r.attributes;
    const sens = shapeFromPaths(r.sensitivePaths, r.attributes);
    const o: Record<string, unknown> = { address: r.address, mode: r.mode, type: r.type, name };
    if (index !== undefined) o.index = index;
    o.provider_name = providerName(r.provider);
    o.schema_version = 0;
    o.values = maskValue(values, sens, undefined);
    o.sensitive_values = isObj(sens) ? sens : {};
    if (r.dependencies.length) o.depends_on = r.dependencies;
    if (r.tainted) o.tainted = true;
    moduleFor(module).resources.push(o);
  }
  const outputs: Record<string, unknown> = {};
  for (const n of Object.keys(state.outputs).sort()) {
    const o = state.outputs[n];
    outputs[n] = o.sensitive ? { sensitive: true } : { sensitive: false, value: o.value };
  }
  const values: Record<string, unknown> = {};
  if (Object.keys(outputs).length) values.outputs = outputs;
  values.root_module = finish();
  return { format_version: '1.0', terraform_version: state.poolform_version, values };
}

export interface PlanJSONExtra {
  /** The configuration section, already in Terraform's shape (the caller owns the config model). */
  configuration?: unknown;
  /** The prior state: poolform's State (converted here) or a section already in Terraform's shape. */
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
  const sides = sorted.map(sidesOf);
  doc.planned_values = plannedValues(plan, sorted, sides);
  // Terraform omits an empty resource_drift; we always write it so consumers can rely on it.
  doc.resource_drift = sorted.filter((c) => c.drift && c.drift.length > 0).map(driftJSON);
  doc.resource_changes = sorted.map((c, i) => resourceChangeJSON(c, sides[i]));
  const outs: Record<string, unknown> = {};
  for (const o of [...plan.outputs].sort((a, b) => compareKeys(a.name, b.name))) outs[o.name] = outputChangeJSON(o);
  doc.output_changes = outs;
  if (extra.priorState !== undefined) doc.prior_state = isPoolformState(extra.priorState) ? stateToJSON(extra.priorState) : extra.priorState;
  if (extra.configuration !== undefined) doc.configuration = extra.configuration;
  doc.relevant_attributes = [];
  doc.timestamp = plan.created;
  doc.applyable = planHasChanges(plan);
  doc.complete = true;
  doc.errored = false;
  return doc;
}
