// Reads a directory of configuration files into the Module model: decodes the top-level blocks,
// the meta-arguments of resources and modules, and loads local child modules. Errors are collected
// (all of them, with ranges); nothing here evaluates an expression except the static ones
// (type constraints, module sources, traversals in depends_on and friends).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Diagnostics, type Range } from '../diagnostics.js';
import type { Attribute, Block, Expr, File } from './hcl/ast.js';
import { parseHCL } from './hcl/parser.js';
import { isIdentifier } from './hcl/scanner.js';
import { parseHCLJSON } from './hcl/json.js';
import { bodyContent, justAttributes, partialContent, type BodySchema } from './hcl/content.js';
import { parseTypeConstraint } from '../lang/types.js';
import type {
  Config,
  ImportBlock,
  Lifecycle,
  Local,
  Module,
  ModuleCall,
  MovedBlock,
  Output,
  ProviderConfig,
  Resource,
  Traversal,
  Variable,
} from './model.js';

const ROOT_SCHEMA: BodySchema = {
  attributes: [],
  blocks: [
    { type: 'variable', labelNames: ['name'] },
    { type: 'locals', labelNames: [] },
    { type: 'output', labelNames: ['name'] },
    { type: 'resource', labelNames: ['type', 'name'] },
    { type: 'data', labelNames: ['type', 'name'] },
    { type: 'provider', labelNames: ['name'] },
    { type: 'module', labelNames: ['name'] },
    { type: 'import', labelNames: [] },
    { type: 'moved', labelNames: [] },
    { type: 'poolform', labelNames: [] },
  ],
};

const VARIABLE_SCHEMA: BodySchema = {
  attributes: [{ name: 'type' }, { name: 'default' }, { name: 'description' }, { name: 'sensitive' }, { name: 'nullable' }],
  blocks: [{ type: 'validation', labelNames: [] }],
};
const CONDITION_SCHEMA: BodySchema = {
  attributes: [{ name: 'condition', required: true }, { name: 'error_message' }],
  blocks: [],
};
const OUTPUT_SCHEMA: BodySchema = {
  attributes: [{ name: 'value', required: true }, { name: 'description' }, { name: 'sensitive' }, { name: 'depends_on' }],
  blocks: [{ type: 'precondition', labelNames: [] }],
};
const RESOURCE_META_SCHEMA: BodySchema = {
  attributes: [{ name: 'count' }, { name: 'for_each' }, { name: 'provider' }, { name: 'depends_on' }],
  blocks: [{ type: 'lifecycle', labelNames: [] }],
};
const LIFECYCLE_SCHEMA: BodySchema = {
  attributes: [
    { name: 'prevent_destroy' },
    { name: 'create_before_destroy' },
    { name: 'ignore_changes' },
    { name: 'replace_triggered_by' },
  ],
  blocks: [
    { type: 'precondition', labelNames: [] },
    { type: 'postcondition', labelNames: [] },
  ],
};
const PROVIDER_META_SCHEMA: BodySchema = { attributes: [{ name: 'alias' }], blocks: [] };
const MODULE_META_SCHEMA: BodySchema = {
  attributes: [{ name: 'source', required: true }, { name: 'count' }, { name: 'for_each' }, { name: 'depends_on' }, { name: 'providers' }, { name: 'version' }],
  blocks: [],
};
const IMPORT_SCHEMA: BodySchema = {
  attributes: [{ name: 'to', required: true }, { name: 'id', required: true }, { name: 'provider' }],
  blocks: [],
};
const MOVED_SCHEMA: BodySchema = {
  attributes: [{ name: 'from', required: true }, { name: 'to', required: true }],
  blocks: [],
};
const SETTINGS_SCHEMA: BodySchema = {
  attributes: [{ name: 'required_version' }],
  blocks: [{ type: 'required_providers', labelNames: [] }],
};

/** Is this file a configuration file (as opposed to a variables file)? */
export function isConfigFile(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (isVarsFile(name)) return false;
  return name.endsWith('.hcl') || name.endsWith('.hcl.json');
}

export function isVarsFile(name: string): boolean {
  return /\.vars\.hcl(\.json)?$/.test(name);
}

/** Parses one file by its extension. */
export function parseFile(filename: string, source: string, diags: Diagnostics): File {
  return filename.endsWith('.json') ? parseHCLJSON(source, filename, diags) : parseHCL(source, filename, diags);
}

/**
 * Loads the root module at `dir` and its local child modules.
 * `displayBase` makes file names in messages relative (to where the user ran the command).
 */
