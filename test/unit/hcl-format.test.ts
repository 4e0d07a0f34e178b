// Unit tests of the formatter (engine/config/hcl/format.ts). Each expected output is what
// `terraform fmt` produces for the input (checked by hand with terraform 1.11; the oracle test
// compares whole fixture files against the binary when it is installed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatHCL } from '../../engine/config/hcl/format.js';
import { fuzzSources } from '../fixtures/hcl/fuzz.js';

function fmt(src: string): string {
  const r = formatHCL(src, 'test.hcl');
  assert.deepEqual(
    r.diags.list.map((d) => d.summary),
    [],
  );
  assert.equal(formatHCL(r.output, 'test.hcl').output, r.output, 'not idempotent');
  return r.output;
}

const lines = (...l: string[]): string => l.join('\n') + '\n';

test('indents two spaces per nesting level, whatever the input indentation', () => {
  assert.equal(
    fmt('a {\nb {\n        c = 1\n}\n    }\n'),
    lines('a {', '  b {', '    c = 1', '  }', '}'),
  );
});

test('aligns = across consecutive single-line arguments; blank lines and blocks break the run', () => {
  assert.equal(
    fmt('a = 1\nlong_name = 2\nbb = 3\n\nc = 4\ndd = 5\nx {\n}\nyyy = 6\n'),
    lines('a         = 1', 'long_name = 2', 'bb        = 3', '', 'c  = 4', 'dd = 5', 'x {', '}', 'yyy = 6'),
  );
});

test('a multi-line value does not join the alignment run', () => {
  assert.equal(
    fmt('a = 1\nbbbb = {\nc = 1\n}\nd = 2\n'),
    lines('a = 1', 'bbbb = {', '  c = 1', '}', 'd = 2'),
  );
});

test('spacing: operators, commas, brackets, calls, braces', () => {
  assert.equal(fmt('a=[1,2,3]\n'), lines('a = [1, 2, 3]'));
  assert.equal(fmt('a={x=1,y=2}\n'), lines('a = { x = 1, y = 2 }'));
  assert.equal(fmt('a = {}\nb = [ ]\n'), lines('a = {}', 'b = []'));
  assert.equal(fmt('a = f( 1 ,2 , x... )\n'), lines('a = f(1, 2, x...)'));
  assert.equal(fmt('a = (1+2)*3%4\n'), lines('a = (1 + 2) * 3 % 4'));
  assert.equal(fmt('a = x==y&&!z||w!=1\n'), lines('a = x == y && !z || w != 1'));
  assert.equal(fmt('a = b?c:d\n'), lines('a = b ? c : d'));
  assert.equal(fmt('a = x [ 0 ] [ "k" ] . y\n'), lines('a = x[0]["k"].y'));
  assert.equal(fmt('a = x[*].y\nb = x.*.y\n'), lines('a = x[*].y', 'b = x.*.y'));
});

test('spacing: unary minus hugs its operand, binary minus is spaced', () => {
  assert.equal(fmt('a = [ - 1, 2 - 1, x - -1, (- y)]\n'), lines('a = [-1, 2 - 1, x - -1, (-y)]'));
  assert.equal(fmt('a = - 1\n'), lines('a = -1'));
});

test('spacing: for expressions', () => {
  assert.equal(fmt('a = [for x in [y]: x if x>1]\n'), lines('a = [for x in [y] : x if x > 1]'));
  assert.equal(fmt('a = {for k,v in m: k=>v...}\n'), lines('a = { for k, v in m : k => v... }'));
});

test('templates: text is untouched, sequences are tightened', () => {
  assert.equal(fmt('a = "x ${ f( 1,2 ) } y"\n'), lines('a = "x ${f(1, 2)} y"'));
  assert.equal(fmt('a = "%{ if x }y%{ else }z%{ endif }"\n'), lines('a = "%{if x}y%{else}z%{endif}"'));
  assert.equal(fmt('a = "  spaced  text  "\n'), lines('a = "  spaced  text  "'));
});

test('a value that is exactly "${expr}" is unwrapped', () => {
  assert.equal(fmt('a = "${var.x}"\n'), lines('a = var.x'));
  assert.equal(fmt('a = "${~var.x~}"\n'), lines('a = var.x'));
  assert.equal(fmt('a = "${"s"}"\n'), lines('a = "s"'));
  assert.equal(fmt('a = "${\n  foo\n}"\n'), lines('a = foo'));
  assert.equal(fmt('a = "${x ?\n  1 : 2}"\n'), lines('a = (x ?', '1 : 2)'));
  // not unwrappable: more than one part, or not the whole value
  assert.equal(fmt('a = "${x}${y}"\n'), lines('a = "${x}${y}"'));
  assert.equal(fmt('a = "${x} "\n'), lines('a = "${x} "'));
  assert.equal(fmt('a = c ? "${x}" : "y"\n'), lines('a = c ? "${x}" : "y"'));
});

