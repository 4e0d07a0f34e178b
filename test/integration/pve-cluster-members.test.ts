// A Proxmox cluster formed and shrunk through the provider, against the simulated lab over
// loopback: created on pve1 with two corosync links (task journalled), observed, planned again
// with no change; pve2 joined with `pvecm add` over SSH and pve3 through the API join; quorum and
// votes observed; the nodes data source; the removal of an online node refused, then done once
// the node is powered off (expected votes drop); fixed attributes refused with the reason.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerProxmox as p } from '../../providers/proxmox/index.js';
import { change, observeOne, planOf, providerCtx, providerPreflight, withDefaults, withPveLab } from './pve-harness.js';

const link = (i: number, net: number) => `10.20.${net}.${10 + i}`;
const clusterCfg = { cluster_name: 'lab', node: 'pve1', link0: link(1, 10), link1: link(1, 20) };
const nodeCfg = (i: number, extra: Record<string, unknown> = {}) => withDefaults('proxmox_cluster_node', { cluster: 'lab', node: `pve${i}`, link0: link(i, 10), link1: link(i, 20), ...extra });

test('cluster created, two nodes joined (ssh and api), observed; an online node is not removed, a powered-off one is', async () => {
  await withPveLab({ nodes: 3 }, async (x, s) => {
    // plan-time: everything checks out on standalone nodes
    const cfg = withDefaults('proxmox_cluster', clusterCfg);
    assert.deepEqual(await providerPreflight(s, [change('proxmox_cluster.lab', 'create', cfg)]), []);

    const ctx = providerCtx('proxmox_cluster.lab');
    const c = await p.create(s, 'proxmox_cluster', cfg, ctx);
    assert.equal(c.id, 'lab');
    assert.equal(ctx.tasks.length, 1, 'the clustercreate task was journalled');
    assert.match(ctx.tasks[0]!, /^UPID:pve1:.*:clustercreate:/);
    assert.deepEqual([c.attrs.quorate, c.attrs.expected_votes, c.attrs.total_votes, c.attrs.node_count], [true, 1, 1, 1]);
    assert.equal(c.attrs.link1, link(1, 20));
    const seen = await observeOne(s, 'proxmox_cluster', 'lab');
    assert.ok(seen);
    assert.equal(planOf('proxmox_cluster', clusterCfg, c, seen.attrs).action, 'noop', 'a second plan changes nothing');

    // joins: preflight of both at once is clean, then one over SSH, one over the API
    const j2 = nodeCfg(2);
    const j3 = nodeCfg(3, { join_via: 'api', join_password: x.lab.password });
    assert.deepEqual(await providerPreflight(s, [change('proxmox_cluster_node.pve2', 'create', j2), change('proxmox_cluster_node.pve3', 'create', j3)]), []);
    const c2 = providerCtx('proxmox_cluster_node.pve2');
    const n2 = await p.create(s, 'proxmox_cluster_node', j2, c2);
    assert.deepEqual([n2.id, n2.attrs.online, n2.attrs.nodeid, n2.attrs.link0, n2.attrs.votes, n2.attrs.join_via], ['pve2', true, 2, link(2, 10), 1, 'ssh']);
    assert.equal(c2.tasks.length, 0, 'pvecm add over SSH runs no API task');
    assert.ok(c2.logs.some((l) => l.includes(`pvecm add ${x.lab.nodes[0]!.ip} --link0 ${link(2, 10)} --link1 ${link(2, 20)} --use_ssh`)), c2.logs.join('\n'));
    const c3 = providerCtx('proxmox_cluster_node.pve3');
    const n3 = await p.create(s, 'proxmox_cluster_node', j3, c3);
    assert.equal(n3.attrs.join_via, 'api');
    assert.ok(!('join_password' in n3.attrs), 'the join password is never returned');
    assert.equal(c3.tasks.length, 1);
    assert.match(c3.tasks[0]!, /^UPID:pve3:.*:clusterjoin:/);
    assert.doesNotMatch(JSON.stringify([c3.logs, n3]), new RegExp(x.lab.password));

    for (const [cfgN, r] of [[j2, n2], [j3, n3]] as const) {
      const o = await observeOne(s, 'proxmox_cluster_node', r.id);
      assert.ok(o);
      assert.equal(planOf('proxmox_cluster_node', cfgN, r, o.attrs).action, 'noop', `${r.id}: no change planned`);
    }
    const three = await observeOne(s, 'proxmox_cluster', 'lab');
    assert.deepEqual([three!.attrs.quorate, three!.attrs.expected_votes, three!.attrs.total_votes, three!.attrs.node_count], [true, 3, 3, 3]);
    assert.equal(planOf('proxmox_cluster', clusterCfg, c, three!.attrs).action, 'noop', 'votes are observed, not planned');
    // adopting the cluster (import) finds its first node and that node's links: the configuration plans no change
    const imported = await p.importObject!(s, 'proxmox_cluster', 'lab', providerCtx());
    assert.deepEqual([imported!.attrs.node, imported!.attrs.link0, imported!.attrs.link1], ['pve1', link(1, 10), link(1, 20)]);
    assert.equal(planOf('proxmox_cluster', clusterCfg, imported!, imported!.attrs).action, 'noop');

    const data = await p.read!(s, 'proxmox_nodes', {}, providerCtx());
    const nodes = data.nodes as Record<string, { nodeid: number; ip: string; online: boolean; version: string; clustered: boolean; link1: string }>;
    assert.deepEqual(Object.keys(nodes).sort(), ['pve1', 'pve2', 'pve3']);
    assert.deepEqual([nodes.pve3!.nodeid, nodes.pve3!.ip, nodes.pve3!.online, nodes.pve3!.clustered, nodes.pve3!.link1, nodes.pve3!.version], [3, x.lab.nodes[2]!.ip, true, true, link(3, 20), '9.1.1']);
    assert.deepEqual([data.cluster_name, data.quorate, data.expected_votes], ['lab', true, 3]);

    // joining pve2 again: it is a member already (adopt it instead)
    await assert.rejects(p.create(s, 'proxmox_cluster_node', j2, providerCtx()), /already a member of cluster "lab".*import/s);

    // removal of an online node: refused by the preflight and by the operation, nothing changes
    const del = change('proxmox_cluster_node.pve3', 'delete', null, n3.attrs);
    const refused = await providerPreflight(s, [del]);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.severity, 'error');
    assert.equal(refused[0]!.address, 'proxmox_cluster_node.pve3');
    assert.match(refused[0]!.summary, /^pve3: removal only when powered off: the node is online in cluster "lab"/);
    assert.match(refused[0]!.detail!, /migrate its guests.*shut the node down.*never boots into this cluster network again.*reinstall/s);
    await assert.rejects(p.delete(s, 'proxmox_cluster_node', 'pve3', n3.attrs, providerCtx()), /refused: pve3 is online/);
    assert.equal((await observeOne(s, 'proxmox_cluster', 'lab'))!.attrs.expected_votes, 3);

    // powered off: the preflight is clean (2 of 3 votes keep quorum), the removal succeeds, expected votes drop
    x.lab.sim.powerOff('pve3');
    const off = await observeOne(s, 'proxmox_cluster', 'lab');
    assert.deepEqual([off!.attrs.quorate, off!.attrs.expected_votes, off!.attrs.total_votes], [true, 3, 2]);
    assert.equal((await observeOne(s, 'proxmox_cluster_node', 'pve3'))!.attrs.online, false);
    assert.deepEqual(await providerPreflight(s, [del]), []);
    await p.delete(s, 'proxmox_cluster_node', 'pve3', n3.attrs, providerCtx('proxmox_cluster_node.pve3'));
    assert.equal(await observeOne(s, 'proxmox_cluster_node', 'pve3'), undefined, 'gone from the cluster');
    const two = await observeOne(s, 'proxmox_cluster', 'lab');
    assert.deepEqual([two!.attrs.quorate, two!.attrs.expected_votes, two!.attrs.total_votes, two!.attrs.node_count], [true, 2, 2, 2]);
    // deleting what is already gone succeeds
    await p.delete(s, 'proxmox_cluster_node', 'pve3', n3.attrs, providerCtx());
  });
});

