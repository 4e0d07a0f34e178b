// Unit tests of the expression evaluator (engine/lang/eval.ts) and scopes (engine/lang/scope.ts):
// values, errors with their ranges, unknown and sensitive propagation, function-call rules,
// references. Expressions come from the HCL parser; a few tests build AST nodes by hand to pin
// behaviour that does not depend on how the parser shapes its output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate } from '../../engine/config/hcl/parser.js';
import type { Expr, TemplateExpr } from '../../engine/config/hcl/ast.js';
import { Diagnostics, type Range } from '../../engine/diagnostics.js';
import { evaluate, evaluateTemplate, makeFunctionContext, references } from '../../engine/lang/eval.js';
import { childScope, valuesScope, NO_FUNCTION_CONTEXT, type EvalScope } from '../../engine/lang/scope.js';
import { FunctionError, type FunctionDef } from '../../engine/lang/functions/types.js';
import { Sensitive, UNKNOWN, Unknown, isUnknown, type Value } from '../../engine/lang/value.js';
import { assertNoDiagnostics, onlyError, parseClean, type OneError } from './lang-harness.js';

// ------------------------------------------------------------------------------ fixtures

const calls: string[] = [];

const FUNCS: Record<string, FunctionDef> = {
  upper: { params: [{ name: 'str', type: 'string' }], impl: ([s]) => (s as string).toUpperCase() },
  length: {
    params: [{ name: 'value', type: 'any' }],
    impl: ([v]) => (Array.isArray(v) ? v.length : typeof v === 'string' ? v.length : Object.keys(v as object).length),
  },
  join: {
    params: [{ name: 'separator', type: 'string' }],
    variadic: { name: 'lists', type: 'list' },
    impl: ([sep, ...lists]) => (lists as Value[][]).flat().join(sep as string),
  },
  max: {
    params: [],
    variadic: { name: 'numbers', type: 'number' },
    impl: (ns) => {
      if (ns.length === 0) throw new FunctionError('must pass at least one number');
      return Math.max(...(ns as number[]));
    },
  },
  lookup: {
    params: [
      { name: 'inputMap', type: 'map' },
      { name: 'key', type: 'string' },
    ],
    variadic: { name: 'default', type: 'any', allowNull: true },
    impl: ([m, k, d]) => {
      const o = m as Record<string, Value>;
      if (Object.prototype.hasOwnProperty.call(o, k as string)) return o[k as string];
      if (d !== undefined) return d;
      throw new FunctionError(`the given object has no attribute "${k}"`, 1);
    },
  },
  coalesce: {
    params: [],
    variadic: { name: 'vals', type: 'any', allowNull: true },
    impl: (vs) => vs.find((v) => v !== null && v !== '') ?? null,
  },
  tonumber: { params: [{ name: 'v', type: 'number' }], impl: ([v]) => v },
  not: { params: [{ name: 'b', type: 'bool' }], impl: ([b]) => !b },
  keys: { params: [{ name: 'inputMap', type: 'map' }], impl: ([m]) => Object.keys(m as object).sort() },
  record: {
    params: [{ name: 'v', type: 'any' }],
    impl: ([v]) => {
      calls.push(JSON.stringify(v));
      return v;
    },
  },
  isknown: { params: [{ name: 'v', type: 'any', allowUnknown: true }], impl: ([v]) => !(v instanceof Unknown) },
  sensitive: { params: [{ name: 'v', type: 'any', allowNull: true, allowUnknown: true }], keepsMarks: true, impl: ([v]) => (v instanceof Sensitive ? v : new Sensitive(v)) },
  nonsensitive: { params: [{ name: 'v', type: 'any' }], keepsMarks: true, impl: ([v]) => (v instanceof Sensitive ? v.value : v) },
  boom: {
    params: [],
    impl: () => {
      throw new Error('kaboom');
    },
  },
};

const VARS: Record<string, Value> = {
  name: 'web',
  count: 3,
  str_num: '42',
  flag: true,
  nothing: null,
  list: ['a', 'b', 'c'],
  nums: [1, 2, 3],
  map: { b: 2, a: 1, '10': 10 },
  obj: { id: 'x1', nested: { mtu: 1500 } },
  vms: [
    { id: 'vm1', tags: ['t1'] },
    { id: 'vm2', tags: ['t2'] },
  ],
  secret: new Sensitive('hunter2'),
  secret_obj: new Sensitive({ user: 'admin', port: 22 }),
  secret_list: [new Sensitive('p1'), 'p2'],
  later: UNKNOWN,
  later_str: new Unknown('string'),
  later_list: new Unknown('list'),
  partial: ['a', UNKNOWN],
};

function scopeWith(roots: Record<string, Value>): EvalScope {
  return valuesScope(roots, FUNCS, NO_FUNCTION_CONTEXT);
}

const ROOTS: Record<string, Value> = {
  var: VARS,
  local: { region: 'eu', enabled: false },
  xenserver_vm: { web: { id: 'OpaqueRef:1', name_label: 'web' }, db: [{ id: 'db0' }, { id: 'db1' }] },
  data: { xenserver_pool: { main: { uuid: 'p-1' } } },
  module: { net: { bridge: 'xenbr0' } },
  path: { module: '.' },
};
const SCOPE = scopeWith(ROOTS);

const parse = (src: string): Expr => parseClean(src, 'test.hcl');

