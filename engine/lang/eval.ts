// The expression evaluator: computes the value of an HCL expression in a scope, with HCL's and
// Terraform's semantics (templates, traversals, splats, operators, conditionals, `for`, function
// calls, the `try`/`can` special forms), propagating unknown and sensitive values. Errors become
// diagnostics on the offending sub-expression, which then evaluates to UNKNOWN so evaluation goes
// on without cascades (every operation on an unknown is silent). Hand-written: values are plain JS data (value.ts) and no
// library evaluates HCL over them. Hot paths (traversals, literals) allocate nothing.

import type {
  BinaryExpr,
  ConditionalExpr,
  Expr,
  ForExpr,
  FunctionCallExpr,
  ObjectExpr,
  ScopeTraversalExpr,
  SplatExpr,
  TemplateExpr,
  TemplatePart,
  TraversalStep,
  UnaryExpr,
} from '../config/hcl/ast.js';
import { Diagnostics, nearestName, type Diagnostic, type Range } from '../diagnostics.js';
import { numberToString, parseBool, parseNumber, unknownOf } from './convert.js';
import { FunctionError, type FunctionContext, type FunctionDef, type ParamType } from './functions/types.js';
import { ChildScope, valuesScope, type EvalScope } from './scope.js';
import {
  Sensitive,
  UNKNOWN,
  Unknown,
  containsSensitive,
  deepUnmark,
  isObject,
  isWhollyKnown,
  markSensitive,
  setKey,
  typeName,
  type Value,
  type ValueObject,
} from './value.js';

const hasOwn = Object.prototype.hasOwnProperty;

const UNK_STRING = unknownOf('string');
const UNK_NUMBER = unknownOf('number');
const UNK_BOOL = unknownOf('bool');
const UNK_TUPLE = unknownOf('tuple');
const UNK_OBJECT = unknownOf('object');

/** Returned by attribute/index lookups when the attribute or key is absent (not yet reported). */
const MISSING: unique symbol = Symbol('missing');
type Lookup = Value | typeof MISSING;

/** The current splat element(s): evaluation is synchronous, so one stack serves all splats. */
const anonStack: Value[] = [];

/** Discarded diagnostics of a conditional's untaken branch, evaluated only for its type. */
const scratch = new Diagnostics();

// ------------------------------------------------------------------------------ public API

export function evaluate(expr: Expr, scope: EvalScope, diags: Diagnostics): Value {
  switch (expr.kind) {
    case 'Literal':
      return expr.value;
    case 'ScopeTraversal':
      return evalTraversal(expr, scope, diags);
    case 'Template':
      return evalTemplate(expr, scope, diags);
    case 'GetAttr': {
      const obj = evaluate(expr.object, scope, diags);
      const r = getAttr(obj, expr.name, expr.nameRange, diags);
      if (r !== MISSING) return r;
      reportMissingAttr(obj, expr.name, expr.nameRange, diags);
      return UNKNOWN;
    }
    case 'Index': {
      const coll = evaluate(expr.collection, scope, diags);
      const key = evaluate(expr.key, scope, diags);
      const r = getIndex(coll, key, expr.key.range, diags);
      if (r !== MISSING) return r;
      reportMissingIndex(coll, key, expr.key.range, diags);
      return UNKNOWN;
    }
    case 'Splat':
      return evalSplat(expr, scope, diags);
    case 'AnonSymbol':
      if (anonStack.length === 0) {
        diags.error('Invalid use of splat symbol', expr.range, 'The splat symbol can only appear after [*] or .*.');
        return UNKNOWN;
      }
      return anonStack[anonStack.length - 1];
    case 'FunctionCall':
      return evalCall(expr, scope, diags);
    case 'Conditional':
      return evalConditional(expr, scope, diags);
    case 'Binary':
      return evalBinary(expr, scope, diags);
    case 'Unary':
      return evalUnary(expr, scope, diags);
    case 'Tuple': {
      const items = expr.items;
      const out: Value[] = new Array(items.length);
      for (let i = 0; i < items.length; i++) out[i] = evaluate(items[i], scope, diags);
      return out;
    }
    case 'Object':
      return evalObject(expr, scope, diags);
    case 'For':
      return evalFor(expr, scope, diags);
    case 'Paren':
      return evaluate(expr.expr, scope, diags);
  }
}

/** Evaluate a template text (templatefile()), given an already-parsed TemplateExpr. */
export function evaluateTemplate(t: TemplateExpr, scope: EvalScope, diags: Diagnostics): Value {
  return evalTemplate(t, scope, diags);
}

