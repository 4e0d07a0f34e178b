// HCL value rendering: quoting, keys, nesting, heredocs, unknown and sensitive markers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sensitive, Unknown } from '../../engine/lang/value.js';
import { formatKey, heredocDelimiter, quoteString, renderAttributeLines, renderValue } from '../../engine/render/value.js';

test('quoteString escapes quotes, backslashes and control characters', () => {
  assert.equal(quoteString('plain'), '"plain"');
  assert.equal(quoteString('a "b" \\ c'), '"a \\"b\\" \\\\ c"');
  assert.equal(quoteString('tab\there\r\n'), '"tab\\there\\r\\n"');
  assert.equal(quoteString('bell\u0007'), '"bell\\u0007"');
  assert.equal(quoteString('ünïcödé ✓'), '"ünïcödé ✓"');
});

test('formatKey leaves identifiers bare and quotes the rest', () => {
  assert.equal(formatKey('name_label'), 'name_label');
  assert.equal(formatKey('with-dash'), 'with-dash');
  assert.equal(formatKey('host1.example'), '"host1.example"');
  assert.equal(formatKey('9lives'), '"9lives"');
  assert.equal(formatKey(''), '""');
});

test('scalars', () => {
  assert.equal(renderValue(null), 'null');
  assert.equal(renderValue(true), 'true');
  assert.equal(renderValue(1.5), '1.5');
  assert.equal(renderValue('x'), '"x"');
  assert.equal(renderValue([]), '[]');
  assert.equal(renderValue({}), '{}');
});

test('nested objects and lists: sorted aligned keys, trailing commas, indentation', () => {
  const v = { zeta: [1, 'two'], a: { inner: true }, 'x.y': null };
  assert.equal(
    renderValue(v, { unit: '  ' }),
    ['{', '  a     = {', '    inner = true', '  }', '  "x.y" = null', '  zeta  = [', '    1,', '    "two",', '  ]', '}'].join('\n'),
  );
});

test('continuation lines build on the given indent', () => {
  assert.equal(renderValue({ a: 1 }, { indent: '    ', unit: '    ' }), '{\n        a = 1\n    }');
});

test('multi-line strings become heredocs', () => {
  assert.equal(renderValue('line1\nline2\n', { unit: '  ' }), '<<-EOT\n  line1\n  line2\nEOT');
  assert.equal(renderValue({ s: 'a\n\nb' }, { unit: '  ' }), '{\n  s = <<-EOT\n    a\n\n    b\n  EOT\n}');
});

test('heredoc delimiter avoids content lines', () => {
  assert.equal(heredocDelimiter(['x', 'EOT']), 'EOT1');
  assert.equal(heredocDelimiter(['EOT', ' EOT1 ']), 'EOT2');
  assert.match(renderValue('a\nEOT\n'), /^<<-EOT1\n/);
});

test('unknown and sensitive values, by wrapper or by shape', () => {
  assert.equal(renderValue(new Unknown('string')), '(known after apply)');
  assert.equal(renderValue(new Sensitive('hunter2')), '(sensitive value)');
  const out = renderValue({ pw: 'hunter2', id: null, list: ['a', 'secret'] }, { sensitive: { pw: true, list: [false, true] }, unknown: { id: true } });
  assert.ok(!out.includes('hunter2') && !out.includes('"secret"'), out);
  assert.match(out, /pw   = \(sensitive value\)/);
  assert.match(out, /id   = \(known after apply\)/);
  assert.match(out, /"a",\n\s+\(sensitive value\),/);
  assert.equal(renderValue('x', { sensitive: true, sensitiveText: '<sensitive>' }), '<sensitive>');
});

test('renderAttributeLines skips nulls and aligns the rest', () => {
  assert.deepEqual(renderAttributeLines({ b: 1, long_name: 'x', gone: null }, { indent: '    ', unit: '    ' }), ['    b         = 1', '    long_name = "x"']);
});
