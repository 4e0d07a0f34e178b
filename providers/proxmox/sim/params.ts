// Parameter verification of the simulated Proxmox API, as pve-common's JSONSchema does it before a
// handler runs: required parameters, integer/number/boolean types, enums, minimum/maximum, length,
// patterns, a few formats, property strings ("key=value,..." with a default key and aliases),
// indexed families (link[n] -> link0..link7, net[n] -> net0..net31), `requires`, type-bound
// properties (instance-types), and unknown parameters refused. Failures become 400 "Parameter
// verification failed." with errors.{param}.
//
// The schemas are the platform's own: pve-api-params.json is a subset of
// shared/reference/pve-api.json (endpoints' params, allowtoken, proxyto, params_also, and the
// shared parameter sets, prose dropped), vendored so the repository stands alone; the wire tests
// check it still matches the reference. Hand-written rather than ajv: PVE's schema dialect (0/1
// booleans, property strings, indexed names, Perl patterns) is not JSON Schema.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../engine/schema/load.js';

export interface ParamSchema {
  type?: 'string' | 'integer' | 'number' | 'boolean';
  optional?: number;
  default?: unknown;
  enum?: string[];
  minimum?: number | string;
  maximum?: number | string;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  format?: string;
  requires?: string;
  'instance-types'?: string[];
  'type-property'?: string;
  /** Property-string keys. */
  sub?: Record<string, SubSchema>;
}

export interface SubSchema extends ParamSchema {
  default_key?: number;
  /** This key is another key's alternative name. */
  alias?: string;
  /** "virtio=<mac>": the key itself is the value of `keyAlias`, its value that of `alias`. */
  keyAlias?: string;
}

export interface EndpointSchema {
  params: Record<string, ParamSchema>;
  allowtoken?: number;
  proxyto?: string;
  protected?: number;
  params_also?: string;
}

interface ParamsFile {
  endpoints: Record<string, Record<string, EndpointSchema>>;
  shared_param_sets: Record<string, Record<string, ParamSchema>>;
}

let loaded: ParamsFile | undefined;

/** The vendored schemas (read once). */
export function apiSchemas(): ParamsFile {
  return (loaded ??= JSON.parse(readFileSync(join(repoRoot(), 'providers', 'proxmox', 'sim', 'pve-api-params.json'), 'utf8')) as ParamsFile);
}

/** One endpoint the reference knows, matched against a concrete path. */
export interface RouteMatch {
  /** The reference's path template, e.g. "/nodes/{node}/qemu/{vmid}". */
  template: string;
  /** Placeholder values from the path. */
  pathParams: Record<string, string>;
  /** Its methods (GET/POST/PUT/DELETE) and their schemas. */
  methods: Record<string, EndpointSchema>;
}

interface CompiledRoute {
  template: string;
  segments: string[];
  literals: number;
}

let routes: CompiledRoute[] | undefined;

/**
 * The reference endpoint for a path (below /api2/json), or undefined when the reference does not
 * describe it. Literal segments win over placeholders ("/cluster/ha/status/current" over a
 * "{sid}"-like sibling), as PVE's router tries fixed names first.
 */
export function matchRoute(path: string): RouteMatch | undefined {
  routes ??= Object.keys(apiSchemas().endpoints)
    .map((template) => {
      const segments = template.split('/').filter((s) => s !== '');
      return { template, segments, literals: segments.filter((s) => !s.startsWith('{')).length };
    })
    .sort((a, b) => b.literals - a.literals);
  const parts = path.split('/').filter((s) => s !== '');
  for (const r of routes) {
    if (r.segments.length !== parts.length) continue;
    const pathParams: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const seg = r.segments[i]!;
      if (seg.startsWith('{')) pathParams[seg.slice(1, -1)] = parts[i]!;
      else ok = seg === parts[i];
    }
    if (ok) return { template: r.template, pathParams, methods: apiSchemas().endpoints[r.template]! };
  }
  return undefined;
}

/** How many members an indexed family has (link0..link7, net0..net31): PVE's MAX_* constants, which the reference's first-sentence docs leave out. */
const INDEXED_MAX: Record<string, number> = {
  link: 8,
  net: 32,
  scsi: 31,
  ide: 4,
  sata: 6,
  virtio: 16,
  unused: 256,
  ipconfig: 32,
  usb: 14,
  serial: 4,
  parallel: 3,
  hostpci: 16,
  numa: 8,
  virtiofs: 10,
};

/** The full parameter set of one method: its own params plus the shared set it names. */
export function endpointParams(ep: EndpointSchema): Record<string, ParamSchema> {
  const out: Record<string, ParamSchema> = {};
  const set = /#\/shared_param_sets\/([A-Za-z0-9_]+)/.exec(ep.params_also ?? '')?.[1];
  if (set) Object.assign(out, apiSchemas().shared_param_sets[set] ?? {});
  Object.assign(out, ep.params);
  return out;
}

