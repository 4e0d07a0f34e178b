// Shared table-driven harness for the function-library tests (not a test file itself): calls a
// built-in the way the evaluator does and checks either the value or Terraform's error text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FUNCTIONS, describeFunctionError } from '../../engine/lang/functions/index.js';
import { FunctionError } from '../../engine/lang/functions/types.js';
import type { FunctionContext } from '../../engine/lang/functions/types.js';
import type { Value, ValueObject } from '../../engine/lang/value.js';

/** A stand-in renderer: replaces ${name} with the variable's string form. */
export function makeContext(baseDir: string): FunctionContext {
  return {
    baseDir,
    renderTemplate: (source: string, _filename: string, vars: Record<string, Value>) =>
      source.replace(/\$\{(\w+)\}/g, (_m, k: string) => String((vars as ValueObject)[k])),
  };
}

export const defaultContext = makeContext(process.cwd());

export function call(name: string, args: Value[], ctx: FunctionContext = defaultContext): Value {
  const def = FUNCTIONS[name];
  assert.ok(def, `function ${name} exists`);
  return def.impl(args, ctx);
}

/** Terraform's full error detail; `arg` is the argument blamed, null for a failure of the call. */
export interface Failure {
  error: string | RegExp;
  arg?: number | null;
}

export type Case = [name: string, args: Value[], expected: Value | Failure];

export function isFailure(x: unknown): x is Failure {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'error' in x && Object.keys(x).every((k) => k === 'error' || k === 'arg');
}

/** One test per case: a value is compared deeply, a failure by Terraform's full detail text (and argument). */
export function runCases(title: string, cases: Case[], ctx: () => FunctionContext = () => defaultContext): void {
  for (const [name, args, expected] of cases) {
    const label = `${title}: ${name}(${JSON.stringify(args).slice(1, -1).slice(0, 120)})`;
    test(label, () => {
      if (isFailure(expected)) {
        assert.throws(
          () => call(name, args, ctx()),
          (e: unknown) => {
            assert.ok(e instanceof FunctionError, `FunctionError expected, got ${String(e)}`);
            const { detail } = describeFunctionError(name, FUNCTIONS[name], e);
            if (typeof expected.error === 'string') assert.equal(detail, expected.error);
            else assert.match(detail, expected.error);
            if (expected.arg === null) assert.equal(e.arg, undefined, 'a failure of the call blames no argument');
            else if (expected.arg !== undefined) assert.equal(e.arg, expected.arg);
            return true;
          },
        );
      } else {
        assert.deepStrictEqual(call(name, args, ctx()), expected);
      }
    });
  }
}

export const invalid = (param: string, reason: string, arg?: number): Failure => ({
  error: `Invalid value for "${param}" parameter: ${reason}`,
  arg,
});
export const failed = (fn: string, reason: string): Failure => ({
  error: `Call to function "${fn}" failed: ${reason}`,
  arg: null,
});
