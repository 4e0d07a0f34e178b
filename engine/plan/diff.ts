// The plan of one resource instance: a pure function of its schema, its evaluated configuration,
// what state last recorded and what observation found. No I/O, no clock, no randomness.

import { canonicalSets, hasSets } from './sets.js';
import type { ResourceSchema, AttributeMeta } from '../schema/types.js';
import type { ResourceInstanceState } from '../state/types.js';
import {
  Unknown,
  containsSensitive,
  deepUnmark,
  isSensitive,
  isUnknown,
  isWhollyKnown,
  markSensitive,
  unknownShape,
  valuesEqual,
  type Value,
  type ValueObject,
} from '../lang/value.js';
import type { Action, ActionReason, AttributeChange } from './types.js';
import { isSecretDigest, secretDigest } from './secrets.js';

export interface InstanceDiffInput {
  schema: ResourceSchema;
  /** Evaluated configuration; undefined when the instance is being destroyed. */
  config: ValueObject;
  prior?: ResourceInstanceState;
  /** What observation found: attributes, null if the object is gone, undefined if not observed. */
  observed?: Record<string, unknown> | null;
  salt: string;
  ignoreChanges: { all: boolean; paths: (string | number)[][] };
  forceReplace?: { reason: ActionReason; text: string };
}

export interface InstanceDiff {
  action: Exclude<Action, 'read' | 'delete'>;
  actionReason?: ActionReason;
  reason?: string;
  /** The planned value, with unknowns and sensitive marks, for references from other objects. */
  planned: ValueObject;
  before: Record<string, unknown> | null;
  after: Record<string, unknown>;
  afterUnknown: Record<string, unknown>;
  beforeSensitive: Record<string, unknown>;
  afterSensitive: Record<string, unknown>;
  changes: AttributeChange[];
  replacePaths: (string | number)[][];
  drift: AttributeChange[];
  /** The object was deleted outside poolform. */
  vanished: boolean;
}

/**
 * The attributes whose values are secret: marked so in the schema, given a sensitive value in the
 * configuration, or recomputed by the platform from one of those (x-derived-from).
 */
export function sensitiveAttrs(schema: ResourceSchema, config: ValueObject): Set<string> {
  const attrs = schema.attributes;
  const out = new Set<string>();
  for (const name in attrs) {
    const meta = attrs[name];
    if (meta.sensitive || meta.writeOnly || (config[name] !== undefined && containsSensitive(config[name]))) out.add(name);
  }
  for (const name in attrs) if (attrs[name].derivedFrom?.some((src) => out.has(src))) out.add(name);
  return out;
}

/** Turns a stored attribute value back into a language value (sensitive digests stay marked). */
export function storedToValue(attrs: Record<string, unknown>, sensitive: Set<string>): ValueObject {
  const out: ValueObject = {};
  for (const k in attrs) {
    const v = attrs[k] as Value;
    out[k] = sensitive.has(k) || isSecretDigest(v) ? markSensitive(v) : v;
  }
  return out;
}

/** Plain data with the unknown leaves null and the sensitive ones removed (to null). */
export function plainOf(v: Value, redactSensitive = true): unknown {
  if (v instanceof Unknown) return null;
  if (isSensitive(v)) return redactSensitive ? null : plainOf(v.value, false);
  if (Array.isArray(v)) return v.map((x) => plainOf(x, redactSensitive));
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k in v) o[k] = plainOf((v as ValueObject)[k], redactSensitive);
    return o;
  }
  return v;
}

