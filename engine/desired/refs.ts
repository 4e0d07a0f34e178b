// What an expression refers to. Bound names (for-expression and template-for variables, dynamic
// block iterators) are not references; everything else rooted at an identifier is.

import type { Range } from '../diagnostics.js';
import type { Expr, TemplatePart, TraversalStep } from '../config/hcl/ast.js';

export interface Reference {
  root: string;
  steps: TraversalStep[];
  range: Range;
}

export function referencesOf(expr: Expr | undefined, bound: ReadonlySet<string> = EMPTY, out: Reference[] = []): Reference[] {
  if (!expr) return out;
  visit(expr, bound, out);
  return out;
}

const EMPTY: ReadonlySet<string> = new Set();

function withBound(bound: ReadonlySet<string>, ...names: (string | undefined)[]): ReadonlySet<string> {
  const s = new Set(bound);
  for (const n of names) if (n) s.add(n);
  return s;
}

function visit(e: Expr, bound: ReadonlySet<string>, out: Reference[]): void {
  switch (e.kind) {
    case 'ScopeTraversal':
      if (!bound.has(e.root)) out.push({ root: e.root, steps: e.steps, range: e.range });
      return;
    case 'Literal':
    case 'AnonSymbol':
      return;
    case 'Template':
      visitParts(e.parts, bound, out);
      return;
    case 'GetAttr':
      visit(e.object, bound, out);
      return;
    case 'Index':
      visit(e.collection, bound, out);
      visit(e.key, bound, out);
      return;
    case 'Splat':
      visit(e.source, bound, out);
      visit(e.each, bound, out);
      return;
    case 'FunctionCall':
      for (const a of e.args) visit(a, bound, out);
      return;
    case 'Conditional':
      visit(e.cond, bound, out);
      visit(e.then, bound, out);
      visit(e.else, bound, out);
      return;
    case 'Binary':
      visit(e.left, bound, out);
      visit(e.right, bound, out);
      return;
    case 'Unary':
      visit(e.operand, bound, out);
      return;
    case 'Tuple':
      for (const i of e.items) visit(i, bound, out);
      return;
    case 'Object':
      for (const i of e.items) {
        if (!i.bareKey) visit(i.key, bound, out);
        visit(i.value, bound, out);
      }
      return;
    case 'For': {
      visit(e.coll, bound, out);
      const inner = withBound(bound, e.keyVar, e.valVar);
      if (e.keyExpr) visit(e.keyExpr, inner, out);
      visit(e.valExpr, inner, out);
      if (e.cond) visit(e.cond, inner, out);
      return;
    }
    case 'Paren':
      visit(e.expr, bound, out);
      return;
  }
}

function visitParts(parts: TemplatePart[], bound: ReadonlySet<string>, out: Reference[]): void {
  for (const p of parts) {
    if (p.kind === 'Interp') visit(p.expr, bound, out);
    else if (p.kind === 'If') {
      visit(p.cond, bound, out);
      visitParts(p.then, bound, out);
      if (p.else) visitParts(p.else, bound, out);
    } else if (p.kind === 'For') {
      visit(p.coll, bound, out);
      visitParts(p.body, withBound(bound, p.keyVar, p.valVar), out);
    }
  }
}

/** Step helpers for reading a reference's leading names. */
export function attrStep(steps: TraversalStep[], i: number): string | undefined {
  const s = steps[i];
  return s && s.kind === 'attr' ? s.name : undefined;
}

export function stepsRange(ref: Reference, n: number): Range {
  if (n <= 0 || ref.steps.length === 0) return ref.range;
  const last = ref.steps[Math.min(n, ref.steps.length) - 1];
  return { file: ref.range.file, start: ref.range.start, end: last.range.end };
}
