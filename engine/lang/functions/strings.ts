// String functions with Terraform's names and semantics: lengths, offsets and reversal work on
// grapheme clusters, case mapping is per code point (as Go's unicode package does it, so "ß"
// stays "ß" in upper()), whitespace is Go's unicode.IsSpace set, and regular expressions are
// RE2 translated by ./regex.ts.

import type { FunctionDef } from './types.js';
import type { Value, ValueObject } from '../value.js';
import { Unknown, isObject, setKey } from '../value.js';
import { any, anything, argError, callError, graphemes, list, num, str as s, toArray, toInt, toStr } from './args.js';
import { formatValues } from './format.js';
import { compileRegex, findAll, replaceAll, RegexSyntaxError } from './regex.js';
import type { CompiledRegex } from './regex.js';

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Map each code point on its own, as Go's unicode.ToUpper/ToLower do: a mapping JS expands to
 * several code points ("ß" to "SS") is not a simple case mapping, so the character stays.
 */
function mapCodePoints(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    const m = f(c);
    out += m.length === c.length || Array.from(m).length === 1 ? m : (SIMPLE_SPECIAL[c] ?? c);
  }
  return out;
}
// The one expanding lower-case mapping whose simple mapping differs from the character itself.
const SIMPLE_SPECIAL: Record<string, string> = { '\u0130': 'i' };

function upper(s: string): string {
  return ASCII.test(s) ? s.toUpperCase() : mapCodePoints(s, (c) => c.toUpperCase());
}
function lower(s: string): string {
  return ASCII.test(s) ? s.toLowerCase() : mapCodePoints(s, (c) => c.toLowerCase());
}

// Go's unicode.IsSpace.
const SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const TRIM_SPACE = new RegExp(`^[${SPACE}]+|[${SPACE}]+$`, 'g');
const IS_SPACE = new RegExp(`^[${SPACE}]$`);