export interface Reference {
  root: string;
  steps: TraversalStep[];
  range: Range;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * The references an expression makes, in source order: each a root plus its literal steps, with
 * the range, for the dependency graph. Names in `bound` (e.g. a dynamic block's iterator) and
 * names bound by `for` expressions and template `for` directives inside the expression are not
 * references. Appends to `out` and returns it; an absent expression refers to nothing.
 */
export function references(expr: Expr | undefined, bound: ReadonlySet<string> = NO_NAMES, out: Reference[] = []): Reference[] {
  if (expr) collectRefs(expr, { bound, inner: [], out });
  return out;
}

export type TemplateParser = (source: string, filename: string, diags: Diagnostics) => TemplateExpr;

/**
 * The FunctionContext the function library gets: file paths resolve against `baseDir`, and
 * templatefile() renders through `parseTemplate` and this evaluator in a scope holding only the
 * template's variables and the functions (except templatefile itself, which may not recurse).
 * Parsed templates are cached by text, since one template is typically rendered per instance.
 */
export function makeFunctionContext(baseDir: string, parseTemplate: TemplateParser, functions: Record<string, FunctionDef>): FunctionContext {
  const cache = new Map<string, TemplateExpr>();
  let templateFunctions: Record<string, FunctionDef> | undefined;
  const ctx: FunctionContext = {
    baseDir,
    renderTemplate(source: string, filename: string, vars: Record<string, Value>): Value {
      const key = filename + '\0' + source;
      let t = cache.get(key);
      if (!t) {
        const pd = new Diagnostics();
        t = parseTemplate(source, filename, pd);
        if (pd.hasErrors) throw new FunctionError(describeFirstError(pd));
        cache.set(key, t);
      }
      if (!templateFunctions) {
        templateFunctions = {};
        for (const k in functions) if (k !== 'templatefile') templateFunctions[k] = functions[k];
      }
      const diags = new Diagnostics();
      const v = evaluateTemplate(t, valuesScope(vars, templateFunctions, ctx), diags);
      if (diags.hasErrors) throw new FunctionError(describeFirstError(diags));
      return v;
    },
  };
  return ctx;
}

function describeFirstError(d: Diagnostics): string {
  const e = d.errors[0];
  const where = e.range ? `${e.range.file}:${e.range.start.line}:${e.range.start.col}: ` : '';
  const more = d.errors.length > 1 ? ` (and ${d.errors.length - 1} more error(s))` : '';
  return `${where}${e.summary}${e.detail ? `: ${stripDot(e.detail)}` : ''}${e.suggestion ? ` (did you mean "${e.suggestion}"?)` : ''}${more}`;
}

function stripDot(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * Terraform's wording of a FunctionError thrown by `def.impl`: with an argument index that names
 * a parameter, "Invalid function argument" (`arg` says which to underline); otherwise "Error in
 * function call".
 */
export function describeFunctionError(name: string, def: FunctionDef, err: FunctionError): { summary: string; detail: string; arg?: number } {
  const spec = err.arg === undefined || err.arg < 0 ? undefined : err.arg < def.params.length ? def.params[err.arg] : def.variadic;
  if (spec) return { summary: 'Invalid function argument', detail: `Invalid value for "${spec.name}" parameter: ${stripDot(err.message)}.`, arg: err.arg };
  return { summary: 'Error in function call', detail: `Call to function "${name}" failed: ${stripDot(err.message)}.` };
}

/**
 * Drop diagnostics added since `from` that repeat one already there (same message, same place):
 * an expression evaluated once per element reports its error once, not once per element.
 */
function dedupeFrom(diags: Diagnostics, from: number): void {
  const list = diags.list;
  if (list.length - from < 2) return;
  const seen = new Set<string>();
  let w = from;
  for (let i = from; i < list.length; i++) {
    const d = list[i];
    const key = `${d.summary}\0${d.detail ?? ''}\0${d.range ? `${d.range.file}:${d.range.start.byte}:${d.range.end.byte}` : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    list[w++] = d;
  }
  list.length = w;
}

// ------------------------------------------------------------------------------ traversals

function evalTraversal(e: ScopeTraversalExpr, scope: EvalScope, diags: Diagnostics): Value {
  let cur = scope.lookup(e.root);
  if (cur === undefined) {
    reportMissingRoot(e, scope, diags);
    return UNKNOWN;
  }
  const steps = e.steps;
  let sensitive = false;
  for (let i = 0; i < steps.length; i++) {
    if (cur instanceof Sensitive) {
      sensitive = true;
      cur = cur.value;
    }
    const st = steps[i];
    let next: Lookup;
    if (st.kind === 'attr') {
      // Fast path: a plain object holding the attribute.
      if (cur !== null && typeof cur === 'object' && !Array.isArray(cur) && !(cur instanceof Unknown) && hasOwn.call(cur, st.name)) {
        cur = (cur as ValueObject)[st.name];
        continue;
      }
      next = getAttr(cur, st.name, st.range, diags);
    } else {
      next = getIndex(cur, st.key, st.range, diags);
    }
    if (next === MISSING) {
      reportMissingStep(e, i, cur, scope, diags);
      return UNKNOWN;
    }
    if (next instanceof Unknown) return sensitive ? markSensitive(next) : next; // also after an error
    cur = next;
  }
  return sensitive ? markSensitive(cur) : cur;
}

/** `v.name`. MISSING when v is an object without it; other failures are reported here. */
function getAttr(v: Value, name: string, range: Range, diags: Diagnostics): Lookup {
  if (v instanceof Sensitive) {
    const r = getAttr(v.value, name, range, diags);
    return r === MISSING ? r : markSensitive(r);
  }
  if (v === null) {
    diags.error('Attempt to get attribute from null value', range, `This value is null, so it does not have any attributes (looking for "${name}").`);
    return UNKNOWN;
  }
  if (v instanceof Unknown) return UNKNOWN;
  if (Array.isArray(v)) {
    diags.error(
      'Unsupported attribute',
      range,
      `This value is a list, which has no attributes. To get "${name}" from every element write [*].${name}; for one element, index it first, as in [0].${name}.`,
    );
    return UNKNOWN;
  }
  if (typeof v === 'object') return hasOwn.call(v, name) ? (v as ValueObject)[name] : MISSING;
  diags.error('Unsupported attribute', range, `Can't access attribute "${name}" on a value of type ${typeName(v)}.`);
  return UNKNOWN;
}

/** `v[key]`. MISSING when the key/index is absent; other failures are reported here. */
function getIndex(v: Value, key: Value, range: Range, diags: Diagnostics): Lookup {
  let sensitive = false;
  if (v instanceof Sensitive) {
    sensitive = true;
    v = v.value;
  }
  if (key instanceof Sensitive) {
    sensitive = true;
    key = key.value;
  }
  const r = indexPlain(v, key, range, diags);
  return sensitive && r !== MISSING ? markSensitive(r) : r;
}

function indexPlain(v: Value, key: Value, range: Range, diags: Diagnostics): Lookup {
  if (v === null) {
    diags.error('Attempt to index null value', range, 'This value is null, so it does not have any indices.');
    return UNKNOWN;
  }
  if (key === null) {
    diags.error('Invalid index', range, "Can't use a null value as an indexing key.");
    return UNKNOWN;
  }
  if (v instanceof Unknown || key instanceof Unknown) return UNKNOWN;
  if (Array.isArray(v)) {
    const n = typeof key === 'number' ? key : typeof key === 'string' ? parseNumber(key) : undefined;
    if (n === undefined) {
      diags.error('Invalid index', range, `A number is required to index a list, not a ${typeName(key)}.`);
      return UNKNOWN;
    }
    if (!Number.isInteger(n)) {
      diags.error('Invalid index', range, `The given key does not identify an element in this collection value: ${n} is not a whole number.`);
      return UNKNOWN;
    }
    return n >= 0 && n < v.length ? v[n] : MISSING;
  }
  if (typeof v === 'object') {
    let k: string;
    if (typeof key === 'string') k = key;
    else if (typeof key === 'number') k = numberToString(key);
    else if (typeof key === 'boolean') k = key ? 'true' : 'false';
    else {
      diags.error('Invalid index', range, `A string key is required to index a map or object, not a ${typeName(key)}.`);
      return UNKNOWN;
    }
    return hasOwn.call(v, k) ? (v as ValueObject)[k] : MISSING;
  }
  diags.error('Invalid index', range, `This value is a ${typeName(v)}; it does not have any indices.`);
  return UNKNOWN;
}

function plainObject(v: Value): ValueObject | undefined {
  if (v instanceof Sensitive) v = v.value;
  return isObject(v) ? v : undefined;
}

function reportMissingAttr(obj: Value, name: string, range: Range, diags: Diagnostics): void {
  const o = plainObject(obj);
  diags.error('Unsupported attribute', range, `This object does not have an attribute named "${name}".`, o ? nearestName(name, Object.keys(o)) : undefined);
}

function reportMissingIndex(coll: Value, key: Value, range: Range, diags: Diagnostics): void {
  if (coll instanceof Sensitive) coll = coll.value;
  if (key instanceof Sensitive) key = key.value;
  if (Array.isArray(coll)) {
    diags.error(
      'Invalid index',
      range,
      `The given key does not identify an element in this collection value: index ${JSON.stringify(key)} is out of range for a collection of ${coll.length} element(s).`,
    );
    return;
  }
  const k = typeof key === 'string' ? key : typeof key === 'number' ? numberToString(key) : String(key);
  const o = plainObject(coll);
  diags.error(
    'Invalid index',
    range,
    `The given key does not identify an element in this collection value: there is no element with the key ${JSON.stringify(k)}.`,
    o ? nearestName(k, Object.keys(o)) : undefined,
  );
}

const SPECIAL_ROOTS = new Set(['var', 'local', 'module', 'data', 'each', 'count', 'self', 'path', 'terraform']);

/** A reference as the missing-name reports need it (a ScopeTraversalExpr or a Reference). */
type RefLike = { root: string; steps: TraversalStep[]; range: Range };

function reportMissingRoot(e: RefLike, scope: EvalScope, diags: Diagnostics): void {
  const suggestion = nearestName(e.root, scope.rootNames());
  const custom = scope.describeMissing ? scope.describeMissing(e.root, e.steps, -1) : undefined;
  if (custom) {
    diags.error(custom.summary, e.range, custom.detail, custom.suggestion ?? suggestion);
    return;
  }
  const first = e.steps[0];
  switch (custom === null ? '' : e.root) {
    case 'each':
      diags.error('Reference to "each" in context without for_each', e.range, 'The "each" object can be used only in blocks that set the "for_each" argument.');
      return;
    case 'count':
      diags.error('Reference to "count" in non-counted context', e.range, 'The "count" object can be used only in blocks that set the "count" argument.');
      return;
    case 'self':
      diags.error('Invalid "self" reference', e.range, 'The "self" object is not available in this context.');
      return;
  }
  if (first && first.kind === 'attr' && !SPECIAL_ROOTS.has(e.root)) {
    diags.error('Reference to undeclared resource', e.range, `A resource "${e.root}" "${first.name}" has not been declared.`, suggestion);
  } else {
    diags.error('Reference to undeclared name', e.range, `There is no variable named "${e.root}".`, suggestion);
  }
}

function reportMissingStep(e: RefLike, i: number, container: Value, scope: EvalScope, diags: Diagnostics): void {
  const st = e.steps[i];
  // The whole reference up to the missing step is what the user got wrong.
  const range: Range = { file: e.range.file, start: e.range.start, end: st.range.end };
  const custom = scope.describeMissing ? scope.describeMissing(e.root, e.steps, i) : undefined;
  const keys = plainObject(container);
  const name = st.kind === 'attr' ? st.name : String(st.key);
  const suggestion = keys ? nearestName(name, Object.keys(keys)) : undefined;
  if (custom) {
    diags.error(custom.summary, range, custom.detail, custom.suggestion ?? suggestion);
    return;
  }
  if (custom === undefined && st.kind === 'attr') {
    if (i === 0) {
      switch (e.root) {
        case 'var':
          diags.error('Reference to undeclared input variable', range, `An input variable with the name "${name}" has not been declared.`, suggestion);
          return;
        case 'local':
          diags.error('Reference to undeclared local value', range, `A local value with the name "${name}" has not been declared.`, suggestion);
          return;
        case 'module':
          diags.error('Reference to undeclared module', range, `No module call named "${name}" is declared.`, suggestion);
          return;
        case 'data': {
          const n = e.steps[1];
          const label = n && n.kind === 'attr' ? ` "${n.name}"` : '';
          diags.error('Reference to undeclared resource', range, `A data resource "${name}"${label} has not been declared.`, suggestion);
          return;
        }
      }
      if (!SPECIAL_ROOTS.has(e.root) && e.root.includes('_')) {
        diags.error('Reference to undeclared resource', range, `A resource "${e.root}" "${name}" has not been declared.`, suggestion);
        return;
      }
    } else if (i === 1 && e.root === 'data') {
      const t = e.steps[0];
      diags.error('Reference to undeclared resource', range, `A data resource "${t.kind === 'attr' ? t.name : t.key}" "${name}" has not been declared.`, suggestion);
      return;
    }
  }
  if (st.kind === 'attr') reportMissingAttr(container, st.name, st.range, diags);
  else reportMissingIndex(container, st.key, st.range, diags);
}

// ------------------------------------------------------------------------------ splat

function evalSplat(e: SplatExpr, scope: EvalScope, diags: Diagnostics): Value {
  let src = evaluate(e.source, scope, diags);
  let sensitive = false;
  if (src instanceof Sensitive) {
    sensitive = true;
    src = src.value;
  }
  let out: Value;
  if (src === null) out = [];
  else if (src instanceof Unknown && (src.type === 'dynamic' || src.type === 'list' || src.type === 'tuple' || src.type === 'set')) {
    out = src.type === 'dynamic' ? UNKNOWN : UNK_TUPLE;
  } else if (Array.isArray(src)) {
    if (e.each.kind === 'AnonSymbol') out = src;
    else {
      const arr: Value[] = new Array(src.length);
      const before = diags.list.length;
      for (let i = 0; i < src.length; i++) arr[i] = withAnon(e.each, src[i], scope, diags);
      dedupeFrom(diags, before);
      out = arr;
    }
  } else {
    // A single value is treated as a one-element list.
    out = [e.each.kind === 'AnonSymbol' ? src : withAnon(e.each, src, scope, diags)];
  }
  return sensitive ? markSensitive(out) : out;
}

function withAnon(each: Expr, el: Value, scope: EvalScope, diags: Diagnostics): Value {
  anonStack.push(el);
  try {
    return evaluate(each, scope, diags);
  } finally {
    anonStack.pop();
  }
}

// ------------------------------------------------------------------------------ templates

interface TemplateState {
  out: string;
  unknown: boolean;
  sensitive: boolean;
}

function evalTemplate(t: TemplateExpr, scope: EvalScope, diags: Diagnostics): Value {
  const parts = t.parts;
  if (parts.length === 1) {
    const p = parts[0];
    if (p.kind === 'Interp') return evaluate(p.expr, scope, diags); // "${x}" is x itself
    if (p.kind === 'Text') return p.value;
  }
  if (parts.length === 0) return '';
  const st: TemplateState = { out: '', unknown: false, sensitive: false };
  renderParts(parts, scope, diags, st);
  if (st.unknown) return st.sensitive ? new Sensitive(UNK_STRING) : UNK_STRING;
  return st.sensitive ? new Sensitive(st.out) : st.out;
}

function renderParts(parts: TemplatePart[], scope: EvalScope, diags: Diagnostics, st: TemplateState): void {
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    switch (p.kind) {
      case 'Text': {
        let s = p.value;
        const prev = i > 0 ? parts[i - 1] : undefined;
        const next = i + 1 < parts.length ? parts[i + 1] : undefined;
        if (prev && prev.kind === 'Interp' && prev.stripRight) s = s.trimStart();
        if (next && next.kind === 'Interp' && next.stripLeft) s = s.trimEnd();
        st.out += s;
        break;
      }
      case 'Interp':
        appendValue(evaluate(p.expr, scope, diags), p.expr.range, diags, st);
        break;
      case 'If': {
        let c = evaluate(p.cond, scope, diags);
        if (c instanceof Sensitive) {
          st.sensitive = true;
          c = c.value;
        }
        const b = condition(c, p.cond.range, diags);
        if (b === undefined) st.unknown = true;
        else if (b) renderParts(p.then, scope, diags, st);
        else if (p.else) renderParts(p.else, scope, diags, st);
        break;
      }
      case 'For': {
        let coll = evaluate(p.coll, scope, diags);
        if (coll instanceof Sensitive) {
          st.sensitive = true;
          coll = coll.value;
        }
        if (!iterable(coll, p.coll.range, diags)) {
          st.unknown = true;
          break;
        }
        const vars: Record<string, Value> = {};
        const child = new ChildScope(scope, vars);
        const before = diags.list.length;
        if (Array.isArray(coll)) {
          for (let j = 0; j < coll.length; j++) {
            if (p.keyVar !== undefined) vars[p.keyVar] = j;
            vars[p.valVar] = coll[j];
            renderParts(p.body, child, diags, st);
          }
        } else {
          const o = coll as ValueObject;
          for (const k of Object.keys(o).sort()) {
            if (p.keyVar !== undefined) vars[p.keyVar] = k;
            vars[p.valVar] = o[k];
            renderParts(p.body, child, diags, st);
          }
        }
        dedupeFrom(diags, before);
        break;
      }
    }
  }
}

function appendValue(v: Value, range: Range, diags: Diagnostics, st: TemplateState): void {
  if (v instanceof Sensitive) {
    st.sensitive = true;
    v = v.value;
  }
  switch (typeof v) {
    case 'string':
      st.out += v;
      return;
    case 'number':
      st.out += numberToString(v);
      return;
    case 'boolean':
      st.out += v ? 'true' : 'false';
      return;
  }
  if (v instanceof Unknown) {
    st.unknown = true;
    return;
  }
  if (v === null) {
    diags.error('Invalid template interpolation value', range, 'The expression result is null. Cannot include a null value in a string template.');
  } else {
    diags.error(
      'Invalid template interpolation value',
      range,
      `Cannot include the given value in a string template: string required, but this is a ${Array.isArray(v) ? 'list' : 'object'}.`,
    );
  }
  st.unknown = true;
}

/**
 * Is `coll` something a `for` can iterate? Reports null and non-collections. False also for
 * unknown collections (no error), where the result is unknown.
 */
function iterable(coll: Value, range: Range, diags: Diagnostics): boolean {
  if (coll === null) {
    diags.error('Iteration over null value', range, "A null value cannot be used as the collection in a 'for' expression.");
    return false;
  }
  if (coll instanceof Unknown) return false;
  if (typeof coll !== 'object') {
    diags.error('Iteration over non-iterable value', range, `A value of type ${typeName(coll)} cannot be used as the collection in a 'for' expression.`);
    return false;
  }
  return true;
}

// ------------------------------------------------------------------------------ operators

/** A bool operand or condition: true/false, undefined when unknown or after a reported error. */
function condition(v: Value, range: Range, diags: Diagnostics): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v instanceof Unknown) {
    if (v.type === 'dynamic' || v.type === 'bool' || v.type === 'string') return undefined;
  } else if (v === null) {
    diags.error('Null condition', range, 'The condition value is null. Conditions must either be true or false.');
    return undefined;
  } else if (typeof v === 'string') {
    const b = parseBool(v);
    if (b !== undefined) return b;
  }
  diags.error('Incorrect condition type', range, `The condition expression must be of type bool, not ${typeName(v)}.`);
  return undefined;
}

const ERR = 'error';
const UNK = 'unknown';

function numberOperand(v: Value, side: string, range: Range, diags: Diagnostics): number | typeof ERR | typeof UNK {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseNumber(v);
    if (n !== undefined) return n;
  } else if (v instanceof Unknown) {
    if (v.type === 'dynamic' || v.type === 'number' || v.type === 'string') return UNK;
  }
  diags.error('Invalid operand', range, `Unsuitable value for ${side} operand: a number is required${v === null ? ', not null' : ''}.`);
  return ERR;
}