export function loadConfig(dir: string, diags: Diagnostics, displayBase = dir): Config {
  const sources = new Map<string, string>();
  const hash = createHash('sha256');
  const root = loadModule(path.resolve(dir), [], diags, sources, hash, displayBase, new Set());
  return { root, sources, hash: hash.digest('hex') };
}

function loadModule(
  dir: string,
  modPath: string[],
  diags: Diagnostics,
  sources: Map<string, string>,
  hash: ReturnType<typeof createHash>,
  displayBase: string,
  loading: Set<string>,
): Module {
  const mod: Module = {
    dir,
    path: modPath,
    files: [],
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    resources: new Map(),
    providers: new Map(),
    moduleCalls: new Map(),
    imports: [],
    moved: [],
    requiredProviders: new Map(),
  };
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter(isConfigFile).sort();
  } catch (e) {
    diags.error(`Cannot read configuration directory ${dir}`, undefined, (e as Error).message);
    return mod;
  }
  if (names.length === 0 && modPath.length === 0) {
    diags.error(`No configuration files in ${path.relative(displayBase, dir) || '.'}`, undefined, 'poolform reads every *.hcl and *.hcl.json file of the directory. Use -chdir=DIR to point at another configuration.');
  }
  for (const name of names) {
    const full = path.join(dir, name);
    const display = path.relative(displayBase, full) || name;
    let source: string;
    try {
      source = fs.readFileSync(full, 'utf8');
    } catch (e) {
      diags.error(`Cannot read ${display}`, undefined, (e as Error).message);
      continue;
    }
    sources.set(display, source);
    hash.update(`${modPath.join('/')}\0${name}\0${source}\0`);
    const file = parseFile(display, source, diags);
    mod.files.push(file);
    decodeFile(file, mod, diags);
  }
  for (const call of mod.moduleCalls.values()) {
    if (!call.source.startsWith('./') && !call.source.startsWith('../')) {
      diags.error('Unsupported module source', call.sourceRange, `Module "${call.name}" has source "${call.source}". Only local modules (paths starting with ./ or ../) are supported.`);
      continue;
    }
    const childDir = path.resolve(dir, call.source);
    if (loading.has(childDir)) {
      diags.error('Module calls itself', call.sourceRange, `Module "${call.name}" loads ${call.source}, which is already being loaded: modules cannot include themselves.`);
      continue;
    }
    if (!fs.existsSync(childDir) || !fs.statSync(childDir).isDirectory()) {
      diags.error('Module directory not found', call.sourceRange, `Module "${call.name}": ${call.source} is not a directory (resolved to ${childDir}).`);
      continue;
    }
    loading.add(dir);
    call.module = loadModule(childDir, [...modPath, call.name], diags, sources, hash, displayBase, loading);
    call.module.parent = mod;
    loading.delete(dir);
  }
  return mod;
}

function decodeFile(file: File, mod: Module, diags: Diagnostics): void {
  const content = bodyContent(file.body, ROOT_SCHEMA, diags);
  for (const block of content.blocks) {
    switch (block.type) {
      case 'variable':
        addUnique(mod.variables, decodeVariable(block, diags), 'variable', diags);
        break;
      case 'locals':
        for (const attr of justAttributes(block.body, diags).values()) {
          const local: Local = { name: attr.name, expr: attr.expr, range: attr.nameRange };
          addUnique(mod.locals, local, 'local value', diags);
        }
        break;
      case 'output':
        addUnique(mod.outputs, decodeOutput(block, diags), 'output', diags);
        break;
      case 'resource':
      case 'data': {
        const r = decodeResource(block, diags);
        const prev = mod.resources.get(r.key);
        if (prev) {
          diags.error(
            `Duplicate ${r.mode === 'data' ? 'data' : 'resource'} "${r.type}" configuration`,
            r.range,
            `A ${r.mode === 'data' ? 'data' : 'resource'} named "${r.name}" of type "${r.type}" was already declared at ${rangeText(prev.range)}. Resource names must be unique per type in each module.`,
          );
        } else mod.resources.set(r.key, r);
        break;
      }
      case 'provider': {
        const p = decodeProvider(block, diags);
        const prev = mod.providers.get(p.key);
        if (prev) diags.error(`Duplicate provider configuration`, p.range, `Provider "${p.key}" was already configured at ${rangeText(prev.range)}. Use alias to configure it twice.`);
        else mod.providers.set(p.key, p);
        break;
      }
      case 'module': {
        const m = decodeModuleCall(block, diags);
        if (m) addUnique(mod.moduleCalls, m, 'module call', diags);
        break;
      }
      case 'import': {
        const imp = decodeImport(block, diags);
        if (imp) mod.imports.push(imp);
        break;
      }
      case 'moved': {
        const mv = decodeMoved(block, diags);
        if (mv) mod.moved.push(mv);
        break;
      }
      case 'poolform':
        decodeSettings(block, mod, diags);
        break;
    }
  }
}

