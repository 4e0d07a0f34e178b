// Unit tests of the HCL native-syntax parser (engine/config/hcl/parser.ts and scanner.ts): every
// construct, the tree shapes it produces, operator precedence, template and heredoc rules, the
// line:col of nodes and of errors, and error recovery.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExpression, parseHCL, parseTemplate } from '../../engine/config/hcl/parser.js';
import type { Attribute, Expr, File, TemplateExpr, TemplatePart } from '../../engine/config/hcl/ast.js';
import { Diagnostics, type Range } from '../../engine/diagnostics.js';
import { fuzzSources } from '../fixtures/hcl/fuzz.js';

// ------------------------------------------------------------------------------ helpers

function parse(src: string): File {
  const d = new Diagnostics();
  const f = parseHCL(src, 'test.hcl', d);
  assert.deepEqual(
    d.list.map((x) => `${x.summary} @${x.range?.start.line}:${x.range?.start.col}`),
    [],
    'unexpected errors',
  );
  return f;
}

function expr(src: string): Expr {
  const d = new Diagnostics();
  const e = parseExpression(src, 'expr.hcl', d);
  assert.deepEqual(
    d.list.map((x) => x.summary),
    [],
    `errors in ${src}`,
  );
  return e;
}

function attr(src: string, name = 'a'): Attribute {
  const f = parse(src);
  const a = f.body.attributes.find((x) => x.name === name);
  assert.ok(a, `no attribute ${name}`);
  return a;
}

/** Errors as "summary @line:col". */
function errors(src: string): string[] {
  const d = new Diagnostics();
  parseHCL(src, 'bad.hcl', d);
  return d.list.map((x) => `${x.summary} @${x.range?.start.line}:${x.range?.start.col}`);
}

/** line:col-line:col of a range. */
function at(r: Range): string {
  return `${r.start.line}:${r.start.col}-${r.end.line}:${r.end.col}`;
}

/** A compact rendering of an expression tree, for precedence and shape assertions. */
function sx(e: Expr): string {
  switch (e.kind) {
    case 'Literal':
      return JSON.stringify(e.value);
    case 'Template':
      return `tmpl(${parts(e.parts)})`;
    case 'ScopeTraversal':
      return e.root + e.steps.map((s) => (s.kind === 'attr' ? `.${s.name}` : `[${JSON.stringify(s.key)}]`)).join('');
    case 'GetAttr':
      return `${sx(e.object)}.${e.name}`;
    case 'Index':
      return `${sx(e.collection)}[${sx(e.key)}]`;
    case 'Splat':
      return `splat${e.full ? '' : '.attr'}(${sx(e.source)}, ${sx(e.each)})`;
    case 'AnonSymbol':
      return '@';
    case 'FunctionCall':
      return `${e.name}(${e.args.map(sx).join(', ')}${e.expandFinal ? '...' : ''})`;
    case 'Conditional':
      return `(${sx(e.cond)} ? ${sx(e.then)} : ${sx(e.else)})`;
    case 'Binary':
      return `(${sx(e.left)} ${e.op} ${sx(e.right)})`;
    case 'Unary':
      return `(${e.op}${sx(e.operand)})`;
    case 'Tuple':
      return `[${e.items.map(sx).join(', ')}]`;
    case 'Object':
      return `{${e.items.map((i) => `${i.bareKey ? 'bare:' : ''}${sx(i.key)}=${sx(i.value)}`).join(', ')}}`;
    case 'For':
      return (
        `for(${e.keyVar ? `${e.keyVar},` : ''}${e.valVar} in ${sx(e.coll)}: ` +
        `${e.keyExpr ? `${sx(e.keyExpr)} => ` : ''}${sx(e.valExpr)}${e.grouping ? '...' : ''}${e.cond ? ` if ${sx(e.cond)}` : ''}` +
        `${e.isObject ? ' obj' : ''})`
      );
    case 'Paren':
      return `(${sx(e.expr)})`;
  }
}

