// The configuration graph: one node per declared object (variable, local, output, resource, data
// source, module call, provider configuration) in every module, an edge per reference. Checking
// references happens here too, because this is where each one is resolved: an undeclared name is
// reported with its range and the nearest declared name, and cycles with their full path.

import { Diagnostics, nearestName, type Range } from '../diagnostics.js';
import type { Body } from '../config/hcl/ast.js';
import { justAttributes } from '../config/hcl/content.js';
import { allModules, type Config, type Module, type ModuleCall, type ProviderConfig, type Resource, type Traversal } from '../config/model.js';
import { Dag, cycleDiagnostics } from '../graph/dag.js';
import { references as referencesOf, type Reference } from '../lang/eval.js';
import type { TraversalStep } from '../config/hcl/ast.js';
import { decodeDynamic } from './dynamic.js';

export type ConfigNode =
  | { kind: 'var'; id: string; mod: Module; name: string }
  | { kind: 'local'; id: string; mod: Module; name: string }
  | { kind: 'output'; id: string; mod: Module; name: string }
  | { kind: 'resource'; id: string; mod: Module; res: Resource }
  | { kind: 'module'; id: string; mod: Module; call: ModuleCall }
  | { kind: 'expand'; id: string; mod: Module; call: ModuleCall }
  | { kind: 'provider'; id: string; mod: Module; prov: ProviderConfig };

export interface ConfigGraph {
  dag: Dag;
  nodes: Map<string, ConfigNode>;
  /** Dependencies first. */
  order: string[];
  /** For each resource node: the resource nodes it depends on, directly or through locals, variables, outputs and modules. */
  resourceDeps: Map<string, string[]>;
}

export function modulePrefix(mod: Module): string {
  let s = '';
  for (const p of mod.path) s += `module.${p}.`;
  return s;
}

/** What a position in the configuration allows: count.index, each.*, self. */
interface RefContext {
  mod: Module;
  hasCount: boolean;
  hasEach: boolean;
  allowSelf: boolean;
  what: string; // for messages: 'resource "poolform_data" "a"'
}

const BUILTIN_ROOTS = ['var', 'local', 'module', 'data', 'path', 'count', 'each', 'self', 'poolform', 'terraform'];

