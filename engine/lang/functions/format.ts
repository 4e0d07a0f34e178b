// The printf-style engine behind format() and formatlist(), following Terraform's verbs
// (%v %#v %t %s %q %d %b %o %x %X %e %E %f %g %G, flags, width, precision, %[n] indexes).
// Hand-written because Terraform's rules differ from any JS printf library (JSON for %v of
// collections, %q as JSON, width ignored by %t, precision ignored by %v) and because numbers
// must be rounded from their exact binary value half-to-even, as Go does.

import { numberToString, parseNumber } from '../convert.js';
import { callError } from './args.js';
import { jsonEncode, jsonString } from './json.js';
import { Unknown, isWhollyKnown } from '../value.js';
import type { Value } from '../value.js';

interface Verb {
  raw: string;
  offset: number;
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number;
  prec: number; // -1 when absent
  mode: string;
}

const SUPPORTED = 'vtsqdboxXeEfgG';

/** format(spec, ...args): returns the string, Unknown when an argument is not known, or throws. */
export function formatValues(spec: string, args: readonly Value[]): { result: Value; used: number } {
  for (const a of args) if (!isWhollyKnown(a)) return { result: new Unknown('string'), used: args.length };
  let out = '';
  let next = 0;
  let used = 0;
  const n = spec.length;
  let i = 0;
  while (i < n) {
    const pct = spec.indexOf('%', i);
    if (pct < 0) {
      out += spec.slice(i);
      break;
    }
    out += spec.slice(i, pct);
    i = pct + 1;
    if (i >= n) throw callError(`invalid format string starting at offset ${n}`);
    if (spec[i] === '%') {
      out += '%';
      i++;
      continue;
    }
    const verb: Verb = { raw: '', offset: pct, minus: false, plus: false, sharp: false, space: false, zero: false, width: -1, prec: -1, mode: '' };
    for (; i < n; i++) {
      const c = spec[i];
      if (c === '-') verb.minus = true;
      else if (c === '+') verb.plus = true;
      else if (c === '#') verb.sharp = true;
      else if (c === ' ') verb.space = true;
      else if (c === '0') verb.zero = true;
      else break;
    }
    if (spec[i] === '[') {
      const close = spec.indexOf(']', i);
      const digits = close < 0 ? '' : spec.slice(i + 1, close);
      if (!/^[1-9][0-9]*$/.test(digits)) throw callError(`unrecognized format character '${spec[i]}' at offset ${i}`);
      next = Number(digits) - 1;
      i = close + 1;
    }
    const w = /^[0-9]+/.exec(spec.slice(i, i + 12));
    if (w) {
      verb.width = Number(w[0]);
      i += w[0].length;
    }
    if (spec[i] === '.') {
      i++;
      const p = /^[0-9]*/.exec(spec.slice(i, i + 12))![0];
      verb.prec = p === '' ? 0 : Number(p);
      i += p.length;
    }
    if (i >= n) throw callError(`invalid format string starting at offset ${n}`);
    const cp = String.fromCodePoint(spec.codePointAt(i)!);
    verb.raw = spec.slice(pct, i + cp.length);
    if (!/^[A-Za-z]$/.test(cp)) throw callError(`unrecognized format character '${cp}' at offset ${i}`);
    if (!SUPPORTED.includes(cp)) throw callError(`unsupported format verb '${cp}' in "${verb.raw}" at offset ${pct}`);
    verb.mode = cp;
    i += cp.length;
    const idx = next++;
    if (idx >= args.length) {
      throw callError(`not enough arguments for "${verb.raw}" at ${pct}: need index ${idx + 1} but have ${args.length} total`);
    }
    if (idx + 1 > used) used = idx + 1;
    out += formatOne(verb, args[idx]);
  }
  return { result: out, used };
}

function unsupported(verb: Verb, why: string): Error {
  return callError(`unsupported value for "${verb.raw}" at ${verb.offset}: ${why}`);
}

