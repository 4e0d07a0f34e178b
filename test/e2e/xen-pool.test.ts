// The example pool end to end, through the real CLI against a 3-host simulated lab: built from
// nothing, then each kind of change planned with the right action and impact, applied, and drift
// made behind poolform's back found and mended. One lab for the file: each test starts from the
// state the one before left (the order is the story of a pool's life).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../providers/xenserver/sim/db.js';
import { actionsOf, hostsVar, planBlock, records, startXenE2e, type XenE2e } from './xen-harness.js';

let e: XenE2e;
before(async () => {
  e = await startXenE2e({ hosts: 3 });
});
after(async () => {
  await e?.stop();
});

const EXPECTED = [
  'xenserver_bond.bond0',
  'xenserver_ha.ha',
  'xenserver_management_interface.mgmt',
  'xenserver_network.bond0',
  'xenserver_network.storage',
  'xenserver_network.vms',
  'xenserver_pool.pool',
  'xenserver_pool_member.member["xs2"]',
  'xenserver_pool_member.member["xs3"]',
  'xenserver_sr.nfs',
  'xenserver_storage_interface.storage["xs1"]',
  'xenserver_storage_interface.storage["xs2"]',
  'xenserver_storage_interface.storage["xs3"]',
  'xenserver_vlan.storage',
  'xenserver_vlan.vms',
  'xenserver_vm_template.debian',
  'xenserver_vm_template.ubuntu',
];

function idOf(address: string): string {
  const r = e.state()!.resources.find((x) => x.address === address);
  assert.ok(r, `${address} in state`);
  return r.id;
}

function refOf(db: Db, uuid: string): string {
  const ref = db.refByUuid(uuid);
  assert.ok(ref, `object ${uuid} exists in the simulator`);
  return ref;
}

async function assertNoChanges(): Promise<void> {
  const r = await e.run(['plan', '-detailed-exitcode']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /No changes/);
}

test('from nothing: the example builds the whole pool, and a second plan is empty', async () => {
  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Apply complete! Resources: 17 added, 0 changed, 0 destroyed/);
  assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), EXPECTED);

  const db = e.db('xs1');
  // Members joined the coordinator's pool: one database, three hosts, one pool object.
  assert.equal(e.db('xs2'), db);
  assert.equal(e.db('xs3'), db);
  const hosts = records(db, 'host');
  assert.deepEqual(hosts.map((h) => h.name_label).sort(), ['xs1', 'xs2', 'xs3']);
  assert.equal(records(db, 'pool').length, 1);
  const hostRefs = hosts.map((h) => refOf(db, h.uuid));

  // The NFS SR is shared, with a plugged PBD on every host.
  const srRef = refOf(db, idOf('xenserver_sr.nfs'));
  const sr = db.get('SR', srRef);
  assert.equal(sr.type, 'nfs');
  assert.equal(sr.shared, true);
  const pbds = records(db, 'PBD', (p) => p.SR === srRef);
  assert.deepEqual(pbds.map((p) => p.host).sort(), [...hostRefs].sort());
  assert.ok(pbds.every((p) => p.currently_attached === true), 'every PBD plugged');
  const pool = records(db, 'pool')[0]!;
  assert.equal(pool.default_SR, srRef);

  // The bond on every host, on the bond0 network, and management on it everywhere.
  const bondNet = refOf(db, idOf('xenserver_network.bond0'));
  for (const h of hostRefs) {
    const master = records(db, 'PIF', (p) => p.host === h && p.network === bondNet && Number(p.VLAN) === -1);
    assert.equal(master.length, 1, `one bond master PIF on ${h}`);
    const bond = records(db, 'Bond', (b) => b.master === refOf(db, master[0]!.uuid));
    assert.equal(bond.length, 1);
    assert.equal(bond[0]!.mode, 'active-backup');
    const slaves = (bond[0]!.slaves as string[]).map((s) => db.get('PIF', s).device).sort();
    assert.deepEqual(slaves, ['eth0', 'eth1']);
    const mgmt = records(db, 'PIF', (p) => p.host === h && p.management === true);
    assert.equal(mgmt.length, 1);
    assert.equal(mgmt[0]!.network, bondNet, 'management is on the bond network');
    // VLANs 20 and 30 on the bond master of every host.
    for (const [tag, net] of [
      [20, 'xenserver_network.storage'],
      [30, 'xenserver_network.vms'],
    ] as const) {
      const vlanPif = records(db, 'PIF', (p) => p.host === h && Number(p.VLAN) === tag);
      assert.equal(vlanPif.length, 1, `VLAN ${tag} on ${h}`);
      assert.equal(vlanPif[0]!.network, refOf(db, idOf(net)));
      const vlan = records(db, 'VLAN', (v) => v.untagged_PIF === refOf(db, vlanPif[0]!.uuid));
      assert.equal(vlan[0]?.tagged_PIF, refOf(db, master[0]!.uuid), `VLAN ${tag} sits on the bond master`);
    }
  }

  // HA on, tolerating one failure.
  assert.equal(pool.ha_enabled, true);
  assert.equal(Number(pool.ha_host_failures_to_tolerate), 1);

  // Two templates that stayed templates.
  const templates = records(db, 'VM', (v) => v.name_label === 'debian-12-base' || v.name_label === 'ubuntu-24.04-base');
  assert.equal(templates.length, 2);
  assert.ok(templates.every((t) => t.is_a_template === true));

  await assertNoChanges();
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
      'xenserver_vm_template.debian': 'replace',
      'xenserver_vm_template.ubuntu': 'replace',
    });
    const text = await e.run(['plan']);
    assert.match(planBlock(text.stdout, 'xenserver_sr.nfs')[0] ?? '', /must be replaced/);
    assert.match(text.stdout, /~ "serverpath" += "\/export\/xen" -> "\/export\/iso"|serverpath.*\/export\/xen.*->.*\/export\/iso/);
  } finally {
    e.edit((h) => h.replace('serverpath = "/export/iso"', 'serverpath = "/export/xen"'));
  }
});

