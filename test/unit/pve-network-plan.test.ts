// The pure network planner of proxmox_node_network: declared blocks with their defaults, blocks read
// back from a node's interface list (only the ones carrying poolform's mark), the ordered edits
// (bonds before the bridges over them, ports handed over before they are taken, deletions after
// their users), idempotence, and which guarded addresses a change touches.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rec } from '../../providers/proxmox/snapshot.js';
import { applyEdits, markComments, normalize, observeBlocks, planEdits, touchedAddresses, unmarkComments, MARK } from '../../providers/proxmox/network-plan.js';

/** A node's list as GET /nodes/{node}/network answers it for a fresh lab node (pve1). */
function labNode(): Rec[] {
  return [
    { iface: 'eno1', type: 'eth', exists: 1, active: 1 },
    { iface: 'eno2', type: 'eth', exists: 1, active: 1, cidr: '10.20.10.11/24', address: '10.20.10.11', netmask: '24', autostart: 1 },
    { iface: 'eno3', type: 'eth', exists: 1, active: 1, cidr: '10.20.20.11/24', address: '10.20.20.11', netmask: '24', autostart: 1 },
    { iface: 'eno4', type: 'eth', exists: 1, active: 1 },
    { iface: 'eno5', type: 'eth', exists: 1, active: 1 },
    { iface: 'eno6', type: 'eth', exists: 1, active: 1 },
    { iface: 'vmbr0', type: 'bridge', bridge_ports: 'eno1', cidr: '10.20.0.11/24', address: '10.20.0.11', netmask: '24', gateway: '10.20.0.1', autostart: 1, active: 1 },
  ];
}

const BENCH = {
  bond: [{ name: 'bond0', slaves: ['eno4', 'eno5'], mode: '802.3ad', hash_policy: 'layer3+4' }],
  bridge: [{ name: 'vmbr1', ports: ['bond0'], vlan_aware: true }],
  vlan: [{ name: 'vmbr1.30', cidr: '10.20.30.11/24' }],
};

test('blocks get their defaults; comments carry the mark and come back without it', () => {
  const b = normalize(BENCH);
  assert.deepEqual(b.bridge[0], { name: 'vmbr1', ports: ['bond0'], vlan_aware: true, vids: null, cidr: null, gateway: null, mtu: null, autostart: true, comments: null, ovs: false });
  assert.equal(b.bond[0]!.ovs, false);
  assert.equal(markComments(null), MARK);
  assert.deepEqual(unmarkComments(`uplink ${MARK}\n`), { marked: true, comments: 'uplink' });
  assert.deepEqual(unmarkComments('hand made'), { marked: false, comments: 'hand made' });
});

test('a bond, a VLAN-aware bridge over it and a VLAN: created in dependency order, then nothing left to do', () => {
  const edits = planEdits(normalize(BENCH), labNode(), []);
  assert.deepEqual(edits.map((e) => `${e.op} ${e.iface}`), ['create bond0', 'create vmbr1', 'create vmbr1.30']);
  assert.deepEqual(edits[0]!.params, { type: 'bond', slaves: 'eno4 eno5', bond_mode: '802.3ad', bond_xmit_hash_policy: 'layer3+4', comments: MARK, autostart: 1 });
  assert.deepEqual(edits[1]!.params, { type: 'bridge', bridge_ports: 'bond0', bridge_vlan_aware: 1, autostart: 1, comments: MARK });
  const after = applyEdits(labNode(), edits);
  assert.deepEqual(planEdits(normalize(BENCH), after, ['bond0', 'vmbr1', 'vmbr1.30']), []);
  // observation reports exactly the declared blocks (with defaults) and only the marked interfaces
  const seen = observeBlocks(after);
  assert.deepEqual(seen.managed, ['bond0', 'vmbr1', 'vmbr1.30']);
  assert.deepEqual(seen.blocks, normalize(BENCH));
});

test('a change updates in place and deletes what it set; undeclared marked interfaces are deleted users first', () => {
  const after = applyEdits(labNode(), planEdits(normalize(BENCH), labNode(), []));
  const changed = { ...BENCH, bridge: [{ name: 'vmbr1', ports: ['bond0'], vlan_aware: false, mtu: 9000 }] };
  const e = planEdits(normalize(changed), after, []);
  assert.deepEqual(e.map((x) => `${x.op} ${x.iface}`), ['update vmbr1']);
  assert.equal(e[0]!.params.mtu, 9000);
  assert.deepEqual(e[0]!.remove, ['bridge_vlan_aware']);
  // nothing declared any more: the VLAN and the bridge go before the bond they ride on; eno* never
  const gone = planEdits(normalize({}), after, ['eno4', 'bond0', 'vmbr1', 'vmbr1.30']);
  assert.deepEqual(gone.map((x) => `${x.op} ${x.iface}`), ['delete vmbr1.30', 'delete vmbr1', 'delete bond0']);
});