function ev(src: string, scope: EvalScope = SCOPE): { value: Value; diags: Diagnostics } {
  const diags = new Diagnostics();
  const value = evaluate(parse(src), scope, diags);
  return { value, diags };
}

/** Evaluate expecting no diagnostics. */
function val(src: string, scope: EvalScope = SCOPE): Value {
  const { value, diags } = ev(src, scope);
  assertNoDiagnostics(diags, src);
  return value;
}

/** Evaluate expecting exactly one error; returns it with the source text its range covers. */
function err(src: string, scope: EvalScope = SCOPE): OneError & { value: Value } {
  const { value, diags } = ev(src, scope);
  return { ...onlyError(diags, src), value };
}

// Hand-built AST nodes for parser-independent tests.
let pos = 0;
function r(): Range {
  const start = pos;
  pos += 10;
  return { file: 'ast.hcl', start: { line: 1, col: start + 1, byte: start }, end: { line: 1, col: start + 10, byte: start + 9 } };
}
const lit = (value: null | boolean | number | string): Expr => ({ kind: 'Literal', value, range: r() });
const trav = (root: string, ...names: (string | number)[]): Expr => ({
  kind: 'ScopeTraversal',
  root,
  rootRange: r(),
  steps: names.map((n) => (typeof n === 'string' ? { kind: 'attr' as const, name: n, range: r() } : { kind: 'index' as const, key: n, range: r() })),
  range: r(),
});

// ------------------------------------------------------------------------------ literals, traversal

test('literals, tuples, objects, parens', () => {
  assert.equal(val('42'), 42);
  assert.equal(val('"hi"'), 'hi');
  assert.equal(val('true'), true);
  assert.equal(val('null'), null);
  assert.deepEqual(val('[1, "a", [true]]'), [1, 'a', [true]]);
  assert.deepEqual(val('{a = 1, "b-c" = 2, (var.name) = 3, 4 = "four"}'), { a: 1, 'b-c': 2, web: 3, '4': 'four' });
  assert.equal(val('(1 + 2) * 3'), 9);
});

test('object keys: null key is an error, unknown key makes the object unknown, __proto__ is an ordinary key', () => {
  const e = err('{(var.nothing) = 1}');
  assert.equal(e.summary, 'Invalid object key');
  assert.equal(e.text, '(var.nothing)');
  assert.ok(isUnknown(val('{(var.later) = 1, b = 2}')));
  const o = val('{"__proto__" = 1}') as Record<string, Value>;
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
});

test('scope traversals: attributes and literal indexes', () => {
  assert.equal(val('var.name'), 'web');
  assert.equal(val('var.obj.nested.mtu'), 1500);
  assert.equal(val('var.list[1]'), 'b');
  assert.equal(val('var.list["2"]'), 'c'); // numeric string index
  assert.equal(val('var.map["a"]'), 1);
  assert.equal(val('var.map[10]'), 10); // number key converted to string
  assert.equal(val('xenserver_vm.db[1].id'), 'db1');
  assert.equal(val('data.xenserver_pool.main.uuid'), 'p-1');
  assert.equal(val('var.vms[0]["tags"][0]'), 't1');
  assert.equal(val('var.list[var.count - 2]'), 'b'); // dynamic index
  assert.equal(val('{a = {b = "c"}}.a.b'), 'c'); // GetAttr on a non-root expression
});

test('traversal results are not copied', () => {
  assert.equal(val('var.obj'), VARS.obj);
  assert.equal(val('var.vms'), VARS.vms);
});

test('undeclared roots: message by kind, nearest name, range of the reference', () => {
  let e = err('xenserver_mv.web.id');
  assert.equal(e.summary, 'Reference to undeclared resource');
  assert.match(e.detail, /"xenserver_mv" "web"/);
  assert.equal(e.suggestion, 'xenserver_vm');
  assert.equal(e.text, 'xenserver_mv.web.id');
  assert.equal(e.value, UNKNOWN);

  e = err('vars');
  assert.equal(e.summary, 'Reference to undeclared name');
  assert.equal(e.suggestion, 'var');

  e = err('each.key');
  assert.equal(e.summary, 'Reference to "each" in context without for_each');
  e = err('count.index');
  assert.equal(e.summary, 'Reference to "count" in non-counted context');
});

test('undeclared names under var/local/module/data/resources', () => {
  let e = err('var.nmae');
  assert.equal(e.summary, 'Reference to undeclared input variable');
  assert.match(e.detail, /"nmae"/);
  assert.equal(e.suggestion, 'name');
  assert.equal(e.text, 'var.nmae');

  e = err('local.regoin');
  assert.equal(e.summary, 'Reference to undeclared local value');
  assert.equal(e.suggestion, 'region');

  e = err('module.nett.bridge');
  assert.equal(e.summary, 'Reference to undeclared module');
  assert.equal(e.text, 'module.nett');

  e = err('data.xenserver_pool.mian.uuid');
  assert.equal(e.summary, 'Reference to undeclared resource');
  assert.match(e.detail, /data resource "xenserver_pool" "mian"/);
  assert.equal(e.suggestion, 'main');

  e = err('xenserver_vm.wbe.id');
  assert.equal(e.summary, 'Reference to undeclared resource');
  assert.equal(e.suggestion, 'web');
});

