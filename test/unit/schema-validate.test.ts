// The attribute validator: human messages, suggestions, unknown placeholders, computed attributes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sensitive, Unknown } from '../../engine/lang/value.js';
import { UNKNOWN_MARK } from '../../engine/provider.js';
import { loadSchemaFile, repoRoot, schemaDir } from '../../engine/schema/load.js';
import { compileValidator, renderPath } from '../../engine/schema/validate.js';

const load = (type: string) => loadSchemaFile(join(repoRoot(), 'test', 'provider', 'schemas', `${type}.json`));
const object = load('test_object');
const group = load('test_group');
const U = () => ({ [UNKNOWN_MARK]: true });

test('valid values give no errors', () => {
  assert.deepEqual(compileValidator(object)({ name: 'a', size: 3, tags: { env: 'prod' }, zone: 'z1', secret: 's' }), []);
  assert.deepEqual(compileValidator(group)({ name: 'g', members: ['a', 'b'], settings: { mtu: 9000, mode: 'lacp' } }), []);
});

test('the validator is compiled once per schema', () => {
  assert.equal(compileValidator(object), compileValidator(object));
});

test('unknown attribute with the nearest name suggested', () => {
  const errs = compileValidator(object)({ name: 'a', sise: 2 });
  assert.deepEqual(errs, [{ path: ['sise'], message: 'unknown attribute "sise"', suggestion: 'size' }]);
});

test('unknown attribute in a nested block', () => {
  const errs = compileValidator(group)({ name: 'g', settings: { mtuu: 1500 } });
  assert.deepEqual(errs, [{ path: ['settings', 'mtuu'], message: 'unknown attribute "mtuu" in "settings"', suggestion: 'mtu' }]);
});

test('no suggestion when nothing is close', () => {
  const [e] = compileValidator(object)({ name: 'a', completely_different: 1 });
  assert.equal(e.message, 'unknown attribute "completely_different"');
  assert.equal(e.suggestion, undefined);
});

test('type errors name the attribute and the expected type', () => {
  assert.deepEqual(compileValidator(group)({ name: 'g', settings: { mtu: 'big' } }), [{ path: ['settings', 'mtu'], message: 'attribute "settings.mtu" must be a number' }]);
  assert.deepEqual(compileValidator(group)({ name: 'g', members: ['a', 5] }), [{ path: ['members', 1], message: 'attribute "members[1]" must be a string' }]);
  assert.deepEqual(compileValidator(object)({ name: 'a', tags: { 'my key': 1 } }), [{ path: ['tags', 'my key'], message: 'attribute "tags["my key"]" must be a string' }]);
  assert.deepEqual(compileValidator(object)({ name: 'a', tags: 'x' }), [{ path: ['tags'], message: 'attribute "tags" must be a map' }]);
  assert.deepEqual(compileValidator(group)({ name: 'g', settings: [] }), [{ path: ['settings'], message: 'attribute "settings" must be an object' }]);
});

test('enum errors list the allowed values and suggest the nearest', () => {
  const errs = compileValidator(group)({ name: 'g', settings: { mode: 'lacpp' } });
  assert.deepEqual(errs, [{ path: ['settings', 'mode'], message: 'attribute "settings.mode" must be one of: balance-slb, active-backup, lacp', suggestion: 'lacp' }]);
});

test('missing required attribute', () => {
  assert.deepEqual(compileValidator(object)({ size: 2 }), [{ path: [], message: 'missing required attribute "name"' }]);
});

test('range constraints are reported with the attribute', () => {
  const [e] = compileValidator(group)({ name: 'g', settings: { mtu: 10 } });
  assert.deepEqual(e.path, ['settings', 'mtu']);
  assert.equal(e.message, 'attribute "settings.mtu" must be >= 68');
});

test('computed-only attributes cannot be set, and are reported once', () => {
  assert.deepEqual(compileValidator(object)({ name: 'a', uuid: 42 }), [{ path: ['uuid'], message: 'attribute "uuid" is computed and cannot be set' }]);
  const data = loadSchemaFile(join(schemaDir(), 'poolform_data.json'));
  assert.deepEqual(compileValidator(data)({ id: 'x', input: 1 }), [{ path: ['id'], message: 'attribute "id" is computed and cannot be set' }]);
});

test('every error is collected, not just the first', () => {
  const errs = compileValidator(group)({ members: 'a', settings: { mtu: 'x', mode: 'y', extra: 1 }, nmae: 'g' });
  assert.deepEqual(
    errs.map((e) => e.message).sort(),
    [
      'attribute "members" must be a list',
      'attribute "settings.mode" must be one of: balance-slb, active-backup, lacp',
      'attribute "settings.mtu" must be a number',
      'missing required attribute "name"',
      'unknown attribute "extra" in "settings"',
      'unknown attribute "nmae"',
    ],
  );
  assert.equal(errs.find((e) => e.message === 'unknown attribute "nmae"')?.suggestion, 'name');
});

