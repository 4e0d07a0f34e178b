// xenserver_network against the simulated lab: create and observe as created, an MTU changed
// behind poolform's back shows as drift the next update corrects (a network blip), and deleting
// a network a VLAN still uses is refused with a message that says what holds it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { network } from '../../providers/xenserver/resources/network.js';
import { vlan } from '../../providers/xenserver/resources/vlan.js';
import type { XenSession } from '../../providers/xenserver/session.js';
import { change, planOf, providerCtx, startPooledLab, type XenLab } from './xen-harness.js';

describe('xenserver_network', () => {
  let x: XenLab;
  let s: XenSession;
  before(async () => {
    ({ x, s } = await startPooledLab({ hosts: 2 }));
  });
  after(() => x.stop());

  it('creates a network and observes it exactly as created', async () => {
    const cfg = { name_label: 'storage', name_description: 'iSCSI traffic', mtu: 9000 };
    const res = await network.create(s, cfg, providerCtx());
    assert.equal(res.attrs.mtu, 9000);
    assert.match(String(res.attrs.bridge), /^xapi\d+$/);
    const seen = network.observe(await s.snapshot(true), [res.id, '00000000-0000-4000-8000-000000000000']);
    assert.equal(seen.length, 1, 'an unknown id is simply absent');
    assert.deepEqual(seen[0]!.attrs, res.attrs);
    assert.equal(planOf('xenserver_network', cfg, res, seen[0]!.attrs).action, 'noop');
    await network.delete(s, res.id, res.attrs, providerCtx());
    assert.equal(network.observe(await s.snapshot(true), [res.id]).length, 0);
  });

  it('shows an MTU changed behind its back as drift, plans an update with a network blip, and fixes it', async () => {
    const cfg = { name_label: 'backend', name_description: '', mtu: 1500 };
    const res = await network.create(s, cfg, providerCtx());
    await s.xapi.call('network.set_MTU', [(await s.snapshot(true)).refOf(res.id), 9000]);
    const now = network.observe(await s.snapshot(true), [res.id])[0]!.attrs;
    assert.equal(now.mtu, 9000);
    const p = planOf('xenserver_network', cfg, res, now);
    assert.equal(p.action, 'update');
    assert.deepEqual(p.drift.map((d) => [d.path, d.before, d.after]), [[['mtu'], 1500, 9000]]);
    assert.equal(network.impact!(change('xenserver_network.n', 'update', cfg, now, ['mtu'])), 'network-blip');
    assert.equal(network.impact!(change('xenserver_network.n', 'update', cfg, now, ['name_label'])), 'none');
    const fixed = await network.update(s, res.id, now, cfg, providerCtx());
    assert.equal(fixed.attrs.mtu, 1500);
    assert.equal(network.observe(await s.snapshot(true), [res.id])[0]!.attrs.mtu, 1500);
  });

  it('refuses to delete a network a VLAN uses, saying what holds it', async () => {
    const res = await network.create(s, { name_label: 'vlan-30', name_description: '', mtu: 1500 }, providerCtx());
    const v = await vlan.create(s, { network: res.id, tag: 30, on: 'eth2' }, providerCtx());
    await assert.rejects(network.delete(s, res.id, res.attrs, providerCtx()), (e: Error) => {
      assert.match(e.message, /xenserver_network "vlan-30" .* cannot be deleted/);
      assert.match(e.message, /VLAN 30 on xs1/);
      assert.match(e.message, /NETWORK_CONTAINS_PIF/);
      return true;
    });
    await vlan.delete(s, v.id, v.attrs, providerCtx());
    await network.delete(s, res.id, res.attrs, providerCtx());
    assert.equal((await s.snapshot(true)).byUuid('network', res.id), undefined);
  });
});
