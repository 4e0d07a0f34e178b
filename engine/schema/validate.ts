// Validating an instance's attribute values against its resource type's JSON Schema.
//
// ajv does the checking (compiled once per type and cached, so 10,000 instances validate fast);
// this module adds what plain JSON Schema cannot know about poolform values:
//   - unknown values ({ "(known after apply)": true } placeholders) are not errors: object keys
//     holding one are dropped from the copy ajv sees, and errors at or under a list element
//     holding one are discarded;
//   - null means "not set" (as in HCL), so null-valued keys are dropped too;
//   - runtime Unknown and Sensitive wrappers are accepted as they are (checked as unknown / as
//     their value), so evaluated instance values need no conversion to JSON first;
//   - computed-only attributes set by the user are reported as such;
//   - ajv's errors become short human messages with nearest-name suggestions.

import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { nearestName } from '../diagnostics.js';
import { Sensitive, Unknown } from '../lang/value.js';
import { UNKNOWN_MARK } from '../provider.js';
import { schemaAjv } from './load.js';
import type { AttributeMeta, ResourceSchema } from './types.js';
import { isIdentifier } from '../config/hcl/scanner.js';

export interface SchemaError {
  /**
   * The value at fault, as attribute path segments (numbers index lists). For a missing required
   * attribute: the object (block) that lacks it; the message names the attribute.
   */
  path: (string | number)[];
  message: string;
  /** Nearest valid name or value, when the user likely mistyped one. */
  suggestion?: string;
}

export type Validator = (value: Record<string, unknown>) => SchemaError[];

const cache = new WeakMap<ResourceSchema, Validator>();

/** A Sensitive wrapper's content; anything else as it is. */
function unwrap(v: unknown): unknown {
  return v instanceof Sensitive ? v.value : v;
}

/** An unknown value: the JSON placeholder, or (tolerated too) a runtime Unknown. */
function isPlaceholder(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (v instanceof Unknown || (v as Record<string, unknown>)[UNKNOWN_MARK] === true);
}

interface Prepared {
  /** JSON pointers (ajv's instancePath form) of placeholders. */
  unknowns: Set<string> | undefined;
}

function escapePointer(s: string): string {
  return s.includes('~') || s.includes('/') ? s.replace(/~/g, '~0').replace(/\//g, '~1') : s;
}

/**
 * Copy-on-write: returns `v` itself when it holds no placeholder and no null object member
 * (the common case allocates nothing); otherwise a copy without them. Copies are built by
 * adding keys, never by `delete`, which would leave ajv a slow dictionary-mode object.
 */
function prepare(v: unknown, pointer: string, prep: Prepared): unknown {
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      let el = v[i];
      if (el === null || typeof el !== 'object') continue;
      const p = `${pointer}/${i}`;
      if (el instanceof Sensitive) {
        copy ??= v.slice();
        copy[i] = el = el.value;
        if (el === null || typeof el !== 'object') continue;
      }
      if (isPlaceholder(el)) {
        (prep.unknowns ??= new Set()).add(p);
        continue; // kept in place (indexes must not shift); errors under it are discarded
      }
      const n = prepare(el, p, prep);
      if (n !== v[i]) {
        copy ??= v.slice();
        copy[i] = n;
      }
    }
    return copy ?? v;
  }
  const obj = v as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const k in obj) {
    const el = obj[k];
    let n = unwrap(el);
    let drop = false;
    if (n === null || n === undefined) drop = true;
    else if (typeof n === 'object') {
      const p = `${pointer}/${escapePointer(k)}`;
      if (isPlaceholder(n)) {
        (prep.unknowns ??= new Set()).add(p);
        drop = true;
      } else n = prepare(n, p, prep);
    }
    if (copy === undefined) {
      if (!drop && n === el) continue;
      copy = {};
      for (const k2 in obj) {
        if (k2 === k) break;
        copy[k2] = obj[k2];
      }
    }
    if (!drop) copy[k] = n;
  }
  return copy ?? obj;
}

function under(pointer: string, set: Set<string> | undefined): boolean {
  if (!set || set.size === 0) return false;
  for (let p = pointer; ; ) {
    if (set.has(p)) return true;
    const cut = p.lastIndexOf('/');
    if (cut <= 0) return false;
    p = p.slice(0, cut);
  }
}

