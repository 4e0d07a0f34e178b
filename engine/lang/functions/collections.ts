// Collection functions (lists, tuples, sets, maps and objects) with Terraform's semantics:
// element types are unified where Terraform unifies them (distinct, sets, coalesce), sets come
// out deduplicated and ordered, keys() and values() follow sorted key order, and an unknown
// element that decides the result makes the result unknown of the right type.

import type { FunctionDef } from './types.js';
import type { Value, ValueObject } from '../value.js';
import { Unknown, isObject, setKey, valuesEqual } from '../value.js';
import { compareStrings, dedupe, numberToString, sortSet, unifyValues, valueKey } from '../convert.js';
import { any, anything, argError, callError, graphemeCount, hasUnknown, list, map, num, str, toArray, toBool, toInt, toNum, toStr, typeOf } from './args.js';

/** A list, set or tuple argument; `reason` is Terraform's complaint about anything else. */
function seq(v: Value, reason: () => Error): Value[] {
  if (Array.isArray(v)) return v;
  throw reason();
}

function mapArg(v: Value, arg: number, param: string, reason = 'must have map or object type'): ValueObject {
  if (isObject(v)) return v;
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, reason);
}

/** Elements as strings, with Terraform's per-element complaint. */
function stringElements(items: Value[], param: string): string[] {
  return items.map((v, i) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return numberToString(v);
    if (typeof v === 'boolean') return String(v);
    throw argError(0, param, `element ${i}: string required`);
  });
}

/** Elements of several set arguments converted to one common type, each deduplicated. */
function setArgs(args: readonly Value[], param0: string, paramN: string): Value[][] | Unknown {
  const arrays = args.map((a, i) => {
    if (!Array.isArray(a)) throw argError(i, i === 0 ? param0 : paramN, 'set of any single type required');
    return a;
  });
  for (const a of arrays) if (hasUnknown(a)) return new Unknown('set');
  const all = unifyValues(arrays.flat(1));
  if (!all) throw callError('given sets must all have compatible element types');
  let at = 0;
  return arrays.map((a) => dedupe(all.slice(at, (at += a.length))));
}

function keySet(vals: readonly Value[]): Set<string> {
  const s = new Set<string>();
  for (const v of vals) s.add(valueKey(v));
  return s;
}

function boolElements(v: Value): (boolean | null | Unknown)[] {
  return toArray(v, 0, 'list').map((e) => (e === null || e instanceof Unknown ? e : toBool(e, 0, 'list')));
}

