// proxmox_node_network changes that move an address a node is reached by, against a simulated
// 3-node cluster: moving the management bridge onto a bond is guarded (the running configuration
// saved over SSH, the node checked after the one reload) and succeeds; when the node stops
// answering after the reload (a fault), the saved configuration is restored over SSH and the apply
// fails saying what happened; preflight refuses missing or taken ports, a change that removes the
// management address, a guarded change without SSH credentials, and a change to a corosync link
// that could cost the cluster its quorum.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs } from '../../engine/provider.js';
import { readConfig } from '../../providers/proxmox/config.js';
import { SAVED } from '../../providers/proxmox/network-guard.js';
import { blocksAsAttrs, normalize } from '../../providers/proxmox/network-plan.js';
import { nodeNetwork } from '../../providers/proxmox/resources/node-network.js';
import { openSession, type PveSession } from '../../providers/proxmox/session.js';
import type { Rec } from '../../providers/proxmox/snapshot.js';
import { change, diagnosticsOf, providerCtx, type PveTestLab, startCluster } from './pve-harness.js';

const TYPE = 'proxmox_node_network';

function netConfig(node: string, blocks: Attrs): Attrs {
  return { node, ...blocksAsAttrs(normalize(blocks)) };
}

/** vmbr0 (the management bridge) moved onto an active-backup bond of eno1 and eno6, keeping its address. */
const ONTO_BOND = (i: number): Attrs => ({
  bond: [{ name: 'bond0', slaves: ['eno1', 'eno6'], mode: 'active-backup', bond_primary: 'eno1' }],
  bridge: [{ name: 'vmbr0', ports: ['bond0'], cidr: `10.20.0.${10 + i}/24`, gateway: '10.20.0.1' }],
});

async function ifaces(s: PveSession, node: string): Promise<Rec[]> {
  return (await (await s.client(node)).getEnvelope<Rec[]>(`/nodes/${node}/network`)).data;
}

