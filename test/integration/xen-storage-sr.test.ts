// xenserver_sr against the simulated lab (real HTTPS/SSH on loopback): a shared NFS SR gets a
// plugged PBD on every host and observes exactly as created (so the next plan is empty); a
// device_config change plans a replacement; a CHAP password becomes an XAPI secret and never
// comes back; an unplugged PBD is drift the next update repairs; deleting an SR whose disk a
// running VM uses is refused, naming the VM.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sr } from '../../providers/xenserver/resources/sr.js';
import type { XenSession } from '../../providers/xenserver/session.js';
import { change, planOf, providerCtx, startPooledLab, withDefaults, type XenLab } from './xen-harness.js';

const TYPE = 'xenserver_sr';

const NFS = { name_label: 'shared-nfs', type: 'nfs', device_config: { server: '10.10.1.5', serverpath: '/export/xen' } };

describe('xenserver_sr', () => {
  let x: XenLab;
  let s: XenSession;
  before(async () => {
    ({ x, s } = await startPooledLab({ hosts: 3 }));
  });
  after(() => x.stop());

  it('creates a shared NFS SR with a plugged PBD on every host; observation equals the result and plans nothing', async () => {
    const ctx = providerCtx('xenserver_sr.nfs');
    const res = await sr.create(s, withDefaults(TYPE, NFS), ctx);
    assert.ok(res.task && ctx.tasks.includes(res.task), 'the SR.create task is journalled');
    const snap = await s.snapshot(true);
    const hosts = snap.all('host').map(([, h]) => h.uuid).sort();
    assert.deepEqual(Object.keys(res.attrs.pbds as object).sort(), hosts);
    for (const p of Object.values(res.attrs.pbds as Record<string, { currently_attached: boolean }>)) assert.equal(p.currently_attached, true);
    assert.equal(snap.byUuid('SR', res.id)?.shared, true);
    const seen = sr.observe(snap, [res.id]);
    // Observation reports every attribute the pool holds exactly as the create returned it; only
    // forget_on_destroy (poolform's own setting) is not observable.
    const { forget_on_destroy, ...rest } = res.attrs;
    assert.equal(forget_on_destroy, false);
    assert.deepEqual(seen[0]?.attrs, rest);
    assert.equal(planOf(TYPE, NFS, res, seen[0]!.attrs).action, 'noop');

    // device_config is x-replace-on-change: a new export path plans a replacement
    const moved = { ...NFS, device_config: { ...NFS.device_config, serverpath: '/export/iso' } };
    const p = planOf(TYPE, moved, res, seen[0]!.attrs);
    assert.equal(p.action, 'replace');
    assert.deepEqual(p.replacePaths, [['device_config']]);
    await sr.delete(s, res.id, res.attrs, providerCtx());
  });

  it('repairs a host whose PBD was unplugged behind its back (drift → update → plugged)', async () => {
    const res = await sr.create(s, withDefaults(TYPE, { ...NFS, name_label: 'repair' }), providerCtx());
    const snap = await s.snapshot(true);
    const pbdUuid = Object.values(res.attrs.pbds as Record<string, { uuid: string }>)[1]!.uuid;
    await s.xapi.call('PBD.unplug', [snap.refOf(pbdUuid)]);
    const now = sr.observe(await s.snapshot(true), [res.id])[0]!.attrs;
    assert.equal(now.pool_wide, false);
    const p = planOf(TYPE, { ...NFS, name_label: 'repair' }, res, now);
    assert.equal(p.action, 'update');
    assert.deepEqual(p.drift.map((d) => d.path), [['pool_wide']]);
    const fixed = await sr.update(s, res.id, res.attrs, withDefaults(TYPE, { ...NFS, name_label: 'repair' }), providerCtx());
    assert.equal(fixed.attrs.pool_wide, true);
    assert.equal(sr.observe(await s.snapshot(true), [res.id])[0]!.attrs.pool_wide, true);
    await sr.delete(s, res.id, res.attrs, providerCtx());
  });

  it('keeps the CHAP password in an XAPI secret, never in device_config, attributes or errors', async () => {
    const iscsi = {
      name_label: 'iscsi',
      type: 'lvmoiscsi',
      device_config: { target: '10.10.1.6', targetIQN: 'iqn.2026-11.lab.poolform:target0', SCSIid: '36001405aaaa0001', chapuser: 'lab' },
      chap_password: 'chap-Secret-123',
    };
    const res = await sr.create(s, withDefaults(TYPE, iscsi), providerCtx());
    assert.ok(!JSON.stringify(res.attrs).includes('chap-Secret-123'));
    assert.deepEqual(res.attrs.device_config, iscsi.device_config);
    const snap = await s.snapshot(true);
    const pbds = snap.filter('PBD', (p) => p.SR === snap.refOf(res.id));
    const secretUuid = (pbds[0]![1].device_config as Record<string, string>).chappassword_secret;
    assert.ok(secretUuid && snap.byUuid('secret', secretUuid), 'the PBD names a secret');
    for (const [, p] of pbds) assert.ok(!('chappassword' in (p.device_config as object)));
    await sr.delete(s, res.id, res.attrs, providerCtx());
    assert.equal((await s.snapshot(true)).byUuid('secret', secretUuid), undefined, 'the secret goes with the SR');

    // a wrong target fails with the backend's code, the SR named, and the password masked; no secret is left behind
    const secrets = (await s.snapshot(true)).all('secret').length;
    await assert.rejects(
      sr.create(s, withDefaults(TYPE, { ...iscsi, device_config: { ...iscsi.device_config, SCSIid: 'nope' } }), providerCtx()),
      (e: Error) => /xenserver_sr "iscsi"/.test(e.message) && /SR_BACKEND_FAILURE_107/.test(e.message) && !e.message.includes('chap-Secret-123'),
    );
    assert.equal((await s.snapshot(true)).all('secret').length, secrets);
  });

  it('refuses to delete an SR holding a disk of a running VM, naming it; deletes it once the VM is halted', async () => {
    const res = await sr.create(s, withDefaults(TYPE, { ...NFS, name_label: 'busy' }), providerCtx());
    let snap = await s.snapshot(true);
    const [tpl] = snap.find('VM', (v) => v.name_label === 'Debian Bookworm 12' && v.is_a_template === true)!;
    const vm = await s.xapi.call<string>('VM.clone', [tpl, 'web-1']);
    await s.xapi.call('VM.set_is_a_template', [vm, false]);
    const vdi = await s.xapi.call<string>('VDI.create', [{ name_label: 'web-1 disk', SR: snap.refOf(res.id), virtual_size: 1024 ** 3, type: 'user', sharable: false, read_only: false, other_config: {} }]);
    await s.xapi.call('VBD.create', [{ VM: vm, VDI: vdi, userdevice: '0', bootable: true, mode: 'RW', type: 'Disk', empty: false, other_config: {}, qos_algorithm_type: '', qos_algorithm_params: {} }]);
    await s.xapi.call('VM.start', [vm, false, false]);
    snap = await s.snapshot(true);

    const diags = await sr.preflight!([change('xenserver_sr.busy', 'delete', null, res.attrs)], snap, s, providerCtx());
    assert.equal(diags.length, 1);
    assert.match(diags[0]!.summary, /running VMs/);
    assert.match(diags[0]!.detail ?? '', /"web-1"/);
    await assert.rejects(sr.delete(s, res.id, res.attrs, providerCtx()), /cannot be deleted: disks on it are in use by running VMs "web-1"/);
    assert.ok((await s.snapshot(true)).byUuid('SR', res.id), 'nothing was unplugged or destroyed');

    await s.xapi.call('VM.hard_shutdown', [vm]);
    await sr.delete(s, res.id, { ...res.attrs, forget_on_destroy: true }, providerCtx());
    assert.equal((await s.snapshot(true)).byUuid('SR', res.id), undefined);
  });
});
