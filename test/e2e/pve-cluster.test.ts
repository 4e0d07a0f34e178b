// The Proxmox example cluster end to end, through the real CLI against a 3-node simulated lab:
// built from nothing (cluster, joins, node networks with one reload each, storage, template, VMs,
// HA), then each kind of change planned with its action and impact and applied, an immutable change
// refused, and drift made through the API behind poolform's back found and mended. One lab for the
// file: each test starts from the state the one before left.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOf, diagnosticBoxes, EXAMPLE_ADDRESSES, planBlocks, startPveE2e, type PveE2e } from './pve-harness.js';

const NODES = ['pve1', 'pve2', 'pve3'];

let e: PveE2e;
before(async () => {
  e = await startPveE2e({ nodes: 3 });
});
after(async () => {
  await e?.stop();
});

/** What the API answers an administrator for GET `path` on pve1. */
async function get<T = Record<string, unknown>>(path: string): Promise<T> {
  const r = await e.lab.sim.handle({ node: 'pve1', method: 'GET', path, params: {}, user: 'root@pam' });
  assert.equal(r.status, 200, `GET ${path}: ${JSON.stringify(r)}`);
  return (r as { data: T }).data;
}

test('from nothing: the example builds the whole cluster, and a second plan is empty', async () => {
  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Apply complete! Resources: 15 added, 0 changed, 0 destroyed/);
  assert.deepEqual(e.state()!.resources.map((x) => x.address).sort(), EXAMPLE_ADDRESSES);

  // One quorate cluster of three, as every node sees it; each node's network applied in one reload.
  for (const n of NODES) {
    assert.deepEqual(e.lab.sim.quorum(n), { clustered: true, quorate: true, expected: 3, total: 3, members: NODES }, n);
    assert.equal(e.lab.sim.reloadCount(n), 1, `${n}: one network reload`);
    assert.equal(e.lab.sim.nodeState(n).pendingNetworkChanges, false, `${n}: nothing left staged`);
  }

  const storages = await get<Record<string, unknown>[]>('/storage');
  const nfs = storages.find((s) => s.storage === 'shared-nfs');
  const ceph = storages.find((s) => s.storage === 'ceph-rbd');
  assert.deepEqual([nfs?.type, nfs?.server, nfs?.export, nfs?.content], ['nfs', '10.20.40.5', '/export/pve', 'images,iso,backup']);
  assert.deepEqual([ceph?.type, ceph?.monhost, ceph?.pool, ceph?.content], ['rbd', '10.20.40.21 10.20.40.22 10.20.40.23', 'rbd', 'images']);

  const options = await get<{ migration: { type: string; network: string } }>('/cluster/options');
  assert.deepEqual(options.migration, { type: 'secure', network: '10.20.30.0/24' });

  // The template and its two clones, running where the configuration puts them.
  const guests = (await get<Record<string, unknown>[]>('/cluster/resources'))
    .filter((x) => x.type === 'qemu')
    .map((g) => [g.vmid, g.name, g.node, g.template, g.status]);
  assert.deepEqual(guests, [
    [100, 'debian-12-cloud', 'pve1', 1, 'stopped'],
    [101, 'app1', 'pve1', 0, 'running'],
    [102, 'app2', 'pve2', 0, 'running'],
  ]);
  assert.equal(e.idOf('proxmox_vm_template.debian'), '100');

  // Listed in creation order, and the two HA resources are created in parallel: compare by sid.
  const ha = await get<Record<string, unknown>[]>('/cluster/ha/resources');
  assert.deepEqual(
    ha.map((x) => [x.sid, x.state, x.max_restart, x.max_relocate]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    [
      ['vm:101', 'started', 2, 1],
      ['vm:102', 'started', 2, 1],
    ],
  );
  const rules = await get<Record<string, unknown>[]>('/cluster/ha/rules');
  assert.deepEqual(
    rules.map((x) => [x.rule, x.type, x.resources, x.nodes, x.strict]),
    [['apps-prefer-first-nodes', 'node-affinity', 'vm:101,vm:102', 'pve1:2,pve2:2,pve3:1', 0]],
  );

  await e.assertNoChanges();
});