test('describeMissing lets a scope explain missing references', () => {
  const scope: EvalScope = {
    ...SCOPE,
    lookup: SCOPE.lookup,
    rootNames: SCOPE.rootNames,
    describeMissing: (root, steps, i) => ({ summary: `custom ${root} ${i}`, detail: steps.map((s) => (s.kind === 'attr' ? s.name : s.key)).join('/') }),
  };
  let e = err('nope.a', scope);
  assert.equal(e.summary, 'custom nope -1');
  e = err('xenserver_vm.db[5].id', scope);
  assert.equal(e.summary, 'custom xenserver_vm 1');
  assert.equal(e.detail, 'db/5/id');
  assert.equal(e.text, 'xenserver_vm.db[5]');
});

test('unsupported attribute, with the nearest attribute', () => {
  const e = err('var.obj.nestd.mtu');
  assert.equal(e.summary, 'Unsupported attribute');
  assert.match(e.detail, /"nestd"/);
  assert.equal(e.suggestion, 'nested');
  assert.equal(e.text, 'nestd');
  const g = err('{a = {bb = 1}}.a.b');
  assert.equal(g.summary, 'Unsupported attribute');
  assert.equal(g.suggestion, 'bb');
  assert.equal(g.text, 'b');
});

test('attribute access on lists, primitives and null', () => {
  let e = err('var.vms.id');
  assert.equal(e.summary, 'Unsupported attribute');
  assert.match(e.detail, /\[\*\]\.id/);
  e = err('var.name.length');
  assert.equal(e.summary, 'Unsupported attribute');
  assert.match(e.detail, /string/);
  e = err('var.nothing.id');
  assert.equal(e.summary, 'Attempt to get attribute from null value');
  assert.equal(e.text, 'id');
});

test('index errors: out of range with the length, bad keys, null', () => {
  let e = err('var.list[3]');
  assert.equal(e.summary, 'Invalid index');
  assert.match(e.detail, /3 element/);
  assert.equal(e.text, '[3]');
  e = err('var.list[-1]');
  assert.equal(e.summary, 'Invalid index');
  e = err('var.list[1.5]');
  assert.match(e.detail, /whole number/);
  e = err('var.list["x"]');
  assert.match(e.detail, /number is required/);
  e = err('var.map["c"]');
  assert.equal(e.summary, 'Invalid index');
  assert.match(e.detail, /"c"/);
  e = err('var.map[var.nothing]');
  assert.match(e.detail, /null value as an indexing key/);
  e = err('var.nothing[0]');
  assert.equal(e.summary, 'Attempt to index null value');
  e = err('var.count[0]');
  assert.match(e.detail, /number; it does not have any indices/);
  e = err('var.list[var.count]');
  assert.equal(e.text, 'var.count');
});

test('unknowns: traversal through unknown is unknown; unknown index key gives unknown', () => {
  assert.equal(val('var.later.anything[3].x'), UNKNOWN);
  assert.equal(val('var.list[var.later]'), UNKNOWN);
  assert.equal(val('var.partial[1]'), UNKNOWN);
  assert.equal(val('var.partial[0]'), 'a');
});

test('sensitive: traversal through a sensitive value gives a sensitive result', () => {
  const v = val('var.secret_obj.user');
  assert.ok(v instanceof Sensitive);
  assert.equal((v as Sensitive).value, 'admin');
  const s = val('var.secret');
  assert.ok(s instanceof Sensitive && s.value === 'hunter2');
  assert.ok(!(val('var.secret_list[1]') instanceof Sensitive));
  assert.ok(val('var.secret_list[0]') instanceof Sensitive);
  // sensitive key marks the result
  const k = val('var.map[sensitive("a")]');
  assert.ok(k instanceof Sensitive && k.value === 1);
});

// ------------------------------------------------------------------------------ splat

test('splats: full and attribute-only forms, null, single values, unknown', () => {
  assert.deepEqual(val('var.vms[*].id'), ['vm1', 'vm2']);
  assert.deepEqual(val('var.vms.*.id'), ['vm1', 'vm2']);
  assert.deepEqual(val('var.vms[*].tags[0]'), ['t1', 't2']);
  assert.deepEqual(val('var.nothing[*].id'), []);
  assert.deepEqual(val('var.obj[*].id'), ['x1']);
  assert.deepEqual(val('var.list[*]'), ['a', 'b', 'c']);
  assert.deepEqual(val('var.name[*]'), ['web']);
  assert.ok(isUnknown(val('var.later[*].id')));
  assert.ok(isUnknown(val('var.later_list[*].id')));
  const s = val('var.secret_obj[*].port');
  assert.ok(s instanceof Sensitive);
  assert.deepEqual(s.value, [22]);
  const e = err('var.vms[*].idd');
  assert.equal(e.summary, 'Unsupported attribute');
  assert.equal(e.suggestion, 'id');
  // nested splats
  assert.deepEqual(
    val('[{a = [{b = 1}, {b = 2}]}, {a = [{b = 3}]}][*].a[*].b' as string),
    [[1, 2], [3]],
  );
});

// ------------------------------------------------------------------------------ templates

test('templates: concatenation with conversion, and "${x}" alone is x unconverted', () => {
  assert.equal(val('"vm-${var.name}-${var.count}-${var.flag}"'), 'vm-web-3-true');
  assert.equal(val('"${1.5 * 2}/${0.1 + 0.2}"'), '3/0.3');
  assert.deepEqual(val('"${var.list}"'), ['a', 'b', 'c']);
  assert.equal(val('"${var.count}"'), 3);
  assert.equal(val('""'), '');
});

