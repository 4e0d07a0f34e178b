// Evaluation context: the module instances of a configuration and the scope each one evaluates in.
//
// Values are looked up lazily. A local, a child module's variable or a module's outputs are
// evaluated the first time something asks for them, which the configuration graph orders after
// everything they depend on. At plan time every result is kept; at apply time only wholly known
// results are, so a value that depended on an object created during apply is computed again once
// that object exists.

import * as path from 'node:path';
import type { Diagnostics, Range } from '../diagnostics.js';
import type { Expr } from '../config/hcl/ast.js';
import type { Module, ModuleCall, Resource } from '../config/model.js';
import { evaluate, makeFunctionContext } from '../lang/eval.js';
import { childScope, type EvalScope } from '../lang/scope.js';
import { convert } from '../lang/convert.js';
import { FUNCTIONS } from '../lang/functions/index.js';
import type { FunctionContext } from '../lang/functions/types.js';
import { parseTemplate } from '../config/hcl/parser.js';
import { Unknown, isUnknown, isWhollyKnown, isSensitive, isObject, markSensitive, unmark, typeName, type Value, type ValueObject } from '../lang/value.js';

export type InstanceKey = number | string | undefined;

/** What an instance of a counted or for_each'd block sees as count.index, or each.key and each.value. */
export interface InstanceEach {
  count?: Value;
  key?: Value;
  value?: Value;
}

export function keySuffix(k: InstanceKey): string {
  if (k === undefined) return '';
  return typeof k === 'number' ? `[${k}]` : `[${JSON.stringify(k)}]`;
}

export class ModuleInstance {
  readonly scope: EvalScope;
  /** Planned (or applied) values of this instance's resources: type → name → value / list / map. */
  readonly resources: Record<string, ValueObject> = Object.create(null);
  readonly data: Record<string, ValueObject> = Object.create(null);
  private readonly localCache = new Map<string, Value>();
  private readonly varCache = new Map<string, Value>();
  private readonly evaluating = new Set<string>();
  private readonly types: Set<string>;
  private readonly varsProxy: ValueObject;
  private readonly localsProxy: ValueObject;
  private readonly modulesProxy: ValueObject;

  constructor(
    readonly ctx: EvalContext,
    readonly mod: Module,
    /** Address prefix: '' or 'module.net["a"].' */
    readonly prefix: string,
    readonly parent: ModuleInstance | undefined,
    readonly call: ModuleCall | undefined,
    readonly callEach: InstanceEach,
  ) {
    this.types = new Set();
    this.varsProxy = lazyObject(mod.variables, (name) => this.variable(name));
    this.localsProxy = lazyObject(mod.locals, (name) => this.local(name));
    this.modulesProxy = lazyObject(mod.moduleCalls, (name) => this.moduleValue(name));
    for (const r of mod.resources.values()) {
      const reg = r.mode === 'managed' ? this.resources : this.data;
      if (r.mode === 'managed') this.types.add(r.type);
      if (!reg[r.type]) reg[r.type] = Object.create(null);
    }
    const self = this;
    const roots = ['var', 'local', 'module', 'data', 'path', 'poolform', 'terraform'];
    this.scope = {
      lookup(root: string): Value | undefined {
        switch (root) {
          case 'var':
            return self.varsProxy;
          case 'local':
            return self.localsProxy;
          case 'module':
            return self.modulesProxy;
          case 'data':
            return self.data as ValueObject;
          case 'path':
            return self.paths;
          case 'poolform':
          case 'terraform':
            return { workspace: 'default' };
          default:
            return self.types.has(root) ? self.resources[root] : undefined;
        }
      },
      rootNames: () => [...roots, ...self.types],
      functions: ctx.functions,
      funcCtx: ctx.funcCtxFor(mod.dir),
    };
  }

  private get paths(): ValueObject {
    const rel = (p: string) => path.relative(this.ctx.cwd, p) || '.';
    return { module: rel(this.mod.dir), root: rel(this.ctx.rootDir), cwd: this.ctx.cwd };
  }


  private keep(cache: Map<string, Value>, name: string, v: Value): Value {
    if (this.ctx.mode !== 'apply' || isWhollyKnown(v)) cache.set(name, v);
    return v;
  }

  variable(name: string): Value {
    if (this.varCache.has(name)) return this.varCache.get(name)!;
    const decl = this.mod.variables.get(name);
    if (!decl) return null;
    if (!this.parent) return this.keep(this.varCache, name, this.ctx.rootVars[name] ?? null);
    const input = this.call!.inputs.get(name);
    let v: Value;
    if (input) {
      v = this.parent.eval(input.expr, this.parent.callScope(this.callEach, this.call!));
      if (decl.type) {
        const c = convert(v, decl.type);
        if ('error' in c) {
          this.ctx.diags.error('Invalid value for module argument', input.range, `Module "${this.call!.name}" variable "${name}": ${c.error}${c.path.length ? ` at ${c.path.join('.')}` : ''}.`);
          v = new Unknown();
        } else v = c.value;
      }
      if (v === null && !decl.nullable && decl.default) v = this.eval(decl.default, this.scope);
    } else v = decl.default ? this.eval(decl.default, this.scope) : null;
    if (decl.sensitive) v = markSensitive(v);
    return this.keep(this.varCache, name, v);
  }