function parts(ps: TemplatePart[]): string {
  return ps
    .map((p) => {
      switch (p.kind) {
        case 'Text':
          return JSON.stringify(p.value);
        case 'Interp':
          return `\${${sx(p.expr)}}`;
        case 'If':
          return `if(${sx(p.cond)}; ${parts(p.then)}${p.else ? `; else ${parts(p.else)}` : ''})`;
        case 'For':
          return `for(${p.keyVar ? `${p.keyVar},` : ''}${p.valVar} in ${sx(p.coll)}; ${parts(p.body)})`;
      }
    })
    .join(' ');
}

function templateText(e: Expr): string {
  assert.equal(e.kind, 'Template');
  return (e as TemplateExpr).parts.map((p) => (p.kind === 'Text' ? p.value : `<${p.kind}>`)).join('');
}

// ---------------------------------------------------------------------------- structure

test('attributes and blocks with quoted and bare labels', () => {
  const f = parse('a = 1\nresource "xen_vm" web {\n  name = "x"\n  disk {\n    size = 2\n  }\n}\nlocals {}\n');
  assert.deepEqual(
    f.body.attributes.map((a) => a.name),
    ['a'],
  );
  assert.deepEqual(
    f.body.blocks.map((b) => [b.type, b.labels]),
    [
      ['resource', ['xen_vm', 'web']],
      ['locals', []],
    ],
  );
  const r = f.body.blocks[0];
  assert.equal(r.body.attributes[0].name, 'name');
  assert.equal(r.body.blocks[0].type, 'disk');
  assert.equal(sx(r.body.blocks[0].body.attributes[0].expr), '2');
});

test('block and attribute ranges are exact', () => {
  const src = 'resource "xen_vm" "web" {\n  name = "x"\n}\n';
  const b = parse(src).body.blocks[0];
  assert.equal(at(b.typeRange), '1:1-1:9');
  assert.deepEqual(b.labelRanges.map(at), ['1:10-1:18', '1:19-1:24']);
  assert.equal(at(b.openBraceRange!), '1:25-1:26');
  assert.equal(at(b.range), '1:1-3:2');
  assert.equal(at(b.body.range), '1:25-3:2');
  const a = b.body.attributes[0];
  assert.equal(at(a.nameRange), '2:3-2:7');
  assert.equal(at(a.range), '2:3-2:13');
  assert.equal(at(a.expr.range), '2:10-2:13');
  assert.equal(a.expr.range.start.byte, src.indexOf('"x"'));
  assert.equal(a.range.file, 'test.hcl');
});

test('one-line blocks: empty or with a single argument', () => {
  const f = parse('locals { a = 1 }\nx {}\ny "l" { b = [1, 2] }\n');
  assert.equal(f.body.blocks.length, 3);
  assert.equal(sx(f.body.blocks[0].body.attributes[0].expr), '1');
  assert.equal(f.body.blocks[1].body.attributes.length, 0);
  assert.equal(sx(f.body.blocks[2].body.attributes[0].expr), '[1, 2]');
});

test('comments of all three kinds are ignored, newlines inside /* */ too', () => {
  const f = parse('# one\na = 1 // two\n/* three\n four */ b = 2\nc = /* inline */ 3 # end');
  assert.deepEqual(
    f.body.attributes.map((a) => [a.name, sx(a.expr)]),
    [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ],
  );
});

test('identifiers may contain dashes and non-ASCII letters', () => {
  const f = parse('dash-name = my-var.attr-x\nключ = 1\n');
  assert.deepEqual(
    f.body.attributes.map((a) => [a.name, sx(a.expr)]),
    [
      ['dash-name', 'my-var.attr-x'],
      ['ключ', '1'],
    ],
  );
});

test('CRLF line endings and a BOM are accepted', () => {
  const f = parse('\ufeffa = 1\r\nb {\r\n  c = "x"\r\n}\r\n');
  assert.equal(f.body.attributes[0].name, 'a');
  assert.equal(at(f.body.attributes[0].nameRange), '1:1-1:2');
  assert.equal(templateText(f.body.blocks[0].body.attributes[0].expr), 'x');
  assert.equal(at(f.body.blocks[0].body.attributes[0].nameRange), '3:3-3:4');
});

// -------------------------------------------------------------------------- literals

