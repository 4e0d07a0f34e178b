// The test provider: real file-store operations, drift by editing the store, fault injection,
// bulk observation (one read per observe), and the per-target limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlannedChange, ProviderContext, Session } from '../../engine/provider.js';
import providerDefault, { DEFAULT_STORE, providerTest as p, readStoreSync, resetStats, stats, writeStoreSync } from '../provider/index.js';

function setup(config: Record<string, unknown> = {}): Promise<{ s: Session; ctx: ProviderContext; dir: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-testprov-'));
  const ctx: ProviderContext = { rootDir: dir, log() {}, signal: new AbortController().signal };
  return p.connect(config, ctx).then((s) => ({ s, ctx, dir, file: join(dir, typeof config.store === 'string' ? config.store : DEFAULT_STORE) }));
}

test('identity, schemas and configuration schema', () => {
  assert.equal(providerDefault, p);
  assert.equal(p.name, 'test');
  assert.deepEqual(p.schemas.map((s) => s.type).sort(), ['test_group', 'test_lookup', 'test_object']);
  assert.equal(p.configSchema?.kind, 'provider');
  assert.deepEqual(Object.keys(p.configSchema?.attributes ?? {}).sort(), ['delay_ms', 'fail_after', 'fail_connect', 'fail_on', 'store']);
  assert.deepEqual(p.limit?.('test_object', null), { key: 'store', max: 2 });
});

test('create writes the store; computed values, defaults, write-only kept out of attributes', async () => {
  const { s, ctx, file } = await setup();
  const r = await p.create(s, 'test_object', { name: 'a', tags: { env: 'dev' }, secret: 'hunter2' }, ctx);
  assert.deepEqual(r.attrs, { name: 'a', size: 1, tags: { env: 'dev' }, status: 'running', uuid: r.id });
  const data = readStoreSync(file);
  assert.deepEqual(data.objects.test_object[r.id], r.attrs);
  assert.deepEqual(data.secrets?.[r.id], { secret: 'hunter2' }, 'the platform received the write-only value');
  assert.equal(readdirSync(join(file, '..')).filter((n) => n.endsWith('.tmp')).length, 0, 'no temporary files left');
});

test('the store path is relative to rootDir and configurable', async () => {
  const { s, ctx, dir } = await setup({ store: 'sub/platform.json' });
  await p.create(s, 'test_group', { name: 'g' }, ctx);
  assert.ok(existsSync(join(dir, 'sub', 'platform.json')));
  assert.match(s.target, /sub\/platform\.json/);
});

test('observe returns every object of the requested types from one read', async () => {
  const { s, ctx } = await setup();
  const o1 = await p.create(s, 'test_object', { name: 'o1' }, ctx);
  await p.create(s, 'test_object', { name: 'o2' }, ctx);
  const g = await p.create(s, 'test_group', { name: 'g', members: ['o1'], settings: { mtu: 9000, mode: 'lacp' } }, ctx);
  resetStats();
  const seen = await p.observe(s, [{ type: 'test_object', ids: [o1.id] }, { type: 'test_group', ids: [] }, { type: 'test_object_other', ids: [] }], ctx);
  assert.equal(stats.reads, 1);
  assert.equal(stats.writes, 0);
  assert.equal(seen.get('test_object')?.length, 2);
  assert.deepEqual(seen.get('test_group'), [{ id: g.id, attrs: { name: 'g', members: ['o1'], settings: { mtu: 9000, mode: 'lacp' } } }]);
  assert.deepEqual(seen.get('test_object_other'), []);
});

test('drift: edits to the store behind poolform\'s back are observed', async () => {
  const { s, ctx, file } = await setup();
  const r = await p.create(s, 'test_object', { name: 'a', size: 2 }, ctx);
  const data = readStoreSync(file);
  data.objects.test_object[r.id].size = 7;
  data.objects.test_object[r.id].status = 'stopped';
  writeStoreSync(file, data);
  const seen = await p.observe(s, [{ type: 'test_object', ids: [r.id] }], ctx);
  assert.deepEqual(seen.get('test_object')?.[0].attrs, { name: 'a', size: 7, status: 'stopped', uuid: r.id });
  assert.deepEqual(await p.importObject?.(s, 'test_object', r.id, ctx), { id: r.id, attrs: { name: 'a', size: 7, status: 'stopped', uuid: r.id } });
  assert.equal(await p.importObject?.(s, 'test_object', 'missing', ctx), undefined);
});

