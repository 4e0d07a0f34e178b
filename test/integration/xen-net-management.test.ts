// xenserver_management_interface (and management.ts) against the simulated lab: management moves
// onto a bond network and then onto a VLAN, members first and the coordinator last, keeping each
// host's IP; a host that goes silent after its move is rolled back over SSH and the apply fails
// naming the host, the network and the rollback; preflight finds hosts without a PIF there.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs } from '../../engine/provider.js';
import { bond } from '../../providers/xenserver/resources/bond.js';
import { managementInterface } from '../../providers/xenserver/resources/management-interface.js';
import { network } from '../../providers/xenserver/resources/network.js';
import { vlan } from '../../providers/xenserver/resources/vlan.js';
import type { XenSession } from '../../providers/xenserver/session.js';
import type { Snapshot } from '../../providers/xenserver/snapshot.js';
import { change, providerCtx, startPooledLab, type XenLab } from './xen-harness.js';

/** Each host's management PIF as name → { network uuid, device, IP }. */
function management(snap: Snapshot): Record<string, { network: string; device: string; ip: string }> {
  const out: Record<string, { network: string; device: string; ip: string }> = {};
  for (const [ref, h] of snap.all('host')) {
    const p = snap.find('PIF', (x) => x.host === ref && x.management === true)![1];
    out[String(h.name_label)] = { network: snap.get('network', String(p.network))!.uuid, device: String(p.device), ip: String(p.IP) };
  }
  return out;
}

