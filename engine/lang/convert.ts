// Conversion of values to type constraints, with Terraform's rules: "1" <-> 1, "true" <-> true,
// tuples to lists/sets (sets dedup and order), objects to maps, optional object attributes with
// defaults, `any` element types unified across the elements. Unknowns pass through typed,
// sensitive marks are kept, null fits every type. The function library uses the same pieces
// (number spelling, unification, set order) so tostring(x) and "${x}" can never disagree.
// Hand-written because values are plain JS data (value.ts) and no library implements cty's
// conversion rules over such data.

import type { TypeConstraint } from './types.js';
import { Sensitive, Unknown, isObject, isWhollyKnown, markSensitive, setKey, type TypeHint, type Value, type ValueObject } from './value.js';

export type ConvertResult = { value: Value } | { error: string; path: (string | number)[] };

const hasOwn = Object.prototype.hasOwnProperty;

// ------------------------------------------------------------------------------ shared helpers

/** One shared Unknown per type hint, so typed unknowns cost no allocation. */
const UNKNOWNS: Record<TypeHint, Unknown> = {
  dynamic: new Unknown('dynamic'),
  string: new Unknown('string'),
  number: new Unknown('number'),
  bool: new Unknown('bool'),
  list: new Unknown('list'),
  map: new Unknown('map'),
  object: new Unknown('object'),
  tuple: new Unknown('tuple'),
  set: new Unknown('set'),
};
export function unknownOf(hint: TypeHint): Unknown {
  return UNKNOWNS[hint];
}

/**
 * Numbers as the language prints them ("5", "1.5", "0.3", "0.0000001", 1e21 in full): never in
 * exponent form. Terraform computes in arbitrary precision; rounding fractions to 15 significant
 * digits hides binary noise (0.1+0.2) the same way.
 */
export function numberToString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n); // String(-0) is "0"
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const s = String(Number.isInteger(n) ? n : Number(n.toPrecision(15)));
  const e = s.indexOf('e');
  return e < 0 ? s : expandExponent(s, e);
}