function addUnique<T extends { name: string; range: Range }>(map: Map<string, T>, item: T, what: string, diags: Diagnostics): void {
  const prev = map.get(item.name);
  if (prev) {
    diags.error(`Duplicate ${what} "${item.name}"`, item.range, `A ${what} named "${item.name}" was already declared at ${rangeText(prev.range)}.`);
    return;
  }
  map.set(item.name, item);
}

export function rangeText(r: Range): string {
  return `${r.file}:${r.start.line}:${r.start.col}`;
}

function headerRange(block: Block): Range {
  const last = block.labelRanges.length ? block.labelRanges[block.labelRanges.length - 1] : block.typeRange;
  return { file: block.typeRange.file, start: block.typeRange.start, end: last.end };
}

function decodeVariable(block: Block, diags: Diagnostics): Variable {
  const c = bodyContent(block.body, VARIABLE_SCHEMA, diags);
  const name = block.labels[0];
  if (!isIdentifier(name)) diags.error('Invalid variable name', block.labelRanges[0], `"${name}" is not a valid identifier.`);
  const v: Variable = {
    name,
    sensitive: staticBool(c.attributes.get('sensitive'), false, diags),
    nullable: staticBool(c.attributes.get('nullable'), true, diags),
    validations: [],
    range: headerRange(block),
  };
  const t = c.attributes.get('type');
  if (t) v.type = parseTypeConstraint(t.expr, diags);
  const d = c.attributes.get('default');
  if (d) v.default = d.expr;
  const desc = c.attributes.get('description');
  if (desc) v.description = staticString(desc, diags);
  for (const vb of c.blocks) {
    const vc = bodyContent(vb.body, CONDITION_SCHEMA, diags);
    const cond = vc.attributes.get('condition');
    if (cond) v.validations.push({ condition: cond.expr, errorMessage: vc.attributes.get('error_message')?.expr, range: cond.range });
  }
  return v;
}

function decodeOutput(block: Block, diags: Diagnostics): Output {
  const c = bodyContent(block.body, OUTPUT_SCHEMA, diags);
  const value = c.attributes.get('value');
  const o: Output = {
    name: block.labels[0],
    expr: value ? value.expr : { kind: 'Literal', value: null, range: headerRange(block) },
    sensitive: staticBool(c.attributes.get('sensitive'), false, diags),
    dependsOn: traversalList(c.attributes.get('depends_on'), diags),
    preconditions: conditions(c.blocks, diags),
    range: headerRange(block),
  };
  const desc = c.attributes.get('description');
  if (desc) o.description = staticString(desc, diags);
  return o;
}

function conditions(blocks: Block[], diags: Diagnostics): { condition: Expr; errorMessage?: Expr; range: Range }[] {
  const out: { condition: Expr; errorMessage?: Expr; range: Range }[] = [];
  for (const b of blocks) {
    const c = bodyContent(b.body, CONDITION_SCHEMA, diags);
    const cond = c.attributes.get('condition');
    if (cond) out.push({ condition: cond.expr, errorMessage: c.attributes.get('error_message')?.expr, range: cond.range });
  }
  return out;
}

