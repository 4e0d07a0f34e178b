// Networking in the simulator: networks, bonds (the real mode enum and property rules), VLANs per
// host and pool-wide, PIF IP configuration, and management moves including a lost management
// connection rolled back from the host's own shell.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRef, lab, pif, pool, records, rejects } from './xen-sim-harness.js';

describe('xen sim: networks', () => {
  it('creates networks with a bridge and a valid MTU, and refuses destroying used or system ones', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const a = await h.call('network.create', { name_label: 'a', MTU: 9000 });
    const b = await h.call('network.create', { name_label: 'b' });
    assert.equal(await h.call('network.get_bridge', a), 'xapi0');
    assert.equal(await h.call('network.get_bridge', b), 'xapi1');
    assert.equal(await h.call('network.get_MTU', b), 1500);
    await rejects(h.call('network.create', { name_label: 'c', MTU: 20000 }), 'INVALID_VALUE', ['MTU', '20000']);
    await rejects(h.call('network.create', { name_label: 'd', bridge: 'xenbr0' }), 'BRIDGE_NAME_EXISTS', ['xenbr0']);
    await rejects(h.call('network.set_MTU', a, 40), 'INVALID_VALUE', ['MTU', '40']);
    const eth0net = await findRef(h, 'network', (n) => n.bridge === 'xenbr0');
    const eth0 = await pif(h, h.ref, 'eth0');
    await rejects(h.call('network.destroy', eth0net), 'NETWORK_CONTAINS_PIF', [eth0]);
    const himn = await findRef(h, 'network', (n) => n.bridge === 'xenapi');
    await rejects(h.call('network.destroy', himn), 'CANNOT_DESTROY_SYSTEM_NETWORK', [himn]);
    await h.call('network.destroy', a);
    assert.equal(((await h.call('network.get_all')) as string[]).includes(a), false);
  });
});

