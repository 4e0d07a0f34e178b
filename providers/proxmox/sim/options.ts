// Datacenter options (datacenter.cfg, GET/PUT /cluster/options): property-string options such as
// migration ("secure,network=10.20.30.0/24", type being the default key), ha
// ("shutdown_policy=...") and crs ("ha=static,ha-rebalance-on-start=1") are checked against the
// reference's sub-schemas, stored normalised, and read back parsed into objects as the API does.

import { requireQuorum } from './corosync.js';
import { DATACENTER_LOCK } from './locks.js';
import type { Ctx } from './state.js';
import { CLUSTER_OPTIONS, type ParamSchema } from './tables.js';
import { inCidr, paramFail, parsePropertyString, printPropertyString, splitList, type Domain } from './world.js';

const defaultKeyOf = (schema: ParamSchema) => Object.entries(schema.sub ?? {}).find(([, s]) => s.default_key)?.[0];

function typed(schema: ParamSchema | undefined, v: string): unknown {
  if (schema?.type === 'integer' || schema?.type === 'number') return Number.isFinite(Number(v)) ? Number(v) : v;
  if (schema?.type === 'boolean') return /^(1|true|yes|on)$/i.test(v) ? 1 : 0;
  return v;
}

/** Validates and normalises one option's value; throws 400 with errors.{key}. */
function checkOption(key: string, value: string): string {
  const schema = CLUSTER_OPTIONS[key];
  if (!schema) paramFail({ [key]: 'property is not defined in schema and the schema does not allow additional properties' });
  const bad = (msg: string): never => paramFail({ [key]: `invalid format - ${msg}` });
  if (!schema.sub) {
    if (schema.enum && !schema.enum.includes(value)) paramFail({ [key]: `value '${value}' does not have a value in the enumeration '${schema.enum.join(', ')}'` });
    if (schema.type === 'boolean') return String(typed(schema, value));
    return value;
  }
  const dk = defaultKeyOf(schema);
  const obj = parsePropertyString(value, dk);
  const out: Record<string, string> = {};
  for (const [sk, sv] of Object.entries(obj)) {
    const sub = schema.sub[sk];
    if (!sub) bad(`format error\n${key}.${sk}: property is not defined in schema and the schema does not allow additional properties`);
    if (sub.enum && !sub.enum.includes(sv)) bad(`format error\n${key}.${sk}: value '${sv}' does not have a value in the enumeration '${sub.enum.join(', ')}'`);
    if (sub.type === 'boolean') {
      if (!/^(0|1|true|false|yes|no|on|off)$/i.test(sv)) bad(`format error\n${key}.${sk}: type check ('boolean') failed - got '${sv}'`);
      out[sk] = String(typed(sub, sv));
      continue;
    }
    if ((sub.type === 'integer' || sub.type === 'number') && !Number.isFinite(Number(sv))) bad(`format error\n${key}.${sk}: type check ('${sub.type}') failed - got '${sv}'`);
    if (sub.format === 'CIDR' && !(/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(sv) && inCidr(sv.split('/')[0]!, sv))) bad(`format error\n${key}.${sk}: value does not look like a valid CIDR network`);
    out[sk] = sv;
  }
  for (const [sk, sub] of Object.entries(schema.sub)) {
    if (!sub.optional && sub.default === undefined && out[sk] === undefined) bad(`format error\n${key}.${sk}: property is missing and it is not optional`);
  }
  return printPropertyString(out, dk);
}

function parseStored(key: string, value: string): unknown {
  const schema = CLUSTER_OPTIONS[key];
  if (!schema?.sub) return typed(schema, value);
  const obj = parsePropertyString(value, defaultKeyOf(schema));
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typed(schema.sub![k], v)]));
}

export function getOptions(ctx: Ctx): unknown {
  const d = ctx.local.domain;
  return Object.fromEntries(Object.entries(d.options).map(([k, v]) => [k, parseStored(k, v)]));
}

export async function putOptions(ctx: Ctx): Promise<null> {
  const { st, local, params } = ctx;
  requireQuorum(st, local);
  const set: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'delete' && k !== 'digest') set[k] = checkOption(k, v);
  const del = splitList(params.delete);
  for (const k of del) if (set[k] !== undefined) paramFail({ delete: `cannot set and delete property '${k}' at the same time!` });
  const d = local.domain;
  const release = await st.lock(d, [DATACENTER_LOCK]);
  try {
    for (const k of del) delete d.options[k];
    Object.assign(d.options, set);
  } finally {
    release();
  }
  return null;
}

export function renderDatacenterCfg(d: Domain): string {
  return Object.keys(d.options)
    .sort()
    .map((k) => `${k}: ${d.options[k]}\n`)
    .join('');
}