function boolOperand(v: Value, side: string, range: Range, diags: Diagnostics): boolean | typeof ERR | typeof UNK {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const b = parseBool(v);
    if (b !== undefined) return b;
  }
  if (v instanceof Unknown && (v.type === 'dynamic' || v.type === 'bool' || v.type === 'string')) return UNK;
  diags.error('Invalid operand', range, `Unsuitable value for ${side} operand: a bool is required${v === null ? ', not null' : ''}.`);
  return ERR;
}

function evalBinary(e: BinaryExpr, scope: EvalScope, diags: Diagnostics): Value {
  let l = evaluate(e.left, scope, diags);
  let r = evaluate(e.right, scope, diags);
  let sensitive = false;
  if (l instanceof Sensitive) {
    sensitive = true;
    l = l.value;
  }
  if (r instanceof Sensitive) {
    sensitive = true;
    r = r.value;
  }
  let res: Value;
  const op = e.op;
  if (op === '==' || op === '!=') {
    if (!sensitive && ((l !== null && typeof l === 'object') || (r !== null && typeof r === 'object'))) {
      sensitive = containsSensitive(l) || containsSensitive(r);
    }
    const eq = equals(l, r);
    res = eq === undefined ? UNK_BOOL : op === '==' ? eq : !eq;
  } else if (op === '&&' || op === '||') {
    const a = boolOperand(l, 'left', e.left.range, diags);
    const b = boolOperand(r, 'right', e.right.range, diags);
    if (a === ERR || b === ERR) return UNKNOWN;
    if (a === UNK || b === UNK) res = UNK_BOOL;
    else res = op === '&&' ? a && b : a || b;
  } else {
    const a = numberOperand(l, 'left', e.left.range, diags);
    const b = numberOperand(r, 'right', e.right.range, diags);
    if (a === ERR || b === ERR) return UNKNOWN;
    const comparison = op === '<' || op === '<=' || op === '>' || op === '>=';
    if (a === UNK || b === UNK) res = comparison ? UNK_BOOL : UNK_NUMBER;
    else {
      switch (op) {
        case '+':
          res = a + b;
          break;
        case '-':
          res = a - b;
          break;
        case '*':
          res = a * b;
          break;
        case '/':
        case '%':
          if (b === 0) {
            diags.error(
              'Division by zero',
              e.range,
              op === '/' ? 'The right operand of "/" is zero; a number cannot be divided by zero.' : 'The right operand of "%" is zero; there is no remainder of a division by zero.',
            );
            return UNKNOWN;
          }
          res = op === '/' ? a / b : a % b;
          break;
        case '<':
          res = a < b;
          break;
        case '<=':
          res = a <= b;
          break;
        case '>':
          res = a > b;
          break;
        default:
          res = a >= b;
          break;
      }
    }
  }
  return sensitive ? markSensitive(res) : res;
}

