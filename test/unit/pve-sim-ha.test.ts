// HA and datacenter options in the simulator: groups on PVE 8 clusters, rules on PVE 9 (groups
// "migrated to rules"; a PVE 8 node has no rules endpoint), HA resources and their effect on
// guests and /cluster/resources, and datacenter.cfg options with property-string checks.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call, cluster, fails, lab, ok } from './pve-sim-harness.js';

const V8 = { version: '8.4.1' };

describe('pve sim: HA', () => {
  it('PVE 8: groups and resources with a group; no rules endpoint', async () => {
    const sim = lab(3, [V8, V8, V8]);
    await cluster(sim, 3);
    sim.addGuests('pve2', 2);
    assert.equal((await call(sim, 'pve1', 'GET', '/cluster/ha/rules')).status, 501);
    assert.equal((await call(sim, 'pve1', 'GET', '/cluster/ha/rules')).message, "Method 'GET /cluster/ha/rules' not implemented");
    await ok(sim, 'pve1', 'POST', '/cluster/ha/groups', { group: 'prefer2', nodes: 'pve2:2,pve3:1', restricted: 1 });
    await fails(sim, 'pve1', 'POST', '/cluster/ha/groups', { group: 'prefer2', nodes: 'pve1' }, 500, /already defined/);
    await fails(sim, 'pve1', 'POST', '/cluster/ha/groups', { group: 'bad', nodes: 'pve9' }, 500, /^no such cluster node 'pve9'$/);
    await ok(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: '100', group: 'prefer2', max_restart: 2 });
    await fails(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:100' }, 500, /^resource ID 'vm:100' already defined$/);
    await fails(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:555' }, 500, /^unable to find VM 555$/);
    await fails(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:101', group: 'nope' }, 500, /ha group 'nope' does not exist/);
    const r = await ok(sim, 'pve2', 'GET', '/cluster/ha/resources/vm:100');
    assert.deepEqual([r.sid, r.type, r.state, r.group, r.max_restart], ['vm:100', 'vm', 'started', 'prefer2', 2]);
    await fails(sim, 'pve1', 'DELETE', '/cluster/ha/groups/prefer2', {}, 500, /still used by resource 'vm:100'/);
    await ok(sim, 'pve1', 'PUT', '/cluster/ha/resources/vm:100', { state: 'stopped', digest: r.digest });
    const vm = (await ok<any[]>(sim, 'pve3', 'GET', '/cluster/resources', { type: 'vm' })).find((x) => x.vmid === 100);
    assert.deepEqual([vm.hastate, vm.status], ['stopped', 'stopped']);
    const cur = await ok<any[]>(sim, 'pve1', 'GET', '/cluster/ha/status/current');
    assert.equal(cur.find((x) => x.type === 'quorum').quorate, 1);
    assert.equal(cur.find((x) => x.id === 'service:vm:100').request_state, 'stopped');
  });

  it('PVE 9: rules instead of groups; resources and rules checked against the cluster', async () => {
    const sim = lab(3);
    await cluster(sim, 3);
    sim.addGuests('pve1', 3);
    await fails(sim, 'pve1', 'POST', '/cluster/ha/groups', { group: 'g', nodes: 'pve1' }, 500, /^ha groups have been migrated to rules$/);
    assert.deepEqual(await ok(sim, 'pve1', 'GET', '/cluster/ha/groups'), []);
    await ok(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:100', state: 'started', failback: 0 });
    await ok(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:101', max_relocate: 3 });
    await fails(sim, 'pve1', 'POST', '/cluster/ha/resources', { sid: 'vm:102', group: 'x' }, 500, /migrated to rules/);
    await ok(sim, 'pve1', 'POST', '/cluster/ha/rules', { rule: 'keep-on-12', type: 'node-affinity', resources: 'vm:100,vm:101', nodes: 'pve1:2,pve2', strict: 1 });
    await ok(sim, 'pve1', 'POST', '/cluster/ha/rules', { rule: 'apart', type: 'resource-affinity', resources: 'vm:100,vm:101', affinity: 'negative' });
    await fails(sim, 'pve1', 'POST', '/cluster/ha/rules', { rule: 'x', type: 'node-affinity', resources: 'vm:102', nodes: 'pve1' }, 500, /HA resource 'vm:102' does not exist/);
    await fails(sim, 'pve1', 'POST', '/cluster/ha/rules', { rule: 'y', type: 'node-affinity', resources: 'vm:100', nodes: 'pve7' }, 500, /no such cluster node 'pve7'/);
    await fails(sim, 'pve1', 'POST', '/cluster/ha/rules', { rule: 'z', type: 'resource-affinity', resources: 'vm:100,vm:101', affinity: 'positive', nodes: 'pve1' }, 400);
    const rules = await ok<any[]>(sim, 'pve3', 'GET', '/cluster/ha/rules');
    assert.deepEqual(rules.map((x) => [x.rule, x.type, x.resources]), [
      ['keep-on-12', 'node-affinity', 'vm:100,vm:101'],
      ['apart', 'resource-affinity', 'vm:100,vm:101'],
    ]);
    assert.equal(rules[0].strict, 1);
    assert.deepEqual((await ok<any[]>(sim, 'pve1', 'GET', '/cluster/ha/rules', { type: 'resource-affinity' })).map((x) => x.rule), ['apart']);
    const res = await ok(sim, 'pve1', 'GET', '/cluster/ha/resources/vm:100');
    assert.equal(res.failback, 0);
    // deleting a resource takes it out of the rules (a rule left empty goes)
    await ok(sim, 'pve1', 'DELETE', '/cluster/ha/resources/vm:101');
    assert.deepEqual((await ok<any[]>(sim, 'pve1', 'GET', '/cluster/ha/rules')).map((x) => x.resources), ['vm:100', 'vm:100']);
    // a mixed cluster is as old as its oldest node
    const mixed = lab(2, [V8, V8]);
    await cluster(mixed, 2);
    mixed.upgrade('pve1', '9.1.1');
    await ok(mixed, 'pve1', 'POST', '/cluster/ha/groups', { group: 'g', nodes: 'pve1' });
    assert.equal((await ok(mixed, 'pve1', 'GET', '/version')).version, '9.1.1');
    assert.match((await mixed.shell('pve2', 'pveversion')).stdout, /^pve-manager\/8\.4\.1\/[0-9a-f]{16} \(running kernel: 6\.8\.12-9-pve\)$/m);
    assert.deepEqual((await ok<any[]>(mixed, 'pve1', 'GET', '/cluster/ha')).map((x) => x.id), ['status', 'resources', 'groups']);
  });
});

describe('pve sim: datacenter options', () => {
  it('stores migration/ha/crs property strings and reads them back parsed', async () => {
    const sim = lab(2);
    await cluster(sim, 2);
    assert.deepEqual(await ok(sim, 'pve1', 'GET', '/cluster/options'), {});
    await ok(sim, 'pve1', 'PUT', '/cluster/options', { migration: 'secure,network=10.20.30.0/24', ha: 'shutdown_policy=migrate', crs: 'ha=static,ha-rebalance-on-start=1', keyboard: 'en-us' });
    const o = await ok(sim, 'pve2', 'GET', '/cluster/options');
    assert.deepEqual(o.migration, { type: 'secure', network: '10.20.30.0/24' });
    assert.deepEqual(o.ha, { shutdown_policy: 'migrate' });
    assert.deepEqual(o.crs, { ha: 'static', 'ha-rebalance-on-start': 1 });
    assert.equal(o.keyboard, 'en-us');
    assert.match((await sim.shell('pve2', 'cat /etc/pve/datacenter.cfg')).stdout, /^migration: secure,network=10\.20\.30\.0\/24$/m);
    await ok(sim, 'pve1', 'PUT', '/cluster/options', { migration: 'type=insecure' });
    assert.deepEqual((await ok(sim, 'pve1', 'GET', '/cluster/options')).migration, { type: 'insecure' });
    assert.match((await fails(sim, 'pve1', 'PUT', '/cluster/options', { migration: 'secure,network=10.20.30.0' }, 400)).errors!.migration!, /CIDR/);
    assert.match((await fails(sim, 'pve1', 'PUT', '/cluster/options', { migration: 'fast' }, 400)).errors!.migration!, /enumeration/);
    assert.match((await fails(sim, 'pve1', 'PUT', '/cluster/options', { ha: 'shutdown_policy=never' }, 400)).errors!.ha!, /enumeration/);
    assert.match((await fails(sim, 'pve1', 'PUT', '/cluster/options', { crs: 'ha=static,foo=1' }, 400)).errors!.crs!, /crs\.foo: property is not defined/);
    await ok(sim, 'pve1', 'PUT', '/cluster/options', { delete: 'crs,ha' });
    const after = await ok(sim, 'pve1', 'GET', '/cluster/options');
    assert.deepEqual(Object.keys(after).sort(), ['keyboard', 'migration']);
  });
});
