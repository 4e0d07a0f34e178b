// The XenAPI data model the simulator serves: classes, fields (type, qualifier, default), messages
// (parameters, result, async) and error codes. Read from xapi-model.json, a verbatim subset of
// shared/reference/xapi-datamodel.json + xapi-errors.json (descriptions dropped), so names, types
// and defaults are the platform's own rather than retyped. Two classes the reference leaves out
// (secret, host_metrics) are added here with the few fields real XAPI gives them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../engine/schema/load.js';

/** A parsed XenAPI type string ("VM ref", "(string -> string) map", "enum bond_mode set", ...). */
export type XType =
  | { k: 'string' | 'int' | 'float' | 'bool' | 'datetime' }
  | { k: 'ref'; cls: string }
  | { k: 'record'; cls: string }
  | { k: 'enum'; name: string }
  | { k: 'set'; of: XType }
  | { k: 'map'; key: XType; val: XType };

export type Qualifier = 'RW' | 'RO/constructor' | 'RO/runtime';

export interface FieldMeta {
  name: string;
  type: XType;
  typeText: string;
  q: Qualifier;
  /** The datamodel default, parsed to a wire value; undefined when the datamodel gives none. */
  default: unknown;
}

export interface ParamMeta {
  name: string;
  type: XType;
  typeText: string;
}

export interface MessageMeta {
  name: string;
  params: ParamMeta[];
  result: string;
  async: boolean;
  state?: string;
}

export interface ClassMeta {
  name: string;
  fields: Map<string, FieldMeta>;
  messages: Map<string, MessageMeta>;
  hasNameLabel: boolean;
}

export const NULL_REF = 'OpaqueRef:NULL';

interface RawModel {
  classes: Record<string, { fields: Record<string, [string, Qualifier, string?]>; messages: Record<string, { params: [string, string][]; result: string; async?: boolean; state?: string }>; enums: Record<string, string[]> }>;
  errors: Record<string, string[] | null>;
}

// Classes real XAPI has that the reference omits; the sim needs them for power-on passwords and
// host liveness. Fields as XAPI defines them (only those the brief asks for).
const ADDED_CLASSES: RawModel['classes'] = {
  secret: {
    fields: { uuid: ['string', 'RO/runtime'], value: ['string', 'RW'], other_config: ['(string -> string) map', 'RW', '{}'] },
    messages: {
      create: { params: [['secret record', 'args']], result: 'secret ref' },
      destroy: { params: [['secret ref', 'self']], result: 'void' },
      introduce: { params: [['string', 'uuid'], ['string', 'value'], ['(string -> string) map', 'other_config']], result: 'secret ref', async: true },
    },
    enums: {},
  },
  host_metrics: {
    fields: { uuid: ['string', 'RO/runtime'], live: ['bool', 'RO/runtime', 'false'], memory_total: ['int', 'RO/runtime', '0'], memory_free: ['int', 'RO/runtime', '0'] },
    messages: {},
    enums: {},
  },
};

/** Parses a XenAPI type string. */
export function parseType(text: string): XType {
  const t = text.trim();
  if (t.endsWith(' set')) return { k: 'set', of: parseType(t.slice(0, -4)) };
  if (t.endsWith(' map') && t.startsWith('(')) {
    const inner = t.slice(1, t.lastIndexOf(')'));
    // split "K -> V" at the arrow that is not inside parentheses (values can be maps themselves)
    let depth = 0;
    for (let i = 0; i < inner.length; i++) {
      const c = inner[i];
      if (c === '(') depth++;
      else if (c === ')') depth--;
      else if (depth === 0 && inner.startsWith(' -> ', i)) return { k: 'map', key: parseType(inner.slice(0, i)), val: parseType(inner.slice(i + 4)) };
    }
    throw new Error(`bad map type ${text}`);
  }
  if (t.endsWith(' ref')) return { k: 'ref', cls: t.slice(0, -4) };
  if (t.endsWith(' record')) return { k: 'record', cls: t.slice(0, -7) };
  if (t.startsWith('enum ')) return { k: 'enum', name: t.slice(5) };
  if (t === 'string' || t === 'int' || t === 'float' || t === 'bool' || t === 'datetime') return { k: t };
  throw new Error(`unknown XenAPI type ${text}`);
}