test('numbers: integers, decimals, exponents, negatives folded into literals', () => {
  assert.equal(sx(expr('42')), '42');
  assert.equal(sx(expr('3.25')), '3.25');
  assert.equal(sx(expr('1e3')), '1000');
  assert.equal(sx(expr('2.5E-3')), '0.0025');
  const neg = expr('-7');
  assert.equal(neg.kind, 'Literal');
  assert.equal(sx(neg), '-7');
  assert.equal(at(neg.range), '1:1-1:3');
  assert.equal(sx(expr('-x')), '(-x)');
});

test('true, false and null are literals; other names are traversals', () => {
  assert.equal(sx(expr('[true, false, null, nothing]')), '[true, false, null, nothing]');
  assert.equal(expr('nothing').kind, 'ScopeTraversal');
});

test('quoted strings: escapes, $${ and %%{, unicode escapes', () => {
  assert.equal(templateText(expr('"a\\nb\\tc\\"d\\\\e\\r"')), 'a\nb\tc"d\\e\r');
  assert.equal(templateText(expr('"\\u00e9\\U0001F600"')), 'é😀');
  assert.equal(templateText(expr('"$${x} %%{y} $ % $x"')), '${x} %{y} $ % $x');
  assert.equal(templateText(expr('""')), '');
});

test('interpolation: a lone ${x} is a one-part template (template wrap)', () => {
  const e = expr('"${var.x}"') as TemplateExpr;
  assert.equal(e.parts.length, 1);
  assert.equal(e.parts[0].kind, 'Interp');
  assert.equal(sx(e), 'tmpl(${var.x})');
  assert.equal(sx(expr('"a-${b}-${c[0]}"')), 'tmpl("a-" ${b} "-" ${c[0]})');
});

test('template directives: if/else/endif and for/endfor, nested', () => {
  assert.equal(sx(expr('"%{ if a }yes%{ else }no%{ endif }"')), 'tmpl(if(a; "yes"; else "no"))');
  assert.equal(sx(expr('"%{if a}only%{endif}"')), 'tmpl(if(a; "only"))');
  assert.equal(sx(expr('"%{ for k, v in m }${k}=${v};%{ endfor }"')), 'tmpl(for(k,v in m; ${k} "=" ${v} ";"))');
  assert.equal(
    sx(expr('"%{ for x in xs }%{ if x > 1 }${x}%{ endif }%{ endfor }"')),
    'tmpl(for(x in xs; if((x > 1); ${x})))',
  );
});

test('strip markers trim whitespace next to the sequence and are recorded on Interp parts', () => {
  const e = expr('"a  ${~ x ~}  b"') as TemplateExpr;
  assert.equal(sx(e), 'tmpl("a" ${x} "b")');
  const i = e.parts[1];
  assert.ok(i.kind === 'Interp' && i.stripLeft && i.stripRight);
  assert.equal(sx(expr('"x %{~ if c ~} y %{~ endif ~} z"')), 'tmpl("x" if(c; "y") "z")');
});

test('heredocs: content keeps its newlines; <<- removes the common indentation', () => {
  const f = parse('a = <<EOT\n  hello\n    ${name}\nEOT\nb = <<-EOT\n    one\n      two\n\n    three\n  EOT\n');
  const a = f.body.attributes[0].expr as TemplateExpr;
  assert.equal(a.heredoc, true);
  assert.equal(sx(a), 'tmpl("  hello\\n    " ${name} "\\n")');
  assert.equal(at(a.range), '1:5-4:4');
  assert.equal(templateText(f.body.attributes[1].expr), 'one\n  two\n\nthree\n');
});

test('heredocs: a line starting with an interpolation counts as unindented', () => {
  const e = attr('a = <<-EOT\n    x\n${y}\n  EOT\n').expr;
  assert.equal(sx(e), 'tmpl("    x\\n" ${y} "\\n")');
});

test('heredocs: directives with strip markers work line by line', () => {
  const e = attr('a = <<-EOT\n  %{ for h in hs ~}\n  - ${h}\n  %{ endfor ~}\nEOT\n').expr;
  // The `~` removes the newline after the directive, so the next line is no longer a line start
  // and keeps its indentation (HCL behaves the same way).
  assert.equal(sx(e), 'tmpl(for(h in hs; "  - " ${h} "\\n"))');
});

