// One resource instance's configuration: evaluated body, checked against the resource's JSON
// Schema (ajv), preconditions tested. Plan and apply both use it, so apply evaluates exactly as
// plan did, only with more values known.

import type { Diagnostics, Range } from '../diagnostics.js';
import type { Module, Resource } from '../config/model.js';
import type { ConfigGraph } from './graph.js';
import type { ResourceSchema } from '../schema/types.js';
import { compileValidator, renderPath } from '../schema/validate.js';
import { evaluate } from '../lang/eval.js';
import { Unknown, unmark, type Value, type ValueObject } from '../lang/value.js';
import { evaluateBody } from './body.js';
import { describeValue, keySuffix, type EvalContext, type ExpansionResult, type InstanceKey, type ModuleInstance } from './context.js';

export function instanceAddress(mi: ModuleInstance, r: Resource, key: InstanceKey): string {
  return `${mi.prefix}${r.key}${keySuffix(key)}`;
}

export function describeResource(r: Resource): string {
  return `${r.mode === 'data' ? 'data' : 'resource'} "${r.type}" "${r.name}"`;
}

export function evaluateInstance(
  ctx: EvalContext,
  mi: ModuleInstance,
  r: Resource,
  schema: ResourceSchema,
  exp: ExpansionResult,
  key: InstanceKey,
  diags: Diagnostics,
): ValueObject {
  const scope = ctx.instanceScope(mi, exp, key);
  const what = describeResource(r);
  const body = evaluateBody(r.body, schema.attributes, scope, diags);
  const errors = compileValidator(schema)(body.value as Record<string, unknown>);
  for (const e of errors) {
    const top = e.path[0];
    const range: Range = (typeof top === 'string' ? body.ranges.get(top) : undefined) ?? r.range;
    const at = keySuffix(key) ? ` (instance ${instanceAddress(mi, r, key)})` : '';
    diags.error(`Invalid value in ${what}`, range, `${e.message}${e.path.length > 1 ? ` (at ${renderPath(e.path)})` : ''}${at}.`, e.suggestion);
  }
  for (const pc of r.lifecycle.preconditions) {
    const ok = unmark(evaluate(pc.condition, scope, diags)).value;
    if (ok === false) {
      const msg = pc.errorMessage ? unmark(evaluate(pc.errorMessage, scope, diags)).value : undefined;
      diags.error('Resource precondition failed', pc.range, `${typeof msg === 'string' ? msg : 'The precondition is false.'} (${instanceAddress(mi, r, key)})`);
    } else if (ok !== true && !(ok instanceof Unknown)) {
      diags.error('Invalid precondition result', pc.range, `A condition must be true or false; got ${describeValue(ok)}.`);
    }
  }
  return body.value;
}

/** Puts an instance's value where references find it. */
export function registerInstance(mi: ModuleInstance, r: Resource, exp: ExpansionResult['kind'], key: InstanceKey, value: Value): void {
  const reg = mi.registry(r);
  if (exp === 'single') reg[r.name] = value;
  else if (exp === 'count') {
    let list = reg[r.name];
    if (!Array.isArray(list)) reg[r.name] = list = [];
    (list as Value[])[key as number] = value;
  } else {
    let map = reg[r.name];
    if (map === null || typeof map !== 'object' || Array.isArray(map) || map instanceof Unknown) reg[r.name] = map = {};
    (map as ValueObject)[key as string] = value;
  }
}

/** The configuration's resources, dependencies first. */
export function* resourceNodes(graph: ConfigGraph): Generator<{ nodeId: string; mod: Module; r: Resource }> {
  for (const nodeId of graph.order) {
    const node = graph.nodes.get(nodeId);
    if (node?.kind === 'resource') yield { nodeId, mod: node.mod, r: node.res };
  }
}

/** A resource's expansion (count / for_each) in each instance of its module, with the registry ready for its instances. */
export function* expansions(ctx: EvalContext, mod: Module, r: Resource): Generator<{ mi: ModuleInstance; exp: ExpansionResult }> {
  for (const mi of ctx.instancesOf(mod)) {
    const exp = ctx.expand(mi, r.count, r.forEach, r.range, describeResource(r));
    if (!exp) continue;
    initRegistry(mi, r, exp.kind);
    yield { mi, exp };
  }
}

/** Makes sure a resource with zero instances still reads as [] / {} rather than as missing. */
export function initRegistry(mi: ModuleInstance, r: Resource, exp: ExpansionResult['kind']): void {
  const reg = mi.registry(r);
  if (exp === 'count' && !Array.isArray(reg[r.name])) reg[r.name] = [];
  if (exp === 'each' && (reg[r.name] === undefined || reg[r.name] === null)) reg[r.name] = {};
}
