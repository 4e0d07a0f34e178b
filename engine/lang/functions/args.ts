// Helpers shared by the function-library category files: Terraform-worded errors, conversion of
// arguments and collection elements (the evaluator converts only the top-level argument, so
// elements of lists and maps are converted here), number-to-string as Terraform prints numbers,
// type unification of collection elements, set ordering, and grapheme-aware string splitting.

import { FunctionError } from './types.js';
import { Unknown, Sensitive, isObject } from '../value.js';
import type { Value, ValueObject } from '../value.js';

/**
 * A refusal of one argument: Terraform's "Invalid function argument", which the evaluator words as
 * `Invalid value for "<param>" parameter: <reason>.` and underlines argument `arg`. `param` is
 * the Terraform parameter name the evaluator takes from the FunctionDef at that index; call
 * sites name it so each says which parameter it blames.
 */
export function argError(arg: number, _param: string, reason: string): FunctionError {
  return new FunctionError(reason, arg);
}

/** A failure of the call as a whole: Terraform's `Call to function "<name>" failed: <reason>.` */
export function callError(reason: string): FunctionError {
  return new FunctionError(reason);
}

export function withPeriod(s: string): string {
  return s.endsWith('.') ? s : s + '.';
}

// ---------------------------------------------------------------------------------------------
// Numbers as Terraform prints them: shortest round-trip digits, never in exponent form.

export function numberToString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n === 0 ? '0' : String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const s = String(n);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const point = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (point <= 0) out = '0.' + '0'.repeat(-point) + digits;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = digits.slice(0, point) + '.' + digits.slice(point);
  return neg ? '-' + out : out;
}

const DECIMAL_RE = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Parses a decimal number the way Terraform's string-to-number conversion does, or undefined. */
export function parseDecimal(s: string): number | undefined {
  return DECIMAL_RE.test(s) ? Number(s) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Argument and element conversion, with Terraform's wording.

export function typeOf(v: Value): string {
  if (v === null) return 'null';
  if (v instanceof Unknown) return v.type === 'dynamic' ? 'dynamic' : v.type;
  if (v instanceof Sensitive) return typeOf(v.value);
  if (Array.isArray(v)) return 'tuple';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

export function toStr(v: Value, arg: number, param: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, 'string required');
}

export function toNum(v: Value, arg: number, param: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseDecimal(v);
    if (n !== undefined) return n;
  }
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, 'a number is required');
}

/** A whole number; `what` prefixes the failure as Terraform does for some functions ("invalid index: "). */
export function toInt(v: Value, arg: number, param: string, what = ''): number {
  const n = toNum(v, arg, param);
  if (!Number.isInteger(n)) throw callError(`${what}value must be a whole number, between -9223372036854775808 and 9223372036854775807`);
  return n;
}

export function toBool(v: Value, arg: number, param: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, 'a bool is required');
}

export function toArray(v: Value, arg: number, param: string): Value[] {
  if (Array.isArray(v)) return v;
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, 'list of any single type required');
}

/** The first unknown among the elements, if any (functions that must inspect every element stop there). */
export function hasUnknown(vals: readonly Value[]): boolean {
  for (let i = 0; i < vals.length; i++) if (vals[i] instanceof Unknown) return true;
  return false;
}

/** Assign a key without tripping over `__proto__` on plain objects. */
export function setProp(obj: ValueObject, key: string, v: Value): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

// ---------------------------------------------------------------------------------------------
// Type unification: Terraform converts the elements of a collection to one common type
// (["a", 1] becomes ["a", "1"]; [1, true] has none). Values are plain data, so the types are
// inferred from the values themselves.

export type VType =
  | { k: 'string' | 'number' | 'bool' | 'dynamic' }
  | { k: 'list'; e: VType }
  | { k: 'map'; e: VType }
  | { k: 'tuple'; e: VType[] }
  | { k: 'object'; a: Record<string, VType> };

const T_STRING: VType = { k: 'string' };
const T_NUMBER: VType = { k: 'number' };
const T_BOOL: VType = { k: 'bool' };
const T_DYN: VType = { k: 'dynamic' };

