// The simulator's world survives a save and load: clusters (and a rogue node's private copy),
// storage, staged and running networks, guests, HA, options, credentials and finished tasks;
// the pve-tables.json copy equals what the shared reference holds; the shell's small commands.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../engine/schema/load.js';
import { PveSim } from '../../providers/proxmox/sim/cluster.js';
import { cluster, lab, ok, reference, task, TOKEN } from './pve-sim-harness.js';

const READS = ['/cluster/status', '/cluster/resources', '/storage', '/cluster/options', '/cluster/ha/resources', '/cluster/ha/rules', '/cluster/config/nodes', '/nodes/pve2/network'];

describe('pve sim: persistence', () => {
  it('round-trips the world through JSON', async () => {
    const sim = lab(4);
    await cluster(sim, 3);
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'nfs1', type: 'nfs', server: '10.20.40.5', export: '/export/pve', content: 'images' });
    await ok(sim, 'pve1', 'PUT', '/cluster/options', { migration: 'secure,network=10.20.30.0/24' });
    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 9000, name: 'tpl', scsi0: 'local-lvm:8', net0: 'virtio,bridge=vmbr0' });
    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/template');
    const clone = await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 101, name: 'web' });
    await ok(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:101' });
    await ok(sim, 'pve1', 'POST', '/cluster/ha/rules', { rule: 'r1', type: 'node-affinity', resources: 'vm:101', nodes: 'pve1' });
    await ok(sim, 'pve2', 'POST', '/nodes/pve2/network', { iface: 'vmbr1', type: 'bridge', bridge_ports: 'eno4' });
    await sim.shell('pve2', 'cp /etc/network/interfaces /root/backup');
    await sim.shell('pve1', 'pvecm delnode pve3'); // pve3 runs on, rogue, with its own copy
    sim.powerOff('pve4');
    const before = await Promise.all(READS.map((p) => ok(sim, 'pve2', 'GET', p)));

    const copy = PveSim.fromJSON(JSON.parse(JSON.stringify(sim.toJSON())), { latencyScale: 0 });
    const after = await Promise.all(READS.map((p) => ok(copy, 'pve2', 'GET', p)));
    const strip = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x) => (k === 'uptime' ? 0 : x)));
    assert.deepEqual(strip(after), strip(before));
    assert.equal(copy.authKey('pve2'), sim.authKey('pve2'));
    assert.equal(copy.checkToken('pve2', TOKEN.id, TOKEN.secret), true);
    assert.equal(copy.nodeState('pve3').rogue, true);
    assert.notEqual(copy.authKey('pve3'), undefined);
    assert.equal(copy.isPoweredOn('pve4'), false);
    assert.equal((await copy.shell('pve2', 'cat /root/backup')).code, 0);
    assert.equal((await ok(copy, 'pve1', 'GET', `/nodes/pve1/tasks/${encodeURIComponent(clone.upid)}/status`)).exitstatus, 'OK');
    // the copy keeps working: shared /etc/pve between pve1 and pve2, separate for pve3
    await ok(copy, 'pve1', 'POST', '/storage', { storage: 'later', type: 'dir', path: '/srv/later' });
    assert.ok((await ok<any[]>(copy, 'pve2', 'GET', '/storage')).some((s) => s.storage === 'later'));
    assert.ok(!(await ok<any[]>(copy, 'pve3', 'GET', '/storage')).some((s) => s.storage === 'later'));
    await task(copy, 'pve2', 'PUT', '/nodes/pve2/network');
    assert.equal(copy.reloadCount('pve2'), 1);
    assert.throws(() => PveSim.fromJSON({ format: 'other' }), /not a saved Proxmox lab world/);
  });

  it('keeps pve-tables.json equal to the shared reference', { skip: !reference && 'shared reference absent' }, () => {
    const mine = JSON.parse(readFileSync(join(repoRoot(), 'providers/proxmox/sim/pve-tables.json'), 'utf8'));
    const d = reference!;
    assert.deepEqual(mine.storage_types, d.storage_types);
    assert.deepEqual(mine.bond_mode_applicability, d.network_semantics.bond_mode_applicability);
    assert.deepEqual(mine.cluster_options, d.endpoints['/cluster/options'].PUT.params);
    assert.deepEqual(mine.qemu_types, Object.fromEntries(Object.entries(d.shared_param_sets.qemu_vm_config as Record<string, { type: string }>).map(([k, v]) => [k, v.type])));
  });
});

describe('pve sim: shell', () => {
  it('answers date with skew, pveversion, chains, files and unknown commands', async () => {
    const sim = lab(2, [{}, { clockSkewMs: 5000 }]);
    const a = Number((await sim.shell('pve1', 'date +%s.%N')).stdout);
    const b = Number((await sim.shell('pve2', 'date +%s.%N')).stdout);
    assert.ok(b - a > 4 && b - a < 6, `skew ${b - a}`);
    sim.faults.setClockSkew('pve2', 0);
    assert.ok(Math.abs(Number((await sim.shell('pve2', 'date +%s.%N')).stdout) - Date.now() / 1000) < 1);
    assert.match((await sim.shell('pve1', 'pveversion')).stdout, /^pve-manager\/9\.1\.1\/[0-9a-f]{16} \(running kernel: 6\.14\.8-2-pve\)\n$/);
    const nf = await sim.shell('pve1', 'frobnicate --now');
    assert.deepEqual([nf.code, nf.stderr], [127, 'bash: frobnicate: command not found\n']);
    const chain = await sim.shell('pve1', 'cat /nope && echo never');
    assert.equal(chain.code, 1);
    assert.equal(chain.stdout, '');
    assert.match(chain.stderr, /cat: \/nope: No such file or directory/);
    assert.equal((await sim.shell('pve1', "echo 'a b' ; hostname")).stdout, 'a b\npve1\n');
    assert.match((await sim.shell('pve1', 'cat /etc/network/interfaces')).stdout, /^auto vmbr0\niface vmbr0 inet static\n\taddress 10\.20\.0\.11\/24\n\tgateway 10\.20\.0\.1\n\tbridge-ports eno1\n\tbridge-stp off\n\tbridge-fd 0$/m);
    sim.powerOff('pve2');
    assert.equal((await sim.shell('pve2', 'true')).code, 255);
  });
});
