// Node networking in the simulator: the lab's starting interfaces, staged edits with a unified diff,
// one reload per apply, revert, the reference's parameter errors and bond-mode applicability, OVS
// refusal, and the management/corosync consequences of a bad reload with its SSH rollback.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseInterfaces, renderInterfaces } from '../../providers/proxmox/sim/network.js';
import { LINUX_BOND_MODES, OVS_BOND_MODES } from '../../providers/proxmox/sim/tables.js';
import { call, cluster, fails, lab, ok, reference, task } from './pve-sim-harness.js';

const bondModes = (reference?.network_semantics?.bond_mode_applicability ?? { 'linux bond (type=bond)': LINUX_BOND_MODES, OVSBond: OVS_BOND_MODES }) as Record<string, string[]>;

describe('pve sim: network', () => {
  it('starts with the lab layout: vmbr0 management, link addresses on eno2/eno3', async () => {
    const sim = lab(2);
    const net = await ok<any[]>(sim, 'pve2', 'GET', '/nodes/pve2/network');
    const by = Object.fromEntries(net.map((i) => [i.iface, i]));
    assert.deepEqual(Object.keys(by).sort(), ['eno1', 'eno2', 'eno3', 'eno4', 'eno5', 'eno6', 'vmbr0']);
    assert.deepEqual([by.vmbr0.type, by.vmbr0.cidr, by.vmbr0.gateway, by.vmbr0.bridge_ports, by.vmbr0.autostart, by.vmbr0.active], ['bridge', '10.20.0.12/24', '10.20.0.1', 'eno1', 1, 1]);
    assert.deepEqual([by.eno2.cidr, by.eno2.address, by.eno2.netmask, by.eno2.method], ['10.20.10.12/24', '10.20.10.12', '24', 'static']);
    assert.equal(by.eno3.cidr, '10.20.20.12/24');
    assert.deepEqual([by.eno4.type, by.eno4.method, by.eno4.exists, by.eno4.active], ['eth', 'manual', 1, 1]);
    assert.deepEqual((await ok<any[]>(sim, 'pve1', 'GET', '/nodes/pve1/network', { type: 'any_bridge' })).map((i) => i.iface), ['vmbr0']);
  });

  it('stages edits, shows the diff, applies them with exactly one reload, reverts', async () => {
    const sim = lab(1);
    await ok(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'bond0', type: 'bond', slaves: 'eno4 eno5', bond_mode: '802.3ad', bond_xmit_hash_policy: 'layer3+4', autostart: 1 });
    await ok(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', bridge_ports: 'bond0', bridge_vlan_aware: 1, autostart: 1 });
    await ok(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr1.30', type: 'vlan', cidr: '10.20.30.11/24', autostart: 1 });
    const res = await sim.handle({ node: 'pve1', method: 'GET', path: '/nodes/pve1/network', params: {}, user: 'root@pam' });
    const changes = String(res.extra?.changes ?? '');
    assert.match(changes, /^--- \/etc\/network\/interfaces\n\+\+\+ \/etc\/network\/interfaces\.new\n@@/);
    assert.match(changes, /^\+\tbond-mode 802\.3ad$/m);
    assert.match(changes, /^\+\tbridge-vlan-aware yes$/m);
    assert.match(changes, /^\+iface vmbr1\.30 inet static$/m);
    const staged = Object.fromEntries((res.data as any[]).map((i) => [i.iface, i]));
    assert.equal(staged.vmbr1.active, undefined, 'staged only: not active yet');
    assert.equal(sim.reloadCount('pve1'), 0);

    const reload = await task(sim, 'pve1', 'PUT', '/nodes/pve1/network');
    assert.deepEqual([reload.type, reload.id], ['srvreload', 'networking']);
    assert.equal(sim.reloadCount('pve1'), 1);
    const after = await sim.handle({ node: 'pve1', method: 'GET', path: '/nodes/pve1/network', params: {}, user: 'root@pam' });
    assert.equal(after.extra?.changes, undefined);
    assert.equal((after.data as any[]).find((i) => i.iface === 'vmbr1').active, 1);
    assert.match((await sim.shell('pve1', 'cat /etc/network/interfaces')).stdout, /^auto bond0\niface bond0 inet manual\n\tbond-slaves eno4 eno5\n\tbond-miimon 100\n\tbond-mode 802\.3ad\n\tbond-xmit-hash-policy layer3\+4$/m);

    await ok(sim, 'pve1', 'PUT', '/nodes/pve1/network/vmbr1', { type: 'bridge', comments: 'guests', delete: 'bridge_vlan_aware' });
    await ok(sim, 'pve1', 'DELETE', '/nodes/pve1/network/vmbr1.30');
    assert.equal(sim.nodeState('pve1').pendingNetworkChanges, true);
    await ok(sim, 'pve1', 'DELETE', '/nodes/pve1/network');
    const reverted = await sim.handle({ node: 'pve1', method: 'GET', path: '/nodes/pve1/network', params: {}, user: 'root@pam' });
    assert.equal(reverted.extra?.changes, undefined);
    assert.ok((reverted.data as any[]).some((i) => i.iface === 'vmbr1.30'));
    assert.equal(sim.reloadCount('pve1'), 1);
  });

  it('answers the reference parameter errors and bond-mode rules; OVS needs openvswitch-switch', async () => {
    const sim = lab(2, [{}, { ovs: true }]);
    const e1 = await fails(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr0', type: 'bridge' }, 400);
    assert.deepEqual(e1.errors, { iface: 'interface already exists' });
    assert.deepEqual((await fails(sim, 'pve1', 'PUT', '/nodes/pve1/network/vmbr9', { type: 'bridge' }, 400)).errors, { iface: 'interface does not exist' });
    assert.deepEqual((await fails(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', bridge_ports: 'eno1' }, 400)).errors, { bridge_ports: "eno1 is already used on interface 'vmbr0'." });
    assert.deepEqual((await fails(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', gateway: '10.20.0.1' }, 400)).errors, { gateway: "Default gateway already exists on interface 'vmbr0'." });
    assert.deepEqual((await fails(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', cidr: '10.20.30.1/24', address: '10.20.30.1' }, 400)).errors, { address: 'address conflicts with cidr' });
    for (const mode of bondModes['linux bond (type=bond)']!) {
      await ok(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'bond7', type: 'bond', slaves: 'eno6', bond_mode: mode });
      await ok(sim, 'pve1', 'DELETE', '/nodes/pve1/network/bond7');
    }
    for (const mode of bondModes.OVSBond!.filter((m) => !bondModes['linux bond (type=bond)']!.includes(m))) {
      const e = await fails(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'bond7', type: 'bond', slaves: 'eno6', bond_mode: mode }, 400);
      assert.match(e.errors!.bond_mode!, /Open vSwitch/);
    }
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/network', { iface: 'vmbr5', type: 'OVSBridge' }, 500, /^Open VSwitch is not installed \(need package 'openvswitch-switch'\)$/);
    // with OVS: OVSBond takes only the OVS modes and needs an OVS bridge
    await ok(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'vmbr5', type: 'OVSBridge' });
    assert.deepEqual((await fails(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'bond5', type: 'OVSBond', ovs_bonds: 'eno4 eno5', bond_mode: 'balance-slb' }, 400)).errors, { ovs_bridge: 'parameter is required' });
    assert.deepEqual((await fails(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'bond5', type: 'OVSBond', ovs_bonds: 'eno4 eno5', bond_mode: 'balance-slb', ovs_bridge: 'vmbr0' }, 400)).errors, { ovs_bridge: "interface 'vmbr0' is no OVS bridge" });
    for (const mode of bondModes.OVSBond!) {
      await ok(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'bond5', type: 'OVSBond', ovs_bonds: 'eno4 eno5', bond_mode: mode, ovs_bridge: 'vmbr5' });
      await ok(sim, 'pve2', 'DELETE', '/nodes/pve2/network/bond5');
    }
    await fails(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'bond5', type: 'OVSBond', ovs_bonds: 'eno4', bond_mode: 'balance-rr', ovs_bridge: 'vmbr5' }, 400);
    await ok(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'int1', type: 'OVSIntPort', ovs_bridge: 'vmbr5', cidr: '10.20.40.12/24' });
    assert.equal((await ok(sim, 'pve2', 'GET', '/nodes/pve2/network/vmbr5')).ovs_ports, 'int1');
  });

  it('a reload that drops the management address cuts the API until rolled back over SSH', async () => {
    const sim = lab(3);
    await cluster(sim, 3);
    assert.equal((await sim.shell('pve2', 'cp /etc/network/interfaces /root/interfaces.poolform')).code, 0);
    await ok(sim, 'pve2', 'PUT', '/nodes/pve2/network/vmbr0', { type: 'bridge', cidr: '192.168.99.12/24' });
    await ok(sim, 'pve2', 'PUT', '/nodes/pve2/network');
    await sim.idle(); // the task cannot be polled any more: the node stopped answering
    assert.equal(sim.nodeState('pve2').reachable, false);
    assert.equal((await call(sim, 'pve1', 'GET', '/nodes/pve2/network')).status, 595);
    assert.equal((await sim.handle({ node: 'pve2', method: 'GET', path: '/version', params: {}, user: 'root@pam' })).status, 595);
    assert.equal(sim.quorum('pve1').members.includes('pve2'), true, 'corosync links still up');
    const rb = await sim.shell('pve2', 'cp /root/interfaces.poolform /etc/network/interfaces && ifreload -a');
    assert.equal(rb.code, 0, rb.stderr);
    assert.equal(sim.nodeState('pve2').reachable, true);
    assert.equal(sim.reloadCount('pve2'), 2);

    // losing both link addresses leaves membership
    await ok(sim, 'pve3', 'PUT', '/nodes/pve3/network/eno2', { type: 'eth', delete: 'cidr' });
    await ok(sim, 'pve3', 'PUT', '/nodes/pve3/network/eno3', { type: 'eth', cidr: '172.16.0.13/24' });
    await task(sim, 'pve3', 'PUT', '/nodes/pve3/network');
    assert.deepEqual(sim.quorum('pve1').members, ['pve1', 'pve2']);
    assert.equal(sim.nodeState('pve3').reachable, true);

    // a forced lost-management fault (switch trouble) even inside routed subnets
    sim.faults.loseManagementOnReload('pve1');
    await ok(sim, 'pve1', 'PUT', '/nodes/pve1/network');
    await sim.idle();
    assert.equal(sim.nodeState('pve1').reachable, false);
    await sim.shell('pve1', 'ifreload -a');
    assert.equal(sim.nodeState('pve1').reachable, true);
    // ping over the cluster network reports the link latency
    sim.faults.setLinkLatency('pve1', 'pve2', 1.5);
    const ping = await sim.shell('pve1', 'ping -c 3 -q 10.20.10.12');
    assert.match(ping.stdout, /3 packets transmitted, 3 received, 0% packet loss/);
    assert.match(ping.stdout, /^rtt min\/avg\/max\/mdev = [\d.]+\/1\.500\/[\d.]+\/[\d.]+ ms$/m);
    const lost = await sim.shell('pve1', 'ping -c2 -q 10.20.10.13');
    assert.match(lost.stdout, /^2 packets transmitted, 0 received/m);
    assert.equal(lost.code, 1);
    assert.match(lost.stdout, /100% packet loss/);
  });

  it('renders and parses /etc/network/interfaces consistently', () => {
    const sim = lab(1);
    void sim;
    const text = [
      'auto lo',
      'iface lo inet loopback',
      '',
      'iface eno1 inet manual',
      '',
      'auto bond0',
      'iface bond0 inet manual',
      '\tbond-slaves eno4 eno5',
      '\tbond-miimon 100',
      '\tbond-mode active-backup',
      '\tbond-primary eno4',
      '',
      'auto vmbr0',
      'iface vmbr0 inet static',
      '\taddress 10.20.0.11',
      '\tnetmask 255.255.255.0',
      '\tgateway 10.20.0.1',
      '\tbridge-ports eno1',
      '\tbridge-stp off',
      '\tbridge-fd 0',
      '#management',
      '',
      'auto vlan20',
      'iface vlan20 inet static',
      '\taddress 10.20.30.11/24',
      '\tvlan-raw-device bond0',
      '',
      'source /etc/network/interfaces.d/*',
    ].join('\n');
    const m = parseInterfaces(text, ['eno1', 'eno4', 'eno5']);
    assert.deepEqual(m.get('vmbr0'), { type: 'bridge', cidr: '10.20.0.11/24', gateway: '10.20.0.1', bridge_ports: 'eno1', bridge_stp: 'off', bridge_fd: 0, comments: 'management', autostart: 1 });
    assert.deepEqual(m.get('bond0'), { type: 'bond', slaves: 'eno4 eno5', bond_miimon: 100, bond_mode: 'active-backup', 'bond-primary': 'eno4', autostart: 1 });
    assert.equal(m.get('vlan20')!.type, 'vlan');
    assert.equal(m.get('eno1')!.type, 'eth');
    assert.deepEqual(parseInterfaces(renderInterfaces(m), ['eno1', 'eno4', 'eno5']), m);
  });
});