test('templates: null and collections in interpolations are errors at the interpolation', () => {
  let e = err('"a-${var.nothing}"');
  assert.equal(e.summary, 'Invalid template interpolation value');
  assert.match(e.detail, /null/);
  assert.equal(e.text, 'var.nothing');
  assert.ok(isUnknown(e.value));
  e = err('"a-${var.list}"');
  assert.equal(e.summary, 'Invalid template interpolation value');
  assert.match(e.detail, /string required/);
});

test('templates: unknown and sensitive parts', () => {
  const u = val('"id-${var.later}"');
  assert.ok(u instanceof Unknown && u.type === 'string');
  const s = val('"pw=${var.secret}"');
  assert.ok(s instanceof Sensitive && s.value === 'pw=hunter2');
  const su = val('"${var.secret}${var.later}"');
  assert.ok(su instanceof Sensitive && su.value instanceof Unknown);
});

test('templates: if/for directives and strip markers (heredoc)', () => {
  const src = '<<EOT\n%{ for i, x in var.list ~}\n${i}=${x}\n%{ endfor ~}\n%{ if var.flag }on%{ else }off%{ endif }\nEOT\n';
  assert.equal(val(src), '0=a\n1=b\n2=c\non\n');
  assert.equal(val('"%{ for k, v in var.map }${k}:${v},%{ endfor }"'), '10:10,a:1,b:2,');
  assert.equal(val('"a ${var.name ~}   b"'), 'a webb');
  assert.equal(val('"a   ${~ var.name} b"'), 'aweb b');
  let e = err('"%{ if var.name }x%{ endif }"');
  assert.equal(e.summary, 'Incorrect condition type');
  assert.equal(e.text, 'var.name');
  assert.ok(isUnknown(val('"%{ if var.later }x%{ endif }"')));
  e = err('"%{ for x in var.nothing }x%{ endfor }"');
  assert.equal(e.summary, 'Iteration over null value');
});

test('templates: strip markers on hand-built parts trim whitespace and newlines of adjacent text', () => {
  const t: TemplateExpr = {
    kind: 'Template',
    range: r(),
    parts: [
      { kind: 'Text', value: 'a \n\t', range: r() },
      { kind: 'Interp', expr: lit('X'), stripLeft: true, stripRight: true, range: r() },
      { kind: 'Text', value: ' \n b', range: r() },
      { kind: 'Interp', expr: lit(1), stripLeft: false, stripRight: false, range: r() },
    ],
  };
  const d = new Diagnostics();
  assert.equal(evaluate(t, SCOPE, d), 'aXb1');
  assert.equal(evaluateTemplate(t, SCOPE, d), 'aXb1');
  assert.equal(d.list.length, 0);
});

test('templatefile rendering through makeFunctionContext', () => {
  const ctx = makeFunctionContext('/base', parseTemplate, FUNCS);
  assert.equal(ctx.baseDir, '/base');
  assert.equal(ctx.renderTemplate('Hello ${upper(name)}%{ for n in nums }-${n}%{ endfor }\n', 'x.tmpl', { name: 'bob', nums: [1, 2] }), 'Hello BOB-1-2\n');
  assert.deepEqual(ctx.renderTemplate('${list}', 'y.tmpl', { list: [1] }), [1]);
  assert.throws(
    () => ctx.renderTemplate('${nmae}', 'z.tmpl', { name: 'x' }),
    (e: unknown) => e instanceof FunctionError && /z\.tmpl:1:3: Reference to undeclared name/.test(e.message) && /did you mean "name"/.test(e.message),
  );
});

// ------------------------------------------------------------------------------ operators

test('arithmetic with numeric strings, modulo, unary minus', () => {
  assert.equal(val('1 + 2 * 3 - 4 / 2'), 5);
  assert.equal(val('var.str_num + 1'), 43);
  assert.equal(val('"1.5" * 2'), 3);
  assert.equal(val('7 % 3'), 1);
  assert.equal(val('-7 % 3'), -1);
  assert.equal(val('5 % 3.5'), 1.5);
  assert.equal(val('-var.count'), -3);
  assert.equal(val('-var.str_num'), -42);
});

test('arithmetic errors name the operand and point at it', () => {
  let e = err('1 + "a"');
  assert.equal(e.summary, 'Invalid operand');
  assert.match(e.detail, /right operand: a number is required/);
  assert.equal(e.text, '"a"');
  e = err('var.nothing * 2');
  assert.match(e.detail, /left operand/);
  assert.equal(e.text, 'var.nothing');
  e = err('var.list - 1');
  assert.equal(e.text, 'var.list');
  e = err('-var.name');
  assert.equal(e.summary, 'Invalid operand');
  e = err('1 / (var.count - 3)');
  assert.equal(e.summary, 'Division by zero');
  assert.equal(e.text, '1 / (var.count - 3)');
  e = err('5 % 0');
  assert.equal(e.summary, 'Division by zero');
});