export const COLLECTION_FUNCTIONS: Record<string, FunctionDef> = {
  alltrue: {
    params: [list('list')],
    impl: ([l]) => {
      let unknown = false;
      for (const b of boolElements(l)) {
        if (b instanceof Unknown) unknown = true;
        else if (b !== true) return false;
      }
      return unknown ? new Unknown('bool') : true;
    },
  },
  anytrue: {
    params: [list('list')],
    impl: ([l]) => {
      let unknown = false;
      for (const b of boolElements(l)) {
        if (b instanceof Unknown) unknown = true;
        else if (b === true) return true;
      }
      return unknown ? new Unknown('bool') : false;
    },
  },
  chunklist: {
    params: [list('list'), num('size')],
    impl: ([l, sizeV]) => {
      const items = toArray(l, 0, 'list');
      const size = toInt(sizeV, 1, 'size', 'invalid size: ');
      if (size < 0) throw callError('the size argument must be positive');
      if (items.length === 0) return [];
      if (size === 0) return [items.slice()];
      const out: Value[] = [];
      for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
      return out;
    },
  },
  coalesce: {
    params: [],
    variadic: anything('vals'),
    impl: (vals) => {
      const u = vals.length ? unifyValues(vals) : undefined;
      if (!u) throw callError('all arguments must have the same type');
      for (const v of u) {
        if (v instanceof Unknown) return new Unknown(v.type);
        if (v === null || v === '') continue;
        return v;
      }
      throw callError('no non-null, non-empty-string arguments');
    },
  },
  coalescelist: {
    params: [],
    variadic: anything('vals'),
    impl: (vals) => {
      for (let i = 0; i < vals.length; i++) {
        const v = vals[i];
        if (v instanceof Unknown) return new Unknown('list');
        if (!Array.isArray(v)) throw callError('coalescelist arguments must be lists or tuples');
        if (v.length > 0) return v;
      }
      throw callError('no non-null arguments');
    },
  },
  compact: {
    params: [list('list')],
    impl: ([l]) => {
      const items = toArray(l, 0, 'list');
      if (hasUnknown(items)) return new Unknown('list');
      return stringElements(items.filter((v) => v !== null && v !== ''), 'list');
    },
  },
  concat: {
    params: [],
    variadic: any('seqs'),
    impl: (seqs) => {
      const out: Value[] = [];
      for (let i = 0; i < seqs.length; i++) {
        const s = seqs[i];
        if (!Array.isArray(s)) throw argError(i, 'seqs', `all arguments must be lists or tuples; got ${typeOf(s)}`);
        for (const v of s) out.push(v);
      }
      return out;
    },
  },
  contains: {
    params: [any('list'), { ...any('value'), allowNull: true }],
    impl: ([l, value]) => {
      const items = seq(l, () => callError('argument must be list, tuple, or set'));
      let unknown = false;
      for (const v of items) {
        if (v instanceof Unknown) unknown = true;
        else if (valuesEqual(v, value)) return true;
      }
      return unknown ? new Unknown('bool') : false;
    },
  },
  distinct: {
    params: [list('list')],
    impl: ([l]) => {
      const items = toArray(l, 0, 'list');
      if (hasUnknown(items)) return new Unknown('list');
      const u = unifyValues(items);
      if (!u) throw argError(0, 'list', 'all list elements must have the same type');
      return dedupe(u);
    },
  },
  element: {
    params: [any('list'), num('index')],
    impl: ([l, indexV]) => {
      const items = seq(l, () => callError(`cannot read elements from ${typeOf(l)}`));
      const index = toInt(indexV, 1, 'index', 'invalid index: ');
      if (items.length === 0) throw callError('cannot use element function with an empty list');
      if (index < 0) throw callError('cannot use element function with a negative index');
      return items[index % items.length];
    },
  },
  flatten: {
    params: [any('list')],
    impl: ([l]) => {
      const items = seq(l, () => callError('can only flatten lists, sets and tuples'));
      const out: Value[] = [];
      // Iterative depth-first walk, so deeply nested input cannot overflow the stack.
      const stack: { arr: Value[]; i: number }[] = [{ arr: items, i: 0 }];
      while (stack.length) {
        const top = stack[stack.length - 1];
        if (top.i >= top.arr.length) {
          stack.pop();
          continue;
        }
        const v = top.arr[top.i++];
        if (v instanceof Unknown) return new Unknown('list');
        if (Array.isArray(v)) stack.push({ arr: v, i: 0 });
        else out.push(v);
      }
      return out;
    },
  },
  index: {
    params: [any('list'), { ...any('value'), allowNull: true }],
    impl: ([l, value]) => {
      const items = seq(l, () => callError('argument must be a list or tuple'));
      for (let i = 0; i < items.length; i++) {
        const v = items[i];
        if (v instanceof Unknown) return new Unknown('number');
        if (valuesEqual(v, value)) return i;
      }
      throw callError('item not found');
    },
  },
  keys: {
    params: [any('inputMap')],
    impl: ([m]) => Object.keys(mapArg(m, 0, 'inputMap')).sort(compareStrings),
  },
  values: {
    params: [any('mapping')],
    impl: ([m]) => {
      if (!isObject(m)) throw callError('values() requires a map as the first argument');
      const obj = m;
      return Object.keys(obj)
        .sort(compareStrings)
        .map((k) => obj[k]);
    },
  },
  length: {
    params: [any('value')],
    impl: ([v]) => {
      if (typeof v === 'string') return graphemeCount(v);
      if (Array.isArray(v)) return v.length;
      if (isObject(v)) return Object.keys(v).length;
      throw callError('argument must be a string, a collection type, or a structural type');
    },
  },
  lookup: {
    params: [any('inputMap'), str('key')],
    variadic: anything('default'),
    impl: ([m, keyV, ...defaults]) => {
      if (defaults.length > 1) throw callError(`lookup() takes two or three arguments, got ${2 + defaults.length}`);
      const obj = mapArg(m, 0, 'inputMap', 'lookup() requires a map as the first argument');
      const key = toStr(keyV, 1, 'key');
      if (Object.prototype.hasOwnProperty.call(obj, key)) return obj[key];
      if (defaults.length === 1) return defaults[0];
      throw argError(0, 'inputMap', `the given object has no attribute ${JSON.stringify(key)}`);
    },
  },
  matchkeys: {
    params: [list('values'), list('keys'), list('searchset')],
    impl: ([valuesV, keysV, searchV]) => {
      const vals = toArray(valuesV, 0, 'values');
      const keys = toArray(keysV, 1, 'keys');
      const search = toArray(searchV, 2, 'searchset');
      if (vals.length !== keys.length) throw callError('length of keys and values should be equal');
      if (hasUnknown(keys) || hasUnknown(search)) return new Unknown('list');
      // Keys and search set are compared after conversion to their common type.
      const both = unifyValues(keys.concat(search));
      if (!both) throw argError(2, 'searchset', 'searchset must be of the same type as keys');
      const wanted = keySet(both.slice(keys.length));
      const out: Value[] = [];
      for (let i = 0; i < keys.length; i++) if (wanted.has(valueKey(both[i]))) out.push(vals[i]);
      return out;
    },
  },
  merge: {
    params: [],
    variadic: { ...any('maps'), allowNull: true },
    impl: (maps) => {
      const out: ValueObject = {};
      for (let i = 0; i < maps.length; i++) {
        const m = maps[i];
        if (m === null) continue;
        if (!isObject(m)) throw callError(`arguments must be maps or objects, got "${typeOf(m)}"`);
        for (const k of Object.keys(m)) setKey(out, k, m[k]);
      }
      return out;
    },
  },
  one: {
    params: [any('list')],
    impl: ([l]) => {
      if (!Array.isArray(l) || l.length > 1) throw argError(0, 'list', 'must be a list, set, or tuple value with either zero or one elements');
      return l.length ? l[0] : null;
    },
  },
  range: {
    params: [],
    variadic: num('params'),
    impl: (params) => {
      if (params.length < 1 || params.length > 3) throw callError('must have one, two, or three arguments');
      const nums = params.map((p, i) => toNum(p, i, 'params'));
      let start = 0;
      let limit: number;
      let step: number;
      if (nums.length === 1) limit = nums[0];
      else [start, limit] = nums;
      if (nums.length === 3) {
        step = nums[2];
        if (start < limit && step < 0) throw argError(2, 'params', 'end must be less than start when step is negative');
        if (start > limit && step > 0) throw argError(2, 'params', 'end must be greater than start when step is positive');
      } else step = start <= limit ? 1 : -1;
      const out: Value[] = [];
      const tooMany = 'more than 1024 values were generated; either decrease the difference between start and end or use a smaller step';
      if (step >= 0) {
        for (let v = start; v < limit; v += step) {
          if (out.length >= 1024) throw callError(tooMany);
          out.push(v);
        }
      } else {
        for (let v = start; v > limit; v += step) {
          if (out.length >= 1024) throw callError(tooMany);
          out.push(v);
        }
      }
      return out;
    },
  },
  reverse: {
    params: [any('list')],
    impl: ([l]) => {
      if (!Array.isArray(l)) throw argError(0, 'list', `can only reverse list or tuple values, not ${typeOf(l)}`);
      return l.slice().reverse();
    },
  },
  setintersection: {
    params: [list('first_set')],
    variadic: list('other_sets'),
    impl: (args) => {
      const sets = setArgs(args, 'first_set', 'other_sets');
      if (sets instanceof Unknown) return sets;
      let acc = sets[0];
      for (let i = 1; i < sets.length; i++) {
        const keys = keySet(sets[i]);
        acc = acc.filter((v) => keys.has(valueKey(v)));
      }
      return sortSet(acc);
    },
  },
  setsubtract: {
    params: [list('a'), list('b')],
    impl: (args) => {
      const sets = setArgs(args, 'a', 'b');
      if (sets instanceof Unknown) return sets;
      const remove = keySet(sets[1]);
      return sortSet(sets[0].filter((v) => !remove.has(valueKey(v))));
    },
  },
  setunion: {
    params: [list('first_set')],
    variadic: list('other_sets'),
    impl: (args) => {
      const sets = setArgs(args, 'first_set', 'other_sets');
      if (sets instanceof Unknown) return sets;
      return sortSet(dedupe(sets.flat(1)));
    },
  },
  setproduct: {
    params: [],
    variadic: list('sets'),
    impl: (args) => {
      if (args.length < 2) throw callError('at least two arguments are required');
      const arrays = args.map((a, i) => {
        if (!Array.isArray(a)) throw argError(i, 'sets', 'a set or a list is required');
        return a;
      });
      let acc: Value[][] = [[]];
      for (const arr of arrays) {
        if (arr.length === 0) return [];
        const next: Value[][] = [];
        for (const prefix of acc) for (const v of arr) next.push([...prefix, v]);
        acc = next;
      }
      return acc;
    },
  },
  slice: {
    params: [any('list'), num('start_index'), num('end_index')],
    impl: ([l, startV, endV]) => {
      const items = seq(l, () => argError(0, 'list', 'must be a list or tuple value'));
      const start = toInt(startV, 1, 'start_index');
      const end = toInt(endV, 2, 'end_index');
      if (start < 0) throw argError(1, 'start_index', 'start index must not be less than zero');
      if (end > items.length) throw argError(2, 'end_index', 'end index must not be greater than the length of the list');
      if (start > end) throw argError(1, 'start_index', 'start index must not be greater than end index');
      return items.slice(start, end);
    },
  },
  sort: {
    params: [list('list')],
    impl: ([l]) => {
      const items = toArray(l, 0, 'list');
      if (hasUnknown(items)) return new Unknown('list');
      items.forEach((v, i) => {
        if (v === null) throw callError(`given list element ${i} is null; a null string cannot be sorted`);
      });
      return stringElements(items, 'list').sort(compareStrings);
    },
  },
  sum: {
    params: [list('list')],
    impl: ([l]) => {
      const items = toArray(l, 0, 'list');
      if (items.length === 0) throw argError(0, 'list', 'cannot sum an empty list');
      if (hasUnknown(items)) return new Unknown('number');
      let total = 0;
      for (const v of items) {
        let n: number;
        try {
          n = toNum(v, 0, 'list');
        } catch {
          throw argError(0, 'list', 'argument must be list, set, or tuple of number values');
        }
        total += n;
      }
      return total;
    },
  },
  transpose: {
    params: [map('values')],
    impl: ([m]) => {
      const obj = mapArg(m, 0, 'values');
      const out: ValueObject = {};
      for (const k of Object.keys(obj).sort(compareStrings)) {
        const l = obj[k];
        if (l instanceof Unknown) return new Unknown('map');
        if (!Array.isArray(l)) throw argError(0, 'values', `element ${JSON.stringify(k)}: list of string required`);
        for (const v of l) {
          if (v instanceof Unknown) return new Unknown('map');
          if (v === null) throw callError('input list must not contain null string');
          const nk = toStr(v, 0, 'values');
          const existing = Object.prototype.hasOwnProperty.call(out, nk) ? (out[nk] as Value[]) : undefined;
          if (existing) existing.push(k);
          else setKey(out, nk, [k]);
        }
      }
      return out;
    },
  },
  zipmap: {
    params: [list('keys'), any('values')],
    impl: ([keysV, valuesV]) => {
      const keys = toArray(keysV, 0, 'keys');
      const vals = seq(valuesV, () => argError(1, 'values', 'list or tuple required'));
      if (keys.length !== vals.length) throw callError(`number of keys (${keys.length}) does not match number of values (${vals.length})`);
      if (hasUnknown(keys)) return new Unknown('map');
      const out: ValueObject = {};
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i];
        if (k === null) throw callError(`keys list has null value at index ${i}`);
        setKey(out, typeof k === 'number' ? numberToString(k) : toStr(k, 0, 'keys'), vals[i]);
      }
      return out;
    },
  },
};
