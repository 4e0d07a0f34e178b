// The routing both platforms' Provider objects are built with: the session must be the
// platform's own, every change (even a failed one) makes the snapshot stale, preflight is skipped
// for plans that change nothing and gets the changes grouped by type, import falls back to
// observing the one id, and queues come from the type or the platform default with
// max_concurrency. A plain in-memory platform stands in for a real one: this is the routing
// alone, no transport.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs, PlannedChange, PreflightContext, ProviderContext, Session } from '../../engine/provider.js';
import { routedProvider, type RoutedResourceType } from '../../providers/common/provider-routing.js';

class FakeSession implements Session {
  readonly target = 'fake';
  stale = 0;
  snapshots = 0;
  invalidate(): void {
    this.stale++;
  }
  async close(): Promise<void> {}
}

type Snap = Map<string, Attrs>;
type T = RoutedResourceType<FakeSession, Snap> & { name: string; importOwn?: boolean };

function fakeType(name: string, extra: Partial<T> = {}): T {
  return {
    name,
    observe: (snap, ids) => ids.filter((id) => snap.has(id)).map((id) => ({ id, attrs: snap.get(id)! })),
    create: async (_s, attrs) => ({ id: String(attrs.id), attrs }),
    update: async (_s, id, _b, after) => ({ id, attrs: after }),
    delete: async () => ({}),
    ...extra,
  };
}

const ctx: ProviderContext = { rootDir: '.', log() {}, signal: new AbortController().signal };

function platform(preflightCalls: [string, string[]][][] = []) {
  const types: Record<string, T> = {
    fake_a: fakeType('a'),
    fake_b: fakeType('b', {
      create: async () => {
        throw new Error('refused');
      },
      limit: (_attrs, op, max) => (op === 'delete' ? { key: 'one-at-a-time', max: 1 } : { key: 'b', max: max * 2 }),
    }),
  };
  const provider = routedProvider({
    name: 'fake',
    session: FakeSession,
    connect: async () => new FakeSession(),
    resourceTypes: types,
    dataSources: {},
    snapshot: async (s: FakeSession) => {
      s.snapshots++;
      return new Map<string, Attrs>([['x1', { id: 'x1', size: 1 }]]);
    },
    preflight: async (_changes, byType) => {
      preflightCalls.push(byType.map(([t, list]) => [t.name, list.map((c) => c.address)]));
      return [];
    },
    importer: () => undefined,
    defaultLimit: (attrs, max) => ({ key: `node:${String(attrs?.node ?? '?')}`, max }),
  });
  return { provider, types };
}

const change = (address: string, action: PlannedChange['action']): PlannedChange => ({ address, type: address.split('.')[0]!, action, before: null, after: {}, changedPaths: [] });

test('a session of another class is refused; an unknown type names the provider', async () => {
  const { provider } = platform();
  const foreign: Session = { target: 'other', close: async () => {} };
  await assert.rejects(provider.create(foreign, 'fake_a', { id: 'a' }, ctx), /not a fake session/);
  await assert.rejects(provider.create(new FakeSession(), 'fake_zz', {}, ctx), /the fake provider has no resource type "fake_zz"/);
});

test('every change makes the snapshot stale, a failed one too', async () => {
  const { provider } = platform();
  const s = new FakeSession();
  assert.deepEqual(await provider.create(s, 'fake_a', { id: 'a1' }, ctx), { id: 'a1', attrs: { id: 'a1' } });
  await assert.rejects(provider.create(s, 'fake_b', { id: 'b1' }, ctx), /refused/);
  await provider.delete(s, 'fake_a', 'a1', {}, ctx);
  assert.equal(s.stale, 3);
});

test('preflight: skipped when nothing changes; otherwise the changes grouped by type in order of appearance', async () => {
  const calls: [string, string[]][][] = [];
  const { provider } = platform(calls);
  const s = new FakeSession();
  const pctx: PreflightContext = { ...ctx, session: async () => s };
  assert.deepEqual(await provider.preflight!([change('fake_a.x', 'noop'), change('fake_b.y', 'read')], new Map(), pctx), []);
  assert.deepEqual(calls, [], 'a plan that changes nothing is not checked');
  await provider.preflight!([change('fake_b.y', 'create'), change('fake_a.x', 'update'), change('fake_b.z', 'noop'), change('other_c.w', 'create')], new Map(), pctx);
  assert.deepEqual(calls, [
    [
      ['b', ['fake_b.y', 'fake_b.z']],
      ['a', ['fake_a.x']],
    ],
  ]);
});

test('observe reads one snapshot for every type; import without its own importer observes the one id', async () => {
  const { provider } = platform();
  const s = new FakeSession();
  const got = await provider.observe(s, [{ type: 'fake_a', ids: ['x1', 'gone'] }, { type: 'fake_b', ids: ['x1'] }, { type: 'other_c', ids: ['x1'] }], ctx);
  assert.equal(s.snapshots, 1);
  assert.deepEqual([...got.keys()], ['fake_a', 'fake_b']);
  assert.deepEqual(got.get('fake_a'), [{ id: 'x1', attrs: { id: 'x1', size: 1 } }]);
  assert.deepEqual(await provider.importObject!(s, 'fake_a', 'x1', ctx), { id: 'x1', attrs: { id: 'x1', size: 1 } });
  assert.equal(await provider.importObject!(s, 'fake_a', 'nope', ctx), undefined);
});

test("queues: the type's own, else the platform default; max is the block's max_concurrency (default 4)", () => {
  const { provider } = platform();
  assert.deepEqual(provider.limit!('fake_a', { node: 'pve2' }, 'create', { max_concurrency: 7 }), { key: 'node:pve2', max: 7 });
  assert.deepEqual(provider.limit!('fake_a', { node: 'pve2' }, 'create', undefined), { key: 'node:pve2', max: 4 });
  assert.deepEqual(provider.limit!('fake_b', {}, 'update', { max_concurrency: 3 }), { key: 'b', max: 6 });
  assert.deepEqual(provider.limit!('fake_b', {}, 'delete', { max_concurrency: 3 }), { key: 'one-at-a-time', max: 1 });
});
