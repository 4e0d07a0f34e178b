// Unit tests of the HCL JSON syntax (engine/config/hcl/json.ts) and of body content decoding
// (engine/config/hcl/content.ts) on both syntaxes: schema-driven attribute/block separation,
// the errors it reports (with nearest-name suggestions and positions), partial content.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHCLJSON, jsonObjectAsBody, jsonStringAsExpression } from '../../engine/config/hcl/json.js';
import { bodyContent, justAttributes, partialContent, type BodySchema } from '../../engine/config/hcl/content.js';
import { parseHCL } from '../../engine/config/hcl/parser.js';
import type { Body, Expr } from '../../engine/config/hcl/ast.js';
import { Diagnostics, type Range } from '../../engine/diagnostics.js';

function at(r: Range): string {
  return `${r.start.line}:${r.start.col}-${r.end.line}:${r.end.col}`;
}

function json(src: string): Body {
  const d = new Diagnostics();
  const f = parseHCLJSON(src, 'main.hcl.json', d);
  assert.deepEqual(d.list, []);
  return f.body;
}

function native(src: string): Body {
  const d = new Diagnostics();
  const f = parseHCL(src, 'main.hcl', d);
  assert.deepEqual(d.list, []);
  return f.body;
}

function errs(d: Diagnostics): string[] {
  return d.list.map((x) => `${x.summary} @${x.range?.start.line}:${x.range?.start.col}${x.suggestion ? ` ~${x.suggestion}` : ''}`);
}

/** A compact rendering of literal-ish expressions. */
function val(e: Expr): unknown {
  switch (e.kind) {
    case 'Literal':
      return e.value;
    case 'Template':
      return e.parts.map((p) => (p.kind === 'Text' ? p.value : p.kind === 'Interp' ? `\${${p.expr.kind}}` : `%{${p.kind}}`)).join('');
    case 'Tuple':
      return e.items.map(val);
    case 'Object':
      return Object.fromEntries(e.items.map((i) => [val(i.key), val(i.value)]));
    default:
      return `<${e.kind}>`;
  }
}

const ROOT: BodySchema = {
  attributes: [],
  blocks: [
    { type: 'variable', labelNames: ['name'] },
    { type: 'resource', labelNames: ['type', 'name'] },
    { type: 'locals', labelNames: [] },
    { type: 'output', labelNames: ['name'] },
  ],
};

// -------------------------------------------------------------------------- JSON syntax

test('JSON: root properties become blocks by the schema, one object level per label', () => {
  const body = json(`{
  "variable": { "env": { "default": "prod" }, "n": { "default": 3 } },
  "resource": {
    "xen_vm": {
      "web": { "name_label": "web-\${var.env}", "count": 2 },
      "db": [ { "name_label": "db-a" }, { "name_label": "db-b" } ]
    }
  },
  "locals": { "a": 1 },
  "//": "a comment, ignored"
}`);
  const d = new Diagnostics();
  const c = bodyContent(body, ROOT, d);
  assert.deepEqual(errs(d), []);
  assert.deepEqual(
    c.blocks.map((b) => [b.type, ...b.labels]),
    [
      ['variable', 'env'],
      ['variable', 'n'],
      ['resource', 'xen_vm', 'web'],
      ['resource', 'xen_vm', 'db'],
      ['resource', 'xen_vm', 'db'],
      ['locals'],
    ],
  );
  const web = c.blocks[2];
  assert.equal(at(web.typeRange), '3:3-3:13');
  assert.deepEqual(web.labelRanges.map(at), ['4:5-4:13', '5:7-5:12']);
  const attrs = justAttributes(web.body, d);
  assert.deepEqual(errs(d), []);
  assert.deepEqual([...attrs.keys()], ['name_label', 'count']);
  const nl = attrs.get('name_label')!;
  assert.equal(at(nl.nameRange), '5:16-5:28');
  assert.equal(val(nl.expr), 'web-${ScopeTraversal}');
  // the interpolated traversal points into the JSON string
  assert.ok(nl.expr.kind === 'Template' && nl.expr.parts[1].kind === 'Interp');
  assert.equal(at(nl.expr.parts[1].expr.range), '5:37-5:44');
  assert.equal(val(attrs.get('count')!.expr), 2);
});

test('JSON: values become literals, tuples, objects and templates', () => {
  const body = json('{"a": null, "b": true, "c": -1.5e2, "d": [1, "x"], "e": {"k": "v", "${var.k}": 2}, "f": "$${lit}", "g": "%{ if x }y%{ endif }"}');
  const d = new Diagnostics();
  const attrs = justAttributes(body, d);
  assert.deepEqual(errs(d), []);
  assert.equal(val(attrs.get('a')!.expr), null);
  assert.equal(val(attrs.get('b')!.expr), true);
  assert.equal(val(attrs.get('c')!.expr), -150);
  assert.deepEqual(val(attrs.get('d')!.expr), [1, 'x']);
  assert.deepEqual(val(attrs.get('e')!.expr), { k: 'v', '${ScopeTraversal}': 2 });
  assert.equal(val(attrs.get('f')!.expr), '${lit}');
  assert.equal(val(attrs.get('g')!.expr), '%{If}');
  assert.equal(at(attrs.get('d')!.expr.range), '1:42-1:50');
});