test('update changes attributes in place, keeps runtime status, refuses zone changes', async () => {
  const { s, ctx, file } = await setup();
  const r = await p.create(s, 'test_object', { name: 'a', zone: 'z1' }, ctx);
  const data = readStoreSync(file);
  data.objects.test_object[r.id].status = 'paused';
  writeStoreSync(file, data);
  const u = await p.update(s, 'test_object', r.id, r.attrs, { name: 'a', zone: 'z1', size: 4 }, ctx);
  assert.deepEqual(u, { id: r.id, attrs: { name: 'a', zone: 'z1', size: 4, status: 'paused', uuid: r.id } });
  await assert.rejects(p.update(s, 'test_object', r.id, u.attrs, { name: 'a', zone: 'z2' }, ctx), /zone cannot change in place/);
  await assert.rejects(p.update(s, 'test_object', r.id, u.attrs, { name: 'a', zone: 'z1', bogus: 1 }, ctx), /unknown attribute "bogus"/);
});

test('update sends only what differs from `before`, so it is only as right as `before`', async () => {
  const { s, ctx, file } = await setup();
  const r = await p.create(s, 'test_object', { name: 'a', size: 2, tags: { k: 'v' } }, ctx);
  const data = readStoreSync(file);
  data.objects.test_object[r.id].size = 9; // drift
  writeStoreSync(file, data);
  const stale = await p.update(s, 'test_object', r.id, r.attrs, { name: 'b', size: 2 }, ctx);
  assert.deepEqual(stale.attrs, { name: 'b', size: 9, status: 'running', uuid: r.id }, 'size 2 looked unchanged; tags removed');
  const fresh = await p.update(s, 'test_object', r.id, stale.attrs, { name: 'b', size: 2 }, ctx);
  assert.equal(fresh.attrs.size, 2);
});

test('update of an object deleted behind poolform\'s back fails; delete is idempotent', async () => {
  const { s, ctx, file } = await setup();
  const r = await p.create(s, 'test_object', { name: 'a' }, ctx);
  writeStoreSync(file, { objects: {} });
  await assert.rejects(p.update(s, 'test_object', r.id, r.attrs, { name: 'b' }, ctx), /does not exist/);
  const r2 = await p.create(s, 'test_object', { name: 'c', secret: 'x' }, ctx);
  await p.delete(s, 'test_object', r2.id, r2.attrs, ctx);
  const data = readStoreSync(file);
  assert.deepEqual(data.objects.test_object, {});
  assert.equal(data.secrets?.[r2.id], undefined);
  await p.delete(s, 'test_object', r2.id, r2.attrs, ctx);
});

test('concurrent operations do not lose writes', async () => {
  const { s, ctx, file } = await setup();
  resetStats();
  const made = await Promise.all(Array.from({ length: 12 }, (_, i) => p.create(s, 'test_object', { name: `n${i}` }, ctx)));
  assert.equal(Object.keys(readStoreSync(file).objects.test_object).length, 12);
  assert.equal(new Set(made.map((m) => m.id)).size, 12);
  assert.equal(stats.writes, 12);
  assert.equal(stats.maxInFlight, 12, 'all twelve were in flight at once: the test really is concurrent');
  assert.equal(stats.inFlight, 0);
});

test('fail_on (config) makes create and update of named objects fail', async () => {
  const { s, ctx, file } = await setup({ fail_on: ['bad'] });
  await assert.rejects(p.create(s, 'test_object', { name: 'bad' }, ctx), /injected failure for "bad"/);
  const ok = await p.create(s, 'test_object', { name: 'good' }, ctx);
  await assert.rejects(p.update(s, 'test_object', ok.id, ok.attrs, { name: 'bad' }, ctx), /injected failure/);
  assert.deepEqual(Object.values(readStoreSync(file).objects.test_object).map((a) => a.name), ['good']);
});