/** Deep equality with unknowns: undefined when the answer depends on an unknown. */
function equals(a: Value, b: Value): boolean | undefined {
  if (a instanceof Sensitive) a = a.value;
  if (b instanceof Sensitive) b = b.value;
  if (a instanceof Unknown || b instanceof Unknown) return undefined;
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    let unknown = false;
    for (let i = 0; i < a.length; i++) {
      const r = equals(a[i], b[i]);
      if (r === false) return false;
      if (r === undefined) unknown = true;
    }
    return unknown ? undefined : true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  let unknown = false;
  for (const k of ka) {
    if (!hasOwn.call(b, k)) return false;
    const r = equals((a as ValueObject)[k], (b as ValueObject)[k]);
    if (r === false) return false;
    if (r === undefined) unknown = true;
  }
  return unknown ? undefined : true;
}

function evalUnary(e: UnaryExpr, scope: EvalScope, diags: Diagnostics): Value {
  let v = evaluate(e.operand, scope, diags);
  let sensitive = false;
  if (v instanceof Sensitive) {
    sensitive = true;
    v = v.value;
  }
  let res: Value;
  if (e.op === '!') {
    const b = boolOperand(v, 'the', e.operand.range, diags);
    if (b === ERR) return UNKNOWN;
    res = b === UNK ? UNK_BOOL : !b;
  } else {
    const n = numberOperand(v, 'the', e.operand.range, diags);
    if (n === ERR) return UNKNOWN;
    res = n === UNK ? UNK_NUMBER : n === 0 ? 0 : -n;
  }
  return sensitive ? markSensitive(res) : res;
}

