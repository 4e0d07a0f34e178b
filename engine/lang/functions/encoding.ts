// Encoding functions: base64 (strict, as Go's standard decoder), gzip, CSV, JSON, YAML, URL
// query escaping and text in other character encodings. The CSV reader is hand-written because
// no CSV library is a dependency and Terraform's behaviour is Go's encoding/csv in a few rules
// (quoted fields, doubled quotes, skipped blank lines, a fixed field count per record).

import { gzipSync } from 'node:zlib';
import type { FunctionDef } from './types.js';
import type { Value, ValueObject } from '../value.js';
import { Unknown, isWhollyKnown, setKey } from '../value.js';
import { anything, argError, callError, str, toStr } from './args.js';
import { jsonEncode } from './json.js';
import { yamlDecode, yamlEncode } from './yaml.js';

// Go's StdEncoding: padded, standard alphabet; CR and LF are ignored.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(s: string): Buffer | undefined {
  const clean = s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, '') : s;
  if (!BASE64.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8(b: Uint8Array): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// CSV (Go encoding/csv rules)

class CsvError extends Error {
  constructor(readonly line: number, reason: string) {
    super(reason);
  }
}

function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fieldsPerRecord = -1;
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    // Blank lines are skipped.
    if (text[i] === '\n') {
      i++;
      line++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      i += 2;
      line++;
      continue;
    }
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new CsvError(recordLine, 'extraneous or missing " in quoted-field');
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\r' && text[i + 1] === '\n') {
            field += '\n';
            i += 2;
            line++;
            continue;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const after = text[i];
        if (!(after === undefined || after === ',' || after === '\n' || (after === '\r' && text[i + 1] === '\n'))) {
          throw new CsvError(line, 'extraneous or missing " in quoted-field');
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) {
          if (text[i] === '"') throw new CsvError(line, 'bare " in non-quoted-field');
          i++;
        }
        field = text.slice(start, i);
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i += 2;
    else if (text[i] === '\n') i++;
    line++;
    if (fieldsPerRecord < 0) fieldsPerRecord = fields.length;
    else if (fields.length !== fieldsPerRecord) throw new CsvError(recordLine, 'wrong number of fields');
    records.push(fields);
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Character encodings for textencodebase64 / textdecodebase64

interface Charset {
  display: string;
  encode(s: string): Buffer | undefined; // undefined when a character cannot be represented
  decode(b: Buffer): string | undefined; // undefined when the bytes are invalid
}

function tryDecoder(label: string, b: Buffer): string | undefined {
  try {
    return new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(b);
  } catch {
    return undefined;
  }
}

function latin(display: string, max: number): Charset {
  return {
    display,
    encode: (s) => {
      const out = Buffer.alloc(s.length);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c > max) return undefined;
        out[i] = c;
      }
      return out;
    },
    decode: (b) => {
      for (const x of b) if (x > max) return undefined;
      return b.toString('latin1');
    },
  };
}

function utf16(display: string, le: boolean, bom: boolean): Charset {
  return {
    display,
    encode: (s) => {
      const body = Buffer.from(s, 'utf16le');
      if (!le) body.swap16();
      if (!bom) return body;
      return Buffer.concat([Buffer.from(le ? [0xff, 0xfe] : [0xfe, 0xff]), body]);
    },
    decode: (b) => {
      let label = le ? 'utf-16le' : 'utf-16be';
      let bytes = b;
      if (bom && b.length >= 2) {
        if (b[0] === 0xff && b[1] === 0xfe) {
          label = 'utf-16le';
          bytes = b.subarray(2);
        } else if (b[0] === 0xfe && b[1] === 0xff) {
          label = 'utf-16be';
          bytes = b.subarray(2);
        }
      }
      return tryDecoder(label, bytes);
    },
  };
}

const UTF8: Charset = {
  display: 'UTF-8',
  encode: (s) => Buffer.from(s, 'utf8'),
  decode: (b) => decodeUtf8(b),
};

