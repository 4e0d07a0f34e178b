// HA on a Proxmox VE 8 cluster through the provider, against the simulated lab over loopback: an
// HA group and a resource placed by it created, observed, planned again with no change, updated
// (the group removed from the resource) and deleted; HA rules and failback = false refused on 8
// with the way to do it there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerProxmox as p } from '../../providers/proxmox/index.js';
import { change, formCluster, observeOne, planOf, providerCtx, providerPreflight, withDefaults, withPveLab } from './pve-harness.js';

test('PVE 8: HA groups and resources in groups; rules and failback refused', async () => {
  const v8 = { version: '8.4.1' };
  await withPveLab({ nodes: 3, nodeSpecs: [v8, v8, v8] }, async (x, s0) => {
    void s0;
    const s = await formCluster(x);
    const c = await s.client('pve2');
    await c.task('POST', '/nodes/pve2/qemu', { vmid: 100, name: 'web', memory: 512, cores: 1 });

    const g = withDefaults('proxmox_ha_group', { group: 'prefer2', nodes: ['pve2:2', 'pve3:1'], restricted: true, comment: 'web tier' });
    const res = withDefaults('proxmox_ha_resource', { sid: 'vm:100', group: 'prefer2', max_relocate: 2 });
    assert.deepEqual(await providerPreflight(s, [change('proxmox_ha_group.g', 'create', g), change('proxmox_ha_resource.web', 'create', res)]), []);
    const rg = await p.create(s, 'proxmox_ha_group', g, providerCtx());
    assert.deepEqual([rg.id, rg.attrs.nodes, rg.attrs.restricted, rg.attrs.nofailback, rg.attrs.comment], ['prefer2', ['pve2:2', 'pve3:1'], true, false, 'web tier']);
    const rr = await p.create(s, 'proxmox_ha_resource', res, providerCtx());
    assert.deepEqual([rr.attrs.group, rr.attrs.max_relocate, rr.attrs.failback], ['prefer2', 2, true]);
    assert.equal(planOf('proxmox_ha_group', g, rg, (await observeOne(s, 'proxmox_ha_group', 'prefer2'))!.attrs).action, 'noop');
    assert.equal(planOf('proxmox_ha_resource', res, rr, (await observeOne(s, 'proxmox_ha_resource', 'vm:100'))!.attrs).action, 'noop');

    // rules and failback are PVE 9's
    const rule = withDefaults('proxmox_ha_rule', { rule: 'r1', type: 'node-affinity', resources: ['vm:100'], nodes: ['pve1'] });
    const d = await providerPreflight(s, [change('proxmox_ha_rule.r1', 'create', rule), change('proxmox_ha_resource.web', 'update', { ...res, failback: false }, rr.attrs, ['failback'])]);
    assert.deepEqual(d.map((x) => [x.address, x.summary]), [
      ['proxmox_ha_rule.r1', 'HA rules need Proxmox VE 9: the cluster runs 8.4.1 (lowest: pve1)'],
      ['proxmox_ha_resource.web', 'vm:100: failback = false needs Proxmox VE 9 (the cluster runs 8.4.1)'],
    ]);
    assert.match(d[0]!.detail!, /proxmox_ha_group/);
    assert.match(d[1]!.detail!, /nofailback/);
    await assert.rejects(p.create(s, 'proxmox_ha_rule', rule, providerCtx()), /HA rules need Proxmox VE 9/);
    // a group that does not exist
    const dg = await providerPreflight(s, [change('proxmox_ha_resource.web', 'update', { ...res, group: 'prefer3' }, rr.attrs, ['group'])]);
    assert.deepEqual(dg.map((x) => [x.summary, x.suggestion]), [['vm:100: HA group "prefer3" does not exist', 'prefer2']]);

    // updates: the group's nodes, and the resource leaves the group
    const g2 = { ...g, nodes: ['pve3:2', 'pve2:1'], nofailback: true, comment: null };
    const ug = await p.update(s, 'proxmox_ha_group', 'prefer2', rg.attrs, g2, providerCtx());
    assert.deepEqual([ug.attrs.nodes, ug.attrs.nofailback, ug.attrs.comment], [['pve3:2', 'pve2:1'], true, null]);
    const res2 = { ...res, group: null };
    const ur = await p.update(s, 'proxmox_ha_resource', 'vm:100', rr.attrs, res2, providerCtx());
    assert.equal(ur.attrs.group, null);
    assert.equal(planOf('proxmox_ha_resource', res2, ur, (await observeOne(s, 'proxmox_ha_resource', 'vm:100'))!.attrs).action, 'noop');

    await p.delete(s, 'proxmox_ha_resource', 'vm:100', ur.attrs, providerCtx());
    await p.delete(s, 'proxmox_ha_group', 'prefer2', ug.attrs, providerCtx());
    assert.equal(await observeOne(s, 'proxmox_ha_group', 'prefer2'), undefined);
    assert.equal(await observeOne(s, 'proxmox_ha_resource', 'vm:100'), undefined);
  });
});