test('JSON: string escapes are decoded', () => {
  const attrs = justAttributes(json('{"s": "a\\"b\\\\c\\n\\u00e9\\/"}'), new Diagnostics());
  assert.equal(val(attrs.get('s')!.expr), 'a"b\\c\né/');
});

test('JSON: partialContent leaves untaken properties in a JSON remain body', () => {
  const body = json('{"count": 2, "name_label": "x", "disk": [{"size": 1}, {"size": 2}], "lifecycle": {"prevent_destroy": true}}');
  const d = new Diagnostics();
  const meta: BodySchema = { attributes: [{ name: 'count' }, { name: 'for_each' }], blocks: [{ type: 'lifecycle', labelNames: [] }] };
  const p = partialContent(body, meta, d);
  assert.deepEqual(errs(d), []);
  assert.deepEqual([...p.attributes.keys()], ['count']);
  assert.deepEqual(p.blocks.map((b) => b.type), ['lifecycle']);
  assert.deepEqual(p.remain.json!.props.map((x) => x.name), ['name_label', 'disk']);
  // the rest is decoded later with the resource's own schema, where "disk" is a nested block
  const rest = bodyContent(p.remain, { attributes: [{ name: 'name_label', required: true }], blocks: [{ type: 'disk', labelNames: [] }] }, d);
  assert.deepEqual(errs(d), []);
  assert.equal(rest.blocks.length, 2);
  assert.equal(val(justAttributes(rest.blocks[1].body, d).get('size')!.expr), 2);
});

test('JSON: jsonObjectAsBody turns an attribute value back into a body', () => {
  const body = json('{"settings": {"a": 1, "inner": {"b": 2}}}');
  const v = body.json!.props[0].value;
  const inner = jsonObjectAsBody(v, 'main.hcl.json');
  const d = new Diagnostics();
  const c = bodyContent(inner, { attributes: [{ name: 'a' }], blocks: [{ type: 'inner', labelNames: [] }] }, d);
  assert.deepEqual(errs(d), []);
  assert.equal(c.blocks.length, 1);
  assert.equal(val(c.attributes.get('a')!.expr), 1);
  assert.equal(jsonObjectAsBody({ kind: 'jnull', range: v.range }, 'f').json!.props.length, 0);
});

test('JSON: jsonStringAsExpression parses a string as an expression with positions', () => {
  const attrs = justAttributes(json('{\n  "depends_on": ["xen_vm.web[0]"]\n}'), new Diagnostics());
  const t = attrs.get('depends_on')!.expr;
  assert.ok(t.kind === 'Tuple');
  const d = new Diagnostics();
  const e = jsonStringAsExpression(t.items[0], 'main.hcl.json', d);
  assert.deepEqual(errs(d), []);
  assert.equal(e.kind, 'ScopeTraversal');
  assert.ok(e.kind === 'ScopeTraversal');
  assert.equal(e.root, 'xen_vm');
  assert.equal(at(e.rootRange), '2:19-2:25');
});

test('JSON: schema errors name the property and suggest the nearest name', () => {
  const body = json('{"resourse": {}, "variable": {"x": 5}, "output": []}');
  const d = new Diagnostics();
  bodyContent(body, ROOT, d);
  assert.deepEqual(errs(d), ['Unsupported argument @1:2 ~resource', 'Incorrect JSON value type @1:36']);
  // the renderer adds "Did you mean `resource`?" from the suggestion field: the text must not
  assert.doesNotMatch(d.list[0].detail!, /did you mean|resource\b/i);
});

test('JSON: syntax errors are reported with their position', () => {
  const cases: [string, string][] = [
    ['{"a": 1,}', 'Invalid JSON object property name @1:9'],
    ['{"a" 1}', 'Missing property value colon @1:6'],
    ['{\n  "a": "x\n}', 'Unterminated JSON string @2:8'],
    ['{"a": [1 2]}', 'Missing array element separator @1:10'],
    ['{"a": tru}', 'Invalid JSON keyword @1:7'],
    ['{"a": 1} x', 'Extraneous data after value @1:10'],
    ['[1]', 'Root value must be object @1:1'],
    ['', 'Empty JSON file @1:1'],
    ['{"a": {"b": 1}', 'Unclosed JSON object @1:1'],
    ['{"a": "\\x"}', 'Invalid JSON escape sequence @1:8'],
  ];
  for (const [src, want] of cases) {
    const d = new Diagnostics();
    const f = parseHCLJSON(src, 'bad.hcl.json', d);
    assert.deepEqual(errs(d), [want], src);
    assert.equal(f.body.kind, 'Body');
  }
});