test('updates in place: template memory, HA max_restart, migration type; applied, then nothing to do', async () => {
  e.edit((h) =>
    h
      .replace('memory = 2048', 'memory = 3072')
      .replace('max_restart  = 2', 'max_restart  = 3')
      .replace('migration_type    = "secure"', 'migration_type    = "insecure"'),
  );
  const plan = await e.planJson();
  assert.deepEqual(actionsOf(plan), {
    'proxmox_cluster_options.datacenter': 'update',
    'proxmox_ha_resource.app["app1"]': 'update',
    'proxmox_ha_resource.app["app2"]': 'update',
    'proxmox_vm_template.debian': 'update',
  });
  const tpl = plan.resource_changes.find((c) => c.address === 'proxmox_vm_template.debian')!;
  assert.deepEqual([tpl.change.before!.memory, tpl.change.after!.memory], [2048, 3072]);

  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(planBlocks(r.stdout), [
    ['proxmox_cluster_options.datacenter will be updated in-place'],
    ['proxmox_ha_resource.app["app1"] will be updated in-place'],
    ['proxmox_ha_resource.app["app2"] will be updated in-place'],
    ['proxmox_vm_template.debian will be updated in-place', 'impact: live'],
  ]);
  assert.match(r.stdout, /\n +~ memory += 2048 -> 3072\n/);
  assert.match(r.stdout, /\nPlan: 0 to add, 4 to change, 0 to destroy\.\n/);
  assert.match(r.stdout, /Apply complete! Resources: 0 added, 4 changed, 0 destroyed/);

  assert.equal(Number((await get('/nodes/pve1/qemu/100/config')).memory), 3072);
  assert.deepEqual(
    (await get<Record<string, unknown>[]>('/cluster/ha/resources')).map((x) => x.max_restart),
    [3, 3],
  );
  assert.equal((await get<{ migration: { type: string } }>('/cluster/options')).migration.type, 'insecure');
  for (const n of NODES) assert.equal(e.lab.sim.reloadCount(n), 1, `${n}: no network reload for these changes`);
  await e.assertNoChanges();
});