function formatOne(verb: Verb, arg: Value): string {
  if (arg === null) {
    if (verb.mode === 'v') return pad('null', verb, false);
    throw unsupported(verb, 'null value cannot be formatted');
  }
  switch (verb.mode) {
    case 'v': {
      if (verb.sharp) return pad(jsonEncode(arg), verb, false);
      if (typeof arg === 'string') return pad(arg, verb, false);
      if (typeof arg === 'boolean') return pad(String(arg), verb, false);
      if (typeof arg === 'number') return pad(infinity(arg) ?? signed(arg, shortestG(Math.abs(arg)), verb), verb, true);
      return pad(jsonEncode(arg), verb, false);
    }
    case 't': {
      if (typeof arg === 'boolean') return String(arg);
      if (arg === 'true' || arg === 'false') return arg;
      throw unsupported(verb, 'bool required');
    }
    case 's':
    case 'q': {
      let s: string;
      if (typeof arg === 'string') s = arg;
      else if (typeof arg === 'number') s = numberToString(arg);
      else if (typeof arg === 'boolean') s = String(arg);
      else throw unsupported(verb, 'string required');
      if (verb.mode === 'q') return pad(jsonString(s), verb, false);
      if (verb.prec >= 0) {
        const cps = Array.from(s);
        if (cps.length > verb.prec) s = cps.slice(0, verb.prec).join('');
      }
      return pad(s, verb, false);
    }
    default: {
      let x: number | undefined;
      if (typeof arg === 'number') x = arg;
      else if (typeof arg === 'string') x = parseNumber(arg);
      if (x === undefined) throw unsupported(verb, 'a number is required');
      if ('dboxX'.includes(verb.mode)) {
        if (!Number.isInteger(x)) throw unsupported(verb, 'an integer is required');
        return formatInteger(x, verb);
      }
      return pad(infinity(x) ?? signed(x, formatFloat(Math.abs(x), verb), verb), verb, true);
    }
  }
}

/** Go prints infinities with an explicit sign whatever the verb. */
function infinity(x: number): string | undefined {
  return Number.isFinite(x) ? undefined : x > 0 ? '+Inf' : '-Inf';
}

function signed(x: number, body: string, verb: Verb): string {
  if (x < 0 || Object.is(x, -0)) return '-' + body;
  if (verb.plus) return '+' + body;
  if (verb.space) return ' ' + body;
  return body;
}