// ------------------------------------------------------------------------------ conditional

function evalConditional(e: ConditionalExpr, scope: EvalScope, diags: Diagnostics): Value {
  let c = evaluate(e.cond, scope, diags);
  let sensitive = false;
  if (c instanceof Sensitive) {
    sensitive = true;
    c = c.value;
  }
  const isUnknown = c instanceof Unknown;
  const b = condition(c, e.cond.range, diags);
  if (b === undefined) {
    if (!isUnknown) return UNKNOWN; // reported
    // Either branch may be taken: report both branches' errors, type the unknown if they agree.
    const t = evaluate(e.then, scope, diags);
    const f = evaluate(e.else, scope, diags);
    const kt = primitiveKind(t);
    const kf = primitiveKind(f);
    let res: Value = UNKNOWN;
    if (kt !== undefined && kf !== undefined) res = kt === kf ? unknownOf(kt) : kt === 'string' || kf === 'string' ? UNK_STRING : UNKNOWN;
    return sensitive ? markSensitive(res) : res;
  }
  const chosen = b ? e.then : e.else;
  let res = evaluate(chosen, scope, diags);
  // The untaken branch reports no run-time errors, but names it refers to must still exist.
  checkDeclared(b ? e.else : e.then, scope, diags);
  // Unify the result types: a number or bool opposite a string becomes a string.
  const k = primitiveKind(res);
  if (k === 'number' || k === 'bool') {
    scratch.list.length = 0;
    const other = evaluate(b ? e.else : e.then, scope, scratch);
    scratch.list.length = 0;
    if (primitiveKind(other) === 'string') res = toStringKeepingMarks(res);
  }
  return sensitive ? markSensitive(res) : res;
}

/**
 * Report references to undeclared things in an expression that is not evaluated (Terraform
 * validates references statically, whatever branch runs): unknown roots, and unknown names
 * directly under var/local/module/data and resource types.
 */
function checkDeclared(e: Expr, scope: EvalScope, diags: Diagnostics): void {
  if (e.kind === 'Literal') return;
  for (const ref of staticReferences(e)) {
    const v = scope.lookup(ref.root);
    if (v === undefined) {
      reportMissingRoot(ref, scope, diags);
      continue;
    }
    const root = ref.root;
    const declared = root === 'var' || root === 'local' || root === 'module' || root === 'data' || (!SPECIAL_ROOTS.has(root) && root.includes('_'));
    if (!declared) continue;
    const depth = root === 'data' ? 2 : 1;
    let cur: Value = v;
    for (let i = 0; i < depth && i < ref.steps.length; i++) {
      const o = plainObject(cur);
      const st = ref.steps[i];
      if (!o || st.kind !== 'attr') break;
      if (!hasOwn.call(o, st.name)) {
        reportMissingStep(ref, i, cur, scope, diags);
        break;
      }
      cur = o[st.name];
    }
  }
}

