// Host power-on and management placement on join, against the simulated lab: the DRAC password
// goes into an XAPI secret referenced from power_on_config and is never returned; a new password
// replaces the secret, the same password keeps it, delete disables power-on and drops the secret.
// A host joining a pool whose management runs on a bond is moved onto the bond after the join.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerXenserver as p } from '../../providers/xenserver/index.js';
import { assertObservedMatches, change, memberAttrs, observeOne, providerCtx, withLab } from './xen-harness.js';

test('power-on: the DRAC password lives in a secret, never in attributes', async () => {
  await withLab({ hosts: 1 }, async (x, s, calls) => {
    const ctx = providerCtx();
    const secrets = async () => (await s.snapshot(true)).all('secret').map(([, r]) => r);
    const host = async () => (await s.snapshot(true)).byUuid('host', x.lab.hosts[0]!.uuid)!;
    const cfg = { power_on_ip: '10.10.9.11', power_on_user: 'root' };

    const r = await p.create(s, 'xenserver_host_power_on', { host: 'xs1', mode: 'DRAC', config: cfg, password: 'drac-pw-1' }, ctx);
    assert.deepEqual(r.attrs, { id: x.lab.hosts[0]!.uuid, host: 'xs1', mode: 'DRAC', config: cfg });
    assert.ok(!JSON.stringify(r).includes('drac-pw-1'));
    const [secret] = await secrets();
    assert.equal(secret!.value, 'drac-pw-1', 'the platform holds the password');
    assert.deepEqual((await host()).power_on_config, { ...cfg, power_on_password_secret: secret!.uuid });
    const seen = await observeOne(s, 'xenserver_host_power_on', r.id);
    assertObservedMatches(seen, r.attrs);
    assert.ok(!('password' in seen!.attrs));

    // same password (another attribute changed): the secret is kept
    const cfg2 = { ...cfg, power_on_user: 'admin' };
    await p.update(s, 'xenserver_host_power_on', r.id, r.attrs, { host: 'xs1', mode: 'DRAC', config: cfg2, password: 'drac-pw-1' }, ctx);
    assert.deepEqual((await secrets()).map((x) => x.uuid), [secret!.uuid]);
    // a new password: a new secret, the old one gone
    const u = await p.update(s, 'xenserver_host_power_on', r.id, r.attrs, { host: 'xs1', mode: 'DRAC', config: cfg2, password: 'drac-pw-2' }, ctx);
    assert.deepEqual(u.attrs.config, cfg2);
    const now = await secrets();
    assert.equal(now.length, 1);
    assert.notEqual(now[0]!.uuid, secret!.uuid);
    assert.equal(now[0]!.value, 'drac-pw-2');
    assert.equal((await host()).power_on_config && ((await host()).power_on_config as Record<string, string>).power_on_password_secret, now[0]!.uuid);
    // the secret key is poolform's: setting it by hand is refused
    await assert.rejects(p.create(s, 'xenserver_host_power_on', { host: 'xs1', mode: 'DRAC', config: { power_on_password_secret: 'x' } }, ctx), /must not set power_on_password_secret/);
    assert.equal(p.impact!(change('xenserver_host_power_on.a', 'update', {}, {}, ['mode'])), 'none');

    await p.delete(s, 'xenserver_host_power_on', r.id, u.attrs, ctx);
    assert.equal((await host()).power_on_mode, '');
    assert.deepEqual((await host()).power_on_config, {});
    assert.deepEqual(await secrets(), []);
    assert.ok(calls.calls.includes('host.set_power_on_mode'));
  });
});

test('a host joining a pool whose management is on a bond is moved onto the bond', async () => {
  await withLab({ hosts: 2 }, async (x, s, calls) => {
    const ctx = providerCtx();
    const snap = await s.snapshot(true);
    const coord = snap.pool()[1].master as string;
    const pif = (dev: string) => snap.find('PIF', (r) => r.host === coord && r.device === dev)![0];
    const net = await s.xapi.call<string>('network.create', [{ name_label: 'bond0', name_description: '', MTU: 1500, other_config: {} }]);
    await s.xapi.callAsync('Bond.create', [net, [pif('eth0'), pif('eth1')], '', 'active-backup', {}]);
    s.invalidate();

    calls.calls.length = 0;
    const m = await p.create(s, 'xenserver_pool_member', memberAttrs(x, 1), ctx);
    const moves = calls.calls.filter((c) => c.endsWith('host.management_reconfigure'));
    assert.equal(moves.length, 1, 'the join itself did not move it; the provider did, once');
    const after = await s.snapshot(true);
    const [joinerRef] = after.find('host', (h) => h.uuid === m.id)!;
    const mgmt = after.find('PIF', (r) => r.host === joinerRef && r.management === true)![1];
    assert.equal(mgmt.network, net, 'management follows the pool onto the bond');
    assert.equal(mgmt.IP, x.lab.sim.host('xs2').managementIp, 'with the host\'s own address');
  });
});