test('heredocs: empty heredoc and escapes are not processed (only $${)', () => {
  assert.equal(templateText(attr('a = <<EOT\nEOT\n').expr), '');
  assert.equal(templateText(attr('a = <<EOT\nback\\slash $${lit}\nEOT\n').expr), 'back\\slash ${lit}\n');
});

// ----------------------------------------------------------------------- collections

test('tuples: commas, trailing comma, newlines anywhere', () => {
  assert.equal(sx(expr('[]')), '[]');
  assert.equal(sx(expr('[1, "a", [2]]')), '[1, tmpl("a"), [2]]');
  assert.equal(sx(attr('a = [\n  1,\n  2,\n]\n').expr), '[1, 2]');
});

test('objects: = or :, comma or newline separated, quoted and parenthesized keys', () => {
  assert.equal(sx(expr('{}')), '{}');
  assert.equal(sx(expr('{ a = 1, "b" = 2, (c) = 3, d: 4 }')), '{bare:"a"=1, tmpl("b")=2, (c)=3, bare:"d"=4}');
  assert.equal(sx(attr('a = {\n  x = 1\n  y = {\n    z = true\n  }\n}\n').expr), '{bare:"x"=1, bare:"y"={bare:"z"=true}}');
});

test('function calls: arguments, expansion, provider namespaces, name range', () => {
  const c = expr('max(1, 2, xs...)');
  assert.equal(sx(c), 'max(1, 2, xs...)');
  assert.ok(c.kind === 'FunctionCall' && c.expandFinal);
  assert.equal(sx(expr('f()')), 'f()');
  assert.equal(sx(expr('f(\n  a,\n  b,\n)')), 'f(a, b)');
  const p = expr('provider::poolform::checksum("x")');
  assert.ok(p.kind === 'FunctionCall');
  assert.equal(p.name, 'provider::poolform::checksum');
  assert.equal(at(p.nameRange), '1:1-1:29');
  const n = expr('  upper(x)');
  assert.ok(n.kind === 'FunctionCall');
  assert.equal(at(n.nameRange), '1:3-1:8');
  assert.equal(at(n.range), '1:3-1:11');
});

test('for expressions: tuple and object forms, key var, grouping, condition', () => {
  assert.equal(sx(expr('[for x in xs : upper(x)]')), 'for(x in xs: upper(x))');
  assert.equal(sx(expr('[for i, x in xs : x if i > 0]')), 'for(i,x in xs: x if (i > 0))');
  assert.equal(sx(expr('{for k, v in m : k => v}')), 'for(k,v in m: k => v obj)');
  assert.equal(sx(expr('{for v in vms : v.host => v.name... if v.on}')), 'for(v in vms: v.host => v.name... if v.on obj)');
  assert.equal(sx(attr('a = [\n  for x in xs :\n  x\n]\n').expr), 'for(x in xs: x)');
});

// ------------------------------------------------------------------------- operators

test('binary operator precedence and associativity', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(1 + (2 * 3))'],
    ['1 * 2 + 3', '((1 * 2) + 3)'],
    ['1 - 2 - 3', '((1 - 2) - 3)'],
    ['8 / 4 % 3', '((8 / 4) % 3)'],
    ['a || b && c', '(a || (b && c))'],
    ['a && b || c', '((a && b) || c)'],
    ['a == b && c != d', '((a == b) && (c != d))'],
    ['a < b == c >= d', '((a < b) == (c >= d))'],
    ['a + 1 < b * 2', '((a + 1) < (b * 2))'],
    ['!a && b', '((!a) && b)'],
    ['-a + b', '((-a) + b)'],
    ['(1 + 2) * 3', '(((1 + 2)) * 3)'],
    ['a ? b : c ? d : e', '(a ? b : (c ? d : e))'],
    ['a || b ? 1 + 2 : 3', '((a || b) ? (1 + 2) : 3)'],
    ['!!x', '(!(!x))'],
    ['1 - -1', '(1 - -1)'],
  ];
  for (const [src, want] of cases) assert.equal(sx(expr(src)), want, src);
});

test('operator ranges point at the operator', () => {
  const e = expr('a  <=  b');
  assert.ok(e.kind === 'Binary');
  assert.equal(at(e.opRange), '1:4-1:6');
  assert.equal(at(e.range), '1:1-1:9');
});