/** Go's strings.Title: upper-case each letter that follows a separator. */
function title(s: string): string {
  let out = '';
  let prevSep = true;
  for (const c of s) {
    out += prevSep ? titleCase(c) : c;
    prevSep = isSeparator(c);
  }
  return out;
}
// Title case differs from upper case only for these digraphs.
const TITLE_DIGRAPHS: Record<string, string> = {
  '\u01c4': '\u01c5', '\u01c5': '\u01c5', '\u01c6': '\u01c5',
  '\u01c7': '\u01c8', '\u01c8': '\u01c8', '\u01c9': '\u01c8',
  '\u01ca': '\u01cb', '\u01cb': '\u01cb', '\u01cc': '\u01cb',
  '\u01f1': '\u01f2', '\u01f2': '\u01f2', '\u01f3': '\u01f2',
};
function titleCase(c: string): string {
  const t = TITLE_DIGRAPHS[c];
  if (t) return t;
  const u = c.toUpperCase();
  return Array.from(u).length === 1 ? u : c;
}
function isSeparator(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if (cp <= 0x7f) return !/[0-9A-Za-z_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return IS_SPACE.test(c);
}

function trimSet(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const set = new Set(Array.from(cutset));
  const cps = Array.from(s);
  let a = 0;
  let b = cps.length;
  while (a < b && set.has(cps[a])) a++;
  while (b > a && set.has(cps[b - 1])) b--;
  return cps.slice(a, b).join('');
}

function regexFor(pattern: string): CompiledRegex {
  try {
    return compileRegex(pattern);
  } catch (e) {
    if (e instanceof RegexSyntaxError) throw argError(0, 'pattern', `invalid regexp pattern: ${e.message}`);
    throw e;
  }
}

/** The value regex() gives for one match: the string, a list of groups, or a map of named groups. */
function matchValue(c: CompiledRegex, m: RegExpExecArray): Value {
  if (c.names.length === 0) return m[0];
  const named = c.names.filter((x) => x !== null).length;
  if (named === 0) {
    const out: Value[] = [];
    for (let g = 1; g <= c.names.length; g++) out.push(m[g] ?? null);
    return out;
  }
  const obj: ValueObject = {};
  c.names.forEach((name, g) => {
    if (name !== null) setKey(obj, name, m[g + 1] ?? null);
  });
  return obj;
}

function checkGroups(c: CompiledRegex): void {
  const named = c.names.filter((x) => x !== null).length;
  if (named > 0 && named < c.names.length) {
    throw argError(0, 'pattern', 'invalid regexp pattern: cannot mix both named and unnamed capture groups');
  }
}

export const STRING_FUNCTIONS: Record<string, FunctionDef> = {
  chomp: {
    params: [s('str')],
    impl: ([str]) => toStr(str, 0, 'str').replace(/(?:\r\n?|\n)+$/, ''),
  },
  endswith: {
    params: [s('str'), s('suffix')],
    impl: ([str, suffix]) => toStr(str, 0, 'str').endsWith(toStr(suffix, 1, 'suffix')),
  },
  startswith: {
    params: [s('str'), s('prefix')],
    impl: ([str, prefix]) => toStr(str, 0, 'str').startsWith(toStr(prefix, 1, 'prefix')),
  },
  strcontains: {
    params: [s('str'), s('substr')],
    impl: ([str, sub]) => toStr(str, 0, 'str').includes(toStr(sub, 1, 'substr')),
  },
  format: {
    params: [s('format')],
    variadic: anything('args'),
    impl: ([spec, ...args]) => {
      const { result, used } = formatValues(toStr(spec, 0, 'format'), args);
      if (typeof result === 'string' && used < args.length) {
        throw argError(1 + used, 'args', `too many arguments; only ${used} used by format string`);
      }
      return result;
    },
  },
  formatlist: {
    params: [s('format')],
    variadic: anything('args'),
    impl: ([spec, ...args]) => {
      const fmt = toStr(spec, 0, 'format');
      let n = -1;
      let nArg = -1;
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a instanceof Unknown) return new Unknown('list');
        if (!Array.isArray(a)) continue;
        if (n < 0) {
          n = a.length;
          nArg = i;
        } else if (a.length !== n) {
          throw argError(i + 1, 'args', `argument ${i + 1} has length ${a.length}, which is inconsistent with argument ${nArg + 1} of length ${n}`);
        }
      }
      if (n < 0) n = 1;
      const out: Value[] = [];
      const row: Value[] = new Array(args.length);
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          row[i] = Array.isArray(a) ? a[k] : a;
        }
        try {
          out.push(formatValues(fmt, row).result);
        } catch (e) {
          throw callError(`error on format iteration ${k}: ${(e as Error).message}`);
        }
      }
      return out;
    },
  },
  indent: {
    params: [num('spaces'), s('str')],
    impl: ([spaces, str]) => {
      const n = toInt(spaces, 0, 'spaces');
      return toStr(str, 1, 'str').replaceAll('\n', '\n' + ' '.repeat(Math.max(0, n)));
    },
  },
  join: {
    params: [s('separator')],
    variadic: list('lists'),
    impl: ([sep, ...lists]) => {
      const separator = toStr(sep, 0, 'separator');
      if (lists.length === 0) throw callError('at least one list is required');
      const parts: string[] = [];
      for (let li = 0; li < lists.length; li++) {
        const list = toArray(lists[li], li + 1, 'lists');
        for (let ei = 0; ei < list.length; ei++) {
          const v = list[ei];
          if (v instanceof Unknown) return new Unknown('string');
          if (v === null) {
            throw argError(
              li + 1,
              'lists',
              lists.length > 1 ? `element ${ei} of list ${li} is null; cannot concatenate null values` : `element ${ei} is null; cannot concatenate null values`,
            );
          }
          parts.push(toStr(v, li + 1, 'lists'));
        }
      }
      return parts.join(separator);
    },
  },
  lower: { params: [s('str')], impl: ([str]) => lower(toStr(str, 0, 'str')) },
  upper: { params: [s('str')], impl: ([str]) => upper(toStr(str, 0, 'str')) },
  title: { params: [s('str')], impl: ([str]) => title(toStr(str, 0, 'str')) },
  regex: {
    params: [s('pattern'), s('string')],
    impl: ([pattern, str]) => {
      const c = regexFor(toStr(pattern, 0, 'pattern'));
      checkGroups(c);
      c.re.lastIndex = 0;
      const m = c.re.exec(toStr(str, 1, 'string'));
      if (!m) throw callError('pattern did not match any part of the given string');
      return matchValue(c, m);
    },
  },
  regexall: {
    params: [s('pattern'), s('string')],
    impl: ([pattern, str]) => {
      const c = regexFor(toStr(pattern, 0, 'pattern'));
      checkGroups(c);
      return findAll(c.re, toStr(str, 1, 'string')).map((m) => matchValue(c, m));
    },
  },
  replace: {
    params: [s('str'), s('substr'), s('replace')],
    impl: ([str, substr, repl]) => {
      const text = toStr(str, 0, 'str');
      const sub = toStr(substr, 1, 'substr');
      const rep = toStr(repl, 2, 'replace');
      if (sub.length > 1 && sub[0] === '/' && sub[sub.length - 1] === '/') {
        let c: CompiledRegex;
        try {
          c = compileRegex(sub.slice(1, -1));
        } catch (e) {
          if (e instanceof RegexSyntaxError) throw argError(1, 'substr', `invalid regexp pattern: ${e.message}`);
          throw e;
        }
        return replaceAll(c.re, text, rep);
      }
      if (sub === '') {
        // Go inserts the replacement at every code point boundary.
        return rep + Array.from(text).map((c) => c + rep).join('');
      }
      return text.replaceAll(sub, () => rep);
    },
  },
  split: {
    params: [s('separator'), s('str')],
    impl: ([sep, str]) => {
      const separator = toStr(sep, 0, 'separator');
      const text = toStr(str, 1, 'str');
      if (separator === '') return Array.from(text);
      return text.split(separator);
    },
  },
  strrev: {
    params: [s('str')],
    impl: ([str]) => graphemes(toStr(str, 0, 'str')).reverse().join(''),
  },
  substr: {
    params: [s('str'), num('offset'), num('length')],
    impl: ([str, offsetV, lengthV]) => {
      const text = toStr(str, 0, 'str');
      let offset = toInt(offsetV, 1, 'offset');
      let length = toInt(lengthV, 2, 'length');
      const gs = graphemes(text);
      const n = gs.length;
      if (offset < 0) {
        offset = n + offset;
        if (offset < 0) offset = 0;
      }
      if (offset > n) return '';
      if (length < 0 || offset + length > n) length = n - offset;
      return gs.slice(offset, offset + length).join('');
    },
  },
  trim: {
    params: [s('str'), s('cutset')],
    impl: ([str, cutset]) => trimSet(toStr(str, 0, 'str'), toStr(cutset, 1, 'cutset')),
  },
  trimprefix: {
    params: [s('str'), s('prefix')],
    impl: ([str, prefix]) => {
      const text = toStr(str, 0, 'str');
      const p = toStr(prefix, 1, 'prefix');
      return text.startsWith(p) ? text.slice(p.length) : text;
    },
  },
  trimsuffix: {
    params: [s('str'), s('suffix')],
    impl: ([str, suffix]) => {
      const text = toStr(str, 0, 'str');
      const p = toStr(suffix, 1, 'suffix');
      return p !== '' && text.endsWith(p) ? text.slice(0, text.length - p.length) : text;
    },
  },
  trimspace: {
    params: [s('str')],
    impl: ([str]) => toStr(str, 0, 'str').replace(TRIM_SPACE, ''),
  },
  // Renders a template held in a string; the evaluator's renderer does the template work.
  templatestring: {
    params: [s('template'), any('vars')],
    impl: ([template, vars], ctx) => {
      const text = toStr(template, 0, 'template');
      if (!isObject(vars)) throw argError(1, 'vars', 'invalid vars value: must be a map');
      return ctx.renderTemplate(text, '<templatestring>', vars);
    },
  },
};
