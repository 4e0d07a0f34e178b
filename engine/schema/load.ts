// Loading resource schemas: one JSON Schema (draft 2020-12) per resource type, `schemas/<type>.json`,
// with poolform's metadata in `x-` keywords. The JSON Schema is the single source of truth: the
// AttributeMeta records the engine reads are derived here, and each file is checked against ajv's
// meta-schema and compiled in strict mode at load, so a typo in a schema file is reported naming
// the file instead of silently changing behaviour.
//
// Keywords (see also engine/schema/types.ts):
//   top level:   x-kind ("resource" | "data" | "provider", default "resource"),
//                x-provider (default: the type's prefix before the first "_")
//   properties:  x-computed, x-optional (with x-computed: the user may set it), x-sensitive,
//                x-replace-on-change, x-write-only (or JSON Schema's own `writeOnly`),
//                x-drift ("desired" | "runtime" | "ignore"), x-nesting ("single" | "list"),
//                x-set (an array whose order means nothing: compared and stored sorted)
// A resource's type is its file name without `.json`; a provider configuration schema
// (x-kind "provider") takes its provider's name as its type.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import type { AnySchemaObject } from 'ajv/dist/2020.js';
import { type Diagnostic, DiagnosticsError } from '../diagnostics.js';
import type { AttributeMeta, DriftClass, ResourceSchema } from './types.js';

// ajv is CommonJS: under NodeNext the default import is module.exports, whose `.default` is the class.
const Ajv2020 = Ajv2020Module.default;
type AjvInstance = InstanceType<typeof Ajv2020>;

const BOOL_KEYWORDS = ['x-computed', 'x-optional', 'x-sensitive', 'x-replace-on-change', 'x-write-only', 'x-set'];
const ENUM_KEYWORDS: Record<string, string[]> = {
  'x-drift': ['desired', 'runtime', 'ignore'],
  'x-nesting': ['single', 'list'],
  'x-kind': ['resource', 'data', 'provider'],
};

// Formats poolform schemas may use. ajv ships none (ajv-formats is not a dependency, and these
// few checks are simple), so they are defined here; an unknown format is a load error (strict).
const FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  ipv4: /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
  ipv6: (s) => /^[0-9a-f:.]+$/i.test(s) && s.includes(':') && isIPv6(s),
  cidr: (s) => {
    const m = /^(.+)\/(\d{1,3})$/.exec(s);
    if (!m) return false;
    const bits = Number(m[2]);
    return (FORMATS.ipv4 as RegExp).test(m[1]) ? bits <= 32 : isIPv6(m[1]) && bits <= 128;
  },
  mac: /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i,
  hostname: /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i,
  uri: (s) => {
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  },
  'date-time': (s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)),
};

