// HA and maintenance against the simulated lab: the HA preflight (shared heartbeat SRs, failures
// to tolerate against the hosts and what the pool can tolerate), enable / change / disable through
// the provider, maintenance refused while it would break HA's promise, the maintenance sequence's
// order once allowed, and ejects refused while HA is on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerXenserver as p } from '../../providers/xenserver/index.js';
import { assertObservedMatches, change, memberAttrs, observeOne, providerCtx, providerPreflight, withLab } from './xen-harness.js';

test('HA: preflight, enable, refusals, maintenance order once HA is off', async () => {
  await withLab({ hosts: 2 }, async (x, s, calls) => {
    const ctx = providerCtx();
    const member = await p.create(s, 'xenserver_pool_member', memberAttrs(x, 1, { allow_eject: true }), ctx);
    const coordHostRef = (await s.snapshot(true)).pool()[1].master as string;
    const nfs = await s.xapi.callAsync('SR.create', [coordHostRef, { server: '10.10.1.5', serverpath: '/export/ha' }, 0, 'ha nfs', '', 'nfs', 'user', true, {}]);
    const snap = await s.snapshot(true);
    const nfsUuid = snap.get('SR', nfs)!.uuid;
    const local = snap.find('SR', (r) => r.name_label === 'Local storage')![1].uuid;

    // every HA problem at once: a local SR, an unknown SR, more failures than hosts allow
    const bad = change('xenserver_ha.main', 'create', { enabled: true, heartbeat_srs: [nfsUuid, local, '00000000-0000-0000-0000-000000000000'], host_failures_to_tolerate: 2 });
    const diags = await providerPreflight(s, [bad]);
    assert.deepEqual(diags.map((d) => d.severity), ['error', 'error', 'error']);
    assert.ok(diags.every((d) => d.address === 'xenserver_ha.main' && d.detail));
    assert.match(diags.map((d) => d.summary).join('\n'), /is not shared[^]*is not an SR of this pool[^]*needs at least 3 hosts; the pool will have 2/);

    // enable with what the pool can bear; observation equals the result
    const want = { enabled: true, heartbeat_srs: [nfsUuid], host_failures_to_tolerate: 1 };
    assert.deepEqual(await providerPreflight(s, [change('xenserver_ha.main', 'create', want)]), []);
    const hctx = providerCtx('xenserver_ha.main');
    const ha = await p.create(s, 'xenserver_ha', want, hctx);
    assert.deepEqual(ha.attrs, { id: ha.id, enabled: true, heartbeat_srs: [nfsUuid], host_failures_to_tolerate: 1, max_failures_tolerable: 1 });
    assert.equal(hctx.tasks.length, 1, 'the enable_ha task was journalled');
    assertObservedMatches(await observeOne(s, 'xenserver_ha', ha.id), ha.attrs);

    // a second tolerated failure: refused at plan time and by the platform
    const more = { ...want, host_failures_to_tolerate: 2 };
    const up = await providerPreflight(s, [change('xenserver_ha.main', 'update', more, ha.attrs, ['host_failures_to_tolerate'])]);
    assert.equal(up.length, 1);
    assert.match(up[0]!.summary, /needs at least 3 hosts/);
    await assert.rejects(p.update(s, 'xenserver_ha', ha.id, ha.attrs, more, ctx), /HA: .*HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN/);

    // maintenance of a host and an eject would break HA's promise / are refused with HA on
    const hostRes = await p.create(s, 'xenserver_host', { host: 'xs2' }, ctx);
    const reboot = change('xenserver_host.xs2', 'update', { ...hostRes.attrs, sched_gran: 'core' }, hostRes.attrs, ['sched_gran']);
    const eject = change('xenserver_pool_member.xs2', 'delete', null, member.attrs);
    const blocked = await providerPreflight(s, [reboot, eject]);
    assert.deepEqual(blocked.map((d) => d.address).sort(), ['xenserver_host.xs2', 'xenserver_pool_member.xs2']);
    assert.match(blocked.find((d) => d.address === 'xenserver_host.xs2')!.summary, /maintenance \(reboot\) not possible: HA tolerates 1/);
    assert.match(blocked.find((d) => d.address === 'xenserver_pool_member.xs2')!.summary, /while HA is enabled/);
    assert.equal(p.impact!(reboot), 'host-reboot');
    assert.equal(p.impact!(eject), 'host-reboot');
    calls.calls.length = 0;
    await assert.rejects(p.update(s, 'xenserver_host', hostRes.id, hostRes.attrs, { host: 'xs2', sched_gran: 'core' }, ctx), /host xs2: cannot enter maintenance: HA tolerates 1/);
    assert.ok(!calls.calls.includes('host.disable'), 'nothing was done');

    // HA off (delete): then the maintenance sequence runs, in order
    await p.delete(s, 'xenserver_ha', ha.id, ha.attrs, ctx);
    assert.equal((await observeOne(s, 'xenserver_ha', ha.id))!.attrs.enabled, false);
    assert.deepEqual(await providerPreflight(s, [reboot]), []);
    calls.calls.length = 0;
    const mctx = providerCtx('xenserver_host.xs2');
    const updated = await p.update(s, 'xenserver_host', hostRes.id, hostRes.attrs, { host: 'xs2', sched_gran: 'core', display: 'disabled' }, mctx);
    assert.equal(updated.attrs.sched_gran, 'core');
    assert.equal(updated.attrs.display, 'disabled');
    const steps = ['host.disable', 'Async.host.evacuate', 'Async.host.set_sched_gran', 'Async.host.disable_display', 'Async.host.reboot', 'host_metrics.get_live', 'host.enable'];
    assert.deepEqual(calls.calls.filter((c) => steps.includes(c)), steps);
    assert.deepEqual(p.limit!('xenserver_host', { host: 'xs2', sched_gran: 'core' }), { key: 'maintenance', max: 1 });
    assertObservedMatches(await observeOne(s, 'xenserver_host', hostRes.id), updated.attrs);
    assert.equal((await s.snapshot(true)).byUuid('host', hostRes.id)!.enabled, true, 'enabled again');
    // live settings change without maintenance
    calls.calls.length = 0;
    const renamed = await p.update(s, 'xenserver_host', hostRes.id, updated.attrs, { host: 'xs2', name_label: 'db-2', iscsi_iqn: 'iqn.2026-11.lab:db-2', sched_gran: 'core', display: 'disabled' }, ctx);
    assert.equal(renamed.attrs.name_label, 'db-2');
    assert.equal(renamed.attrs.iscsi_iqn, 'iqn.2026-11.lab:db-2');
    assert.ok(!calls.calls.includes('host.disable') && !calls.calls.includes('Async.host.reboot'));
  });
});
