// Evaluation scopes: which root names an expression can see (var, local, each, a resource type,
// a `for` iteration variable...) and which functions it may call. The evaluator asks a scope for
// one root at a time, so a scope can resolve lazily and never has to build a big context object.

import type { TraversalStep } from '../config/hcl/ast.js';
import type { FunctionContext, FunctionDef } from './functions/types.js';
import type { Value } from './value.js';

/** A scope's own explanation of a reference that does not resolve. */
export interface MissingReference {
  summary: string;
  detail?: string;
  suggestion?: string;
}

export interface EvalScope {
  /**
   * Value of a root name (var, local, each, count, self, path, module, data, terraform, a resource
   * type...). Returns undefined if the name is not defined here; the evaluator then reports
   * "Reference to undeclared ..." with the nearest name from `rootNames()`.
   */
  lookup(root: string): Value | undefined;
  rootNames(): Iterable<string>;
  functions: Record<string, FunctionDef>;
  funcCtx: FunctionContext;
  /**
   * Optional: a better diagnostic for a reference that does not resolve. `failedStep` is -1 when
   * the root itself is undefined, otherwise the index of the step whose attribute/key is missing.
   * Return undefined for the evaluator's built-in message, null for its plain generic one.
   */
  describeMissing?(root: string, steps: readonly TraversalStep[], failedStep: number): MissingReference | null | undefined;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * A scope that adds a few names over a parent (for-expression, template-for and dynamic-block
 * iterators). `vars` is held by reference: the evaluator rebinds it per iteration instead of
 * allocating a scope per element.
 */
export class ChildScope implements EvalScope {
  readonly functions: Record<string, FunctionDef>;
  readonly funcCtx: FunctionContext;
  constructor(
    readonly parent: EvalScope,
    readonly vars: Record<string, Value>,
  ) {
    this.functions = parent.functions;
    this.funcCtx = parent.funcCtx;
  }
  lookup(root: string): Value | undefined {
    return hasOwn.call(this.vars, root) ? this.vars[root] : this.parent.lookup(root);
  }
  *rootNames(): Iterable<string> {
    yield* Object.keys(this.vars);
    yield* this.parent.rootNames();
  }
  describeMissing(root: string, steps: readonly TraversalStep[], failedStep: number): MissingReference | null | undefined {
    // An iteration variable is plain data: its missing attributes get the generic message.
    if (hasOwn.call(this.vars, root)) return null;
    return this.parent.describeMissing ? this.parent.describeMissing(root, steps, failedStep) : undefined;
  }
}

export function childScope(parent: EvalScope, vars: Record<string, Value>): EvalScope {
  return new ChildScope(parent, vars);
}

/** A scope over a fixed set of names (templatefile() variables, constant contexts, tests). */
export function valuesScope(vars: Record<string, Value>, functions: Record<string, FunctionDef>, funcCtx: FunctionContext): EvalScope {
  return {
    lookup: (root) => (hasOwn.call(vars, root) ? vars[root] : undefined),
    rootNames: () => Object.keys(vars),
    functions,
    funcCtx,
  };
}

/** A function context for places where file access and templates make no sense (type defaults). */
export const NO_FUNCTION_CONTEXT: FunctionContext = {
  baseDir: '.',
  renderTemplate() {
    throw new Error('templates cannot be rendered here');
  },
};