/** ajv's instancePath as path segments; numeric segments become numbers where the data is a list. */
function toPath(pointer: string, data: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** A path as the user would write it: settings.mtu, members[0], tags["a b"]. */
export function renderPath(path: (string | number)[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (s === '') s = seg;
    else s += isIdentifier(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return s;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'a bool',
  array: 'a list',
  null: 'null',
};

function typeWords(types: unknown, schema: Record<string, unknown> | undefined): string {
  const list = (Array.isArray(types) ? types : [types]).filter((t) => t !== 'null') as string[];
  const words = list.map((t) => (t === 'object' ? (schema && schema.properties ? 'an object' : 'a map') : (TYPE_WORDS[t] ?? t)));
  return words.length === 0 ? 'null' : words.join(' or ');
}

function subject(path: (string | number)[]): string {
  return path.length === 0 ? 'the value' : `attribute "${renderPath(path)}"`;
}

function convert(e: ErrorObject, data: unknown): SchemaError | undefined {
  const path = toPath(e.instancePath, data);
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const name = (e.params as { additionalProperty: string }).additionalProperty;
      const props = parent && parent.properties && typeof parent.properties === 'object' ? Object.keys(parent.properties) : [];
      const where = path.length > 0 ? ` in "${renderPath(path)}"` : '';
      const err: SchemaError = { path: [...path, name], message: `unknown attribute "${name}"${where}` };
      const s = nearestName(name, props);
      if (s) err.suggestion = s;
      return err;
    }
    case 'required': {
      const name = (e.params as { missingProperty: string }).missingProperty;
      return { path, message: `missing required attribute "${renderPath([...path, name])}"` };
    }
    case 'type':
      return { path, message: `${subject(path)} must be ${typeWords((e.params as { type: unknown }).type, parent)}` };
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      const shown = allowed.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(', ');
      const err: SchemaError = { path, message: `${subject(path)} must be one of: ${shown}` };
      if (typeof e.data === 'string') {
        const s = nearestName(e.data, allowed.filter((a): a is string => typeof a === 'string'));
        if (s) err.suggestion = s;
      }
      return err;
    }
    case 'const':
      return { path, message: `${subject(path)} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` };
    case 'if':
      return undefined; // the failing then/else branch reports the real problem
    default:
      return { path, message: `${subject(path)} ${e.message ?? 'is invalid'}` };
  }
}

/** Report computed-only attributes the user set; their pointers are noted so ajv's noise about them is dropped. */
function checkComputed(
  attrs: Record<string, AttributeMeta>,
  obj: Record<string, unknown>,
  path: (string | number)[],
  pointer: string,
  out: SchemaError[],
  found: { suppressed?: Set<string> },
): void {
  for (const name in attrs) {
    const meta = attrs[name];
    const v = unwrap(obj[name]);
    if (v === undefined || v === null || isPlaceholder(v)) continue;
    if (meta.computed && !meta.optional) {
      (found.suppressed ??= new Set()).add(`${pointer}/${escapePointer(name)}`);
      out.push({ path: [...path, name], message: `attribute "${renderPath([...path, name])}" is computed and cannot be set` });
      continue;
    }
    if (!meta.nested) continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const el = unwrap(v[i]);
        if (el !== null && typeof el === 'object' && !Array.isArray(el) && !isPlaceholder(el)) {
          checkComputed(meta.nested, el as Record<string, unknown>, [...path, name, i], `${pointer}/${escapePointer(name)}/${i}`, out, found);
        }
      }
    } else if (typeof v === 'object') {
      checkComputed(meta.nested, v as Record<string, unknown>, [...path, name], `${pointer}/${escapePointer(name)}`, out, found);
    }
  }
}

/** Attribute names (at any depth) that are computed-only, so the walk can be skipped when none exist. */
function hasComputedOnly(attrs: Record<string, AttributeMeta>): boolean {
  for (const name in attrs) {
    const m = attrs[name];
    if (m.computed && !m.optional) return true;
    if (m.nested && hasComputedOnly(m.nested)) return true;
  }
  return false;
}

/**
 * The validator for one resource type, compiled once and cached. It returns every problem found
 * (allErrors), never throws on bad input.
 */
export function compileValidator(schema: ResourceSchema): Validator {
  const hit = cache.get(schema);
  if (hit) return hit;
  const fn: ValidateFunction = schemaAjv().compile(schema.jsonSchema);
  const walkComputed = hasComputedOnly(schema.attributes);
  const validator: Validator = (value) => {
    const prep: Prepared = { unknowns: undefined };
    const data = prepare(value, '', prep);
    const out: SchemaError[] = [];
    const found: { suppressed?: Set<string> } = {};
    if (walkComputed) checkComputed(schema.attributes, value, [], '', out, found);
    const suppressed = found.suppressed;
    if (fn(data)) return out;
    const seen = new Set<string>();
    for (const e of fn.errors ?? []) {
      if (under(e.instancePath, prep.unknowns) || under(e.instancePath, suppressed)) continue;
      if (e.keyword === 'additionalProperties' || e.keyword === 'required') {
        const name = (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ?? (e.params as { missingProperty: string }).missingProperty;
        const p = `${e.instancePath}/${escapePointer(name)}`;
        // a required attribute whose value is unknown is present; a computed one reported above is not news
        if (prep.unknowns?.has(p) || suppressed?.has(p)) continue;
      }
      const se = convert(e, data);
      if (!se) continue;
      const key = `${se.path.join('\u0000')}\u0001${se.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(se);
    }
    return out;
  };
  cache.set(schema, validator);
  return validator;
}
