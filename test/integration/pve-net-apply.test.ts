// proxmox_node_network against a simulated 3-node cluster: a bond, a VLAN-aware bridge over it and a
// VLAN on every node, staged and applied with exactly one reload per node; the next plan is empty;
// a change updates in place (one more reload) and an interface no longer declared is deleted;
// deleting the resource removes what it managed; foreign staged changes are refused with their
// diff; a refused reload leaves nothing staged; an Open vSwitch bond mode without ovs is refused before anything runs, and OVS on a node
// without Open vSwitch fails with nothing left staged.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Attrs } from '../../engine/provider.js';
import { blocksAsAttrs, normalize } from '../../providers/proxmox/network-plan.js';
import { nodeNetwork } from '../../providers/proxmox/resources/node-network.js';
import type { PveSession } from '../../providers/proxmox/session.js';
import type { Rec } from '../../providers/proxmox/snapshot.js';
import { change, diagnosticsOf, observeOne, planOf, providerCtx, providerPreflight, type PveTestLab, startCluster, startPveTestLab } from './pve-harness.js';

const TYPE = 'proxmox_node_network';

/** The configuration as the engine hands it over, nested blocks with their defaults filled in. */
function netConfig(node: string, blocks: Attrs): Attrs {
  return { node, ...blocksAsAttrs(normalize(blocks)) };
}

const BENCH = (i: number): Attrs => ({
  bond: [{ name: 'bond0', slaves: ['eno4', 'eno5'], mode: '802.3ad', hash_policy: 'layer3+4', comments: 'uplink' }],
  bridge: [{ name: 'vmbr1', ports: ['bond0'], vlan_aware: true }],
  vlan: [{ name: 'vmbr1.30', cidr: `10.20.30.${10 + i}/24` }],
});

async function ifaces(s: PveSession, node: string): Promise<{ list: Rec[]; changes?: unknown }> {
  const env = await (await s.client(node)).getEnvelope<Rec[]>(`/nodes/${node}/network`);
  return { list: env.data, changes: env.changes };
}

