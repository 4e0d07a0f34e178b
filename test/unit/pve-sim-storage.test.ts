// storage.cfg in the simulator, driven by the reference's per-type tables: required options,
// unknown options, content types, fixed options, the shared semantics (inherently shared types vs
// a declared flag vs none), activation against the lab's servers, per-node status and faults.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STORAGE_TYPES, SHARED_STORAGE_TYPES } from '../../providers/proxmox/sim/tables.js';
import { cluster, fails, lab, ok, reference } from './pve-sim-harness.js';

const tables = (reference?.storage_types ?? { types: STORAGE_TYPES, shared_storage_types: [...SHARED_STORAGE_TYPES] }) as { types: Record<string, { options: Record<string, string>; content_allowed: string[]; content_default: string[] }>; shared_storage_types: string[] };

/** A valid create for each lab-backed type. */
const VALID: Record<string, Record<string, string>> = {
  dir: { path: '/srv/dir1' },
  nfs: { server: '10.20.40.5', export: '/export/pve' },
  cifs: { server: '10.20.40.7', share: 'pve', username: 'pve', password: 'secret' },
  iscsi: { portal: '10.20.40.6', target: 'iqn.2026-11.lab.poolform:pve' },
  rbd: { monhost: '10.20.40.21 10.20.40.22', pool: 'rbd', username: 'admin' },
  cephfs: { monhost: '10.20.40.21', 'fs-name': 'cephfs' },
  lvm: { vgname: 'vgshared' },
  lvmthin: { vgname: 'pve', thinpool: 'data' },
  zfspool: { pool: 'tank' },
  pbs: { server: '10.20.40.8', datastore: 'store1', username: 'root@pam', password: 'x', fingerprint: '5A:3F:9C:21:7B:E4:08:D6:4C:93:1E:AF:62:B0:7D:15:C8:39:F2:0A:6E:D1:84:B7:2C:5F:93:E0:1A:76:BD:48' },
};

