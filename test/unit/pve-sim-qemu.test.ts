// Guests in the simulator: UPID format and task status, create with disks/NICs/cloud-init, config
// digests, template conversion, linked and full clones (also to another node), config locks under
// concurrent clones, VMID allocation and clashes, destroy rules, and /cluster/resources.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpid } from '../../providers/proxmox/upid.js';
import { call, cluster, fails, lab, ok, task, taskFails, waitTask } from './pve-sim-harness.js';

async function template(sim: ReturnType<typeof lab>, node = 'pve1', vmid = 9000): Promise<void> {
  await task(sim, node, 'POST', `/nodes/${node}/qemu`, { vmid, name: 'tpl', cores: 2, memory: 2048, scsihw: 'virtio-scsi-single', scsi0: 'local-lvm:8,discard=on', net0: 'virtio,bridge=vmbr0,tag=20', ide2: 'local-lvm:cloudinit', ciuser: 'ops', cipassword: 'pw', sshkeys: 'ssh-ed25519%20AAAA%20ops', ipconfig0: 'ip=dhcp', agent: 1, ostype: 'l26' });
  await task(sim, node, 'POST', `/nodes/${node}/qemu/${vmid}/template`);
}

describe('pve sim: qemu', () => {
  it('returns UPIDs in the platform format and reports task status', async () => {
    const sim = lab(1, [], { latencyScale: 0.05 });
    const upid = await ok<string>(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 100, name: 'a', scsi0: 'local-lvm:4' });
    assert.match(upid, /^UPID:pve1:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:qmcreate:100:root@pam:$/);
    const p = parseUpid(upid)!;
    assert.equal(p.type, 'qmcreate');
    const running = await ok(sim, 'pve1', 'GET', `/nodes/pve1/tasks/${encodeURIComponent(upid)}/status`);
    assert.deepEqual([running.status, running.exitstatus, running.upid, running.node, running.id, running.user], ['running', undefined, upid, 'pve1', '100', 'root@pam']);
    assert.equal(running.pid, p.pid);
    const done = await waitTask(sim, 'pve1', upid);
    assert.equal(done.exitstatus, 'OK');
    await fails(sim, 'pve1', 'GET', `/nodes/pve1/tasks/UPID:bogus/status`, {}, 400);
    // an injected task failure ends the task with its message
    sim.faults.failTasks('qmstart', "start failed: QEMU exited with code 1");
    assert.equal(await taskFails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/100/status/start'), 'start failed: QEMU exited with code 1');
    // transient request failures
    sim.faults.failRequests(/\/cluster\/resources/, 500, 'got timeout', 1);
    await fails(sim, 'pve1', 'GET', '/cluster/resources', {}, 500, /got timeout/);
    await ok(sim, 'pve1', 'GET', '/cluster/resources');
  });

  it('creates a VM: disks on storage, MACs, cloud-init drive; config with digest; template', async () => {
    const sim = lab(1);
    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 9000, name: 'tpl', cores: 2, memory: 2048, scsi0: 'local-lvm:8,discard=on', net0: 'virtio,bridge=vmbr0,tag=20', ide2: 'local-lvm:cloudinit', cipassword: 'pw', sshkeys: 'ssh-ed25519%20AAAA%20ops', agent: 1 });
    const cfg = await ok(sim, 'pve1', 'GET', '/nodes/pve1/qemu/9000/config');
    assert.equal(cfg.scsi0, 'local-lvm:vm-9000-disk-0,discard=on,size=8G');
    assert.match(cfg.net0, /^virtio=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},bridge=vmbr0,tag=20$/);
    assert.equal(cfg.ide2, 'local-lvm:vm-9000-cloudinit,media=cdrom');
    assert.equal(cfg.cores, 2);
    assert.equal(cfg.memory, '2048');
    assert.equal(cfg.cipassword, '**********');
    assert.equal(cfg.sshkeys, 'ssh-ed25519%20AAAA%20ops');
    assert.match(cfg.digest, /^[0-9a-f]{40}$/);
    await fails(sim, 'pve1', 'PUT', '/nodes/pve1/qemu/9000/config', { cores: 4, digest: '1'.repeat(40) }, 500, /detected modified configuration/);
    await ok(sim, 'pve1', 'PUT', '/nodes/pve1/qemu/9000/config', { cores: 4, delete: 'agent', digest: cfg.digest });
    const cfg2 = await ok(sim, 'pve1', 'GET', '/nodes/pve1/qemu/9000/config');
    assert.deepEqual([cfg2.cores, cfg2.agent], [4, undefined]);
    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/config', { scsi1: 'local-lvm:2' });
    assert.equal((await ok(sim, 'pve1', 'GET', '/nodes/pve1/qemu/9000/config')).scsi1, 'local-lvm:vm-9000-disk-1,size=2G');

    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 9000 }, 500, /^unable to create VM 9000 - VM 9000 already exists on node 'pve1'$/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 101, net0: 'virtio,bridge=vmbr7' }, 500, /^bridge 'vmbr7' does not exist$/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 101, scsi0: 'local:4' }, 500, /does not support vm images/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 101, scsi0: 'nope:4' }, 500, /^storage 'nope' does not exist$/);
    await fails(sim, 'pve1', 'GET', '/nodes/pve1/qemu/555/config', {}, 500, /^Configuration file 'nodes\/pve1\/qemu-server\/555\.conf' does not exist$/);

    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/template');
    const t = await ok(sim, 'pve1', 'GET', '/nodes/pve1/qemu/9000/config');
    assert.equal(t.template, 1);
    assert.equal(t.scsi0, 'local-lvm:base-9000-disk-0,discard=on,size=8G');
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/template', {}, 500, /can't convert a template to a template/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/status/start', {}, 500, /can't start a vm if it's a template/);
  });

  it('clones linked from a template; concurrent clones of one template wait on its lock', async () => {
    const sim = lab(1, [], { latencyScale: 0.5, lockWaitMs: 20 });
    await template(sim);
    const [a, b] = await Promise.all([call(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 101, name: 'web1' }), call(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 102, name: 'web2' })]);
    const statuses = [a, b].map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 500]);
    const loser = a.status === 500 ? a : b;
    assert.equal(loser.message, "can't lock file '/var/lock/qemu-server/lock-9000.conf' - got timeout");
    const winner = a.status === 200 ? a : b;
    const upid = winner.data as string;
    assert.match(upid, /:qmclone:9000:/);
    // while the clone runs, the new VM's id is claimed and locked
    const newid = a.status === 200 ? 101 : 102;
    assert.equal((await ok<string>(sim, 'pve1', 'GET', '/cluster/nextid')), newid === 101 ? '100' : '100');
    await fails(sim, 'pve1', 'GET', '/cluster/nextid', { vmid: newid }, 400);
    assert.equal((await ok<any[]>(sim, 'pve1', 'GET', '/cluster/resources', { type: 'vm' })).find((r) => r.vmid === newid).lock, 'clone');
    assert.equal((await waitTask(sim, 'pve1', upid)).exitstatus, 'OK');
    const cfg = await ok(sim, 'pve1', 'GET', `/nodes/pve1/qemu/${newid}/config`);
    assert.equal(cfg.scsi0, `local-lvm:base-9000-disk-0/vm-${newid}-disk-0,discard=on,size=8G`);
    assert.equal(cfg.ide2, `local-lvm:vm-${newid}-cloudinit,media=cdrom`);
    assert.equal(cfg.template, undefined);
    assert.equal(cfg.lock, undefined);
    const tplNet = (await ok(sim, 'pve1', 'GET', '/nodes/pve1/qemu/9000/config')).net0;
    assert.notEqual(cfg.net0, tplNet, 'a clone gets its own MAC');
    // the loser retries after the lock is free
    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: newid === 101 ? 102 : 101, name: 'again' });
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 101 }, 500, /^unable to create VM 101 - VM 101 already exists on node 'pve1'$/);
    // linked clones keep the template
    await fails(sim, 'pve1', 'DELETE', '/nodes/pve1/qemu/9000', {}, 500, /^base volume 'base-9000-disk-0' is still in use by linked cloned$/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/101/clone', { newid: 150, full: 0 }, 500, /Linked clone feature is not supported for drive 'scsi0'/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 150, full: 0, storage: 'local-lvm' }, 500, /parameter 'storage' not allowed for linked clones/);
  });

  it('allocates VMIDs: lowest free, not reserved; checks a wanted id', async () => {
    const sim = lab(2);
    await cluster(sim, 2);
    assert.equal(await ok(sim, 'pve1', 'GET', '/cluster/nextid'), '100');
    sim.addGuests('pve2', 3);
    assert.equal(await ok(sim, 'pve1', 'GET', '/cluster/nextid'), '103');
    assert.equal(await ok(sim, 'pve2', 'GET', '/cluster/nextid'), '103', 'not reserved by asking');
    assert.deepEqual((await fails(sim, 'pve1', 'GET', '/cluster/nextid', { vmid: 101 }, 400)).errors, { vmid: 'VM 101 already exists' });
    assert.equal(await ok(sim, 'pve1', 'GET', '/cluster/nextid', { vmid: 500 }), '500');
    // VMIDs are cluster-wide: creating 101 on pve1 clashes with pve2's
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 101 }, 500, /VM 101 already exists on node 'pve2'/);
    await ok(sim, 'pve1', 'PUT', '/cluster/options', { 'next-id': 'lower=200,upper=300' });
    assert.equal(await ok(sim, 'pve1', 'GET', '/cluster/nextid'), '200');
  });

  it('clones to another node only from shared storage; start/stop; destroy rules', async () => {
    const sim = lab(2);
    await cluster(sim, 2);
    await template(sim);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 200, target: 'pve2' }, 500, /^can't clone VM to node 'pve2' \(VM uses local storage\)$/);
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'nfs1', type: 'nfs', server: '10.20.40.5', export: '/export/pve', content: 'images' });
    await task(sim, 'pve1', 'POST', '/nodes/pve1/qemu/9000/clone', { newid: 200, target: 'pve2', full: 1, storage: 'nfs1', name: 'far' });
    const far = await ok(sim, 'pve2', 'GET', '/nodes/pve2/qemu/200/config');
    assert.equal(far.scsi0, 'nfs1:200/vm-200-disk-0.raw,discard=on,size=8G');
    await task(sim, 'pve2', 'POST', '/nodes/pve2/qemu/200/status/start');
    const cur = await ok(sim, 'pve1', 'GET', '/nodes/pve2/qemu/200/status/current');
    assert.deepEqual([cur.status, cur.ha.managed, cur.maxmem, cur.cpus], ['running', 0, 2048 * 1024 * 1024, 2]);
    await fails(sim, 'pve2', 'DELETE', '/nodes/pve2/qemu/200', {}, 500, /^VM 200 is running - destroy failed$/);
    await ok(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:200' });
    await task(sim, 'pve2', 'POST', '/nodes/pve2/qemu/200/status/stop');
    await fails(sim, 'pve2', 'DELETE', '/nodes/pve2/qemu/200', {}, 500, /used in HA resources and purge parameter not set/);
    await task(sim, 'pve2', 'DELETE', '/nodes/pve2/qemu/200', { purge: 1 });
    assert.deepEqual(await ok(sim, 'pve1', 'GET', '/cluster/ha/resources'), []);
    await fails(sim, 'pve2', 'GET', '/nodes/pve2/qemu/200/config', {}, 500, /does not exist/);
  });

  it('lists 16 nodes x 1,000 guests in one /cluster/resources answer', async () => {
    const sim = lab(16, Array.from({ length: 16 }, () => ({})));
    await cluster(sim, 16);
    for (let i = 1; i <= 16; i++) sim.addGuests(`pve${i}`, 1000);
    const res = await ok<any[]>(sim, 'pve7', 'GET', '/cluster/resources');
    const vms = res.filter((r) => r.type === 'qemu');
    assert.equal(vms.length, 16_000);
    assert.equal(new Set(vms.map((v) => v.vmid)).size, 16_000, 'VMIDs are unique cluster-wide');
    assert.equal(res.filter((r) => r.type === 'node').length, 16);
    assert.ok(vms.every((v) => typeof v.maxmem === 'number' && v.template === 0));
    const status = await ok<any[]>(sim, 'pve3', 'GET', '/cluster/status');
    assert.equal(status.length, 17);
  });
});