export function typeOfValue(v: Value): VType {
  if (typeof v === 'string') return T_STRING;
  if (typeof v === 'number') return T_NUMBER;
  if (typeof v === 'boolean') return T_BOOL;
  if (v === null || v instanceof Unknown) return T_DYN;
  if (v instanceof Sensitive) return typeOfValue(v.value);
  if (Array.isArray(v)) return { k: 'tuple', e: v.map(typeOfValue) };
  const a: Record<string, VType> = Object.create(null);
  for (const key of Object.keys(v)) a[key] = typeOfValue(v[key]);
  return { k: 'object', a };
}

/** The common type of the given types, or undefined when there is none. */
export function unifyTypes(types: readonly VType[]): VType | undefined {
  let prim: VType | undefined;
  let sawString = false;
  let sawNumber = false;
  let sawBool = false;
  const seqs: VType[] = [];
  const objs: VType[] = [];
  for (const t of types) {
    switch (t.k) {
      case 'dynamic':
        break;
      case 'string':
        sawString = true;
        prim = t;
        break;
      case 'number':
        sawNumber = true;
        prim = t;
        break;
      case 'bool':
        sawBool = true;
        prim = t;
        break;
      case 'list':
      case 'tuple':
        seqs.push(t);
        break;
      default:
        objs.push(t);
    }
  }
  const kinds = (prim ? 1 : 0) + (seqs.length ? 1 : 0) + (objs.length ? 1 : 0);
  if (kinds === 0) return T_DYN;
  if (kinds > 1) return undefined;
  if (prim) {
    if (sawString) return T_STRING;
    if (sawNumber && sawBool) return undefined;
    return prim;
  }
  if (seqs.length) {
    const tuples = seqs as Array<Extract<VType, { k: 'tuple' }> | Extract<VType, { k: 'list' }>>;
    const first = tuples[0];
    if (tuples.every((t) => t.k === 'tuple' && first.k === 'tuple' && t.e.length === first.e.length)) {
      const n = (first as Extract<VType, { k: 'tuple' }>).e.length;
      const e: VType[] = [];
      for (let i = 0; i < n; i++) {
        const u = unifyTypes(tuples.map((t) => (t as Extract<VType, { k: 'tuple' }>).e[i]));
        if (!u) return listOf(tuples);
        e.push(u);
      }
      return { k: 'tuple', e };
    }
    return listOf(tuples);
  }
  const os = objs as Array<Extract<VType, { k: 'object' }> | Extract<VType, { k: 'map' }>>;
  const f = os[0];
  if (f.k === 'object' && os.every((o) => o.k === 'object' && sameKeys(o.a, f.a))) {
    const a: Record<string, VType> = Object.create(null);
    for (const key of Object.keys(f.a)) {
      const u = unifyTypes(os.map((o) => (o as Extract<VType, { k: 'object' }>).a[key]));
      if (!u) return mapOf(os);
      a[key] = u;
    }
    return { k: 'object', a };
  }
  return mapOf(os);
}

function listOf(seqs: Array<Extract<VType, { k: 'tuple' } | { k: 'list' }>>): VType | undefined {
  const all: VType[] = [];
  for (const s of seqs) {
    if (s.k === 'list') all.push(s.e);
    else all.push(...s.e);
  }
  const e = unifyTypes(all);
  return e ? { k: 'list', e } : undefined;
}

function mapOf(objs: Array<Extract<VType, { k: 'object' } | { k: 'map' }>>): VType | undefined {
  const all: VType[] = [];
  for (const o of objs) {
    if (o.k === 'map') all.push(o.e);
    else for (const key of Object.keys(o.a)) all.push(o.a[key]);
  }
  const e = unifyTypes(all);
  return e ? { k: 'map', e } : undefined;
}

function sameKeys(a: Record<string, VType>, b: Record<string, VType>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!(k in b)) return false;
  return true;
}