describe('xen sim: bonds', () => {
  it('knows the three modes with their default properties and drops properties a mode does not take', async () => {
    const { c } = await lab(3);
    const cases: [string, Record<string, string>, Record<string, string>][] = [
      ['balance-slb', {}, { hashing_algorithm: 'src_mac' }],
      ['lacp', { hashing_algorithm: 'src_mac', 'lacp-time': 'fast' }, { hashing_algorithm: 'src_mac', 'lacp-time': 'fast' }],
      ['active-backup', { hashing_algorithm: 'tcpudp_ports', 'lacp-time': 'fast' }, {}],
    ];
    for (const [i, [mode, given, expected]] of cases.entries()) {
      const h = c[i]!;
      const net = await h.call('network.create', { name_label: `bond ${mode}` });
      const bond = await h.run('Bond.create', net, [await pif(h, h.ref, 'eth2'), await pif(h, h.ref, 'eth3')], '', mode, given);
      const rec = await h.call('Bond.get_record', bond);
      assert.equal(rec.mode, mode);
      assert.deepEqual(rec.properties, expected);
      const master = await h.call('PIF.get_record', rec.master);
      assert.deepEqual([master.device, master.physical, master.network, master.MAC], ['bond0', false, net, (await h.call('PIF.get_record', rec.slaves[0])).MAC]);
    }
  });

  it('validates property values, and set_mode / set_property keep the rules', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const members = [await pif(h, h.ref, 'eth2'), await pif(h, h.ref, 'eth3')];
    const net = await h.call('network.create', { name_label: 'bond' });
    await rejects(h.run('Bond.create', net, members, '', 'lacp', { hashing_algorithm: 'round_robin' }), 'INVALID_VALUE', ['hashing_algorithm', 'round_robin']);
    const bond = await h.run('Bond.create', net, members, '', 'lacp', {});
    assert.deepEqual(await h.call('Bond.get_properties', bond), { hashing_algorithm: 'tcpudp_ports', 'lacp-time': 'slow' });
    await h.run('Bond.set_property', bond, 'lacp-time', 'fast');
    await rejects(h.run('Bond.set_property', bond, 'lacp-time', 'sometimes'), 'INVALID_VALUE', ['lacp-time', 'sometimes']);
    await h.run('Bond.set_mode', bond, 'active-backup');
    assert.deepEqual(await h.call('Bond.get_properties', bond), {});
    await rejects(h.run('Bond.set_property', bond, 'hashing_algorithm', 'src_mac'), 'INVALID_VALUE', ['hashing_algorithm', 'src_mac']);
    await h.run('Bond.set_mode', bond, 'balance-slb');
    await h.run('Bond.set_property', bond, 'hashing_algorithm', 'tcpudp_ports');
    assert.deepEqual(await h.call('Bond.get_properties', bond), { hashing_algorithm: 'tcpudp_ports' });
  });

  it('refuses too few members, members of two hosts, bonded or VLAN members, bad MACs and a connected network', async () => {
    const { c } = await lab(2);
    await pool(c);
    const h = c[0]!;
    const other = c[1]!;
    const net = await h.call('network.create', { name_label: 'bond' });
    const [e2, e3] = [await pif(h, h.ref, 'eth2'), await pif(h, h.ref, 'eth3')];
    await rejects(h.run('Bond.create', net, [e2], '', 'active-backup', {}), 'PIF_BOND_NEEDS_MORE_MEMBERS', []);
    await rejects(h.run('Bond.create', net, [e2, await pif(h, other.ref, 'eth3')], '', 'active-backup', {}), 'PIF_CANNOT_BOND_CROSS_HOST', []);
    await rejects(h.run('Bond.create', net, [e2, e3], 'zz:00', 'active-backup', {}), 'MAC_INVALID', ['zz:00']);
    const eth1net = (await h.call('PIF.get_record', await pif(h, h.ref, 'eth1'))).network;
    await rejects(h.run('Bond.create', eth1net, [e2, e3], '', 'active-backup', {}), 'NETWORK_ALREADY_CONNECTED', [eth1net, await pif(h, h.ref, 'eth1')]);
    await h.run('Bond.create', net, [e2, e3], '02:aa:bb:cc:dd:ee', 'active-backup', {});
    const net2 = await h.call('network.create', { name_label: 'bond 2' });
    await rejects(h.run('Bond.create', net2, [e2, await pif(h, h.ref, 'eth1')], '', 'active-backup', {}), 'PIF_ALREADY_BONDED', [e2]);
    const vnet = await h.call('network.create', { name_label: 'vlan' });
    const vlan = await h.run('VLAN.create', await pif(h, h.ref, 'eth1'), 7, vnet);
    const vpif = await h.call('VLAN.get_untagged_PIF', vlan);
    await rejects(h.run('Bond.create', net2, [vpif, await pif(h, h.ref, 'eth0')], '', 'active-backup', {}), 'PIF_IS_VLAN', [vpif]);
  });

  it('moves management onto the bond master with its IP, and back to the primary member on destroy', async () => {
    const { sim, c } = await lab(1);
    const h = c[0]!;
    const net = await h.call('network.create', { name_label: 'mgmt bond' });
    const [e0, e1] = [await pif(h, h.ref, 'eth0'), await pif(h, h.ref, 'eth1')];
    const bond = await h.run('Bond.create', net, [e0, e1], '', 'active-backup', {});
    const master = await h.call('Bond.get_master', bond);
    const m = await h.call('PIF.get_record', master);
    assert.deepEqual([m.management, m.IP, m.ip_configuration_mode, m.gateway], [true, '10.10.0.11', 'Static', '10.10.0.1']);
    assert.deepEqual([(await h.call('PIF.get_record', e0)).management, (await h.call('PIF.get_record', e0)).IP], [false, '']);
    assert.equal(await h.call('Bond.get_primary_slave', bond), e0);
    assert.equal(sim.reachable(h.uuid), true);
    await h.run('Bond.destroy', bond);
    const back = await h.call('PIF.get_record', e0);
    assert.deepEqual([back.management, back.IP, back.bond_slave_of], [true, '10.10.0.11', 'OpaqueRef:NULL']);
    await rejects(h.call('PIF.get_record', master), 'HANDLE_INVALID', ['PIF', master]);
  });
});

