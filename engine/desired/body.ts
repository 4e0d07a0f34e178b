// Evaluates a resource (or provider) body against its schema: attributes, nested blocks and
// `dynamic` blocks become one object value. Names and shapes were checked before evaluation
// (check.ts); values are checked by ajv afterwards (engine/schema/validate.ts).

import { Diagnostics, type Range } from '../diagnostics.js';
import type { Attribute, Block, Body } from '../config/hcl/ast.js';
import { bodyContent, type BodySchema } from '../config/hcl/content.js';
import type { AttributeMeta } from '../schema/types.js';
import { childScope, type EvalScope } from '../lang/scope.js';
import { evaluate } from '../lang/eval.js';
import { Unknown, isObject, isUnknown, unmark, type Value, type ValueObject } from '../lang/value.js';
import { decodeDynamic } from './dynamic.js';

export interface BodyValue {
  value: ValueObject;
  /** Where each top-level attribute (or block) was written, for messages about its value. */
  ranges: Map<string, Range>;
}

const schemaCache = new WeakMap<Record<string, AttributeMeta>, BodySchema>();

/** The HCL body schema of a set of attributes: every attribute, nested blocks for x-nesting ones, dynamic blocks. */
export function bodySchemaOf(attrs: Record<string, AttributeMeta>): BodySchema {
  let s = schemaCache.get(attrs);
  if (!s) {
    s = { attributes: [], blocks: [{ type: 'dynamic', labelNames: ['name'] }] };
    for (const a of Object.values(attrs)) {
      s.attributes.push({ name: a.name });
      if (a.nesting) s.blocks.push({ type: a.name, labelNames: [] });
    }
    schemaCache.set(attrs, s);
  }
  return s;
}

/** A body's attributes and blocks, whichever syntax it was written in. */
export function bodyParts(body: Body, attrs: Record<string, AttributeMeta>, diags: Diagnostics): { attributes: Attribute[]; blocks: Block[] } {
  if (!body.json) return body;
  const c = bodyContent(body, bodySchemaOf(attrs), diags);
  return { attributes: [...c.attributes.values()], blocks: c.blocks };
}

/** Evaluates `body`. Unknown names are skipped (check.ts has reported them). */
export function evaluateBody(body: Body, attrs: Record<string, AttributeMeta>, scope: EvalScope, diags: Diagnostics): BodyValue {
  const value: ValueObject = {};
  const ranges = new Map<string, Range>();
  const { attributes, blocks } = bodyParts(body, attrs, new Diagnostics());
  for (const a of attributes) {
    if (!attrs[a.name]) continue;
    value[a.name] = evaluate(a.expr, scope, diags);
    ranges.set(a.name, a.expr.range);
  }
  for (const b of blocks) {
    if (b.type === 'dynamic') evaluateDynamic(b, attrs, scope, diags, value, ranges);
    else addBlock(b.type, b.typeRange, b.body, scope, attrs, diags, value, ranges);
  }
  return { value, ranges };
}

function addBlock(type: string, typeRange: Range, blockBody: Body, scope: EvalScope, attrs: Record<string, AttributeMeta>, diags: Diagnostics, value: ValueObject, ranges: Map<string, Range>): void {
  const meta = attrs[type];
  if (!meta?.nesting) return;
  const inner = evaluateBody(blockBody, meta.nested ?? {}, scope, diags).value;
  // A block is a whole object: what it leaves out takes the schema's default (or null), as a
  // top-level attribute does, so it compares equal with the platform's full answer.
  for (const [k, m] of Object.entries(meta.nested ?? {})) {
    if (!(k in inner) && !m.computed) inner[k] = m.default !== undefined ? (structuredClone(m.default) as Value) : null;
  }
  if (meta.nesting === 'list') {
    const cur = value[type];
    if (Array.isArray(cur)) cur.push(inner);
    else value[type] = [inner];
  } else value[type] = inner;
  if (!ranges.has(type)) ranges.set(type, typeRange);
}

function evaluateDynamic(b: Block, attrs: Record<string, AttributeMeta>, scope: EvalScope, diags: Diagnostics, value: ValueObject, ranges: Map<string, Range>): void {
  const d = decodeDynamic(b, new Diagnostics());
  if (!d.forEach || !d.content) return;
  const coll = unmark(evaluate(d.forEach, scope, diags)).value;
  if (isUnknown(coll)) {
    // The number of blocks is not known yet: the whole attribute is.
    value[d.name] = new Unknown('list');
    return;
  }
  if (!Array.isArray(coll) && !isObject(coll) && coll !== null) {
    diags.error('Invalid dynamic for_each value', d.forEach.range, 'for_each of a dynamic block takes a list, set or map.');
    return;
  }
  const items: [Value, Value][] = Array.isArray(coll) ? coll.map((v, i) => [i, v]) : isObject(coll) ? Object.keys(coll).sort().map((k) => [k, coll[k]]) : [];
  const typeRange = b.labelRanges[0] ?? b.typeRange;
  for (const [k, v] of items) addBlock(d.name, typeRange, d.content, childScope(scope, { [d.iterator]: { key: k, value: v } }), attrs, diags, value, ranges);
}
