// HA on a Proxmox VE 9 cluster through the provider, against the simulated lab over loopback:
// refused while the cluster would have fewer than three nodes (joins in the same plan count);
// HA resources on VMs, node-affinity and resource-affinity rules created, observed, planned again
// with no change, updated and deleted; HA groups and a resource's group refused on 9 with the
// way to do it there; cluster options (migration, HA, CRS) round trip and restore the defaults.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerProxmox as p } from '../../providers/proxmox/index.js';
import type { PveSession } from '../../providers/proxmox/session.js';
import { change, formCluster, observeOne, planOf, providerCtx, providerPreflight, withDefaults, withPveLab } from './pve-harness.js';

async function vm(s: PveSession, vmid: number, node = 'pve1'): Promise<void> {
  const c = await s.client(node);
  await c.task('POST', `/nodes/${node}/qemu`, { vmid, name: `vm${vmid}`, memory: 512, cores: 1 });
}

test('PVE 9: HA needs three nodes; resources and rules created, observed, updated, deleted', async () => {
  await withPveLab({ nodes: 3 }, async (x, s0) => {
    void s0;
    const s = await formCluster(x, 2);
    await vm(s, 100);
    await vm(s, 101);
    const res = withDefaults('proxmox_ha_resource', { sid: 'vm:100' });

    // two nodes: refused, naming the count; a join of the third in the same plan counts
    const two = await providerPreflight(s, [change('proxmox_ha_resource.web', 'create', res)]);
    assert.deepEqual(two.map((d) => [d.severity, d.address, d.summary]), [['error', 'proxmox_ha_resource.web', 'HA needs at least 3 nodes: cluster "lab" will have 2 (pve1, pve2)']]);
    assert.match(two[0]!.detail!, /losing one loses quorum/);
    const j3 = withDefaults('proxmox_cluster_node', { cluster: 'lab', node: 'pve3', link0: '10.20.10.13', link1: '10.20.20.13' });
    assert.deepEqual(await providerPreflight(s, [change('proxmox_cluster_node.pve3', 'create', j3), change('proxmox_ha_resource.web', 'create', res)]), []);
    await p.create(s, 'proxmox_cluster_node', j3, providerCtx());

    // resources
    const r100 = await p.create(s, 'proxmox_ha_resource', res, providerCtx('proxmox_ha_resource.web'));
    assert.deepEqual([r100.id, r100.attrs.state, r100.attrs.max_restart, r100.attrs.max_relocate, r100.attrs.failback, r100.attrs.group], ['vm:100', 'started', 1, 1, true, null]);
    const res101 = withDefaults('proxmox_ha_resource', { sid: 'vm:101', state: 'stopped', failback: false, comment: 'db' });
    const r101 = await p.create(s, 'proxmox_ha_resource', res101, providerCtx());
    for (const [cfg, r] of [[res, r100], [res101, r101]] as const) {
      const o = await observeOne(s, 'proxmox_ha_resource', r.id);
      assert.equal(planOf('proxmox_ha_resource', cfg, r, o!.attrs).action, 'noop', r.id);
    }
    // a VM that does not exist, and a group on 9
    const bad = await providerPreflight(s, [change('proxmox_ha_resource.ghost', 'create', withDefaults('proxmox_ha_resource', { sid: 'vm:999', group: 'prefer1' }))]);
    assert.deepEqual(bad.map((d) => d.summary), [
      'vm:999: group "prefer1": HA groups do not exist in Proxmox VE 9 (the cluster runs 9.1.1)',
      'vm:999: there is no VM 999 in the cluster',
    ]);

    // rules
    const na = withDefaults('proxmox_ha_rule', { rule: 'prefer-pve1', type: 'node-affinity', resources: ['vm:100'], nodes: ['pve1:2', 'pve2'] });
    const ra = withDefaults('proxmox_ha_rule', { rule: 'apart', type: 'resource-affinity', resources: ['vm:100', 'vm:101'], affinity: 'negative' });
    assert.deepEqual(await providerPreflight(s, [change('proxmox_ha_rule.na', 'create', na), change('proxmox_ha_rule.ra', 'create', ra)]), []);
    const rna = await p.create(s, 'proxmox_ha_rule', na, providerCtx());
    const rra = await p.create(s, 'proxmox_ha_rule', ra, providerCtx());
    assert.deepEqual([rna.attrs.nodes, rna.attrs.strict, rna.attrs.affinity], [['pve1:2', 'pve2'], false, null]);
    assert.deepEqual([rra.attrs.resources, rra.attrs.affinity, rra.attrs.nodes], [['vm:100', 'vm:101'], 'negative', null]);
    for (const [cfg, r] of [[na, rna], [ra, rra]] as const) {
      const o = await observeOne(s, 'proxmox_ha_rule', r.id);
      assert.equal(planOf('proxmox_ha_rule', cfg, r, o!.attrs).action, 'noop', r.id);
    }
    // rules that do not fit: a node that is no member, a resource that is not HA-managed, attributes of the other type
    const wrong = withDefaults('proxmox_ha_rule', { rule: 'wrong', type: 'resource-affinity', resources: ['vm:100', 'vm:102'], nodes: ['pve7'] });
    const dw = await providerPreflight(s, [change('proxmox_ha_rule.wrong', 'create', wrong)]);
    assert.deepEqual(dw.map((d) => d.summary), [
      'HA rule "wrong": a resource-affinity rule needs affinity',
      'HA rule "wrong": nodes belong to node-affinity rules',
      'HA rule "wrong": resource "vm:102" is not an HA resource',
    ]);
    assert.equal(dw[2]!.suggestion, 'vm:100');
    const dn = await providerPreflight(s, [change('proxmox_ha_rule.na', 'update', { ...na, nodes: ['pve1:2', 'pve4'] }, rna.attrs, ['nodes'])]);
    assert.deepEqual(dn.map((d) => [d.summary, d.suggestion]), [['HA rule "prefer-pve1": node "pve4" is not a member of the cluster', 'pve1']]);

    // groups are PVE 8's: refused on 9, in the preflight and in the operation
    const g = withDefaults('proxmox_ha_group', { group: 'prefer1', nodes: ['pve1:2', 'pve2'] });
    const dg = await providerPreflight(s, [change('proxmox_ha_group.g', 'create', g)]);
    assert.deepEqual(dg.map((d) => d.summary), ['HA groups do not exist in Proxmox VE 9: the cluster runs 9.1.1 (lowest: pve1)']);
    assert.match(dg[0]!.detail!, /proxmox_ha_rule.*node-affinity/);
    await assert.rejects(p.create(s, 'proxmox_ha_group', g, providerCtx()), /HA groups do not exist in Proxmox VE 9/);

    // updates
    const na2 = { ...na, strict: true, comment: 'pinned' };
    const una = await p.update(s, 'proxmox_ha_rule', rna.id, rna.attrs, na2, providerCtx());
    assert.deepEqual([una.attrs.strict, una.attrs.comment], [true, 'pinned']);
    const res2 = { ...res, state: 'stopped', max_restart: 2 };
    const u100 = await p.update(s, 'proxmox_ha_resource', 'vm:100', r100.attrs, res2, providerCtx());
    assert.deepEqual([u100.attrs.state, u100.attrs.max_restart], ['stopped', 2]);
    assert.equal(planOf('proxmox_ha_resource', res2, u100, (await observeOne(s, 'proxmox_ha_resource', 'vm:100'))!.attrs).action, 'noop');

    // deletes
    await p.delete(s, 'proxmox_ha_rule', rra.id, rra.attrs, providerCtx());
    await p.delete(s, 'proxmox_ha_rule', rna.id, una.attrs, providerCtx());
    await p.delete(s, 'proxmox_ha_resource', 'vm:101', r101.attrs, providerCtx());
    assert.equal(await observeOne(s, 'proxmox_ha_rule', 'apart'), undefined);
    assert.equal(await observeOne(s, 'proxmox_ha_resource', 'vm:101'), undefined);
    assert.ok(await observeOne(s, 'proxmox_ha_resource', 'vm:100'));
  });
});

