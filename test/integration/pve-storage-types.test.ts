// proxmox_storage against the simulated lab (real HTTPS/SSH on loopback, a 3-node cluster): every
// storage type the lab's storage world offers is created, observed exactly as created (so the next
// plan is empty), and deleted; an NFS storage is updated in place (content, nodes, mount options,
// an option removed) and replaced when its export changes; secrets are sent and never come back.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs } from '../../engine/provider.js';
import { storage } from '../../providers/proxmox/resources/storage.js';
import type { PveSession } from '../../providers/proxmox/session.js';
import { observeOne, planOf, providerCtx, type PveTestLab, startCluster, withDefaults } from './pve-harness.js';

const TYPE = 'proxmox_storage';
const PBS_FP = '5A:3F:9C:21:7B:E4:08:D6:4C:93:1E:AF:62:B0:7D:15:C8:39:F2:0A:6E:D1:84:B7:2C:5F:93:E0:1A:76:BD:48';
const MONS = ['10.20.40.21', '10.20.40.22', '10.20.40.23'];

const CASES: Record<string, Attrs> = {
  nfs: { storage: 'nfs1', type: 'nfs', server: '10.20.40.5', export: '/export/pve', content: ['images', 'iso'] },
  cifs: { storage: 'cifs1', type: 'cifs', server: '10.20.40.7', share: 'pve', username: 'lab', password: 'cifs-Secret-123', content: ['backup', 'iso'] },
  iscsi: { storage: 'iscsi1', type: 'iscsi', portal: '10.20.40.6', target: 'iqn.2026-11.lab.poolform:pve', content: ['none'] },
  rbd: { storage: 'ceph-vm', type: 'rbd', monhost: MONS, pool: 'rbd', username: 'admin', keyring: 'AQ-keyring-Secret', content: ['images', 'rootdir'], krbd: true },
  cephfs: { storage: 'cephfs1', type: 'cephfs', monhost: MONS, fs_name: 'cephfs', content: ['backup', 'iso'] },
  lvm: { storage: 'san-lvm', type: 'lvm', vgname: 'vgshared', shared: true, content: ['images'] },
  lvmthin: { storage: 'thin2', type: 'lvmthin', vgname: 'pve', thinpool: 'data', content: ['images'] },
  zfspool: { storage: 'tank', type: 'zfspool', pool: 'tank', sparse: true, content: ['images', 'rootdir'] },
  dir: { storage: 'backups', type: 'dir', path: '/srv/backups', content: ['backup', 'iso'], nodes: ['pve1', 'pve2'] },
  pbs: { storage: 'pbs1', type: 'pbs', server: '10.20.40.8', datastore: 'store1', fingerprint: PBS_FP, username: 'backup@pbs', password: 'pbs-Secret-123', content: ['backup'] },
};

describe('proxmox_storage types', () => {
  let x: PveTestLab;
  let s: PveSession;
  before(async () => void ({ x, s } = await startCluster()));
  after(() => x.stop());

  for (const [type, cfg] of Object.entries(CASES)) {
    it(`${type}: created, observed as created (empty plan), deleted`, async () => {
      const ctx = providerCtx(`${TYPE}.${type}`);
      const res = await storage.create(s, withDefaults(TYPE, cfg), ctx);
      assert.equal(res.id, cfg.storage);
      const text = JSON.stringify(res.attrs);
      for (const secret of ['cifs-Secret-123', 'AQ-keyring-Secret', 'pbs-Secret-123']) assert.ok(!text.includes(secret), 'no secret in the result');
      assert.ok(!('password' in res.attrs) && !('keyring' in res.attrs), 'write-only attributes are not reported');
      const seen = await observeOne(s, TYPE, res.id);
      assert.ok(seen);
      for (const [k, v] of Object.entries(seen.attrs)) assert.deepEqual(v, res.attrs[k], `observed ${k}`);
      assert.equal(planOf(TYPE, cfg, res, seen.attrs).action, 'noop', 'the next plan is empty');
      // network types are shared by nature; lvm by the admin's word; the rest not
      assert.equal(seen.attrs.shared, ['nfs', 'cifs', 'iscsi', 'rbd', 'cephfs', 'pbs', 'lvm'].includes(type));
      const nodes = (cfg.nodes as string[] | undefined) ?? ['pve1', 'pve2', 'pve3'];
      assert.deepEqual(seen.attrs.active_nodes, nodes, 'active on every node it is for');
      await storage.delete(s, res.id, res.attrs, providerCtx());
      assert.equal(await observeOne(s, TYPE, res.id), undefined);
    });
  }

  it('nfs: content, nodes and mount options change in place; a removed option is deleted; the export replaces it', async () => {
    const cfg = CASES.nfs!;
    const res = await storage.create(s, withDefaults(TYPE, { ...cfg, options: 'vers=4.2' }), providerCtx());
    assert.equal(res.attrs.path, '/mnt/pve/nfs1', 'path defaults to /mnt/pve/<id>');
    assert.equal(res.attrs.options, 'vers=4.2');
    const changed = { ...cfg, content: ['backup', 'images', 'iso'], nodes: ['pve1', 'pve3'] };
    const p = planOf(TYPE, changed, res, res.attrs, { ...cfg, options: 'vers=4.2' });
    assert.equal(p.action, 'update');
    const upd = await storage.update(s, res.id, res.attrs, withDefaults(TYPE, changed), providerCtx());
    assert.deepEqual(upd.attrs.content, ['backup', 'images', 'iso']);
    assert.deepEqual(upd.attrs.nodes, ['pve1', 'pve3']);
    assert.equal(upd.attrs.options, null, 'the mount options no longer written are gone');
    assert.deepEqual(upd.attrs.active_nodes, ['pve1', 'pve3']);
    const seen = await observeOne(s, TYPE, res.id);
    assert.equal(planOf(TYPE, changed, upd, seen!.attrs).action, 'noop');
    // all nodes again: the restriction is deleted
    const all = await storage.update(s, res.id, upd.attrs, withDefaults(TYPE, { ...changed, nodes: [] }), providerCtx());
    assert.deepEqual(all.attrs.nodes, []);
    assert.deepEqual(all.attrs.active_nodes, ['pve1', 'pve2', 'pve3']);
    // a fixed option: replacement, never an update
    const moved = planOf(TYPE, { ...changed, nodes: [], export: '/export/iso' }, all, all.attrs, { ...changed, nodes: [] });
    assert.equal(moved.action, 'replace');
    assert.deepEqual(moved.replacePaths, [['export']]);
    await storage.delete(s, res.id, all.attrs, providerCtx());
  });

  it('dir: shared is the admin\'s assertion and changes in place; disable too', async () => {
    const cfg = { storage: 'shared-dir', type: 'dir', path: '/mnt/san', content: ['images'] };
    const res = await storage.create(s, withDefaults(TYPE, cfg), providerCtx());
    assert.equal(res.attrs.shared, false);
    const upd = await storage.update(s, res.id, res.attrs, withDefaults(TYPE, { ...cfg, shared: true, disable: true }), providerCtx());
    assert.equal(upd.attrs.shared, true);
    assert.equal(upd.attrs.disable, true);
    const back = await storage.update(s, res.id, upd.attrs, withDefaults(TYPE, { ...cfg, shared: false }), providerCtx());
    assert.equal(back.attrs.shared, false);
    assert.equal(back.attrs.disable, false);
    await storage.delete(s, res.id, back.attrs, providerCtx());
  });
});