test('removing a member without allow_eject is refused, naming the member and the fix', async () => {
  const serialBefore = e.state()!.serial;
  const r = await e.run(['plan'], { POOLFORM_VAR_xen_hosts: hostsVar(e.lab, 2) });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /host xs3: eject refused: allow_eject is not set/);
  assert.match(r.stderr, /set allow_eject = true on this member, apply, then remove the member/);
  // With HA on, XAPI would refuse the eject too: said in the same run (all errors, not the first).
  assert.match(r.stderr, /host xs3: cannot be ejected while HA is enabled/);
  assert.equal(e.state()!.serial, serialBefore, 'state untouched');
  // Nothing changed on the platform.
  assert.equal(records(e.db('xs1'), 'host').length, 3);
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
    'xenserver_vm_template.debian': 'update',
    'xenserver_ha.ha': 'update',
    'xenserver_host_power_on.xs2': 'create',
  });
  const mtu = plan.resource_changes.find((c) => c.address === 'xenserver_network.storage')!;
  assert.equal(mtu.change.before!.mtu, 9000);
  assert.equal(mtu.change.after!.mtu, 8000);

  const text = (await e.run(['plan'])).stdout;
  assert.deepEqual(planBlock(text, 'xenserver_network.storage').slice(-1), ['impact: network-blip']);
  assert.deepEqual(planBlock(text, 'xenserver_bond.bond0').slice(-1), ['impact: network-blip']);
  assert.match(planBlock(text, 'xenserver_vm_template.debian')[0] ?? '', /will be updated in-place/);
  assert.match(planBlock(text, 'xenserver_ha.ha')[0] ?? '', /will be updated in-place/);
  assert.match(planBlock(text, 'xenserver_host_power_on.xs2')[0] ?? '', /will be created/);
  assert.match(text, /Plan: 1 to add, 4 to change, 0 to destroy/);

  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = e.db('xs1');
  const storage = db.get('network', refOf(db, idOf('xenserver_network.storage')));
  assert.equal(Number(storage.MTU), 8000);
  const bonds = records(db, 'Bond');
  assert.equal(bonds.length, 3);
  assert.ok(bonds.every((b) => b.mode === 'balance-slb'), 'every host\'s bond switched mode');
  const debian = db.get('VM', refOf(db, idOf('xenserver_vm_template.debian')));
  assert.equal(Number(debian.memory_static_max), 3072 * 1024 * 1024);
  assert.equal(debian.is_a_template, true);
  assert.equal(Number(records(db, 'pool')[0]!.ha_host_failures_to_tolerate), 2);
  const xs2 = records(db, 'host', (h) => h.name_label === 'xs2')[0]!;
  assert.equal(xs2.power_on_mode, 'wake-on-lan');
  await assertNoChanges();
});

test('drift: an MTU changed behind poolform\'s back is planned back, applied, and settles', async () => {
  const netUuid = idOf('xenserver_network.vms');
  const c = await e.xapi();
  const ref = await c.call<string>('network.get_by_uuid', [netUuid]);
  await c.call('network.set_MTU', [ref, 4000]);
  await c.call('network.set_name_label', [ref, 'renamed by hand']);

  const plan = await e.planJson();
  assert.deepEqual(actionsOf(plan), { 'xenserver_network.vms': 'update' });
  const ch = plan.resource_changes.find((x) => x.address === 'xenserver_network.vms')!;
  assert.equal(ch.change.before!.mtu, 4000, 'the plan starts from the drifted MTU');
  assert.equal(ch.change.before!.name_label, 'renamed by hand');
  assert.equal(ch.change.after!.mtu, 1500);
  assert.equal(ch.change.after!.name_label, 'VM traffic (VLAN 30)');
  const text = (await e.run(['plan'])).stdout;
  assert.match(text, /mtu\s+= 4000 -> 1500/);

  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = e.db('xs1');
  const net = db.get('network', refOf(db, netUuid));
  assert.equal(Number(net.MTU), 1500);
  assert.equal(net.name_label, 'VM traffic (VLAN 30)');
  await assertNoChanges();
});
