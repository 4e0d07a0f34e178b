// Planning: walks the configuration graph in dependency order, evaluating each resource's
// instances and diffing them (diff.ts) against state and what observation found. Orphans in state
// become deletions; import and moved blocks, -target, -replace and -destroy are applied here.
// Observation (refresh) happens before the walk; the walk itself only reads data sources.

import { Diagnostics, type Range } from '../diagnostics.js';
import type { Config, Module, Resource } from '../config/model.js';
import type { ConfigGraph } from '../desired/graph.js';
import { providerKeyFor, providerNameOfType } from '../desired/graph.js';
import { EvalContext, describeValue, keySuffix, type ModuleInstance } from '../desired/context.js';
import { evaluateInstance, expansions, instanceAddress, registerInstance, resourceNodes } from '../desired/instance.js';
import { evaluate } from '../lang/eval.js';
import { Unknown, containsSensitive, deepUnmark, isWhollyKnown, markSensitive, unmark, unknownShape, type Value, type ValueObject } from '../lang/value.js';
import type { ProviderRegistry } from '../registry.js';
import { ConnectError, type SessionPool } from '../sessions.js';
import type { Observed, PlannedChange, ProviderContext } from '../provider.js';
import type { ResourceInstanceState, State } from '../state/types.js';
import { indexResources, moveResource, parseAddress } from '../state/ops.js';
import { diffInstance, plainOf } from './diff.js';
import { digestOf } from './digest.js';
import { secretDigest, isSecretDigest } from './secrets.js';
import { PLAN_FORMAT_VERSION, type OutputChange, type Plan, type ResourceChange } from './types.js';

export interface PlanOptions {
  destroy: boolean;
  targets: string[];
  replace: string[];
  refresh: boolean;
}

export interface PlanRequest {
  config: Config;
  graph: ConfigGraph;
  state: State;
  rootVars: Record<string, Value>;
  registry: ProviderRegistry;
  sessions: SessionPool;
  ctx: EvalContext;
  pctx: ProviderContext;
  options: PlanOptions;
  version: string;
  diags: Diagnostics;
}

export interface Observation {
  /** address → observed attributes; null: the object is gone; absent: not observed. */
  byAddress: Map<string, Record<string, unknown> | null>;
  requests: number;
}

/** Observes, in bulk, every managed object state knows (one observe call per provider configuration). */
export async function observeState(state: State, req: Pick<PlanRequest, 'registry' | 'sessions' | 'pctx' | 'diags' | 'config'>): Promise<Observation> {
  const byAddress = new Map<string, Record<string, unknown> | null>();
  const groups = new Map<string, ResourceInstanceState[]>();
  for (const r of state.resources) {
    if (r.mode !== 'managed') continue;
    const list = groups.get(r.provider);
    if (list) list.push(r);
    else groups.set(r.provider, [r]);
  }
  let requests = 0;
  await Promise.all(
    [...groups].map(async ([providerAddr, list]) => {
      const provider = req.registry.provider(providerNameOfType(list[0].type));
      if (!provider || provider.stateOnly) return;
      const session = await req.sessions.session(provider, providerAddr, req.diags).catch(() => undefined); // reported by the pool
      if (!session) return;
      const byType = new Map<string, string[]>();
      for (const r of list) {
        const ids = byType.get(r.type);
        if (ids) ids.push(r.id);
        else byType.set(r.type, [r.id]);
      }
      requests++;
      let result: Map<string, Observed[]>;
      try {
        result = await provider.observe(session, [...byType].map(([type, ids]) => ({ type, ids })), req.pctx);
      } catch (e) {
        req.diags.error(`Observation failed on ${session.target}`, undefined, (e as Error).message);
        return;
      }
      const byId = new Map<string, Map<string, Observed>>();
      for (const [type, objs] of result) byId.set(type, new Map(objs.map((o) => [o.id, o])));
      for (const r of list) {
        const objs = byId.get(r.type);
        if (!objs) continue; // this type was not observed
        byAddress.set(r.address, objs.get(r.id)?.attrs ?? null);
      }
    }),
  );
  return { byAddress, requests };
}