describe('pve sim: storage', () => {
  it('creates every lab-backed type, with shared semantics from the reference', async () => {
    const sim = lab(1);
    for (const [type, opts] of Object.entries(VALID)) {
      const res = await ok(sim, 'pve1', 'POST', '/storage', { storage: `s-${type}`, type, ...opts });
      assert.deepEqual(res, { storage: `s-${type}`, type });
    }
    const list = await ok<any[]>(sim, 'pve1', 'GET', '/storage');
    for (const [type] of Object.entries(VALID)) {
      const s = list.find((x) => x.storage === `s-${type}`);
      const inherentlyShared = tables.shared_storage_types.includes(type);
      assert.equal(s.shared === 1, inherentlyShared, `${type}: shared ${s.shared}`);
      assert.deepEqual(s.content.split(',').sort(), [...tables.types[type]!.content_default].sort(), `${type} default content`);
      assert.equal(s.password, undefined, 'secrets are never shown');
      assert.match(s.digest, /^[0-9a-f]{40}$/);
    }
    assert.equal(list.find((x) => x.storage === 's-nfs').path, '/mnt/pve/s-nfs', 'nfs path defaults');
    // dir/lvm may declare shared; lvmthin/zfspool and the inherently shared types do not take it
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'dshared', type: 'dir', path: '/mnt/shared', shared: 1 });
    assert.equal((await ok(sim, 'pve1', 'GET', '/storage/dshared')).shared, 1);
    for (const type of ['lvmthin', 'zfspool', 'nfs', 'rbd']) {
      assert.equal(tables.types[type]!.options.shared, undefined);
      await fails(sim, 'pve1', 'POST', '/storage', { storage: `x-${type}`, type, ...VALID[type], shared: 1 }, 500, /^unexpected property 'shared'$/);
    }
  });

  it('checks required options, content types and fixed options per type', async () => {
    const sim = lab(1);
    for (const [type, info] of Object.entries(tables.types)) {
      const required = Object.entries(info.options).filter(([k, f]) => f.includes('required') && !(['nfs', 'cifs', 'cephfs'].includes(type) && k === 'path'));
      if (!required.length) continue;
      const res = await fails(sim, 'pve1', 'POST', '/storage', { storage: `r-${type}`, type }, 500);
      assert.match(res.message!, /^missing value for required option '.+'$/, type);
      assert.ok(required.some(([k]) => res.message!.includes(`'${k}'`)), `${type}: ${res.message}`);
    }
    const badContent = Object.entries(tables.types).find(([t, i]) => VALID[t] && !i.content_allowed.includes('iso'))!;
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'c1', type: badContent[0], ...VALID[badContent[0]], content: 'images,iso' }, 500, /^storage does not support content type 'iso'$/);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'c2', type: 'dir', path: '/x', content: 'none,iso' }, 500, /unable to combine 'none'/);
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'n1', type: 'nfs', ...VALID.nfs, content: 'iso,backup', nodes: 'pve1' });
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'n1', type: 'nfs', ...VALID.nfs }, 500, /^create storage failed: storage ID 'n1' already defined$/);
    // fixed options cannot change; delete rules from the reference
    await fails(sim, 'pve1', 'PUT', '/storage/n1', { server: '10.20.40.9' }, 500, /can't change value of fixed parameter 'server'/);
    await fails(sim, 'pve1', 'PUT', '/storage/n1', { delete: 'export' }, 500, /unable to delete required option 'export'/);
    await fails(sim, 'pve1', 'PUT', '/storage/n1', { delete: 'bogus' }, 500, /no such option 'bogus'/);
    await fails(sim, 'pve1', 'PUT', '/storage/n1', { delete: 'nodes', nodes: 'pve1' }, 500, /cannot set and delete property 'nodes' at the same time!/);
    await fails(sim, 'pve1', 'PUT', '/storage/n1', { content: 'images', digest: '0'.repeat(40) }, 500, /detected modified configuration/);
    const digest = (await ok(sim, 'pve1', 'GET', '/storage/n1')).digest;
    await ok(sim, 'pve1', 'PUT', '/storage/n1', { content: 'images,iso', delete: 'nodes', digest });
    const n1 = await ok(sim, 'pve1', 'GET', '/storage/n1');
    assert.equal(n1.content, 'images,iso');
    assert.equal(n1.nodes, undefined);
    await ok(sim, 'pve1', 'DELETE', '/storage/n1');
    await fails(sim, 'pve1', 'GET', '/storage/n1', {}, 500, /^storage 'n1' does not exist$/);
  });

  it('activates on the receiving node: wrong servers, exports and pools fail like the plugins', async () => {
    const sim = lab(1);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'a', type: 'nfs', server: '10.20.40.99', export: '/export/pve' }, 500, /^create storage failed: storage 'a' is not online$/);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'a', type: 'nfs', server: '10.20.40.5', export: '/export/nope' }, 500, /mount\.nfs: mounting 10\.20\.40\.5:\/export\/nope failed/);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'a', type: 'rbd', monhost: '10.20.40.21', pool: 'nope' }, 500, /error opening pool 'nope'/);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'a', type: 'zfspool', pool: 'rpool' }, 500, /cannot open 'rpool': no such pool/);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'a', type: 'pbs', server: '10.20.40.8', datastore: 'store1' }, 500, /fingerprint '.+' not verified/);
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'a', type: 'iscsi', portal: '10.20.40.6', target: 'iqn.x' }, 500, /found no target 'iqn\.x'/);
    // not enabled on the receiving node: not activated there
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'elsewhere', type: 'nfs', server: '10.20.40.99', export: '/x', nodes: 'pve9' });
    assert.equal((await ok<any[]>(sim, 'pve1', 'GET', '/storage')).some((s) => s.storage === 'a'), false, 'nothing half-created');
  });

  it('reports per-node status; a fault cuts one node off a shared server', async () => {
    const sim = lab(3);
    await cluster(sim, 3);
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'nfs1', type: 'nfs', ...VALID.nfs, content: 'images' });
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'only12', type: 'dir', path: '/srv/x', nodes: 'pve1,pve2' });
    sim.faults.setStorageUnreachable('10.20.40.5', 'pve3');
    const s3 = await ok<any[]>(sim, 'pve1', 'GET', '/nodes/pve3/storage');
    assert.equal(s3.find((s) => s.storage === 'nfs1').active, 0);
    assert.equal(s3.find((s) => s.storage === 'only12'), undefined, 'not listed where not enabled');
    const s2 = await ok<any[]>(sim, 'pve1', 'GET', '/nodes/pve2/storage');
    const nfs = s2.find((s) => s.storage === 'nfs1');
    assert.deepEqual([nfs.active, nfs.shared, nfs.enabled, nfs.type], [1, 1, 1, 'nfs']);
    assert.ok(nfs.total > nfs.used && nfs.avail === nfs.total - nfs.used);
    assert.deepEqual((await ok<any[]>(sim, 'pve2', 'GET', '/nodes/pve2/storage', { content: 'iso' })).map((s) => s.storage), ['local']);
    await fails(sim, 'pve1', 'GET', '/nodes/pve3/storage/only12/status', {}, 500, /is not available on node 'pve3'/);
    assert.equal((await ok(sim, 'pve1', 'GET', '/nodes/pve3/storage/nfs1/status')).active, 0);
    const res = await ok<any[]>(sim, 'pve2', 'GET', '/cluster/resources', { type: 'storage' });
    assert.equal(res.find((r) => r.id === 'storage/pve3/nfs1').status, 'unknown');
    assert.equal(res.find((r) => r.id === 'storage/pve1/nfs1').status, 'available');
    assert.equal(res.filter((r) => r.storage === 'only12').length, 2);
    // pvesm scan from the node's point of view
    assert.match((await sim.shell('pve1', 'pvesm scan nfs 10.20.40.5')).stdout, /^\/export\/pve /m);
    const cut = await sim.shell('pve3', 'pvesm scan nfs 10.20.40.5');
    assert.notEqual(cut.code, 0);
    assert.match(cut.stderr, /got timeout/);
    assert.match((await sim.shell('pve1', 'pvesm scan iscsi 10.20.40.6')).stdout, /iqn\.2026-11\.lab\.poolform:pve 10\.20\.40\.6:3260/);
    assert.match((await sim.shell('pve1', 'pvesm scan pbs 10.20.40.8 root@pam --password x')).stderr, /fingerprint '5A:3F/);
    assert.match((await sim.shell('pve1', 'cat /etc/pve/storage.cfg')).stdout, /^nfs: nfs1\n\tserver 10\.20\.40\.5$/m);
  });
});