test('JSON: template errors inside strings are reported', () => {
  const d = new Diagnostics();
  const f = parseHCLJSON('{"a": "${"}', 'bad.hcl.json', d);
  assert.deepEqual(errs(d), [], 'the JSON itself is valid');
  justAttributes(f.body, d);
  assert.equal(d.hasErrors, true);
  assert.equal(d.list[0].range!.start.line, 1);
  // the string's content starts at column 8, so the missing expression after `${` is at 10
  assert.deepEqual(errs(d), ['Missing expression @1:10']);
});

// -------------------------------------------------------------------- content (native)

const VM: BodySchema = {
  attributes: [{ name: 'name_label', required: true }, { name: 'memory' }, { name: 'cpus' }],
  blocks: [
    { type: 'disk', labelNames: [] },
    { type: 'network', labelNames: [] },
  ],
};

test('native: bodyContent splits attributes and blocks by the schema', () => {
  const body = native('name_label = "a"\ncpus = 2\ndisk {\n  size = 1\n}\ndisk {}\nnetwork {}\n');
  const d = new Diagnostics();
  const c = bodyContent(body, VM, d);
  assert.deepEqual(errs(d), []);
  assert.deepEqual([...c.attributes.keys()], ['name_label', 'cpus']);
  assert.deepEqual(c.blocks.map((b) => b.type), ['disk', 'disk', 'network']);
});

test('native: unknown names get the nearest valid name', () => {
  const body = native('name_label = "a"\nmemmory = 1\ndsk {}\nnetwork = 1\ncpus {}\n');
  const d = new Diagnostics();
  bodyContent(body, VM, d);
  assert.deepEqual(errs(d), [
    'Unsupported argument @2:1 ~memory',
    'Unsupported argument @4:1',
    'Unsupported block type @3:1 ~disk',
    'Unsupported block type @5:1',
  ]);
  assert.match(d.list[1].detail!, /Did you mean to define a block of type "network"\?/);
  assert.match(d.list[3].detail!, /Did you mean to define argument "cpus"\?/);
  // name suggestions travel only in the suggestion field (the renderer words them)
  assert.doesNotMatch(d.list[0].detail!, /did you mean|\bmemory\b/i);
  assert.doesNotMatch(d.list[2].detail!, /did you mean|\bdisk\b/i);
});

test('native: missing required argument points at the block body', () => {
  const f = parseHCL('resource "xen_vm" "a" {\n  cpus = 1\n}\n', 'main.hcl', new Diagnostics());
  const d = new Diagnostics();
  bodyContent(f.body.blocks[0].body, VM, d);
  assert.deepEqual(errs(d), ['Missing required argument @1:23']);
  assert.match(d.list[0].detail!, /"name_label" is required/);
});

test('native: duplicate arguments are reported at the second one', () => {
  const body = native('name_label = "a"\ncpus = 1\ncpus = 2\n');
  const d = new Diagnostics();
  const c = bodyContent(body, VM, d);
  assert.deepEqual(errs(d), ['Duplicate argument @3:1']);
  assert.match(d.list[0].detail!, /already set at main\.hcl:2,1/);
  assert.equal(c.attributes.get('cpus')!.nameRange.start.line, 2);
});

test('native: label count errors', () => {
  const body = native('resource "xen_vm" {\n}\nresource "a" "b" "c" {\n}\nlocals "x" {\n}\nvariable "ok" {\n}\n');
  const d = new Diagnostics();
  const c = bodyContent(body, ROOT, d);
  assert.deepEqual(errs(d), ['Missing name for resource @1:19', 'Extraneous label for resource @3:18', 'Extraneous label for locals @5:8']);
  assert.match(d.list[0].detail!, /All resource blocks must have 2 labels \("type", "name"\)/);
  assert.match(d.list[2].detail!, /No labels are expected for locals blocks/);
  assert.deepEqual(c.blocks.map((b) => b.type), ['variable']);
});

test('native: partialContent takes meta-arguments and leaves the rest in remain', () => {
  const body = native('count = 2\nname_label = "a"\nlifecycle {\n  prevent_destroy = true\n}\ndisk {}\n');
  const meta: BodySchema = {
    attributes: [{ name: 'count' }, { name: 'for_each' }, { name: 'depends_on' }],
    blocks: [{ type: 'lifecycle', labelNames: [] }],
  };
  const d = new Diagnostics();
  const p = partialContent(body, meta, d);
  assert.deepEqual(errs(d), []);
  assert.deepEqual([...p.attributes.keys()], ['count']);
  assert.deepEqual(p.blocks.map((b) => b.type), ['lifecycle']);
  assert.deepEqual(p.remain.attributes.map((a) => a.name), ['name_label']);
  assert.deepEqual(p.remain.blocks.map((b) => b.type), ['disk']);
  assert.deepEqual(p.remain.range, body.range);
});

test('native: justAttributes rejects blocks and duplicates', () => {
  const body = native('a = 1\nb = 2\nnested {}\na = 3\n');
  const d = new Diagnostics();
  const attrs = justAttributes(body, d);
  assert.deepEqual([...attrs.keys()], ['a', 'b']);
  assert.deepEqual(errs(d), ['Duplicate argument @4:1', 'Unexpected "nested" block @3:1']);
});
