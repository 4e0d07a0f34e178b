// JSON text exactly as Terraform's jsonencode writes it: object keys sorted, numbers in plain
// decimal (never exponent form), and Go's HTML-safe string escaping (<, >, & and U+2028/U+2029
// as \u escapes). JSON.stringify differs on all three, hence this small writer.

import { compareStrings, numberToString } from '../convert.js';
import { callError } from './args.js';
import { Unknown, Sensitive } from '../value.js';
import type { Value } from '../value.js';

const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

export function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  // JSON.stringify handles control characters, quotes, backslashes and lone surrogates.
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

export function jsonEncode(v: Value): string {
  const parts: string[] = [];
  write(v, parts);
  return parts.join('');
}

function write(v: Value, out: string[]): void {
  // undefined is not a language value, but plain data from providers may hold it: it means null.
  if (v === null || v === undefined) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'string':
      out.push(jsonString(v));
      return;
    case 'number':
      if (!Number.isFinite(v)) throw callError(Number.isNaN(v) ? 'cannot serialize NaN as JSON' : 'cannot serialize infinity as JSON');
      out.push(numberToString(v));
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
  }
  if (v instanceof Sensitive) return write(v.value, out);
  if (v instanceof Unknown) throw callError('value is not yet known');
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i) out.push(',');
      write(v[i], out);
    }
    out.push(']');
    return;
  }
  const keys = Object.keys(v).sort(compareStrings);
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    if (i) out.push(',');
    out.push(jsonString(keys[i]), ':');
    write(v[keys[i]], out);
  }
  out.push('}');
}