/** The schema a concrete parameter name falls under ("net3" under "net[n]"), with its schema name. */
function schemaFor(schemas: Record<string, ParamSchema>, name: string): ParamSchema | undefined {
  const direct = schemas[name];
  if (direct) return direct;
  const m = /^([a-z]+)(\d+)$/.exec(name);
  if (!m) return undefined;
  const family = schemas[`${m[1]}[n]`];
  if (!family) return undefined;
  const max = INDEXED_MAX[m[1]!] ?? 32;
  const idx = Number(m[2]);
  if (m[2]!.length > 1 && m[2]!.startsWith('0')) return undefined;
  return idx < max ? family : undefined;
}

/** JS regexps for the reference's Perl patterns ("(?^i:...)" inline flags), anchored as PVE anchors them. */
function compilePattern(p: string): RegExp | undefined {
  const caseless = p.includes('(?^i:');
  try {
    return new RegExp(`^(?:${p.replace(/\(\?\^i:/g, '(?:')})$`, caseless ? 'i' : '');
  } catch {
    return undefined; // a construct JS lacks: not checked
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+(:(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})?$/;

function isIpv6(v: string): boolean {
  return v.includes(':') && IPV6.test(v) && (v.match(/::/g)?.length ?? 0) <= 1;
}

/**
 * The formats whose rules are short and certain; others pass (the model checks what it needs).
 * Each returns the reason a value fails, or undefined.
 */
const FORMATS: Record<string, (v: string) => string | undefined> = {
  'pve-node': (v) => (/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v) ? undefined : 'value does not look like a valid node name'),
  'pve-storage-id': (v) => (/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v) ? undefined : `storage ID '${v}' contains illegal characters`),
  'pve-iface': (v) => (/^[a-zA-Z][a-zA-Z0-9_]{1,20}([:.]\d+)?$/.test(v) ? undefined : `invalid interface name '${v}'`),
  'pve-vmid': (v) => (/^[1-9]\d{2,8}$/.test(v) ? undefined : 'value does not look like a valid VM ID'),
  'pve-configid-list': (v) => (v.split(/[,;\s]+/).every((s) => s === '' || /^[a-z][a-z0-9_-]+$/i.test(s)) ? undefined : 'invalid configuration ID list'),
  ipv4: (v) => (IPV4.test(v) ? undefined : 'value does not look like a valid IPv4 address'),
  ipv6: (v) => (isIpv6(v) ? undefined : 'value does not look like a valid IPv6 address'),
  ip: (v) => (IPV4.test(v) || isIpv6(v) ? undefined : 'value does not look like a valid IP address'),
  address: (v) => (IPV4.test(v) || isIpv6(v) || /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(v) ? undefined : 'value does not look like a valid address'),
  CIDRv4: (v) => cidr(v, 4),
  CIDRv6: (v) => cidr(v, 6),
  CIDR: (v) => cidr(v, 0),
  'mac-addr': (v) => (/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(v) ? undefined : 'value does not look like a valid MAC address'),
};

function cidr(v: string, family: 0 | 4 | 6): string | undefined {
  const [addr, len, ...rest] = v.split('/');
  const n = Number(len);
  const v4 = IPV4.test(addr ?? '') && /^\d+$/.test(len ?? '') && n <= 32;
  const v6 = isIpv6(addr ?? '') && /^\d+$/.test(len ?? '') && n <= 128;
  const ok = rest.length === 0 && (family === 4 ? v4 : family === 6 ? v6 : v4 || v6);
  return ok ? undefined : `value does not look like a valid ${family === 6 ? 'IPv6 ' : family === 4 ? 'IPv4 ' : ''}CIDR network`;
}

/** Checks one scalar against its schema; returns the error text or undefined, and the normalised value. */
function checkScalar(schema: ParamSchema, value: string): { error?: string; value: string } {
  switch (schema.type) {
    case 'boolean':
      // 0/1 is the API's form; true/false is what JSON bodies carry. ("yes"/"on" are refused here.)
      if (value === '1' || value.toLowerCase() === 'true') return { value: '1' };
      if (value === '0' || value.toLowerCase() === 'false') return { value: '0' };
      return { error: `type check ('boolean') failed - got '${value}'`, value };
    case 'integer':
      if (!/^[+-]?\d+$/.test(value)) return { error: `type check ('integer') failed - got '${value}'`, value };
      return { error: range(schema, Number(value)), value: String(Number(value)) };
    case 'number':
      if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value)) return { error: `type check ('number') failed - got '${value}'`, value };
      return { error: range(schema, Number(value)), value };
    default:
      break;
  }
  if (schema.enum && !schema.enum.includes(value)) return { error: `value '${value}' does not have a value in the enumeration '${schema.enum.join(', ')}'`, value };
  if (schema.maxLength !== undefined && value.length > schema.maxLength) return { error: `value may only be ${schema.maxLength} characters long`, value };
  if (schema.minLength !== undefined && value.length < schema.minLength) return { error: `value must be at least ${schema.minLength} characters long`, value };
  if (schema.pattern) {
    const re = compilePattern(schema.pattern);
    if (re && !re.test(value)) return { error: 'value does not match the regex pattern', value };
  }
  if (schema.format && !schema.sub) {
    const list = /^(.*)-list$/.exec(schema.format)?.[1];
    const check = FORMATS[schema.format] ?? (list ? FORMATS[list] : undefined);
    if (check) {
      const items = FORMATS[schema.format] ? [value] : value.split(/[,;\s]+/).filter((s) => s !== '');
      for (const item of items) {
        const why = check(item);
        if (why) return { error: `invalid format - ${why}`, value };
      }
    }
  }
  return { value };
}

