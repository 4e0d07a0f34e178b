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
  if (v instanceof Unknown) return false;
  if (v instanceof Sensitive) return isWhollyKnown(v.value);
  if (Array.isArray(v)) return v.every(isWhollyKnown);
  if (v !== null && typeof v === 'object') {
    for (const k in v) if (!isWhollyKnown((v as ValueObject)[k])) return false;
  }
  return true;
}

/** True when a sensitive mark appears anywhere inside v. */
export function containsSensitive(v: Value): boolean {
  if (v instanceof Sensitive) return true;
  if (Array.isArray(v)) return v.some(containsSensitive);
  if (v !== null && typeof v === 'object' && !(v instanceof Unknown)) {
    for (const k in v) if (containsSensitive((v as ValueObject)[k])) return true;
  }
  return false;
}

/** Strip every sensitive mark, returning plain data plus the paths that were marked. */
export function deepUnmark(v: Value, path: (string | number)[] = [], paths: (string | number)[][] = []): { value: Value; paths: (string | number)[][] } {
  const strip = (x: Value, p: (string | number)[]): Value => {
    if (x instanceof Sensitive) {
      paths.push(p);
      return strip(x.value, p);
    }
    if (Array.isArray(x)) return x.map((e, i) => strip(e, [...p, i]));
    if (x !== null && typeof x === 'object' && !(x instanceof Unknown)) {
      const out: ValueObject = {};
      for (const k in x) out[k] = strip((x as ValueObject)[k], [...p, k]);
      return out;
    }
    return x;
  };
  return { value: strip(v, path), paths };
}

/**
 * Terraform's "after_unknown" shape: true where the value is unknown, nested objects/arrays
 * where something inside is, and omitted (false) otherwise.
 */
export function unknownShape(v: Value): unknown {
  if (v instanceof Unknown) return true;
  if (v instanceof Sensitive) return unknownShape(v.value);
  if (Array.isArray(v)) return v.map((e) => unknownShape(e) || false);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k in v) {
      const s = unknownShape((v as ValueObject)[k]);
      if (s) out[k] = s;
    }
    return out;
  }
  return false;
}

/** Terraform's "before_sensitive"/"after_sensitive" shape. */
export function sensitiveShape(v: Value): unknown {
  if (v instanceof Sensitive) return true;
  if (Array.isArray(v)) return v.map((e) => sensitiveShape(e) || false);
  if (v !== null && typeof v === 'object' && !(v instanceof Unknown)) {
    const out: Record<string, unknown> = {};
    for (const k in v) {
      const s = sensitiveShape((v as ValueObject)[k]);
      if (s) out[k] = s;
    }
    return out;
  }
  return false;
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