test('comparison and logic', () => {
  assert.equal(val('1 < 2'), true);
  assert.equal(val('"10" > 9'), true);
  assert.equal(val('2 <= 2 && 3 >= 4'), false);
  assert.equal(val('true || false'), true);
  assert.equal(val('"true" && true'), true);
  assert.equal(val('!var.flag'), false);
  assert.equal(val('!"false"'), true);
  const e = err('"a" < 1');
  assert.equal(e.summary, 'Invalid operand');
  assert.equal(ev('"a" < "b"').diags.list.length, 2); // both operands are wrong
  const l = err('var.flag && 1');
  assert.match(l.detail, /right operand: a bool is required/);
  assert.equal(l.text, '1');
});

test('equality is deep and typed', () => {
  assert.equal(val('1 == "1"'), false);
  assert.equal(val('[1, {a = [2]}] == [1, {a = [2]}]'), true);
  assert.equal(val('{a = 1} == {a = 1, b = 2}'), false);
  assert.equal(val('var.nothing == null'), true);
  assert.equal(val('var.obj != null'), true);
  assert.equal(val('[] == []'), true);
});

test('unknown operands give typed unknowns; nothing short-circuits', () => {
  const n = val('var.later + 1');
  assert.ok(n instanceof Unknown && n.type === 'number');
  const b = val('var.later == 1');
  assert.ok(b instanceof Unknown && b.type === 'bool');
  const l = val('var.later && false');
  assert.ok(l instanceof Unknown && l.type === 'bool');
  assert.ok(isUnknown(val('true || var.later')));
  assert.ok(isUnknown(val('!var.later')));
  assert.ok(isUnknown(val('var.later_str < 3')));
  // partially unknown collections: unknown unless a definite difference exists
  assert.ok(isUnknown(val('var.partial == ["a", "b"]')));
  assert.equal(val('var.partial == ["x", "b"]'), false);
  assert.equal(val('var.partial == ["a"]'), false);
  // an unknown of a non-number type is still an operand error
  const e = err('var.later_list + 1');
  assert.equal(e.summary, 'Invalid operand');
});

test('sensitive operands give sensitive results', () => {
  const v = val('var.secret == "hunter2"');
  assert.ok(v instanceof Sensitive && v.value === true);
  const a = val('var.secret_obj.port + 1');
  assert.ok(a instanceof Sensitive && a.value === 23);
  const deep = val('var.secret_list == ["p1", "p2"]');
  assert.ok(deep instanceof Sensitive && deep.value === true);
  assert.ok(val('!sensitive(true)') instanceof Sensitive);
});

test('an error does not cascade: one root cause, one diagnostic', () => {
  const { diags, value } = ev('upper("${(var.nmae + 1) * 2}") == "x" ? [for x in var.list : x] : 1');
  assert.equal(value, UNKNOWN);
  assert.deepEqual(
    diags.list.map((d) => d.summary),
    ['Reference to undeclared input variable'],
  );
});

test('all independent errors are reported', () => {
  const { diags } = ev('[var.a1, var.a2, 1 + "x", nope(1)]');
  assert.deepEqual(
    diags.list.map((d) => d.summary),
    ['Reference to undeclared input variable', 'Reference to undeclared input variable', 'Invalid operand', 'Call to unknown function'],
  );
});

// ------------------------------------------------------------------------------ conditionals

test('conditionals: selection, bool conversion, result type unification', () => {
  assert.equal(val('var.flag ? "yes" : "no"'), 'yes');
  assert.equal(val('"false" ? 1 : 2'), 2);
  assert.equal(val('false ? "a" : 1'), '1');
  assert.equal(val('true ? true : "x"'), 'true');
  assert.equal(val('true ? 1 : 2'), 1);
  assert.equal(val('true ? 1 : null'), 1);
  assert.deepEqual(val('true ? {a = 1} : {b = 2}'), { a: 1 });
});

test('conditionals: only the taken branch reports run-time errors', () => {
  assert.equal(val('var.nothing != null ? var.nothing.id : "none"'), 'none');
  assert.equal(val('var.flag ? 1 : upper(var.list)'), 1);
  assert.equal(val('var.flag ? 1 : "a" + 1'), 1);
  assert.equal(val('var.flag ? 1 : [for x in var.nums : x.nope]'), 1);
});

test('conditionals: undeclared names in the untaken branch are still errors', () => {
  let e = err('var.flag ? 1 : var.undefined_thing');
  assert.equal(e.summary, 'Reference to undeclared input variable');
  assert.equal(e.text, 'var.undefined_thing');
  e = err('var.flag ? "a" : nope.a');
  assert.equal(e.summary, 'Reference to undeclared resource');
  e = err('var.flag ? 1 : data.xenserver_pool.other.uuid');
  assert.equal(e.summary, 'Reference to undeclared resource');
  e = err('var.flag ? 1 : xenserver_vm.wbe.id');
  assert.equal(e.suggestion, 'web');
  assert.equal(val('var.flag ? 1 : [for item in var.vms : item.id]'), 1);
});

test('conditionals: condition errors and unknown conditions', () => {
  let e = err('var.nothing ? 1 : 2');
  assert.equal(e.summary, 'Null condition');
  assert.equal(e.text, 'var.nothing');
  e = err('var.name ? 1 : 2');
  assert.equal(e.summary, 'Incorrect condition type');
  const u = val('var.later ? "a" : "b"');
  assert.ok(u instanceof Unknown && u.type === 'string');
  const m = val('var.later ? "a" : 1');
  assert.ok(m instanceof Unknown && m.type === 'string');
  assert.equal(val('var.later ? [1] : {}'), UNKNOWN);
  // both branches can happen, so both report errors
  const { diags } = ev('var.later ? var.x1 : var.x2');
  assert.equal(diags.list.length, 2);
  const s = val('sensitive(true) ? 1 : 2');
  assert.ok(s instanceof Sensitive && s.value === 1);
});

