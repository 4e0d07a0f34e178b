// The platform rules proxmox_storage and proxmox_node_network check, and the small parsers they
// share: the vendored subset (platform-rules.json) still equals the shared reference, and every
// storage type's options/shared semantics/content come out of it as the reference states them;
// every option of a type is an attribute or left out on purpose; checkStorage's plan-time refusals;
// property strings, disk sizes and guest configuration parsing; the VMID-taken test.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaDir } from '../../engine/schema/load.js';
import { PveApiError, PveTaskError } from '../../providers/proxmox/client/types.js';
import { cloudInitDrive, cloudInitOf, disksOf, encodeKeys, memoryOf, netValue, netsOf } from '../../providers/proxmox/guest-config.js';
import { alwaysSharedTypes, bondModes, sharedKind, storageTypes } from '../../providers/proxmox/platform-rules.js';
import { formatProps, parseProps, sizeGiB } from '../../providers/proxmox/props.js';
import { checkStorage, optionName, optionsOf } from '../../providers/proxmox/resources/storage.js';
import { isVmidTaken } from '../../providers/proxmox/vmid.js';

const REFERENCE = '/work/shared/reference/pve-api.json';
interface Ref {
  storage_types: { shared_storage_types: string[]; types: Record<string, { options: Record<string, string>; content_allowed: string[]; content_default: string[] }> };
  network_semantics: { bond_mode_applicability: Record<string, string[]> };
}
const ref: Ref | undefined = fs.existsSync(REFERENCE) ? (JSON.parse(fs.readFileSync(REFERENCE, 'utf8')) as Ref) : undefined;

test('the vendored rules are the reference’s', { skip: ref ? false : 'reference data not present' }, () => {
  assert.deepEqual(alwaysSharedTypes(), ref!.storage_types.shared_storage_types);
  for (const [t, v] of Object.entries(ref!.storage_types.types)) {
    assert.deepEqual(storageTypes()[t], { options: v.options, content_allowed: v.content_allowed, content_default: v.content_default }, t);
  }
  const b = ref!.network_semantics.bond_mode_applicability;
  assert.deepEqual(bondModes(), { linux: b['linux bond (type=bond)'], ovs: b.OVSBond });
});

test('shared semantics per type, as the reference states them', () => {
  for (const t of ['nfs', 'cifs', 'iscsi', 'rbd', 'cephfs', 'pbs']) assert.equal(sharedKind(t), 'always', t);
  for (const t of ['dir', 'lvm', 'btrfs']) assert.equal(sharedKind(t), 'assertion', t);
  for (const t of ['lvmthin', 'zfspool']) assert.equal(sharedKind(t), 'never', t);
  assert.equal(optionName('fs_name'), 'fs-name');
  assert.equal(optionName('is_mountpoint'), 'is_mountpoint');
  assert.deepEqual(optionsOf('lvmthin'), ['vgname', 'thinpool', 'bwlimit']);
});

test('every option of every type either is an attribute or is left out on purpose; no attribute is no type\'s option', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(schemaDir(), 'proxmox_storage.json'), 'utf8')) as { properties: Record<string, { enum?: string[] }> };
  const COMMON = ['storage', 'type', 'content', 'nodes', 'shared', 'disable'];
  // What poolform does not manage (vendor plug-ins, directory layout tweaks, newer PVE-only knobs).
  const LEFT_OUT = ['base', 'comstar_hg', 'comstar_tg', 'content-dirs', 'iscsiprovider', 'lio_tpg', 'master-pubkey', 'mkdir', 'nowritecache', 'saferemove-stepsize', 'saferemove_throughput', 'skip-cert-verification', 'snapshot-as-volume-chain', 'tagged_only', 'zfs-base-path'];
  const types = schema.properties.type!.enum!;
  assert.deepEqual([...types].sort(), Object.keys(storageTypes()).sort(), 'the schema offers every type the rules know');
  const taken = new Set<string>();
  for (const t of types) {
    const own = optionsOf(t).map(optionName);
    own.forEach((o) => taken.add(o));
    const rest = Object.keys(storageTypes()[t]!.options).filter((o) => !own.includes(o) && !COMMON.includes(o));
    assert.deepEqual(rest.filter((o) => !LEFT_OUT.includes(o)), [], `${t}: options neither attributes nor left out`);
  }
  const optionAttrs = Object.keys(schema.properties).filter((a) => !COMMON.includes(a) && a !== 'id' && a !== 'active_nodes');
  assert.deepEqual(optionAttrs.map(optionName).filter((o) => !taken.has(o)), [], 'attributes no type takes');
  assert.deepEqual(LEFT_OUT.filter((o) => taken.has(o)), [], 'left out yet an attribute');
});