function isIPv6(s: string): boolean {
  try {
    return new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

let sharedAjv: AjvInstance | undefined;

/**
 * The one ajv instance poolform uses for resource schemas: draft 2020-12, strict, all errors,
 * verbose (errors carry their parent schema, for nearest-name suggestions), with the x- vocabulary
 * registered so strict mode accepts it and checks its values.
 */
export function schemaAjv(): AjvInstance {
  if (sharedAjv) return sharedAjv;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  for (const k of BOOL_KEYWORDS) ajv.addKeyword({ keyword: k, schemaType: 'boolean' });
  for (const [k, values] of Object.entries(ENUM_KEYWORDS)) ajv.addKeyword({ keyword: k, schemaType: 'string', metaSchema: { enum: values } });
  ajv.addKeyword({ keyword: 'x-provider', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-derived-from', schemaType: 'array', metaSchema: { type: 'array', items: { type: 'string' } } });
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, check instanceof RegExp ? check : { validate: check });
  sharedAjv = ajv;
  return ajv;
}

/** Resolve a local `$ref` ("#/$defs/x") against the schema root; other refs are left alone. */
export function resolveLocalRef(node: Record<string, unknown>, root: Record<string, unknown>): Record<string, unknown> {
  let cur = node;
  for (let hops = 0; hops < 32 && typeof cur.$ref === 'string' && cur.$ref.startsWith('#/'); hops++) {
    let target: unknown = root;
    for (const raw of cur.$ref.slice(2).split('/')) {
      const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      target = target !== null && typeof target === 'object' ? (target as Record<string, unknown>)[seg] : undefined;
    }
    if (target === null || typeof target !== 'object') break;
    cur = target as Record<string, unknown>;
  }
  return cur;
}

/** A JSON object node, or undefined for anything else (arrays, booleans, null). */
export function asObject(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function hasType(node: Record<string, unknown>, t: string): boolean {
  return node.type === t || (Array.isArray(node.type) && node.type.includes(t));
}

/** The object schema whose properties describe nested attributes: the node itself, or its array items. */
function nestedObjectSchema(node: Record<string, unknown>, root: Record<string, unknown>): Record<string, unknown> | undefined {
  if (hasType(node, 'object') && asObject(node.properties)) return node;
  if (hasType(node, 'array')) {
    const items = asObject(node.items);
    if (items) {
      const it = resolveLocalRef(items, root);
      if (hasType(it, 'object') && asObject(it.properties)) return it;
    }
  }
  return undefined;
}

/** Derive AttributeMeta for every property of an object schema (recursively), noting problems. */
function deriveAttributes(
  objSchema: Record<string, unknown>,
  root: Record<string, unknown>,
  where: string,
  problems: string[],
  depth: number,
): Record<string, AttributeMeta> {
  const out: Record<string, AttributeMeta> = {};
  const props = asObject(objSchema.properties) ?? {};
  const required = new Set(Array.isArray(objSchema.required) ? (objSchema.required as string[]) : []);
  for (const [name, raw] of Object.entries(props)) {
    const rawNode = asObject(raw);
    if (!rawNode) continue; // boolean sub-schemas: `true` means any value
    const node = resolveLocalRef(rawNode, root);
    // x- keywords may sit beside the $ref as well as in the referenced schema.
    const kw = (k: string): unknown => (rawNode[k] !== undefined ? rawNode[k] : node[k]);
    const computed = kw('x-computed') === true;
    const isRequired = required.has(name);
    const meta: AttributeMeta = {
      name,
      jsonType: node.type as string | string[] | undefined,
      required: isRequired,
      computed,
      // Terraform's reading: an attribute the user may set but need not; for computed ones only with x-optional.
      optional: !isRequired && (!computed || kw('x-optional') === true),
      sensitive: kw('x-sensitive') === true,
      replaceOnChange: kw('x-replace-on-change') === true,
      drift: (kw('x-drift') as DriftClass | undefined) ?? 'desired',
      writeOnly: kw('x-write-only') === true || kw('writeOnly') === true,
    };
    const def = kw('default');
    if (def !== undefined) meta.default = def;
    const derived = kw('x-derived-from');
    if (Array.isArray(derived)) meta.derivedFrom = derived as string[];
    const desc = kw('description');
    if (typeof desc === 'string') meta.description = desc;
    if (Array.isArray(node.enum)) meta.enum = node.enum;
    if (kw('x-set') === true) meta.set = true;
    const at = where === '' ? name : `${where}.${name}`;
    if (isRequired && computed) problems.push(`${at}: an attribute cannot be both required and x-computed`);
    if (meta.set && !hasType(node, 'array')) problems.push(`${at}: x-set needs an array`);
    if (meta.writeOnly && computed) problems.push(`${at}: a write-only attribute cannot be computed (it is never read back)`);
    const nestedSchema = depth < 16 ? nestedObjectSchema(node, root) : undefined;
    if (nestedSchema) meta.nested = deriveAttributes(nestedSchema, root, at, problems, depth + 1);
    const nesting = kw('x-nesting');
    if (nesting !== undefined) {
      const wantArray = nesting === 'list';
      if (!nestedSchema || hasType(node, 'array') !== wantArray) {
        problems.push(`${at}: x-nesting "${String(nesting)}" needs ${wantArray ? 'an array of objects' : 'an object'} with properties`);
      } else meta.nesting = nesting as 'single' | 'list';
    }
    out[name] = meta;
  }
  return out;
}

function ajvMessage(e: { instancePath: string; schemaPath: string; message?: string }): string {
  return `${e.instancePath || e.schemaPath}: ${e.message ?? 'invalid'}`;
}

/** Check and interpret one parsed schema document; problems are pushed, never thrown. */
function interpret(json: unknown, file: string, problems: string[]): ResourceSchema | undefined {
  const doc = asObject(json);
  if (!doc) {
    problems.push('the file must hold a JSON object');
    return undefined;
  }
  // Schemas are addressed by type, not by URI: drop $id so loading a file twice cannot collide
  // in the shared ajv registry.
  delete doc.$id;
  const ajv = schemaAjv();
  if (!ajv.validateSchema(doc)) {
    for (const e of ajv.errors ?? []) {
      if (e.keyword !== 'anyOf') problems.push(`not a valid JSON Schema: ${ajvMessage(e)}`); // anyOf only repeats its branches
    }
  } else {
    try {
      ajv.compile(doc as AnySchemaObject); // strict mode: unknown keywords, bad x- values, unknown formats
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  // Derivation below is defensive, so it runs even after a failure and reports its own problems too.
  const kind = (doc['x-kind'] as ResourceSchema['kind'] | undefined) ?? 'resource';
  const base = basename(file).replace(/\.json$/i, '');
  const provider = (doc['x-provider'] as string | undefined) ?? (base.includes('_') ? base.slice(0, base.indexOf('_')) : base);
  const type = kind === 'provider' ? provider : base;
  if (!hasType(doc, 'object')) problems.push('the top level must have "type": "object"');
  if (kind !== 'provider' && doc.additionalProperties !== false) problems.push('the top level must have "additionalProperties": false (so unknown attributes are reported)');
  if (kind !== 'provider' && !type.startsWith(provider + '_')) problems.push(`type "${type}" must start with its provider's prefix "${provider}_"`);
  const attributes = deriveAttributes(doc, doc, '', problems, 0);
  const schema: ResourceSchema = { type, kind, provider, attributes, jsonSchema: doc, file };
  if (typeof doc.description === 'string') schema.description = doc.description;
  return schema;
}

function schemaError(file: string, problems: string[]): Diagnostic {
  return {
    severity: 'error',
    summary: `invalid schema file ${file}`,
    detail: problems.join('\n'),
  };
}

/** Read, check and interpret one schema file. Throws DiagnosticsError naming the file when it is broken. */
export function loadSchemaFile(path: string): ResourceSchema {
  const file = resolve(path);
  const problems: string[] = [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DiagnosticsError([schemaError(file, [(err as Error).message])]);
  }
  const schema = interpret(json, file, problems);
  if (!schema || problems.length > 0) throw new DiagnosticsError([schemaError(file, problems)]);
  return schema;
}

/**
 * Every `*.json` schema in a directory, sorted by file name. With `provider`, only that provider's
 * schemas (one `schemas/` folder holds every provider's). All broken files are reported together.
 */
export function loadSchemaDir(dir: string, provider?: string): ResourceSchema[] {
  const out: ResourceSchema[] = [];
  const diags: Diagnostic[] = [];
  const names = readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.json')).sort();
  for (const n of names) {
    try {
      const s = loadSchemaFile(join(dir, n));
      if (provider === undefined || s.provider === provider) out.push(s);
    } catch (err) {
      if (err instanceof DiagnosticsError) diags.push(...err.diagnostics);
      else throw err;
    }
  }
  if (diags.length > 0) throw new DiagnosticsError(diags);
  return out;
}

let root: string | undefined;

/**
 * The repository (package) root: the nearest folder above this module whose package.json names
 * poolform. Resolved from the module URL so it works from engine/schema/ and dist/engine/schema/.
 */
export function repoRoot(): string {
  if (root) return root;
  const start = dirname(fileURLToPath(import.meta.url));
  let firstPackage: string | undefined;
  for (let dir = start; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      firstPackage ??= dir;
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'poolform') return (root = dir);
      } catch {
        // an unreadable package.json is not ours; keep walking
      }
    }
    if (dirname(dir) === dir) break;
  }
  if (firstPackage) return (root = firstPackage);
  throw new Error(`cannot find poolform's package.json above ${start}`);
}

/** Absolute path of the repository's `schemas/` folder. */
export function schemaDir(): string {
  return join(repoRoot(), 'schemas');
}
