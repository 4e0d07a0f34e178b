// YAML for yamlencode() and yamldecode().
//
// Decoding uses the `yaml` package with the YAML 1.1 schema Terraform resolves scalars with
// (yes/no booleans, 0x hex), minus the tags Terraform does not have (timestamps stay strings).
//
// Encoding is written here rather than with the `yaml` package because Terraform's output comes
// from Go's libyaml-derived emitter and the package lays text out differently: Terraform
// double-quotes every string and key, uses literal blocks (|, |-, |+, |2) for multi-line
// strings when libyaml allows them, folds long quoted strings at the first space past column
// 80, leaves sequences inside mappings unindented, escapes non-BMP characters, and ends a bare
// root scalar with "...". Matching those rules byte for byte keeps plans identical to Terraform's.

import { parseAllDocuments } from 'yaml';
import type { Tags, ScalarTag } from 'yaml';
import { compareStrings, numberToString } from '../convert.js';
import { callError } from './args.js';
import { isObject, setKey } from '../value.js';
import type { Value, ValueObject } from '../value.js';

// ---------------------------------------------------------------------------------------------
// Encoding

const BEST_WIDTH = 80;

/** libyaml's is_printable, on code points (Go's port rejects everything outside the BMP). */
function printable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff)
  );
}
function isBreak(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

/** Whether libyaml would accept a literal block for this (multi-line) string. */
function literalAllowed(s: string): boolean {
  if (s.endsWith(' ')) return false;
  let prevSpace = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0x0a) {
      if (prevSpace) return false; // a space right before a line break
    } else if (!printable(cp) || isBreak(cp)) return false;
    prevSpace = cp === 0x20;
  }
  return true;
}

const ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

class Emitter {
  out = '';
  column = 0;

  write(s: string): void {
    this.out += s;
    const nl = s.lastIndexOf('\n');
    if (nl >= 0) this.column = cpLength(s.slice(nl + 1));
    else this.column += cpLength(s);
  }

  /** Start a new line at `indent` unless already at the start of an empty line. */
  newline(indent: number): void {
    if (this.column > 0) this.write('\n');
    this.write(' '.repeat(indent));
  }

  doubleQuoted(s: string, indent: number, allowBreaks: boolean): void {
    this.write('"');
    const cps = Array.from(s);
    let spaces = false;
    let run = '';
    for (let i = 0; i < cps.length; i++) {
      const ch = cps[i];
      const cp = ch.codePointAt(0)!;
      if (!printable(cp) || isBreak(cp) || cp === 0x22 || cp === 0x5c) {
        const short = ESCAPES[cp];
        run += '\\' + (short ?? (cp <= 0xff ? 'x' + hex(cp, 2) : cp <= 0xffff ? 'u' + hex(cp, 4) : 'U' + hex(cp, 8)));
        spaces = false;
      } else if (cp === 0x20) {
        if (run) {
          this.write(run);
          run = '';
        }
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== cps.length - 1) {
          this.write('\n' + ' '.repeat(indent));
          if (cps[i + 1] === ' ') this.write('\\');
        } else this.write(' ');
        spaces = true;
      } else {
        run += ch;
        spaces = false;
      }
    }
    this.write(run + '"');
  }

  literal(s: string, indent: number): void {
    let hints = s[0] === ' ' || s[0] === '\n' ? '2' : '';
    if (!s.endsWith('\n')) hints += '-';
    else if (s.length === 1 || s[s.length - 2] === '\n') hints += '+';
    this.write('|' + hints + '\n');
    const lines = s.split('\n');
    let text = '';
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) text += '\n';
      if (lines[i] !== '') text += ' '.repeat(indent) + lines[i];
    }
    this.write(text);
  }

  /** A scalar or empty collection; `indent` is where continuation lines start. Returns whether it was plain. */
  scalar(v: Value, indent: number, isKey: boolean): boolean {
    if (typeof v === 'string') {
      if (!isKey && v.includes('\n') && literalAllowed(v)) this.literal(v, indent);
      else this.doubleQuoted(v, indent, !isKey);
      return false;
    }
    if (v === null) this.write('null');
    else if (typeof v === 'boolean') this.write(v ? 'true' : 'false');
    else if (typeof v === 'number') this.write(Number.isFinite(v) ? numberToString(v) : Number.isNaN(v) ? '.nan' : v > 0 ? '+.inf' : '-.inf');
    else if (Array.isArray(v)) {
      this.write('[]');
      return false;
    } else {
      this.write('{}');
      return false;
    }
    return true;
  }

  node(v: Value, indent: number, scalarIndent: number): boolean {
    if (Array.isArray(v) && v.length > 0) {
      this.sequence(v, indent);
      return false;
    }
    if (isObject(v) && Object.keys(v).length > 0) {
      this.mapping(v, indent);
      return false;
    }
    return this.scalar(v, scalarIndent, false);
  }

  /** A block sequence whose first item starts at the current position. */
  sequence(items: Value[], indent: number): void {
    items.forEach((item, i) => {
      if (i > 0) this.newline(indent);
      this.write('- ');
      this.node(item, indent + 2, indent + 2);
    });
  }

  /** A block mapping whose first key starts at the current position. */
  mapping(obj: ValueObject, indent: number): void {
    const keys = Object.keys(obj).sort(compareStrings);
    keys.forEach((key, i) => {
      if (i > 0) this.newline(indent);
      const complex = key.includes('\n') || cpLength(key) > 128;
      if (complex) {
        this.write('? ');
        if (key.includes('\n') && literalAllowed(key)) this.literal(key, indent + 2);
        else this.doubleQuoted(key, indent + 2, true);
        this.newline(indent);
        this.write(':');
      } else {
        this.doubleQuoted(key, indent + 2, false);
        this.write(':');
      }
      const v = obj[key];
      if (Array.isArray(v) && v.length > 0) {
        this.newline(indent);
        this.sequence(v, indent);
      } else if (isObject(v) && Object.keys(v).length > 0) {
        this.newline(indent + 2);
        this.mapping(v, indent + 2);
      } else {
        this.write(' ');
        this.scalar(v, indent + 2, false);
      }
    });
  }
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

function cpLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

export function yamlEncode(v: Value): string {
  const e = new Emitter();
  const plain = e.node(v, 0, 2);
  if (e.column > 0) e.write('\n');
  if (plain) e.write('...\n');
  return e.out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

// YAML 1.2 style 0o octal, which Terraform's resolver also accepts.
const octal12: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  format: 'OCT',
  test: /^[-+]?0o[0-7]+$/,
  resolve: (str: string) => {
    const neg = str[0] === '-';
    const n = parseInt(str.replace(/^[-+]?0o/, ''), 8);
    return neg ? -n : n;
  },
};

// Timestamps become RFC 3339 strings (Terraform has no time type), in Go's accepted layouts.
const timestamp: ScalarTag = {
  tag: 'tag:yaml.org,2002:timestamp',
  default: true,
  test: /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})| \d{1,2}:\d{1,2}:\d{1,2}(?:\.\d+)?)?$/,
  resolve: (str: string) => {
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(str)!;
    const p2 = (x: string | undefined) => (x ?? '0').padStart(2, '0');
    const zone = !m[7] || m[7] === 'Z' || /^[+-]00:00$/.test(m[7]) ? 'Z' : m[7];
    return `${m[1]}-${p2(m[2])}-${p2(m[3])}T${p2(m[4])}:${p2(m[5])}:${p2(m[6])}${zone}`;
  },
};

const DROPPED_TAGS = new Set(['tag:yaml.org,2002:binary', 'tag:yaml.org,2002:omap', 'tag:yaml.org,2002:pairs', 'tag:yaml.org,2002:set', 'tag:yaml.org,2002:timestamp']);

function customTags(tags: Tags): Tags {
  const kept = tags.filter((t) => {
    if (typeof t === 'string') return true;
    if (DROPPED_TAGS.has(t.tag)) return false;
    const fmt = (t as ScalarTag).format;
    return fmt !== 'TIME' && fmt !== 'OCT';
  });
  return [octal12, timestamp, ...kept];
}

export function yamlDecode(src: string): Value {
  const docs = parseAllDocuments(src, { version: '1.1', customTags, prettyErrors: true, uniqueKeys: false });
  if (!Array.isArray(docs) || docs.length === 0) throw callError('on line 1, column 1: missing start of document');
  for (const d of docs) {
    const err = d.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      const msg = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw callError(pos ? `on line ${pos.line}, column ${pos.col}: ${msg}` : msg);
    }
  }
  if (docs.length > 1) {
    const start = docs[1].range[0];
    const line = src.slice(0, start).split('\n').length;
    throw callError(`on line ${line}, column 1: unexpected extra content after value`);
  }
  return toValue(docs[0].toJS({ maxAliasCount: 10000, mapAsMap: true }));
}

/** Plain JS from the yaml package into language values (iteratively safe for deep input). */
function toValue(x: unknown): Value {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return x;
    case 'number':
      return x;
    case 'bigint':
      return Number(x);
  }
  if (Array.isArray(x)) return x.map(toValue);
  if (x instanceof Map) {
    const out: ValueObject = {};
    for (const [k, v] of x) {
      if (k === null || k === undefined) throw callError('mapping key cannot be null');
      setKey(out, String(k), toValue(v));
    }
    return out;
  }
  if (typeof x === 'object') {
    const out: ValueObject = {};
    for (const k of Object.keys(x)) setKey(out, k, toValue((x as Record<string, unknown>)[k]));
    return out;
  }
  return String(x);
}