test('newlines end an attribute value unless inside brackets', () => {
  assert.deepEqual(errors('a = 1 +\n  2\n')[0], 'Invalid expression @1:8');
  assert.equal(sx(attr('a = (1 +\n  2)\n').expr), '((1 + 2))');
  assert.equal(sx(attr('a = f(1,\n  2)\n').expr), 'f(1, 2)');
});

// ------------------------------------------------------------------------- traversals

test('literal traversals become one ScopeTraversal with ranged steps', () => {
  const e = expr('xen_vm.web[0].network["lan"].id');
  assert.ok(e.kind === 'ScopeTraversal');
  assert.equal(sx(e), 'xen_vm.web[0].network["lan"].id');
  assert.equal(at(e.rootRange), '1:1-1:7');
  assert.deepEqual(e.steps.map((s) => at(s.range)), ['1:8-1:11', '1:11-1:14', '1:15-1:22', '1:22-1:29', '1:30-1:32']);
  assert.equal(at(e.range), '1:1-1:32');
});

test('legacy index syntax a.0 is an index step', () => {
  const e = expr('xen_vm.web.0.id');
  assert.equal(sx(e), 'xen_vm.web[0].id');
});

test('a computed index turns the rest of the chain into Index/GetAttr nodes', () => {
  const e = expr('var.list[var.i + 1].name.first');
  assert.equal(sx(e), 'var.list[(var.i + 1)].name.first');
  assert.equal(e.kind, 'GetAttr');
  assert.ok(e.kind === 'GetAttr');
  assert.equal(at(e.nameRange), '1:26-1:31');
  assert.equal(sx(expr('f(x).a[0]')), 'f(x).a[0]');
  assert.equal(expr('f(x).a[0]').kind, 'Index');
  assert.equal(sx(expr('(a).b')), '(a).b');
  assert.equal(sx(expr('[1, 2][0]')), '[1, 2][0]');
});

test('splats: full, attribute-only, nested, index after attribute-only', () => {
  assert.equal(sx(expr('a[*].b')), 'splat(a, @.b)');
  assert.equal(sx(expr('a[*].b[0].c')), 'splat(a, @.b[0].c)');
  assert.equal(sx(expr('a.*.b.c')), 'splat.attr(a, @.b.c)');
  assert.equal(sx(expr('a.*.b[0]')), 'splat.attr(a, @.b)[0]');
  assert.equal(sx(expr('a[*].b[*].c')), 'splat(a, splat(@.b, @.c))');
  assert.equal(sx(expr('a[*]')), 'splat(a, @)');
  const s = expr('xs[*].id');
  assert.equal(at(s.range), '1:1-1:9');
});

// ------------------------------------------------------------------- standalone parses

test('parseExpression: positions offset by `start`, extra characters are an error', () => {
  const d = new Diagnostics();
  const e = parseExpression('var.x', 'main.hcl', d, { line: 10, col: 5, byte: 200 });
  assert.equal(at(e.range), '10:5-10:10');
  assert.equal(e.range.start.byte, 200);
  assert.equal(e.range.file, 'main.hcl');
  const d2 = new Diagnostics();
  parseExpression('1 2', 'cli', d2);
  assert.deepEqual(
    d2.list.map((x) => x.summary),
    ['Extra characters after expression'],
  );
  // newlines are not significant in a standalone expression
  assert.equal(sx(expr('{\n  a = 1\n}')), '{bare:"a"=1}');
  assert.equal(sx(expr('1 +\n 2')), '(1 + 2)');
});

test('parseTemplate: bare template text with directives, no backslash escapes', () => {
  const d = new Diagnostics();
  const t = parseTemplate('Hello ${name}!\n%{ for x in xs ~}\n- ${x}\n%{ endfor ~}\nback\\slash', 'tpl.tftpl', d);
  assert.deepEqual(d.list, []);
  assert.equal(sx(t), 'tmpl("Hello " ${name} "!\\n" for(x in xs; "- " ${x} "\\n") "back\\\\slash")');
  const t2 = parseTemplate('x=${y}', 'f.json', new Diagnostics(), { line: 3, col: 10, byte: 50 });
  assert.ok(t2.parts[1].kind === 'Interp');
  assert.equal(at(t2.parts[1].expr.range), '3:14-3:15');
  assert.equal(sx(parseTemplate('', 'e', new Diagnostics())), 'tmpl("")');
});