/** Convert a value to a unified type (always succeeds for a type unified from it). */
export function convertTo(v: Value, t: VType): Value {
  if (v === null || v instanceof Unknown) return v;
  switch (t.k) {
    case 'dynamic':
    case 'number':
    case 'bool':
      return v;
    case 'string':
      return typeof v === 'number' ? numberToString(v) : typeof v === 'boolean' ? String(v) : v;
    case 'list':
      return Array.isArray(v) ? v.map((e) => convertTo(e, t.e)) : v;
    case 'tuple':
      return Array.isArray(v) ? v.map((e, i) => convertTo(e, t.e[i] ?? T_DYN)) : v;
    case 'map':
    case 'object': {
      if (!isObject(v)) return v;
      const out: ValueObject = {};
      for (const key of Object.keys(v)) setProp(out, key, convertTo(v[key], t.k === 'map' ? t.e : (t.a[key] ?? T_DYN)));
      return out;
    }
  }
}

/** Elements converted to their common type, or undefined when they have none. */
export function unifyElements(vals: readonly Value[]): Value[] | undefined {
  if (vals.length === 0) return [];
  // Fast path: all of one primitive kind (the common case) needs no conversion.
  const t0 = typeof vals[0];
  if (t0 === 'string' || t0 === 'number' || t0 === 'boolean') {
    let same = true;
    for (let i = 1; i < vals.length; i++) if (typeof vals[i] !== t0) { same = false; break; }
    if (same) return vals as Value[];
  }
  const t = unifyTypes(vals.map(typeOfValue));
  if (!t) return undefined;
  return vals.map((v) => convertTo(v, t));
}

// ---------------------------------------------------------------------------------------------
// Sets: deduplicated by structural equality; strings, numbers and bools in Terraform's order.

/** A canonical string key for a known value, equal for structurally equal values. */
export function valueKey(v: Value): string {
  if (v === null) return 'n';
  switch (typeof v) {
    case 'string':
      return 's' + v;
    case 'number':
      return 'd' + v;
    case 'boolean':
      return v ? 'T' : 'F';
  }
  if (v instanceof Unknown) return '?';
  if (v instanceof Sensitive) return valueKey(v.value);
  if (Array.isArray(v)) return '[' + v.map((e) => JSON.stringify(valueKey(e))).join(',') + ']';
  const keys = Object.keys(v).sort(compareStrings);
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + JSON.stringify(valueKey(v[k]))).join(',') + '}';
}

export function dedupe(vals: readonly Value[]): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const v of vals) {
    const k = valueKey(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/** Order set elements as Terraform does for primitive element types; others keep their order. */
export function sortSet(vals: Value[]): Value[] {
  if (vals.length < 2) return vals;
  const known: Value[] = vals.filter((v) => v !== null);
  if (known.length === 0) return vals;
  const t = typeof known[0];
  for (const v of known) if (typeof v !== t) return vals;
  if (t === 'string') known.sort((a, b) => compareStrings(a as string, b as string));
  else if (t === 'number') known.sort((a, b) => (a as number) - (b as number));
  else if (t === 'boolean') known.sort((a, b) => Number(a) - Number(b));
  else return vals;
  // A null element sorts last.
  for (let i = known.length; i < vals.length; i++) known.push(null);
  return known;
}

/** String order by Unicode code point (Go compares UTF-8 bytes, which orders the same way). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) sort after every BMP code point.
      const sx = x >= 0xd800 && x <= 0xdfff;
      const sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x - y;
    }
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// Grapheme clusters: Terraform measures and slices strings by user-perceived characters.

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// Below U+0300 (before the combining marks) and without CR, every UTF-16 unit is its own
// grapheme cluster (CR LF is one cluster), so no segmentation is needed.
const SIMPLE_ASCII = /^[\x00-\x0c\x0e-\u02ff]*$/;

export function graphemes(s: string): string[] {
  if (SIMPLE_ASCII.test(s)) return s.split('');
  const out: string[] = [];
  for (const seg of segmenter.segment(s)) out.push(seg.segment);
  return out;
}

export function graphemeCount(s: string): number {
  if (SIMPLE_ASCII.test(s)) return s.length;
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
}
