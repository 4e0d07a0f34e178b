// Shared helpers for the language tests (not a test file itself): parse an expression that must
// parse cleanly, and check the diagnostics an evaluation or a type parse produced.

import assert from 'node:assert/strict';
import { parseExpression } from '../../engine/config/hcl/parser.js';
import type { Expr } from '../../engine/config/hcl/ast.js';
import { Diagnostics } from '../../engine/diagnostics.js';

/** Parse `src` as an expression, failing the test on any parse error. */
export function parseClean(src: string, file: string): Expr {
  const d = new Diagnostics();
  const e = parseExpression(src, file, d);
  assert.deepEqual(d.list, [], `parse errors in ${src}`);
  return e;
}

/** Fail unless `diags` is empty, listing what it holds. */
export function assertNoDiagnostics(diags: Diagnostics, src: string): void {
  assert.deepEqual(
    diags.list.map((d) => `${d.summary}: ${d.detail}`),
    [],
    `unexpected diagnostics for ${src}`,
  );
}

export interface OneError {
  summary: string;
  detail: string;
  suggestion?: string;
  /** The part of `src` the error's range covers. */
  text: string;
}

/** The one error `diags` must hold, with the source text its range covers. */
export function onlyError(diags: Diagnostics, src: string): OneError {
  assert.equal(diags.list.length, 1, `expected one diagnostic for ${src}, got ${JSON.stringify(diags.list.map((d) => d.summary))}`);
  const d = diags.list[0];
  assert.equal(d.severity, 'error');
  assert.ok(d.range, 'diagnostic has a range');
  return { summary: d.summary, detail: d.detail ?? '', suggestion: d.suggestion, text: src.slice(d.range.start.byte, d.range.end.byte) };
}