export async function makePlan(req: PlanRequest, observation: Observation): Promise<Plan> {
  const { config, graph, registry, ctx, diags, options } = req;
  let state = req.state;
  const salt = state.lineage;
  const changes: ResourceChange[] = [];
  const moves = new Map<string, string>(); // new address → old

  // moved blocks rewrite state addresses before anything else looks at them.
  for (const mv of config.root.moved) {
    const has = (a: string) => state.resources.some((r) => r.address === a || r.address.startsWith(a + '[') || r.address.startsWith(a + '.'));
    if (has(mv.from.text) && !has(mv.to.text)) {
      try {
        const res = moveResource(state, mv.from.text, mv.to.text);
        state = res.state;
        for (const m of res.moved) moves.set(m.to, m.from);
      } catch (e) {
        diags.error('Invalid moved block', mv.range, (e as Error).message);
      }
    }
  }
  const stateIndex = indexResources(state);
  const planned = new Set<string>();
  const instancesByNode = new Map<string, string[]>();
  const pendingByAddress = new Map<string, ResourceChange>();
  /** Resource address in its module instance (no key) → its instance addresses, for replace_triggered_by. */
  const instancesOfResource = new Map<string, string[]>();
  const importTargets = new Map<string, { id: Value; range: Range }>();
  for (const imp of config.root.imports) {
    const id = unmark(evaluate(imp.id, ctx.root.scope, diags)).value;
    if (typeof id !== 'string' || id === '') {
      diags.error('Invalid import id', imp.id.range, `The id to import must be a known, non-empty string; got ${describeValue(id)}.`);
      continue;
    }
    importTargets.set(imp.to.text, { id, range: imp.range });
  }

  if (!options.destroy) {
    for (const { nodeId, mod, r } of resourceNodes(graph)) {
      const schema = registry.schema(r.type);
      if (!schema || (schema.kind === 'data') !== (r.mode === 'data')) {
        registry.unknownType(r.type, r.mode, r.range, diags);
        continue;
      }
      const addrs: string[] = [];
      instancesByNode.set(nodeId, addrs);
      const deps = graph.resourceDeps.get(nodeId) ?? [];
      const depAddrs: string[] = [];
      for (const d of deps) for (const a of instancesByNode.get(d) ?? []) depAddrs.push(a);
      const providerAddr = req.sessions.configAddress(mod, providerKeyFor(r));
      for (const { mi, exp } of expansions(ctx, mod, r)) {
        const own: string[] = [];
        instancesOfResource.set(mi.prefix + r.key, own);
        for (const key of exp.keys) {
          const address = instanceAddress(mi, r, key);
          addrs.push(address);
          own.push(address);
          planned.add(address);
          const value = evaluateInstance(ctx, mi, r, schema, exp, key, diags);
          if (r.mode === 'data') {
            const change = await planData(req, r, mi, address, value, depAddrs, deps, providerAddr, pendingByAddress);
            registerInstance(mi, r, exp.kind, key, change.value);
            if (change.change) {
              changes.push(change.change);
              pendingByAddress.set(address, change.change);
            }
            continue;
          }
          let prior = stateIndex.get(address);
          let observed = observation.byAddress.get(address);
          let importingId: string | undefined;
          const imp = importTargets.get(address);
          if (imp && !prior) {
            const got = await importObject(req, r.type, providerAddr, imp.id as string, imp.range);
            if (got) {
              importingId = imp.id as string;
              prior = { address, mode: 'managed', type: r.type, provider: providerAddr, id: got.id, attributes: got.attrs, dependencies: [] };
              observed = got.attrs;
            }
          }
          let forceReplace: { reason: 'replace_by_request' | 'replace_by_triggers'; text: string } | undefined;
          if (options.replace.includes(address)) forceReplace = { reason: 'replace_by_request', text: 'replacement requested with -replace' };
          else if (prior) {
            const hit = triggeredBy(r, mi.prefix, instancesOfResource, pendingByAddress);
            if (hit) forceReplace = { reason: 'replace_by_triggers', text: `replace_triggered_by: ${hit.address} will be ${hit.action === 'create' ? 'created' : hit.action === 'update' ? 'updated' : 'replaced'}` };
          }
          const d = diffInstance({
            schema,
            config: value,
            prior,
            observed,
            salt,
            ignoreChanges: { all: r.lifecycle.ignoreChanges.all, paths: r.lifecycle.ignoreChanges.paths.map((p) => p.path) },
            forceReplace,
          });
          registerInstance(mi, r, exp.kind, key, d.planned);
          const cbd = r.lifecycle.createBeforeDestroy ? unmark(evaluate(r.lifecycle.createBeforeDestroy, mi.scope, diags)).value === true : false;
          if (d.action === 'replace') checkPreventDestroy(r, mi, address, diags);
          const change: ResourceChange = {
            address,
            moduleAddress: mi.prefix ? mi.prefix.slice(0, -1) : undefined,
            mode: 'managed',
            type: r.type,
            name: r.name,
            index: key,
            provider: providerAddr,
            action: d.action,
            replaceOrder: d.action === 'replace' ? (cbd ? 'create-first' : 'delete-first') : undefined,
            actionReason: d.actionReason,
            reason: d.reason ?? (d.vanished ? 'the object was deleted outside poolform' : undefined),
            id: prior && !d.vanished ? prior.id : undefined,
            before: d.before,
            after: d.after,
            afterUnknown: d.afterUnknown,
            beforeSensitive: d.beforeSensitive,
            afterSensitive: d.afterSensitive,
            replacePaths: d.replacePaths,
            changes: d.changes,
            dependsOn: depAddrs,
            configDependencies: deps,
            importingId,
            previousAddress: moves.get(address),
            drift: d.drift.length ? d.drift : undefined,
          };
          changes.push(change);
          pendingByAddress.set(address, change);
        }
      }
    }
  }

  // Orphans: state instances the configuration no longer has (or all of them, under -destroy).
  for (const r of state.resources) {
    if (planned.has(r.address) || r.mode !== 'managed') continue;
    const o = describeOrphan(config, r.address);
    // prevent_destroy is a literal (the graph checks), so any scope evaluates it.
    if (o.resource) checkPreventDestroy(o.resource, ctx.root, r.address, diags);
    changes.push({
      address: r.address,
      moduleAddress: o.module,
      mode: 'managed',
      type: r.type,
      name: o.name,
      index: o.index,
      provider: r.provider,
      action: 'delete',
      actionReason: options.destroy ? undefined : o.reason,
      reason: options.destroy ? undefined : o.text,
      id: r.id,
      before: redactStored(r.attributes),
      after: null,
      afterUnknown: {},
      beforeSensitive: sensitiveOfStored(r.attributes),
      afterSensitive: false,
      replacePaths: [],
      changes: [],
      dependsOn: [],
      configDependencies: r.dependencies,
    });
  }

  let finalChanges = changes;
  if (options.targets.length) {
    finalChanges = applyTargets(changes, options.targets, diags);
  }
  for (const imp of importTargets.keys()) {
    if (!finalChanges.some((c) => c.address === imp) && !options.destroy) {
      const im = config.root.imports.find((i) => i.to.text === imp)!;
      diags.error('Import target not in configuration', im.to.range, `${imp} is not declared by the configuration; add a resource block for it before importing.`);
    }
  }

  const outputs = options.destroy ? destroyOutputs(state) : planOutputs(req, state, salt);
  // Preflight: each provider configuration looks at its own changes, and may probe its platform.
  const byConfig = new Map<string, PlannedChange[]>();
  for (const c of finalChanges) {
    if (c.mode !== 'managed') continue;
    const list = byConfig.get(c.provider) ?? [];
    list.push({ address: c.address, provider: c.provider, type: c.type, action: c.action, before: c.before, after: c.after, changedPaths: c.changes.map((x) => x.path.map(String)) });
    byConfig.set(c.provider, list);
  }
  for (const [providerAddr, list] of byConfig) {
    const p = registry.provider(providerNameOfType(list[0].type));
    if (!p) continue;
    if (p.preflight) {
      const observedByType = new Map<string, Observed[]>();
      for (const r of state.resources) {
        const o = observation.byAddress.get(r.address);
        if (!o || r.provider !== providerAddr) continue;
        const l = observedByType.get(r.type) ?? [];
        l.push({ id: r.id, attrs: o });
        observedByType.set(r.type, l);
      }
      const session = () => req.sessions.session(p, providerAddr, req.diags);
      try {
        for (const d of await p.preflight(list, observedByType, { ...req.pctx, session })) {
          // The renderers name d.address; its resource block (if it is still configured) is where to look.
          const range = d.range ?? (d.address ? describeOrphan(config, d.address).resource?.range : undefined);
          diags.add(range ? { ...d, range } : d);
        }
      } catch (e) {
        if (!(e instanceof ConnectError)) diags.error(`Preflight checks could not run for ${providerAddr}`, undefined, (e as Error).message);
      }
    }
    if (p.impact) {
      const byAddr = new Map(list.map((x) => [x.address, x]));
      for (const c of finalChanges) if (c.action !== 'noop' && byAddr.has(c.address)) c.impact = p.impact(byAddr.get(c.address)!);
    }
  }

  const observedDigests: Record<string, string> = {};
  for (const r of state.resources) {
    const o = observation.byAddress.get(r.address);
    observedDigests[r.address] = digestOf(o === undefined ? r.attributes : o);
  }
  const variables: Plan['variables'] = {};
  for (const [name, v] of Object.entries(req.rootVars)) {
    const { value, sensitive } = unmark(v);
    const decl = config.root.variables.get(name);
    const sens = sensitive || !!decl?.sensitive || containsSensitive(v);
    variables[name] = sens ? { value: secretDigest(deepUnmark(value).value, salt), sensitive: true } : { value: plainOf(value), sensitive: false };
  }
  return {
    format_version: PLAN_FORMAT_VERSION,
    poolform_version: req.version,
    created: new Date().toISOString(),
    config_hash: config.hash,
    config_dir: config.root.dir,
    state_lineage: req.state.lineage,
    state_serial: req.state.serial,
    observed_digests: observedDigests,
    variables,
    destroy: options.destroy,
    targets: options.targets,
    replace: options.replace,
    refresh: options.refresh,
    changes: finalChanges,
    outputs,
    diagnostics: diags.list.filter((d) => d.severity === 'warning'),
    drift_detected: finalChanges.some((c) => c.drift && c.drift.length > 0),
  };
}

