// Terraform's regular expressions are RE2 (Go regexp). This translates RE2 syntax to a JS
// RegExp with the `u` flag ((?P<name>..) groups, \A \z, \Q..\E, POSIX classes, \pL, RE2's
// ASCII-only \s, literal braces), refuses what RE2 refuses (look-around, back-references), and
// reproduces Go's match iteration and replacement rules (empty matches right after a match are
// skipped; $1, ${name}, $$ expansion), which differ from JS's String.prototype.replace.

export interface CompiledRegex {
  re: RegExp; // always global + unicode; callers set lastIndex
  /** Name of each capture group (index 0 is group 1); null for unnamed groups. */
  names: (string | null)[];
}

/** Go's syntax error: a code ("missing closing )") and the offending expression. */
export class RegexSyntaxError extends Error {
  constructor(code: string, expr?: string) {
    super(expr === undefined ? code : `${code} in ${expr}`);
  }
}

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const GENERAL_CATEGORIES = new Set([
  'L', 'Lu', 'Ll', 'Lt', 'Lm', 'Lo', 'M', 'Mn', 'Mc', 'Me', 'N', 'Nd', 'Nl', 'No', 'P', 'Pc', 'Pd', 'Ps', 'Pe', 'Pi', 'Pf', 'Po',
  'S', 'Sm', 'Sc', 'Sk', 'So', 'Z', 'Zs', 'Zl', 'Zp', 'C', 'Cc', 'Cf', 'Cs', 'Co', 'Cn',
]);
// Characters that may be escaped with a backslash in a `u`-mode JS pattern.
const JS_SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

const cache = new Map<string, CompiledRegex>();

