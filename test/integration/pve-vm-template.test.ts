// proxmox_vm_template against a simulated 3-node cluster: a template with a disk, a network device on
// a VLAN and a cloud-init drive is created (VMID allocated), observed exactly as created (empty
// plan), its settings changed in place (one config write, same VMID), and replaced when a disk
// changes; the cloud-init password reaches the platform and never the attributes; preflight finds
// a missing bridge, a storage without images and a taken VMID (blocks in any order are fine).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs } from '../../engine/provider.js';
import { vmTemplate } from '../../providers/proxmox/resources/vm-template.js';
import type { PveSession } from '../../providers/proxmox/session.js';
import type { Rec } from '../../providers/proxmox/snapshot.js';
import { change, diagnosticsOf, observeOne, planOf, providerCtx, providerPreflight, type PveTestLab, startCluster, withDefaults } from './pve-harness.js';

const TYPE = 'proxmox_vm_template';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHpoolformLabKey ops@lab';

/** The configuration as apply hands it over (nested blocks with their defaults filled in). */
function tplConfig(extra: Attrs = {}): Attrs {
  return withDefaults(TYPE, {
    node: 'pve1',
    name: 'debian-12',
    cores: 2,
    memory: 2048,
    cpu: 'x86-64-v2-AES',
    agent: true,
    tags: ['base', 'linux'],
    disk: [{ slot: 'scsi0', storage: 'local-lvm', size_gb: 8 }],
    network: [{ slot: 'net0', model: 'virtio', bridge: 'vmbr0', vlan_tag: 20, firewall: true }],
    cloud_init_storage: 'local-lvm',
    cloud_init: { user: 'ops', ssh_keys: [KEY], ip_config: ['ip=dhcp'], nameserver: '10.20.0.1', searchdomain: null },
    ...extra,
  });
}

