// Unit tests of type constraints (engine/lang/types.ts) and conversion (engine/lang/convert.ts):
// parsing `type = ...` expressions with their errors, printing, and Terraform's conversion rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Diagnostics } from '../../engine/diagnostics.js';
import { convert, dedupe, inferType, numberToString, sortSet, unifyTypes, unifyValues, type ConvertResult } from '../../engine/lang/convert.js';
import { parseTypeConstraint, typeConstraintString, typeHintOf, type TypeConstraint } from '../../engine/lang/types.js';
import { Sensitive, UNKNOWN, Unknown, type Value } from '../../engine/lang/value.js';
import { assertNoDiagnostics, onlyError, parseClean, type OneError } from './lang-harness.js';

function parseType(src: string): { type: TypeConstraint; diags: Diagnostics } {
  const diags = new Diagnostics();
  return { type: parseTypeConstraint(parseClean(src, 'types.hcl'), diags), diags };
}

function ty(src: string): TypeConstraint {
  const { type, diags } = parseType(src);
  assertNoDiagnostics(diags, src);
  return type;
}

function typeErr(src: string): OneError & { type: TypeConstraint } {
  const { type, diags } = parseType(src);
  return { ...onlyError(diags, src), type };
}

function ok(r: ConvertResult): Value {
  if ('error' in r) assert.fail(`conversion failed: ${r.error}`);
  return r.value;
}

function fails(r: ConvertResult): { error: string; path: (string | number)[] } {
  if (!('error' in r)) assert.fail(`conversion unexpectedly succeeded: ${JSON.stringify(r.value)}`);
  return r;
}

// ------------------------------------------------------------------------------ parsing

test('type constraints parse and print', () => {
  const cases = [
    'string',
    'number',
    'bool',
    'any',
    'list(string)',
    'set(number)',
    'map(any)',
    'list(map(bool))',
    'tuple([string,number])',
    'object({a=string,b=list(number)})',
    'object({mtu=optional(number),name=string})',
  ];
  for (const c of cases) assert.equal(typeConstraintString(ty(c)), c);
  // attributes print sorted, and spaces do not matter
  assert.equal(typeConstraintString(ty('object({ z = string, a = number })')), 'object({a=number,z=string})');
  assert.equal(typeConstraintString(ty('(list(string))')), 'list(string)');
});

test('object types: optional attributes and converted defaults', () => {
  const t = ty('object({ name = string, mtu = optional(number, "1500"), vlan = optional(number), nics = optional(list(object({ dev = string, up = optional(bool, true) })), [{ dev = "eth0" }]) })');
  assert.equal(t.kind, 'object');
  if (t.kind !== 'object') return;
  assert.deepEqual(t.attributes.name, { type: { kind: 'string' }, optional: false });
  assert.equal(t.attributes.mtu.optional, true);
  assert.equal(t.attributes.mtu.default, 1500); // converted to the attribute's type
  assert.equal(t.attributes.vlan.default, undefined);
  assert.deepEqual(t.attributes.nics.default, [{ dev: 'eth0', up: true }]); // nested defaults applied
});

test('type constraint errors: unknown keywords with the nearest one', () => {
  let e = typeErr('list(strng)');
  assert.equal(e.summary, 'Invalid type specification');
  assert.match(e.detail, /"strng"/);
  assert.equal(e.suggestion, 'string');
  assert.equal(e.text, 'strng');
  assert.deepEqual(e.type, { kind: 'list', element: { kind: 'any' } });

  e = typeErr('lst(string)');
  assert.match(e.detail, /"lst" is not a valid type constructor/);
  assert.equal(e.suggestion, 'list');
  assert.equal(e.text, 'lst');

  e = typeErr('object({ a = nubmer })');
  assert.equal(e.suggestion, 'number');
});

