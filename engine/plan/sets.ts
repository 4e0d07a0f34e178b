// Sets: array attributes whose order means nothing (x-set in the schema: content types of a
// storage, the interfaces of a node). Configuration, state and observation are each put in one
// canonical order before they are compared, so writing ["iso", "images"] or the platform listing
// ["images", "iso"] plans nothing, and plans and state show the sorted list. Nested blocks marked
// x-set are ordered the same way (by their whole content), their own sets first.

import type { AttributeMeta } from '../schema/types.js';
import { deepUnmark, isObject, isWhollyKnown, type Value, type ValueObject } from '../lang/value.js';

/** JSON with object keys sorted, so the same content always gives the same text. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Blocks are ordered by their name (or slot) first, as people read them; then by their content. */
const NAME_KEYS = ['name', 'slot'];

/**
 * A sort key for one element: its stable JSON with sensitive marks removed (they do not change
 * order), after the block's name when it has one. Numbers in names sort naturally (net2 < net10).
 */
function keyOf(v: Value): string {
  const plain = deepUnmark(v).value;
  let head = '';
  if (plain && typeof plain === 'object' && !Array.isArray(plain)) {
    const k = NAME_KEYS.find((n) => typeof (plain as Record<string, unknown>)[n] === 'string');
    if (k) head = String((plain as Record<string, unknown>)[k]).replace(/\d+/g, (d) => d.padStart(12, '0'));
  }
  return `${head}\u0000${stableJson(plain)}`;
}

function canonicalValue(meta: AttributeMeta, v: Value): Value {
  if (!Array.isArray(v)) return v;
  let items = v;
  if (meta.nested) items = items.map((x) => (isObject(x) ? canonicalSets(meta.nested!, x) : x));
  // An element not known yet has no place in the order: leave the list as written.
  if (!meta.set || !items.every(isWhollyKnown)) return items;
  return items
    .map((x) => [keyOf(x), x] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, x]) => x);
}

/** A copy of `obj` with every set attribute (and sets inside nested blocks) in canonical order. */
export function canonicalSets<T extends ValueObject | Record<string, unknown>>(attrs: Record<string, AttributeMeta>, obj: T): T {
  let out: T | undefined;
  for (const [name, meta] of Object.entries(attrs)) {
    if (!meta.set && !meta.nested) continue;
    const v = (obj as Record<string, unknown>)[name] as Value | undefined;
    if (v === undefined || v === null) continue;
    const c = Array.isArray(v) ? canonicalValue(meta, v) : meta.nested && isObject(v) ? canonicalSets(meta.nested, v) : v;
    if (c !== v) {
      out ??= { ...obj };
      (out as Record<string, unknown>)[name] = c;
    }
  }
  return out ?? obj;
}

const setsIn = new WeakMap<Record<string, AttributeMeta>, boolean>();

/** Whether a schema has any set attribute (most have none: no copying then). Known once per schema. */
export function hasSets(attrs: Record<string, AttributeMeta>): boolean {
  let known = setsIn.get(attrs);
  if (known === undefined) setsIn.set(attrs, (known = Object.values(attrs).some((m) => m.set || (m.nested !== undefined && hasSets(m.nested)))));
  return known;
}