/** references(e), computed once per expression: the syntax tree does not change between instances. */
const referenceCache = new WeakMap<Expr, Reference[]>();
function staticReferences(e: Expr): Reference[] {
  let refs = referenceCache.get(e);
  if (!refs) referenceCache.set(e, (refs = references(e)));
  return refs;
}

function primitiveKind(v: Value): 'string' | 'number' | 'bool' | undefined {
  if (v instanceof Sensitive) v = v.value;
  if (v instanceof Unknown) return v.type === 'string' || v.type === 'number' || v.type === 'bool' ? v.type : undefined;
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return undefined;
  }
}

function toStringKeepingMarks(v: Value): Value {
  if (v instanceof Sensitive) return new Sensitive(toStringKeepingMarks(v.value));
  if (v instanceof Unknown) return UNK_STRING;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return v;
}

// ------------------------------------------------------------------------------ collections

/** An object key: strings as is, numbers and bools spelled out. Undefined after a reported error. */
function keyString(v: Value, range: Range, diags: Diagnostics, what: string): string | typeof UNK | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return numberToString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Unknown) return UNK;
  if (v === null) diags.error('Invalid object key', range, `${what} must not produce a null value.`);
  else diags.error('Invalid object key', range, `${what} must produce a string, not a ${typeName(v)}.`);
  return undefined;
}

function evalObject(e: ObjectExpr, scope: EvalScope, diags: Diagnostics): Value {
  const out: ValueObject = {};
  let unknown = false;
  let failed = false;
  let sensitive = false;
  for (const item of e.items) {
    let k: Value;
    if (item.bareKey && item.key.kind === 'Literal') k = item.key.value;
    else k = evaluate(item.key, scope, diags);
    if (k instanceof Sensitive) {
      sensitive = true; // a key cannot carry a mark, so the whole object does
      k = k.value;
    }
    const ks = keyString(k, item.key.range, diags, 'An object key');
    const v = evaluate(item.value, scope, diags);
    if (ks === undefined) failed = true;
    else if (ks === UNK) unknown = true;
    else setKey(out, ks, v);
  }
  if (failed) return UNKNOWN;
  const res: Value = unknown ? UNK_OBJECT : out;
  return sensitive ? markSensitive(res) : res;
}

function evalFor(e: ForExpr, scope: EvalScope, diags: Diagnostics): Value {
  let coll = evaluate(e.coll, scope, diags);
  let sensitive = false;
  if (coll instanceof Sensitive) {
    sensitive = true;
    coll = coll.value;
  }
  if (!iterable(coll, e.coll.range, diags)) {
    if (!(coll instanceof Unknown)) return UNKNOWN; // reported
    return sensitive ? markSensitive(e.isObject ? UNK_OBJECT : UNK_TUPLE) : e.isObject ? UNK_OBJECT : UNK_TUPLE;
  }
  const vars: Record<string, Value> = {};
  const child = new ChildScope(scope, vars);
  const st: ForState = { e, child, vars, diags, tuple: [], object: {}, unknown: false, failed: false, sensitive: false };
  const before = diags.list.length;
  if (Array.isArray(coll)) {
    for (let i = 0; i < coll.length; i++) forItem(st, i, coll[i]);
  } else {
    const o = coll as ValueObject;
    // Maps and objects iterate in lexical key order, as Terraform does.
    for (const k of Object.keys(o).sort()) forItem(st, k, o[k]);
  }
  dedupeFrom(diags, before);
  if (st.failed) return UNKNOWN;
  let res: Value = e.isObject ? st.object : st.tuple;
  if (st.unknown) res = e.isObject ? UNK_OBJECT : UNK_TUPLE;
  return sensitive || st.sensitive ? markSensitive(res) : res;
}

interface ForState {
  e: ForExpr;
  child: ChildScope;
  vars: Record<string, Value>;
  diags: Diagnostics;
  tuple: Value[];
  object: ValueObject;
  unknown: boolean;
  failed: boolean;
  sensitive: boolean;
}

function forItem(st: ForState, k: string | number, v: Value): void {
  const e = st.e;
  if (e.keyVar !== undefined) st.vars[e.keyVar] = k;
  st.vars[e.valVar] = v;
  if (e.cond) {
    let c = evaluate(e.cond, st.child, st.diags);
    if (c instanceof Sensitive) {
      st.sensitive = true;
      c = c.value;
    }
    if (c instanceof Unknown && (c.type === 'dynamic' || c.type === 'bool' || c.type === 'string')) {
      st.unknown = true;
      return;
    }
    if (c === null) {
      st.diags.error('Condition is null', e.cond.range, "The 'if' clause of a 'for' expression must produce true or false, not null.");
      st.failed = true;
      return;
    }
    const b = typeof c === 'boolean' ? c : typeof c === 'string' ? parseBool(c) : undefined;
    if (b === undefined) {
      st.diags.error('Invalid for expression condition', e.cond.range, `The 'if' clause of a 'for' expression must produce a bool, not a ${typeName(c)}.`);
      st.failed = true;
      return;
    }
    if (!b) return;
  }
  if (!e.isObject) {
    st.tuple.push(evaluate(e.valExpr, st.child, st.diags));
    return;
  }
  const keyExpr = e.keyExpr!;
  let kv = evaluate(keyExpr, st.child, st.diags);
  if (kv instanceof Sensitive) {
    st.sensitive = true;
    kv = kv.value;
  }
  const val = evaluate(e.valExpr, st.child, st.diags);
  const key = keyString(kv, keyExpr.range, st.diags, "The key expression of a 'for' expression");
  if (key === undefined) {
    st.failed = true;
    return;
  }
  if (key === UNK) {
    st.unknown = true;
    return;
  }
  const out = st.object;
  if (e.grouping) {
    if (hasOwn.call(out, key)) (out[key] as Value[]).push(val);
    else setKey(out, key, [val]);
  } else if (hasOwn.call(out, key)) {
    st.diags.error(
      'Duplicate object key',
      keyExpr.range,
      `Two different items produced the key "${key}" in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to group the values by key.`,
    );
    st.failed = true;
  } else setKey(out, key, val);
}

// ------------------------------------------------------------------------------ function calls

/** The parameters of a function, or of a special form (for the argument-count messages). */
type Signature = Pick<FunctionDef, 'params' | 'variadic'>;

function signature(name: string, fn: Signature): string {
  const ps = fn.params.map((p) => p.name);
  if (fn.variadic) ps.push(`${fn.variadic.name}...`);
  return `${name}(${ps.join(', ')})`;
}

