// Schema loading: metadata derived from JSON Schema files, and broken schema files reported by name.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { DiagnosticsError } from '../../engine/diagnostics.js';
import { loadSchemaDir, loadSchemaFile, repoRoot, schemaDir } from '../../engine/schema/load.js';

const testSchemas = () => join(repoRoot(), 'test', 'provider', 'schemas');

function tempDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-schema-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

const base = (props: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: props,
  ...extra,
});

function loadError(fn: () => unknown): DiagnosticsError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DiagnosticsError, `expected DiagnosticsError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the load to fail');
}

test('schemaDir is the repository schemas/ folder, found from the module URL', () => {
  assert.ok(isAbsolute(schemaDir()));
  assert.ok(existsSync(join(schemaDir(), 'poolform_data.json')));
  assert.ok(existsSync(join(repoRoot(), 'package.json')));
});

test('poolform_data metadata is derived from its schema', () => {
  const s = loadSchemaFile(join(schemaDir(), 'poolform_data.json'));
  assert.equal(s.type, 'poolform_data');
  assert.equal(s.kind, 'resource');
  assert.equal(s.provider, 'poolform');
  assert.ok(s.file?.endsWith('poolform_data.json'));
  const { id, input, output, triggers_replace } = s.attributes;
  assert.deepEqual([id.computed, id.optional, id.required, id.jsonType], [true, false, false, 'string']);
  assert.deepEqual([input.computed, input.optional, input.jsonType], [false, true, undefined]);
  assert.deepEqual([output.computed, output.optional], [true, false]);
  assert.equal(triggers_replace.replaceOnChange, true);
  assert.equal(input.replaceOnChange, false);
  assert.equal(input.drift, 'desired');
});

test('test_object metadata: required, defaults, sensitive, write-only, drift, replace', () => {
  const s = loadSchemaFile(join(testSchemas(), 'test_object.json'));
  const a = s.attributes;
  assert.equal(a.name.required, true);
  assert.equal(a.name.optional, false);
  assert.equal(a.size.default, 1);
  assert.equal(a.size.optional, true);
  assert.deepEqual([a.secret.sensitive, a.secret.writeOnly], [true, true]);
  assert.deepEqual([a.status.computed, a.status.drift], [true, 'runtime']);
  assert.equal(a.zone.replaceOnChange, true);
  assert.equal(a.tags.jsonType, 'object');
  assert.equal(a.tags.nested, undefined, 'a map has no nested attributes');
});

test('nested blocks: x-nesting single with nested metadata and enums', () => {
  const s = loadSchemaFile(join(testSchemas(), 'test_group.json'));
  const settings = s.attributes.settings;
  assert.equal(settings.nesting, 'single');
  assert.ok(settings.nested);
  assert.deepEqual(settings.nested.mode.enum, ['balance-slb', 'active-backup', 'lacp']);
  assert.equal(settings.nested.mtu.jsonType, 'number');
  assert.equal(s.attributes.members.nested, undefined);
});

test('x-nesting list over an array of objects, via $ref, and computed + x-optional', () => {
  const dir = tempDir({
    'demo_thing.json': base(
      {
        disk: { type: 'array', 'x-nesting': 'list', items: { $ref: '#/$defs/disk' } },
        mac: { type: 'string', 'x-computed': true, 'x-optional': true },
        power: { type: 'string', 'x-computed': true, 'x-drift': 'ignore' },
      },
      { $defs: { disk: { type: 'object', additionalProperties: false, required: ['size'], properties: { size: { type: 'integer' }, label: { type: 'string' } } } } },
    ),
  });
  const s = loadSchemaFile(join(dir, 'demo_thing.json'));
  assert.equal(s.provider, 'demo');
  assert.equal(s.attributes.disk.nesting, 'list');
  assert.equal(s.attributes.disk.nested?.size.required, true);
  assert.equal(s.attributes.disk.nested?.label.optional, true);
  assert.deepEqual([s.attributes.mac.computed, s.attributes.mac.optional], [true, true]);
  assert.equal(s.attributes.power.drift, 'ignore');
});

test('provider configuration schemas take the provider name as type', () => {
  const all = loadSchemaDir(testSchemas(), 'test');
  const cfg = all.find((s) => s.kind === 'provider');
  assert.equal(cfg?.type, 'test');
  assert.equal(cfg?.attributes.store.default, 'test-platform.json');
  assert.deepEqual(all.filter((s) => s.kind !== 'provider').map((s) => `${s.kind}:${s.type}`), ['resource:test_group', 'data:test_lookup', 'resource:test_object']);
});

test('loadSchemaDir filters by provider', () => {
  const dir = tempDir({ 'a_one.json': base({ x: { type: 'string' } }), 'b_two.json': base({ y: { type: 'string' } }), 'notes.txt': 'ignored' });
  assert.deepEqual(loadSchemaDir(dir).map((s) => s.type), ['a_one', 'b_two']);
  assert.deepEqual(loadSchemaDir(dir, 'b').map((s) => s.type), ['b_two']);
  assert.ok(loadSchemaDir(schemaDir(), 'poolform').some((s) => s.type === 'poolform_data'));
});

test('loading the same file twice does not collide in the shared ajv', () => {
  const dir = tempDir({ 'demo_x.json': base({ a: { type: 'string' } }, { $id: 'https://poolform.dev/demo_x' }) });
  loadSchemaFile(join(dir, 'demo_x.json'));
  loadSchemaFile(join(dir, 'demo_x.json'));
});

const broken: [string, unknown, RegExp][] = [
  ['unknown keyword (strict mode)', base({ a: { type: 'string', requird: true } }), /requird/],
  ['bad x-drift value', base({ a: { type: 'string', 'x-drift': 'sometimes' } }), /x-drift|must be equal to one of/],
  ['x- keyword of the wrong type', base({ a: { type: 'string', 'x-computed': 'yes' } }), /x-computed/],
  ['not a valid JSON Schema', base({ a: { type: 'strin' } }), /not a valid JSON Schema/],
  ['invalid JSON', '{ "type": ', /JSON/],
  ['required and computed', base({ a: { type: 'string', 'x-computed': true } }, { required: ['a'] }), /both required and x-computed/],
  ['x-nesting on a string', base({ a: { type: 'string', 'x-nesting': 'single' } }), /x-nesting/],
  ['open top level', { type: 'object', properties: { a: { type: 'string' } } }, /additionalProperties/],
  ['unknown format', base({ a: { type: 'string', format: 'flux-capacitor' } }), /format/],
  ['required attribute missing from properties', base({ a: { type: 'string' } }, { required: ['b'] }), /"b"/],
];

for (const [what, body, re] of broken) {
  test(`a broken schema file is an error naming the file: ${what}`, () => {
    const dir = tempDir({ 'demo_bad.json': body });
    const err = loadError(() => loadSchemaFile(join(dir, 'demo_bad.json')));
    assert.equal(err.diagnostics.length, 1);
    const d = err.diagnostics[0];
    assert.equal(d.severity, 'error');
    assert.match(d.summary, /demo_bad\.json/);
    assert.match(`${d.summary}\n${d.detail}`, re);
  });
}

test('loadSchemaDir reports every broken file at once', () => {
  const dir = tempDir({
    'demo_good.json': base({ a: { type: 'string' } }),
    'demo_bad1.json': base({ a: { type: 'nope' } }),
    'demo_bad2.json': '[',
  });
  const err = loadError(() => loadSchemaDir(dir));
  assert.deepEqual(
    err.diagnostics.map((d) => /demo_\w+\.json/.exec(d.summary)?.[0]),
    ['demo_bad1.json', 'demo_bad2.json'],
  );
});
