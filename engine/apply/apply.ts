// Apply: carries out a plan. Each change becomes one step (a replacement two: delete and create)
// in a DAG ordered by the plan's dependencies, walked in parallel (walk.ts). A step evaluates its
// instance again with what is known by then, calls the provider, and journals the result at once,
// so a failed or interrupted apply loses nothing and the next plan shows exactly what remains.

import { Diagnostics } from '../diagnostics.js';
import type { Config, Resource } from '../config/model.js';
import type { ConfigGraph } from '../desired/graph.js';
import { providerNameOfType } from '../desired/graph.js';
import type { EvalContext, ExpansionResult, InstanceKey, ModuleInstance } from '../desired/context.js';
import { describeResource, evaluateInstance, expansions, instanceAddress, registerInstance, resourceNodes } from '../desired/instance.js';
import { Dag } from '../graph/dag.js';
import { walk, type WalkSummary } from './walk.js';
import type { Progress } from './progress.js';
import type { ProviderRegistry } from '../registry.js';
import type { SessionPool } from '../sessions.js';
import type { Attrs, ProviderContext } from '../provider.js';
import type { Journal, ResourceInstanceState, State } from '../state/types.js';
import type { Plan, ResourceChange } from '../plan/types.js';
import { attrsForState, storedToValue } from '../plan/diff.js';
import { secretDigest } from '../plan/secrets.js';
import { Unknown, containsSensitive, deepUnmark, isWhollyKnown, markSensitive, type Value, type ValueObject } from '../lang/value.js';

export interface ApplyRequest {
  plan: Plan;
  config: Config;
  graph: ConfigGraph;
  ctx: EvalContext;
  registry: ProviderRegistry;
  sessions: SessionPool;
  pctx: ProviderContext;
  state: State;
  journal: Journal;
  parallelism: number;
  signal: AbortSignal;
  progress: Progress;
  diags: Diagnostics;
}

export interface ApplyResult {
  summary: WalkSummary;
  counts: { added: number; changed: number; destroyed: number; imported: number };
  errors: { address: string; message: string }[];
}

interface Slot {
  mi: ModuleInstance;
  r: Resource;
  exp: ExpansionResult;
  key: InstanceKey;
}

/** Expands the configuration as the planner did, seeding references with what state holds, and noting where each instance lives. */
function seed(req: ApplyRequest, stateByAddr: Map<string, ResourceInstanceState>): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  const movedFrom = new Map(req.plan.changes.filter((c) => c.previousAddress).map((c) => [c.address, c.previousAddress!]));
  for (const { mod, r } of resourceNodes(req.graph)) {
    for (const { mi, exp } of expansions(req.ctx, mod, r)) {
      for (const key of exp.keys) {
        const address = instanceAddress(mi, r, key);
        slots.set(address, { mi, r, exp, key });
        const prior = stateByAddr.get(address) ?? stateByAddr.get(movedFrom.get(address) ?? '');
        registerInstance(mi, r, exp.kind, key, prior ? storedToValue(prior.attributes, new Set((prior.sensitivePaths ?? []).map((p) => String(p[0])))) : new Unknown('object'));
      }
    }
  }
  return slots;
}

/**
 * The slot's expansion with `each.value` evaluated again when the plan saw it unknown
 * (for_each over another resource's instances): by now what it depends on is applied.
 */
function freshExpansion(ctx: EvalContext, slot: Slot, fresh: WeakMap<ExpansionResult, ExpansionResult>): ExpansionResult {
  const { exp, key } = slot;
  if (exp.kind !== 'each' || isWhollyKnown(exp.eachValues?.get(key as string) ?? null)) return exp;
  // Every instance waits on the same dependencies as the for_each expression: once is enough.
  let again = fresh.get(exp);
  if (!again) fresh.set(exp, (again = ctx.expand(slot.mi, slot.r.count, slot.r.forEach, slot.r.range, describeResource(slot.r)) ?? exp));
  return again;
}

const VERB: Record<string, string> = { create: 'Creating', update: 'Modifying', delete: 'Destroying', read: 'Reading', import: 'Importing' };