  local(name: string): Value {
    const hit = this.localCache.get(name);
    if (hit !== undefined || this.localCache.has(name)) return hit as Value;
    const decl = this.mod.locals.get(name);
    if (!decl) return null;
    if (this.evaluating.has(name)) return new Unknown(); // a cycle; the graph has reported it
    this.evaluating.add(name);
    try {
      return this.keep(this.localCache, name, this.eval(decl.expr, this.scope));
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** module.NAME: the outputs of the call's instances (an object, a list for count, a map for for_each). */
  moduleValue(name: string): Value {
    const call = this.mod.moduleCalls.get(name);
    if (!call || !call.module) return null;
    const kids = this.ctx.childInstances(this, call);
    // validate's stand-in for an unknown count / for_each: which instances there are is unknown.
    if (kids === undefined || kids.some((k) => isUnknown(k.callEach.count ?? k.callEach.key ?? null))) return new Unknown();
    const outputsOf = (mi: ModuleInstance): ValueObject => {
      const o: ValueObject = {};
      for (const out of mi.mod.outputs.values()) {
        let v = mi.eval(out.expr, mi.scope);
        if (out.sensitive) v = markSensitive(v);
        o[out.name] = v;
      }
      return o;
    };
    if (call.count) return kids.map(outputsOf);
    if (call.forEach) {
      const m: ValueObject = {};
      for (const k of kids) m[k.callEach.key as string] = outputsOf(k);
      return m;
    }
    return kids.length ? outputsOf(kids[0]) : null;
  }

  /** The scope a module call's arguments evaluate in (with count.index / each for that instance). */
  callScope(each: InstanceEach, call: ModuleCall): EvalScope {
    if (call.count) return childScope(this.scope, { count: { index: each.count ?? 0 } });
    if (call.forEach) return childScope(this.scope, { each: { key: each.key ?? '', value: each.value ?? null } });
    return this.scope;
  }

  eval(expr: Expr, scope: EvalScope): Value {
    return evaluate(expr, scope, this.ctx.diags);
  }

  /** Where the registry keeps a resource's instances. */
  registry(r: Resource): ValueObject {
    return (r.mode === 'managed' ? this.resources : this.data)[r.type];
  }
}

/** An object with the names of `declared` whose values are computed on access (a Proxy, so evaluation stays lazy). */
function lazyObject(declared: ReadonlyMap<string, unknown>, get: (name: string) => Value): ValueObject {
  const target = Object.create(null) as ValueObject;
  const has = (p: string | symbol): p is string => typeof p === 'string' && declared.has(p);
  return new Proxy(target, {
    get: (_t, p) => (has(p) ? get(p) : undefined),
    has: (_t, p) => has(p),
    ownKeys: () => [...declared.keys()],
    getOwnPropertyDescriptor: (_t, p) => (has(p) ? { value: get(p), enumerable: true, configurable: true, writable: false } : undefined),
  });
}

export interface ExpansionResult {
  keys: InstanceKey[];
  eachValues?: Map<string, Value>;
  kind: 'single' | 'count' | 'each';
  /** validate only: one instance stands for a count / for_each not known yet; its count.index or each.key is unknown. */
  standIn?: true;
}

export class EvalContext {
  readonly functions = FUNCTIONS;
  private readonly children = new Map<ModuleInstance, Map<string, ModuleInstance[] | undefined>>();
  private readonly funcCtxs = new Map<string, FunctionContext>();
  readonly root: ModuleInstance;

  constructor(
    readonly rootModule: Module,
    readonly rootVars: Record<string, Value>,
    readonly diags: Diagnostics,
    /** validate: variables are unknown, and an unknown count or for_each stands for one instance. */
    readonly mode: 'plan' | 'apply' | 'validate',
    readonly cwd: string,
  ) {
    this.root = new ModuleInstance(this, rootModule, '', undefined, undefined, {});
  }

  get rootDir(): string {
    return this.rootModule.dir;
  }

  funcCtxFor(dir: string): FunctionContext {
    let c = this.funcCtxs.get(dir);
    if (!c) this.funcCtxs.set(dir, (c = makeFunctionContext(dir, parseTemplate, this.functions)));
    return c;
  }

  /** All instances of a module (expanding every module call on the way down). undefined: not yet knowable. */
  instancesOf(mod: Module): ModuleInstance[] {
    if (mod.path.length === 0) return [this.root];
    let level: ModuleInstance[] = [this.root];
    for (const name of mod.path) {
      const next: ModuleInstance[] = [];
      for (const mi of level) {
        const call = mi.mod.moduleCalls.get(name);
        if (!call) continue;
        next.push(...(this.childInstances(mi, call) ?? []));
      }
      level = next;
    }
    return level;
  }

  childInstances(parent: ModuleInstance, call: ModuleCall): ModuleInstance[] | undefined {
    let byCall = this.children.get(parent);
    if (!byCall) this.children.set(parent, (byCall = new Map()));
    if (byCall.has(call.name)) return byCall.get(call.name);
    const exp = this.expand(parent, call.count, call.forEach, call.range, `module "${call.name}"`);
    if (!exp) {
      byCall.set(call.name, []);
      return [];
    }
    const list = exp.keys.map((k) => new ModuleInstance(this, call.module!, `${parent.prefix}module.${call.name}${keySuffix(k)}.`, parent, call, this.eachOf(exp, k)));
    byCall.set(call.name, list);
    return list;
  }

  /** Evaluates count / for_each to instance keys. Both must be known at plan time. */
  expand(mi: ModuleInstance, count: Expr | undefined, forEach: Expr | undefined, range: Range, what: string): ExpansionResult | undefined {
    const diags = this.diags;
    if (count) {
      const raw = mi.eval(count, mi.scope);
      const { value: v, sensitive } = unmark(raw);
      if (sensitive) return fail(count.range, 'Invalid count argument', `The count of ${what} is sensitive; instance addresses would reveal it.`);
      if (!isWhollyKnown(v) && this.mode === 'validate') return { kind: 'count', keys: [0], standIn: true };
      if (isUnknown(v) || !isWhollyKnown(v)) {
        return fail(count.range, 'Invalid count argument', `The count of ${what} depends on values known only after apply, so poolform cannot tell how many instances to plan. Use -target to apply what it depends on first, or make it depend only on variables.`);
      }
      const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
        return fail(count.range, 'Invalid count argument', `count must be a whole number, 0 or more; got ${describeValue(v)}.`);
      }
      return { kind: 'count', keys: Array.from({ length: n }, (_, i) => i) };
    }
    if (forEach) {
      const raw = mi.eval(forEach, mi.scope);
      const { value: v, sensitive } = unmark(raw);
      if (sensitive) return fail(forEach.range, 'Invalid for_each argument', `The for_each value of ${what} is sensitive; its keys would appear in addresses.`);
      if (isUnknown(v) && this.mode === 'validate') return { kind: 'each', keys: [''], eachValues: new Map([['', new Unknown()]]), standIn: true };
      if (isUnknown(v)) {
        return fail(forEach.range, 'Invalid for_each argument', `The for_each value of ${what} depends on values known only after apply. Its keys must be known at plan time: use keys from variables or locals.`);
      }
      const eachValues = new Map<string, Value>();
      if (Array.isArray(v)) {
        for (const item of v) {
          const it = unmark(item).value;
          if (typeof it !== 'string') {
            return fail(forEach.range, 'Invalid for_each argument', `for_each takes a map, or a set of strings; this list holds ${typeName(it)} values. Use toset() on a list of strings, or a map.`);
          }
          if (eachValues.has(it)) return fail(forEach.range, 'Invalid for_each argument', `for_each got a list with "${it}" twice; use toset() to remove duplicates.`);
          eachValues.set(it, it);
        }
      } else if (isObject(v)) {
        // Only the keys must be known; values may still be unknown.
        for (const k of Object.keys(v).sort()) eachValues.set(k, v[k]);
      } else if (v === null) {
        return fail(forEach.range, 'Invalid for_each argument', `for_each of ${what} is null; use an empty map {} for no instances.`);
      } else {
        return fail(forEach.range, 'Invalid for_each argument', `for_each takes a map, or a set of strings; got ${typeName(v)}.`);
      }
      return { kind: 'each', keys: [...eachValues.keys()], eachValues };
    }
    return { kind: 'single', keys: [undefined] };

    function fail(r: Range, summary: string, detail: string): undefined {
      diags.error(summary, r ?? range, detail);
      return undefined;
    }
  }

  /** `count.index`, or `each.key` and `each.value`, of one instance of an expansion. */
  private eachOf(exp: ExpansionResult, key: InstanceKey): InstanceEach {
    const k = exp.standIn ? new Unknown() : (key as Value);
    if (exp.kind === 'count') return { count: k };
    if (exp.kind === 'each') return { key: k, value: exp.eachValues!.get(key as string) ?? null };
    return {};
  }

  /** The scope one resource instance's body evaluates in. */
  instanceScope(mi: ModuleInstance, exp: ExpansionResult, key: InstanceKey): EvalScope {
    const e = this.eachOf(exp, key);
    if (exp.kind === 'count') return childScope(mi.scope, { count: { index: e.count! } });
    if (exp.kind === 'each') return childScope(mi.scope, { each: { key: e.key!, value: e.value! } });
    return mi.scope;
  }
}

export function describeValue(v: Value): string {
  if (isSensitive(v)) return '(sensitive value)';
  if (isUnknown(v)) return '(known after apply)';
  const s = JSON.stringify(v);
  return s && s.length > 60 ? `${s.slice(0, 57)}...` : String(s);
}