describe('xen sim: VLANs on bond members', () => {
  it('moves a member\'s VLANs onto the bond master, and back onto the primary member when the bond goes', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const [e2, e3] = [await pif(h, h.ref, 'eth2'), await pif(h, h.ref, 'eth3')];
    const vlan = await h.run('VLAN.create', e2, 20, await h.call('network.create', { name_label: 'v20' }));
    const untagged = await h.call('VLAN.get_untagged_PIF', vlan);
    const bond = await h.run('Bond.create', await h.call('network.create', { name_label: 'bond' }), [e2, e3], '', 'active-backup', {});
    const master = await h.call('Bond.get_master', bond);
    assert.deepEqual([await h.call('VLAN.get_tagged_PIF', vlan), await h.call('PIF.get_device', untagged)], [master, 'bond0']);
    assert.deepEqual(await h.call('PIF.get_VLAN_slave_of', master), [vlan]);
    await h.run('Bond.destroy', bond);
    assert.deepEqual([await h.call('VLAN.get_tagged_PIF', vlan), await h.call('PIF.get_device', untagged)], [e2, 'eth2']);
    assert.deepEqual(await h.call('PIF.get_VLAN_slave_of', e2), [vlan]);
  });
});

describe('xen sim: VLANs', () => {
  it('checks tags and tagged PIFs, creates pool-wide VLANs (also on bond masters) and protects management', async () => {
    const { c } = await lab(2);
    await pool(c);
    const h = c[0]!;
    const vnet = await h.call('network.create', { name_label: 'v' });
    const eth1 = await pif(h, h.ref, 'eth1');
    await rejects(h.run('VLAN.create', eth1, 4095, vnet), 'VLAN_TAG_INVALID', ['4095']);
    await rejects(h.run('pool.create_VLAN_from_PIF', eth1, vnet, -1), 'VLAN_TAG_INVALID', ['-1']);
    const task = await h.task('pool.create_VLAN_from_PIF', eth1, vnet, 10);
    assert.equal(task.status, 'success');
    const created = [...task.result.matchAll(/OpaqueRef:[0-9a-f-]+/g)].map((m) => m[0]);
    assert.equal(created.length, 2);
    for (const ref of created) {
      const p = await h.call('PIF.get_record', ref);
      assert.deepEqual([p.VLAN, p.device, p.network, p.physical], [10, 'eth1', vnet, false]);
    }
    const vlan = (await h.call('PIF.get_record', created[0])).VLAN_master_of;
    await rejects(h.run('VLAN.create', (await h.call('VLAN.get_record', vlan)).tagged_PIF, 10, await h.call('network.create', { name_label: 'v2' })), 'PIF_VLAN_EXISTS', [/^OpaqueRef:/]);

    const bnet = await h.call('network.create', { name_label: 'bond' });
    const [e2, e3] = [await pif(h, h.ref, 'eth2'), await pif(h, h.ref, 'eth3')];
    const bond = await h.run('Bond.create', bnet, [e2, e3], '', 'balance-slb', {});
    await rejects(h.run('VLAN.create', e2, 11, await h.call('network.create', { name_label: 'v3' })), 'CANNOT_ADD_VLAN_TO_BOND_SLAVE', [e2]);
    const onBond = await h.call('network.create', { name_label: 'on bond' });
    const v = await h.run('VLAN.create', await h.call('Bond.get_master', bond), 12, onBond);
    assert.equal((await h.call('PIF.get_record', await h.call('VLAN.get_untagged_PIF', v))).device, 'bond0');

    // a VLAN carrying management cannot go
    const u = await h.call('VLAN.get_untagged_PIF', v);
    await h.run('PIF.reconfigure_ip', u, 'Static', '10.10.12.11', '255.255.255.0', '', '');
    await h.run('host.management_reconfigure', u);
    await rejects(h.run('VLAN.destroy', v), 'PIF_IS_MANAGEMENT_INTERFACE', [u]);
    await h.run('host.management_reconfigure', await pif(h, h.ref, 'eth0'));
    await h.run('VLAN.destroy', v);
    await rejects(h.call('VLAN.get_record', v), 'HANDLE_INVALID', ['VLAN', v]);
  });
});

