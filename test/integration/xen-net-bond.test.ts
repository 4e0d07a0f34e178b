// xenserver_bond and xenserver_vlan against the simulated lab: bonds in each mode on every host
// (properties read back as written), mode/property updates in place, a bad mode or property
// refused before anything runs, VLANs on a NIC and on a bond, a host that joins later inheriting
// both, and the repair of a host that lacks one.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileValidator } from '../../engine/schema/validate.js';
import { bond } from '../../providers/xenserver/resources/bond.js';
import { network } from '../../providers/xenserver/resources/network.js';
import { vlan } from '../../providers/xenserver/resources/vlan.js';
import type { XenSession } from '../../providers/xenserver/session.js';
import { change, planOf, providerCtx, schemaOf, startXenLab, type XenLab } from './xen-harness.js';

describe('xenserver_bond and xenserver_vlan', () => {
  let x: XenLab;
  let s: XenSession;
  const net = async (name: string) => (await network.create(s, { name_label: name, name_description: '', mtu: 1500 }, providerCtx())).id;
  /** Joins lab host i to the pool the way an administrator would: pool.join called on that host. */
  const joinHost = async (i: number) => {
    const c = await s.openHost({ url: x.lab.hosts[i]!.url });
    await c.callAsync('pool.join', [x.lab.hosts[0]!.address, 'root', x.lab.password]);
    await c.logout().catch(() => undefined);
  };

  before(async () => {
    x = await startXenLab({ hosts: 3 });
    s = await x.session();
    await joinHost(1);
  });
  after(() => x.stop());

  it('bonds eth2+eth3 on every host in each mode; properties read back as written; mode and properties change in place', async () => {
    for (const [mode, properties] of [
      ['balance-slb', {}],
      ['active-backup', {}],
      ['lacp', { hashing_algorithm: 'src_mac', 'lacp-time': 'fast' }],
    ] as const) {
      const cfg = { network: await net(`bond-${mode}`), members: ['eth2', 'eth3'], mode, properties };
      const ctx = providerCtx(`xenserver_bond.${mode}`);
      const res = await bond.create(s, cfg, ctx);
      const snap = await s.snapshot(true);
      assert.equal(Object.keys(res.attrs.bond_uuids as object).length, 2, `${mode}: one Bond per host`);
      for (const uuid of Object.values(res.attrs.bond_uuids as Record<string, string>)) assert.equal(snap.byUuid('Bond', uuid)?.mode, mode);
      assert.deepEqual(res.attrs.properties, properties, `${mode}: XAPI's defaults do not show up as changes`);
      assert.equal(ctx.tasks.length, 2, 'every Bond.create task (one per host) is journalled');
      assert.equal(res.task, ctx.tasks[1], 'the last one is returned');
      const seen = bond.observe(snap, [res.id])[0]!.attrs;
      assert.deepEqual(seen, res.attrs);
      assert.equal(planOf('xenserver_bond', cfg, res, seen).action, 'noop');
      if (mode === 'lacp') {
        const slow = { ...cfg, properties: { hashing_algorithm: 'tcpudp_ports' } };
        const p = planOf('xenserver_bond', slow, res, seen);
        assert.equal(p.action, 'update');
        const up = await bond.update(s, res.id, res.attrs, slow, providerCtx());
        assert.deepEqual(up.attrs.properties, { hashing_algorithm: 'tcpudp_ports' });
        const now = await s.snapshot(true);
        for (const u of Object.values(up.attrs.bond_uuids as Record<string, string>)) {
          assert.equal((now.byUuid('Bond', u)!.properties as Record<string, string>)['lacp-time'], 'slow', 'a key no longer written goes back to the default');
        }
        const ab = await bond.update(s, res.id, up.attrs, { ...slow, mode: 'active-backup', properties: {} }, providerCtx());
        assert.equal(ab.attrs.mode, 'active-backup');
      }
      await bond.delete(s, res.id, res.attrs, providerCtx());
      assert.equal(bond.observe(await s.snapshot(true), [res.id]).length, 0, 'gone from every host');
    }
  });

  it('refuses a bad mode, bad properties and missing NICs before anything runs', async () => {
    const errs = compileValidator(schemaOf('xenserver_bond'))({ network: '6b1c0c2e-65a4-4c39-a3a4-0f0e7f6f1d2a', members: ['eth2', 'eth3'], mode: 'balance-rr' });
    assert.equal(errs.length, 1);
    assert.deepEqual(errs[0]!.path, ['mode']);
    const snap = await s.snapshot(true);
    const bad = await bond.preflight!(
      [
        change('xenserver_bond.t', 'create', { network: 'n1', members: ['eth2', 'eth3'], mode: 'balance-rr', properties: {} }),
        change('xenserver_bond.t', 'create', { network: 'n2', members: ['eth2', 'eth3'], mode: 'lacp', properties: { 'lacp-time': 'medium', hashing_algoritm: 'src_mac' } }),
        change('xenserver_bond.t', 'create', { network: 'n3', members: ['eth2', 'eth3'], mode: 'active-backup', properties: { 'lacp-time': 'fast' } }),
        change('xenserver_bond.t', 'create', { network: 'n4', members: ['eth9', 'eth3'], mode: 'balance-slb', properties: {} }),
      ],
      snap,
      s,
      providerCtx(),
    );
    const summaries = bad.map((d) => d.summary);
    assert.ok(summaries.includes('Bond mode "balance-rr" is not supported'));
    assert.equal(bad.find((d) => d.summary.startsWith('Bond mode'))?.suggestion, 'balance-slb');
    assert.ok(summaries.includes('Bond property lacp-time = "medium" is invalid'));
    assert.equal(bad.find((d) => d.summary.includes('hashing_algoritm'))?.suggestion, 'hashing_algorithm');
    assert.ok(summaries.includes('Bond property "lacp-time" is not valid for mode active-backup'));
    assert.ok(summaries.includes('Host xs1 has no physical NIC eth9') && summaries.includes('Host xs2 has no physical NIC eth9'));
    assert.ok(summaries.includes('Bond members must be listed in device order'));
    assert.deepEqual(await bond.preflight!([change('xenserver_bond.t', 'create', { network: 'n', members: ['eth2', 'eth3'], mode: 'lacp', properties: { 'lacp-time': 'fast' } })], snap, s, providerCtx()), []);
  });

  it('puts VLANs on a NIC and on a bond on every host; a host joining later inherits bond and VLANs; a host lacking one is repaired', async () => {
    const bondCfg = { network: await net('trunk'), members: ['eth2', 'eth3'], mode: 'lacp', properties: {} };
    const b = await bond.create(s, bondCfg, providerCtx());
    const onNicCfg = { network: await net('vlan-20'), tag: 20, on: 'eth1' };
    const onNic = await vlan.create(s, onNicCfg, providerCtx());
    const onBondCfg = { network: await net('vlan-40'), tag: 40, on: b.id };
    const onBond = await vlan.create(s, onBondCfg, providerCtx());
    let snap = await s.snapshot(true);
    assert.equal(onBond.attrs.on, b.id, 'a VLAN on a bond names the bond network');
    for (const v of [onNic, onBond]) {
      assert.equal(Object.keys(v.attrs.vlan_uuids as object).length, 2);
      assert.deepEqual(vlan.observe(snap, [v.id])[0]!.attrs, v.attrs);
    }
    const tagged = snap.byUuid('VLAN', Object.values(onBond.attrs.vlan_uuids as Record<string, string>)[0]!)!;
    assert.ok(((snap.get('PIF', tagged.tagged_PIF as string)!.bond_master_of as string[]) ?? []).length > 0, 'tagged on the bond master');

    // xs3 joins after the fact: XAPI gives it the bond and both VLANs; observation agrees
    await joinHost(2);
    snap = await s.snapshot(true);
    const hosts = snap.all('host').map(([, h]) => h.uuid).sort();
    const bNow = bond.observe(snap, [b.id])[0]!.attrs;
    assert.deepEqual(Object.keys(bNow.bond_uuids as object).sort(), hosts);
    assert.equal(planOf('xenserver_bond', bondCfg, b, bNow).action, 'noop');
    for (const [cfg, v] of [[onNicCfg, onNic], [onBondCfg, onBond]] as const) {
      const now = vlan.observe(snap, [v.id])[0]!.attrs;
      assert.deepEqual(Object.keys(now.vlan_uuids as object).sort(), hosts);
      assert.equal(planOf('xenserver_vlan', cfg, v, now).action, 'noop');
    }

    // someone removes the VLAN and the bond from xs3: drift, the next update puts them back
    const xs3 = snap.find('host', (h) => h.name_label === 'xs3')![1].uuid;
    await s.xapi.callAsync('VLAN.destroy', [snap.refOf((vlan.observe(snap, [onNic.id])[0]!.attrs.vlan_uuids as Record<string, string>)[xs3]!)]);
    await s.xapi.callAsync('VLAN.destroy', [snap.refOf((vlan.observe(snap, [onBond.id])[0]!.attrs.vlan_uuids as Record<string, string>)[xs3]!)]);
    await s.xapi.callAsync('Bond.destroy', [snap.refOf((bNow.bond_uuids as Record<string, string>)[xs3]!)]);
    snap = await s.snapshot(true);
    const lacking = bond.observe(snap, [b.id])[0]!.attrs;
    assert.equal(lacking.pool_wide, false);
    const p = planOf('xenserver_bond', bondCfg, { id: b.id, attrs: bNow }, lacking);
    assert.equal(p.action, 'update');
    assert.deepEqual(p.drift.map((d) => d.path), [['pool_wide']]);
    const fixed = await bond.update(s, b.id, bNow, bondCfg, providerCtx());
    assert.equal(fixed.attrs.pool_wide, true);
    assert.ok((fixed.attrs.bond_uuids as Record<string, string>)[xs3]);
    for (const [cfg, v] of [[onNicCfg, onNic], [onBondCfg, onBond]] as const) {
      const now = vlan.observe(await s.snapshot(true), [v.id])[0]!.attrs;
      assert.equal(now.pool_wide, false);
      assert.equal(planOf('xenserver_vlan', cfg, v, now).action, 'update');
      const rep = await vlan.update(s, v.id, v.attrs, cfg, providerCtx());
      assert.equal(rep.attrs.pool_wide, true);
      assert.deepEqual(Object.keys(rep.attrs.vlan_uuids as object).sort(), hosts);
    }

    // changing a VLAN's tag replaces it; deleting removes it from every host
    assert.equal(planOf('xenserver_vlan', { ...onNicCfg, tag: 21 }, onNic, vlan.observe(await s.snapshot(true), [onNic.id])[0]!.attrs).action, 'replace');
    await vlan.delete(s, onNic.id, onNic.attrs, providerCtx());
    await vlan.delete(s, onBond.id, onBond.attrs, providerCtx());
    await bond.delete(s, b.id, b.attrs, providerCtx());
    snap = await s.snapshot(true);
    assert.equal(snap.all('VLAN').length, 0);
    assert.equal(snap.all('Bond').length, 0);
  });
});
