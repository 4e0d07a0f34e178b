// proxmox_vm against a simulated 3-node cluster: ten linked clones of one template created at once
// (Promise.all over the provider's create, the template's lock held by each clone task) all succeed
// with distinct VMIDs; a full clone onto another node with its own storage, cores and memory
// overrides and a start; observation equals the result (empty plan); settings change in place;
// deleting a running VM stops it first; the template cannot go while linked clones use it, and the
// platform's reason is surfaced.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { heldIds } from '../../providers/proxmox/vmid.js';
import { vm } from '../../providers/proxmox/resources/vm.js';
import { vmTemplate } from '../../providers/proxmox/resources/vm-template.js';
import type { PveSession } from '../../providers/proxmox/session.js';
import type { Rec } from '../../providers/proxmox/snapshot.js';
import { change, diagnosticsOf, observeOne, planOf, providerCtx, type PveTestLab, startCluster, withDefaults } from './pve-harness.js';

const TYPE = 'proxmox_vm';

describe('proxmox_vm', () => {
  let x: PveTestLab;
  let s: PveSession;
  let tpl: number;
  before(async () => {
    ({ x, s } = await startCluster());
    const t = await vmTemplate.create(
      s,
      withDefaults('proxmox_vm_template', { node: 'pve1', name: 'base', disk: [{ slot: 'scsi0', storage: 'local-lvm', size_gb: 4 }], network: [{ slot: 'net0', model: 'virtio', bridge: 'vmbr0', vlan_tag: null, firewall: false }] }),
      providerCtx(),
    );
    tpl = t.attrs.vmid as number;
  });
  after(() => x.stop());

  it('ten linked clones of one template at once: all succeed, distinct VMIDs, no lock or VMID failure', async () => {
    // Each clone holds the template's lock for 30 ms: the others wait for it (client lock retries).
    x.lab.sim.faults.setLatency('qmclone', 30);
    try {
      const made = await Promise.all(
        Array.from({ length: 10 }, (_, i) => vm.create(s, withDefaults(TYPE, { node: 'pve1', name: `web${i}`, clone_from: tpl }), providerCtx(`${TYPE}.web[${i}]`))),
      );
      const ids = made.map((m) => m.attrs.vmid as number);
      assert.equal(new Set(ids).size, 10, `distinct VMIDs: ${ids.join(',')}`);
      assert.ok(ids.every((id) => id !== tpl && id >= 100));
      assert.deepEqual(heldIds(s.target), [], 'no reservation left behind');
      s.invalidate();
      const guests = (await s.snapshot(['resources'])).guests!;
      for (const [i, m] of made.entries()) {
        assert.equal(guests.get(m.attrs.vmid as number)?.name, `web${i}`);
        assert.equal(m.attrs.status, 'stopped');
      }
      // the template cannot be destroyed while linked clones use it: the platform says why
      await assert.rejects(vmTemplate.delete(s, String(tpl), { node: 'pve1', name: 'base' }, providerCtx()), (e: Error) => /still in use by linked clone/.test(e.message) && /delete or full-clone them first/.test(e.message));
      await Promise.all(made.map((m) => vm.delete(s, m.id, m.attrs, providerCtx())));
      s.invalidate();
      assert.equal((await s.snapshot(['resources'])).guests!.size, 1, 'only the template is left');
    } finally {
      x.lab.sim.faults.setLatency('qmclone', undefined);
    }
  });

  it('a full clone onto another node and storage with overrides, started; observed as created; updated in place; deleted running', async () => {
    const cfg = withDefaults(TYPE, { node: 'pve2', name: 'db1', clone_from: tpl, full: true, target_storage: 'local-lvm', cores: 4, memory: 8192, onboot: true, start: true });
    assert.deepEqual(await diagnosticsOf(s, change(`${TYPE}.db`, 'create', cfg)), []);
    const ctx = providerCtx(`${TYPE}.db`);
    const res = await vm.create(s, cfg, ctx);
    assert.deepEqual(ctx.tasks.map((t) => t.split(':')[5]), ['qmclone', 'qmstart']);
    assert.equal(res.attrs.node, 'pve2');
    assert.equal(res.attrs.cores, 4);
    assert.equal(res.attrs.memory, 8192);
    assert.equal(res.attrs.onboot, true);
    assert.equal(res.attrs.status, 'running');
    const conf = await (await s.client('pve2')).get<Rec>(`/nodes/pve2/qemu/${res.id}/config`);
    assert.match(String(conf.scsi0), new RegExp(`^local-lvm:vm-${res.id}-disk-0`), 'a full copy on the target storage');
    const seen = await observeOne(s, TYPE, res.id);
    for (const [k, v] of Object.entries(seen!.attrs)) assert.deepEqual(v, res.attrs[k], k);
    assert.equal(planOf(TYPE, cfg, res, seen!.attrs).action, 'noop');
    // in place: memory and name; the template is a replacement
    const changed = { ...cfg, name: 'db1-big', memory: 16384 };
    assert.equal(planOf(TYPE, changed, res, seen!.attrs, cfg).action, 'update');
    assert.equal(planOf(TYPE, { ...cfg, clone_from: tpl + 1000 }, res, seen!.attrs, cfg).action, 'replace');
    const upd = await vm.update(s, res.id, res.attrs, changed, providerCtx());
    assert.equal(upd.attrs.memory, 16384);
    assert.equal(upd.attrs.name, 'db1-big');
    assert.equal(upd.id, res.id);
    const del = providerCtx(`${TYPE}.db`);
    await vm.delete(s, res.id, upd.attrs, del);
    assert.deepEqual(del.tasks.map((t) => t.split(':')[5]), ['qmstop', 'qmdestroy'], 'stopped, then destroyed');
    assert.equal(await observeOne(s, TYPE, res.id), undefined);
  });

  it('preflight: an unknown template, target_storage on a linked clone, a storage not on the node', async () => {
    const d = await diagnosticsOf(s, change(`${TYPE}.p`, 'create', withDefaults(TYPE, { node: 'pve1', name: 'x', clone_from: 4242, target_storage: 'nope' })));
    const summaries = d.map((x) => x.summary);
    assert.ok(summaries.includes('Template 4242 does not exist'), summaries.join('\n'));
    assert.ok(summaries.includes('target_storage applies to full clones only'));
    const d2 = await diagnosticsOf(s, change(`${TYPE}.p`, 'create', withDefaults(TYPE, { node: 'pve1', name: 'x', clone_from: tpl, full: true, target_storage: 'local-lvn' })));
    assert.equal(d2.length, 1);
    assert.match(d2[0]!.summary, /target_storage: storage local-lvn does not exist/);
    assert.equal(d2[0]!.suggestion, 'local-lvm');
  });
});