test('moving the management bridge onto a new bond: the bridge lets eno1 go before the bond takes it; the address is touched', () => {
  const blocks = normalize({
    bond: [{ name: 'bond0', slaves: ['eno1', 'eno6'], mode: 'active-backup' }],
    bridge: [{ name: 'vmbr0', ports: ['bond0'], cidr: '10.20.0.11/24', gateway: '10.20.0.1' }],
  });
  const edits = planEdits(blocks, labNode(), []);
  assert.deepEqual(edits.map((x) => `${x.op} ${x.iface}`), ['update vmbr0', 'create bond0']);
  const touched = touchedAddresses(labNode(), edits, ['10.20.0.11', '10.20.10.11', '10.20.20.11']);
  assert.deepEqual(touched, [{ ip: '10.20.0.11', before: 'vmbr0', after: 'vmbr0' }]);
  // an unrelated bond touches nothing
  assert.deepEqual(touchedAddresses(labNode(), planEdits(normalize(BENCH), labNode(), []), ['10.20.0.11', '10.20.10.11']), []);
  // a new address for vmbr0: the old one is gone from the node
  const moved = planEdits(normalize({ bridge: [{ name: 'vmbr0', ports: ['eno1'], cidr: '10.99.0.11/24', gateway: '10.99.0.1' }] }), labNode(), []);
  assert.deepEqual(touchedAddresses(labNode(), moved, ['10.20.0.11']), [{ ip: '10.20.0.11', before: 'vmbr0', after: undefined }]);
});

test('a corosync link address on a physical NIC moves to the bond the NIC joins: touched', () => {
  const edits = planEdits(normalize({ bond: [{ name: 'bond1', slaves: ['eno2', 'eno4'], mode: 'active-backup', cidr: '10.20.10.11/24' }] }), labNode(), []);
  // the NIC gives its address up before the bond takes it
  assert.deepEqual(edits.map((x) => `${x.op} ${x.iface} -${x.remove.join(',')}`), ['update eno2 -cidr', 'create bond1 -']);
  assert.deepEqual(touchedAddresses(labNode(), edits, ['10.20.10.11']), [{ ip: '10.20.10.11', before: 'eno2', after: 'bond1' }]);
});

test('Open vSwitch: the bridge first, then the bond naming it; a type change deletes and re-creates', () => {
  const ovs = normalize({ bridge: [{ name: 'vmbr2', ports: ['bond1'], ovs: true }], bond: [{ name: 'bond1', slaves: ['eno4', 'eno5'], mode: 'balance-slb', ovs: true }] });
  const edits = planEdits(ovs, labNode(), []);
  assert.deepEqual(edits.map((x) => `${x.op} ${x.iface} ${x.params.type}`), ['create vmbr2 OVSBridge', 'create bond1 OVSBond']);
  assert.equal(edits[1]!.params.ovs_bridge, 'vmbr2');
  const linux = [...labNode(), { iface: 'vmbr2', type: 'bridge', bridge_ports: '', comments: MARK, autostart: 1 }];
  const redo = planEdits(normalize({ bridge: [{ name: 'vmbr2', ovs: true }] }), linux, ['vmbr2']);
  assert.deepEqual(redo.map((x) => `${x.op} ${x.iface}`), ['delete vmbr2', 'create vmbr2']);
});

test('a <device>.<tag> VLAN may name its device and tag too: sent and read back as written', () => {
  const blocks = normalize({ bridge: [{ name: 'vmbr1', vlan_aware: true }], vlan: [{ name: 'vmbr1.40', raw_device: 'vmbr1', tag: 40, cidr: '10.20.40.11/24' }] });
  const edits = planEdits(blocks, labNode(), []);
  assert.equal(edits[1]!.params['vlan-raw-device'], 'vmbr1');
  assert.equal(edits[1]!.params['vlan-id'], 40);
  const after = applyEdits(labNode(), edits);
  assert.deepEqual(observeBlocks(after).blocks, blocks);
  assert.deepEqual(planEdits(blocks, after, ['vmbr1', 'vmbr1.40']), []);
});
