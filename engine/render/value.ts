// Rendering attribute values as HCL text, the way plans, `state show` and `output` print them.
// Hand-written: no HCL printer in our dependencies renders unknown/sensitive markers, and the
// plan renderer needs the same quoting, key and heredoc rules for its diffs (see diff.ts).

import { Sensitive, Unknown } from '../lang/value.js';
import { isIdentifier } from '../config/hcl/scanner.js';
import { numberToString } from '../lang/convert.js';

export const UNKNOWN_TEXT = '(known after apply)';
export const SENSITIVE_TEXT = '(sensitive value)';

export interface RenderValueOptions {
  /** Indentation of the line the value starts on; continuation lines build on it. */
  indent?: string;
  /** One level of indentation. Plans and `state show` use four spaces, `output` two. */
  unit?: string;
  /** Terraform-style unknown shape: true where a value is known only after apply. */
  unknown?: unknown;
  /** Terraform-style sensitive shape: true where a value must not be shown. */
  sensitive?: unknown;
  /** What a sensitive value prints as (default "(sensitive value)"). */
  sensitiveText?: string;
}

/** An object key as HCL writes it: bare when it is an identifier, quoted otherwise. */
export function formatKey(k: string): string {
  return isIdentifier(k) ? k : quoteString(k);
}

/**
 * A double-quoted string with quotes, backslashes and control characters escaped. Template
 * sequences (`${`) are left as they are, as Terraform prints them in plans: this is for reading.
 */
export function quoteString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** The lines of a multi-line string as a heredoc shows them (a final newline adds no line). */
export function heredocLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A heredoc delimiter that no content line could be mistaken for. */
export function heredocDelimiter(lines: string[]): string {
  let d = 'EOT';
  for (let n = 1; lines.some((l) => l.trim() === d); n++) d = `EOT${n}`;
  return d;
}

/** Descend into a Terraform-style shape; anything that is not a container yields undefined. */
export function shapeAt(shape: unknown, key: string | number): unknown {
  if (shape === null || typeof shape !== 'object') return undefined;
  return (shape as Record<string, unknown>)[key as string];
}

/** Render a scalar; undefined for lists, objects and multi-line strings. */
export function renderScalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return v.includes('\n') ? undefined : quoteString(v);
    case 'number':
      return Number.isFinite(v) ? numberToString(v) : quoteString(String(v));
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return String(v);
    default:
      return undefined;
  }
}

/** Keys of a plain object in the order plans print them: sorted. */
export function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort(compareKeys);
}

/** Order of object keys and output names: by UTF-16 code unit, never by locale. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Render any value as HCL text. Multi-line results continue at `indent` and close at it, so the
 * caller can place the value after `key = ` on a line indented by `indent`.
 */
export function renderValue(v: unknown, opts: RenderValueOptions = {}): string {
  const unit = opts.unit ?? '  ';
  const sensText = opts.sensitiveText ?? SENSITIVE_TEXT;
  const out: string[] = [];
  const walk = (x: unknown, indent: string, unk: unknown, sens: unknown): void => {
    if (sens === true || x instanceof Sensitive) {
      out.push(sensText);
      return;
    }
    if (unk === true || x instanceof Unknown) {
      out.push(UNKNOWN_TEXT);
      return;
    }
    const s = renderScalar(x);
    if (s !== undefined) {
      out.push(s);
      return;
    }
    const inner = indent + unit;
    if (typeof x === 'string') {
      const lines = heredocLines(x);
      const delim = heredocDelimiter(lines);
      out.push(`<<-${delim}\n`);
      for (const l of lines) out.push(l === '' ? '\n' : `${inner}${l}\n`);
      out.push(`${indent}${delim}`);
      return;
    }
    if (Array.isArray(x)) {
      if (x.length === 0) {
        out.push('[]');
        return;
      }
      out.push('[\n');
      for (let i = 0; i < x.length; i++) {
        out.push(inner);
        walk(x[i], inner, shapeAt(unk, i), shapeAt(sens, i));
        out.push(',\n');
      }
      out.push(`${indent}]`);
      return;
    }
    const o = x as Record<string, unknown>;
    const keys = sortedKeys(o);
    if (keys.length === 0) {
      out.push('{}');
      return;
    }
    let width = 0;
    const shown = keys.map((k) => {
      const f = formatKey(k);
      if (f.length > width) width = f.length;
      return f;
    });
    out.push('{\n');
    for (let i = 0; i < keys.length; i++) {
      out.push(`${inner}${shown[i].padEnd(width)} = `);
      walk(o[keys[i]], inner, shapeAt(unk, keys[i]), shapeAt(sens, keys[i]));
      out.push('\n');
    }
    out.push(`${indent}}`);
  };
  walk(v, opts.indent ?? '', opts.unknown, opts.sensitive);
  return out.join('');
}

/**
 * The body lines of a block: `key = value` for every non-null attribute, keys sorted and the `=`
 * aligned, each line prefixed with `indent`. Used by `state show`.
 */
export function renderAttributeLines(attrs: Record<string, unknown>, opts: RenderValueOptions & { indent: string }): string[] {
  const keys = sortedKeys(attrs).filter((k) => attrs[k] !== null && attrs[k] !== undefined);
  let width = 0;
  for (const k of keys) width = Math.max(width, formatKey(k).length);
  return keys.map(
    (k) =>
      `${opts.indent}${formatKey(k).padEnd(width)} = ${renderValue(attrs[k], {
        ...opts,
        unknown: shapeAt(opts.unknown, k),
        sensitive: shapeAt(opts.sensitive, k),
      })}`,
  );
}