describe('proxmox_node_network guarded changes', () => {
  let x: PveTestLab;
  let s: PveSession;
  before(async () => void ({ x, s } = await startCluster()));
  after(() => x.stop());

  it('moving the management bridge onto a bond: saved over SSH, checked after the one reload, kept', async () => {
    const cfg = netConfig('pve2', ONTO_BOND(2));
    assert.deepEqual(await diagnosticsOf(s, change(`${TYPE}.g`, 'create', cfg)), []);
    const reloads = x.lab.sim.reloadCount('pve2');
    const ctx = providerCtx(`${TYPE}.g`);
    const res = await nodeNetwork.create(s, cfg, ctx);
    assert.equal(x.lab.sim.reloadCount('pve2') - reloads, 1);
    assert.ok(ctx.logs.some((l) => /moves management address 10\.20\.0\.12 \(vmbr0 → vmbr0\)/.test(l)), ctx.logs.join('\n'));
    assert.deepEqual(res.attrs.managed, ['bond0', 'vmbr0']);
    const saved = await s.ssh('pve2', `cat ${SAVED}`);
    assert.equal(saved.code, 0);
    assert.match(saved.stdout, /bridge-ports eno1/, 'the configuration before the change was saved');
    const list = await ifaces(s, 'pve2');
    assert.equal(list.find((r) => r.iface === 'vmbr0')!.bridge_ports, 'bond0');
    assert.equal(nodeNetwork.impact!(change(`${TYPE}.g`, 'update', netConfig('pve2', { ...ONTO_BOND(2), bridge: [{ name: 'vmbr0', ports: ['bond0'], cidr: '10.20.0.12/24', gateway: '10.20.0.1', mtu: 9000 }] }), res.attrs)), 'network-blip');
  });

  it('a node that stops answering after the reload is rolled back over SSH and the apply fails saying so', async () => {
    x.lab.sim.faults.loseManagementOnReload('pve3');
    const reloads = x.lab.sim.reloadCount('pve3');
    const ctx = providerCtx(`${TYPE}.r`);
    await assert.rejects(nodeNetwork.create(s, netConfig('pve3', ONTO_BOND(3)), ctx), (e: Error) => {
      assert.match(e.message, /proxmox_node_network pve3: after the network reload the node stopped answering \(or dropped out of the cluster\) for 1000 ms/);
      assert.match(e.message, /management address 10\.20\.0\.13 \(vmbr0 → vmbr0\)/);
      assert.match(e.message, /Rolled back: \/etc\/network\/interfaces\.poolform-prev .* restored/);
      assert.match(e.message, /the node answers again/);
      return true;
    });
    assert.equal(ctx.tasks.length, 1, 'the reload was journalled');
    assert.equal(x.lab.sim.reloadCount('pve3') - reloads, 2, 'the reload and the rollback');
    s.invalidate();
    const list = await ifaces(s, 'pve3');
    assert.equal(list.find((r) => r.iface === 'vmbr0')!.bridge_ports, 'eno1', 'running on the saved configuration');
    assert.equal(list.some((r) => r.iface === 'bond0'), false);
    const status = await (await s.client('pve1')).get<Rec[]>('/cluster/status');
    assert.equal(status.find((r) => r.name === 'pve3')!.online, 1);
  });

  it('preflight: ports that do not exist or that another interface holds; removing the management address', async () => {
    const missing = await diagnosticsOf(s, change(`${TYPE}.p`, 'create', netConfig('pve1', { bond: [{ name: 'bond1', slaves: ['eno9'], mode: 'active-backup' }] })));
    assert.equal(missing.length, 1, JSON.stringify(missing));
    assert.match(missing[0]!.summary, /bond1: eno9 does not exist on node pve1/);
    assert.match(missing[0]!.suggestion ?? '', /^eno\d$/);
    const taken = await diagnosticsOf(s, change(`${TYPE}.p`, 'create', netConfig('pve1', { bond: [{ name: 'bond1', slaves: ['eno1', 'eno4'], mode: 'active-backup' }] })));
    assert.equal(taken.length, 1, JSON.stringify(taken));
    assert.match(taken[0]!.summary, /eno1 is already used by vmbr0 on node pve1/);
    assert.match(taken[0]!.detail!, /declare vmbr0 here/);
    const gone = await diagnosticsOf(s, change(`${TYPE}.p`, 'create', netConfig('pve1', { bridge: [{ name: 'vmbr0', ports: ['eno1'], cidr: '10.20.50.11/24' }] })));
    assert.ok(gone.some((d) => /removes node pve1's management address 10\.20\.0\.11/.test(d.summary)), JSON.stringify(gone));
    const order = await diagnosticsOf(s, change(`${TYPE}.p`, 'create', netConfig('pve1', { bridge: [{ name: 'vmbr10' }, { name: 'vmbr2' }] })));
    assert.deepEqual(order.map((d) => d.summary), [], 'blocks are a set: any order is fine');
  });

  it('preflight: a guarded change needs SSH credentials', async () => {
    const { ssh_password: _omit, ...noSsh } = x.providerConfig;
    const s2 = await openSession(readConfig(noSsh));
    try {
      const d = await diagnosticsOf(s2, change(`${TYPE}.q`, 'create', netConfig('pve1', ONTO_BOND(1))));
      assert.equal(d.length, 1, JSON.stringify(d));
      assert.match(d[0]!.summary, /Changing node pve1's management address 10\.20\.0\.11 needs SSH for the rollback/);
    } finally {
      await s2.close();
    }
  });

  it('preflight: a corosync link change while the cluster could not stay quorate without the node is refused', async () => {
    // eno2 carries link 0; putting it in a bond moves that address
    const link = netConfig('pve1', { bond: [{ name: 'bond1', slaves: ['eno2', 'eno4'], mode: 'active-backup', cidr: '10.20.10.11/24' }] });
    assert.deepEqual(await diagnosticsOf(s, change(`${TYPE}.c`, 'create', link)), [], 'fine while every member is online');
    x.lab.sim.powerOff('pve3');
    try {
      s.invalidate();
      const d = await diagnosticsOf(s, change(`${TYPE}.c`, 'create', link));
      assert.equal(d.length, 1, JSON.stringify(d));
      assert.match(d[0]!.summary, /Changing node pve1's corosync link 0 10\.20\.10\.11 could cost the cluster its quorum/);
      assert.match(d[0]!.detail!, /hold 1 of 3 votes/);
    } finally {
      x.lab.sim.powerOn('pve3');
      s.invalidate();
    }
  });
});