/** The wire value of a datamodel default string for a field of type `type`. */
export function parseDefault(type: XType, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  switch (type.k) {
    case 'ref':
      return NULL_REF; // "Null" and "OpaqueRef:NULL" both mean the null reference
    case 'string':
      return text.startsWith('"') ? (JSON.parse(text) as string) : text;
    case 'int':
      return Number.parseInt(text, 10);
    case 'float':
      return Number.parseFloat(text);
    case 'bool':
      return text === 'true';
    case 'datetime':
    case 'enum':
      return text;
    case 'set': {
      const body = text.slice(1, -1).trim();
      if (!body) return [];
      return body.split(';').map((s) => parseDefault(type.of, s.trim()));
    }
    case 'map': {
      const body = text.slice(1, -1).trim();
      const out: Record<string, unknown> = {};
      if (!body) return out;
      for (const pair of body.split(',')) {
        const [k, v] = pair.split('->').map((s) => s.trim());
        out[String(parseDefault(type.key, k))] = parseDefault(type.val, v);
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** The value a field takes when neither the caller nor the datamodel gives one. */
function zeroValue(type: XType): unknown {
  switch (type.k) {
    case 'string':
      return '';
    case 'int':
    case 'float':
      return 0;
    case 'bool':
      return false;
    case 'datetime':
      return '19700101T00:00:00Z';
    case 'ref':
      return NULL_REF;
    case 'enum':
      return enumValues(type.name)[0] ?? '';
    case 'set':
      return [];
    case 'map':
    case 'record':
      return {};
  }
}

function loadRaw(): RawModel {
  const file = join(repoRoot(), 'providers', 'xenserver', 'sim', 'xapi-model.json');
  return JSON.parse(readFileSync(file, 'utf8')) as RawModel;
}

const raw = loadRaw();
const enums = new Map<string, string[]>();
const classes = new Map<string, ClassMeta>();
const byLower = new Map<string, ClassMeta>();

for (const [name, c] of Object.entries({ ...raw.classes, ...ADDED_CLASSES })) {
  for (const [e, vals] of Object.entries(c.enums)) enums.set(e, vals);
  const fields = new Map<string, FieldMeta>();
  for (const [f, [typeText, q, def]] of Object.entries(c.fields)) {
    const type = parseType(typeText);
    fields.set(f, { name: f, type, typeText, q, default: parseDefault(type, def) });
  }
  const messages = new Map<string, MessageMeta>();
  for (const [m, md] of Object.entries(c.messages)) {
    messages.set(m, { name: m, params: md.params.map(([t, n]) => ({ name: n, typeText: t, type: parseType(t) })), result: md.result, async: md.async === true, state: md.state });
  }
  const meta: ClassMeta = { name, fields, messages, hasNameLabel: fields.has('name_label') };
  classes.set(name, meta);
  byLower.set(name.toLowerCase(), meta);
}

export function enumValues(name: string): string[] {
  return enums.get(name) ?? [];
}

/** A class by its datamodel name ("VM") or any case of it ("vm", as events and the wire may spell it). */
export function classMeta(name: string): ClassMeta | undefined {
  return classes.get(name) ?? byLower.get(name.toLowerCase());
}

export function allClasses(): ClassMeta[] {
  return [...classes.values()];
}

/** Ordered parameter names of an error code; null when the code exists without documented params. */
export function errorParams(code: string): string[] | null | undefined {
  return raw.errors[code];
}

/** A record of `cls` with every field at its default (datamodel default, else the type's zero). */
export function defaultRecord(cls: string): Record<string, unknown> {
  const meta = classMeta(cls);
  if (!meta) throw new Error(`unknown class ${cls}`);
  const rec: Record<string, unknown> = {};
  for (const f of meta.fields.values()) {
    const d = f.default !== undefined ? f.default : zeroValue(f.type);
    rec[f.name] = Array.isArray(d) ? [...d] : d && typeof d === 'object' ? { ...d } : d;
  }
  return rec;
}

const frozenDefaults = new Map<string, Readonly<Record<string, unknown>>>();

/**
 * The same defaults, built once per class and frozen, values included: records are immutable, so
 * every new record may share them (the sim creates thousands of records when populating a lab).
 */
export function sharedDefaults(cls: string): Readonly<Record<string, unknown>> {
  let d = frozenDefaults.get(cls);
  if (!d) {
    const rec = defaultRecord(cls);
    for (const v of Object.values(rec)) if (v && typeof v === 'object') Object.freeze(v);
    // the spread copy leaves V8's slow dictionary mode a field-by-field build ends in
    frozenDefaults.set(cls, (d = Object.freeze({ ...rec })));
  }
  return d;
}

let lastSecond = -1;
let lastDate = '';

/** XAPI's datetime wire form: 20240102T03:04:05Z (memoised per second: events ask for it a lot). */
export function xapiDate(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSecond) {
    lastSecond = sec;
    lastDate = new Date(sec * 1000).toISOString().replace(/[-]/g, '').replace(/\.\d+Z$/, 'Z');
  }
  return lastDate;
}

/** The fields of a create record a caller may set (RW and RO/constructor), dropping the rest. */
export function constructorFields(cls: string, rec: Record<string, unknown>): Record<string, unknown> {
  const meta = classMeta(cls);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    const f = meta?.fields.get(k);
    if (f && f.q !== 'RO/runtime' && k !== 'uuid') out[k] = v;
  }
  return out;
}