export function buildConfigGraph(config: Config, diags: Diagnostics): ConfigGraph {
  const dag = new Dag();
  const nodes = new Map<string, ConfigNode>();
  const mods = allModules(config.root);

  const add = (n: ConfigNode, range: Range, label: string): void => {
    nodes.set(n.id, n);
    dag.addNode(n.id, { id: n.id, label, range });
  };
  for (const m of mods) {
    const p = modulePrefix(m);
    for (const v of m.variables.values()) add({ kind: 'var', id: `${p}var.${v.name}`, mod: m, name: v.name }, v.range, `${p}var.${v.name}`);
    for (const l of m.locals.values()) add({ kind: 'local', id: `${p}local.${l.name}`, mod: m, name: l.name }, l.range, `${p}local.${l.name}`);
    for (const o of m.outputs.values()) add({ kind: 'output', id: `${p}output.${o.name}`, mod: m, name: o.name }, o.range, `${p}output.${o.name}`);
    for (const r of m.resources.values()) add({ kind: 'resource', id: `${p}${r.key}`, mod: m, res: r }, r.range, `${p}${r.key}`);
    for (const c of m.moduleCalls.values()) {
      add({ kind: 'module', id: `${p}module.${c.name}`, mod: m, call: c }, c.range, `${p}module.${c.name}`);
      add({ kind: 'expand', id: `${p}module.${c.name}#expand`, mod: m, call: c }, c.range, `${p}module.${c.name} (count/for_each)`);
    }
    for (const pr of m.providers.values()) add({ kind: 'provider', id: `${p}provider.${pr.key}`, mod: m, prov: pr }, pr.range, `${p}provider.${pr.key}`);
  }

  const link = (from: string, refs: Reference[], ctx: RefContext): void => {
    for (const ref of refs) {
      const to = resolveReference(ref, ctx, diags);
      if (to && nodes.has(to)) dag.addDependency(from, to, ref.range);
    }
  };
  const linkTraversals = (from: string, ts: Traversal[], ctx: RefContext): void => {
    link(from, ts.flatMap((t) => referencesOf(t.expr)), ctx);
  };

  for (const m of mods) {
    const p = modulePrefix(m);
    const base: RefContext = { mod: m, hasCount: false, hasEach: false, allowSelf: false, what: '' };
    for (const v of m.variables.values()) {
      const id = `${p}var.${v.name}`;
      for (const val of v.validations) {
        for (const ref of referencesOf(val.condition).concat(referencesOf(val.errorMessage))) {
          if (!(ref.root === 'var' && attrStep(ref.steps, 0) === v.name)) {
            diags.error('Invalid reference in variable validation', ref.range, `The condition for variable "${v.name}" can only refer to the variable itself, as var.${v.name}.`);
          }
        }
      }
      if (v.default) {
        for (const ref of referencesOf(v.default)) diags.error('Variables not allowed', ref.range, 'A variable default must be a literal value; it cannot refer to other objects.');
      }
      // A child module's variable takes its value from the call in the parent.
      const parent = m.parent;
      if (parent) {
        const call = parent.moduleCalls.get(m.path[m.path.length - 1])!;
        const input = call.inputs.get(v.name);
        const pctx: RefContext = { mod: parent, hasCount: !!call.count, hasEach: !!call.forEach, allowSelf: false, what: `module "${call.name}"` };
        if (input) link(id, referencesOf(input.expr), pctx);
        dag.addDependency(id, `${modulePrefix(parent)}module.${call.name}#expand`, call.range);
      }
    }
    for (const l of m.locals.values()) link(`${p}local.${l.name}`, referencesOf(l.expr), { ...base, what: `local.${l.name}` });
    for (const o of m.outputs.values()) {
      const id = `${p}output.${o.name}`;
      const ctx = { ...base, what: `output "${o.name}"` };
      link(id, referencesOf(o.expr), ctx);
      linkTraversals(id, o.dependsOn, ctx);
      for (const pc of o.preconditions) link(id, referencesOf(pc.condition).concat(referencesOf(pc.errorMessage)), ctx);
    }
    for (const r of m.resources.values()) {
      const id = `${p}${r.key}`;
      const ctx: RefContext = { mod: m, hasCount: !!r.count, hasEach: !!r.forEach, allowSelf: false, what: `${r.mode === 'data' ? 'data' : 'resource'} "${r.type}" "${r.name}"` };
      const metaCtx: RefContext = { ...ctx, hasCount: false, hasEach: false };
      link(id, referencesOf(r.count).concat(referencesOf(r.forEach)), metaCtx);
      link(id, bodyReferences(r.body), ctx);
      linkTraversals(id, r.dependsOn, ctx);
      linkTraversals(id, r.lifecycle.replaceTriggeredBy, ctx);
      for (const pc of r.lifecycle.preconditions) link(id, referencesOf(pc.condition).concat(referencesOf(pc.errorMessage)), ctx);
      for (const pc of r.lifecycle.postconditions) link(id, referencesOf(pc.condition).concat(referencesOf(pc.errorMessage)), { ...ctx, allowSelf: true });
      for (const e of [r.lifecycle.preventDestroy, r.lifecycle.createBeforeDestroy]) {
        if (e) for (const ref of referencesOf(e)) diags.error('Variables not allowed', ref.range, 'lifecycle settings must be literal values.');
      }
      const prov = providerNodeFor(r, m);
      if (prov && nodes.has(prov)) dag.addDependency(id, prov, r.providerRef?.range);
      else if (r.providerRef) {
        const candidates = [...m.providers.keys()];
        diags.error('Reference to undeclared provider configuration', r.providerRef.range, `There is no provider "${r.providerRef.name}${r.providerRef.alias ? '.' + r.providerRef.alias : ''}" block in this module.`, nearestName(`${r.providerRef.name}.${r.providerRef.alias ?? ''}`, candidates));
      }
      if (m.parent) dag.addDependency(id, `${modulePrefix(m.parent)}module.${m.path[m.path.length - 1]}#expand`);
    }
    for (const c of m.moduleCalls.values()) {
      const id = `${p}module.${c.name}`;
      const exp = `${id}#expand`;
      const ctx = { ...base, what: `module "${c.name}"` };
      link(exp, referencesOf(c.count).concat(referencesOf(c.forEach)), ctx);
      linkTraversals(exp, c.dependsOn, ctx);
      dag.addDependency(id, exp);
      if (c.module) {
        const cp = modulePrefix(c.module);
        for (const o of c.module.outputs.values()) dag.addDependency(id, `${cp}output.${o.name}`);
        for (const [name, input] of c.inputs) {
          if (!c.module.variables.has(name)) {
            diags.error('Unsupported argument', input.nameRange, `Module "${c.name}" has no variable named "${name}".`, nearestName(name, c.module.variables.keys()));
          }
        }
        for (const v of c.module.variables.values()) {
          if (!v.default && !c.inputs.has(v.name)) diags.error('Missing required argument', c.range, `Module "${c.name}" requires a value for its variable "${v.name}" (declared at ${v.range.file}:${v.range.start.line}).`);
        }
      }
    }
    for (const pr of m.providers.values()) {
      link(`${p}provider.${pr.key}`, bodyReferences(pr.body), { ...base, what: `provider "${pr.name}"` });
    }
  }

  const cycles = dag.findCycles();
  if (cycles.length) {
    diags.add(cycleDiagnostics(dag, cycles));
    return { dag, nodes, order: [], resourceDeps: new Map() };
  }
  const order = dag.topoOrder();
  // Resource → resource dependencies, seen through everything that is not a resource.
  const through = new Map<string, string[]>();
  const resourceDeps = new Map<string, string[]>();
  for (const id of order) {
    const set = new Set<string>();
    for (const dep of dag.dependenciesOf(id)) {
      const n = nodes.get(dep);
      if (n?.kind === 'resource') set.add(dep);
      else for (const x of through.get(dep) ?? []) set.add(x);
    }
    const arr = [...set];
    through.set(id, arr);
    if (nodes.get(id)?.kind === 'resource') resourceDeps.set(id, arr);
  }
  return { dag, nodes, order, resourceDeps };
}