test('cluster options: migration, HA and CRS round trip; delete restores the defaults', async () => {
  await withPveLab({ nodes: 1 }, async (_x, s) => {
    const cfg = withDefaults('proxmox_cluster_options', { migration_type: 'insecure', migration_network: '10.20.30.0/24', ha_shutdown_policy: 'migrate', crs_ha: 'static', crs_rebalance_on_start: true });
    const o = await p.create(s, 'proxmox_cluster_options', cfg, providerCtx());
    assert.deepEqual(o, { id: 'cluster', attrs: { id: 'cluster', migration_type: 'insecure', migration_network: '10.20.30.0/24', ha_shutdown_policy: 'migrate', crs_ha: 'static', crs_rebalance_on_start: true } });
    const { client } = await s.api();
    // datacenter.cfg as the API answers it: each property string parsed
    const raw = await client.get<Record<string, unknown>>('/cluster/options');
    assert.deepEqual([raw.migration, raw.ha, raw.crs], [{ type: 'insecure', network: '10.20.30.0/24' }, { shutdown_policy: 'migrate' }, { ha: 'static', 'ha-rebalance-on-start': 1 }]);
    const seen = await observeOne(s, 'proxmox_cluster_options', 'cluster');
    assert.equal(planOf('proxmox_cluster_options', cfg, o, seen!.attrs).action, 'noop');

    // a CRS key poolform does not manage survives an update
    await client.put('/cluster/options', { crs: 'ha=static,ha-rebalance-on-start=1,ha-auto-rebalance=1' });
    const cfg2 = { ...cfg, migration_network: null, crs_ha: 'basic' };
    const u = await p.update(s, 'proxmox_cluster_options', 'cluster', o.attrs, cfg2, providerCtx());
    assert.deepEqual([u.attrs.migration_network, u.attrs.crs_ha], [null, 'basic']);
    assert.deepEqual((await client.get<Record<string, unknown>>('/cluster/options')).crs, { ha: 'basic', 'ha-rebalance-on-start': 1, 'ha-auto-rebalance': 1 });

    await p.delete(s, 'proxmox_cluster_options', 'cluster', u.attrs, providerCtx());
    const after = await client.get<Record<string, unknown>>('/cluster/options');
    assert.deepEqual([after.migration, after.ha, after.crs], [undefined, undefined, undefined]);
    assert.deepEqual((await observeOne(s, 'proxmox_cluster_options', 'cluster'))!.attrs, withDefaults('proxmox_cluster_options', { id: 'cluster', migration_network: null }));
  });
});
