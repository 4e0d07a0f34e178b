// The contract between the evaluator and the function library.

import type { Value } from '../value.js';

export interface FunctionContext {
  /** Directory that relative paths in file(), templatefile() and friends resolve against. */
  baseDir: string;
  /** Renders a template file's text with the given variables (templatefile). Provided by the evaluator. */
  renderTemplate(source: string, filename: string, vars: Record<string, Value>): Value;
}

export type ParamType = 'string' | 'number' | 'bool' | 'list' | 'map' | 'any';

export interface ParamSpec {
  name: string;
  type: ParamType;
  /** The function handles null itself (otherwise a null argument is an error). */
  allowNull?: boolean;
  /** The function handles unknown values itself (otherwise any unknown arg makes the result unknown). */
  allowUnknown?: boolean;
}

export interface FunctionDef {
  params: ParamSpec[];
  variadic?: ParamSpec;
  /** Called with unmarked arguments; the evaluator re-applies sensitivity to the result. */
  impl(args: Value[], ctx: FunctionContext): Value;
  /** Functions whose result is never sensitive even from sensitive input (e.g. nonsensitive). */
  keepsMarks?: boolean;
}

/** A function's own refusal of its arguments; `arg` is the 0-based index of the offending one. */
export class FunctionError extends Error {
  constructor(message: string, readonly arg?: number) {
    super(message);
  }
}