// ------------------------------------------------------------------------------ errors

test('errors carry line:col and several are reported in one run', () => {
  const src = [
    'a = [1 2]', // 1
    'b = f(1 2)', // 2
    'c = { x = 1 y = 2 }', // 3
    'd = ', // 4
    'e = 1 f = 2', // 5
    'ok = "fine"', // 6
    'g "l" {', // 7
  ].join('\n');
  assert.deepEqual(errors(src), [
    'Missing item separator @1:8',
    'Missing argument separator @2:9',
    'Missing attribute separator @3:13',
    'Invalid expression @4:5',
    'Missing newline after argument @5:7',
    'Unclosed configuration block @7:7',
  ]);
  // the valid line in the middle still parses
  const d = new Diagnostics();
  const f = parseHCL(src, 'bad.hcl', d);
  assert.ok(f.body.attributes.some((a) => a.name === 'ok'));
});

test('lexical errors: invalid characters, multi-line and unterminated strings', () => {
  assert.deepEqual(errors("a = 'x'\n"), ['Invalid character @1:5', 'Invalid character @1:7']);
  assert.deepEqual(errors('a = 1;\n'), ['Invalid character @1:6']);
  assert.deepEqual(errors('a = "abc\nb = 2\n'), ['Invalid multi-line string @1:5']);
  assert.deepEqual(errors('a = "abc'), ['Unterminated template string @1:5']);
  assert.deepEqual(errors('a = <<EOT\nabc\n'), ['Unterminated template string @1:5']);
  assert.deepEqual(errors('/* never closed\na = 1\n'), ['Unterminated comment @1:1']);
  assert.deepEqual(errors('a = "\\q"\n'), ['Invalid escape sequence @1:6']);
  assert.deepEqual(errors('a = "\\u12"\n'), ['Invalid escape sequence @1:6']);
});

test('a broken interpolation does not swallow the following lines', () => {
  assert.deepEqual(errors('a = "${x"\nb = 1 +\n'), [
    'Invalid multi-line string @1:9',
    'Extra characters after interpolation expression @1:9',
    'Invalid expression @2:8',
  ]);
});

test('block errors: bad header, single-line rules, stray braces, newline after block', () => {
  assert.deepEqual(errors('resource "a" = {\n}\n'), ['Invalid block definition @1:14']);
  assert.deepEqual(errors('a { b = 1, c = 2 }\n'), ['Invalid single-argument block definition @1:10']);
  assert.deepEqual(errors('a { b {} }\n'), ['Invalid single-argument block definition @1:5']);
  assert.deepEqual(errors('a {\n  b = 1 }\n'), ['Missing newline after argument @2:9']);
  assert.deepEqual(errors('a {\n} b = 1\n'), ['Missing newline after block definition @2:3']);
  assert.deepEqual(errors('}\na = 1\n'), ['Argument or block definition required @1:1']);
  assert.deepEqual(errors('a\n'), ['Argument or block definition required @1:1']);
  assert.deepEqual(errors('b "${x}" {}\n'), ['Invalid string literal @1:3']);
});

test('an unclosed block is reported, unless a string or comment ran to the end of the file', () => {
  // terraform reports both of these too
  assert.deepEqual(errors('a {\n  x = "%{ if y }z"\n'), ['Unclosed configuration block @1:3', 'Unterminated template directive @2:8']);
  assert.deepEqual(errors('a {\n  x = [\n'), ['Unclosed configuration block @1:3', 'Missing expression @3:1']);
  // the string or comment swallowed the closing brace: it is the one error
  assert.deepEqual(errors('a {\n  x = "abc'), ['Unterminated template string @2:7']);
  assert.deepEqual(errors('a {\n  x = <<EOT\n}\n'), ['Unterminated template string @2:7']);
  assert.deepEqual(errors('a {\n  /* x\n}\n'), ['Unterminated comment @2:3']);
});