export function compileRegex(pattern: string): CompiledRegex {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const compiled = translate(pattern);
  if (cache.size > 500) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

function translate(src: string): CompiledRegex {
  let flags = 'gu';
  let i = 0;
  // Leading flag groups such as (?i) or (?ms) become JS flags; JS has no inline modifiers.
  for (;;) {
    const m = /^\(\?([imsU]+)\)/.exec(src.slice(i));
    if (!m) break;
    for (const f of m[1]) {
      if (f === 'U') throw new RegexSyntaxError('invalid or unsupported Perl syntax', '(?U');
      if (!flags.includes(f)) flags += f;
    }
    i += m[0].length;
  }
  const names: (string | null)[] = [];
  let out = '';
  let depth = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '\\') {
      const [text, len] = escape(src, i, false);
      out += text;
      i += len;
      continue;
    }
    if (c === '[') {
      const [text, len] = charClass(src, i);
      out += text;
      i += len;
      continue;
    }
    if (c === '(') {
      depth++;
      if (src[i + 1] === '?') {
        const rest = src.slice(i + 2);
        const named = /^P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        if (named) {
          names.push(named[1]);
          out += '(?<' + named[1] + '>';
          i += 2 + named[0].length;
          continue;
        }
        if (rest[0] === ':') {
          out += '(?:';
          i += 3;
          continue;
        }
        const inline = /^([imsU-]+)(:|\))/.exec(rest);
        if (inline) throw new RegexSyntaxError('invalid or unsupported Perl syntax', `(?${inline[1]}`);
        throw new RegexSyntaxError('invalid or unsupported Perl syntax', `(?${rest.slice(0, 1)}`);
      }
      names.push(null);
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      if (depth === 0) throw new RegexSyntaxError('unexpected )', src);
      depth--;
      out += ')';
      i++;
      continue;
    }
    if (c === '{') {
      // A brace that does not start a valid repetition is a literal in RE2.
      const rep = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (rep) {
        if (Number(rep[1]) > 1000 || (rep[3] && Number(rep[3]) > 1000)) throw new RegexSyntaxError('invalid repeat count', rep[0]);
        if (rep[3] && Number(rep[3]) < Number(rep[1])) throw new RegexSyntaxError('invalid repeat count', rep[0]);
        out += rep[0];
        i += rep[0].length;
        continue;
      }
      out += '\\{';
      i++;
      continue;
    }
    if (c === '}' || c === ']') {
      out += '\\' + c;
      i++;
      continue;
    }
    out += c;
    i++;
  }
  if (depth > 0) throw new RegexSyntaxError('missing closing )', src);
  let re: RegExp;
  try {
    re = new RegExp(out, flags);
  } catch (e) {
    throw new RegexSyntaxError((e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
  return { re, names };
}

/** Translate the escape at src[i] (a backslash); returns [js text, consumed length]. */
function escape(src: string, i: number, inClass: boolean): [string, number] {
  const c = src[i + 1];
  if (c === undefined) throw new RegexSyntaxError('trailing backslash at end of expression', '');
  switch (c) {
    case 'A':
      if (inClass) break;
      return ['(?<![\\s\\S])', 2];
    case 'z':
      if (inClass) break;
      return ['(?![\\s\\S])', 2];
    case 's':
      return [inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]', 2];
    case 'S':
      return [inClass ? '\\S' : '[^\\t\\n\\f\\r ]', 2];
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 'n':
    case 't':
    case 'r':
    case 'f':
    case 'v':
      return ['\\' + c, 2];
    case 'b':
    case 'B':
      if (inClass) break;
      return ['\\' + c, 2];
    case 'a':
      return ['\\x07', 2];
    case 'Q': {
      const end = src.indexOf('\\E', i + 2);
      const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
      const text = Array.from(lit).map((ch) => literal(ch, inClass)).join('');
      return [text, (end < 0 ? src.length : end + 2) - i];
    }
    case 'x': {
      const braced = /^\{([0-9A-Fa-f]+)\}/.exec(src.slice(i + 2));
      if (braced) return ['\\u{' + braced[1] + '}', 2 + braced[0].length];
      const two = /^[0-9A-Fa-f]{2}/.exec(src.slice(i + 2));
      if (two) return ['\\x' + two[0], 4];
      break;
    }
    case 'p':
    case 'P': {
      const m = /^(?:\{(\^?)([A-Za-z_]+)\}|([A-Za-z]))/.exec(src.slice(i + 2));
      if (!m) break;
      let neg = c === 'P';
      if (m[1]) neg = !neg;
      const name = m[2] ?? m[3];
      const prop = name === 'Any' ? null : GENERAL_CATEGORIES.has(name) ? name : 'Script=' + name;
      const text = prop === null ? (neg ? '[^\\s\\S]' : '[\\s\\S]') : (neg ? '\\P{' : '\\p{') + prop + '}';
      return [text, 2 + m[0].length];
    }
    default:
      if (c >= '0' && c <= '7' && !(c >= '1' && c <= '9')) {
        // \0nn octal
        const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1))![0];
        return ['\\u{' + parseInt(oct, 8).toString(16) + '}', 1 + oct.length];
      }
      if (/[!-\/:-@\[-`{-~]/.test(c)) return [literal(c, inClass), 2];
  }
  throw new RegexSyntaxError('invalid escape sequence', '\\' + c);
}

function literal(ch: string, inClass: boolean): string {
  if (JS_SYNTAX.has(ch) || (inClass && ch === '-')) return '\\' + ch;
  return ch;
}

/** Translate a bracket expression starting at src[i]; returns [js text, consumed length]. */
function charClass(src: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (src[j] === '^') {
    out += '^';
    j++;
  }
  let first = true;
  for (;;) {
    if (j >= src.length) throw new RegexSyntaxError('missing closing ]', src.slice(i));
    const c = src[j];
    if (c === ']' && !first) break;
    first = false;
    if (c === '[' && src[j + 1] === ':') {
      const m = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(j));
      if (m && POSIX[m[2]]) {
        if (m[1]) throw new RegexSyntaxError('invalid character class range', m[0]);
        out += POSIX[m[2]];
        j += m[0].length;
        continue;
      }
    }
    if (c === '\\') {
      const [text, len] = escape(src, j, true);
      out += text;
      j += len;
      continue;
    }
    out += c === '[' || c === ']' ? '\\' + c : c;
    j++;
  }
  return [out + ']', j + 1 - i];
}

// ---------------------------------------------------------------------------------------------

function cpWidth(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1;
}

/** All matches, with Go's rule that an empty match right after the previous match is skipped. */
export function findAll(re: RegExp, s: string): RegExpExecArray[] {
  const out: RegExpExecArray[] = [];
  let pos = 0;
  let prevEnd = -1;
  while (pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    let accept = true;
    if (end === pos) {
      if (start === prevEnd) accept = false;
      pos += pos < s.length ? cpWidth(s, pos) : 1;
    } else pos = end;
    prevEnd = end;
    if (accept) out.push(m);
  }
  return out;
}

/** Go's Regexp.ReplaceAllString: replacement expanded per match with $n / ${name} / $$. */
export function replaceAll(re: RegExp, s: string, template: string): string {
  let out = '';
  let lastEnd = 0;
  let searchPos = 0;
  while (searchPos <= s.length) {
    re.lastIndex = searchPos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += s.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expand(template, m);
    lastEnd = end;
    const width = searchPos < s.length ? cpWidth(s, searchPos) : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + s.slice(lastEnd);
}

function expand(template: string, m: RegExpExecArray): string {
  if (!template.includes('$')) return template;
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i] === '{') {
      const close = template.indexOf('}', i);
      const inner = close < 0 ? '' : template.slice(i + 1, close);
      if (/^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        i = close + 1;
      }
    } else {
      const run = /^[A-Za-z0-9_]+/.exec(template.slice(i));
      if (run) {
        name = run[0];
        i += run[0].length;
      }
    }
    if (name === undefined) {
      out += '$'; // malformed: the dollar is literal text
      continue;
    }
    if (/^[0-9]+$/.test(name)) {
      const g = Number(name);
      out += g < m.length ? (m[g] ?? '') : '';
    } else out += m.groups?.[name] ?? '';
  }
  return out;
}
