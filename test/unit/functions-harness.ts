// Shared table-driven harness for the function-library tests (not a test file itself): calls a
// built-in the way the evaluator does and checks either the value or Terraform's error text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS } from '../../engine/lang/functions/index.js';
import { describeFunctionError } from '../../engine/lang/eval.js';
import { FunctionError } from '../../engine/lang/functions/types.js';
import type { FunctionContext } from '../../engine/lang/functions/types.js';
import { Unknown, type TypeHint, type Value, type ValueObject } from '../../engine/lang/value.js';

/** A stand-in renderer: replaces ${name} with the variable's string form. */
export function makeContext(baseDir: string): FunctionContext {
  return {
    baseDir,
    renderTemplate: (source: string, _filename: string, vars: Record<string, Value>) =>
      source.replace(/\$\{(\w+)\}/g, (_m, k: string) => String((vars as ValueObject)[k])),
  };
}

export const defaultContext = makeContext(process.cwd());

/** A fresh temporary directory holding the `fs/` tree the filesystem tests read; the caller removes it. */
export function makeFixtureTree(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'fs/sub/deep'), { recursive: true });
  mkdirSync(join(dir, 'fs/.hidden'), { recursive: true });
  writeFileSync(join(dir, 'fs/a.txt'), 'hi\n');
  writeFileSync(join(dir, 'fs/sub/b.txt'), 'x\n');
  writeFileSync(join(dir, 'fs/sub/x[1].txt'), 'q\n');
  writeFileSync(join(dir, 'fs/sub/deep/c.md'), 'y\n');
  writeFileSync(join(dir, 'fs/.hidden/h.txt'), 'z\n');
  writeFileSync(join(dir, 'fs/bin.dat'), Buffer.from([0xff, 0xfe]));
  writeFileSync(join(dir, 'fs/t.tpl'), 'Hello ${name}\n');
  return dir;
}

export function call(name: string, args: Value[], ctx: FunctionContext = defaultContext): Value {
  const def = FUNCTIONS[name];
  assert.ok(def, `function ${name} exists`);
  return def.impl(args, ctx);
}

/** Call a function that must give an unknown value, of type `type` when one is given. */
export function callUnknown(name: string, args: Value[], type?: TypeHint): Unknown {
  const r = call(name, args);
  assert.ok(r instanceof Unknown, `${name} gives an unknown, not ${JSON.stringify(r)}`);
  if (type !== undefined) assert.equal(r.type, type, name);
  return r;
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