/** Report a wrong number of arguments, as Terraform words it; true when the count fits. */
function checkArity(e: FunctionCallExpr, name: string, fn: Signature, total: number, diags: Diagnostics): boolean {
  const params = fn.params;
  if (total >= params.length && (total === params.length || fn.variadic)) return true;
  const expects = fn.variadic
    ? `at least ${params.length} argument(s)`
    : `${params.length === 0 ? 'no' : `${total > params.length ? 'only ' : ''}${params.length}`} argument(s)`;
  const missing = total < params.length ? ` Missing a value for "${params[total].name}".` : '';
  diags.error(
    total < params.length ? 'Not enough function arguments' : 'Too many function arguments',
    total < params.length ? e.range : argRange(e, params.length),
    `Function "${name}" expects ${expects}.${missing} Usage: ${signature(name, fn)}.`,
  );
  return false;
}

/** Why an argument does not fit its parameter (a class, so no map value can be mistaken for it). */
class ParamMismatch {
  constructor(readonly error: string) {}
}

/** Convert an argument to a parameter type, or say why it does not fit. */
function convertParam(v: Value, type: ParamType): Value | ParamMismatch {
  if (v instanceof Sensitive) {
    const r = convertParam(v.value, type);
    return r instanceof ParamMismatch ? r : markSensitive(r);
  }
  if (type === 'any' || v instanceof Unknown) return v;
  switch (type) {
    case 'string':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return numberToString(v);
      if (typeof v === 'boolean') return v ? 'true' : 'false';
      return new ParamMismatch(`string required, but this is a ${describeKind(v)}`);
    case 'number':
      if (typeof v === 'number') return v;
      if (typeof v === 'string') {
        const n = parseNumber(v);
        if (n !== undefined) return n;
        return new ParamMismatch('a number is required');
      }
      return new ParamMismatch(`number required, but this is a ${describeKind(v)}`);
    case 'bool': {
      if (typeof v === 'boolean') return v;
      const b = typeof v === 'string' ? parseBool(v) : undefined;
      return b !== undefined ? b : new ParamMismatch(`bool required, but this is a ${describeKind(v)}`);
    }
    case 'list':
      return Array.isArray(v) ? v : new ParamMismatch(`a list is required, but this is a ${describeKind(v)}`);
    case 'map':
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : new ParamMismatch(`a map is required, but this is a ${describeKind(v)}`);
  }
}

function describeKind(v: Value): string {
  if (Array.isArray(v)) return 'list';
  return typeName(v);
}

function evalCall(e: FunctionCallExpr, scope: EvalScope, diags: Diagnostics): Value {
  // Terraform 1.8+ also names the built-ins `core::name`.
  const name = e.name.startsWith('core::') ? e.name.slice(6) : e.name;
  if (name === 'try' || name === 'can') return evalSpecialForm(e, name, scope, diags);
  const fn = hasOwn.call(scope.functions, name) ? scope.functions[name] : undefined;
  const argExprs = e.args;
  const n = argExprs.length;
  let args: Value[] = new Array(n);
  for (let i = 0; i < n; i++) args[i] = evaluate(argExprs[i], scope, diags);
  if (!fn) {
    diags.error('Call to unknown function', e.nameRange, `There is no function named "${e.name}".`, nearestName(name, [...Object.keys(scope.functions), ...SPECIAL_FORMS]));
    return UNKNOWN;
  }
  let sensitive = false;
  if (e.expandFinal && n > 0) {
    let last = args[n - 1];
    let lastSensitive = false;
    if (last instanceof Sensitive) {
      lastSensitive = true;
      last = last.value;
    }
    const range = argExprs[n - 1].range;
    if (last === null) {
      diags.error('Invalid expanding argument value', range, 'The expanding argument (indicated by ...) must not be null.');
      return UNKNOWN;
    }
    if (last instanceof Unknown) return UNKNOWN; // how many arguments is not known yet
    if (!Array.isArray(last)) {
      diags.error('Invalid expanding argument value', range, `The expanding argument (indicated by ...) must be a list, set or tuple, not a ${typeName(last)}.`);
      return UNKNOWN;
    }
    args = args.slice(0, n - 1).concat(lastSensitive ? last.map(markSensitive) : last);
  }
  const params = fn.params;
  const total = args.length;
  if (!checkArity(e, name, fn, total, diags)) return UNKNOWN;
  let unknown = false;
  let failed = false;
  for (let i = 0; i < total; i++) {
    const spec = i < params.length ? params[i] : fn.variadic!;
    let v = args[i];
    if (!fn.keepsMarks && containsSensitive(v)) {
      v = deepUnmark(v).value;
      sensitive = true;
    }
    const top = v instanceof Sensitive ? v.value : v;
    if (top === null) {
      if (!spec.allowNull) {
        diags.error('Invalid function argument', argRange(e, i), `Invalid value for "${spec.name}" parameter: argument must not be null.`);
        failed = true;
      }
      args[i] = v;
      continue;
    }
    // As in Terraform, only a wholly unknown argument skips the call; unknowns inside a
    // collection are the function's to handle (length() of a list of unknowns is known).
    if (top instanceof Unknown && !spec.allowUnknown) unknown = true;
    const c = convertParam(v, spec.type);
    if (c instanceof ParamMismatch) {
      diags.error('Invalid function argument', argRange(e, i), `Invalid value for "${spec.name}" parameter: ${c.error}.`);
      failed = true;
      continue;
    }
    args[i] = c;
  }
  if (failed) return UNKNOWN;
  if (unknown) return sensitive ? markSensitive(UNKNOWN) : UNKNOWN;
  let result: Value;
  try {
    result = fn.impl(args, scope.funcCtx);
  } catch (err) {
    if (err instanceof FunctionError) {
      const d = describeFunctionError(name, fn, err);
      diags.error(d.summary, d.arg !== undefined && d.arg < total ? argRange(e, d.arg) : e.range, d.detail);
    } else {
      const msg = err instanceof Error ? err.message : String(err);
      diags.error('Error in function call', e.range, `Call to function "${name}" failed: ${stripDot(msg)}.`);
    }
    return UNKNOWN;
  }
  if (result === undefined) result = null;
  return sensitive ? markSensitive(result) : result;
}

/** The source range of argument i (after `...` expansion, all expanded ones share the last). */
function argRange(e: FunctionCallExpr, i: number): Range {
  const n = e.args.length;
  if (e.expandFinal && n > 0 && i >= n - 1) return e.args[n - 1].range;
  return i < n ? e.args[i].range : e.range;
}