export async function applyPlan(req: ApplyRequest): Promise<ApplyResult> {
  const { plan, registry, sessions, pctx: basePctx, journal, diags } = req;
  const stateByAddr = new Map(req.state.resources.map((r) => [r.address, r]));
  const slots = seed(req, stateByAddr);
  const reExpanded = new WeakMap<ExpansionResult, ExpansionResult>();
  const salt = req.state.lineage;
  const byAddr = new Map(plan.changes.map((c) => [c.address, c]));

  // Steps and their order.
  const dag = new Dag();
  const steps = new Map<string, { change: ResourceChange; op: 'apply' | 'delete' }>();
  const applyNode = (c: ResourceChange) => (c.action === 'replace' ? `${c.address}#create` : c.address);
  for (const c of plan.changes) {
    if (c.action === 'delete') {
      steps.set(`${c.address}#delete`, { change: c, op: 'delete' });
      dag.addNode(`${c.address}#delete`);
    } else if (c.action === 'replace') {
      steps.set(`${c.address}#delete`, { change: c, op: 'delete' });
      steps.set(`${c.address}#create`, { change: c, op: 'apply' });
      dag.addNode(`${c.address}#delete`);
      dag.addNode(`${c.address}#create`);
      if (c.replaceOrder === 'create-first') dag.addDependency(`${c.address}#delete`, `${c.address}#create`);
      else dag.addDependency(`${c.address}#create`, `${c.address}#delete`);
    } else {
      steps.set(c.address, { change: c, op: 'apply' });
      dag.addNode(c.address);
    }
  }
  // Who depends on what, by state (for deletions) and by plan (for the rest).
  const dependentsOf = new Map<string, string[]>(); // config address → instance addresses depending on it
  const addDependent = (configAddr: string, inst: string) => {
    const l = dependentsOf.get(configAddr);
    if (l) l.push(inst);
    else dependentsOf.set(configAddr, [inst]);
  };
  for (const r of req.state.resources) for (const d of r.dependencies) addDependent(d, r.address);
  for (const c of plan.changes) for (const d of c.configDependencies) addDependent(d, c.address);
  for (const c of plan.changes) {
    if (c.action !== 'delete') {
      for (const d of c.dependsOn) {
        const dc = byAddr.get(d);
        if (dc && dc.action !== 'delete') dag.addDependency(applyNode(c), applyNode(dc));
      }
    }
    if (c.action === 'delete' || c.action === 'replace') {
      const configAddr = c.address.replace(/\[("[^"]*"|\d+)\]$/, '');
      for (const y of new Set(dependentsOf.get(configAddr) ?? [])) {
        if (y === c.address) continue;
        const yc = byAddr.get(y);
        if (!yc) continue;
        if (yc.action === 'delete' || yc.action === 'replace') dag.addDependency(`${c.address}#delete`, `${y}#delete`);
        else if ((c.action === 'delete' || c.replaceOrder === 'create-first') && (yc.action === 'update' || yc.action === 'create')) dag.addDependency(`${c.address}#delete`, applyNode(yc));
      }
    }
  }
  const cycles = dag.findCycles();
  if (cycles.length) throw new Error(`internal: the apply graph has a cycle through ${cycles[0].path.join(' → ')}`);

  const errors: { address: string; message: string }[] = [];
  const counts = { added: 0, changed: 0, destroyed: 0, imported: 0 };
  const stepDiags = new Diagnostics();

  const run = async (id: string): Promise<void> => {
    const step = steps.get(id)!;
    const c = step.change;
    const provider = registry.provider(providerNameOfType(c.type));
    if (!provider) throw new Error(`no provider for ${c.type}`);
    const verb = step.op === 'delete' ? 'delete' : c.action === 'replace' ? 'create' : c.action === 'noop' && c.importingId ? 'import' : c.action;
    if (c.action === 'noop' && !c.importingId) {
      // Nothing to do on the platform; dependents read this instance's value (seeded from state).
      // A moved object only changes its address in state.
      const moved = c.previousAddress ? stateByAddr.get(c.previousAddress) : undefined;
      if (moved) {
        await journal.append({ op: 'put', resource: { ...moved, address: c.address } });
        await journal.append({ op: 'delete', address: moved.address });
      }
      return;
    }
    req.progress.start(c.address, VERB[verb] ?? 'Applying');
    const started = Date.now();
    // The step's own context: platform tasks it starts are journalled before it waits on them,
    // and the last one is kept with the step's result (the audit trail of which task did it).
    const taskRecords: Promise<void>[] = [];
    let lastTask: string | undefined;
    const pctx: ProviderContext = {
      ...basePctx,
      step: c.address,
      task: (handle) => {
        lastTask = handle;
        taskRecords.push(journal.append({ op: 'task', address: c.address, task: handle }));
      },
    };
    try {
      const session = await sessions.session(provider, c.provider, diags);
      // Providers get the object as the plan saw it (refreshed, secrets left out), not as state last
      // recorded it: a value changed behind poolform's back must not look unchanged to them.
      const before = c.before ?? {};
      if (step.op === 'delete') {
        const res = await provider.delete(session, c.type, c.id ?? '', before, pctx);
        await Promise.all(taskRecords);
        await journal.append({ op: 'delete', address: c.address, task: res.task ?? lastTask });
        if (c.action === 'delete') counts.destroyed++;
        req.progress.done(c.address, VERB.delete, Date.now() - started);
        return;
      }
      const slot = slots.get(c.address);
      if (!slot) throw new Error(`${c.address} is no longer in the configuration`);
      const schema = registry.schema(c.type)!;
      const local = new Diagnostics();
      const value = evaluateInstance(req.ctx, slot.mi, slot.r, schema, freshExpansion(req.ctx, slot, reExpanded), slot.key, local);
      if (local.hasErrors) {
        stepDiags.add(local);
        throw new Error(local.errors.map((d) => d.summary + (d.detail ? `: ${d.detail}` : '')).join('; '));
      }
      if (!isWhollyKnown(value) && c.mode === 'managed') {
        throw new Error('some of its configuration is still unknown after its dependencies were applied');
      }
      checkConsistent(c, value);
      const plain = deepUnmark(value).value as Attrs;
      for (const [name, meta] of Object.entries(schema.attributes)) {
        if ((plain[name] === undefined || plain[name] === null) && meta.default !== undefined) plain[name] = meta.default;
      }
      if (c.mode === 'data') {
        const got = await provider.read!(session, c.type, plain, pctx);
        registerInstance(slot.mi, slot.r, slot.exp.kind, slot.key, { ...value, ...(got as ValueObject) });
        req.progress.done(c.address, VERB.read, Date.now() - started);
        return;
      }
      let result: { id: string; attrs: Attrs; task?: string };
      if (c.action === 'noop' && c.importingId) {
        result = { id: c.id!, attrs: before };
        counts.imported++;
      } else if (c.action === 'update') {
        result = await provider.update(session, c.type, c.id!, before, plain, pctx);
        counts.changed++;
        if (c.importingId) counts.imported++;
      } else {
        result = await provider.create(session, c.type, plain, pctx);
        counts.added++;
      }
      const stored = attrsForState(schema, result.attrs, value, salt);
      const rec: ResourceInstanceState = {
        address: c.address,
        mode: 'managed',
        type: c.type,
        provider: c.provider,
        id: result.id,
        attributes: stored.attributes,
        sensitivePaths: stored.sensitivePaths.length ? stored.sensitivePaths : undefined,
        dependencies: c.configDependencies,
        task: result.task ?? lastTask,
      };
      await Promise.all(taskRecords);
      await journal.append({ op: 'put', resource: rec });
      if (c.previousAddress) await journal.append({ op: 'delete', address: c.previousAddress });
      // Dependents see the real values (secrets still marked), not the digests state keeps.
      const live: ValueObject = {};
      for (const k in stored.attributes) {
        const v = (k in result.attrs ? result.attrs[k] : deepUnmark(value[k] ?? null).value) as Value;
        live[k] = stored.sensitivePaths.some((p) => p[0] === k) ? markSensitive(v) : v;
      }
      registerInstance(slot.mi, slot.r, slot.exp.kind, slot.key, live);
      req.progress.done(c.address, VERB[verb] ?? 'Applying', Date.now() - started, result.id);
    } catch (e) {
      const msg = (e as Error).message;
      errors.push({ address: c.address, message: msg });
      req.progress.failed(c.address, VERB[verb] ?? 'Applying', msg);
      throw e;
    }
  };

  const summary = await walk(dag, run, {
    parallelism: req.parallelism,
    signal: req.signal,
    limitKey: (id) => {
      const step = steps.get(id);
      // A no-op step (an import or a move) only writes state: it takes no slot on the platform.
      if (!step || step.change.action === 'noop') return undefined;
      const c = step.change;
      const p = registry.provider(providerNameOfType(c.type));
      if (!p?.limit) return undefined;
      const op = step.op === 'delete' ? 'delete' : c.action === 'update' ? 'update' : 'create';
      const l = p.limit(c.type, step.op === 'delete' ? c.before : c.after ?? c.before, op, sessions.providerConfig(p, c.provider, diags));
      return l ? { key: `${c.provider}:${l.key}`, max: l.max } : undefined;
    },
    onEvent: (e) => {
      if (e.type === 'skipped') req.progress.skipped(steps.get(e.id)?.change.address ?? e.id, `because ${steps.get(e.cause)?.change.address ?? e.cause} failed`);
    },
  });
  diags.add(stepDiags);

  // Outputs, once everything that could run has run.
  if (!summary.interrupted) {
    const outputs: State['outputs'] = {};
    if (!plan.destroy) {
      const mi = req.ctx.root;
      for (const o of req.config.root.outputs.values()) {
        const v = mi.eval(o.expr, mi.scope);
        if (!isWhollyKnown(v)) continue;
        const sensitive = o.sensitive || containsSensitive(v);
        const plain = deepUnmark(v).value;
        outputs[o.name] = { value: sensitive ? secretDigest(plain, salt) : plain, sensitive };
      }
    }
    await journal.append({ op: 'outputs', outputs });
  }
  return { summary, counts, errors };
}

/** Values known at plan time must not change by apply time: the plan is what was reviewed. */
function checkConsistent(c: ResourceChange, value: ValueObject): void {
  if (!c.after) return;
  for (const k in value) {
    const planned = c.after[k];
    const unknown = (c.afterUnknown as Record<string, unknown>)[k];
    const sensitive = (c.afterSensitive as Record<string, unknown>)?.[k];
    if (unknown || sensitive || planned === undefined) continue;
    const now = deepUnmark(value[k]).value;
    if (!looselyEqual(now, planned)) {
      throw new Error(`attribute "${k}" was planned as ${JSON.stringify(planned)} but evaluates to ${JSON.stringify(now)} now; make a new plan`);
    }
  }
}

/** Equal, allowing the schema's primitive coercions ("1500" and 1500) the planner made. */
function looselyEqual(a: unknown, b: unknown): boolean {
  if (a === b || ((a === null || a === undefined) && (b === null || b === undefined))) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a !== null && b !== null && typeof a !== 'object' && typeof b !== 'object' && String(a) === String(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => looselyEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
