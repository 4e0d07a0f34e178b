// Pure state operations: put/find/remove/move/list and address parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceInstanceState, State } from '../../engine/state/types.js';
import {
  emptyState,
  newLineage,
  findResource,
  putResource,
  removeResource,
  moveResource,
  listAddresses,
  parseAddress,
  formatAddress,
  canonicalAddress,
} from '../../engine/state/ops.js';
import { StateError } from '../../engine/state/file.js';

function res(address: string, dependencies: string[] = []): ResourceInstanceState {
  const p = parseAddress(address);
  return {
    address,
    mode: p.resource!.mode,
    type: p.resource!.type,
    provider: 'xenserver',
    id: `id-${address}`,
    attributes: { name: address },
    dependencies,
  };
}

function stateWith(...addresses: string[]): State {
  let s = emptyState('0.1.0');
  for (const a of addresses) s = putResource(s, res(a));
  return s;
}

test('emptyState and newLineage', () => {
  const s = emptyState('1.2.3');
  assert.equal(s.serial, 0);
  assert.equal(s.format_version, 1);
  assert.equal(s.poolform_version, '1.2.3');
  assert.deepEqual(s.resources, []);
  assert.match(s.lineage, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(newLineage(), newLineage());
});

test('putResource keeps resources sorted, replaces in place and does not mutate its input', () => {
  const a = stateWith('xen_vm.b', 'xen_vm.a');
  assert.deepEqual(listAddresses(a), ['xen_vm.a', 'xen_vm.b']);
  assert.deepEqual(a.resources.map((r) => r.address), ['xen_vm.a', 'xen_vm.b']);
  const b = putResource(a, { ...res('xen_vm.a'), id: 'new' });
  assert.equal(findResource(b, 'xen_vm.a')!.id, 'new');
  assert.equal(findResource(a, 'xen_vm.a')!.id, 'id-xen_vm.a');
  assert.equal(b.resources.length, 2);
  const c = putResource(b, res('xen_net.z'));
  assert.deepEqual(c.resources.map((r) => r.address), ['xen_net.z', 'xen_vm.a', 'xen_vm.b']);
  assert.equal(b.resources.length, 2);
  // An unsorted input still comes back sorted.
  const unsorted: State = { ...emptyState('0.1.0'), resources: [res('b.y'), res('a.x')] };
  assert.deepEqual(putResource(unsorted, res('c.z')).resources.map((r) => r.address), ['a.x', 'b.y', 'c.z']);
});

test('findResource accepts a non-canonical spelling', () => {
  const s = stateWith('xen_vm.a[3]', 'xen_vm.b["k"]');
  assert.equal(findResource(s, 'xen_vm.a[03]')?.address, 'xen_vm.a[3]');
  assert.equal(findResource(s, 'xen_vm.b["\\u006b"]')?.address, 'xen_vm.b["k"]');
  assert.equal(findResource(s, 'xen_vm.c'), undefined);
  assert.equal(findResource(s, 'not an address'), undefined);
});

test('parseAddress / formatAddress round-trip and errors', () => {
  for (const a of [
    'xen_vm.a',
    'xen_vm.a[0]',
    'xen_vm.a["x.y[1]"]',
    'data.xen_pool.p',
    'module.net.xen_vlan.v["h1"]',
    'module.a[2].module.b["k"].data.t.n',
    'module.a',
    'module.a["k"].module.b',
  ]) {
    assert.equal(formatAddress(parseAddress(a)), a);
  }
  const p = parseAddress('module.a["k"].data.t.n[1]');
  assert.deepEqual(p, { modules: [{ name: 'a', key: '["k"]' }], resource: { mode: 'data', type: 't', name: 'n', key: '[1]' } });
  assert.equal(canonicalAddress('module.a[007].t.n'), 'module.a[7].t.n');
  assert.throws(() => parseAddress('xen_vm'), StateError);
  assert.throws(() => parseAddress('xen_vm.a[x]'), /invalid address "xen_vm.a\[x\]"/);
  assert.throws(() => parseAddress('xen_vm.a.b'), /unexpected text/);
  assert.throws(() => parseAddress('xen_vm.a["x'), /unterminated/);
});

test('listAddresses filters by instance, resource and module', () => {
  const s = stateWith('xen_vm.a[0]', 'xen_vm.a[1]', 'xen_vm.ab', 'module.x.xen_vm.a', 'module.x["k"].xen_vm.a', 'module.xy.xen_vm.a');
  assert.equal(listAddresses(s).length, 6);
  assert.deepEqual(listAddresses(s, 'xen_vm.a'), ['xen_vm.a[0]', 'xen_vm.a[1]']);
  assert.deepEqual(listAddresses(s, 'xen_vm.a[1]'), ['xen_vm.a[1]']);
  assert.deepEqual(listAddresses(s, 'module.x'), ['module.x.xen_vm.a', 'module.x["k"].xen_vm.a']);
  assert.deepEqual(listAddresses(s, 'module.x["k"]'), ['module.x["k"].xen_vm.a']);
  assert.deepEqual(listAddresses(s, ['xen_vm.ab', 'module.xy']), ['module.xy.xen_vm.a', 'xen_vm.ab']);
  assert.deepEqual(listAddresses(s, 'xen_vm.zz'), []);
});

test('addresses sort with numeric keys as numbers (as plans list them), whatever the insertion order', () => {
  const addrs = ['x.vm1', 'module.m[10].x.a', 'x.n[10]', 'x.n["b"]', 'x.vm01', 'x.n[2]', 'module.m[9].x.a'];
  const want = ['module.m[9].x.a', 'module.m[10].x.a', 'x.n["b"]', 'x.n[2]', 'x.n[10]', 'x.vm01', 'x.vm1'];
  assert.deepEqual(listAddresses(stateWith(...addrs)), want);
  assert.deepEqual(stateWith(...[...addrs].reverse()).resources.map((r) => r.address), want);
  assert.deepEqual(listAddresses(stateWith(...addrs), 'x.n'), ['x.n["b"]', 'x.n[2]', 'x.n[10]']);
});

test('removeResource removes an instance, a whole resource, or a module', () => {
  const s = stateWith('xen_vm.a[0]', 'xen_vm.a[1]', 'xen_vm.b', 'module.m.xen_vm.a', 'module.m.module.n.xen_vm.c', 'module.mm.xen_vm.a');
  let r = removeResource(s, 'xen_vm.a[1]');
  assert.deepEqual(r.removed, ['xen_vm.a[1]']);
  assert.equal(r.state.resources.length, 5);
  assert.equal(s.resources.length, 6, 'input untouched');
  r = removeResource(s, 'xen_vm.a');
  assert.deepEqual(r.removed, ['xen_vm.a[0]', 'xen_vm.a[1]']);
  r = removeResource(s, 'module.m');
  assert.deepEqual(r.removed, ['module.m.module.n.xen_vm.c', 'module.m.xen_vm.a']);
  assert.deepEqual(listAddresses(r.state), ['module.mm.xen_vm.a', 'xen_vm.a[0]', 'xen_vm.a[1]', 'xen_vm.b']);
  r = removeResource(s, 'xen_vm.nope');
  assert.deepEqual(r.removed, []);
  assert.equal(r.state, s);
});

test('moveResource: one instance, keyed or not', () => {
  const s = stateWith('xen_vm.a[0]', 'xen_vm.a[1]', 'xen_vm.single');
  let m = moveResource(s, 'xen_vm.a[1]', 'xen_vm.b["x"]');
  assert.deepEqual(m.moved, [{ from: 'xen_vm.a[1]', to: 'xen_vm.b["x"]' }]);
  assert.deepEqual(listAddresses(m.state), ['xen_vm.a[0]', 'xen_vm.b["x"]', 'xen_vm.single']);
  assert.equal(findResource(m.state, 'xen_vm.b["x"]')!.id, 'id-xen_vm.a[1]');
  assert.equal(findResource(s, 'xen_vm.a[1]')!.address, 'xen_vm.a[1]', 'input untouched');
  // keyless -> keyed: a single instance gaining count/for_each
  m = moveResource(s, 'xen_vm.single', 'xen_vm.single[0]');
  assert.deepEqual(m.moved, [{ from: 'xen_vm.single', to: 'xen_vm.single[0]' }]);
  // keyed -> keyless
  m = moveResource(s, 'xen_vm.a[0]', 'xen_vm.c');
  assert.deepEqual(m.moved, [{ from: 'xen_vm.a[0]', to: 'xen_vm.c' }]);
});

test('moveResource: a whole resource keeps instance keys', () => {
  const s = stateWith('xen_vm.a[0]', 'xen_vm.a[1]', 'xen_vm.ab');
  const m = moveResource(s, 'xen_vm.a', 'module.new.xen_vm.b');
  assert.deepEqual(m.moved, [
    { from: 'xen_vm.a[0]', to: 'module.new.xen_vm.b[0]' },
    { from: 'xen_vm.a[1]', to: 'module.new.xen_vm.b[1]' },
  ]);
  assert.deepEqual(listAddresses(m.state), ['module.new.xen_vm.b[0]', 'module.new.xen_vm.b[1]', 'xen_vm.ab']);
});

test('moveResource: modules, with and without instance keys', () => {
  const s = stateWith(
    'module.x.xen_vm.a',
    'module.x["k"].xen_vm.a["q.r"]',
    'module.x["k"].module.inner.xen_net.n',
    'module.xy.xen_vm.a',
    'xen_vm.top',
  );
  let m = moveResource(s, 'module.x', 'module.y');
  assert.deepEqual(m.moved.map((x) => x.to).sort(), [
    'module.y.xen_vm.a',
    'module.y["k"].module.inner.xen_net.n',
    'module.y["k"].xen_vm.a["q.r"]',
  ]);
  assert.ok(findResource(m.state, 'module.xy.xen_vm.a'), 'module.xy is not inside module.x');
  m = moveResource(s, 'module.x["k"]', 'module.z.module.w');
  assert.deepEqual(listAddresses(m.state, 'module.z'), ['module.z.module.w.module.inner.xen_net.n', 'module.z.module.w.xen_vm.a["q.r"]']);
  assert.ok(findResource(m.state, 'module.x.xen_vm.a'), 'the keyless instance stays');
});

test('moveResource rewrites recorded dependencies', () => {
  let s = emptyState('0.1.0');
  s = putResource(s, res('xen_net.n'));
  s = putResource(s, res('xen_vm.v[0]', ['xen_net.n', 'module.m.xen_sr.s']));
  s = putResource(s, res('module.m.xen_sr.s'));
  let m = moveResource(s, 'xen_net.n', 'xen_net.lan');
  assert.deepEqual(findResource(m.state, 'xen_vm.v[0]')!.dependencies, ['xen_net.lan', 'module.m.xen_sr.s']);
  m = moveResource(s, 'module.m', 'module.storage');
  assert.deepEqual(findResource(m.state, 'xen_vm.v[0]')!.dependencies, ['xen_net.n', 'module.storage.xen_sr.s']);
  // moving one keyed instance leaves the resource-level dependency alone
  s = putResource(s, res('xen_net.k[0]'));
  s = putResource(s, res('xen_vm.w', ['xen_net.k']));
  m = moveResource(s, 'xen_net.k[0]', 'xen_net.k[1]');
  assert.deepEqual(findResource(m.state, 'xen_vm.w')!.dependencies, ['xen_net.k']);
});

test('moveResource errors', () => {
  const s = stateWith('xen_vm.a', 'xen_vm.b', 'xen_net.n', 'module.m.xen_vm.a');
  assert.throws(() => moveResource(s, 'xen_vm.a', 'xen_vm.b'), /xen_vm\.b already exists in the state/);
  assert.throws(() => moveResource(s, 'xen_vm.a', 'xen_net.a'), /resource types differ \(xen_vm vs xen_net\)/);
  assert.throws(() => moveResource(s, 'xen_vm.a', 'data.xen_vm.a'), /resource types differ/);
  assert.throws(() => moveResource(s, 'xen_vm.a', 'module.z'), /destination is a module address/);
  assert.throws(() => moveResource(s, 'module.m', 'xen_vm.z'), /destination is a resource address/);
  assert.throws(() => moveResource(s, 'xen_vm.aa', 'xen_vm.c'), (e: unknown) => {
    assert.ok(e instanceof StateError);
    assert.match(e.message, /no resource in the state matches xen_vm\.aa; did you mean xen_vm\.a\?/);
    return true;
  });
  // keyless -> keyed module moves only the keyless module instance
  assert.deepEqual(moveResource(s, 'module.m', 'module.m["k"]').moved, [{ from: 'module.m.xen_vm.a', to: 'module.m["k"].xen_vm.a' }]);
  const keyed = stateWith('module.k["a"].xen_vm.v');
  assert.throws(() => moveResource(keyed, 'module.k', 'module.k["b"]'), /no resource in the state matches module\.k/);
});
