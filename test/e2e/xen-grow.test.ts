// A pool that grows and shrinks, through the real CLI: a fourth host added to the configuration
// later joins and gets what a join does not carry (management on the bond, its storage address)
// on top of what it inherits (shared SR, bond, VLANs); then a member is ejected the documented way
// (allow_eject applied first, then removed); XAPI refuses both join and eject while HA is on, so
// HA is turned off first, as the refusal says. One 4-host lab, the steps in order.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { exampleSetup, hostSetup, hostsVar, planBlocks, records, startXenE2e, type XenE2e } from './xen-harness.js';

let e: XenE2e;
let three: Record<string, string>;
before(async () => {
  e = await startXenE2e({ hosts: 4 });
  three = { POOLFORM_VAR_xen_hosts: hostsVar(e.lab, 3) };
});
after(async () => {
  await e?.stop();
});

test('a host added later: refused while HA is on, then joins and gets the pool\'s storage and networking', async () => {
  const first = await e.run(['apply', '-auto-approve'], three);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.notEqual(e.db('xs4'), e.db('xs1'), 'xs4 is not in the pool yet');

  // XAPI refuses pool.join into a pool with HA on: preflight says so before anything changes.
  const refused = await e.run(['plan']);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /host xs4 \(https:\/\/127\.0\.0\.1:\d+\): HA disabled while joining: HA is enabled on the pool/);
  assert.match(refused.stderr, /on main\.hcl line 63:/);
  assert.match(refused.stderr, /disable HA \(xenserver_ha enabled = false\), apply, join the host, then enable HA again/);
  // The new host's storage interface is not refused for a name the pool does not know yet.
  assert.doesNotMatch(refused.stderr, /Unknown host/);

  e.edit((h) => h.replace('  enabled                   = true', '  enabled                   = false'));
  const off = await e.run(['apply', '-auto-approve'], three);
  assert.equal(off.code, 0, off.stdout + off.stderr);
  assert.deepEqual(planBlocks(off.stdout), [['xenserver_ha.ha will be updated in-place', 'impact: live']]);
  assert.equal(records(e.db('xs1'), 'pool')[0]!.ha_enabled, false);

  // The lab's variables: all four hosts. xs4's SSH port joins the map the management update uses
  // to check each host after moving it.
  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(planBlocks(r.stdout), [
    ['xenserver_management_interface.mgmt will be updated in-place', 'impact: network-blip'],
    ['xenserver_pool_member.member["xs4"] will be created', 'impact: host-reboot'],
    ['xenserver_storage_interface.storage["xs4"] will be created'],
  ]);
  assert.match(r.stdout, /Resources: 2 added, 1 changed, 0 destroyed/);

  assert.equal(e.db('xs4'), e.db('xs1'), 'xs4 joined xs1\'s pool');
  // What the join carries (the shared SR's PBD, the bond, the VLANs) and what it does not
  // (management on the bond, the storage address): the same set-up as the first three hosts.
  assert.deepEqual(hostSetup(e, 'xs4'), exampleSetup('10.10.20.14'));
  assert.deepEqual(hostSetup(e, 'xs1'), exampleSetup('10.10.20.11'), 'the others untouched');

  await e.assertNoChanges();
});

test('eject: allow_eject applied first, then the member removed; the host is standalone again', async () => {
  e.edit((h) => h.replace('  ssh_port        = each.value.ssh_port\n}', '  ssh_port        = each.value.ssh_port\n  allow_eject     = each.key == "xs4"\n}'));
  const arm = await e.run(['apply', '-auto-approve']);
  assert.equal(arm.code, 0, arm.stdout + arm.stderr);
  assert.deepEqual(planBlocks(arm.stdout), [['xenserver_pool_member.member["xs4"] will be updated in-place']]);
  assert.match(arm.stdout, /Resources: 0 added, 1 changed, 0 destroyed/);
  const memberId = e.idOf('xenserver_pool_member.member["xs4"]');
  assert.equal(e.state()!.resources.find((x) => x.address === 'xenserver_pool_member.member["xs4"]')!.attributes.allow_eject, true);

  const r = await e.run(['apply', '-auto-approve'], three);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(planBlocks(r.stdout), [
    ['xenserver_management_interface.mgmt will be updated in-place', 'impact: network-blip'],
    ['xenserver_pool_member.member["xs4"] will be destroyed', '(because key ["xs4"] is not in for_each map)', 'impact: host-reboot'],
    ['xenserver_storage_interface.storage["xs4"] will be destroyed', '(because key ["xs4"] is not in for_each map)'],
  ]);
  assert.match(r.stdout, /Resources: 0 added, 1 changed, 2 destroyed/);

  const pool = e.db('xs1');
  assert.deepEqual(records(pool, 'host').map((h) => h.name_label).sort(), ['xs1', 'xs2', 'xs3']);
  const own = e.db('xs4');
  assert.notEqual(own, pool);
  const hosts = records(own, 'host');
  assert.deepEqual(hosts.map((h) => h.uuid), [memberId], 'xs4 is a pool of one again');
  assert.equal(records(own, 'pool')[0]!.name_label, '', 'with a fresh database');
  assert.equal(records(own, 'Bond').length, 0);
  assert.ok(!e.state()!.resources.some((x) => x.address.includes('"xs4"')), 'nothing about xs4 left in state');

  await e.assertNoChanges(three);
});
