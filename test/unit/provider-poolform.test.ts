// The built-in poolform provider: poolform_data operations, no platform, state-only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import providerDefault, { providerPoolform as p } from '../../providers/poolform/index.js';
import type { ProviderContext } from '../../engine/provider.js';

const ctx: ProviderContext = { rootDir: '.', log() {}, signal: new AbortController().signal };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('identity: name, state-only flag, schemas, default export', () => {
  assert.equal(providerDefault, p);
  assert.equal(p.name, 'poolform');
  assert.equal(p.stateOnly, true);
  assert.deepEqual(p.schemas.map((s) => s.type), ['poolform_data']);
  assert.equal(p.schemas, p.schemas, 'schemas are loaded once');
  assert.equal(p.schemas[0].attributes.triggers_replace.replaceOnChange, true);
});

test('create gives a new UUID and output equal to input', async () => {
  const s = await p.connect({}, ctx);
  const a = await p.create(s, 'poolform_data', { input: { x: [1, 2] }, triggers_replace: 'v1' }, ctx);
  const b = await p.create(s, 'poolform_data', { input: 'y' }, ctx);
  assert.match(a.id, UUID);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(a.attrs, { id: a.id, input: { x: [1, 2] }, output: { x: [1, 2] }, triggers_replace: 'v1' });
  assert.deepEqual(b.attrs, { id: b.id, input: 'y', output: 'y', triggers_replace: null });
  await s.close();
});

test('update keeps the id and copies the new input to output', async () => {
  const s = await p.connect({}, ctx);
  const a = await p.create(s, 'poolform_data', { input: 1 }, ctx);
  const u = await p.update(s, 'poolform_data', a.id, a.attrs, { ...a.attrs, input: 2 }, ctx);
  assert.equal(u.id, a.id);
  assert.deepEqual(u.attrs, { id: a.id, input: 2, output: 2, triggers_replace: null });
});

test('delete is a no-op; observe reports nothing (state is the truth)', async () => {
  const s = await p.connect({}, ctx);
  assert.deepEqual(await p.delete(s, 'poolform_data', 'any-id', {}, ctx), {});
  const seen = await p.observe(s, [{ type: 'poolform_data', ids: ['a', 'b'] }], ctx);
  assert.equal(seen.has('poolform_data'), false);
});

test('unknown types are refused', async () => {
  const s = await p.connect({}, ctx);
  await assert.rejects(p.create(s, 'poolform_nope', {}, ctx), /no resource type "poolform_nope"/);
});