function range(schema: ParamSchema, n: number): string | undefined {
  if (schema.minimum !== undefined && n < Number(schema.minimum)) return `value must have a minimum value of ${schema.minimum}`;
  if (schema.maximum !== undefined && n > Number(schema.maximum)) return `value must have a maximum value of ${schema.maximum}`;
  return undefined;
}

/**
 * A property string ("virtio=AA:..,bridge=vmbr0,tag=20", "10.20.10.11,priority=5") checked
 * against its keys; the errors name `<param>.<key>`, under PVE's "format error" heading.
 */
function checkPropertyString(name: string, sub: Record<string, SubSchema>, value: string): string | undefined {
  const problems: string[] = [];
  const seen = new Set<string>();
  const defaultKey = Object.entries(sub).find(([, s]) => s.default_key)?.[0];
  for (const part of value.split(',')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    let key = eq >= 0 ? part.slice(0, eq) : undefined;
    let v = eq >= 0 ? part.slice(eq + 1) : part;
    if (key === undefined) {
      if (!defaultKey) {
        problems.push(`${name}: value without key, but schema does not define a default key`);
        continue;
      }
      key = defaultKey;
    }
    let s = sub[key];
    if (s?.keyAlias && s.alias) {
      // "virtio=<mac>": model=virtio and macaddr=<mac>
      seen.add(s.keyAlias);
      const mac = sub[s.alias];
      if (mac && v !== '') {
        const r = checkScalar(mac, v);
        if (r.error) problems.push(`${name}.${s.alias}: ${r.error}`);
      }
      seen.add(s.alias);
      continue;
    }
    if (s?.alias) {
      key = s.alias;
      s = sub[key];
    }
    if (!s) {
      problems.push(`${name}.${key}: property is not defined in schema and the schema does not allow additional properties`);
      continue;
    }
    if (seen.has(key)) {
      problems.push(`${name}.${key}: duplicate key in comma-separated list property`);
      continue;
    }
    seen.add(key);
    const r = checkScalar(s, v);
    if (r.error) problems.push(`${name}.${key}: ${r.error}`);
    v = r.value;
  }
  for (const [key, s] of Object.entries(sub)) {
    if (s.alias || s.keyAlias || s.optional || s.default !== undefined || seen.has(key)) continue;
    problems.push(`${name}.${key}: property is missing and it is not optional`);
  }
  return problems.length ? `invalid format - format error\n${problems.join('\n')}` : undefined;
}

export interface ParamCheck {
  /** Per-parameter messages; empty when the request passes. */
  errors: Record<string, string>;
  /** The parameters with booleans as "0"/"1" and integers normalised (path parameters excluded). */
  params: Record<string, string>;
}

/**
 * Verifies `params` (query or body, already strings; path placeholders given apart) against an
 * endpoint method's schema, as PVE does before calling the handler.
 */
export function checkParams(ep: EndpointSchema, params: Record<string, string>, pathParams: Record<string, string>): ParamCheck {
  const schemas = endpointParams(ep);
  const errors: Record<string, string> = {};
  const out: Record<string, string> = {};
  const all: Record<string, string> = { ...params, ...pathParams };

  for (const [k, v] of Object.entries(params)) {
    if (k in pathParams) {
      if (v !== pathParams[k]) errors[k] = `parameter '${k}' is also given in the path with another value ('${pathParams[k]}')`;
      continue;
    }
    const schema = schemaFor(schemas, k);
    if (!schema) {
      errors[k] = 'property is not defined in schema and the schema does not allow additional properties';
      continue;
    }
    const typeProp = schema['type-property'];
    if (schema['instance-types'] && typeProp && all[typeProp] !== undefined && !schema['instance-types'].includes(all[typeProp]!)) {
      errors[k] = `property is not defined in schema for type '${all[typeProp]}' and the schema does not allow additional properties`;
      continue;
    }
    if (schema.sub) {
      const why = checkPropertyString(k, schema.sub, v);
      if (why) errors[k] = why;
      out[k] = v;
      continue;
    }
    const r = checkScalar(schema, v);
    if (r.error) errors[k] = r.error;
    out[k] = r.value;
  }
  for (const [k, v] of Object.entries(pathParams)) {
    const schema = schemas[k];
    if (!schema || errors[k]) continue;
    const r = checkScalar(schema, v);
    if (r.error) errors[k] = r.error;
  }
  for (const [k, s] of Object.entries(schemas)) {
    if (k.endsWith('[n]')) continue;
    if (!s.optional && all[k] === undefined && !errors[k]) errors[k] = 'property is missing and it is not optional';
  }
  for (const k of Object.keys(all)) {
    const req = schemaFor(schemas, k)?.requires;
    if (req && all[req] === undefined && !errors[req]) errors[req] = `missing property - '${k}' requires this property`;
  }
  return { errors, params: out };
}
