// Diagnostic boxes: summary, compact location, source excerpt with the span marked, detail and
// suggestion; plus the one-line compact form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic, Range } from '../../engine/diagnostics.js';
import { enclosingBlock, formatDiagnosticsCompact, renderDiagnostic, renderDiagnostics } from '../../engine/render/diagnostics.js';
import { stripAnsi } from '../../engine/render/color.js';

const SOURCE = [
  'resource "poolform_data" "a" {', // 1
  '  input = "x"', // 2
  '}', // 3
  '', // 4
  'variable "v" {', // 5
  '  default = 1', // 6
  '}', // 7
  '', // 8
  '# b uses a', // 9
  'resource "poolform_data" "b" {', // 10
  '  lifecycle {', // 11
  '  }', // 12
  '  input = poolform_data.aa.output', // 13
  '}', // 14
  '', // 15
].join('\n');

const range = (line: number, col: number, endLine: number, endCol: number, file = 'main.hcl'): Range => ({
  file,
  start: { line, col, byte: 0 },
  end: { line: endLine, col: endCol, byte: 0 },
});

const undeclared: Diagnostic = {
  severity: 'error',
  summary: 'Reference to undeclared resource',
  detail: 'A managed resource "poolform_data" "aa" has not been declared in the root module.',
  range: range(13, 11, 13, 27),
  suggestion: 'a',
};

const sources = new Map([['main.hcl', SOURCE]]);

test('the Terraform box, with the compact location under the summary', () => {
  assert.equal(
    renderDiagnostic(undeclared, sources, { color: false }),
    [
      '╷',
      '│ Error: Reference to undeclared resource',
      '│ main.hcl:13:11:',
      '│',
      '│   on main.hcl line 13, in resource "poolform_data" "b":',
      '│   13:   input = poolform_data.aa.output',
      '│                 ^^^^^^^^^^^^^^^^',
      '│',
      '│ A managed resource "poolform_data" "aa" has not been declared in the root module. Did you mean `a`?',
      '╵',
    ].join('\n'),
  );
});

test('missing source: the location only', () => {
  const out = renderDiagnostic({ ...undeclared, range: range(3, 1, 3, 2, 'other.hcl') }, sources, { color: false });
  assert.ok(out.includes('│ other.hcl:3:1:\n│\n│   on other.hcl line 3:\n│\n│ A managed'), out);
  assert.ok(!out.includes('^'));
});

test('multi-line range: first line, marked to its end', () => {
  const out = renderDiagnostic({ severity: 'error', summary: 'Bad block', range: range(10, 1, 14, 2) }, sources, { color: false });
  assert.ok(out.includes('│   10: resource "poolform_data" "b" {\n│       ' + '^'.repeat(30) + '\n│       (the range continues to line 14)'), out);
  assert.ok(out.includes('│   on main.hcl line 10:\n'), 'a block header is not inside itself');
});

test('a suggestion without detail, warnings, and no range', () => {
  const out = renderDiagnostics(
    [
      { severity: 'warning', summary: 'Deprecated attribute', range: range(2, 3, 2, 8) },
      { severity: 'error', summary: 'Unknown provider', suggestion: 'xenserver' },
    ],
    sources,
    { color: false },
  );
  assert.equal(
    out,
    [
      '╷',
      '│ Warning: Deprecated attribute',
      '│ main.hcl:2:3:',
      '│',
      '│   on main.hcl line 2, in resource "poolform_data" "a":',
      '│   2:   input = "x"',
      '│        ^^^^^',
      '╵',
      '╷',
      '│ Error: Unknown provider',
      '│',
      '│ Did you mean `xenserver`?',
      '╵',
    ].join('\n'),
  );
});

test('detail paragraphs keep their blank lines; the suggestion is appended once, to the last one', () => {
  const out = renderDiagnostic(
    { severity: 'error', summary: 'S', detail: 'First.\n\nSecond.', suggestion: 'b', range: range(6, 3, 6, 10) },
    sources,
    { color: false },
  );
  assert.ok(out.endsWith('│\n│ First.\n│\n│ Second. Did you mean `b`?\n╵'), out);
  assert.equal(out.match(/Did you mean/g)!.length, 1);
  assert.ok(out.includes('in variable "v"'));
});

test('tabs before the span keep the carets aligned', () => {
  const src = new Map([['t.hcl', 'x {\n\tname =\tbad\n}\n']]);
  const out = renderDiagnostic({ severity: 'error', summary: 'S', range: range(2, 9, 2, 12, 't.hcl') }, src, { color: false });
  assert.ok(out.includes('│   2: \tname =\tbad\n│      \t      \t^^^'), JSON.stringify(out));
});

test('colour is decoration only', () => {
  const plain = renderDiagnostics([undeclared], sources, { color: false });
  const colored = renderDiagnostics([undeclared], sources, { color: true });
  assert.ok(colored.includes('\x1b[31m│\x1b[39m'), 'red bar for errors');
  assert.ok(colored.includes('\x1b[4m'), 'span underlined');
  assert.equal(stripAnsi(colored), plain);
});

test('enclosingBlock stops at a closing brace', () => {
  const lines = SOURCE.split('\n');
  assert.equal(enclosingBlock(lines, 13), 'resource "poolform_data" "b"');
  assert.equal(enclosingBlock(lines, 4), undefined);
  assert.equal(enclosingBlock(lines, 9), undefined);
});

test('compact form: one line each', () => {
  assert.equal(
    formatDiagnosticsCompact([undeclared, { severity: 'warning', summary: 'No range' }]),
    'main.hcl:13:11: error: Reference to undeclared resource (did you mean `a`?)\nwarning: No range',
  );
});

test('a diagnostic about one instance names it, with its block or alone', () => {
  const withRange = renderDiagnostic({ severity: 'error', summary: 'Too big', address: 'poolform_data.b["x"]', range: range(10, 1, 10, 29) }, sources, { color: false });
  assert.ok(withRange.includes('│ main.hcl:10:1:\n│\n│   with poolform_data.b["x"],\n│   on main.hcl line 10:\n'), withRange);
  const alone = renderDiagnostic({ severity: 'error', summary: 'In use', address: 'poolform_data.gone', detail: 'D.' }, sources, { color: false });
  assert.equal(alone, ['╷', '│ Error: In use', '│', '│   with poolform_data.gone', '│', '│ D.', '╵'].join('\n'));
  assert.equal(formatDiagnosticsCompact([{ severity: 'error', summary: 'In use', address: 'poolform_data.gone' }]), 'error: poolform_data.gone: In use');
});