describe('xen sim: PIF configuration and management', () => {
  it('validates IP configuration, keeps management configured and honours disallow_unplug', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const [e0, e1] = [await pif(h, h.ref, 'eth0'), await pif(h, h.ref, 'eth1')];
    await rejects(h.run('PIF.reconfigure_ip', e0, 'None', '', '', '', ''), 'PIF_IS_MANAGEMENT_INTERFACE', [e0]);
    await rejects(h.run('PIF.reconfigure_ip', e1, 'Static', '10.10.5.300', '255.255.255.0', '', ''), 'INVALID_IP_ADDRESS_SPECIFIED', ['IP']);
    await h.run('PIF.reconfigure_ip', e1, 'Static', '10.10.5.11', '255.255.255.0', '', '');
    await h.call('PIF.set_disallow_unplug', e1, true);
    await h.call('PIF.add_to_other_config', e1, 'management_purpose', 'Storage');
    const r = await h.call('PIF.get_record', e1);
    assert.deepEqual([r.IP, r.netmask, r.disallow_unplug, r.other_config.management_purpose], ['10.10.5.11', '255.255.255.0', true, 'Storage']);
    await rejects(h.run('PIF.unplug', e1), 'PIF_DOES_NOT_ALLOW_UNPLUG', [e1]);
    await rejects(h.run('PIF.unplug', e0), 'PIF_IS_MANAGEMENT_INTERFACE', [e0]);
    await rejects(h.run('host.management_reconfigure', await pif(h, h.ref, 'eth2')), 'PIF_HAS_NO_NETWORK_CONFIGURATION', [await pif(h, h.ref, 'eth2')]);
    assert.equal(await h.call('host.get_management_interface', h.ref), e0);
  });

  it('moves management pool-wide and refuses a network some host has no PIF on', async () => {
    const { c } = await lab(2);
    await pool(c);
    const h = c[0]!;
    const vnet = await h.call('network.create', { name_label: 'mgmt vlan' });
    await h.run('VLAN.create', await pif(h, h.ref, 'eth1'), 99, vnet);
    await rejects(h.run('pool.management_reconfigure', vnet), 'PIF_NOT_PRESENT', [c[1]!.ref, vnet]);
    const eth1net = (await h.call('PIF.get_record', await pif(h, h.ref, 'eth1'))).network;
    await rejects(h.run('pool.management_reconfigure', eth1net), 'PIF_HAS_NO_NETWORK_CONFIGURATION', [await pif(h, h.ref, 'eth1')]);
    for (const [i, x] of c.entries()) await h.run('PIF.reconfigure_ip', await pif(h, x.ref, 'eth1'), 'Static', `10.10.6.${11 + i}`, '255.255.255.0', '', '');
    await h.run('pool.management_reconfigure', eth1net);
    const mgmt = (await records(h, 'PIF')).filter(([, p]) => p.management);
    assert.deepEqual(mgmt.map(([, p]) => p.device), ['eth1', 'eth1']);
  });

  it('loses a host whose management moves onto a bad network until its shell rolls it back', async () => {
    const { sim, c } = await lab(2);
    await pool(c);
    const [co, xs2] = [c[0]!, c[1]!];
    const e1 = await pif(co, xs2.ref, 'eth1');
    const bad = (await co.call('PIF.get_record', e1)).network;
    const oldPif = await pif(co, xs2.ref, 'eth0');
    const oldUuid = await co.call('PIF.get_uuid', oldPif);
    sim.faults.loseManagementOn(xs2.uuid, await co.call('network.get_uuid', bad));
    await co.run('PIF.reconfigure_ip', e1, 'Static', '10.10.7.12', '255.255.255.0', '', '');
    await co.run('host.management_reconfigure', e1);
    assert.equal(sim.reachable(xs2.uuid), false);
    const metrics = await co.call('host.get_metrics', xs2.ref);
    assert.equal(await co.call('host_metrics.get_live', metrics), false);
    assert.equal((await sim.shell(xs2.uuid, 'ping -c 1 10.10.7.12')).code, 1);

    const wrong = await sim.shell(xs2.uuid, 'xe host-management-reconfigure pif-uuid=nope');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /UUID_INVALID/);
    const fixed = await sim.shell(xs2.uuid, `xe host-management-reconfigure pif-uuid=${oldUuid}`);
    assert.deepEqual([fixed.code, fixed.stderr], [0, '']);
    assert.equal(sim.reachable(xs2.uuid), true);
    assert.equal(await co.call('host_metrics.get_live', metrics), true);
    assert.equal(await co.call('host.get_management_interface', xs2.ref), oldPif);
  });

  it('turns IGMP snooping on pool-wide', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const p = ((await h.call('pool.get_all')) as string[])[0]!;
    await h.run('pool.set_igmp_snooping_enabled', p, true);
    assert.equal(await h.call('pool.get_igmp_snooping_enabled', p), true);
    assert.ok((await records(h, 'PIF')).every(([, x]) => x.igmp_snooping_status === 'enabled'));
  });
});
