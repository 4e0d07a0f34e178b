// Storage and HA in the simulator: SRs against the lab's NFS server and iSCSI target (failing
// like the storage manager), shared PBDs, the refusals around plugged PBDs and in-use disks, and
// HA's heartbeat SR, failure-tolerance and restart-priority rules.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ISCSI, NFS, findRef, lab, nfsSr, pool, pooledWithDefaultSr, poolRefOf, records, rejects, type Caller } from './xen-sim-harness.js';

const GiB = 1024 ** 3;

async function runningVm(c: Caller, sr: string, name = 'guest', host?: string, memory?: number): Promise<string> {
  const tpl = ((await c.call('VM.get_by_name_label', 'Debian Bookworm 12')) as string[])[0]!;
  const vm = await c.run('VM.clone', tpl, name);
  const vdi = await c.run('VDI.create', { SR: sr, virtual_size: 10 * GiB, type: 'system', name_label: `${name} disk`, sharable: false, read_only: false, other_config: {} });
  await c.run('VBD.create', { VM: vm, VDI: vdi, userdevice: '0', bootable: true, mode: 'RW', type: 'Disk', empty: false, other_config: {} });
  await c.call('VM.remove_from_other_config', vm, 'disks');
  await c.call('VM.set_is_a_template', vm, false);
  if (memory) await c.call('VM.set_memory_limits', vm, GiB, memory, memory, memory);
  if (host) await c.run('VM.start_on', vm, host, false, false);
  else await c.run('VM.start', vm, false, false);
  return vm;
}

describe('xen sim: SR.create against the lab storage', () => {
  it('creates a shared NFS SR with a plugged PBD on every host', async () => {
    const { c } = await lab(3);
    await pool(c);
    const sr = await nfsSr(c[0]!, 'nfs', { ...NFS, nfsversion: '4.1' });
    const rec = await c[0]!.call('SR.get_record', sr);
    assert.deepEqual([rec.type, rec.shared, rec.content_type, rec.physical_size], ['nfs', true, 'user', 2048 * GiB]);
    const pbds = (await records(c[0]!, 'PBD')).filter(([, p]) => p.SR === sr);
    assert.deepEqual(pbds.map(([, p]) => p.host).sort(), c.map((x) => x.ref).sort());
    assert.ok(pbds.every(([, p]) => p.currently_attached && p.device_config.serverpath === '/export/xen'));
  });

  it('fails like the storage manager for a wrong server, path, version or missing keys', async () => {
    const { c } = await lab(1);
    const h = c[0]!;
    const create = (dc: Record<string, string>, type = 'nfs') => h.run('SR.create', h.ref, dc, 0, 'x', '', type, 'user', true, {});
    await rejects(create({ ...NFS, server: '10.10.1.99' }), 'SR_BACKEND_FAILURE_108', ['', /NFS service/, '']);
    await rejects(create({ ...NFS, serverpath: '/export/nothing' }), 'SR_BACKEND_FAILURE_73', ['', /NFS mount error/, '']);
    await rejects(create({ serverpath: '/export/xen' }), 'SR_BACKEND_FAILURE_102', ['', /server parameter/, '']);
    await rejects(create({ server: NFS.server }), 'SR_BACKEND_FAILURE_101', ['', /serverpath/, '']);
    await rejects(create({ ...NFS, nfsversion: '2' }), 'SR_BACKEND_FAILURE_72', ['', /version/, '']);
    await rejects(create(NFS, 'zfs'), 'SR_UNKNOWN_DRIVER', ['zfs']);
    assert.equal((await records(h, 'SR')).filter(([, s]) => s.name_label === 'x').length, 0);
  });

  it('creates lvmoiscsi SRs on the lab LUNs and keeps CHAP passwords in secrets', async () => {
    const { c } = await lab(1, { storage: { chap: { user: 'lab', password: 's3cret' } } });
    const h = c[0]!;
    const create = (dc: Record<string, string>) => h.run('SR.create', h.ref, dc, 0, 'iscsi', '', 'lvmoiscsi', 'user', true, {});
    const chap = { chapuser: 'lab', chappassword: 's3cret' };
    await rejects(create({ ...ISCSI, ...chap, targetIQN: 'iqn.2000-01.other:t' }), 'SR_BACKEND_FAILURE_96', ['', /target IQN/, '']);
    await rejects(create({ ...ISCSI, ...chap, SCSIid: '3600nope' }), 'SR_BACKEND_FAILURE_107', ['', /SCSIid/, '']);
    await rejects(create({ ...ISCSI, ...chap, target: '10.10.1.7' }), 'SR_BACKEND_FAILURE_141', ['', /connect/, '']);
    await rejects(create(ISCSI), 'SR_BACKEND_FAILURE_68', ['', /CHAP/, '']);
    await rejects(create({ ...ISCSI, chapuser: 'lab', chappassword: 'wrong' }), 'SR_BACKEND_FAILURE_68', ['', /CHAP/, '']);
    await rejects(create({ ...ISCSI, chapuser: 'lab', chappassword_secret: 'no-such-secret' }), 'SR_BACKEND_FAILURE_20', ['', 'No such secret.', '']);
    const sr = await create({ ...ISCSI, chapuser: 'lab', chappassword: 's3cret' });
    assert.equal((await h.call('SR.get_record', sr)).physical_size, 1024 * GiB);
    const [, pbd] = (await records(h, 'PBD')).find(([, p]) => p.SR === sr)!;
    assert.equal(pbd.device_config.chappassword, undefined);
    const secret = await h.call('secret.get_by_uuid', pbd.device_config.chappassword_secret);
    assert.equal(await h.call('secret.get_value', secret), 's3cret');
    // a secret made by the caller works as well
    const s2 = await h.call('secret.create', { value: 's3cret', other_config: {} });
    await create({ ...ISCSI, SCSIid: '36001405aaaa0002', chapuser: 'lab', chappassword_secret: await h.call('secret.get_uuid', s2) });
  });
});

