// The example pool end to end, through the real CLI against a 3-host simulated lab: built from
// nothing, then each kind of change planned with the right action and impact, applied, and drift
// made behind poolform's back found and mended. One lab for the file: each test starts from the
// state the one before left (the order is the story of a pool's life).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, diagnosticBoxes, EXAMPLE_ADDRESSES, exampleSetup, hostSetup, hostsVar, planBlocks, records, startXenE2e, type XenE2e } from './xen-harness.js';

let e: XenE2e;
before(async () => {
  e = await startXenE2e({ hosts: 3 });
});
after(async () => {
  await e?.stop();
});

/** The simulator's record of the object state holds for `address`. */
function recordOf(cls: string, address: string) {
  const db = e.db('xs1');
  const ref = db.refByUuid(e.idOf(address));
  assert.ok(ref, `${address} exists in the simulator`);
  return db.get(cls, ref);
}

test('from nothing: the example builds the whole pool, and a second plan is empty', async () => {
  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Apply complete! Resources: 17 added, 0 changed, 0 destroyed/);
  assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), EXAMPLE_ADDRESSES);

  const db = e.db('xs1');
  // Members joined the coordinator's pool: one database, three hosts, one pool object.
  assert.equal(e.db('xs2'), db);
  assert.equal(e.db('xs3'), db);
  assert.deepEqual(records(db, 'host').map((h) => h.name_label).sort(), ['xs1', 'xs2', 'xs3']);
  assert.equal(records(db, 'pool').length, 1);

  // The NFS SR is shared and the pool's default; every host has a plugged PBD for it, the bond,
  // management on the bond, VLANs 20 and 30 on the bond master and its storage address.
  const sr = recordOf('SR', 'xenserver_sr.nfs');
  assert.equal(sr.type, 'nfs');
  assert.equal(sr.shared, true);
  const pool = records(db, 'pool')[0]!;
  assert.equal(pool.default_SR, db.refByUuid(sr.uuid));
  for (const [i, host] of ['xs1', 'xs2', 'xs3'].entries()) assert.deepEqual(hostSetup(e, host), exampleSetup(`10.10.20.${11 + i}`), host);

  // HA on, tolerating one failure.
  assert.equal(pool.ha_enabled, true);
  assert.equal(Number(pool.ha_host_failures_to_tolerate), 1);

  // Two templates that stayed templates, with the memory the example gives each.
  const templates = ['debian', 'ubuntu'].map((k) => recordOf('VM', `xenserver_vm_template.base["${k}"]`));
  assert.deepEqual(
    templates.map((t) => [t.name_label, t.is_a_template, Number(t.memory_static_max) / 2 ** 20]),
    [
      ['debian-12-base', true, 2048],
      ['ubuntu-24.04-base', true, 4096],
    ],
  );

  await e.assertNoChanges();
});

test('an SR device_config change plans a replacement, and what refers to the SR follows', async () => {
  e.edit((h) => h.replace('serverpath = "/export/xen"', 'serverpath = "/export/iso"'));
  try {
    const plan = await e.planJson();
    const sr = plan.resource_changes.find((c) => c.address === 'xenserver_sr.nfs')!;
    assert.equal(sr.action_reason, 'replace_because_cannot_update');
    assert.deepEqual(sr.change.replace_paths, [['device_config']]);
    // No create_before_destroy: the old SR goes first. What refers to the SR's id follows: the
    // pool's default SR and HA's heartbeat SR are updated, templates with disks on it replaced.
    assert.deepEqual(sr.change.actions, ['delete', 'create']);
    assert.deepEqual(actionsOf(plan), {
      'xenserver_sr.nfs': 'replace',
      'xenserver_pool.pool': 'update',
      'xenserver_ha.ha': 'update',
      'xenserver_vm_template.base["debian"]': 'replace',
      'xenserver_vm_template.base["ubuntu"]': 'replace',
    });
    // Impact: only HA's new heartbeat SR touches the live pool (an SR in use is never replaced).
    const text = (await e.run(['plan'])).stdout;
    assert.deepEqual(planBlocks(text), [
      ['xenserver_ha.ha will be updated in-place', 'impact: live'],
      ['xenserver_pool.pool will be updated in-place'],
      ['xenserver_sr.nfs must be replaced', '(replace because device_config cannot be changed in place)'],
      ['xenserver_vm_template.base["debian"] must be replaced', '(replace because disks cannot be changed in place)'],
      ['xenserver_vm_template.base["ubuntu"] must be replaced', '(replace because disks cannot be changed in place)'],
    ]);
    assert.match(text, /\n +~ serverpath = "\/export\/xen" -> "\/export\/iso"\n/);
    assert.match(text, /\nPlan: 3 to add, 2 to change, 3 to destroy\.\n/);
  } finally {
    e.edit((h) => h.replace('serverpath = "/export/iso"', 'serverpath = "/export/xen"'));
  }
});