function decodeResource(block: Block, diags: Diagnostics): Resource {
  const mode = block.type === 'data' ? 'data' : 'managed';
  const [type, name] = block.labels;
  for (let i = 0; i < 2; i++) {
    const l = block.labels[i];
    if (l !== undefined && !isIdentifier(l)) diags.error(`Invalid ${i === 0 ? 'resource type' : 'resource name'}`, block.labelRanges[i], `"${l}" is not a valid identifier: use letters, digits, underscores and dashes, starting with a letter or underscore.`);
  }
  const c = partialContent(block.body, RESOURCE_META_SCHEMA, diags);
  const r: Resource = {
    mode,
    type,
    name,
    key: mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`,
    count: c.attributes.get('count')?.expr,
    forEach: c.attributes.get('for_each')?.expr,
    dependsOn: traversalList(c.attributes.get('depends_on'), diags),
    lifecycle: { ignoreChanges: { all: false, paths: [] }, replaceTriggeredBy: [], preconditions: [], postconditions: [] },
    body: c.remain,
    range: headerRange(block),
    declRange: block.range,
  };
  if (r.count && r.forEach) diags.error('Invalid combination of "count" and "for_each"', c.attributes.get('for_each')!.range, 'A resource may use count or for_each, not both.');
  const prov = c.attributes.get('provider');
  if (prov) r.providerRef = providerRef(prov, diags);
  const lcs = c.blocks.filter((b) => b.type === 'lifecycle');
  if (lcs.length > 1) diags.error('Duplicate lifecycle block', lcs[1].typeRange, 'A resource may have only one lifecycle block.');
  if (lcs.length) r.lifecycle = decodeLifecycle(lcs[0], mode, diags);
  return r;
}

function decodeLifecycle(block: Block, mode: 'managed' | 'data', diags: Diagnostics): Lifecycle {
  const c = bodyContent(block.body, LIFECYCLE_SCHEMA, diags);
  const lc: Lifecycle = {
    preventDestroy: c.attributes.get('prevent_destroy')?.expr,
    createBeforeDestroy: c.attributes.get('create_before_destroy')?.expr,
    ignoreChanges: { all: false, paths: [] },
    replaceTriggeredBy: traversalList(c.attributes.get('replace_triggered_by'), diags),
    preconditions: conditions(c.blocks.filter((b) => b.type === 'precondition'), diags),
    postconditions: conditions(c.blocks.filter((b) => b.type === 'postcondition'), diags),
  };
  if (mode === 'data' && (lc.preventDestroy || lc.createBeforeDestroy || c.attributes.has('ignore_changes') || lc.replaceTriggeredBy.length)) {
    diags.error('Invalid data resource lifecycle argument', block.typeRange, 'Data resources only accept precondition and postcondition in lifecycle.');
  }
  const ic = c.attributes.get('ignore_changes');
  if (ic) {
    const e = ic.expr;
    if (e.kind === 'ScopeTraversal' && e.root === 'all' && e.steps.length === 0) lc.ignoreChanges.all = true;
    else if (e.kind === 'Tuple') {
      for (const item of e.items) {
        const p = staticPath(item);
        if (p) lc.ignoreChanges.paths.push({ path: p, range: item.range });
        else diags.error('Invalid ignore_changes entry', item.range, 'Each entry must be an attribute name or path, such as tags or settings.mtu.');
      }
    } else diags.error('Invalid ignore_changes value', e.range, 'Expected a list of attribute names, or the keyword all.');
  }
  return lc;
}

function staticPath(e: Expr): (string | number)[] | undefined {
  if (e.kind === 'ScopeTraversal') return [e.root, ...e.steps.map((s) => (s.kind === 'attr' ? s.name : s.key))];
  if (e.kind === 'Template' && e.parts.length === 1 && e.parts[0].kind === 'Text') return [e.parts[0].value];
  if (e.kind === 'Literal' && typeof e.value === 'string') return [e.value];
  return undefined;
}

function providerRef(attr: Attribute, diags: Diagnostics): { name: string; alias?: string; range: Range } | undefined {
  const e = attr.expr;
  if (e.kind === 'ScopeTraversal' && e.steps.length <= 1 && (e.steps.length === 0 || e.steps[0].kind === 'attr')) {
    return { name: e.root, alias: e.steps.length ? (e.steps[0] as { name: string }).name : undefined, range: e.range };
  }
  diags.error('Invalid provider reference', e.range, 'Expected a provider name such as xenserver or xenserver.dc2 (not a string).');
  return undefined;
}

function decodeProvider(block: Block, diags: Diagnostics): ProviderConfig {
  const c = partialContent(block.body, PROVIDER_META_SCHEMA, diags);
  const alias = c.attributes.get('alias');
  const aliasName = alias ? staticString(alias, diags) : undefined;
  const name = block.labels[0];
  return { name, alias: aliasName, key: aliasName ? `${name}.${aliasName}` : name, body: c.remain, range: headerRange(block) };
}

function decodeModuleCall(block: Block, diags: Diagnostics): ModuleCall | undefined {
  const c = partialContent(block.body, MODULE_META_SCHEMA, diags);
  const source = c.attributes.get('source');
  if (!source) return undefined;
  const call: ModuleCall = {
    name: block.labels[0],
    source: staticString(source, diags) ?? '',
    sourceRange: source.expr.range,
    count: c.attributes.get('count')?.expr,
    forEach: c.attributes.get('for_each')?.expr,
    dependsOn: traversalList(c.attributes.get('depends_on'), diags),
    inputs: new Map(),
    providers: new Map(),
    range: headerRange(block),
  };
  if (call.count && call.forEach) diags.error('Invalid combination of "count" and "for_each"', c.attributes.get('for_each')!.range, 'A module call may use count or for_each, not both.');
  if (c.attributes.has('version')) diags.error('Module version not supported', c.attributes.get('version')!.range, 'Local modules have no version; remove the argument.');
  for (const attr of justAttributes(c.remain, diags).values()) call.inputs.set(attr.name, { expr: attr.expr, range: attr.range, nameRange: attr.nameRange });
  return call;
}

function decodeImport(block: Block, diags: Diagnostics): ImportBlock | undefined {
  const c = bodyContent(block.body, IMPORT_SCHEMA, diags);
  const to = c.attributes.get('to');
  const id = c.attributes.get('id');
  if (!to || !id) return undefined;
  const t = traversal(to.expr, diags);
  if (!t) return undefined;
  const prov = c.attributes.get('provider');
  return { to: t, id: id.expr, providerRef: prov ? providerRef(prov, diags) : undefined, range: block.typeRange };
}

function decodeMoved(block: Block, diags: Diagnostics): MovedBlock | undefined {
  const c = bodyContent(block.body, MOVED_SCHEMA, diags);
  const from = c.attributes.get('from');
  const to = c.attributes.get('to');
  if (!from || !to) return undefined;
  const f = traversal(from.expr, diags);
  const t = traversal(to.expr, diags);
  if (!f || !t) return undefined;
  return { from: f, to: t, range: block.typeRange };
}

function decodeSettings(block: Block, mod: Module, diags: Diagnostics): void {
  const c = bodyContent(block.body, SETTINGS_SCHEMA, diags);
  for (const rp of c.blocks) {
    for (const attr of justAttributes(rp.body, diags).values()) {
      const e = attr.expr;
      let source: string | undefined;
      if (e.kind === 'Object') {
        for (const item of e.items) {
          const k = item.key.kind === 'Literal' ? item.key.value : item.key.kind === 'Template' && item.key.parts[0]?.kind === 'Text' ? item.key.parts[0].value : undefined;
          if (k === 'source') source = literalString(item.value);
        }
      }
      if (source === undefined) diags.error('Invalid required_providers entry', attr.range, `Expected ${attr.name} = { source = "./path/to/provider" }.`);
      else mod.requiredProviders.set(attr.name, { source, range: attr.range });
    }
  }
}

function literalString(e: Expr): string | undefined {
  if (e.kind === 'Literal' && typeof e.value === 'string') return e.value;
  if (e.kind === 'Template' && e.parts.every((p) => p.kind === 'Text')) return e.parts.map((p) => (p as { value: string }).value).join('');
  return undefined;
}

function staticString(attr: Attribute, diags: Diagnostics): string | undefined {
  const s = literalString(attr.expr);
  if (s === undefined) diags.error(`Invalid value for "${attr.name}"`, attr.expr.range, 'A literal string is required here; variables and functions are not allowed.');
  return s;
}

function staticBool(attr: Attribute | undefined, dflt: boolean, diags: Diagnostics): boolean {
  if (!attr) return dflt;
  const e = attr.expr;
  if (e.kind === 'Literal' && typeof e.value === 'boolean') return e.value;
  diags.error(`Invalid value for "${attr.name}"`, e.range, 'A literal true or false is required here.');
  return dflt;
}

/** Text of a static reference, e.g. poolform_data.a["x"] or module.net. */
export function traversalText(e: Expr): string | undefined {
  if (e.kind !== 'ScopeTraversal') return undefined;
  let s = e.root;
  for (const st of e.steps) s += st.kind === 'attr' ? `.${st.name}` : typeof st.key === 'number' ? `[${st.key}]` : `[${JSON.stringify(st.key)}]`;
  return s;
}

function traversal(e: Expr, diags: Diagnostics): Traversal | undefined {
  const text = traversalText(e);
  if (text === undefined) {
    diags.error('Invalid reference', e.range, 'Expected a static reference such as poolform_data.a or module.net, with no function calls or computed indexes.');
    return undefined;
  }
  return { text, expr: e, range: e.range };
}

function traversalList(attr: Attribute | undefined, diags: Diagnostics): Traversal[] {
  if (!attr) return [];
  if (attr.expr.kind !== 'Tuple') {
    diags.error(`Invalid value for "${attr.name}"`, attr.expr.range, 'Expected a list of references, such as [poolform_data.a, module.net].');
    return [];
  }
  const out: Traversal[] = [];
  for (const item of attr.expr.items) {
    const t = traversal(item, diags);
    if (t) out.push(t);
  }
  return out;
}