/** The provider configuration a resource uses: its `provider` argument, else the default one for its type's prefix, searched up the module tree. */
export function providerKeyFor(r: Resource): string {
  if (r.providerRef) return r.providerRef.alias ? `${r.providerRef.name}.${r.providerRef.alias}` : r.providerRef.name;
  return providerNameOfType(r.type);
}

export function providerNameOfType(type: string): string {
  const i = type.indexOf('_');
  return i < 0 ? type : type.slice(0, i);
}

function providerNodeFor(r: Resource, m: Module): string | undefined {
  // An explicit `provider = x.y` must be declared in the module itself; a default one may be inherited.
  const decl = r.providerRef ? (m.providers.has(providerKeyFor(r)) ? m : undefined) : providerModule(m, providerKeyFor(r));
  return decl ? `${modulePrefix(decl)}provider.${providerKeyFor(r)}` : undefined;
}

/** The nearest module, from `m` up to the root, that configures provider `key`. */
export function providerModule(m: Module, key: string): Module | undefined {
  for (let cur: Module | undefined = m; cur; cur = cur.parent) if (cur.providers.has(key)) return cur;
  return undefined;
}

/** Every reference in a resource or provider body, dynamic blocks included (their iterator is bound inside `content`). */
export function bodyReferences(body: Body, bound: ReadonlySet<string> = new Set(), out: Reference[] = []): Reference[] {
  if (body.json) {
    const scratch = new Diagnostics();
    for (const a of justAttributes(body, scratch).values()) referencesOf(a.expr, bound, out);
    return out;
  }
  for (const a of body.attributes) referencesOf(a.expr, bound, out);
  for (const b of body.blocks) {
    if (b.type === 'dynamic') {
      const d = decodeDynamic(b, new Diagnostics());
      referencesOf(d.forEach, bound, out);
      if (d.content) bodyReferences(d.content, new Set([...bound, d.iterator]), out);
    } else bodyReferences(b.body, bound, out);
  }
  return out;
}