async function importObject(req: PlanRequest, type: string, providerAddr: string, id: string, range: Range): Promise<Observed | undefined> {
  const p = req.registry.provider(providerNameOfType(type));
  if (!p) return undefined;
  if (!p.importObject) {
    req.diags.error('Import not supported', range, `The ${p.name} provider cannot import ${type} objects.`);
    return undefined;
  }
  try {
    const session = await req.sessions.session(p, providerAddr, req.diags);
    const got = await p.importObject(session, type, id, req.pctx);
    if (!got) req.diags.error('Cannot import non-existent object', range, `No ${type} with id "${id}" exists on ${session.target}.`);
    return got;
  } catch (e) {
    if (!(e instanceof ConnectError)) req.diags.error('Import failed', range, (e as Error).message);
    return undefined;
  }
}

async function planData(
  req: PlanRequest,
  r: Resource,
  mi: ModuleInstance,
  address: string,
  value: ValueObject,
  depAddrs: string[],
  deps: string[],
  providerAddr: string,
  pending: Map<string, ResourceChange>,
): Promise<{ value: Value; change?: ResourceChange }> {
  const pendingDep = depAddrs.some((a) => {
    const c = pending.get(a);
    return c && c.action !== 'noop';
  });
  const known = isWhollyKnown(value);
  const p = req.registry.provider(providerNameOfType(r.type));
  if (known && !pendingDep && p?.read) {
    try {
      const session = await req.sessions.session(p, providerAddr, req.diags);
      const got = await p.read(session, r.type, deepUnmark(value).value as Record<string, unknown>, req.pctx);
      return { value: { ...value, ...(got as ValueObject) } };
    } catch (e) {
      if (!(e instanceof ConnectError)) req.diags.error(`Cannot read ${address}`, r.range, (e as Error).message);
      return { value: new Unknown() };
    }
  }
  const schema = req.registry.schema(r.type)!;
  const plannedValue: ValueObject = {};
  for (const name in schema.attributes) plannedValue[name] = name in value ? value[name] : schema.attributes[name].computed ? new Unknown() : null;
  return {
    value: plannedValue,
    change: {
      address,
      moduleAddress: mi.prefix ? mi.prefix.slice(0, -1) : undefined,
      mode: 'data',
      type: r.type,
      name: r.name,
      provider: providerAddr,
      action: 'read',
      actionReason: known ? 'read_because_dependency_pending' : 'read_because_config_unknown',
      reason: known ? 'it depends on a resource with changes pending' : 'its configuration depends on values known only after apply',
      before: null,
      after: plainOf(plannedValue) as Record<string, unknown>,
      afterUnknown: unknownShape(plannedValue) as Record<string, unknown>,
      beforeSensitive: false,
      afterSensitive: {},
      replacePaths: [],
      changes: [],
      dependsOn: depAddrs,
      configDependencies: deps,
    },
  };
}

