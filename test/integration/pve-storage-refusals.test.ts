// What proxmox_storage refuses before anything runs, and why, against a simulated 3-node cluster:
// shared = false on network storage, shared = true on lvmthin, an option another type takes (with
// the one this type uses instead), a content type the type cannot hold, a server one node cannot
// reach (probed over SSH with pvesm scan) or an export it is not offered, an existing storage
// inactive on a node, the probe skipped without SSH credentials, and deleting a storage a VM's
// disk is on.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs } from '../../engine/provider.js';
import { readConfig } from '../../providers/proxmox/config.js';
import { storage } from '../../providers/proxmox/resources/storage.js';
import { openSession, type PveSession } from '../../providers/proxmox/session.js';
import { change, diagnosticsOf, providerCtx, type PveTestLab, startCluster, withDefaults } from './pve-harness.js';

const TYPE = 'proxmox_storage';
const NFS: Attrs = { storage: 'nfs1', type: 'nfs', server: '10.20.40.5', export: '/export/pve', content: ['images'] };

/** The diagnostics about one address. */
async function diagsOf(s: PveSession, address: string, after: Attrs, action: 'create' | 'update' | 'delete' = 'create', beforeAttrs: Attrs | null = null): Promise<Diagnostic[]> {
  return diagnosticsOf(s, change(address, action, action === 'delete' ? null : withDefaults(TYPE, after), beforeAttrs));
}

