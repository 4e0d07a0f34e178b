// Type constraints of the configuration language (`type = list(string)` on variables and
// outputs): their representation, how they are read from an expression, and how they print.
// Values carry no static types at run time (see value.ts), so a constraint is what conversion
// (convert.ts) works towards.

import type { Expr, FunctionCallExpr } from '../config/hcl/ast.js';
import { nearestName, type Diagnostics } from '../diagnostics.js';
import { ANY, BOOL, NUMBER, STRING, convert } from './convert.js';
import { evaluate } from './eval.js';
import { NO_FUNCTION_CONTEXT, type EvalScope } from './scope.js';
import type { TypeHint, Value } from './value.js';

export type TypeConstraint =
  | { kind: 'any' }
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'bool' }
  | { kind: 'list' | 'set' | 'map'; element: TypeConstraint }
  | { kind: 'object'; attributes: Record<string, ObjectAttribute> }
  | { kind: 'tuple'; elements: TypeConstraint[] };

export interface ObjectAttribute {
  type: TypeConstraint;
  optional: boolean;
  /** Already converted to `type` (with nested defaults applied) when parsed. */
  default?: Value;
}

const PRIMITIVES: Record<string, TypeConstraint> = { any: ANY, string: STRING, number: NUMBER, bool: BOOL };
const COLLECTIONS = ['list', 'set', 'map'];
const CONSTRUCTORS = ['list', 'set', 'map', 'object', 'tuple'];
const KEYWORDS = ['string', 'number', 'bool', 'any', ...CONSTRUCTORS];

const INVALID = 'Invalid type specification';

/** Defaults inside `optional(T, default)` must be constants: no names and no functions. */
const CONSTANT_SCOPE: EvalScope = {
  lookup: () => undefined,
  rootNames: () => [],
  functions: {},
  funcCtx: NO_FUNCTION_CONTEXT,
  describeMissing: () => ({
    summary: 'Variables not allowed',
    detail: 'A default value in a type constraint must be a constant; it cannot refer to anything.',
  }),
};

/** Read a type constraint from a `type = ...` expression. Errors are reported; `any` stands in. */
export function parseTypeConstraint(e: Expr, diags: Diagnostics): TypeConstraint {
  switch (e.kind) {
    case 'Paren':
      return parseTypeConstraint(e.expr, diags);
    case 'ScopeTraversal': {
      if (e.steps.length > 0) break;
      return keyword(e.root, e, diags);
    }
    case 'FunctionCall':
      return constructor(e, diags);
    case 'Literal':
    case 'Template': {
      const text = literalText(e);
      if (text === undefined) break;
      // Terraform 0.11 wrote type constraints in quotes; say how to write it now.
      diags.error(
        'Invalid quoted type constraints',
        e.range,
        `Type constraints are written without quotes: write ${text} instead of "${text}".`,
        text,
      );
      return hasOwnKey(PRIMITIVES, text) ? PRIMITIVES[text] : ANY;
    }
    default:
      break;
  }
  diags.error(
    INVALID,
    e.range,
    'A type specification is a primitive type keyword (string, number, bool), any, or a type constructor call such as list(string) or object({ name = string }).',
  );
  return ANY;
}

function keyword(name: string, e: Expr, diags: Diagnostics): TypeConstraint {
  if (hasOwnKey(PRIMITIVES, name)) return PRIMITIVES[name];
  if (COLLECTIONS.includes(name)) {
    diags.error(INVALID, e.range, `The ${name} type constructor requires one argument specifying the element type, as in ${name}(string).`);
    return { kind: name as 'list' | 'set' | 'map', element: ANY };
  }
  if (name === 'object' || name === 'tuple') {
    diags.error(INVALID, e.range, constructorUsage(name));
    return ANY;
  }
  if (name === 'optional') {
    diags.error(INVALID, e.range, 'Keyword "optional" is valid only as a modifier for object type attributes.');
    return ANY;
  }
  diags.error(INVALID, e.range, `The keyword "${name}" is not a valid type specification.`, nearestName(name, KEYWORDS));
  return ANY;
}

function constructorUsage(name: string): string {
  return name === 'object'
    ? 'The object type constructor requires one argument specifying the attribute types as an object, as in object({ name = string }).'
    : 'The tuple type constructor requires one argument specifying the element types as a list, as in tuple([string, number]).';
}