const NAMED: Record<string, Charset> = {
  'utf-8': UTF8,
  utf8: UTF8,
  'utf-16le': utf16('UTF-16LE', true, false),
  'utf-16be': utf16('UTF-16BE', false, false),
  'utf-16': utf16('UTF-16', false, true),
  'iso-8859-1': latin('ISO_8859-1:1987', 0xff),
  'iso_8859-1': latin('ISO_8859-1:1987', 0xff),
  'iso_8859-1:1987': latin('ISO_8859-1:1987', 0xff),
  latin1: latin('ISO_8859-1:1987', 0xff),
  l1: latin('ISO_8859-1:1987', 0xff),
  'iso-ir-100': latin('ISO_8859-1:1987', 0xff),
  cp819: latin('ISO_8859-1:1987', 0xff),
  ibm819: latin('ISO_8859-1:1987', 0xff),
  'us-ascii': latin('US-ASCII', 0x7f),
  ascii: latin('US-ASCII', 0x7f),
  'ansi_x3.4-1968': latin('US-ASCII', 0x7f),
};

const charsetCache = new Map<string, Charset | null>();

/**
 * Any other encoding the runtime can decode. Encoding goes through a reverse table built from
 * decoding every one- and two-byte sequence, which covers the single-byte code pages and the
 * double-byte ones (Shift_JIS, EUC-KR, Big5, GBK); stateful ISO-2022 encodings cannot encode.
 */
function runtimeCharset(label: string): Charset | null {
  let canonical: string;
  try {
    canonical = new TextDecoder(label).encoding;
  } catch {
    return null;
  }
  let reverse: Map<string, number[]> | undefined;
  const table = (): Map<string, number[]> | undefined => {
    if (reverse || canonical.startsWith('iso-2022') || canonical.startsWith('utf-')) return reverse;
    reverse = new Map();
    const dec = new TextDecoder(canonical, { fatal: true, ignoreBOM: true });
    const one = new Uint8Array(1);
    const two = new Uint8Array(2);
    for (let a = 0; a < 256; a++) {
      one[0] = a;
      try {
        const ch = dec.decode(one);
        if (Array.from(ch).length === 1 && !reverse.has(ch)) reverse.set(ch, [a]);
      } catch {
        // not a complete character on its own
      }
    }
    for (let a = 0x81; a < 0x100; a++) {
      for (let b = 0x40; b < 0x100; b++) {
        two[0] = a;
        two[1] = b;
        try {
          const ch = dec.decode(two);
          if (Array.from(ch).length === 1 && !reverse.has(ch)) reverse.set(ch, [a, b]);
        } catch {
          // invalid pair
        }
      }
    }
    return reverse;
  };
  return {
    display: canonical,
    encode: (s) => {
      const t = table();
      if (!t) return undefined;
      const out: number[] = [];
      for (const ch of s) {
        const bytes = t.get(ch);
        if (bytes === undefined) return undefined;
        out.push(...bytes);
      }
      return Buffer.from(out);
    },
    decode: (b) => tryDecoder(canonical, b),
  };
}

function charset(name: string): Charset {
  const key = name.trim().toLowerCase();
  const named = NAMED[key];
  if (named) return named;
  let cs = charsetCache.get(key);
  if (cs === undefined) {
    cs = runtimeCharset(key);
    charsetCache.set(key, cs);
  }
  if (!cs) throw argError(1, 'encoding', `${JSON.stringify(name)} is not a supported IANA encoding name or alias in this Terraform version`);
  return cs;
}

// ---------------------------------------------------------------------------------------------

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]|%20/g, (c) => (c === '%20' ? '+' : '%' + c.charCodeAt(0).toString(16).toUpperCase()));
}

