// xenserver_vm_template and xenserver_vm_ha against the simulated lab: a template cloned from a
// built-in one with its own vCPUs, memory, disks on a shared SR, interfaces, boot order and HA
// settings, observed as created; memory and vCPUs change in place, disks force a replacement;
// delete removes its disks; preflight refuses local SRs and unknown bases. vm_ha adopts a VM's
// HA settings and hands the old ones back on delete.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { network } from '../../providers/xenserver/resources/network.js';
import { sr } from '../../providers/xenserver/resources/sr.js';
import { vmHa } from '../../providers/xenserver/resources/vm-ha.js';
import { vmTemplate } from '../../providers/xenserver/resources/vm-template.js';
import type { XenSession } from '../../providers/xenserver/session.js';
import { change, planOf, providerCtx, startPooledLab, withDefaults, type XenLab } from './xen-harness.js';

const T = 'xenserver_vm_template';

describe('xenserver_vm_template and xenserver_vm_ha', () => {
  let x: XenLab;
  let s: XenSession;
  let srId: string;
  let netId: string;
  before(async () => {
    ({ x, s } = await startPooledLab({ hosts: 2 }));
    srId = (await sr.create(s, { name_label: 'nfs', name_description: '', type: 'nfs', device_config: { server: '10.10.1.5', serverpath: '/export/xen' }, content_type: 'user', shared: true, pool_wide: true }, providerCtx())).id;
    netId = (await network.create(s, { name_label: 'vm-net', name_description: '', mtu: 9000 }, providerCtx())).id;
  });
  after(() => x.stop());

  it('creates, observes, updates memory and vCPUs in place, plans disk changes as replacements, and deletes with its disks', async () => {
    const cfg = {
      name_label: 'debian-web',
      base_template: 'Debian Bookworm 12',
      vcpus: 4,
      memory_mib: 2048,
      disks: [
        { name: 'root', sr: srId, size_gib: 20 },
        { name: 'data', sr: srId, size_gib: 50 },
      ],
      networks: [netId],
      boot_order: 'cd',
      ha_restart_priority: 'restart',
      order: 2,
      start_delay: 30,
      other_config: { role: 'web' },
    };
    const ctx = providerCtx('xenserver_vm_template.web');
    const res = await vmTemplate.create(s, withDefaults(T, cfg), ctx);
    assert.equal(res.task, ctx.tasks[0], 'the VM.clone task is journalled first and returned');
    let snap = await s.snapshot(true);
    const vm = snap.byUuid('VM', res.id)!;
    assert.equal(vm.is_a_template, true);
    assert.deepEqual([vm.VCPUs_max, vm.VCPUs_at_startup], [4, 4]);
    assert.deepEqual([vm.memory_static_max, vm.memory_dynamic_max, vm.memory_dynamic_min], [2048 * 2 ** 20, 2048 * 2 ** 20, 2048 * 2 ** 20]);
    assert.ok(Number(vm.memory_static_min) <= Number(vm.memory_dynamic_min));
    assert.equal((vm.HVM_boot_params as Record<string, string>).order, 'cd');
    assert.equal((vm.other_config as Record<string, string>).role, 'web');
    assert.ok(!('disks' in (vm.other_config as object)), 'the base recipe would add disks to every VM made from it');
    const vbds = snap.filter('VBD', (b) => b.VM === snap.refOf(res.id) && b.type === 'Disk').sort(([, a], [, b]) => Number(a.userdevice) - Number(b.userdevice));
    assert.deepEqual(vbds.map(([, b]) => [b.userdevice, b.bootable]), [['0', true], ['1', false]]);
    const vifs = snap.filter('VIF', (v) => v.VM === snap.refOf(res.id));
    assert.deepEqual(vifs.map(([, v]) => [v.device, v.MTU]), [['0', 9000]]);
    assert.equal((res.attrs.vdi_uuids as string[]).length, 2);
    assert.deepEqual(res.attrs.disks, cfg.disks);

    const seen = vmTemplate.observe(snap, [res.id])[0]!.attrs;
    assert.deepEqual(seen, res.attrs);
    assert.equal(planOf(T, cfg, res, seen).action, 'noop');
    assert.equal(planOf(T, { ...cfg, disks: [cfg.disks[0]] }, res, seen, cfg).action, 'replace');
    assert.equal(planOf(T, { ...cfg, base_template: 'Ubuntu Noble Numbat 24.04' }, res, seen, cfg).action, 'replace');

    const bigger = { ...cfg, memory_mib: 4096, vcpus: 2, name_label: 'debian-web-2' };
    assert.equal(planOf(T, bigger, res, seen, cfg).action, 'update');
    const up = await vmTemplate.update(s, res.id, res.attrs, withDefaults(T, bigger), providerCtx());
    assert.equal(up.attrs.memory_mib, 4096);
    assert.equal(up.attrs.vcpus, 2);
    assert.equal(up.attrs.name_label, 'debian-web-2');
    assert.deepEqual(up.attrs.vdi_uuids, res.attrs.vdi_uuids, 'disks untouched by an in-place update');
    snap = await s.snapshot(true);
    assert.equal(snap.byUuid('VM', res.id)!.memory_static_max, 4096 * 2 ** 20);

    await vmTemplate.delete(s, res.id, up.attrs, providerCtx());
    snap = await s.snapshot(true);
    assert.equal(snap.byUuid('VM', res.id), undefined);
    for (const v of res.attrs.vdi_uuids as string[]) assert.equal(snap.byUuid('VDI', v), undefined, 'its disks go with it');
    assert.ok(snap.find('VM', (v) => v.name_label === 'Debian Bookworm 12'), 'the base template stays');
  });

  it('inherits vCPUs, memory and boot order from the base when they are not written', async () => {
    const res = await vmTemplate.create(s, withDefaults(T, { name_label: 'plain', base_template: 'Other install media' }), providerCtx());
    const snap = await s.snapshot(true);
    const base = snap.find('VM', (v) => v.name_label === 'Other install media')![1];
    assert.equal(res.attrs.vcpus, Number(base.VCPUs_at_startup));
    assert.equal(res.attrs.memory_mib, Number(base.memory_static_max) / 2 ** 20);
    assert.deepEqual(res.attrs.disks, []);
    assert.equal(planOf(T, { name_label: 'plain', base_template: 'Other install media' }, res, vmTemplate.observe(snap, [res.id])[0]!.attrs).action, 'noop');
    await vmTemplate.delete(s, res.id, res.attrs, providerCtx());
  });

  it('preflight refuses disks on local storage and an unknown base template', async () => {
    const snap = await s.snapshot(true);
    const local = snap.find('SR', (r) => r.type === 'lvm')![1].uuid;
    const c = change('xenserver_vm_template.t', 'create', {
      name_label: 't',
      base_template: 'Debian Bookwurm 12',
      disks: [{ name: 'root', sr: local, size_gib: 8 }, { name: 'new', sr: { '(known after apply)': true }, size_gib: 8 }],
      networks: [],
    });
    const diags = await vmTemplate.preflight!([c], snap, s, providerCtx());
    assert.deepEqual(diags.map((d) => d.summary), ['Base template not found', 'Disk "root": SR "Local storage" is not shared']);
    assert.equal(diags[0]!.suggestion, 'Debian Bookworm 12');
  });

  it('vm_ha adopts a VM\'s HA settings and restores the previous ones on delete', async () => {
    let snap = await s.snapshot(true);
    const [tpl] = snap.find('VM', (v) => v.name_label === 'Debian Bookworm 12')!;
    const vm = await s.xapi.call<string>('VM.clone', [tpl, 'db-1']);
    await s.xapi.call('VM.set_is_a_template', [vm, false]);
    await s.xapi.call('VM.set_order', [vm, 7]);
    const res = await vmHa.create(s, { vm: 'db-1', ha_restart_priority: 'best-effort', order: 1, start_delay: 10 }, providerCtx());
    assert.deepEqual([res.attrs.ha_restart_priority, res.attrs.order, res.attrs.start_delay, res.attrs.previous_order], ['best-effort', 1, 10, 7]);
    snap = await s.snapshot(true);
    const seen = vmHa.observe(snap, [res.id])[0]!.attrs;
    for (const [k, v] of Object.entries(seen)) assert.deepEqual(v, res.attrs[k], k);
    await vmHa.delete(s, res.id, res.attrs, providerCtx());
    const back = (await s.snapshot(true)).byUuid('VM', res.id)!;
    assert.deepEqual([back.ha_restart_priority, back.order, back.start_delay], ['', 7, 0]);
    await assert.rejects(vmHa.create(s, { vm: 'db-2', ha_restart_priority: '', order: 0, start_delay: 0 }, providerCtx()), /VM "db-2" does not exist \(did you mean "db-1"\?\)/);
  });
});
