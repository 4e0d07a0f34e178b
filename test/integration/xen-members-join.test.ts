// Joining hosts into a pool through the provider, against the simulated lab over loopback: the
// pool adopted and named, two members joined from standalone hosts (pool.join run on each joining
// host, task journalled), observation matching what create returned, a forced join of a host with
// other CPU features, and eject refused without allow_eject, then done with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerXenserver as p } from '../../providers/xenserver/index.js';
import { assertObservedMatches, memberAttrs, observeOne, providerCtx, withLab } from './xen-harness.js';

test('a pool from standalone hosts: adopt, name, join two members, observe', async () => {
  await withLab({ hosts: 3 }, async (x, s, calls) => {
    const ctx = providerCtx('xenserver_pool.main');
    const pool = await p.create(s, 'xenserver_pool', { name_label: 'lab', name_description: 'poolform lab', igmp_snooping: true }, ctx);
    assert.equal(pool.attrs.coordinator, x.lab.hosts[0]!.uuid);
    assert.equal(pool.attrs.coordinator_address, x.lab.hosts[0]!.address);
    assert.equal(pool.attrs.name_label, 'lab');
    assert.equal(pool.attrs.igmp_snooping, true);
    assertObservedMatches(await observeOne(s, 'xenserver_pool', pool.id), pool.attrs);

    const results = [];
    for (const i of [1, 2]) {
      const mctx = providerCtx(`xenserver_pool_member.m${i}`);
      const r = await p.create(s, 'xenserver_pool_member', memberAttrs(x, i), mctx);
      assert.equal(r.id, x.lab.hosts[i]!.uuid, 'the member is the joining host');
      assert.equal(r.attrs.name_label, x.lab.hosts[i]!.name);
      assert.equal(r.attrs.host_uuid, r.id);
      assert.ok(!('password' in r.attrs), 'the password is never returned');
      assert.equal(mctx.tasks.length, 1, 'the join task was journalled');
      assert.equal(r.task, mctx.tasks[0]);
      results.push(r);
    }
    assert.equal(calls.calls.filter((m) => m === 'Async.pool.join').length, 2);
    assert.equal(calls.calls.filter((m) => m === 'Async.pool.join_force').length, 0);

    // the coordinator lists both, enabled; a second observation equals what create returned
    const seen = await p.observe(s, [{ type: 'xenserver_pool_member', ids: results.map((r) => r.id) }], providerCtx());
    assert.equal(seen.get('xenserver_pool_member')?.length, 2);
    for (const r of results) assertObservedMatches(await observeOne(s, 'xenserver_pool_member', r.id), r.attrs);
    const hosts = await p.read!(s, 'xenserver_hosts', {}, providerCtx());
    const table = hosts.hosts as Record<string, { uuid: string; enabled: boolean; coordinator: boolean; management_ip: string }>;
    assert.deepEqual(Object.keys(table).sort(), ['xs1', 'xs2', 'xs3']);
    assert.equal(table.xs1!.coordinator, true);
    assert.equal(table.xs2!.coordinator, false);
    assert.ok(Object.values(table).every((h) => h.enabled && /^10\.10\.0\.\d+$/.test(h.management_ip)));
    // the pool is the same pool, now named, with three hosts
    assertObservedMatches(await observeOne(s, 'xenserver_pool', pool.id), pool.attrs);

    // joining again is reported as already a member (adopt with an import instead)
    await assert.rejects(p.create(s, 'xenserver_pool_member', memberAttrs(x, 1), providerCtx()), /already a member of this pool/);
  });
});

test('forced join of a host with other CPU features; eject needs allow_eject', async () => {
  await withLab({ hosts: 2, hostSpecs: [{}, { cpuFeatures: '0fcbfbff-f7fa3223-2d93fbff-00000423-d7be7fff-00000000-00000000-00000000' }] }, async (x, s, calls) => {
    const ctx = providerCtx();
    // without force: the homogeneity rule stops it before pool.join is sent
    await assert.rejects(p.create(s, 'xenserver_pool_member', memberAttrs(x, 1), ctx), (e: Error) => {
      assert.match(e.message, /homogeneous CPU features/);
      assert.match(e.message, /force = true/);
      assert.doesNotMatch(e.message, new RegExp(x.lab.password));
      return true;
    });
    assert.equal(calls.calls.filter((m) => m.includes('pool.join')).length, 0);

    const m = await p.create(s, 'xenserver_pool_member', memberAttrs(x, 1, { force: true }), ctx);
    assert.equal(calls.calls.filter((c) => c === 'Async.pool.join_force').length, 1);
    assert.equal(m.attrs.force, true);

    // delete with allow_eject false (as state recorded it) is refused, saying how
    await assert.rejects(p.delete(s, 'xenserver_pool_member', m.id, m.attrs, ctx), /set allow_eject = true.*apply.*remove/);
    assert.ok(await observeOne(s, 'xenserver_pool_member', m.id), 'still a member');
    // allow_eject is a poolform-side setting: an update changes nothing on the platform
    const before = calls.calls.length;
    const u = await p.update(s, 'xenserver_pool_member', m.id, m.attrs, { ...memberAttrs(x, 1, { force: true }), allow_eject: true }, ctx);
    assert.equal(u.attrs.allow_eject, true);
    assert.ok(calls.calls.slice(before).every((c) => !/\.(set_|join|eject|disable|evacuate)/.test(c)), 'no platform change');

    const dctx = providerCtx('xenserver_pool_member.m1');
    const d = await p.delete(s, 'xenserver_pool_member', m.id, u.attrs, dctx);
    assert.ok(d.task && dctx.tasks.includes(d.task), 'the eject task is journalled and returned');
    const order = calls.calls.filter((c) => ['host.disable', 'Async.host.evacuate', 'Async.pool.eject'].includes(c));
    assert.deepEqual(order, ['host.disable', 'Async.host.evacuate', 'Async.pool.eject']);
    assert.equal(await observeOne(s, 'xenserver_pool_member', m.id), undefined, 'an ejected host is gone from observation');
    // deleting what is already gone succeeds
    await p.delete(s, 'xenserver_pool_member', m.id, u.attrs, ctx);
  });
});