describe('proxmox_storage refusals', () => {
  let x: PveTestLab;
  let s: PveSession;
  before(async () => void ({ x, s } = await startCluster()));
  after(() => x.stop());

  it('shared = false on nfs and shared = true on lvmthin are errors that say why', async () => {
    const nfs = await diagsOf(s, `${TYPE}.a`, { ...NFS, shared: false });
    assert.equal(nfs.length, 1);
    assert.match(nfs[0]!.summary, /nfs storage is always shared/);
    assert.match(nfs[0]!.detail!, /every node reaches the same server/);
    const thin = await diagsOf(s, `${TYPE}.b`, { storage: 't', type: 'lvmthin', vgname: 'pve', thinpool: 'data', shared: true });
    assert.equal(thin.length, 1);
    assert.match(thin[0]!.summary, /lvmthin storage cannot be shared/);
    assert.match(thin[0]!.detail!, /local to the node/);
    await assert.rejects(storage.create(s, withDefaults(TYPE, { ...NFS, shared: false }), providerCtx()), /always shared/);
  });

  it('an option of another type names the one this type uses; a wrong content type its nearest; missing required options', async () => {
    const d = await diagsOf(s, `${TYPE}.c`, { storage: 'c', type: 'cifs', server: '10.20.40.7', export: 'pve' });
    const opt = d.find((x) => /export is not an option of cifs storage/.test(x.summary));
    assert.ok(opt, JSON.stringify(d));
    assert.equal(opt.suggestion, 'share');
    assert.ok(d.some((x) => /cifs storage needs share/.test(x.summary)));
    const typo = await diagsOf(s, `${TYPE}.d`, { storage: 'd', type: 'nfs', server: '10.20.40.5', export: '/export/pve', vgname: 'x' });
    assert.equal(typo[0]!.suggestion, undefined, 'no nfs option resembles vgname');
    assert.match(typo[0]!.summary, /vgname is not an option of nfs storage/);
    const content = await diagsOf(s, `${TYPE}.e`, { storage: 'e', type: 'lvmthin', vgname: 'pve', thinpool: 'data', content: ['image'] });
    assert.equal(content.length, 1);
    assert.match(content[0]!.summary, /cannot hold content image/);
    assert.equal(content[0]!.suggestion, 'images');
    const order = await diagsOf(s, `${TYPE}.f`, { ...NFS, content: ['iso', 'images'] });
    assert.deepEqual(order.map((d) => d.summary), [], 'content is a set: any order is fine');
  });

  it('a server one node cannot reach: an error naming that node; leaving it out of nodes passes', async () => {
    x.lab.sim.faults.setStorageUnreachable('10.20.40.5', 'pve2');
    try {
      const d = await diagsOf(s, `${TYPE}.g`, NFS);
      assert.equal(d.length, 1, JSON.stringify(d));
      assert.match(d[0]!.summary, /Node pve2 cannot reach the nfs server 10\.20\.40\.5 of storage nfs1/);
      assert.match(d[0]!.detail!, /pvesm scan nfs 10\.20\.40\.5/);
      assert.match(d[0]!.detail!, /leave pve2 out of nodes/);
      assert.deepEqual(await diagsOf(s, `${TYPE}.g`, { ...NFS, nodes: ['pve1', 'pve3'] }), []);
    } finally {
      x.lab.sim.faults.setStorageUnreachable('10.20.40.5', 'pve2', false);
    }
    const wrong = await diagsOf(s, `${TYPE}.h`, { ...NFS, export: '/export/pvx' });
    assert.equal(wrong.length, 3, 'one per node');
    assert.match(wrong[0]!.summary, /10\.20\.40\.5 does not offer export \/export\/pvx to node pve\d/);
    assert.equal(wrong[0]!.suggestion, '/export/pve');
  });

  it('an existing storage inactive on a node fails an update naming the node and the remedy', async () => {
    const res = await storage.create(s, withDefaults(TYPE, NFS), providerCtx());
    x.lab.sim.faults.setStorageUnreachable('10.20.40.5', 'pve3');
    try {
      s.invalidate();
      const d = await diagsOf(s, `${TYPE}.nfs`, { ...NFS, content: ['images', 'iso'] }, 'update', res.attrs);
      assert.equal(d.length, 1, JSON.stringify(d));
      assert.match(d[0]!.summary, /Storage nfs1 is not active on node pve3/);
      assert.match(d[0]!.detail!, /cannot reach 10\.20\.40\.5/);
    } finally {
      x.lab.sim.faults.setStorageUnreachable('10.20.40.5', 'pve3', false);
      await storage.delete(s, res.id, res.attrs, providerCtx());
    }
  });

  it('without SSH credentials the probe is skipped with a warning', async () => {
    const { ssh_password: _omit, ...noSsh } = x.providerConfig;
    const s2 = await openSession(readConfig(noSsh));
    try {
      const d = await diagsOf(s2, `${TYPE}.i`, NFS);
      assert.equal(d.length, 1);
      assert.equal(d[0]!.severity, 'warning');
      assert.match(d[0]!.summary, /not probed from 3 nodes/);
      assert.match(d[0]!.detail!, /no SSH credentials/);
    } finally {
      await s2.close();
    }
  });

  it('a platform refusal names the storage and the node; deleting a storage holding a VM disk is refused, naming the VM', async () => {
    await assert.rejects(storage.create(s, withDefaults(TYPE, { storage: 'vg', type: 'lvm', vgname: 'nope' }), providerCtx()), (e: Error) => /proxmox_storage vg \(lvm\): creating it \(on pve1\) failed/.test(e.message) && /volume group 'nope' not found/.test(e.message));
    const res = await storage.create(s, withDefaults(TYPE, NFS), providerCtx());
    const c = await s.client('pve2');
    await c.task('POST', '/nodes/pve2/qemu', { vmid: 150, name: 'web1', scsi0: 'nfs1:1' });
    s.invalidate();
    const d = await diagsOf(s, `${TYPE}.nfs`, NFS, 'delete', res.attrs);
    assert.equal(d.length, 1);
    assert.match(d[0]!.summary, /Deleting storage nfs1 would orphan guests' disks/);
    assert.match(d[0]!.detail!, /VM 150 \(web1\) on pve2: scsi0/);
    await assert.rejects(storage.delete(s, res.id, res.attrs, providerCtx()), /cannot be deleted: guests have disks on it \(VM 150 \(web1\) on pve2: scsi0\)/);
    await c.task('DELETE', '/nodes/pve2/qemu/150');
    await storage.delete(s, res.id, res.attrs, providerCtx());
  });
});
