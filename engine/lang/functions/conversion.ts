// Type conversion and sensitivity functions: tobool, tonumber, tostring, tolist, toset, tomap
// (converting elements to one common type, as Terraform does), and sensitive, nonsensitive,
// issensitive, which see the marks (keepsMarks) because marks are what they are about.

import type { FunctionDef } from './types.js';
import type { Value, ValueObject } from '../value.js';
import { Sensitive, Unknown, isObject, markSensitive, setKey, unmark } from '../value.js';
import { dedupe, numberToString, parseBool, parseNumber, sortSet, unifyValues } from '../convert.js';
import { anything, argError, hasUnknown, typeOf } from './args.js';

const v = anything('v');
const marked = anything('value');

function toList(x: Value, kind: 'list' | 'set'): Value {
  if (x === null) return null;
  if (x instanceof Unknown) return new Unknown(kind);
  if (!Array.isArray(x)) throw argError(0, 'v', `cannot convert ${typeOf(x)} to ${kind} of any single type`);
  const u = unifyValues(x);
  if (!u) throw argError(0, 'v', `cannot convert tuple to ${kind} of any single type`);
  if (kind === 'list') return u === x ? x.slice() : (u as Value[]);
  if (hasUnknown(u)) return new Unknown('set');
  return sortSet(dedupe(u));
}

export const CONVERSION_FUNCTIONS: Record<string, FunctionDef> = {
  tobool: {
    params: [v],
    impl: ([x]) => {
      if (x === null || typeof x === 'boolean') return x;
      if (x instanceof Unknown) return new Unknown('bool');
      if (typeof x === 'string') {
        const b = parseBool(x);
        if (b !== undefined) return b;
        throw argError(0, 'v', `cannot convert ${JSON.stringify(x)} to bool; only the strings "true" or "false" are allowed`);
      }
      throw argError(0, 'v', `cannot convert ${typeOf(x)} to bool`);
    },
  },
  tonumber: {
    params: [v],
    impl: ([x]) => {
      if (x === null || typeof x === 'number') return x;
      if (x instanceof Unknown) return new Unknown('number');
      if (typeof x === 'string') {
        const n = parseNumber(x);
        if (n === undefined) {
          throw argError(0, 'v', `cannot convert ${JSON.stringify(x)} to number; given string must be a decimal representation of a number`);
        }
        return n;
      }
      throw argError(0, 'v', `cannot convert ${typeOf(x)} to number`);
    },
  },
  tostring: {
    params: [v],
    impl: ([x]) => {
      if (x === null || typeof x === 'string') return x;
      if (x instanceof Unknown) return new Unknown('string');
      if (typeof x === 'number') return numberToString(x);
      if (typeof x === 'boolean') return String(x);
      throw argError(0, 'v', `cannot convert ${typeOf(x)} to string`);
    },
  },
  tolist: { params: [v], impl: ([x]) => toList(x, 'list') },
  toset: { params: [v], impl: ([x]) => toList(x, 'set') },
  tomap: {
    params: [v],
    impl: ([x]) => {
      if (x === null) return null;
      if (x instanceof Unknown) return new Unknown('map');
      if (!isObject(x)) throw argError(0, 'v', `cannot convert ${typeOf(x)} to map of any single type`);
      const keys = Object.keys(x);
      const u = unifyValues(keys.map((k) => x[k]));
      if (!u) throw argError(0, 'v', 'cannot convert object to map of any single type');
      const out: ValueObject = {};
      keys.forEach((k, i) => setKey(out, k, u[i]));
      return out;
    },
  },
  sensitive: {
    params: [marked],
    keepsMarks: true,
    impl: ([x]) => markSensitive(x),
  },
  nonsensitive: {
    // Terraform >= 1.8 accepts an already non-sensitive value and returns it unchanged.
    params: [marked],
    keepsMarks: true,
    impl: ([x]) => unmark(x).value,
  },
  issensitive: {
    params: [marked],
    keepsMarks: true,
    impl: ([x]) => {
      if (x instanceof Sensitive) return true;
      if (x instanceof Unknown) return new Unknown('bool');
      return false;
    },
  },
  // Poolform has no ephemeral values, so every value is returned as it is.
  ephemeralasnull: {
    params: [anything('value')],
    impl: ([x]) => x,
  },
};
