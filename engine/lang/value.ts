// Runtime values of the configuration language.
//
// Plain JS data keeps evaluation fast at 50,000 instances: null, boolean, number, string,
// arrays (lists, tuples and sets) and plain objects (maps and objects). Two wrappers carry what
// plain data cannot: `Unknown` (a value only apply will know) and `Sensitive` (a value that must
// never be printed). Both propagate: an operation on an unknown gives unknown, an operation on a
// sensitive value gives a sensitive result.

export type Value = null | boolean | number | string | Value[] | ValueObject | Unknown | Sensitive;
export interface ValueObject {
  [key: string]: Value;
}

/** A value that is not known until apply. `type` is a hint for rendering and conversion. */
export class Unknown {
  constructor(readonly type: TypeHint = 'dynamic') {}
  toJSON(): unknown {
    return { '(known after apply)': true };
  }
}
export type TypeHint = 'dynamic' | 'string' | 'number' | 'bool' | 'list' | 'map' | 'object' | 'tuple' | 'set';

export const UNKNOWN = new Unknown();

/** A value marked sensitive. Never nested directly inside another Sensitive. */
export class Sensitive {
  constructor(readonly value: Value) {}
  toJSON(): unknown {
    return '(sensitive value)';
  }
}

export function isUnknown(v: Value): v is Unknown {
  return v instanceof Unknown;
}
export function isSensitive(v: Value): v is Sensitive {
  return v instanceof Sensitive;
}
export function isObject(v: Value): v is ValueObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Unknown) && !(v instanceof Sensitive);
}

export function markSensitive(v: Value): Value {
  return v instanceof Sensitive ? v : new Sensitive(v);
}

/** Remove a top-level sensitive mark, saying whether there was one. */
export function unmark(v: Value): { value: Value; sensitive: boolean } {
  return v instanceof Sensitive ? { value: v.value, sensitive: true } : { value: v, sensitive: false };
}

/** True when no unknown appears anywhere inside v. */
export function isWhollyKnown(v: Value): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (v instanceof Unknown) return false;
  if (v instanceof Sensitive) return isWhollyKnown(v.value);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!isWhollyKnown(v[i])) return false;
  } else {
    for (const k in v) if (!isWhollyKnown(v[k])) return false;
  }
  return true;
}

/** True when a sensitive mark appears anywhere inside v. */
export function containsSensitive(v: Value): boolean {
  if (v === null || typeof v !== 'object' || v instanceof Unknown) return false;
  if (v instanceof Sensitive) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (containsSensitive(v[i])) return true;
  } else {
    for (const k in v) if (containsSensitive(v[k])) return true;
  }
  return false;
}

/**
 * Strip every sensitive mark, returning a plain copy plus the paths that were marked (each
 * prefixed by `path`). One path stack serves the whole walk; a path is copied only where a mark is.
 */
export function deepUnmark(v: Value, path: (string | number)[] = [], paths: (string | number)[][] = []): { value: Value; paths: (string | number)[][] } {
  const stack = path.slice();
  const strip = (x: Value): Value => {
    if (x === null || typeof x !== 'object' || x instanceof Unknown) return x;
    if (x instanceof Sensitive) {
      paths.push(stack.slice());
      return strip(x.value);
    }
    if (Array.isArray(x)) {
      const out: Value[] = new Array(x.length);
      for (let i = 0; i < x.length; i++) {
        stack.push(i);
        out[i] = strip(x[i]);
        stack.pop();
      }
      return out;
    }
    const out: ValueObject = {};
    for (const k in x) {
      stack.push(k);
      setKey(out, k, strip(x[k]));
      stack.pop();
    }
    return out;
  };
  return { value: strip(v), paths };
}

/**
 * Where a mark is inside v, as Terraform's plan JSON shows it: true where the mark is, nested
 * objects/arrays where something inside is, false (or an omitted key) elsewhere. Unknowns are
 * opaque; a sensitive value is looked through when the mark sought is Unknown.
 */
function markShape(v: Value, mark: typeof Unknown | typeof Sensitive): unknown {
  if (v instanceof mark) return true;
  if (v === null || typeof v !== 'object' || v instanceof Unknown) return false;
  if (v instanceof Sensitive) return markShape(v.value, mark);
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = markShape(v[i], mark) || false;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) {
    const s = markShape(v[k], mark);
    if (s) out[k] = s;
  }
  return out;
}

/** Terraform's "after_unknown" shape. */
export function unknownShape(v: Value): unknown {
  return markShape(v, Unknown);
}

/** Terraform's "before_sensitive"/"after_sensitive" shape. */
export function sensitiveShape(v: Value): unknown {
  return markShape(v, Sensitive);
}

/** Set an object key, `__proto__` included (plain assignment would change the prototype instead). */
export function setKey(o: ValueObject, k: string, v: Value): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** The language's name for a value's type, for error messages. */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (v instanceof Unknown) return v.type === 'dynamic' ? 'unknown' : v.type;
  if (v instanceof Sensitive) return typeName(v.value);
  if (Array.isArray(v)) return 'tuple';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    default:
      return 'object';
  }
}

/** Structural equality of two known, unmarked values. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof Sensitive) a = a.value;
  if (b instanceof Sensitive) b = b.value;
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b as ValueObject);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!valuesEqual((a as ValueObject)[k], (b as ValueObject)[k])) return false;
  }
  return true;
}
