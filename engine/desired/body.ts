// Evaluates a resource (or provider) body against its schema: attributes, nested blocks and
// `dynamic` blocks become one object value. Names are checked against the schema here, with the
// nearest valid name; values are checked by ajv afterwards (engine/schema/validate.ts).

import { Diagnostics, nearestName, type Range } from '../diagnostics.js';
import type { Block, Body } from '../config/hcl/ast.js';
import { bodyContent, type BodySchema } from '../config/hcl/content.js';
import type { AttributeMeta } from '../schema/types.js';
import type { EvalScope } from '../lang/scope.js';
import { childScope } from '../lang/scope.js';
import { evaluate } from '../lang/eval.js';
import { Unknown, isObject, isUnknown, unmark, type Value, type ValueObject } from '../lang/value.js';

export interface BodyValue {
  value: ValueObject;
  /** Where each top-level attribute (or block) was written, for messages about its value. */
  ranges: Map<string, Range>;
}

const schemaCache = new WeakMap<Record<string, AttributeMeta>, BodySchema>();

function bodySchemaOf(attrs: Record<string, AttributeMeta>): BodySchema {
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

/**
 * Evaluates `body`. `what` names the owner for messages ('resource "x" "y"').
 * `checkNames` is false for instances after the first of a resource: the names are the same.
 */
export function evaluateBody(
  body: Body,
  attrs: Record<string, AttributeMeta>,
  scope: EvalScope,
  diags: Diagnostics,
  what: string,
  headerRange: Range,
  checkNames = true,
): BodyValue {
  const value: ValueObject = {};
  const ranges = new Map<string, Range>();
  let attributes: Body['attributes'];
  let blocks: Block[];
  if (body.json) {
    const c = bodyContent(body, bodySchemaOf(attrs), checkNames ? diags : new Diagnostics());
    attributes = [...c.attributes.values()];
    blocks = c.blocks;
  } else {
    attributes = body.attributes;
    blocks = body.blocks;
  }
  for (const a of attributes) {
    const meta = attrs[a.name];
    if (!meta) {
      if (checkNames) diags.error('Unsupported argument', a.nameRange, `An argument named "${a.name}" is not expected in ${what}.`, nearestName(a.name, Object.keys(attrs)));
      continue;
    }
    if (checkNames && meta.computed && !meta.optional) {
      diags.error('Computed attribute cannot be set', a.nameRange, `"${a.name}" is set by the platform and cannot be written in ${what}.`);
      continue;
    }
    value[a.name] = evaluate(a.expr, scope, diags);
    ranges.set(a.name, a.expr.range);
  }
  for (const b of blocks) {
    if (b.type === 'dynamic') {
      evaluateDynamic(b, attrs, scope, diags, what, value, ranges, checkNames);
      continue;
    }
    addBlock(b, b.body, scope, attrs, diags, what, value, ranges, checkNames);
  }
  if (checkNames) {
    for (const meta of Object.values(attrs)) {
      if (meta.required && !(meta.name in value)) {
        diags.error('Missing required argument', headerRange, `The argument "${meta.name}" is required in ${what}, but no definition was found.`);
      }
    }
  }
  return { value, ranges };
}

function addBlock(
  b: Block,
  blockBody: Body,
  scope: EvalScope,
  attrs: Record<string, AttributeMeta>,
  diags: Diagnostics,
  what: string,
  value: ValueObject,
  ranges: Map<string, Range>,
  checkNames: boolean,
): void {
  const meta = attrs[b.type];
  if (!meta || !meta.nesting) {
    if (checkNames) {
      const blockNames = Object.values(attrs).filter((a) => a.nesting).map((a) => a.name);
      diags.error('Unsupported block type', b.typeRange, `Blocks of type "${b.type}" are not expected in ${what}.`, nearestName(b.type, blockNames.length ? blockNames : Object.keys(attrs)));
    }
    return;
  }
  if (b.labels.length && checkNames) diags.error('Extraneous label', b.labelRanges[0], `A "${b.type}" block takes no labels.`);
  const inner = evaluateBody(blockBody, meta.nested ?? {}, scope, diags, `a "${b.type}" block`, b.typeRange, checkNames);
  if (meta.nesting === 'list') {
    const cur = value[b.type];
    if (Array.isArray(cur)) cur.push(inner.value);
    else value[b.type] = [inner.value];
  } else {
    if (b.type in value && checkNames) {
      diags.error('Duplicate block', b.typeRange, `Only one "${b.type}" block is allowed in ${what}.`);
      return;
    }
    value[b.type] = inner.value;
  }
  if (!ranges.has(b.type)) ranges.set(b.type, b.typeRange);
}

function evaluateDynamic(
  b: Block,
  attrs: Record<string, AttributeMeta>,
  scope: EvalScope,
  diags: Diagnostics,
  what: string,
  value: ValueObject,
  ranges: Map<string, Range>,
  checkNames: boolean,
): void {
  const name = b.labels[0];
  const c = bodyContent(
    b.body,
    { attributes: [{ name: 'for_each', required: true }, { name: 'iterator' }, { name: 'labels' }], blocks: [{ type: 'content', labelNames: [] }] },
    diags,
  );
  const content = c.blocks.filter((x) => x.type === 'content');
  if (content.length !== 1) {
    diags.error('Invalid dynamic block', b.typeRange, `A dynamic "${name}" block needs exactly one content block.`);
    return;
  }
  const iterAttr = c.attributes.get('iterator');
  let iter = name;
  if (iterAttr) {
    if (iterAttr.expr.kind === 'ScopeTraversal' && iterAttr.expr.steps.length === 0) iter = iterAttr.expr.root;
    else diags.error('Invalid dynamic iterator name', iterAttr.expr.range, 'iterator must be a single name, such as iterator = nic.');
  }
  const fe = c.attributes.get('for_each');
  if (!fe) return;
  const coll = unmark(evaluate(fe.expr, scope, diags)).value;
  if (isUnknown(coll)) {
    // The number of blocks is not known yet: the whole attribute is.
    value[name] = new Unknown('list');
    return;
  }
  const items: [Value, Value][] = Array.isArray(coll)
    ? coll.map((v, i) => [i, v])
    : isObject(coll)
      ? Object.keys(coll).sort().map((k) => [k, coll[k]])
      : [];
  if (!Array.isArray(coll) && !isObject(coll) && coll !== null) {
    diags.error('Invalid dynamic for_each value', fe.expr.range, 'for_each of a dynamic block takes a list, set or map.');
    return;
  }
  const fakeBlock: Block = { ...b, type: name, labels: [], labelRanges: [], typeRange: b.labelRanges[0] ?? b.typeRange };
  let first = checkNames;
  for (const [k, v] of items) {
    const s = childScope(scope, { [iter]: { key: k, value: v } });
    addBlock(fakeBlock, content[0].body, s, attrs, diags, what, value, ranges, first);
    first = false;
  }
  if (items.length === 0 && checkNames && !attrs[name]?.nesting) addBlock(fakeBlock, content[0].body, scope, attrs, diags, what, {}, new Map(), true);
}
