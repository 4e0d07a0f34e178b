// Helpers shared by the function-library category files: parameter specs, Terraform-worded
// errors, conversion of arguments and collection elements (the evaluator converts only the
// top-level argument, so elements of lists and maps are converted here), and grapheme-aware
// string splitting. Number spelling, type unification and set order are the language's own
// (../convert.ts), so functions and the evaluator agree on them.

import { FunctionError, type ParamSpec } from './types.js';
import { numberToString, parseBool, parseNumber } from '../convert.js';
import { Unknown, Sensitive } from '../value.js';
import type { Value } from '../value.js';

// ---------------------------------------------------------------------------------------------
// Parameter specs. A function that handles null or unknown arguments itself says so explicitly.

export const str = (name: string): ParamSpec => ({ name, type: 'string' });
export const num = (name: string): ParamSpec => ({ name, type: 'number' });
export const list = (name: string): ParamSpec => ({ name, type: 'list' });
export const map = (name: string): ParamSpec => ({ name, type: 'map' });
export const any = (name: string): ParamSpec => ({ name, type: 'any' });
/** Any value, null and unknown included: the function decides what they mean. */
export const anything = (name: string): ParamSpec => ({ name, type: 'any', allowNull: true, allowUnknown: true });

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
    const n = parseNumber(v);
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
  if (typeof v === 'string') {
    const b = parseBool(v);
    if (b !== undefined) return b;
  }
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, 'a bool is required');
}

export function toArray(v: Value, arg: number, param: string): Value[] {
  if (Array.isArray(v)) return v;
  if (v === null) throw argError(arg, param, 'argument must not be null');
  throw argError(arg, param, 'list of any single type required');
}

/** Whether any element is unknown (functions that must inspect every element then give up). */
export function hasUnknown(vals: readonly Value[]): boolean {
  for (let i = 0; i < vals.length; i++) if (vals[i] instanceof Unknown) return true;
  return false;
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