// ------------------------------------------------------------------------------ for expressions

test('for expressions over lists, maps (lexical key order), with filters', () => {
  assert.deepEqual(val('[for x in var.list : upper(x)]'), ['A', 'B', 'C']);
  assert.deepEqual(val('[for i, x in var.list : "${i}${x}"]'), ['0a', '1b', '2c']);
  assert.deepEqual(val('[for k, v in var.map : k]'), ['10', 'a', 'b']);
  assert.deepEqual(val('[for v in var.map : v]'), [10, 1, 2]);
  assert.deepEqual(val('{for x in var.vms : x.id => x.tags[0]}'), { vm1: 't1', vm2: 't2' });
  assert.deepEqual(val('[for n in var.nums : n * 10 if n != 2]'), [10, 30]);
  assert.deepEqual(val('{for s in ["a", "bb", "cc"] : length(s) => s...}'), { '1': ['a'], '2': ['bb', 'cc'] });
  assert.deepEqual(val('[for x in [] : x]'), []);
  // iteration variables shadow outer names and do not leak
  assert.deepEqual(val('[for var in [1, 2] : var + 1]'), [2, 3]);
  assert.deepEqual(val('[for x in [[1, 2], [3]] : [for y in x : y * 2]]'), [[2, 4], [6]]);
});

test('for expression errors', () => {
  let e = err('{for x in ["a", "a"] : x => 1}');
  assert.equal(e.summary, 'Duplicate object key');
  assert.match(e.detail, /"a"/);
  assert.equal(e.text, 'x');
  e = err('[for x in var.nothing : x]');
  assert.equal(e.summary, 'Iteration over null value');
  assert.equal(e.text, 'var.nothing');
  e = err('[for x in var.name : x]');
  assert.equal(e.summary, 'Iteration over non-iterable value');
  e = err('[for x in var.nums : x if x]');
  assert.equal(e.summary, 'Invalid for expression condition');
  assert.equal(e.text, 'x');
  e = err('{for x in var.vms : x.tags => 1}');
  assert.equal(e.summary, 'Invalid object key');
  e = err('[for x in var.vms : x.idd]');
  assert.equal(e.summary, 'Unsupported attribute');
  assert.equal(e.suggestion, 'id');
  // a typo of the iteration variable suggests it
  e = err('[for item in var.vms : itme.id]');
  assert.equal(e.suggestion, 'item');
});

test('for expressions: unknown collection, condition or key give unknown; sensitive collection marks', () => {
  const t = val('[for x in var.later : x]');
  assert.ok(t instanceof Unknown && t.type === 'tuple');
  const o = val('{for x in var.later : x => x}');
  assert.ok(o instanceof Unknown && o.type === 'object');
  assert.ok(isUnknown(val('[for x in var.list : x if var.later]')));
  assert.ok(isUnknown(val('{for x in var.partial : x => 1}')));
  assert.deepEqual(val('[for x in var.partial : x]'), ['a', UNKNOWN]);
  const s = val('[for k, v in var.secret_obj : k]');
  assert.ok(s instanceof Sensitive);
  assert.deepEqual(s.value, ['port', 'user']);
});

// ------------------------------------------------------------------------------ function calls

test('function calls: argument conversion, variadic, expansion', () => {
  assert.equal(val('upper("a")'), 'A');
  assert.equal(val('upper(12)'), '12');
  assert.equal(val('upper(true)'), 'TRUE');
  assert.equal(val('max(1, "5", 3)'), 5);
  assert.equal(val('max(var.nums...)'), 3);
  assert.equal(val('max(0, var.nums...)'), 3);
  assert.equal(val('join("-", ["a"], var.list)'), 'a-a-b-c');
  assert.equal(val('join(",", [var.list]...)'), 'a,b,c');
  assert.equal(val('not("true")'), false);
  assert.equal(val('lookup(var.map, "a")'), 1);
  assert.equal(val('lookup(var.map, "z", null)'), null);
  assert.equal(val('coalesce(null, "", "x")'), 'x');
  assert.equal(val('length({a = 1, b = 2})'), 2);
});

test('function calls: unknown function with nearest name', () => {
  const e = err('uper("a")');
  assert.equal(e.summary, 'Call to unknown function');
  assert.equal(e.suggestion, 'upper');
  assert.equal(e.text, 'uper');
});

test('function calls: wrong argument counts name the function and its parameters', () => {
  let e = err('lookup(var.map)');
  assert.equal(e.summary, 'Not enough function arguments');
  assert.match(e.detail, /"lookup" expects at least 2 argument/);
  assert.match(e.detail, /"key"/);
  assert.match(e.detail, /lookup\(inputMap, key, default\.\.\.\)/);
  assert.equal(e.text, 'lookup(var.map)');
  e = err('upper("a", "b")');
  assert.equal(e.summary, 'Too many function arguments');
  assert.match(e.detail, /only 1 argument/);
  assert.match(e.detail, /upper\(str\)/);
  assert.equal(e.text, '"b"');
  e = err('upper(["a", "b"]...)');
  assert.equal(e.summary, 'Too many function arguments');
  assert.equal(e.text, '["a", "b"]');
  e = err('boom(1)');
  assert.match(e.detail, /no argument/);
});