/** Pad to the verb's width, counted in code points; numeric zero padding goes after the sign. */
function pad(s: string, verb: Verb, numeric: boolean): string {
  if (verb.width < 0) return s;
  const len = s.length < 64 && /^[\x00-\x7f]*$/.test(s) ? s.length : Array.from(s).length;
  if (len >= verb.width) return s;
  const fill = verb.width - len;
  if (verb.minus) return s + ' '.repeat(fill);
  if (verb.zero) {
    if (numeric && (s[0] === '-' || s[0] === '+' || s[0] === ' ')) return s[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function formatInteger(x: number, verb: Verb): string {
  const big = BigInt(x);
  const neg = big < 0n;
  const abs = neg ? -big : big;
  const radix = verb.mode === 'd' ? 10 : verb.mode === 'b' ? 2 : verb.mode === 'o' ? 8 : 16;
  let digits = abs.toString(radix);
  if (verb.mode === 'X') digits = digits.toUpperCase();
  if (verb.prec >= 0) {
    if (verb.prec === 0 && abs === 0n) digits = '';
    if (digits.length < verb.prec) digits = '0'.repeat(verb.prec - digits.length) + digits;
  }
  let prefix = '';
  if (verb.sharp) {
    if (verb.mode === 'b') prefix = '0b';
    else if (verb.mode === 'o') prefix = digits[0] === '0' ? '' : '0';
    else if (verb.mode === 'x') prefix = '0x';
    else if (verb.mode === 'X') prefix = '0X';
  }
  const sign = neg ? '-' : verb.plus ? '+' : verb.space ? ' ' : '';
  const body = prefix + digits;
  if (verb.width > 0 && verb.zero && !verb.minus && verb.prec < 0) {
    const fill = verb.width - sign.length - body.length;
    if (fill > 0) return sign + prefix + '0'.repeat(fill) + digits;
  }
  return pad(sign + body, { ...verb, zero: false }, false);
}

// ---------------------------------------------------------------------------------------------
// Exact decimal expansion of a double and half-to-even rounding of it.

interface Decimal {
  d: string; // significant digits, no leading or trailing zeros ('' for zero)
  p: number; // decimal point position: value = 0.d × 10^p
}

const view = new DataView(new ArrayBuffer(8));

function exactDecimal(x: number): Decimal {
  if (x === 0) return { d: '', p: 0 };
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const mant = exp === 0 ? frac : frac | 0x10000000000000n;
  const e2 = exp === 0 ? -1074 : exp - 1075;
  let digits: string;
  let p: number;
  if (e2 >= 0) {
    digits = (mant << BigInt(e2)).toString();
    p = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e2)).toString();
    p = digits.length + e2;
  }
  return trim({ d: digits, p });
}

function trim(dec: Decimal): Decimal {
  let end = dec.d.length;
  while (end > 0 && dec.d.charCodeAt(end - 1) === 48) end--;
  return end === dec.d.length ? dec : { d: dec.d.slice(0, end), p: dec.p };
}

/** Keep the first `keep` digits, rounding half to even. */
function roundTo(dec: Decimal, keep: number): Decimal {
  const { d } = dec;
  if (keep >= d.length) return dec;
  if (keep < 0) return { d: '', p: dec.p };
  const next = d.charCodeAt(keep) - 48;
  let up = next > 5;
  if (next === 5) {
    let rest = false;
    for (let i = keep + 1; i < d.length; i++) if (d.charCodeAt(i) !== 48) { rest = true; break; }
    up = rest || (keep > 0 && (d.charCodeAt(keep - 1) - 48) % 2 === 1);
  }
  let kept = d.slice(0, keep);
  let p = dec.p;
  if (up) {
    const arr = kept.split('');
    let j = arr.length - 1;
    while (j >= 0 && arr[j] === '9') arr[j--] = '0';
    if (j < 0) {
      arr.unshift('1');
      p++;
    } else arr[j] = String.fromCharCode(arr[j].charCodeAt(0) + 1);
    kept = arr.join('');
  }
  return trim({ d: kept, p });
}

function fixed(dec: Decimal, fracDigits: number): string {
  const { d, p } = dec;
  let int: string;
  let frac: string;
  if (d === '') {
    int = '0';
    frac = '';
  } else if (p <= 0) {
    int = '0';
    frac = '0'.repeat(-p) + d;
  } else {
    int = d.length >= p ? d.slice(0, p) : d + '0'.repeat(p - d.length);
    frac = d.length > p ? d.slice(p) : '';
  }
  if (fracDigits <= 0) return int;
  frac = frac.length >= fracDigits ? frac.slice(0, fracDigits) : frac + '0'.repeat(fracDigits - frac.length);
  return int + '.' + frac;
}

function expo(dec: Decimal, prec: number, upper: boolean): string {
  const d = dec.d === '' ? '0' : dec.d;
  const exp = dec.d === '' ? 0 : dec.p - 1;
  let mant = d[0];
  if (prec > 0) mant += '.' + (d.slice(1) + '0'.repeat(Math.max(0, prec - (d.length - 1)))).slice(0, prec);
  const ae = Math.abs(exp);
  return mant + (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' + ae : String(ae));
}

/** Shortest digits that round-trip, as %g / %v print them. */
function shortestDecimal(x: number): Decimal {
  if (x === 0) return { d: '', p: 0 };
  const s = x.toExponential();
  const e = s.indexOf('e');
  const d = s.slice(0, e).replace('.', '');
  return trim({ d, p: Number(s.slice(e + 1)) + 1 });
}

function gStyle(dec: Decimal, prec: number, shortest: boolean, upper: boolean): string {
  const nd = dec.d.length;
  let eprec = prec;
  if (eprec > nd && nd >= dec.p) eprec = nd;
  if (shortest) eprec = 6;
  const exp = dec.d === '' ? 0 : dec.p - 1;
  if (exp < -4 || exp >= eprec) return expo(dec, Math.min(prec, Math.max(nd, 1)) - 1, upper);
  let pr = prec;
  if (pr > dec.p) pr = nd;
  return fixed(dec, Math.max(pr - dec.p, 0));
}

/** %v of a number: the shortest %g form. */
function shortestG(x: number): string {
  const dec = shortestDecimal(x);
  return gStyle(dec, Math.max(dec.d.length, 1), true, false);
}

function formatFloat(x: number, verb: Verb): string {
  const upper = verb.mode === 'E' || verb.mode === 'G';
  switch (verb.mode) {
    case 'f': {
      const prec = verb.prec < 0 ? 6 : verb.prec;
      const dec = exactDecimal(x);
      return fixed(roundTo(dec, dec.p + prec), prec);
    }
    case 'e':
    case 'E': {
      const prec = verb.prec < 0 ? 6 : verb.prec;
      return expo(roundTo(exactDecimal(x), prec + 1), prec, upper);
    }
    default: {
      if (verb.prec < 0) {
        const dec = shortestDecimal(x);
        return gStyle(dec, Math.max(dec.d.length, 1), true, upper);
      }
      const prec = verb.prec === 0 ? 1 : verb.prec;
      return gStyle(roundTo(exactDecimal(x), prec), prec, false, upper);
    }
  }
}