function coerce(meta: AttributeMeta, v: Value): Value {
  const t = Array.isArray(meta.jsonType) ? meta.jsonType[0] : meta.jsonType;
  if (typeof v === 'string' && (t === 'number' || t === 'integer') && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  if (typeof v === 'number' && t === 'string') return String(v);
  if (typeof v === 'string' && t === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  if (typeof v === 'boolean' && t === 'string') return String(v);
  return v;
}

function getPath(o: unknown, p: (string | number)[]): unknown {
  let cur = o;
  for (const s of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

function setPath(o: ValueObject, p: (string | number)[], v: Value): void {
  let cur: Record<string | number, Value> = o;
  for (let i = 0; i < p.length - 1; i++) {
    const next = cur[p[i]];
    if (next === null || typeof next !== 'object' || isUnknown(next) || isSensitive(next)) return;
    cur = next as Record<string | number, Value>;
  }
  cur[p[p.length - 1]] = v;
}

export function diffInstance(raw: InstanceDiffInput): InstanceDiff {
  const inp = canonicalInput(raw);
  const { schema, config, prior, observed, salt } = inp;
  const attrs = schema.attributes;
  const vanished = !!prior && observed === null;
  const exists = !!prior && !vanished;
  // What is there now: observed values where observation ran, else what state recorded.
  const current: Record<string, unknown> | null = exists ? { ...prior!.attributes } : null;
  const drift: AttributeChange[] = [];
  if (exists && observed) {
    for (const name in attrs) {
      const meta = attrs[name];
      if (meta.drift === 'ignore' || meta.sensitive || meta.writeOnly) continue;
      if (!(name in observed)) continue;
      const was = prior!.attributes[name];
      const now = observed[name];
      if (!valuesEqual(was as Value, now as Value)) {
        // A computed attribute is drift only when the configuration sets it (x-optional): then it
        // is the user's value that moved, as the plan below treats it.
        const userOwned = !meta.computed || (meta.optional && name in config && config[name] !== null);
        if (meta.drift === 'desired' && userOwned) drift.push({ path: [name], before: was, after: now, afterUnknown: false, sensitive: false, forcesReplacement: false });
        current![name] = now;
      }
    }
  }
  if (vanished) drift.push({ path: [], before: prior!.attributes, after: null, afterUnknown: false, sensitive: false, forcesReplacement: false });

  const planned: ValueObject = {};
  const changes: AttributeChange[] = [];
  const replacePaths: (string | number)[][] = [];
  const sensitive = sensitiveAttrs(schema, config);
  for (const name in attrs) {
    const meta = attrs[name];
    const set = name in config && config[name] !== null;
    const sens = sensitive.has(name);
    let v: Value;
    if (set) v = coerce(meta, config[name]);
    else if (meta.computed) v = current && name in current ? (current[name] as Value) : new Unknown();
    else if (meta.default !== undefined) v = meta.default as Value;
    else v = null;
    if (sens && !isUnknown(v) && v !== null) v = markSensitive(v);
    planned[name] = v;
  }
  // ignore_changes: keep what is there for the listed attributes.
  if (current) {
    if (inp.ignoreChanges.all) {
      for (const name in attrs) if (!attrs[name].computed && name in current) planned[name] = current[name] as Value;
    } else {
      for (const p of inp.ignoreChanges.paths) {
        const cur = getPath(current, p);
        if (cur !== undefined) setPath(planned, p, cur as Value);
      }
    }
  }

  if (current) {
    for (const name in attrs) {
      const meta = attrs[name];
      if (meta.computed && !meta.optional) continue;
      if (meta.drift !== 'desired' && !(name in config)) continue;
      if (meta.computed && !(name in config)) continue;
      const after = planned[name];
      const before = current[name];
      const sens = sensitive.has(name);
      let differs: boolean;
      if (!isWhollyKnown(after)) differs = true;
      else if (sens) {
        const plain = deepUnmark(after).value;
        // A digest here came from state (ignore_changes kept it): compare it as it is.
        const digest = isSecretDigest(plain) ? plain : plain === null ? null : secretDigest(plain, salt);
        differs = digest === null ? before !== null && before !== undefined : before !== digest;
      } else differs = !valuesEqual(deepUnmark(after).value, (before ?? null) as Value);
      if (!differs) continue;
      const forces = meta.replaceOnChange;
      changes.push({
        path: [name],
        before: sens ? null : before ?? null,
        after: sens ? null : plainOf(after),
        afterUnknown: !isWhollyKnown(after),
        sensitive: sens,
        forcesReplacement: forces,
      });
      if (forces) replacePaths.push([name]);
    }
  }

  let action: InstanceDiff['action'];
  let actionReason: ActionReason | undefined;
  let reason: string | undefined;
  if (!current) action = 'create';
  else if (prior?.tainted) {
    action = 'replace';
    actionReason = 'replace_because_tainted';
    reason = 'the object is tainted: an earlier apply did not finish creating it';
  } else if (inp.forceReplace) {
    action = 'replace';
    actionReason = inp.forceReplace.reason;
    reason = inp.forceReplace.text;
  } else if (replacePaths.length) {
    action = 'replace';
    actionReason = 'replace_because_cannot_update';
    reason = `${replacePaths.map((p) => p.join('.')).join(', ')} cannot be changed in place`;
  } else action = changes.length ? 'update' : 'noop';

  if (action === 'update') {
    const changed = new Set(changes.map((c) => String(c.path[0])));
    for (const name in attrs) {
      const d = attrs[name].derivedFrom;
      if (attrs[name].computed && d && d.some((x) => changed.has(x))) planned[name] = new Unknown();
    }
  }
  if (action === 'replace' || action === 'create') {
    for (const name in attrs) {
      const meta = attrs[name];
      if (meta.computed && !(name in config && config[name] !== null)) planned[name] = new Unknown();
    }
  }

  const after: Record<string, unknown> = {};
  const afterSensitive: Record<string, unknown> = {};
  for (const name in planned) {
    after[name] = plainOf(planned[name]);
    if (sensitive.has(name)) afterSensitive[name] = true;
  }
  const beforeSensitive: Record<string, unknown> = {};
  let before: Record<string, unknown> | null = null;
  if (current) {
    before = {};
    for (const name in current) {
      if (isSecretDigest(current[name]) || attrs[name]?.sensitive || attrs[name]?.writeOnly) {
        before[name] = null;
        beforeSensitive[name] = true;
      } else before[name] = current[name];
    }
  }
  return {
    action,
    actionReason,
    reason,
    planned,
    before,
    after,
    afterUnknown: unknownShape(planned) as Record<string, unknown>,
    beforeSensitive,
    afterSensitive,
    changes,
    replacePaths,
    drift,
    vanished,
  };
}

/** What state records after an operation: sensitive attributes as salted digests, never plain. */
/** The input with set attributes in canonical order on every side (sets.ts). */
function canonicalInput(inp: InstanceDiffInput): InstanceDiffInput {
  const attrs = inp.schema.attributes;
  if (!hasSets(attrs)) return inp;
  return {
    ...inp,
    config: canonicalSets(attrs, inp.config),
    prior: inp.prior ? { ...inp.prior, attributes: canonicalSets(attrs, inp.prior.attributes) } : inp.prior,
    observed: inp.observed ? canonicalSets(attrs, inp.observed) : inp.observed,
  };
}

export function attrsForState(
  schema: ResourceSchema,
  result: Record<string, unknown>,
  config: ValueObject,
  salt: string,
): { attributes: Record<string, unknown>; sensitivePaths: (string | number)[][] } {
  const attributes: Record<string, unknown> = {};
  const sensitivePaths: (string | number)[][] = [];
  const sensitive = sensitiveAttrs(schema, config);
  for (const name in schema.attributes) {
    const cfg = config[name];
    let v: unknown = name in result ? result[name] : undefined;
    if (v === undefined && cfg !== undefined && cfg !== null && isWhollyKnown(cfg)) v = deepUnmark(cfg).value;
    // An unset attribute the provider did not report holds its default, as the provider was given it.
    if ((v === undefined || v === null) && (cfg === undefined || cfg === null) && !(name in result)) v = schema.attributes[name].default;
    if (v === undefined) v = null;
    if (sensitive.has(name) && v !== null) {
      // The digest of what was configured, so the next plan can compare the configuration with it.
      attributes[name] = secretDigest(cfg !== undefined && cfg !== null ? deepUnmark(cfg).value : v, salt);
      sensitivePaths.push([name]);
    } else attributes[name] = v;
  }
  return { attributes, sensitivePaths };
}