function checkPreventDestroy(r: Resource, mi: ModuleInstance, address: string, diags: Diagnostics): void {
  if (!r.lifecycle.preventDestroy) return;
  const v = unmark(evaluate(r.lifecycle.preventDestroy, mi.scope, diags)).value;
  if (v === true) {
    diags.error('Instance cannot be destroyed', r.lifecycle.preventDestroy.range, `${address} has lifecycle.prevent_destroy set, but the plan would destroy it. To go ahead, set prevent_destroy = false first, or change the plan so it keeps this object (for example with -target).`);
  }
}

/**
 * What the configuration says about an instance address: its parts, its resource block if there
 * still is one, and (for an orphan in state) why it goes.
 */
function describeOrphan(
  config: Config,
  address: string,
): { module?: string; name: string; index?: string | number; resource?: Resource; reason: ResourceChange['actionReason']; text: string } {
  let p: ReturnType<typeof parseAddress>;
  try {
    p = parseAddress(address);
  } catch {
    return { name: address, reason: 'delete_because_no_resource_config', text: `${address} is not in configuration` };
  }
  const module = p.modules.length ? p.modules.map((m) => `module.${m.name}${m.key ?? ''}`).join('.') : undefined;
  const key = p.resource?.key;
  const index = key === undefined ? undefined : key.startsWith('["') ? (JSON.parse(key.slice(1, -1)) as string) : Number(key.slice(1, -1));
  const base = { module, name: p.resource?.name ?? address, index };
  let mod: Module | undefined = config.root;
  for (const [i, step] of p.modules.entries()) {
    mod = mod.moduleCalls.get(step.name)?.module;
    if (!mod) {
      const gone = p.modules.slice(0, i + 1).map((m) => `module.${m.name}`).join('.');
      return { ...base, reason: 'delete_because_no_module', text: `${gone} is not in configuration` };
    }
  }
  const res = p.resource;
  const resource = res && mod.resources.get(res.mode === 'data' ? `data.${res.type}.${res.name}` : `${res.type}.${res.name}`);
  const resAddr = address.slice(0, address.length - (key?.length ?? 0));
  if (!resource) return { ...base, reason: 'delete_because_no_resource_config', text: `${resAddr} is not in configuration` };
  if (resource.count) return { ...base, resource, reason: 'delete_because_count_index', text: `index ${key ?? '[]'} is out of range for count` };
  if (resource.forEach) return { ...base, resource, reason: 'delete_because_each_key', text: `key ${key ?? '[]'} is not in for_each map` };
  return { ...base, resource, reason: 'delete_because_no_resource_config', text: `${address} is no longer expanded by the configuration` };
}