/** Resolves one reference to the node it points at, reporting what is wrong with it. */
function resolveReference(ref: Reference, ctx: RefContext, diags: Diagnostics): string | undefined {
  const m = ctx.mod;
  const p = modulePrefix(m);
  const s0 = attrStep(ref.steps, 0);
  const where = m.path.length ? `module.${m.path.join('.module.')}` : 'the root module';
  switch (ref.root) {
    case 'var':
      if (!s0) return bad(diags, ref, 'Invalid reference', 'var must be followed by a variable name, as var.name.');
      if (!m.variables.has(s0)) {
        diags.error('Reference to undeclared input variable', stepsRange(ref, 1), `An input variable named "${s0}" has not been declared in ${where}.`, nearestName(s0, m.variables.keys()));
        return undefined;
      }
      return `${p}var.${s0}`;
    case 'local':
      if (!s0) return bad(diags, ref, 'Invalid reference', 'local must be followed by a name, as local.name.');
      if (!m.locals.has(s0)) {
        diags.error('Reference to undeclared local value', stepsRange(ref, 1), `A local value named "${s0}" has not been declared in ${where}.`, nearestName(s0, m.locals.keys()));
        return undefined;
      }
      return `${p}local.${s0}`;
    case 'module': {
      if (!s0) return bad(diags, ref, 'Invalid reference', 'module must be followed by a module call name, as module.name.');
      const call = m.moduleCalls.get(s0);
      if (!call) {
        diags.error('Reference to undeclared module', stepsRange(ref, 1), `No module call named "${s0}" is declared in ${where}.`, nearestName(s0, m.moduleCalls.keys()));
        return undefined;
      }
      // module.x.out, or module.x[key].out
      let i = 1;
      if (ref.steps[i]?.kind === 'index') i++;
      const out = attrStep(ref.steps, i);
      if (out && call.module && !call.module.outputs.has(out)) {
        diags.error('Unsupported attribute', ref.steps[i].range, `Module "${s0}" has no output named "${out}".`, nearestName(out, call.module.outputs.keys()));
        return undefined;
      }
      return `${p}module.${s0}`;
    }
    case 'data': {
      const t = s0;
      const n = attrStep(ref.steps, 1);
      if (!t || !n) return bad(diags, ref, 'Invalid reference', 'A data source is referred to as data.TYPE.NAME.');
      const key = `data.${t}.${n}`;
      if (!m.resources.has(key)) {
        const names = [...m.resources.values()].filter((r) => r.mode === 'data').map((r) => `${r.type}.${r.name}`);
        const near = nearestName(`${t}.${n}`, names);
        diags.error('Reference to undeclared resource', stepsRange(ref, 2), `A data resource "${t}" "${n}" has not been declared in ${where}.`, near ? `data.${near}` : undefined);
        return undefined;
      }
      return `${p}${key}`;
    }
    case 'path': {
      if (s0 !== 'module' && s0 !== 'root' && s0 !== 'cwd') {
        diags.error('Invalid "path" attribute', stepsRange(ref, 1), 'path has the attributes module, root and cwd.', s0 ? nearestName(s0, ['module', 'root', 'cwd']) : undefined);
      }
      return undefined;
    }
    case 'count':
      if (!ctx.hasCount) diags.error('Reference to "count" in non-counted context', ref.range, `count.index is only available in ${ctx.what || 'a block'} that sets count.`);
      else if (s0 !== 'index') diags.error('Invalid "count" attribute', stepsRange(ref, 1), 'count has one attribute: index.', 'index');
      return undefined;
    case 'each':
      if (!ctx.hasEach) diags.error('Reference to "each" in context without for_each', ref.range, `each.key and each.value are only available in ${ctx.what || 'a block'} that sets for_each.`);
      else if (s0 !== 'key' && s0 !== 'value') diags.error('Invalid "each" attribute', stepsRange(ref, 1), 'each has the attributes key and value.', s0 ? nearestName(s0, ['key', 'value']) : undefined);
      return undefined;
    case 'self':
      if (!ctx.allowSelf) diags.error('Invalid "self" reference', ref.range, 'self is only available in postcondition blocks.');
      return undefined;
    case 'poolform':
    case 'terraform':
      if (s0 !== 'workspace') diags.error(`Invalid "${ref.root}" attribute`, stepsRange(ref, 1), `${ref.root} has one attribute: workspace.`, 'workspace');
      return undefined;
    default: {
      const n = s0;
      const key = n ? `${ref.root}.${n}` : ref.root;
      if (n && m.resources.has(key)) return `${p}${key}`;
      const types = new Set([...m.resources.values()].filter((r) => r.mode === 'managed').map((r) => r.type));
      if (types.has(ref.root) || ref.root.includes('_')) {
        if (!n) return bad(diags, ref, 'Invalid reference', `A resource is referred to as TYPE.NAME, e.g. ${ref.root}.example.`);
        const names = [...m.resources.values()].filter((r) => r.mode === 'managed').map((r) => r.key);
        diags.error('Reference to undeclared resource', stepsRange(ref, 1), `A managed resource "${ref.root}" "${n}" has not been declared in ${where}.`, nearestName(key, names));
        return undefined;
      }
      diags.error('Reference to unknown name', ref.range, `"${ref.root}" is not a variable, local, resource, module or other known name here.`, nearestName(ref.root, [...BUILTIN_ROOTS, ...types]));
      return undefined;
    }
  }
}

function bad(diags: Diagnostics, ref: Reference, summary: string, detail: string): undefined {
  diags.error(summary, ref.range, detail);
  return undefined;
}


/** The name at step i of a traversal, when that step is an attribute. */
function attrStep(steps: TraversalStep[], i: number): string | undefined {
  const st = steps[i];
  return st && st.kind === 'attr' ? st.name : undefined;
}

/** The range of a reference's root and its first n steps (what an "undeclared" error underlines). */
function stepsRange(ref: Reference, n: number): Range {
  if (n <= 0 || ref.steps.length === 0) return ref.range;
  const last = ref.steps[Math.min(n, ref.steps.length) - 1];
  return { file: ref.range.file, start: ref.range.start, end: last.range.end };
}