test('removing a member without allow_eject is refused, naming the member and the fix', async () => {
  const serialBefore = e.state()!.serial;
  const r = await e.run(['plan'], { POOLFORM_VAR_xen_hosts: hostsVar(e.lab, 2) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /Plan: /);
  // Both refusals in the same run (all errors, not the first), each naming the member, the host
  // and the way out; with HA on, XAPI would refuse the eject too.
  const [allowEject, ha, ...more] = diagnosticBoxes(r.stderr);
  assert.deepEqual(more, []);
  for (const box of [allowEject!, ha!]) assert.ok(box.includes('xenserver_pool_member.member["xs3"]'), box);
  assert.match(allowEject!, /^Error: .*host xs3: eject refused: allow_eject is not set\n/);
  assert.match(allowEject!, /set allow_eject = true on this member, apply, then remove the member and apply again/);
  assert.match(ha!, /^Error: .*host xs3: cannot be ejected while HA is enabled\n/);
  assert.match(ha!, /disable HA \(xenserver_ha enabled = false\), apply, eject, then enable HA again/);
  assert.equal(e.state()!.serial, serialBefore, 'state untouched');
  // Nothing changed on the platform.
  assert.deepEqual(records(e.db('xs1'), 'host').map((h) => h.name_label).sort(), ['xs1', 'xs2', 'xs3']);
});

test('updates: MTU, bond mode, template memory, HA tolerance, a new power-on setting', async () => {
  e.edit((h) =>
    h
      .replace('mtu        = 9000', 'mtu        = 8000')
      .replace('mode       = "active-backup"', 'mode       = "balance-slb"')
      .replace('memory_mib          = 2048', 'memory_mib          = 3072')
      .replace('host_failures_to_tolerate = 1', 'host_failures_to_tolerate = 2')
      .concat('\nresource "xenserver_host_power_on" "xs2" {\n  host = "xs2"\n  mode = "wake-on-lan"\n}\n'),
  );
  const plan = await e.planJson();
  assert.deepEqual(actionsOf(plan), {
    'xenserver_network.storage': 'update',
    'xenserver_bond.bond0': 'update',
    'xenserver_vm_template.base["debian"]': 'update',
    'xenserver_ha.ha': 'update',
    'xenserver_host_power_on.xs2': 'create',
  });
  const mtu = plan.resource_changes.find((c) => c.address === 'xenserver_network.storage')!;
  assert.equal(mtu.change.before!.mtu, 9000);
  assert.equal(mtu.change.after!.mtu, 8000);

  // Apply prints the plan it carries out: each change with its impact (none unless said).
  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(planBlocks(r.stdout), [
    ['xenserver_bond.bond0 will be updated in-place', 'impact: network-blip'],
    ['xenserver_ha.ha will be updated in-place'],
    ['xenserver_host_power_on.xs2 will be created'],
    ['xenserver_network.storage will be updated in-place', 'impact: network-blip'],
    ['xenserver_vm_template.base["debian"] will be updated in-place'],
  ]);
  assert.match(r.stdout, /\nPlan: 1 to add, 4 to change, 0 to destroy\.\n/);
  assert.match(r.stdout, /Apply complete! Resources: 1 added, 4 changed, 0 destroyed/);

  const db = e.db('xs1');
  assert.equal(Number(recordOf('network', 'xenserver_network.storage').MTU), 8000);
  for (const host of ['xs1', 'xs2', 'xs3']) assert.deepEqual(hostSetup(e, host).bonds, [{ mode: 'balance-slb', slaves: ['eth0', 'eth1'] }], `${host}'s bond switched mode`);
  const debian = recordOf('VM', 'xenserver_vm_template.base["debian"]');
  assert.equal(Number(debian.memory_static_max), 3072 * 1024 * 1024);
  assert.equal(debian.is_a_template, true);
  assert.equal(Number(recordOf('VM', 'xenserver_vm_template.base["ubuntu"]').memory_static_max), 4096 * 1024 * 1024, 'the other template untouched');
  assert.equal(Number(records(db, 'pool')[0]!.ha_host_failures_to_tolerate), 2);
  assert.deepEqual(
    records(db, 'host').map((h) => [h.name_label, h.power_on_mode]).sort(),
    [
      ['xs1', ''],
      ['xs2', 'wake-on-lan'],
      ['xs3', ''],
    ],
  );
  await e.assertNoChanges();
});

test("drift: an MTU and a name changed behind poolform's back show as drift, are planned back, and settle", async () => {
  const netUuid = e.idOf('xenserver_network.vms');
  // As an administrator would: XAPI calls on the coordinator.
  const c = (await e.x.session()).xapi;
  const ref = await c.call<string>('network.get_by_uuid', [netUuid]);
  await c.call('network.set_MTU', [ref, 4000]);
  await c.call('network.set_name_label', [ref, 'renamed by hand']);

  const plan = await e.planJson();
  // The drift: from what was applied to what the platform has now.
  assert.deepEqual(
    plan.resource_drift.map((d) => [d.address, d.change.actions, d.change.before!.mtu, d.change.after!.mtu, d.change.before!.name_label, d.change.after!.name_label]),
    [['xenserver_network.vms', ['update'], 1500, 4000, 'VM traffic (VLAN 30)', 'renamed by hand']],
  );
  // The plan: from what the platform has back to the configuration.
  assert.deepEqual(actionsOf(plan), { 'xenserver_network.vms': 'update' });
  const ch = plan.resource_changes.find((x) => x.address === 'xenserver_network.vms')!;
  assert.equal(ch.change.before!.mtu, 4000, 'the plan starts from the drifted MTU');
  assert.equal(ch.change.before!.name_label, 'renamed by hand');
  assert.equal(ch.change.after!.mtu, 1500);
  assert.equal(ch.change.after!.name_label, 'VM traffic (VLAN 30)');

  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Objects have changed outside of Poolform/);
  assert.deepEqual(planBlocks(r.stdout), [['xenserver_network.vms has changed'], ['xenserver_network.vms will be updated in-place', 'impact: network-blip']]);
  const [drift, change] = r.stdout.split('Poolform will perform the following actions:');
  assert.match(drift!, /~ mtu += 1500 -> 4000\n/);
  assert.match(change!, /~ mtu += 4000 -> 1500\n/);
  const net = recordOf('network', 'xenserver_network.vms');
  assert.equal(Number(net.MTU), 1500);
  assert.equal(net.name_label, 'VM traffic (VLAN 30)');
  await e.assertNoChanges();
});