/** The first pending change among the objects a resource's replace_triggered_by names (in its own module instance). */
function triggeredBy(r: Resource, prefix: string, instancesOf: Map<string, string[]>, pending: Map<string, ResourceChange>): ResourceChange | undefined {
  for (const t of r.lifecycle.replaceTriggeredBy) {
    if (t.expr.kind !== 'ScopeTraversal' || t.expr.steps[0]?.kind !== 'attr') continue;
    // TYPE.NAME, optionally [KEY]; any further attribute steps name the whole instance here.
    const resKey = `${t.expr.root}.${t.expr.steps[0].name}`;
    const idx = t.expr.steps[1]?.kind === 'index' ? t.expr.steps[1].key : undefined;
    const candidates = idx === undefined ? instancesOf.get(prefix + resKey) ?? [] : [prefix + resKey + keySuffix(idx)];
    for (const a of candidates) {
      const c = pending.get(a);
      if (c && c.action !== 'noop' && c.action !== 'read') return c;
    }
  }
  return undefined;
}

function redactStored(attrs: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k in attrs) o[k] = isSecretDigest(attrs[k]) ? null : attrs[k];
  return o;
}

function sensitiveOfStored(attrs: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k in attrs) if (isSecretDigest(attrs[k])) o[k] = true;
  return o;
}