test('variable types: legacy quoted types and bare collection keywords', () => {
  assert.equal(
    fmt('variable "a" {\n  type = "string"\n}\nvariable "b" {\n  type = "list"\n}\nvariable "c" {\n  type = map\n}\nvariable "d" {\n  type = set(string)\n}\n'),
    lines(
      'variable "a" {',
      '  type = string',
      '}',
      'variable "b" {',
      '  type = list(string)',
      '}',
      'variable "c" {',
      '  type = map(any)',
      '}',
      'variable "d" {',
      '  type = set(string)',
      '}',
    ),
  );
  // only in variable blocks
  assert.equal(fmt('x {\n  type = list\n}\n'), lines('x {', '  type = list', '}'));
});

test('bare block labels are quoted', () => {
  assert.equal(fmt('resource xen_vm web {\n}\n'), lines('resource "xen_vm" "web" {', '}'));
});

test('comments are kept; trailing comments are aligned in runs', () => {
  assert.equal(
    fmt('# top\na = 1 # one\nlong = 2 // two\n  /* block */\nb = 3\n'),
    lines('# top', 'a    = 1 # one', 'long = 2 // two', '/* block */', 'b = 3'),
  );
  assert.equal(fmt('l = [\n"a", # x\n"bbb", # y\n]\n'), lines('l = [', '  "a",   # x', '  "bbb", # y', ']'));
});

test('blank lines are preserved as they are, trailing whitespace is removed', () => {
  assert.equal(fmt('a = 1   \n\n\n\nb = 2\n'), lines('a = 1', '', '', '', 'b = 2'));
  assert.equal(fmt('\n\na = 1\n\n'), '\n\na = 1\n\n');
});

test('heredoc bodies are untouched, their interpolations tightened', () => {
  const src = 'a = <<-EOT\n      keep   this\n   ${ x }\n    EOT\nb = 1\n';
  assert.equal(fmt(src), lines('a = <<-EOT', '      keep   this', '   ${x}', '    EOT', 'b = 1'));
});

test('one-line blocks stay on one line', () => {
  assert.equal(fmt('locals {a=1}\nx {  }\n'), lines('locals { a = 1 }', 'x {}'));
});

test('a final newline is added; CRLF line endings are kept', () => {
  assert.equal(fmt('a = 1'), 'a = 1\n');
  assert.equal(fmt(''), '\n');
  assert.equal(fmt('a = 1\r\nbb = 2\r\n'), 'a  = 1\r\nbb = 2\r\n');
});

test('a file with syntax errors comes back unchanged, with the errors', () => {
  const src = 'a = [1 2]\nb   =   3\n';
  const r = formatHCL(src, 'bad.hcl');
  assert.equal(r.output, src);
  assert.equal(r.diags.hasErrors, true);
  assert.equal(r.diags.errors[0].range!.start.line, 1);
  assert.equal(r.diags.errors[0].range!.file, 'bad.hcl');
});

test('already formatted text is returned as is', () => {
  const src = lines(
    'resource "xen_vm" "web" {',
    '  count = 2',
    '',
    '  name_label = "web-${count.index}"',
    '  tags       = { role = "web" }',
    '',
    '  dynamic "disk" {',
    '    for_each = var.disks',
    '    content {',
    '      size = disk.value',
    '    }',
    '  }',
    '}',
  );
  assert.equal(fmt(src), src);
});

test('whatever parses, formats to text that parses and formats to itself', () => {
  let formatted = 0;
  for (const src of fuzzSources(2000)) {
    const r = formatHCL(src, 'fuzz.hcl');
    if (r.diags.hasErrors) continue;
    formatted++;
    const again = formatHCL(r.output, 'fuzz.hcl');
    assert.deepEqual(again.diags.list, [], `${JSON.stringify(src)} formatted as ${JSON.stringify(r.output)}`);
    assert.equal(again.output, r.output, `${JSON.stringify(src)}: not idempotent`);
  }
  assert.ok(formatted > 200, `only ${formatted} of 2000 inputs parsed`);
});