test("a storage's export changed plans a replacement (planned only, not applied)", async () => {
  e.edit((h) => h.replace('export     = "/export/pve"', 'export     = "/export/iso"'));
  try {
    const plan = await e.planJson();
    const nfs = plan.resource_changes.find((c) => c.address === 'proxmox_storage.nfs')!;
    assert.deepEqual(nfs.change.actions, ['delete', 'create']);
    assert.equal(nfs.action_reason, 'replace_because_cannot_update');
    assert.deepEqual(nfs.change.replace_paths, [['export']]);
    assert.deepEqual(actionsOf(plan), { 'proxmox_storage.nfs': 'replace' });
    const text = (await e.run(['plan'])).stdout;
    assert.deepEqual(planBlocks(text), [['proxmox_storage.nfs must be replaced', '(replace because export cannot be changed in place)', 'impact: live']]);
    assert.match(text, /\n +~ export += "\/export\/pve" -> "\/export\/iso" # forces replacement\n/);
    assert.match(text, /\nPlan: 1 to add, 0 to change, 1 to destroy\.\n/);
  } finally {
    e.edit((h) => h.replace('export     = "/export/iso"', 'export     = "/export/pve"'));
  }
});

test('a new cluster name is refused with the reason and the way back; state untouched', async () => {
  const before = e.state()!;
  e.edit((h) => h.replace('cluster_name = "lab"', 'cluster_name = "lab2"'));
  try {
    const r = await e.run(['apply', '-auto-approve']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /Plan: /);
    const boxes = diagnosticBoxes(r.stderr);
    assert.equal(boxes.length, 3, r.stderr);
    assert.match(boxes[0]!, /^Error: cluster "lab": the name cannot change to "lab2"\n/);
    assert.match(boxes[0]!, /with proxmox_cluster\.lab,/);
    assert.match(boxes[0]!, /Set cluster_name back to "lab"/);
    // Every member says it too (all errors, not the first).
    for (const [i, n] of ['pve2', 'pve3'].entries()) {
      assert.ok(boxes[i + 1]!.startsWith(`Error: node ${n}: it is a member of cluster "lab", not "lab2"\n`), boxes[i + 1]);
      assert.match(boxes[i + 1]!, /remove it \(powered off\), reinstall it, then join the other cluster/);
    }
    assert.deepEqual(e.state(), before, 'state untouched');
    assert.deepEqual(e.lab.sim.quorum('pve1').members, NODES);
  } finally {
    e.edit((h) => h.replace('cluster_name = "lab2"', 'cluster_name = "lab"'));
  }
  await e.assertNoChanges();
});

test("drift: migration type changed through the API behind poolform's back is shown, planned back, and mended", async () => {
  const { client } = await (await e.session()).api();
  await client.put('/cluster/options', { migration: 'type=secure,network=10.20.30.0/24' });

  const plan = await e.planJson();
  const drift = plan.resource_drift.find((d) => d.address === 'proxmox_cluster_options.datacenter');
  assert.ok(drift, JSON.stringify(plan.resource_drift));
  assert.deepEqual([drift.change.actions, drift.change.before!.migration_type, drift.change.after!.migration_type], [['update'], 'insecure', 'secure']);
  assert.deepEqual(actionsOf(plan), { 'proxmox_cluster_options.datacenter': 'update' });
  const fix = plan.resource_changes.find((c) => c.address === 'proxmox_cluster_options.datacenter')!;
  assert.deepEqual([fix.change.before!.migration_type, fix.change.after!.migration_type], ['secure', 'insecure']);

  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Objects have changed outside of Poolform/);
  assert.deepEqual(planBlocks(r.stdout), [['proxmox_cluster_options.datacenter has changed'], ['proxmox_cluster_options.datacenter will be updated in-place']]);
  const [was, change] = r.stdout.split('Poolform will perform the following actions:');
  assert.match(was!, /~ migration_type += "insecure" -> "secure"\n/);
  assert.match(change!, /~ migration_type += "secure" -> "insecure"\n/);
  assert.equal((await get<{ migration: { type: string } }>('/cluster/options')).migration.type, 'insecure');
  await e.assertNoChanges();
});

test("drift: a storage's content list changed behind poolform's back shows as drift, is planned back and mended", async () => {
  const { client } = await (await e.session()).api();
  await client.put('/storage/shared-nfs', { content: 'images,iso' });
  const plan = await e.planJson();
  assert.deepEqual(actionsOf(plan), { 'proxmox_storage.nfs': 'update' });
  const fix = plan.resource_changes.find((c) => c.address === 'proxmox_storage.nfs')!;
  assert.deepEqual([fix.change.before!.content, fix.change.after!.content], [['images', 'iso'], ['backup', 'images', 'iso']]);
  // content is computed+optional and set in the configuration: its change is drift.
  const drift = plan.resource_drift.find((d) => d.address === 'proxmox_storage.nfs');
  assert.ok(drift, `resource_drift lists the storage: ${JSON.stringify(plan.resource_drift.map((d) => d.address))}`);
  assert.deepEqual([drift.change.before!.content, drift.change.after!.content], [['backup', 'images', 'iso'], ['images', 'iso']]);
  const r = await e.run(['apply', '-auto-approve']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Apply complete! Resources: 0 added, 1 changed, 0 destroyed/);
  assert.equal((await get<Record<string, unknown>[]>('/storage')).find((s) => s.storage === 'shared-nfs')?.content, 'images,iso,backup');
  await e.assertNoChanges();
});