test('type constraint errors: constructor arguments', () => {
  let e = typeErr('list');
  assert.match(e.detail, /list type constructor requires one argument/);
  e = typeErr('map(string, number)');
  assert.match(e.detail, /map type constructor requires one argument/);
  e = typeErr('object(string)');
  assert.match(e.detail, /object type constructor requires one argument/);
  assert.equal(e.text, 'string');
  e = typeErr('tuple(string)');
  assert.match(e.detail, /tuple type constructor/);
  e = typeErr('list(optional(string))');
  assert.match(e.detail, /"optional" is valid only as a modifier for object type attributes/);
  e = typeErr('object({ a = optional(string, "x", "y") })');
  assert.match(e.detail, /Optional attribute modifier/);
  e = typeErr('string.foo');
  assert.equal(e.summary, 'Invalid type specification');
  e = typeErr('1 + 2');
  assert.equal(e.summary, 'Invalid type specification');
  e = typeErr('object({ a = string, a = number })');
  assert.equal(e.summary, 'Duplicate attribute in object type');
  e = typeErr('string(1)');
  assert.match(e.detail, /does not expect arguments/);
});

test('type constraint errors: quoted legacy types and bad defaults', () => {
  let e = typeErr('"string"');
  assert.equal(e.summary, 'Invalid quoted type constraints');
  assert.deepEqual(e.type, { kind: 'string' });
  e = typeErr('object({ mtu = optional(number, "big") })');
  assert.equal(e.summary, 'Invalid default value for optional attribute');
  assert.match(e.detail, /a number is required/);
  assert.equal(e.text, '"big"');
  e = typeErr('object({ mtu = optional(number, var.x) })');
  assert.equal(e.summary, 'Variables not allowed');
  e = typeErr('object({ mtu = optional(number, max(1, 2)) })');
  assert.equal(e.summary, 'Call to unknown function');
});

// ------------------------------------------------------------------------------ conversion

const S: TypeConstraint = { kind: 'string' };
const N: TypeConstraint = { kind: 'number' };
const B: TypeConstraint = { kind: 'bool' };
const list = (element: TypeConstraint): TypeConstraint => ({ kind: 'list', element });
const set = (element: TypeConstraint): TypeConstraint => ({ kind: 'set', element });
const map = (element: TypeConstraint): TypeConstraint => ({ kind: 'map', element });
const ANY: TypeConstraint = { kind: 'any' };

test('primitive conversions', () => {
  assert.equal(ok(convert('1', N)), 1);
  assert.equal(ok(convert('-1.5e2', N)), -150);
  assert.equal(ok(convert(1, S)), '1');
  assert.equal(ok(convert(0.1 + 0.2, S)), '0.3');
  assert.equal(ok(convert(1e21, S)), '1000000000000000000000');
  assert.equal(ok(convert(true, S)), 'true');
  assert.equal(ok(convert('true', B)), true);
  assert.equal(ok(convert('0', B)), false);
  assert.equal(fails(convert('abc', N)).error, 'a number is required');
  assert.equal(fails(convert('yes', B)).error, 'a bool is required');
  assert.equal(fails(convert(true, N)).error, 'number required');
  assert.equal(fails(convert([1], S)).error, 'string required');
  assert.equal(fails(convert({}, B)).error, 'bool required');
  assert.equal(numberToString(-0), '0');
});

test('null converts to any type; any keeps the value as is', () => {
  for (const t of [S, N, list(S), { kind: 'object', attributes: { a: { type: S, optional: false } } } as TypeConstraint]) assert.equal(ok(convert(null, t)), null);
  const v = { a: [1, 'x'] };
  assert.equal(ok(convert(v, ANY)), v);
});

test('tuples to lists and sets; sets dedup and order primitives', () => {
  assert.deepEqual(ok(convert([1, '2'], list(N))), [1, 2]);
  assert.deepEqual(ok(convert(['b', 'a', 'b'], set(S))), ['a', 'b']);
  assert.deepEqual(ok(convert([3, 1, 20, 1], set(N))), [1, 3, 20]);
  assert.deepEqual(ok(convert([{ a: 1 }, { a: 1 }, { a: 2 }], set(map(N)))), [{ a: 1 }, { a: 2 }]);
  const e = fails(convert(['1', 'x'], list(N)));
  assert.equal(e.error, 'element 1: a number is required');
  assert.deepEqual(e.path, [1]);
  assert.equal(fails(convert('a', list(S))).error, 'list of string required');
  assert.equal(fails(convert({ a: 1 }, set(N))).error, 'set of number required');
});