describe('xen sim: SR and PBD refusals', () => {
  it('refuses destroying an SR with plugged PBDs or disks in use, then destroys it cleanly', async () => {
    const { c, h, sr, poolRef } = await pooledWithDefaultSr(2);
    await h.call('pool.set_suspend_image_SR', poolRef, sr);
    await h.call('pool.set_crash_dump_SR', poolRef, sr);
    await rejects(h.run('SR.destroy', sr), 'SR_HAS_PBD', [sr]);
    await rejects(h.run('SR.forget', sr), 'SR_HAS_PBD', [sr]);
    const vm = await runningVm(h, sr, 'guest', c[1]!.ref);
    const vdi = (await records(h, 'VDI')).find(([, v]) => v.SR === sr)![0];
    await rejects(h.run('SR.destroy', sr), 'VDI_IN_USE', [vdi, 'destroy']);
    const pbdOnXs2 = (await records(h, 'PBD')).find(([, p]) => p.SR === sr && p.host === c[1]!.ref)![0];
    await rejects(h.run('PBD.unplug', pbdOnXs2), 'VDI_IN_USE', [vdi, 'unplug']);
    await rejects(h.run('VDI.destroy', vdi), 'VDI_IN_USE', [vdi, 'destroy']);
    await rejects(h.call('PBD.destroy', pbdOnXs2), 'OPERATION_NOT_ALLOWED', [/attached/]);
    await h.run('VM.clean_shutdown', vm);
    for (const [ref, p] of await records(h, 'PBD')) if (p.SR === sr) await h.run('PBD.unplug', ref);
    await h.run('SR.destroy', sr);
    assert.equal((await records(h, 'SR')).some(([r]) => r === sr), false);
    assert.equal((await records(h, 'VDI')).some(([r]) => r === vdi), false);
    const p = await h.call('pool.get_record', poolRef);
    assert.deepEqual([p.default_SR, p.suspend_image_SR, p.crash_dump_SR], ['OpaqueRef:NULL', 'OpaqueRef:NULL', 'OpaqueRef:NULL']);
  });

  it('guards PBD.create and PBD.plug', async () => {
    const { c } = await lab(2);
    await pool(c);
    const h = c[0]!;
    const sr = await nfsSr(h);
    const existing = (await records(h, 'PBD')).find(([, p]) => p.SR === sr && p.host === h.ref)![0];
    await rejects(h.call('PBD.create', { host: h.ref, SR: sr, device_config: NFS, other_config: {} }), 'PBD_EXISTS', [sr, h.ref, existing]);
    const local = await findRef(h, 'SR', (s) => s.type === 'lvm' && s.PBDs.length === 1 && s.name_label === 'Local storage');
    await rejects(h.call('PBD.create', { host: c[1]!.ref, SR: local, device_config: {}, other_config: {} }), 'SR_NOT_SHARABLE', [local, c[1]!.ref]);
    // a PBD whose device_config the storage no longer answers does not plug
    await h.run('PBD.unplug', existing);
    await h.call('PBD.destroy', existing);
    const bad = await h.call('PBD.create', { host: h.ref, SR: sr, device_config: { ...NFS, serverpath: '/export/gone' }, other_config: {} });
    await rejects(h.run('PBD.plug', bad), 'SR_BACKEND_FAILURE_73');
  });
});