test('function calls: argument type and null errors point at the argument', () => {
  let e = err('upper(var.list)');
  assert.equal(e.summary, 'Invalid function argument');
  assert.match(e.detail, /"str" parameter: string required/);
  assert.equal(e.text, 'var.list');
  e = err('tonumber("abc")');
  assert.match(e.detail, /"v" parameter: a number is required/);
  e = err('upper(var.nothing)');
  assert.match(e.detail, /"str" parameter: argument must not be null/);
  assert.equal(e.text, 'var.nothing');
  e = err('keys(var.list)');
  assert.match(e.detail, /a map is required/);
  e = err('join(",", "x")');
  assert.match(e.detail, /"lists" parameter: a list is required/);
  assert.equal(e.text, '"x"');
  e = err('max(var.nothing...)');
  assert.equal(e.summary, 'Invalid expanding argument value');
  e = err('max(var.name...)');
  assert.equal(e.summary, 'Invalid expanding argument value');
});

test('function calls: thrown errors become diagnostics at the argument or the call', () => {
  let e = err('lookup(var.map, "zz")');
  assert.equal(e.summary, 'Invalid function argument');
  assert.match(e.detail, /"key" parameter: the given object has no attribute "zz"\./);
  assert.equal(e.text, '"zz"');
  e = err('max()');
  assert.equal(e.summary, 'Error in function call');
  assert.match(e.detail, /"max" failed: must pass at least one number\./);
  assert.equal(e.text, 'max()');
  e = err('boom()');
  assert.match(e.detail, /kaboom/);
});

test('function calls: an unknown argument skips the call unless allowUnknown; unknowns inside collections reach it', () => {
  calls.length = 0;
  assert.equal(val('record(var.later)'), UNKNOWN);
  assert.deepEqual(calls, []);
  // As in Terraform: length() of a list of unknowns is known (count = length(vm[*].id) works).
  assert.equal(val('length([var.later, var.later])'), 2);
  assert.deepEqual(val('record([1, var.later])'), [1, UNKNOWN]);
  assert.deepEqual(val('record({a = {b = var.later}})'), { a: { b: UNKNOWN } });
  assert.deepEqual(calls, ['[1,{"(known after apply)":true}]', '{"a":{"b":{"(known after apply)":true}}}']);
  assert.equal(val('isknown(var.later)'), false);
  assert.equal(val('isknown(1)'), true);
  assert.equal(val('max(var.later...)'), UNKNOWN);
});

test('function calls: sensitive arguments are unmarked for the call and mark the result', () => {
  calls.length = 0;
  const v = val('record({a = var.secret})');
  assert.deepEqual(calls, ['{"a":"hunter2"}']);
  assert.ok(v instanceof Sensitive);
  assert.deepEqual(v.value, { a: 'hunter2' });
  const u = val('upper(var.secret)');
  assert.ok(u instanceof Sensitive && u.value === 'HUNTER2');
  const x = val('max(sensitive([1, 5])...)');
  assert.ok(x instanceof Sensitive && x.value === 5);
  // keepsMarks functions see and decide marks
  assert.equal(val('nonsensitive(var.secret)'), 'hunter2');
  const s = val('sensitive("x")');
  assert.ok(s instanceof Sensitive && s.value === 'x');
  const su = val('upper(sensitive(var.later))');
  assert.ok(su instanceof Sensitive && su.value === UNKNOWN);
});

// ------------------------------------------------------------------------------ hand-built ASTs

test('hand-built AST: traversal, binary, call, splat and anon symbol', () => {
  const d = new Diagnostics();
  assert.equal(evaluate(trav('var', 'list', 2), SCOPE, d), 'c');
  const bin: Expr = { kind: 'Binary', op: '+', left: trav('var', 'count'), right: lit('4'), opRange: r(), range: r() };
  assert.equal(evaluate(bin, SCOPE, d), 7);
  const call: Expr = { kind: 'FunctionCall', name: 'upper', nameRange: r(), args: [trav('var', 'name')], expandFinal: false, range: r() };
  assert.equal(evaluate(call, SCOPE, d), 'WEB');
  const anon: Expr = { kind: 'AnonSymbol', range: r() };
  const splat: Expr = { kind: 'Splat', source: trav('var', 'vms'), each: { kind: 'GetAttr', object: anon, name: 'id', nameRange: r(), range: r() }, full: true, range: r() };
  assert.deepEqual(evaluate(splat, SCOPE, d), ['vm1', 'vm2']);
  assert.equal(d.list.length, 0);
  // an anon symbol outside a splat is an error, not a crash
  assert.equal(evaluate(anon, SCOPE, d), UNKNOWN);
  assert.equal(d.list[0].summary, 'Invalid use of splat symbol');
  assert.equal(d.list[0].range, anon.range);
});

test('hand-built AST: error ranges are the sub-expression ranges', () => {
  const bad = lit('x');
  const bin: Expr = { kind: 'Binary', op: '*', left: lit(2), right: bad, opRange: r(), range: r() };
  const d = new Diagnostics();
  evaluate({ kind: 'Tuple', items: [bin], range: r() }, SCOPE, d);
  assert.equal(d.list.length, 1);
  assert.equal(d.list[0].range, bad.range);
});

