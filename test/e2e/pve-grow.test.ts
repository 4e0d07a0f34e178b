// A Proxmox cluster that grows and shrinks, through the real CLI: a 4-node lab whose first apply
// sees only three nodes (the example's HA rule names three, and HA needs three), then all four (the
// fourth joins and gets its network), then the fourth leaves the only safe way: refused while it
// is online, removed once it is powered off for good. One lab, the steps in order.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnosticBoxes, nodesVar, planBlocks, startPveE2e, type PveE2e } from './pve-harness.js';

let e: PveE2e;
let three: Record<string, string>;
before(async () => {
  e = await startPveE2e({ nodes: 4 });
  three = { POOLFORM_VAR_pve_nodes: nodesVar(e.lab, ['pve1', 'pve2', 'pve3']) };
});
after(async () => {
  await e?.stop();
});

const pve4Addresses = () => e.state()!.resources.map((r) => r.address).filter((a) => a.includes('pve4'));

test('a fourth node added later joins the cluster and gets its network; nothing else changes', async () => {
  const first = await e.run(['apply', '-auto-approve'], three);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /Apply complete! Resources: 15 added, 0 changed, 0 destroyed/);
  assert.equal(e.lab.sim.nodeState('pve4').clustered, false, 'pve4 is not in the cluster yet');
  assert.deepEqual(e.lab.sim.quorum('pve1').members, ['pve1', 'pve2', 'pve3']);

  // The lab's variables: all four nodes.
  const plan = await e.run(['plan']);
  assert.equal(plan.code, 0, plan.stdout + plan.stderr);
  assert.deepEqual(planBlocks(plan.stdout), [
    ['proxmox_cluster_node.member["pve4"] will be created'],
    ['proxmox_node_network.net["pve4"] will be created', 'impact: live'],
  ]);
  assert.match(plan.stdout, /\nPlan: 2 to add, 0 to change, 0 to destroy\.\n/);

  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Apply complete! Resources: 2 added, 0 changed, 0 destroyed/);
  for (const n of ['pve1', 'pve2', 'pve3', 'pve4']) {
    assert.deepEqual(e.lab.sim.quorum(n), { clustered: true, quorate: true, expected: 4, total: 4, members: ['pve1', 'pve2', 'pve3', 'pve4'] }, n);
    assert.equal(e.lab.sim.reloadCount(n), 1, `${n}: one network reload (the others not reloaded again)`);
  }
  assert.deepEqual(pve4Addresses(), ['proxmox_cluster_node.member["pve4"]', 'proxmox_node_network.net["pve4"]']);
  await e.assertNoChanges();
});

test('removing an online node is refused with the remedy: power it off for good first', async () => {
  const before = e.state()!;
  const r = await e.run(['plan'], three);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /Plan: /);
  const [online, network, ...more] = diagnosticBoxes(r.stderr);
  assert.deepEqual(more, []);
  assert.match(online!, /^Error: pve4: removal only when powered off: the node is online in cluster "lab"\n/);
  assert.match(online!, /with proxmox_cluster_node\.member\["pve4"\],/);
  assert.match(online!, /shut the node down and make sure it never boots into this cluster network again/);
  assert.match(online!, /to rejoin it later, reinstall Proxmox VE on it first/);
  // Its node_network leaves with the node: forgotten, not changed (a warning says so).
  assert.match(network!, /^Warning: Node pve4 is gone: its network settings will be forgotten, not changed\n/);
  assert.match(network!, /with proxmox_node_network\.net\["pve4"\],/);
  assert.deepEqual(e.state(), before, 'state untouched');
  assert.deepEqual(e.lab.sim.quorum('pve1').members, ['pve1', 'pve2', 'pve3', 'pve4']);
});

test('powered off, the node is removed: its membership deleted, its network forgotten', async () => {
  e.lab.sim.powerOff('pve4');
  assert.equal(e.lab.sim.quorum('pve1').quorate, true, 'three of four still quorate');

  const r = await e.run(['apply', '-auto-approve'], three);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(planBlocks(r.stdout), [
    ['proxmox_cluster_node.member["pve4"] will be destroyed', '(because key ["pve4"] is not in for_each map)'],
    // The impact is judged from the change alone (it cannot see the node is gone): overstated here.
    ['proxmox_node_network.net["pve4"] will be destroyed', '(because key ["pve4"] is not in for_each map)', 'impact: network-blip'],
  ]);
  assert.match(r.stderr, /Warning: Node pve4 is gone: its network settings will be forgotten, not changed/);
  assert.match(r.stdout, /Apply complete! Resources: 0 added, 0 changed, 2 destroyed/);
  assert.equal(e.lab.sim.reloadCount('pve4'), 1, 'nothing was sent to the removed node');
  assert.deepEqual(pve4Addresses(), []);

  // The cluster is three again (expected votes too), and corosync no longer lists pve4.
  for (const n of ['pve1', 'pve2', 'pve3']) assert.deepEqual(e.lab.sim.quorum(n), { clustered: true, quorate: true, expected: 3, total: 3, members: ['pve1', 'pve2', 'pve3'] }, n);
  const nodes = await e.lab.sim.handle({ node: 'pve1', method: 'GET', path: '/cluster/config/nodes', params: {}, user: 'root@pam' });
  assert.deepEqual((nodes as { data: { name: string }[] }).data.map((n) => n.name), ['pve1', 'pve2', 'pve3']);
  assert.equal(e.lab.sim.isPoweredOn('pve4'), false);
  await e.assertNoChanges(three);
});