test('unknown placeholders are tolerated anywhere', () => {
  const v = compileValidator(group);
  assert.deepEqual(v({ name: U(), members: U(), settings: U() }), []);
  assert.deepEqual(v({ name: 'g', members: [U(), 'b'], settings: { mtu: U(), mode: U() } }), []);
  assert.deepEqual(compileValidator(object)({ name: 'a', tags: { a: U(), b: 'x' }, size: U(), status: U(), uuid: U() }), []);
});

test('placeholders do not hide real errors beside them', () => {
  const errs = compileValidator(group)({ name: U(), members: [U(), 7], settings: { mtu: U(), mode: 'nope' } });
  assert.deepEqual(errs.map((e) => e.path), [['members', 1], ['settings', 'mode']]);
});

test('runtime Unknown and Sensitive wrappers are tolerated', () => {
  const v = compileValidator(group);
  assert.deepEqual(v({ name: new Unknown('string'), members: [new Unknown(), new Sensitive('b')], settings: new Sensitive({ mtu: 1500 }) }), []);
  assert.deepEqual(v({ name: new Sensitive(5) }), [{ path: ['name'], message: 'attribute "name" must be a string' }]);
  assert.deepEqual(v({ name: 'g', members: [new Sensitive(3)] }), [{ path: ['members', 0], message: 'attribute "members[0]" must be a string' }]);
});

test('runtime values give exactly the errors of their JSON form (no conversion needed first)', () => {
  // A schema with computed-only attributes at the top, in a single block and in a list of blocks.
  const dir = mkdtempSync(join(tmpdir(), 'pf-validate-'));
  const file = join(dir, 'test_wrapped.json');
  writeFileSync(
    file,
    JSON.stringify({
      type: 'object',
      'x-provider': 'test',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string' },
        token: { type: 'string', 'x-computed': true, 'x-sensitive': true },
        members: { type: 'array', items: { type: 'string' } },
        settings: { type: 'object', 'x-nesting': 'single', additionalProperties: false, properties: { mtu: { type: 'number' }, serial: { type: 'string', 'x-computed': true } } },
        disks: {
          type: 'array',
          'x-nesting': 'list',
          items: { type: 'object', additionalProperties: false, properties: { size: { type: 'number' }, path: { type: 'string', 'x-computed': true } } },
        },
      },
    }),
  );
  let v;
  try {
    v = compileValidator(loadSchemaFile(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const cases: [Record<string, unknown>, Record<string, unknown>, unknown[]][] = [
    // A sensitive unknown in a computed attribute is the platform's value to come, not a setting.
    [{ name: 'a', token: new Sensitive(new Unknown('string')) }, { name: 'a', token: U() }, []],
    [
      { name: 'a', settings: new Sensitive({ mtu: 1500, serial: 'x' }) },
      { name: 'a', settings: { mtu: 1500, serial: 'x' } },
      [{ path: ['settings', 'serial'], message: 'attribute "settings.serial" is computed and cannot be set' }],
    ],
    [
      { name: 'a', disks: [new Sensitive({ size: 1, path: '/x' }), { size: new Sensitive('big') }] },
      { name: 'a', disks: [{ size: 1, path: '/x' }, { size: 'big' }] },
      [
        { path: ['disks', 0, 'path'], message: 'attribute "disks[0].path" is computed and cannot be set' },
        { path: ['disks', 1, 'size'], message: 'attribute "disks[1].size" must be a number' },
      ],
    ],
    [
      { name: new Sensitive(new Unknown()), members: new Sensitive([new Unknown(), 'b', new Sensitive(3)]), settings: new Unknown('object') },
      { name: U(), members: [U(), 'b', 3], settings: U() },
      [{ path: ['members', 2], message: 'attribute "members[2]" must be a string' }],
    ],
  ];
  for (const [runtime, json, expected] of cases) {
    assert.deepEqual(v(json), expected, JSON.stringify(json));
    assert.deepEqual(v(runtime), expected, JSON.stringify(json));
  }
});

test('null means unset', () => {
  assert.deepEqual(compileValidator(object)({ name: 'a', size: null, tags: null, uuid: null }), []);
  assert.deepEqual(compileValidator(object)({ name: null }), [{ path: [], message: 'missing required attribute "name"' }]);
});

test('the input value is not modified', () => {
  const value = { name: 'g', members: [U()], settings: { mtu: U(), mode: null } };
  const before = JSON.stringify(value);
  compileValidator(group)(value);
  assert.equal(JSON.stringify(value), before);
});

test('untyped attributes accept any value', () => {
  const v = compileValidator(loadSchemaFile(join(schemaDir(), 'poolform_data.json')));
  for (const input of [1, 'x', [1, 'a'], { a: { b: [true] } }, false]) assert.deepEqual(v({ input, triggers_replace: input }), []);
});

test('many instances validate with one compiled function', () => {
  const v = compileValidator(object);
  let errors = 0;
  for (let i = 0; i < 10000; i++) errors += v({ name: `n${i}`, size: i, tags: { i: String(i) }, status: U() }).length;
  assert.equal(errors, 0);
});

test('renderPath writes paths as the user would', () => {
  assert.equal(renderPath(['a', 'b', 0, 'c d']), 'a.b[0]["c d"]');
  assert.equal(renderPath([]), '');
});