describe('proxmox_vm_template', () => {
  let x: PveTestLab;
  let s: PveSession;
  before(async () => void ({ x, s } = await startCluster()));
  after(() => x.stop());

  it('creates a cloud-init template with an allocated VMID; observation equals the result; the password stays out', async () => {
    const cfg = tplConfig({ cloud_init_password: 'ci-Secret-123' });
    assert.deepEqual(await diagnosticsOf(s, change(`${TYPE}.t`, 'create', cfg)), []);
    const ctx = providerCtx(`${TYPE}.t`);
    const res = await vmTemplate.create(s, cfg, ctx);
    assert.equal(res.attrs.vmid, 100, 'the lowest free VMID');
    assert.equal(res.id, '100');
    assert.deepEqual(ctx.tasks.map((t) => t.split(':')[5]), ['qmcreate', 'qmtemplate']);
    assert.ok(!JSON.stringify(res.attrs).includes('ci-Secret-123'));
    assert.ok(!('cloud_init_password' in res.attrs));
    assert.deepEqual(res.attrs.disk, [{ slot: 'scsi0', storage: 'local-lvm', size_gb: 8 }]);
    assert.deepEqual(res.attrs.network, [{ slot: 'net0', model: 'virtio', bridge: 'vmbr0', vlan_tag: 20, firewall: true }]);
    assert.deepEqual(res.attrs.cloud_init, { user: 'ops', ssh_keys: [KEY], ip_config: ['ip=dhcp'], nameserver: '10.20.0.1', searchdomain: null });
    const seen = await observeOne(s, TYPE, '100');
    assert.deepEqual(seen?.attrs, res.attrs);
    assert.equal(planOf(TYPE, cfg, res, seen!.attrs).action, 'noop');
    const conf = await (await s.client('pve1')).get<Rec>('/nodes/pve1/qemu/100/config');
    assert.equal(conf.template, 1);
    assert.equal(conf.cipassword, '**********', 'the password reached the platform');
    assert.match(String(conf.scsi0), /^local-lvm:base-100-disk-0/);
    const guests = (await s.snapshot(['resources'])).guests!;
    assert.equal(guests.get(100)?.template, true);
  });

  it('changes settings and cloud-init in place, keeping the VMID; a disk change is a replacement', async () => {
    const cfg = tplConfig({ cloud_init_password: 'ci-Secret-123' });
    const stored = { id: '100', attrs: (await observeOne(s, TYPE, '100'))!.attrs };
    const changed = tplConfig({ name: 'debian-12-v2', cores: 4, memory: 4096, description: 'golden image', tags: ['base'], agent: false, cloud_init: { user: 'admin', ssh_keys: [KEY], ip_config: ['ip=10.20.30.50/24,gw=10.20.30.1'], nameserver: null, searchdomain: 'lab' }, cloud_init_password: 'ci-Secret-123' });
    const p = planOf(TYPE, changed, stored, stored.attrs, cfg);
    assert.equal(p.action, 'update');
    const res = await vmTemplate.update(s, '100', stored.attrs, changed, providerCtx());
    assert.equal(res.id, '100');
    assert.equal(res.attrs.name, 'debian-12-v2');
    assert.equal(res.attrs.cores, 4);
    assert.equal(res.attrs.memory, 4096);
    assert.equal(res.attrs.description, 'golden image');
    assert.deepEqual(res.attrs.tags, ['base']);
    assert.equal(res.attrs.agent, false);
    assert.deepEqual(res.attrs.cloud_init, { user: 'admin', ssh_keys: [KEY], ip_config: ['ip=10.20.30.50/24,gw=10.20.30.1'], nameserver: null, searchdomain: 'lab' });
    const seen = await observeOne(s, TYPE, '100');
    assert.deepEqual(seen?.attrs, res.attrs);
    assert.equal(planOf(TYPE, changed, res, seen!.attrs).action, 'noop');
    // disks and the cloud-init drive are fixed: replacement
    const bigger = planOf(TYPE, { ...changed, disk: [{ slot: 'scsi0', storage: 'local-lvm', size_gb: 16 }] }, res, seen!.attrs, changed);
    assert.equal(bigger.action, 'replace');
    assert.deepEqual(bigger.replacePaths, [['disk']]);
    assert.equal(planOf(TYPE, { ...changed, cloud_init_storage: 'local' }, res, seen!.attrs, changed).action, 'replace');
    await vmTemplate.delete(s, '100', res.attrs, providerCtx());
    assert.equal(await observeOne(s, TYPE, '100'), undefined);
  });

  it('preflight: a missing bridge, a storage without images, blocks in any order, a taken VMID', async () => {
    const c = await s.client('pve2');
    await c.task('POST', '/nodes/pve2/qemu', { vmid: 120, name: 'taken' });
    s.invalidate();
    const bad = tplConfig({
      vmid: 120,
      disk: [{ slot: 'scsi1', storage: 'local-lvm', size_gb: 4 }, { slot: 'scsi0', storage: 'local', size_gb: 8 }],
      network: [{ slot: 'net0', model: 'virtio', bridge: 'vmbr7', vlan_tag: null, firewall: false }],
    });
    const d = await diagnosticsOf(s, change(`${TYPE}.b`, 'create', bad));
    const summaries = d.map((x) => x.summary);
    assert.ok(summaries.some((m) => /VMID 120 is taken/.test(m)), summaries.join('\n'));
    assert.ok(!summaries.some((m) => /order/.test(m)), 'disk blocks are a set: any order is fine');
    assert.ok(summaries.some((m) => /disk scsi0: storage local does not hold disk images/.test(m)));
    const bridge = d.find((x) => /net0: bridge vmbr7 does not exist on node pve1/.test(x.summary));
    assert.ok(bridge);
    assert.equal(bridge.suggestion, 'vmbr0');
    // a bridge a planned proxmox_node_network declares on the node is fine
    const net = change('proxmox_node_network.n', 'create', { node: 'pve1', bridge: [{ name: 'vmbr7', ports: [] }], bond: [], vlan: [] });
    const ok = tplConfig({ network: [{ slot: 'net0', model: 'virtio', bridge: 'vmbr7', vlan_tag: null, firewall: false }] });
    const d2 = (await providerPreflight(s, [change(`${TYPE}.b`, 'create', ok), net])).filter((x) => x.address === `${TYPE}.b`);
    assert.deepEqual(d2, []);
    await c.task('DELETE', '/nodes/pve2/qemu/120');
  });
});
