// Terraform `providers schema -json` output: shape, cty types, nested blocks, and (when the
// terraform binary is present) agreement with Terraform's own terraform_data schema.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSchemaDir, loadSchemaFile, repoRoot, schemaDir } from '../../engine/schema/load.js';
import { ctyType, providerSchemasJSON } from '../../engine/schema/terraform.js';

type J = Record<string, any>;

const testSchemas = loadSchemaDir(join(repoRoot(), 'test', 'provider', 'schemas'), 'test');
const poolformData = loadSchemaFile(join(schemaDir(), 'poolform_data.json'));

test('document shape, source addresses and provider block', () => {
  const doc = providerSchemasJSON([
    { name: 'test', schemas: testSchemas.filter((s) => s.kind !== 'provider'), configSchema: testSchemas.find((s) => s.kind === 'provider') },
    { name: 'poolform', schemas: [poolformData] },
    { name: 'xenserver', source: 'example.com/acme/xenserver', schemas: [] },
  ]) as J;
  assert.equal(doc.format_version, '1.0');
  assert.deepEqual(Object.keys(doc.provider_schemas), ['poolform.dev/builtin/test', 'poolform.dev/builtin/poolform', 'example.com/acme/xenserver']);
  const t = doc.provider_schemas['poolform.dev/builtin/test'];
  assert.equal(t.provider.version, 0);
  assert.deepEqual(t.provider.block.attributes.store, { type: 'string', description: 'The store file, relative to the root module\'s directory.', description_kind: 'plain', optional: true });
  assert.deepEqual(t.provider.block.attributes.fail_on.type, ['list', 'string']);
  assert.deepEqual(Object.keys(t.resource_schemas), ['test_group', 'test_object']);
  assert.deepEqual(Object.keys(t.data_source_schemas), ['test_lookup']);
  assert.deepEqual(doc.provider_schemas['poolform.dev/builtin/poolform'].provider, { version: 0 });
  assert.deepEqual(doc.provider_schemas['example.com/acme/xenserver'], { provider: { version: 0 } });
});

test('attribute flags and types', () => {
  const doc = providerSchemasJSON([{ name: 'test', schemas: testSchemas }]) as J;
  const block = doc.provider_schemas['poolform.dev/builtin/test'].resource_schemas.test_object.block;
  assert.equal(block.version, undefined);
  assert.equal(block.description_kind, 'plain');
  const a = block.attributes;
  assert.deepEqual(a.name, { type: 'string', description: "The object's name.", description_kind: 'plain', required: true });
  assert.deepEqual(a.tags.type, ['map', 'string']);
  assert.equal(a.secret.sensitive, true);
  assert.equal(a.secret.write_only, true);
  assert.equal(a.secret.optional, true);
  assert.equal(a.status.computed, true);
  assert.equal(a.status.optional, undefined);
  assert.equal(a.size.type, 'number');
  const lookup = doc.provider_schemas['poolform.dev/builtin/test'].data_source_schemas.test_lookup.block.attributes;
  assert.equal(lookup.value.computed, true);
  assert.equal(lookup.name.required, true);
});

test('x-nesting attributes become block types', () => {
  const doc = providerSchemasJSON([{ name: 'test', schemas: testSchemas }]) as J;
  const block = doc.provider_schemas['poolform.dev/builtin/test'].resource_schemas.test_group.block;
  assert.equal(block.attributes.settings, undefined);
  assert.deepEqual(block.attributes.members.type, ['list', 'string']);
  const settings = block.block_types.settings;
  assert.equal(settings.nesting_mode, 'single');
  assert.deepEqual(settings.block.attributes.mtu, { type: 'number', description_kind: 'plain', optional: true });
  assert.equal(settings.block.attributes.mode.type, 'string');
});

test('cty type notation for JSON Schema nodes', () => {
  const root = { $defs: { port: { type: 'integer' } } };
  assert.equal(ctyType({}, root), 'dynamic');
  assert.equal(ctyType({ type: ['string', 'null'] }, root), 'string');
  assert.equal(ctyType({ type: ['string', 'number'] }, root), 'dynamic');
  assert.equal(ctyType({ enum: ['a', 'b'] }, root), 'string');
  assert.equal(ctyType({ type: 'boolean' }, root), 'bool');
  assert.deepEqual(ctyType({ type: 'array', items: { $ref: '#/$defs/port' } }, root), ['list', 'number']);
  assert.deepEqual(ctyType({ type: 'array', uniqueItems: true, items: { type: 'string' } }, root), ['set', 'string']);
  assert.deepEqual(ctyType({ type: 'array' }, root), ['list', 'dynamic']);
  assert.deepEqual(ctyType({ type: 'object' }, root), ['map', 'dynamic']);
  assert.deepEqual(ctyType({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'number' } }, required: ['a'] }, root), ['object', { a: 'string', b: 'number' }, ['b']]);
  assert.deepEqual(ctyType({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, root), ['object', { a: 'string' }]);
});

function terraformAvailable(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore', timeout: 20000 });
    return true;
  } catch {
    return false;
  }
}

test('poolform_data matches Terraform\'s own terraform_data attributes', { skip: !terraformAvailable() && 'terraform is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-tf-'));
  writeFileSync(join(dir, 'main.tf'), 'resource "terraform_data" "x" {\n  input = 1\n}\n');
  const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  execFileSync('terraform', ['init', '-input=false', '-backend=false'], { cwd: dir, env, stdio: 'ignore', timeout: 60000 });
  const tf = JSON.parse(execFileSync('terraform', ['providers', 'schema', '-json'], { cwd: dir, env, encoding: 'utf8', timeout: 60000 })) as J;
  const theirs = tf.provider_schemas['terraform.io/builtin/terraform'];
  const ours = (providerSchemasJSON([{ name: 'poolform', schemas: [poolformData] }]) as J).provider_schemas['poolform.dev/builtin/poolform'];
  const strip = (attrs: J) => Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { ...v, description: undefined }]));
  assert.deepEqual(Object.keys(ours), ['provider', 'resource_schemas']);
  assert.deepEqual(ours.provider, theirs.provider);
  assert.equal(ours.resource_schemas.poolform_data.version, theirs.resource_schemas.terraform_data.version);
  assert.deepEqual(strip(ours.resource_schemas.poolform_data.block.attributes), strip(theirs.resource_schemas.terraform_data.block.attributes));
});