describe('xenserver_management_interface', () => {
  let x: XenLab;
  let s: XenSession;
  let sshPorts: Record<string, number>;
  const net = async (name: string) => (await network.create(s, { name_label: name, name_description: '', mtu: 1500 }, providerCtx())).id;

  before(async () => {
    ({ x, s } = await startPooledLab({ hosts: 3 }, { management_check_ms: 300 }));
    sshPorts = Object.fromEntries(x.lab.hosts.map((h) => [h.name, h.sshPort]));
  });
  after(() => x.stop());

  it('moves every host onto a bond network, then onto a VLAN, members first, keeping their IPs', async () => {
    const before = management(await s.snapshot(true));
    const bondNet = await net('mgmt-bond');
    await bond.create(s, { network: bondNet, members: ['eth2', 'eth3'], mode: 'active-backup', properties: {} }, providerCtx());
    const ctx = providerCtx('xenserver_management_interface.m');
    const res = await managementInterface.create(s, { network: bondNet, ssh_ports: sshPorts }, ctx);
    assert.deepEqual(ctx.logs.filter((l) => l.startsWith('moving')).map((l) => /of (xs\d)/.exec(l)![1]), ['xs2', 'xs3', 'xs1'], 'members first, the coordinator last');
    let snap = await s.snapshot(true);
    let now = management(snap);
    for (const name of ['xs1', 'xs2', 'xs3']) {
      assert.equal(now[name]!.network, bondNet);
      assert.match(now[name]!.device, /^bond/);
      assert.equal(now[name]!.ip, before[name]!.ip, `${name} keeps its address`);
      const eth0 = snap.find('PIF', (p) => p.device === 'eth0' && snap.get('host', String(p.host))?.name_label === name)![1];
      assert.equal(eth0.ip_configuration_mode, 'None', 'the old interface gives the address up');
    }
    assert.equal(res.attrs.pool_wide, true);
    assert.deepEqual(managementInterface.observe(snap, [res.id])[0]!.attrs, res.attrs);
    assert.equal(managementInterface.impact!(change('xenserver_management_interface.m', 'update', null, null, ['network'])), 'network-blip');

    const vlanNet = await net('mgmt-vlan-50');
    await vlan.create(s, { network: vlanNet, tag: 50, on: 'eth1' }, providerCtx());
    const moved = await managementInterface.update(s, res.id, res.attrs, { network: vlanNet, ssh_ports: sshPorts }, providerCtx());
    snap = await s.snapshot(true);
    now = management(snap);
    for (const name of ['xs1', 'xs2', 'xs3']) {
      assert.equal(now[name]!.network, vlanNet);
      assert.equal(now[name]!.ip, before[name]!.ip);
    }
    assert.equal(moved.attrs.network, vlanNet);
    // A host already there is left alone: nothing to do, nothing called.
    const again = providerCtx();
    await managementInterface.update(s, res.id, moved.attrs, { network: vlanNet }, again);
    assert.deepEqual(again.logs, []);
    // Deleting forgets: management stays where it is.
    await managementInterface.delete(s, res.id, moved.attrs, providerCtx());
    assert.deepEqual(management(await s.snapshot(true)), now);
  });

  it('rolls a host that stops answering back over SSH and fails naming host, network and rollback', async () => {
    const start = management(await s.snapshot(true));
    const target = await net('unrouted');
    await vlan.create(s, { network: target, tag: 60, on: 'eth1' }, providerCtx());
    x.lab.sim.faults.loseManagementOn('xs2', target);
    const pool = (await s.snapshot(true)).pool()[1].uuid;
    await assert.rejects(managementInterface.update(s, pool, {}, { network: target, ssh_ports: sshPorts }, providerCtx()), (e: Error) => {
      assert.match(e.message, /management interface of host xs2 → network "unrouted"/);
      assert.match(e.message, /stopped answering for 300 ms/);
      assert.match(e.message, /rolled back to "mgmt-vlan-50"/);
      return true;
    });
    const now = management(await s.snapshot(true));
    assert.deepEqual(now, start, 'xs2 is back where it was; xs3 and the coordinator never moved');
    const answers = await s.openHost({ url: x.lab.hosts[1]!.url }).then(
      () => 'logged in',
      (e: { code?: string }) => e.code,
    );
    assert.equal(answers, 'HOST_IS_SLAVE', 'xs2 answers again');
    const snap = await s.snapshot(true);
    const xs2 = snap.find('host', (h) => h.name_label === 'xs2')![0];
    assert.equal(snap.find('PIF', (p) => p.host === xs2 && p.network === snap.refOf(target))![1].ip_configuration_mode, 'None', 'the unused PIF gives the copied address back');
  });

  it('preflight: every host needs a usable PIF on the network; a bond made in the same plan counts', async () => {
    const lonely = await net('no-pifs');
    const snap = await s.snapshot(true);
    const move = (after: Attrs) => change('xenserver_management_interface.m', 'update', after, null, ['network']);
    const diags = await managementInterface.preflight([move({ network: lonely, ips: { xs9: { ip: '10.10.0.99', netmask: '255.255.255.0' } } })], snap, s, providerCtx());
    const summaries = diags.map((d) => d.summary);
    for (const h of ['xs1', 'xs2', 'xs3']) assert.ok(summaries.some((m) => m.startsWith(`Host ${h} has no PIF on network "no-pifs"`)), h);
    assert.equal(diags.find((d) => d.summary.includes('xs9'))?.suggestion, 'xs1');
    const withBond = change('xenserver_bond.b', 'create', { network: lonely, members: ['eth2', 'eth3'] });
    // the VLAN management now runs on cannot simply be deleted
    const mgmtNet = management(snap).xs1!.network;
    const del = change('xenserver_vlan.mgmt', 'delete', null, { id: mgmtNet, network: mgmtNet, tag: 50, on: 'eth1' });
    const refused = await vlan.preflight([del], snap, s, providerCtx());
    assert.deepEqual(refused.map((d) => d.summary), ['VLAN 50 carries the management interface of xs1, xs2, xs3']);
    assert.deepEqual(await vlan.preflight([del], snap, s, providerCtx(), [del, move({ network: lonely })]), [], 'unless the same plan moves management away');
    const mine = [move({ network: lonely })];
    assert.deepEqual(await managementInterface.preflight(mine, snap, s, providerCtx(), [...mine, withBond]), []);
  });
});