test('expression errors: for, splat, legacy index, directives, parentheses', () => {
  assert.deepEqual(errors('a = [for x xs : x]\n'), ["Invalid 'for' expression @1:12"]);
  assert.deepEqual(errors('a = {for k, v in m : k v}\n'), ["Invalid 'for' expression @1:24"]);
  assert.deepEqual(errors('a = x.*.*\n'), ['Nested splat expression not allowed @1:9']);
  assert.deepEqual(errors('a = x.0.1\n'), ['Invalid legacy index syntax @1:7']);
  assert.deepEqual(errors('a = "%{ if x }y"\n'), ['Unterminated template directive @1:6']);
  assert.deepEqual(errors('a = "%{ endif }"\n'), ['Unexpected template directive @1:6']);
  assert.deepEqual(errors('a = "%{ bogus }"\n'), ['Invalid template directive @1:9']);
  assert.deepEqual(errors('a = (1 + 2\n'), ['Unbalanced parentheses @2:1']);
  assert.deepEqual(errors('a = x[1\n'), ['Missing close bracket on index @2:1']);
  assert.deepEqual(errors('a = f(xs..., 1)\n'), ['Missing closing parenthesis @1:12']);
  assert.deepEqual(errors('a = x ? 1\n'), ['Missing false expression in conditional @1:10']);
  assert.deepEqual(errors('a = x.\n'), ['Invalid attribute name @1:7']);
  assert.deepEqual(errors('a = {\n  k 1\n}\n'), ['Missing key/value separator @2:5']);
});

test('never throws, whatever the input', () => {
  /** Every diagnostic points into `src`: a range of this file, start before end, within the text. */
  const checkRanges = (d: Diagnostics, file: string, src: string): void => {
    for (const x of d.list) {
      const r = x.range;
      const where = `${JSON.stringify(src)}: ${x.summary} ${JSON.stringify(r)}`;
      assert.ok(r && r.start.line >= 1 && r.start.col >= 1, where);
      assert.equal(r.file, file, where);
      assert.ok(r.start.byte >= 0 && r.start.byte <= r.end.byte && r.end.byte <= src.length, where);
      assert.ok(r.start.line < r.end.line || (r.start.line === r.end.line && r.start.col <= r.end.col), where);
    }
  };
  let rejected = 0;
  for (const src of fuzzSources(2000)) {
    const d = new Diagnostics();
    const de = new Diagnostics();
    const dt = new Diagnostics();
    assert.doesNotThrow(() => parseHCL(src, 'fuzz.hcl', d), JSON.stringify(src));
    assert.doesNotThrow(() => parseExpression(src, 'fuzz', de), JSON.stringify(src));
    assert.doesNotThrow(() => parseTemplate(src, 'fuzz', dt), JSON.stringify(src));
    checkRanges(d, 'fuzz.hcl', src);
    checkRanges(de, 'fuzz', src);
    checkRanges(dt, 'fuzz', src);
    if (d.hasErrors) rejected++;
  }
  // The alphabet makes mostly broken input, so the error paths above were really exercised.
  assert.ok(rejected > 1000, `only ${rejected} of 2000 inputs were rejected`);
});

test('a large file parses into the expected number of blocks', () => {
  let src = '';
  for (let i = 0; i < 2000; i++)
    src += `resource "xen_vm" "vm_${i}" {\n  name_label = "vm-${i}-\${var.env}"\n  memory     = var.memory * 1024\n  template   = data.xen_template.base.id\n}\n`;
  const f = parse(src);
  assert.equal(f.body.blocks.length, 2000);
  const last = f.body.blocks[1999];
  assert.equal(last.labels[1], 'vm_1999');
  assert.equal(last.range.start.line, 1999 * 5 + 1);
  assert.equal(at(last.body.attributes[2].expr.range), `${1999 * 5 + 4}:16-${1999 * 5 + 4}:41`);
});

test('isIdentifier accepts exactly what the scanner reads as one name', async () => {
  const { isIdentifier } = await import('../../engine/config/hcl/scanner.js');
  for (const s of ['a', '_x', 'pool-1', 'vlan_20', 'größe', 'x9']) assert.equal(isIdentifier(s), true, s);
  for (const s of ['', '1a', '-a', 'a.b', 'a b', 'a"']) assert.equal(isIdentifier(s), false, s);
});