/** "1.5e-7" as "0.00000015", "1e+21" as "1000000000000000000000". */
function expandExponent(s: string, e: number): string {
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

const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
/** A string that spells a number, as a number; undefined when it does not. */
export function parseNumber(s: string): number | undefined {
  return NUMBER_RE.test(s) ? Number(s) : undefined;
}

/** A string that spells a bool ("true"/"false", and "1"/"0" as cty accepts). */
export function parseBool(s: string): boolean | undefined {
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}

// ------------------------------------------------------------------------------ type inference

export const ANY: TypeConstraint = { kind: 'any' };
export const STRING: TypeConstraint = { kind: 'string' };
export const NUMBER: TypeConstraint = { kind: 'number' };
export const BOOL: TypeConstraint = { kind: 'bool' };

/** The most specific constraint a value satisfies (null and untyped unknowns are `any`). */
export function inferType(v: Value): TypeConstraint {
  if (v === null) return ANY;
  if (v instanceof Sensitive) return inferType(v.value);
  if (v instanceof Unknown) {
    switch (v.type) {
      case 'string':
        return STRING;
      case 'number':
        return NUMBER;
      case 'bool':
        return BOOL;
      case 'list':
      case 'tuple':
        return { kind: 'list', element: ANY };
      case 'set':
        return { kind: 'set', element: ANY };
      case 'map':
      case 'object':
        return { kind: 'map', element: ANY };
      default:
        return ANY;
    }
  }
  switch (typeof v) {
    case 'string':
      return STRING;
    case 'number':
      return NUMBER;
    case 'boolean':
      return BOOL;
  }
  if (Array.isArray(v)) return { kind: 'tuple', elements: v.map(inferType) };
  const attributes: Record<string, { type: TypeConstraint; optional: boolean }> = {};
  for (const k in v as ValueObject) attributes[k] = { type: inferType((v as ValueObject)[k]), optional: false };
  return { kind: 'object', attributes };
}

function isPrimitive(t: TypeConstraint): boolean {
  return t.kind === 'string' || t.kind === 'number' || t.kind === 'bool';
}

/**
 * One type all the given types convert to, as cty's unification finds it: mixed primitives become
 * string when a string is among them, tuples of one length unify element-wise (else to a list),
 * objects with one attribute set unify attribute-wise (else to a map). Undefined when impossible.
 */
export function unifyTypes(types: TypeConstraint[]): TypeConstraint | undefined {
  const ts = types.filter((t) => t.kind !== 'any');
  if (ts.length === 0) return ANY;
  const first = ts[0];
  if (ts.every(isPrimitive)) {
    if (ts.every((t) => t.kind === first.kind)) return first;
    return ts.some((t) => t.kind === 'string') ? STRING : undefined;
  }
  const isSeq = (t: TypeConstraint) => t.kind === 'tuple' || t.kind === 'list' || t.kind === 'set';
  const isRec = (t: TypeConstraint) => t.kind === 'object' || t.kind === 'map';
  if (ts.every(isSeq)) {
    if (first.kind === 'tuple' && ts.every((t) => t.kind === 'tuple' && t.elements.length === first.elements.length)) {
      const elements: TypeConstraint[] = [];
      for (let i = 0; i < first.elements.length; i++) {
        const u = unifyTypes(ts.map((t) => (t as { elements: TypeConstraint[] }).elements[i]));
        if (!u) return undefined;
        elements.push(u);
      }
      return { kind: 'tuple', elements };
    }
    const all: TypeConstraint[] = [];
    for (const t of ts) {
      if (t.kind === 'tuple') all.push(...t.elements);
      else all.push((t as { element: TypeConstraint }).element);
    }
    const u = unifyTypes(all);
    if (!u) return undefined;
    return { kind: ts.every((t) => t.kind === 'set') ? 'set' : 'list', element: u };
  }
  if (ts.every(isRec)) {
    if (first.kind === 'object') {
      const keys = Object.keys(first.attributes).sort().join('\0');
      const sameShape = ts.every((t) => t.kind === 'object' && Object.keys(t.attributes).sort().join('\0') === keys);
      if (sameShape) {
        const attributes: Record<string, { type: TypeConstraint; optional: boolean }> = {};
        for (const k of Object.keys(first.attributes)) {
          const u = unifyTypes(ts.map((t) => (t as Extract<TypeConstraint, { kind: 'object' }>).attributes[k].type));
          if (!u) return undefined;
          attributes[k] = { type: u, optional: false };
        }
        return { kind: 'object', attributes };
      }
    }
    const all: TypeConstraint[] = [];
    for (const t of ts) {
      if (t.kind === 'object') for (const k in t.attributes) all.push(t.attributes[k].type);
      else all.push((t as { element: TypeConstraint }).element);
    }
    const u = unifyTypes(all);
    return u ? { kind: 'map', element: u } : undefined;
  }
  return undefined;
}

// ------------------------------------------------------------------------------ conversion

const FAIL: unique symbol = Symbol('conversion failed');
type Out = Value | typeof FAIL;

/** Where the conversion is, for error messages; one per convert() call. */
class Cursor {
  readonly path: (string | number)[] = [];
  readonly isAttr: boolean[] = [];
  error = '';
  errorPath: (string | number)[] = [];
  push(step: string | number, attr: boolean): void {
    this.path.push(step);
    this.isAttr.push(attr);
  }
  pop(): void {
    this.path.pop();
    this.isAttr.pop();
  }
  fail(message: string): typeof FAIL {
    let prefix = '';
    for (let i = 0; i < this.path.length; i++) {
      const s = this.path[i];
      prefix += this.isAttr[i] ? `attribute ${JSON.stringify(s)}: ` : `element ${typeof s === 'number' ? s : JSON.stringify(s)}: `;
    }
    this.error = prefix + message;
    this.errorPath = this.path.slice();
    return FAIL;
  }
}

/** Convert a value to a type constraint, or say what was expected where. */
export function convert(value: Value, type: TypeConstraint): ConvertResult {
  if (type.kind === 'any') return { value };
  const cur = new Cursor();
  const out = conv(value, type, cur);
  return out === FAIL ? { error: cur.error, path: cur.errorPath } : { value: out };
}

/** "list of string", "map of any single type", "object": how cty names a type in its messages. */
function friendly(t: TypeConstraint): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind} of ${t.element.kind === 'any' ? 'any single type' : friendly(t.element)}`;
    default:
      return t.kind;
  }
}

function conv(v: Value, t: TypeConstraint, cur: Cursor): Out {
  if (t.kind === 'any' || v === null) return v;
  if (v instanceof Sensitive) {
    const r = conv(v.value, t, cur);
    return r === FAIL ? FAIL : markSensitive(r);
  }
  if (v instanceof Unknown) return convUnknown(v, t, cur);
  switch (t.kind) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return numberToString(v);
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      return cur.fail('string required');
    case 'number':
      if (typeof v === 'number') return v;
      if (typeof v === 'string') {
        const n = parseNumber(v);
        return n === undefined ? cur.fail('a number is required') : n;
      }
      return cur.fail('number required');
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'string') {
        const b = parseBool(v);
        return b === undefined ? cur.fail('a bool is required') : b;
      }
      return cur.fail('bool required');
    case 'list':
    case 'set': {
      if (!Array.isArray(v)) return cur.fail(`${friendly(t)} required`);
      const out = convElements(v, t.element, t.kind, cur);
      if (out === FAIL) return FAIL;
      return t.kind === 'set' ? finishSet(out as Value[]) : out;
    }
    case 'map': {
      if (!isObject(v)) return cur.fail(`${friendly(t)} required`);
      let et = t.element;
      if (et.kind === 'any') {
        const types: TypeConstraint[] = [];
        for (const k in v) types.push(inferType(v[k]));
        const u = unifyTypes(types);
        if (!u) return cur.fail('all map elements must have the same type');
        if (u.kind === 'any') return v;
        et = u;
      }
      const out: ValueObject = {};
      for (const k in v) {
        cur.push(k, false);
        const r = conv(v[k], et, cur);
        cur.pop();
        if (r === FAIL) return FAIL;
        setKey(out, k, r);
      }
      return out;
    }
    case 'object': {
      if (!isObject(v)) return cur.fail('object required');
      const out: ValueObject = {};
      // Attributes the type does not declare are dropped, as Terraform does.
      for (const name in t.attributes) {
        const a = t.attributes[name];
        const has = hasOwn.call(v, name);
        const av = has ? v[name] : null;
        if (av === null) {
          if (a.optional) setKey(out, name, a.default !== undefined ? a.default : null);
          else if (!has) return cur.fail(`attribute ${JSON.stringify(name)} is required`);
          else setKey(out, name, null);
          continue;
        }
        cur.push(name, true);
        const r = conv(av, a.type, cur);
        cur.pop();
        if (r === FAIL) return FAIL;
        setKey(out, name, r);
      }
      return out;
    }
    case 'tuple': {
      if (!Array.isArray(v)) return cur.fail('tuple required');
      if (v.length !== t.elements.length) return cur.fail(`a tuple of ${t.elements.length} element(s) is required, but this one has ${v.length}`);
      const out: Value[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        cur.push(i, false);
        const r = conv(v[i], t.elements[i], cur);
        cur.pop();
        if (r === FAIL) return FAIL;
        out[i] = r;
      }
      return out;
    }
  }
}

function convElements(v: Value[], element: TypeConstraint, kind: 'list' | 'set', cur: Cursor): Out {
  let et = element;
  if (et.kind === 'any') {
    const u = unifyTypes(v.map(inferType));
    if (!u) return cur.fail(`all ${kind} elements must have the same type`);
    if (u.kind === 'any') return v;
    et = u;
  }
  const out: Value[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    cur.push(i, false);
    const r = conv(v[i], et, cur);
    cur.pop();
    if (r === FAIL) return FAIL;
    out[i] = r;
  }
  return out;
}

/** Sets: no duplicates, no per-element marks (a marked element marks the set), cty's order. */
function finishSet(elems: readonly Value[]): Value {
  let plain = elems;
  for (let i = 0; i < elems.length; i++) {
    const x = elems[i];
    if (!(x instanceof Sensitive)) continue;
    if (plain === elems) plain = elems.slice(); // elems may be the caller's own array
    (plain as Value[])[i] = x.value;
  }
  const out = sortSet(dedupe(plain));
  return plain !== elems ? new Sensitive(out) : out;
}

/** An unknown converts to an unknown of the target type when its hint could convert. */
function convUnknown(v: Unknown, t: TypeConstraint, cur: Cursor): Out {
  const h = v.type;
  if (h === 'dynamic') return UNKNOWNS[t.kind === 'any' ? 'dynamic' : t.kind];
  const prim = h === 'string' || h === 'number' || h === 'bool';
  switch (t.kind) {
    case 'string':
      return prim ? UNKNOWNS.string : cur.fail('string required');
    case 'number':
      return h === 'number' || h === 'string' ? UNKNOWNS.number : cur.fail('number required');
    case 'bool':
      return h === 'bool' || h === 'string' ? UNKNOWNS.bool : cur.fail('bool required');
    case 'list':
    case 'set':
    case 'tuple':
      return h === 'list' || h === 'set' || h === 'tuple' ? UNKNOWNS[t.kind] : cur.fail(`${friendly(t)} required`);
    case 'map':
    case 'object':
      return h === 'map' || h === 'object' ? UNKNOWNS[t.kind] : cur.fail(`${friendly(t)} required`);
    default:
      return v;
  }
}

/**
 * The values converted to their one common type, as Terraform converts a tuple to a list or an
 * object to a map of `any`; undefined when they have none. May return `vals` itself.
 */
export function unifyValues(vals: readonly Value[]): readonly Value[] | undefined {
  if (vals.length === 0) return vals;
  // Fast path: all of one primitive kind (the common case) needs no conversion.
  const t0 = typeof vals[0];
  if (t0 === 'string' || t0 === 'number' || t0 === 'boolean') {
    let i = 1;
    while (i < vals.length && typeof vals[i] === t0) i++;
    if (i === vals.length) return vals;
  }
  const t = unifyTypes(vals.map(inferType));
  if (!t) return undefined;
  if (t.kind === 'any') return vals;
  const cur = new Cursor();
  const out: Value[] = new Array(vals.length);
  for (let i = 0; i < vals.length; i++) {
    const r = conv(vals[i], t, cur);
    if (r === FAIL) return undefined;
    out[i] = r;
  }
  return out;
}

// ------------------------------------------------------------------------------ sets

/** A canonical string for a known value, equal for structurally equal values (marks ignored). */
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

/** The values without repeats, first occurrence kept; values not wholly known are never merged. */
export function dedupe(vals: readonly Value[]): Value[] {
  const primitives = new Set<string | number | boolean | null>();
  const structures = new Set<string>();
  const out: Value[] = [];
  for (const v of vals) {
    if (v === null || typeof v !== 'object') {
      if (primitives.has(v)) continue;
      primitives.add(v);
    } else if (isWhollyKnown(v)) {
      const k = valueKey(v);
      if (structures.has(k)) continue;
      structures.add(k);
    }
    out.push(v);
  }
  return out;
}

/** Set elements in cty's order: strings, numbers and bools sorted (nulls last); others as they are. */
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