function constructor(e: FunctionCallExpr, diags: Diagnostics): TypeConstraint {
  const name = e.name;
  if (COLLECTIONS.includes(name)) {
    if (e.args.length !== 1 || e.expandFinal) {
      diags.error(INVALID, e.range, `The ${name} type constructor requires one argument specifying the element type, as in ${name}(string).`);
      return { kind: name as 'list' | 'set' | 'map', element: ANY };
    }
    return { kind: name as 'list' | 'set' | 'map', element: parseTypeConstraint(e.args[0], diags) };
  }
  if (name === 'object') {
    const arg = e.args.length === 1 ? e.args[0] : undefined;
    if (!arg || arg.kind !== 'Object') {
      diags.error(INVALID, arg ? arg.range : e.range, constructorUsage(name));
      return ANY;
    }
    const attributes: Record<string, ObjectAttribute> = {};
    for (const item of arg.items) {
      const attrName = literalText(item.key);
      if (attrName === undefined) {
        diags.error(INVALID, item.key.range, 'Object type attribute names must be literal names, as in object({ name = string }).');
        continue;
      }
      if (hasOwnKey(attributes, attrName)) {
        diags.error('Duplicate attribute in object type', item.key.range, `The attribute "${attrName}" is declared more than once in this object type.`);
        continue;
      }
      attributes[attrName] = attribute(item.value, diags);
    }
    return { kind: 'object', attributes };
  }
  if (name === 'tuple') {
    const arg = e.args.length === 1 ? e.args[0] : undefined;
    if (!arg || arg.kind !== 'Tuple') {
      diags.error(INVALID, arg ? arg.range : e.range, constructorUsage(name));
      return ANY;
    }
    return { kind: 'tuple', elements: arg.items.map((i) => parseTypeConstraint(i, diags)) };
  }
  if (name === 'optional') {
    diags.error(INVALID, e.range, 'Keyword "optional" is valid only as a modifier for object type attributes.');
    return ANY;
  }
  if (hasOwnKey(PRIMITIVES, name)) {
    diags.error(INVALID, e.range, `Primitive type keyword "${name}" does not expect arguments.`);
    return PRIMITIVES[name];
  }
  diags.error(INVALID, e.nameRange, `Keyword "${name}" is not a valid type constructor.`, nearestName(name, CONSTRUCTORS));
  return ANY;
}

/** An object attribute's type: plain, optional(T), or optional(T, default). */
function attribute(e: Expr, diags: Diagnostics): ObjectAttribute {
  if (e.kind !== 'FunctionCall' || e.name !== 'optional') return { type: parseTypeConstraint(e, diags), optional: false };
  if (e.args.length < 1 || e.args.length > 2 || e.expandFinal) {
    diags.error(INVALID, e.range, 'Optional attribute modifier expects a type and, optionally, a default value, as in optional(number, 3).');
    return { type: ANY, optional: true };
  }
  const type = parseTypeConstraint(e.args[0], diags);
  if (e.args.length === 1) return { type, optional: true };
  const defExpr = e.args[1];
  const raw = evaluate(defExpr, CONSTANT_SCOPE, diags);
  const converted = convert(raw, type);
  if ('error' in converted) {
    diags.error(
      'Invalid default value for optional attribute',
      defExpr.range,
      `This default value is not compatible with the attribute's type constraint: ${converted.error}.`,
    );
    return { type, optional: true };
  }
  return converted.value === null ? { type, optional: true } : { type, optional: true, default: converted.value };
}

/** The text of a literal string key/keyword (`name`, "name", or a one-text-part template). */
function literalText(e: Expr): string | undefined {
  if (e.kind === 'Literal') return typeof e.value === 'string' ? e.value : undefined;
  if (e.kind === 'Template') {
    if (e.parts.length === 0) return '';
    if (e.parts.length === 1 && e.parts[0].kind === 'Text') return e.parts[0].value;
    return undefined;
  }
  if (e.kind === 'ScopeTraversal' && e.steps.length === 0) return e.root;
  return undefined;
}

function hasOwnKey(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** Terraform's spelling of a type constraint: "list(string)", "object({a=string,b=optional(number)})". */
export function typeConstraintString(t: TypeConstraint): string {
  switch (t.kind) {
    case 'any':
    case 'string':
    case 'number':
    case 'bool':
      return t.kind;
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${typeConstraintString(t.element)})`;
    case 'tuple':
      return `tuple([${t.elements.map(typeConstraintString).join(',')}])`;
    case 'object': {
      const parts = Object.keys(t.attributes)
        .sort()
        .map((k) => {
          const a = t.attributes[k];
          const s = typeConstraintString(a.type);
          return `${k}=${a.optional ? `optional(${s})` : s}`;
        });
      return `object({${parts.join(',')}})`;
    }
  }
}

/** The unknown-value hint that matches a constraint. */
export function typeHintOf(t: TypeConstraint): TypeHint {
  return t.kind === 'any' ? 'dynamic' : t.kind;
}