test('checkStorage: options of other types, shared, content (any order), required options', () => {
  const one = (attrs: Record<string, unknown>, creating = true) => checkStorage(attrs, creating).map((p) => `${p.summary}${p.suggestion ? ` → ${p.suggestion}` : ''}`);
  assert.deepEqual(one({ type: 'nfs', storage: 'a', server: 's', export: '/e' }), []);
  assert.deepEqual(one({ type: 'nfs', storage: 'a', server: 's', share: 'x' }), ['share is not an option of nfs storage → export', 'nfs storage needs export']);
  assert.deepEqual(one({ type: 'iscsi', storage: 'a', server: 's', target: 't' }), ['server is not an option of iscsi storage → portal', 'iscsi storage needs portal']);
  assert.deepEqual(one({ type: 'zfspool', storage: 'a', vgname: 'tank' }), ['vgname is not an option of zfspool storage → pool', 'zfspool storage needs pool']);
  assert.deepEqual(one({ type: 'cephfs', storage: 'a', shared: false }), ['cephfs storage is always shared']);
  assert.deepEqual(one({ type: 'zfspool', storage: 'a', pool: 'tank', shared: true }), ['zfspool storage cannot be shared']);
  assert.deepEqual(one({ type: 'dir', storage: 'a', path: '/x', shared: true, content: ['iso', 'backup'] }), []);
  assert.deepEqual(one({ type: 'pbs', storage: 'a', server: 's', datastore: 'd', content: ['backups'] }), ['pbs storage cannot hold content backups → backup']);
  assert.deepEqual(one({ type: 'dir', storage: 'a', path: '/x', nodes: ['pve2', 'pve10', 'pve1'] }), []);
  // an update is not asked for options fixed at creation
  assert.deepEqual(one({ type: 'nfs', storage: 'a' }, false), []);
});

test('property strings and sizes', () => {
  assert.deepEqual(parseProps('virtio=BC:24:11:0A:0B:0C,bridge=vmbr1,tag=20', 'model'), { virtio: 'BC:24:11:0A:0B:0C', bridge: 'vmbr1', tag: '20' });
  assert.deepEqual(parseProps('secure,network=10.20.30.0/24', 'type'), { type: 'secure', network: '10.20.30.0/24' });
  assert.equal(formatProps([['model', 'virtio'], ['bridge', 'vmbr1'], ['tag', undefined], ['firewall', true]], 'model'), 'virtio,bridge=vmbr1,firewall=1');
  assert.equal(sizeGiB('8G'), 8);
  assert.equal(sizeGiB('512M'), 0.5);
  assert.equal(sizeGiB('1T'), 1024);
  assert.equal(sizeGiB('oops'), undefined);
});

test('guest configurations: disks without CD-ROMs and the cloud-init drive, NICs, cloud-init, memory', () => {
  const cfg = {
    scsi1: 'nfs1:100/base-100-disk-1.qcow2,size=512M',
    scsi0: 'local-lvm:base-100-disk-0,iothread=1,size=8G',
    ide2: 'local-lvm:vm-100-cloudinit,media=cdrom',
    ide0: 'none,media=cdrom',
    net1: 'e1000=BC:24:11:00:00:02,bridge=vmbr0',
    net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=20,firewall=1',
    ciuser: 'ops',
    sshkeys: encodeKeys(['ssh-ed25519 AAAA a@b', 'ssh-rsa BBBB c@d']),
    ipconfig0: 'ip=dhcp',
    memory: 'current=4096',
  };
  assert.deepEqual(disksOf(cfg), [
    { slot: 'scsi0', storage: 'local-lvm', size_gb: 8 },
    { slot: 'scsi1', storage: 'nfs1', size_gb: 0.5 },
  ]);
  assert.deepEqual(netsOf(cfg), [
    { slot: 'net0', model: 'virtio', bridge: 'vmbr1', vlan_tag: 20, firewall: true },
    { slot: 'net1', model: 'e1000', bridge: 'vmbr0', vlan_tag: null, firewall: false },
  ]);
  assert.equal(netValue(netsOf(cfg)[0]!), 'virtio,bridge=vmbr1,tag=20,firewall=1');
  assert.equal(cloudInitDrive(cfg), 'local-lvm');
  assert.deepEqual(cloudInitOf(cfg), { user: 'ops', ssh_keys: ['ssh-ed25519 AAAA a@b', 'ssh-rsa BBBB c@d'], ip_config: ['ip=dhcp'], nameserver: null, searchdomain: null });
  assert.equal(cloudInitOf({}), null);
  assert.equal(memoryOf(cfg), 4096);
  assert.equal(memoryOf({ memory: 2048 }), 2048);
});

test('a taken VMID is recognised in API and task errors, nothing else', () => {
  assert.equal(isVmidTaken(new PveApiError(500, "unable to create VM 105 - VM 105 already exists on node 'pve2'", 'pve1', 'POST', '/nodes/pve1/qemu')), true);
  assert.equal(isVmidTaken(new PveApiError(400, 'Parameter verification failed.', 'pve1', 'GET', '/cluster/nextid', { vmid: 'VM 105 already exists' })), true);
  assert.equal(isVmidTaken(new PveTaskError('UPID:x', 'pve1', 'VM 105 already exists', 'clone')), true);
  assert.equal(isVmidTaken(new PveApiError(500, "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout", 'pve1', 'POST', '/x')), false);
  assert.equal(isVmidTaken(new Error('already exists')), false);
});