// ------------------------------------------------------------------------------ scopes, references

test('childScope adds names over a parent without copying it', () => {
  const child = childScope(SCOPE, { item: { id: 7 } });
  assert.equal(val('item.id', child), 7);
  assert.equal(val('var.name', child), 'web');
  assert.ok([...child.rootNames()].includes('item'));
  assert.ok([...child.rootNames()].includes('var'));
  assert.equal(child.functions, SCOPE.functions);
  const e = err('item.idd', child);
  assert.equal(e.summary, 'Unsupported attribute');
  assert.equal(e.suggestion, 'id');
});

test('references: roots with literal steps, excluding iteration variables', () => {
  const refs = references(parse('[for x in var.list : "${x}-${local.region}" if x != each.key]'));
  assert.deepEqual(
    refs.map((r) => `${r.root}${r.steps.map((s) => (s.kind === 'attr' ? `.${s.name}` : `[${JSON.stringify(s.key)}]`)).join('')}`),
    ['var.list', 'local.region', 'each.key'],
  );
  const refs2 = references(parse('concat(xenserver_vm.db[*].id, [xenserver_vm.web[count.index].id], {for k, v in var.map : k => v + var.count})'));
  assert.deepEqual(
    refs2.map((r) => r.root + r.steps.map((s) => (s.kind === 'attr' ? '.' + s.name : `[${s.key}]`)).join('')),
    ['xenserver_vm.db', 'xenserver_vm.web', 'count.index', 'var.map', 'var.count'],
  );
  const t = parseTemplate('%{ for n in var.names }${n}${path.module}%{ endfor }', 't.tmpl', new Diagnostics());
  assert.deepEqual(
    references(t).map((r) => r.root),
    ['var', 'path'],
  );
  const src = 'upper(var.name)';
  const [ref] = references(parse(src));
  assert.equal(src.slice(ref.range.start.byte, ref.range.end.byte), 'var.name');
});

test('references: names bound outside (a dynamic block iterator) are skipped; results append to `out`', () => {
  const out = references(parse('[for x in each.value : x + iter.key + other.key]'), new Set(['iter']));
  assert.deepEqual(
    out.map((r) => r.root),
    ['each', 'other'],
  );
  assert.equal(references(parse('local.a'), undefined, out), out);
  assert.deepEqual(
    out.map((r) => r.root),
    ['each', 'other', 'local'],
  );
  assert.deepEqual(references(undefined), []);
  // a for's variables are bound only inside it
  assert.deepEqual(
    references(parse('concat([for x in x.list : x], [x])')).map((r) => r.root),
    ['x', 'x'],
  );
});

// ------------------------------------------------------------------------------ try and can

test('try and can: the first argument that evaluates without errors, or whether one does', () => {
  assert.equal(val('try(var.obj.nope, var.name)'), 'web');
  assert.equal(val('try(var.name, var.obj.nope)'), 'web');
  assert.equal(val('try(tonumber("abc"), 5)'), 5);
  assert.equal(val('core::try(var.obj.nope, 2)'), 2);
  assert.equal(val('can(var.obj.nope)'), false);
  assert.equal(val('can(var.obj.id)'), true);
  assert.equal(val('can(1 + "x")'), false);
  assert.equal(val('[for v in var.vms : try(v.missing, v.id)][1]'), 'vm2');
});

test('try and can: reading an unknown value gives unknown, since it might still fail', () => {
  assert.equal(val('try(var.later.x, 1)'), UNKNOWN);
  assert.equal(val('try(var.partial, 1)'), UNKNOWN);
  const c = val('can(var.later.x)');
  assert.ok(c instanceof Unknown && c.type === 'bool');
  assert.equal(val('try(var.partial[0], 1)'), 'a');
});

test('try and can: errors', () => {
  let e = err('try(var.obj.nope, var.obj.nix)');
  assert.equal(e.summary, 'Error in function call');
  assert.equal(
    e.detail,
    'Call to function "try" failed: no expression succeeded:\n' +
      '- Unsupported attribute (at test.hcl:1,13-17)\n  This object does not have an attribute named "nope".\n' +
      '- Unsupported attribute (at test.hcl:1,27-30)\n  This object does not have an attribute named "nix".\n' +
      '\nAt least one expression must produce a successful result.',
  );
  assert.equal(e.text, 'try(var.obj.nope, var.obj.nix)');
  // undeclared names are static errors, not something try() can catch
  e = err('try(var.undeclared, 1)');
  assert.equal(e.summary, 'Reference to undeclared input variable');
  assert.equal(e.text, 'var.undeclared');
  e = err('try()');
  assert.equal(e.detail, 'Call to function "try" failed: at least one argument is required.');
  e = err('can(1, 2)');
  assert.equal(e.summary, 'Too many function arguments');
  e = err('can()');
  assert.equal(e.summary, 'Not enough function arguments');
  assert.match(e.detail, /"expression"/);
  e = err('tyr(1)');
  assert.equal(e.suggestion, 'try');
});

test('strings "1" and "0" convert to bool, as cty converts them', () => {
  assert.equal(val('!"1"'), false);
  assert.equal(val('"0" ? 1 : 2'), 2);
  assert.equal(val('not("1")'), false);
  assert.deepEqual(val('[for n in [1, 2] : n if "1"]'), [1, 2]);
});