test('element types unify for list(any), map(any) and set(any)', () => {
  assert.deepEqual(ok(convert([1, 'a'], list(ANY))), ['1', 'a']);
  assert.deepEqual(ok(convert([1, 2], list(ANY))), [1, 2]);
  assert.deepEqual(ok(convert([[1], [2, 3]], list(ANY))), [[1], [2, 3]]);
  assert.deepEqual(ok(convert({ a: 1, b: 'x' }, map(ANY))), { a: '1', b: 'x' });
  assert.deepEqual(ok(convert([1, null], list(ANY))), [1, null]);
  assert.deepEqual(ok(convert(['b', 1, 'b'], set(ANY))), ['1', 'b']);
  assert.equal(fails(convert([1, true], list(ANY))).error, 'all list elements must have the same type');
  assert.equal(fails(convert({ a: 1, b: [1] }, map(ANY))).error, 'all map elements must have the same type');
  assert.deepEqual(unifyTypes([inferType({ a: 1 }), inferType({ b: 2 })]), map(N));
  assert.deepEqual(unifyTypes([inferType([1]), inferType([2, 3])]), list(N));
  assert.equal(unifyTypes([S, list(S)]), undefined);
});

test('objects to maps: every value converts to the element type', () => {
  assert.deepEqual(ok(convert({ a: 1, b: '2' }, map(N))), { a: 1, b: 2 });
  const e = fails(convert({ a: 1, b: 'two' }, map(N)));
  assert.equal(e.error, 'element "b": a number is required');
  assert.deepEqual(e.path, ['b']);
  assert.equal(fails(convert([1], map(N))).error, 'map of number required');
  assert.equal(fails(convert({ a: { x: 1 } }, map(S))).error, 'element "a": string required');
});

test('object types: required, optional, defaults, extra attributes, nested paths', () => {
  const { type } = parseType('object({ name = string, mtu = optional(number, 1500), vlan = optional(number), nics = optional(list(object({ dev = string, up = optional(bool, true) })), []) })');
  assert.deepEqual(ok(convert({ name: 'n', extra: 1 }, type)), { name: 'n', mtu: 1500, vlan: null, nics: [] });
  assert.deepEqual(ok(convert({ name: 'n', mtu: '9000', vlan: null, nics: [{ dev: 'eth0' }, { dev: 'eth1', up: 'false' }] }, type)), {
    name: 'n',
    mtu: 9000,
    vlan: null,
    nics: [
      { dev: 'eth0', up: true },
      { dev: 'eth1', up: false },
    ],
  });
  // null for an optional attribute with a default takes the default
  assert.equal((ok(convert({ name: 'n', mtu: null }, type)) as Record<string, Value>).mtu, 1500);
  // a required attribute may be null but not absent
  assert.deepEqual((ok(convert({ name: null }, type)) as Record<string, Value>).name, null);
  let e = fails(convert({ mtu: 1 }, type));
  assert.equal(e.error, 'attribute "name" is required');
  e = fails(convert({ name: 'n', mtu: 'jumbo' }, type));
  assert.equal(e.error, 'attribute "mtu": a number is required');
  assert.deepEqual(e.path, ['mtu']);
  e = fails(convert({ name: 'n', nics: [{ dev: 'a' }, { up: true }] }, type));
  assert.equal(e.error, 'attribute "nics": element 1: attribute "dev" is required');
  assert.deepEqual(e.path, ['nics', 1]);
  assert.equal(fails(convert('x', type)).error, 'object required');
});

test('tuple types', () => {
  const t = ty('tuple([string, number])');
  assert.deepEqual(ok(convert([1, '2'], t)), ['1', 2]);
  assert.match(fails(convert([1], t)).error, /tuple of 2 element/);
  assert.equal(fails(convert({}, t)).error, 'tuple required');
});

test('unknowns pass through typed', () => {
  const u = ok(convert(UNKNOWN, list(S)));
  assert.ok(u instanceof Unknown && u.type === 'list');
  const n = ok(convert(new Unknown('string'), N));
  assert.ok(n instanceof Unknown && n.type === 'number');
  assert.equal(fails(convert(new Unknown('list'), S)).error, 'string required');
  const inner = ok(convert([UNKNOWN, 1], list(S))) as Value[];
  assert.ok(inner[0] instanceof Unknown && inner[0].type === 'string');
  assert.equal(inner[1], '1');
  const { type } = parseType('object({ a = number, b = optional(string, "d") })');
  const o = ok(convert({ a: UNKNOWN }, type)) as Record<string, Value>;
  assert.ok(o.a instanceof Unknown && o.a.type === 'number');
  assert.equal(o.b, 'd');
  assert.equal(typeHintOf(map(S)), 'map');
  assert.equal(typeHintOf(ANY), 'dynamic');
});