/** Keeps targeted changes and everything they depend on. */
function applyTargets(changes: ResourceChange[], targets: string[], diags: Diagnostics): ResourceChange[] {
  const byAddr = new Map(changes.map((c) => [c.address, c]));
  const matches = (addr: string, t: string) => addr === t || addr.startsWith(t + '[') || addr.startsWith(t + '.');
  const keep = new Set<string>();
  const queue: string[] = [];
  for (const t of targets) {
    const hit = changes.filter((c) => matches(c.address, t));
    if (!hit.length) diags.warning(`Target ${t} matches nothing`, undefined, 'No resource instance in the configuration or state has this address.');
    for (const c of hit) queue.push(c.address);
  }
  while (queue.length) {
    const a = queue.pop()!;
    if (keep.has(a)) continue;
    keep.add(a);
    const c = byAddr.get(a);
    if (c) for (const d of c.dependsOn) queue.push(d);
  }
  diags.warning('Resource targeting is in effect', undefined, 'The plan may be incomplete: only the targeted objects and what they depend on are considered. Use -target for exceptional situations, not routine work.');
  return changes.filter((c) => keep.has(c.address));
}

function planOutputs(req: PlanRequest, state: State, salt: string): OutputChange[] {
  const out: OutputChange[] = [];
  const mi = req.ctx.root;
  for (const o of req.config.root.outputs.values()) {
    let v = mi.eval(o.expr, mi.scope);
    for (const pc of o.preconditions) {
      const ok = unmark(mi.eval(pc.condition, mi.scope)).value;
      if (ok === false) {
        const msg = pc.errorMessage ? unmark(mi.eval(pc.errorMessage, mi.scope)).value : undefined;
        req.diags.error('Output precondition failed', pc.range, typeof msg === 'string' ? msg : `The precondition of output "${o.name}" is false.`);
      }
    }
    if (containsSensitive(v) && !o.sensitive) {
      req.diags.error('Output refers to sensitive values', o.range, `Output "${o.name}" would show a sensitive value. Add sensitive = true to the output block if that is intended; it will then be hidden.`);
      v = markSensitive(v);
    }
    const sensitive = o.sensitive || containsSensitive(v);
    const prior = state.outputs[o.name];
    const known = isWhollyKnown(v);
    const plain = deepUnmark(v).value;
    const stored = sensitive && known ? secretDigest(plain, salt) : plainOf(plain);
    let action: OutputChange['action'];
    if (!prior) action = 'create';
    else if (!known) action = 'update';
    else action = JSON.stringify(prior.value) === JSON.stringify(stored) ? 'noop' : 'update';
    out.push({ name: o.name, action, before: prior ? (prior.sensitive ? null : prior.value) : null, after: sensitive ? null : plainOf(plain), afterUnknown: !known, sensitive });
  }
  for (const name of Object.keys(state.outputs)) {
    if (!req.config.root.outputs.has(name)) out.push({ name, action: 'delete', before: state.outputs[name].sensitive ? null : state.outputs[name].value, after: null, afterUnknown: false, sensitive: state.outputs[name].sensitive });
  }
  return out;
}

function destroyOutputs(state: State): OutputChange[] {
  return Object.entries(state.outputs).map(([name, o]) => ({ name, action: 'delete' as const, before: o.sensitive ? null : o.value, after: null, afterUnknown: false, sensitive: o.sensitive }));
}