describe('xen sim: HA', () => {
  it('needs a heartbeat SR every host reaches', async () => {
    const { sim, c } = await lab(3);
    await pool(c);
    const h = c[0]!;
    await rejects(h.run('pool.enable_ha', [], {}), 'CANNOT_CREATE_STATE_FILE', []);
    const local = (await records(h, 'SR')).find(([, s]) => s.name_label === 'Local storage')![0];
    await rejects(h.run('pool.enable_ha', [local], {}), 'SR_HAS_NO_PBDS', [local]);
    const tools = await findRef(h, 'SR', (s) => s.is_tools_sr);
    await rejects(h.run('pool.enable_ha', [tools], {}), 'SR_OPERATION_NOT_SUPPORTED', [tools]);
    const sr = await nfsSr(h, 'heartbeat', { ...NFS, serverpath: '/export/ha' });
    const pbd = (await records(h, 'PBD')).find(([, p]) => p.SR === sr && p.host === c[2]!.ref)![0];
    await h.run('PBD.unplug', pbd);
    await rejects(h.run('pool.enable_ha', [sr], {}), 'SR_HAS_NO_PBDS', [sr]);
    await h.run('PBD.plug', pbd);
    sim.faults.setHostDown('xs3');
    await rejects(h.run('pool.enable_ha', [sr], {}), 'HOST_OFFLINE', [c[2]!.ref]);
    sim.faults.setHostDown('xs3', false);
    const allocated = await h.call('SR.get_virtual_allocation', sr);
    await h.run('pool.enable_ha', [sr], { timeout: '60' });
    assert.ok((await h.call('SR.get_virtual_allocation', sr)) > allocated, 'the statefile takes room on the heartbeat SR');
    const p = (await records(h, 'pool'))[0]![1];
    assert.equal(p.ha_enabled, true);
    assert.deepEqual(p.ha_configuration, { timeout: '60' });
    assert.equal((await h.call('VDI.get_record', p.ha_statefiles[0])).type, 'ha_statefile');
    await rejects(h.run('pool.enable_ha', [sr], {}), 'HA_IS_ENABLED', []);
    await rejects(h.run('PBD.unplug', pbd), 'HA_IS_ENABLED', []);
    await h.run('pool.disable_ha');
    await rejects(h.run('pool.disable_ha'), 'HA_NOT_ENABLED', []);
    assert.equal((await records(h, 'VDI')).filter(([, v]) => v.type === 'ha_statefile').length, 0);
    assert.equal(await h.call('SR.get_virtual_allocation', sr), allocated, 'and gives it back');
  });

  it('computes the failures the pool tolerates and refuses a plan it cannot keep', async () => {
    const { c } = await lab(3, { extra: [{ memoryGiB: 64 }, { memoryGiB: 64 }, { memoryGiB: 64 }] });
    await pool(c);
    const h = c[0]!;
    const poolRef = await poolRefOf(h);
    const sr = await nfsSr(h);
    assert.equal(await h.call('pool.ha_compute_max_host_failures_to_tolerate'), 2);
    await h.run('pool.enable_ha', [sr], {});
    // protected running VMs of 50 GiB each: 60 GiB per host survives, so two fit on two hosts
    const vms: string[] = [];
    for (const [i, x] of c.entries()) vms.push(await runningVm(h, sr, `g${i}`, x.ref, 50 * GiB));
    // the static range of a running VM is fixed
    await rejects(h.call('VM.set_memory_limits', vms[0], GiB, 40 * GiB, 40 * GiB, 40 * GiB), 'VM_BAD_POWER_STATE', [vms[0]!, 'halted', 'running']);
    await h.call('VM.set_ha_restart_priority', vms[0], 'restart');
    await h.call('VM.set_ha_restart_priority', vms[1], 'restart');
    assert.equal(await h.call('pool.ha_compute_max_host_failures_to_tolerate'), 1);
    assert.equal(await h.call('pool.ha_compute_hypothetical_max_host_failures_to_tolerate', { [vms[2]!]: 'restart' }), 0);
    await rejects(h.run('pool.set_ha_host_failures_to_tolerate', poolRef, 2), 'HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN', []);
    await rejects(h.run('pool.set_ha_host_failures_to_tolerate', poolRef, -1), 'INVALID_VALUE', ['ha_host_failures_to_tolerate', '-1']);
    await h.run('pool.set_ha_host_failures_to_tolerate', poolRef, 1);
    const p = await h.call('pool.get_record', poolRef);
    assert.deepEqual([p.ha_host_failures_to_tolerate, p.ha_plan_exists_for, p.ha_overcommitted], [1, 1, false]);
    // a third protected VM would leave no spare host
    await rejects(h.call('VM.set_ha_restart_priority', vms[2], 'restart'), 'HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN', []);
    await h.call('VM.set_ha_restart_priority', vms[2], 'best-effort');
    await rejects(h.call('VM.set_ha_restart_priority', vms[2], 'always'), 'INVALID_VALUE', ['ha_restart_priority', 'always']);
    await h.call('VM.set_order', vms[2], 3);
    await h.call('VM.set_start_delay', vms[2], 30);
    const v = await h.call('VM.get_record', vms[2]);
    assert.deepEqual([v.ha_restart_priority, v.order, v.start_delay], ['best-effort', 3, 30]);
  });

  it('refuses protecting a VM with a local disk while HA is on', async () => {
    const { c } = await lab(2);
    await pool(c);
    const h = c[0]!;
    await h.run('pool.enable_ha', [await nfsSr(h)], {});
    const local = (await records(h, 'SR')).find(([, s]) => s.name_label === 'Local storage' && s.PBDs.length === 1)![0];
    const localHost = (await h.call('PBD.get_host', (await h.call('SR.get_PBDs', local))[0])) as string;
    const vm = await runningVm(h, local, 'pinned', localHost);
    await rejects(h.call('VM.set_ha_restart_priority', vm, 'restart'), 'HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED', [local]);
    // templates carry the setting for their clones without the check
    const tpl = ((await h.call('VM.get_by_name_label', 'Other install media')) as string[])[0]!;
    const mine = await h.run('VM.clone', tpl, 'ha template');
    await h.call('VM.set_ha_restart_priority', mine, 'restart');
    assert.equal(await h.call('VM.get_ha_restart_priority', mine), 'restart');
  });
});