describe('proxmox_node_network apply', () => {
  let x: PveTestLab;
  let s: PveSession;
  const nodes = ['pve1', 'pve2', 'pve3'];
  const results = new Map<string, { id: string; attrs: Attrs }>();
  before(async () => void ({ x, s } = await startCluster()));
  after(() => x.stop());

  it('bond + VLAN-aware bridge + VLAN on every node: one reload per node, journalled; the next plan is empty', async () => {
    const reloads = nodes.map((n) => x.lab.sim.reloadCount(n));
    for (const [i, node] of nodes.entries()) {
      const ctx = providerCtx(`${TYPE}.n["${node}"]`);
      const cfg = netConfig(node, BENCH(i + 1));
      assert.deepEqual(await providerPreflight(s, [change(`${TYPE}.n`, 'create', cfg)]), []);
      const res = await nodeNetwork.create(s, cfg, ctx);
      results.set(node, res);
      assert.equal(res.id, node);
      assert.deepEqual(res.attrs.managed, ['bond0', 'vmbr1', 'vmbr1.30']);
      assert.equal(ctx.tasks.length, 1, 'one task: the reload');
      assert.match(ctx.tasks[0]!, new RegExp(`^UPID:${node}:.*:srvreload:`));
      const seen = await observeOne(s, TYPE, node);
      assert.deepEqual(seen?.attrs, res.attrs);
      assert.equal(planOf(TYPE, cfg, res, seen!.attrs).action, 'noop');
    }
    assert.deepEqual(nodes.map((n, i) => x.lab.sim.reloadCount(n) - reloads[i]!), [1, 1, 1], 'exactly one reload per node');
    const { list, changes } = await ifaces(s, 'pve2');
    assert.equal(changes ?? '', '', 'nothing left staged');
    const bond = list.find((r) => r.iface === 'bond0')!;
    assert.equal(bond.bond_mode, '802.3ad');
    assert.equal(bond.comments, 'uplink [poolform]');
    assert.equal(list.find((r) => r.iface === 'vmbr1.30')!.cidr, '10.20.30.12/24');
    assert.equal(nodeNetwork.limit!(null, 'create', 4)?.key, 'node-network');
  });

  it('an update changes in place with one reload; an interface no longer declared is deleted; vmbr0 is left alone', async () => {
    const before = results.get('pve1')!;
    const reloads = x.lab.sim.reloadCount('pve1');
    const cfg = netConfig('pve1', { bond: BENCH(1).bond, bridge: [{ name: 'vmbr1', ports: ['bond0'], vlan_aware: true, mtu: 9000 }] });
    const p = planOf(TYPE, cfg, before, before.attrs, netConfig('pve1', BENCH(1)));
    assert.equal(p.action, 'update');
    assert.equal(nodeNetwork.impact!(change(`${TYPE}.n`, 'update', cfg, before.attrs)), 'network-blip', 'a bridge with ports changes');
    const res = await nodeNetwork.update(s, 'pve1', before.attrs, cfg, providerCtx());
    assert.equal(x.lab.sim.reloadCount('pve1') - reloads, 1);
    assert.deepEqual(res.attrs.managed, ['bond0', 'vmbr1']);
    const { list } = await ifaces(s, 'pve1');
    assert.equal(list.find((r) => r.iface === 'vmbr1')!.mtu, 9000);
    assert.equal(list.some((r) => r.iface === 'vmbr1.30'), false);
    assert.equal(list.find((r) => r.iface === 'vmbr0')!.bridge_ports, 'eno1');
    // nothing to do: no reload
    await nodeNetwork.update(s, 'pve1', res.attrs, cfg, providerCtx());
    assert.equal(x.lab.sim.reloadCount('pve1') - reloads, 1);
    results.set('pve1', res);
  });

  it('foreign staged changes are refused, in preflight and at apply, with their diff and the remedy', async () => {
    const c = await s.client('pve3');
    await c.post('/nodes/pve3/network', { iface: 'vmbr9', type: 'bridge', comments: 'by hand' });
    s.invalidate();
    const cfg = netConfig('pve3', { ...BENCH(3), vlan: [] });
    const d = await diagnosticsOf(s, change(`${TYPE}.n`, 'update', cfg, results.get('pve3')!.attrs));
    assert.equal(d.length, 1);
    assert.match(d[0]!.summary, /Node pve3 has staged network changes poolform did not make/);
    assert.match(d[0]!.detail!, /\+iface vmbr9/);
    assert.match(d[0]!.detail!, /DELETE \/nodes\/pve3\/network/);
    const reloads = x.lab.sim.reloadCount('pve3');
    await assert.rejects(nodeNetwork.update(s, 'pve3', results.get('pve3')!.attrs, cfg, providerCtx()), /staged network changes that poolform did not make/);
    assert.equal(x.lab.sim.reloadCount('pve3'), reloads, 'nothing applied');
    await c.delete('/nodes/pve3/network');
  });

  it('a refused reload leaves nothing staged and nothing applied', async () => {
    x.lab.sim.faults.failRequests(/^\/nodes\/pve3\/network$/, 500, 'unable to reload network: interfaces.new locked', 1, 'PUT');
    const reloads = x.lab.sim.reloadCount('pve3');
    const cfg = netConfig('pve3', { ...BENCH(3), vlan: [] });
    await assert.rejects(nodeNetwork.update(s, 'pve3', results.get('pve3')!.attrs, cfg, providerCtx()), /applying the staged edits failed: .*interfaces\.new locked.*they were reverted, nothing was applied/);
    assert.equal(x.lab.sim.reloadCount('pve3'), reloads);
    const { list, changes } = await ifaces(s, 'pve3');
    assert.equal(changes ?? '', '');
    assert.ok(list.some((r) => r.iface === 'vmbr1.30'), 'still as it was');
  });

  it('deleting the resource removes the interfaces it managed, users first, with one reload', async () => {
    const reloads = x.lab.sim.reloadCount('pve2');
    await nodeNetwork.delete(s, 'pve2', results.get('pve2')!.attrs, providerCtx());
    assert.equal(x.lab.sim.reloadCount('pve2') - reloads, 1);
    const { list } = await ifaces(s, 'pve2');
    assert.deepEqual(list.map((r) => r.iface).sort(), ['eno1', 'eno2', 'eno3', 'eno4', 'eno5', 'eno6', 'vmbr0']);
    assert.deepEqual((await observeOne(s, TYPE, 'pve2'))?.attrs.managed, []);
  });

  it('an Open vSwitch bond mode without ovs is refused before anything runs; OVS on a node without it fails with nothing staged', async () => {
    const bad = netConfig('pve2', { bond: [{ name: 'bond1', slaves: ['eno4', 'eno5'], mode: 'balance-slb' }], bridge: [{ name: 'vmbr2', ports: ['bond1'] }] });
    const d = await diagnosticsOf(s, change(`${TYPE}.m`, 'create', bad));
    assert.equal(d.length, 1, JSON.stringify(d));
    assert.match(d[0]!.summary, /mode balance-slb needs Open vSwitch/);
    assert.match(d[0]!.detail!, /set ovs = true/);
    const linuxOnOvs = netConfig('pve2', { bond: [{ name: 'bond1', slaves: ['eno4', 'eno5'], mode: 'balance-rr', ovs: true }], bridge: [{ name: 'vmbr2', ports: ['bond1'], ovs: true }] });
    const d2 = await diagnosticsOf(s, change(`${TYPE}.m`, 'create', linuxOnOvs));
    assert.match(d2[0]!.summary, /mode balance-rr is a Linux bond mode/);
    const ovs = netConfig('pve2', { bond: [{ name: 'bond1', slaves: ['eno4', 'eno5'], mode: 'balance-slb', ovs: true }], bridge: [{ name: 'vmbr2', ports: ['bond1'], ovs: true }] });
    const reloads = x.lab.sim.reloadCount('pve2');
    await assert.rejects(nodeNetwork.create(s, ovs, providerCtx()), (e: Error) => /Open VSwitch is not installed/.test(e.message) && /apt install openvswitch-switch/.test(e.message) && /reverted/.test(e.message));
    assert.equal(x.lab.sim.reloadCount('pve2'), reloads);
    assert.equal((await ifaces(s, 'pve2')).changes ?? '', '', 'the staged edits were reverted');
  });
});