test('POOLFORM_TEST_FAIL_ON (environment) injects failures without changing the config', async () => {
  process.env.POOLFORM_TEST_FAIL_ON = 'x, y';
  try {
    const { s, ctx } = await setup({ fail_on: ['z'] });
    for (const name of ['x', 'y', 'z']) await assert.rejects(p.create(s, 'test_object', { name }, ctx), /injected failure/);
    await p.create(s, 'test_object', { name: 'w' }, ctx);
  } finally {
    delete process.env.POOLFORM_TEST_FAIL_ON;
  }
});

test('fail_after: the Nth operation of a session fails', async () => {
  const { s, ctx, file } = await setup({ fail_after: 3 });
  const a = await p.create(s, 'test_object', { name: 'a' }, ctx);
  await p.update(s, 'test_object', a.id, a.attrs, { name: 'a', size: 2 }, ctx);
  await assert.rejects(p.create(s, 'test_object', { name: 'b' }, ctx), /operation 3 .*fail_after = 3/);
  await p.create(s, 'test_object', { name: 'c' }, ctx);
  assert.deepEqual(Object.values(readStoreSync(file).objects.test_object).map((x) => x.name).sort(), ['a', 'c']);
  // A new session counts again from 1, and data-source reads are not counted.
  const s2 = await p.connect({ fail_after: 2 }, ctx);
  await p.read?.(s2, 'test_lookup', { name: 'a' }, ctx);
  await p.create(s2, 'test_object', { name: 'd' }, ctx);
  await assert.rejects(p.create(s2, 'test_object', { name: 'e' }, ctx), /injected failure/);
});

test('delay_ms delays operations and is cut short by the abort signal', async () => {
  const { ctx } = await setup();
  const ac = new AbortController();
  const actx = { ...ctx, signal: ac.signal };
  const s = await p.connect({ delay_ms: 60000 }, actx);
  const pending = p.create(s, 'test_object', { name: 'slow' }, actx);
  ac.abort();
  await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
  assert.equal(existsSync(join(ctx.rootDir, DEFAULT_STORE)), false, 'nothing was written');
  const quick = await p.connect({ delay_ms: 5 }, ctx);
  assert.equal((await p.create(quick, 'test_object', { name: 'q' }, ctx)).attrs.name, 'q');
});

test('test_lookup reads the lookups table, then object names', async () => {
  const { s, ctx, file } = await setup();
  const o = await p.create(s, 'test_object', { name: 'web' }, ctx);
  const data = readStoreSync(file);
  data.lookups = { region: 'eu-1' };
  writeStoreSync(file, data);
  assert.deepEqual(await p.read?.(s, 'test_lookup', { name: 'region' }, ctx), { name: 'region', value: 'eu-1' });
  assert.deepEqual(await p.read?.(s, 'test_lookup', { name: 'web' }, ctx), { name: 'web', value: o.id });
  await assert.rejects(p.read!(s, 'test_lookup', { name: 'nope' }, ctx), /nothing named "nope"/);
  await assert.rejects(p.create(s, 'test_lookup', { name: 'x' }, ctx), /data source/);
});

test('preflight and impact', async () => {
  const pctx = { rootDir: '.', log() {}, signal: new AbortController().signal, session: () => Promise.reject(new Error('the test provider preflight needs no session')) };
  const change = (over: Partial<PlannedChange>): PlannedChange => ({ address: 'test_object.a', type: 'test_object', action: 'create', before: null, after: { name: 'a' }, changedPaths: [], ...over });
  assert.deepEqual(await p.preflight?.([change({})], new Map(), pctx), []);
  const [d] = (await p.preflight?.([change({ after: { name: 'a', size: 5000 } })], new Map(), pctx)) ?? [];
  assert.equal(d.address, 'test_object.a');
  assert.equal(d.severity, 'error');
  assert.match(d.summary, /^size 5000 exceeds/);
  assert.equal(p.impact?.(change({ type: 'test_group', action: 'update', changedPaths: [['settings', 'mtu']] })), 'network-blip');
  assert.equal(p.impact?.(change({ type: 'test_group', action: 'update', changedPaths: [['members']] })), 'none');
});