test('sensitive marks are kept through conversion', () => {
  const s = ok(convert(new Sensitive('5'), N));
  assert.ok(s instanceof Sensitive && s.value === 5);
  const l = ok(convert(['a', new Sensitive(2)], list(S))) as Value[];
  assert.equal(l[0], 'a');
  assert.ok(l[1] instanceof Sensitive && l[1].value === '2');
  const { type } = parseType('object({ password = string })');
  const o = ok(convert({ password: new Sensitive(123) }, type)) as Record<string, Value>;
  assert.ok(o.password instanceof Sensitive && o.password.value === '123');
  // a set cannot mark single elements: the mark moves to the whole set
  const st = ok(convert(['b', new Sensitive('a')], set(S)));
  assert.ok(st instanceof Sensitive);
  assert.deepEqual(st.value, ['a', 'b']);
  const e = fails(convert(new Sensitive('x'), N));
  assert.equal(e.error, 'a number is required');
});

test('numbers print in plain decimal, never in exponent form', () => {
  assert.equal(numberToString(1e-7), '0.0000001');
  assert.equal(numberToString(-1.5e-10), '-0.00000000015');
  assert.equal(numberToString(1e300), '1' + '0'.repeat(300));
  assert.equal(numberToString(-2.5e21), '-2500000000000000000000');
  assert.equal(numberToString(123.456), '123.456');
  assert.equal(numberToString(1 / 3), '0.333333333333333');
  assert.equal(numberToString(Infinity), '+Inf');
  assert.equal(numberToString(-Infinity), '-Inf');
});

test('unifyValues: one common type for a collection\'s elements, as cty unifies them', () => {
  const same = ['a', 'b'];
  assert.equal(unifyValues(same), same); // nothing to convert
  assert.deepEqual(unifyValues([1, 'a', null]), ['1', 'a', null]);
  assert.deepEqual(unifyValues([[1], [2, 3]]), [[1], [2, 3]]);
  assert.deepEqual(unifyValues([[1, true], ['a']]), [['1', 'true'], ['a']]);
  assert.deepEqual(unifyValues([{ a: 1 }, { a: 'x' }]), [{ a: '1' }, { a: 'x' }]);
  assert.deepEqual(unifyValues([{ a: 1 }, { b: 'x' }]), [{ a: '1' }, { b: 'x' }]);
  // tuples of one length unify element by element, or not at all (terraform: tolist fails)
  assert.equal(unifyValues([[1, 'a'], [true, 'b']]), undefined);
  assert.equal(unifyValues([{ a: 1, b: true }, { a: 'x', b: 1 }]), undefined);
  assert.equal(unifyValues([1, true]), undefined);
  const u = unifyValues([UNKNOWN, 1]) as Value[];
  assert.ok(u[0] instanceof Unknown && u[0].type === 'number');
});

test('sets: dedupe and order', () => {
  assert.deepEqual(dedupe([null, 'n', null, 'n', 1, '1']), [null, 'n', 1, '1']);
  assert.deepEqual(dedupe([[1], [1], { a: [1] }, { a: [1] }]), [[1], { a: [1] }]);
  const u = { a: UNKNOWN };
  assert.deepEqual(dedupe([u, u, UNKNOWN, UNKNOWN]), [u, u, UNKNOWN, UNKNOWN]); // unknowns might differ
  assert.deepEqual(sortSet(['b', null, 'a', '\u{1F600}', '\uFFFD']), ['a', 'b', '\uFFFD', '\u{1F600}', null]);
  assert.deepEqual(sortSet([3, 1, 20]), [1, 3, 20]);
  assert.deepEqual(sortSet([true, false]), [false, true]);
  assert.deepEqual(sortSet(['b', 1]), ['b', 1]); // mixed: as given
});

test('conversion to a set does not change the value converted', () => {
  const input: Value[] = ['b', new Sensitive('a'), 'b'];
  const st = ok(convert(input, set(ANY)));
  assert.ok(st instanceof Sensitive);
  assert.deepEqual(st.value, ['a', 'b']);
  assert.equal(input.length, 3);
  assert.ok(input[1] instanceof Sensitive);
  assert.deepEqual(ok(convert(['b', null, 'a'], set(S))), ['a', 'b', null]);
});