describe('proxmox_node_network with Open vSwitch', () => {
  it('an OVS bridge and an OVS bond on it: applied, observed as declared', async () => {
    const x = await startPveTestLab({ nodes: 1, nodeSpecs: [{ ovs: true }] });
    try {
      const s = await x.session();
      const cfg = netConfig('pve1', { bond: [{ name: 'bond1', slaves: ['eno4', 'eno5'], mode: 'lacp-balance-tcp', ovs: true }], bridge: [{ name: 'vmbr2', ports: ['bond1'], ovs: true, cidr: '10.20.30.11/24' }] });
      assert.deepEqual(await diagnosticsOf(s, change(`${TYPE}.o`, 'create', cfg)), []);
      const res = await nodeNetwork.create(s, cfg, providerCtx());
      const seen = await observeOne(s, TYPE, 'pve1');
      assert.deepEqual(seen?.attrs, res.attrs);
      assert.equal(planOf(TYPE, cfg, res, seen!.attrs).action, 'noop');
      const { list } = await ifaces(s, 'pve1');
      assert.equal(list.find((r) => r.iface === 'bond1')!.type, 'OVSBond');
      assert.equal(list.find((r) => r.iface === 'bond1')!.ovs_bridge, 'vmbr2');
    } finally {
      await x.stop();
    }
  });
});