// ------------------------------------------------------------------------------ try and can

const SPECIAL_FORMS = ['try', 'can'];
const TRY: Signature = { params: [], variadic: { name: 'expressions', type: 'any' } };
const CAN: Signature = { params: [{ name: 'expression', type: 'any' }] };

/**
 * `try(a, b, ...)`: the first argument that evaluates without errors; `can(x)`: whether x does.
 * As in Terraform, references to undeclared things are still errors (they are static), and an
 * argument that reads an unknown value makes the result unknown, since it might fail later.
 */
function evalSpecialForm(e: FunctionCallExpr, name: 'try' | 'can', scope: EvalScope, diags: Diagnostics): Value {
  if (e.expandFinal) {
    diags.error('Invalid expanding argument value', argRange(e, e.args.length - 1), `The expanding argument (indicated by ...) cannot be used with "${name}".`);
    return UNKNOWN;
  }
  const total = e.args.length;
  if (!checkArity(e, name, name === 'try' ? TRY : CAN, total, diags)) return UNKNOWN;
  if (total === 0) {
    diags.error('Error in function call', e.range, 'Call to function "try" failed: at least one argument is required.');
    return UNKNOWN;
  }
  const before = diags.list.length;
  for (const a of e.args) checkDeclared(a, scope, diags);
  if (diags.list.length > before) return UNKNOWN;
  const failures: Diagnostic[] = [];
  for (const a of e.args) {
    if (readsUnknown(a, scope)) return name === 'can' ? UNK_BOOL : UNKNOWN;
    const attempt = new Diagnostics();
    const v = evaluate(a, scope, attempt);
    if (!attempt.hasErrors) return name === 'can' ? true : v;
    failures.push(...attempt.errors);
  }
  if (name === 'can') return false;
  let detail = 'Call to function "try" failed: no expression succeeded:\n';
  for (const d of failures) detail += `- ${d.summary}${d.range ? ` (at ${hclRange(d.range)})` : ''}\n  ${d.detail ?? ''}\n`;
  diags.error('Error in function call', e.range, `${detail}\nAt least one expression must produce a successful result.`);
  return UNKNOWN;
}

/** A range as HCL prints it in messages: "main.tf:4,31-33", or "main.tf:4,31-5,2" across lines. */
function hclRange(r: Range): string {
  const end = r.start.line === r.end.line ? `${r.end.col}` : `${r.end.line},${r.end.col}`;
  return `${r.file}:${r.start.line},${r.start.col}-${end}`;
}

/** Whether a reference in `e` resolves to a value not wholly known (Terraform's dependsOnUnknowns). */
function readsUnknown(e: Expr, scope: EvalScope): boolean {
  if (e.kind === 'Literal') return false;
  for (const ref of staticReferences(e)) {
    let cur: Value | undefined = scope.lookup(ref.root);
    for (let i = 0; cur !== undefined && i < ref.steps.length; i++) {
      if (cur instanceof Sensitive) cur = cur.value;
      if (cur instanceof Unknown) break;
      const st = ref.steps[i];
      const key = st.kind === 'attr' ? st.name : st.key;
      if (Array.isArray(cur)) cur = typeof key === 'number' && key >= 0 && key < cur.length ? cur[key] : undefined;
      else if (isObject(cur)) cur = typeof key === 'string' && hasOwn.call(cur, key) ? cur[key] : undefined;
      else cur = undefined; // a definite error: it does not read through an unknown
    }
    if (cur !== undefined && !isWhollyKnown(cur)) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------ references

interface RefWalk {
  /** Names bound outside the expression. */
  bound: ReadonlySet<string>;
  /** Iteration variables of the enclosing `for`s inside it (a stack: pushed and popped, never copied). */
  inner: string[];
  out: Reference[];
}

function collectRefs(e: Expr, w: RefWalk): void {
  switch (e.kind) {
    case 'ScopeTraversal':
      if (!w.bound.has(e.root) && !w.inner.includes(e.root)) w.out.push({ root: e.root, steps: e.steps, range: e.range });
      return;
    case 'Literal':
    case 'AnonSymbol':
      return;
    case 'Template':
      collectPartRefs(e.parts, w);
      return;
    case 'GetAttr':
      collectRefs(e.object, w);
      return;
    case 'Index':
      collectRefs(e.collection, w);
      collectRefs(e.key, w);
      return;
    case 'Splat':
      collectRefs(e.source, w);
      collectRefs(e.each, w);
      return;
    case 'FunctionCall':
      for (const a of e.args) collectRefs(a, w);
      return;
    case 'Conditional':
      collectRefs(e.cond, w);
      collectRefs(e.then, w);
      collectRefs(e.else, w);
      return;
    case 'Binary':
      collectRefs(e.left, w);
      collectRefs(e.right, w);
      return;
    case 'Unary':
      collectRefs(e.operand, w);
      return;
    case 'Tuple':
      for (const i of e.items) collectRefs(i, w);
      return;
    case 'Object':
      for (const i of e.items) {
        if (!i.bareKey) collectRefs(i.key, w);
        collectRefs(i.value, w);
      }
      return;
    case 'For': {
      collectRefs(e.coll, w);
      const depth = bind(w, e.keyVar, e.valVar);
      if (e.keyExpr) collectRefs(e.keyExpr, w);
      collectRefs(e.valExpr, w);
      if (e.cond) collectRefs(e.cond, w);
      w.inner.length = depth;
      return;
    }
    case 'Paren':
      collectRefs(e.expr, w);
      return;
  }
}

function collectPartRefs(parts: TemplatePart[], w: RefWalk): void {
  for (const p of parts) {
    switch (p.kind) {
      case 'Interp':
        collectRefs(p.expr, w);
        break;
      case 'If':
        collectRefs(p.cond, w);
        collectPartRefs(p.then, w);
        if (p.else) collectPartRefs(p.else, w);
        break;
      case 'For': {
        collectRefs(p.coll, w);
        const depth = bind(w, p.keyVar, p.valVar);
        collectPartRefs(p.body, w);
        w.inner.length = depth;
        break;
      }
      default:
        break;
    }
  }
}

/** Push a `for`'s iteration variables; returns the depth to restore afterwards. */
function bind(w: RefWalk, keyVar: string | undefined, valVar: string): number {
  const depth = w.inner.length;
  if (keyVar !== undefined) w.inner.push(keyVar);
  w.inner.push(valVar);
  return depth;
}