/** Go's decoder wording for JSON.parse's failure. */
function jsonError(e: unknown, text: string): Error {
  const msg = (e as Error).message;
  if (/after JSON/.test(msg)) return callError('extraneous data after JSON object');
  const m = /position (\d+)/.exec(msg);
  if (!m || Number(m[1]) >= text.length) {
    // Input ending inside a literal or string is "unexpected"; ending between tokens is plain EOF.
    const t = text.trimEnd();
    const partial = /[A-Za-z0-9.\-+]$/.test(t) || (t.split('"').length - 1) % 2 === 1;
    return callError(t !== '' && partial ? 'unexpected EOF' : 'EOF');
  }
  const ch = String.fromCodePoint(text.codePointAt(Number(m[1]))!);
  return callError(`invalid character '${ch}'`);
}

export const ENCODING_FUNCTIONS: Record<string, FunctionDef> = {
  base64decode: {
    params: [str('str')],
    impl: ([s]) => {
      const text = toStr(s, 0, 'str');
      const b = decodeBase64(text);
      if (!b) throw callError(`failed to decode base64 data ${JSON.stringify(text)}`);
      const out = decodeUtf8(b);
      if (out === undefined) throw callError('the result of decoding the provided string is not valid UTF-8');
      return out;
    },
  },
  base64encode: {
    params: [str('str')],
    impl: ([s]) => Buffer.from(toStr(s, 0, 'str'), 'utf8').toString('base64'),
  },
  base64gzip: {
    params: [str('str')],
    impl: ([s]) => {
      const gz = gzipSync(Buffer.from(toStr(s, 0, 'str'), 'utf8'));
      gz[9] = 255; // OS "unknown", as Go's gzip writer records it
      return gz.toString('base64');
    },
  },
  csvdecode: {
    params: [str('str')],
    impl: ([s]) => {
      let records: string[][];
      try {
        records = parseCsv(toStr(s, 0, 'str'));
      } catch (e) {
        if (e instanceof CsvError) throw callError(`CSV parse error on line ${e.line}: ${e.message}`);
        throw e;
      }
      if (records.length === 0) throw callError('missing header line');
      const [header, ...rows] = records;
      return rows.map((row) => {
        const obj: ValueObject = {};
        header.forEach((h, i) => setKey(obj, h, row[i]));
        return obj;
      });
    },
  },
  jsondecode: {
    params: [str('str')],
    impl: ([s]) => {
      const text = toStr(s, 0, 'str');
      try {
        return JSON.parse(text) as Value;
      } catch (e) {
        throw jsonError(e, text);
      }
    },
  },
  jsonencode: {
    params: [anything('val')],
    impl: ([v]) => (isWhollyKnown(v) ? jsonEncode(v) : new Unknown('string')),
  },
  textencodebase64: {
    params: [str('string'), str('encoding')],
    impl: ([s, enc]) => {
      const cs = charset(toStr(enc, 1, 'encoding'));
      const b = cs.encode(toStr(s, 0, 'string'));
      if (!b) throw argError(0, 'string', `the given string contains characters that cannot be represented in ${cs.display}`);
      return b.toString('base64');
    },
  },
  textdecodebase64: {
    params: [str('source'), str('encoding')],
    impl: ([s, enc]) => {
      const cs = charset(toStr(enc, 1, 'encoding'));
      const text = toStr(s, 0, 'source');
      const b = decodeBase64(text);
      if (!b) {
        const bad = text.search(/[^A-Za-z0-9+/=\r\n]/);
        throw argError(0, 'source', `the given value is has an invalid base64 symbol at offset ${bad < 0 ? text.length : bad}`);
      }
      const out = cs.decode(b);
      if (out === undefined) throw argError(0, 'source', `the given string contains symbols that are not defined for ${cs.display}`);
      return out;
    },
  },
  urlencode: {
    params: [str('str')],
    impl: ([s]) => queryEscape(toStr(s, 0, 'str')),
  },
  yamldecode: {
    params: [str('src')],
    impl: ([s]) => yamlDecode(toStr(s, 0, 'src')),
  },
  yamlencode: {
    params: [anything('value')],
    impl: ([v]) => (isWhollyKnown(v) ? yamlEncode(v) : new Unknown('string')),
  },
};
