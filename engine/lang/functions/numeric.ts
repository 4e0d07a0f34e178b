// Numeric functions with Terraform's semantics. Numbers are JS doubles; parseint goes through
// BigInt so any base-2..62 integer parses exactly before becoming a number.

import type { FunctionDef } from './types.js';
import { argError, callError, num, str, toNum, toStr } from './args.js';

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Go's big.Int SetString digits: case-insensitive up to base 36, a-z before A-Z above it. */
function digitValue(c: string, base: number): number {
  if (base <= 36) return DIGITS.indexOf(c.toLowerCase());
  return DIGITS.indexOf(c);
}

function parseInteger(s: string, base: number): bigint | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  if (i >= s.length) return undefined;
  const b = BigInt(base);
  let acc = 0n;
  for (; i < s.length; i++) {
    const d = digitValue(s[i], base);
    if (d < 0 || d >= base) return undefined;
    acc = acc * b + BigInt(d);
  }
  return neg ? -acc : acc;
}

function extreme(pick: (a: number, b: number) => number): FunctionDef {
  return {
    params: [],
    variadic: num('numbers'),
    impl: (args) => {
      if (args.length === 0) throw callError('must pass at least one number');
      let best = toNum(args[0], 0, 'numbers');
      for (let i = 1; i < args.length; i++) best = pick(best, toNum(args[i], i, 'numbers'));
      return best;
    },
  };
}

export const NUMERIC_FUNCTIONS: Record<string, FunctionDef> = {
  abs: { params: [num('num')], impl: ([n]) => Math.abs(toNum(n, 0, 'num')) },
  ceil: { params: [num('num')], impl: ([n]) => Math.ceil(toNum(n, 0, 'num')) },
  floor: { params: [num('num')], impl: ([n]) => Math.floor(toNum(n, 0, 'num')) },
  log: {
    params: [num('num'), num('base')],
    impl: ([n, b]) => {
      const x = toNum(n, 0, 'num');
      const base = toNum(b, 1, 'base');
      const r = Math.log(x) / Math.log(base);
      if (Number.isNaN(r)) throw callError(`cannot compute the logarithm of ${x} in base ${base}`);
      // Exact powers come out exact (log(8, 2) is 3, not 2.9999999999999996).
      const rounded = Math.round(r);
      return Math.abs(r - rounded) < 1e-12 && base ** rounded === x ? rounded : r;
    },
  },
  max: extreme(Math.max),
  min: extreme(Math.min),
  parseint: {
    params: [str('number'), num('base')],
    impl: ([numberV, baseV]) => {
      const text = toStr(numberV, 0, 'number');
      const baseN = toNum(baseV, 1, 'base');
      if (!Number.isInteger(baseN) || baseN < 2 || baseN > 62) {
        throw argError(1, 'base', 'base must be a whole number between 2 and 62 inclusive');
      }
      const v = parseInteger(text, baseN);
      if (v === undefined) throw argError(0, 'number', `cannot parse ${JSON.stringify(text)} as a base ${baseN} integer`);
      return Number(v);
    },
  },
  pow: {
    params: [num('num'), num('power')],
    impl: ([n, p]) => Math.pow(toNum(n, 0, 'num'), toNum(p, 1, 'power')),
  },
  signum: {
    params: [num('num')],
    impl: ([n]) => {
      const x = toNum(n, 0, 'num');
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    },
  },
};