test('fixed attributes: renaming the cluster, moving links, changing votes are errors with the reason; deleting the cluster forgets it', async () => {
  await withPveLab({ nodes: 2 }, async (_x, s) => {
    const cfg = withDefaults('proxmox_cluster', clusterCfg);
    const c = await p.create(s, 'proxmox_cluster', cfg, providerCtx());
    const n2 = await p.create(s, 'proxmox_cluster_node', nodeCfg(2), providerCtx());

    const renamed = { ...cfg, cluster_name: 'prod', link0: '10.20.10.99' };
    const d = await providerPreflight(s, [change('proxmox_cluster.lab', 'update', renamed, c.attrs, ['cluster_name', 'link0'])]);
    assert.deepEqual(
      d.map((x) => [x.severity, x.address, x.summary]),
      [
        ['error', 'proxmox_cluster.lab', 'cluster "lab": the name cannot change to "prod"'],
        ['error', 'proxmox_cluster.lab', 'cluster "lab": link0 of pve1 is fixed once the cluster exists ("10.20.10.11" cannot change to "10.20.10.99")'],
      ],
    );
    assert.match(d[0]!.detail!, /cannot rename a cluster/);
    assert.match(d[1]!.detail!, /corosync\.conf.*config_version/s);
    await assert.rejects(p.update(s, 'proxmox_cluster', 'lab', c.attrs, renamed, providerCtx()), /the name cannot change/);

    const moved = { ...nodeCfg(2), votes: 2 };
    const dn = await providerPreflight(s, [change('proxmox_cluster_node.pve2', 'update', moved, n2.attrs, ['votes'])]);
    assert.deepEqual(dn.map((x) => x.summary), ['node pve2: votes are fixed once joined (1 cannot change to 2)']);
    await assert.rejects(p.update(s, 'proxmox_cluster_node', 'pve2', n2.attrs, moved, providerCtx()), /votes are fixed/);
    // how it joined is poolform's own record: an update changes nothing on the platform
    const u = await p.update(s, 'proxmox_cluster_node', 'pve2', n2.attrs, { ...nodeCfg(2), join_via: 'api' }, providerCtx());
    assert.equal(u.attrs.join_via, 'api');

    const gone = await providerPreflight(s, [change('proxmox_cluster.lab', 'delete', null, c.attrs)]);
    assert.deepEqual(gone.map((x) => [x.severity, x.summary]), [['warning', 'cluster "lab" stays: poolform only forgets it']]);
    await p.delete(s, 'proxmox_cluster', 'lab', c.attrs, providerCtx());
    assert.ok(await observeOne(s, 'proxmox_cluster', 'lab'), 'the cluster is still there');
  });
});
