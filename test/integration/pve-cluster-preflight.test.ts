// The join and removal preconditions, checked by the provider before anything changes, against
// the simulated lab over loopback: a joining node holding guests, running another major release,
// giving a link address it does not have or fewer links than the cluster, too far (latency on the
// corosync network) or with a skewed clock; joins while the cluster has no quorum; and SSH probes
// that cannot run. Each refusal names the node, the rule and the remedy, and create refuses too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { providerProxmox as p } from '../../providers/proxmox/index.js';
import { change, formCluster, observeOne, providerCtx, providerPreflight, startPveTestLab, withDefaults, withPveLab } from './pve-harness.js';

const link = (i: number, net: number) => `10.20.${net}.${10 + i}`;
const join = (i: number, extra: Record<string, unknown> = {}) => withDefaults('proxmox_cluster_node', { cluster: 'lab', node: `pve${i}`, link0: link(i, 10), link1: link(i, 20), ...extra });
const errors = (d: { severity: string; summary: string }[]) => d.filter((x) => x.severity === 'error').map((x) => x.summary);

test('refused joins: guests, another major release, link addresses, links, latency, clock', async () => {
  await withPveLab({ nodes: 5, nodeSpecs: [{}, { version: '8.4.1' }, { guests: 2 }, {}, {}] }, async (x, s) => {
    const c = await p.create(s, 'proxmox_cluster', withDefaults('proxmox_cluster', { cluster_name: 'lab', node: 'pve1', link0: link(1, 10), link1: link(1, 20) }), providerCtx());
    assert.equal(c.attrs.node_count, 1);
    x.lab.sim.faults.setLinkLatency('pve1', 'pve5', 5);
    x.lab.sim.faults.setClockSkew('pve5', 5000);

    const d = await providerPreflight(s, [
      change('proxmox_cluster_node.pve2', 'create', join(2)),
      change('proxmox_cluster_node.pve3', 'create', join(3)),
      change('proxmox_cluster_node.pve4', 'create', join(4, { link0: '10.20.10.99', link1: null })),
      change('proxmox_cluster_node.pve5', 'create', join(5)),
    ]);
    const by = (a: string) => d.filter((x) => x.address === a);
    assert.deepEqual(errors(by('proxmox_cluster_node.pve2')), ['pve2: same major version: it runs Proxmox VE 8.4.1, the cluster 9.1.1 (pve1)']);
    assert.match(by('proxmox_cluster_node.pve2')[0]!.detail!, /upgrade pve2 to Proxmox VE 9 first/);
    const guests = by('proxmox_cluster_node.pve3');
    assert.equal(guests.length, 1);
    assert.match(guests[0]!.summary, /^pve3: no guests on a joining node: it holds VM \d+( \([^)]*\))?, VM \d+/);
    assert.match(guests[0]!.detail!, /vzdump.*new VMIDs/s);
    assert.deepEqual(errors(by('proxmox_cluster_node.pve4')), [
      'pve4: link0 address on the node: 10.20.10.99 is not configured on any of its interfaces',
      'pve4: same corosync links as the cluster: cluster "lab" uses two links (link0 and link1) and the join gives only link0',
    ]);
    assert.match(by('proxmox_cluster_node.pve4')[0]!.detail!, /10\.20\.10\.14 \(eno2\)/, 'the remedy lists the addresses the node has');
    assert.deepEqual(errors(by('proxmox_cluster_node.pve5')), [
      'pve5: clock in sync: its clock is 5.0 s ahead of pve1\'s',
      'pve5: corosync network latency: 5 ms to pve1 (10.20.10.11); corosync needs less than 2 ms',
    ]);
    assert.equal(d.length, 6, d.map((x) => x.summary).join('\n'));

    // create checks again before joining, and refuses with the same reasons
    await assert.rejects(p.create(s, 'proxmox_cluster_node', join(2), providerCtx()), /pve2: same major version/);
    await assert.rejects(p.create(s, 'proxmox_cluster_node', join(5), providerCtx()), (e: Error) => /clock in sync/.test(e.message) && /corosync network latency/.test(e.message));
    // the latency fault gone and the clock fixed: pve5 joins
    x.lab.sim.faults.setLinkLatency('pve1', 'pve5', undefined);
    x.lab.sim.faults.setClockSkew('pve5', 0);
    const n5 = await p.create(s, 'proxmox_cluster_node', join(5), providerCtx());
    assert.equal(n5.attrs.online, true);

    // the platform's own refusal of an API join comes back with its message, and nothing is recorded
    x.lab.sim.faults.failTasks('clusterjoin', 'detected the following error(s):\n* corosync: simulated refusal');
    const ctx = providerCtx('proxmox_cluster_node.pve4');
    await assert.rejects(p.create(s, 'proxmox_cluster_node', join(4, { join_via: 'api', join_password: x.lab.password }), ctx), (e: Error) => {
      assert.match(e.message, /^node pve4 joining cluster "lab": .*corosync: simulated refusal/s);
      assert.doesNotMatch(e.message, new RegExp(x.lab.password));
      return true;
    });
    assert.equal(ctx.tasks.length, 1, 'the failed task was journalled');
    assert.equal(await observeOne(s, 'proxmox_cluster_node', 'pve4'), undefined);
  });
});

test('a cluster created in the same plan: joins checked against its first node; a cluster name that differs is refused', async () => {
  await withPveLab({ nodes: 3, nodeSpecs: [{}, {}, { version: '8.4.1' }] }, async (_x, s) => {
    const create = change('proxmox_cluster.lab', 'create', withDefaults('proxmox_cluster', { cluster_name: 'lab', node: 'pve1', link0: link(1, 10), link1: link(1, 20) }));
    const d = await providerPreflight(s, [create, change('proxmox_cluster_node.pve2', 'create', join(2, { cluster: 'lba' })), change('proxmox_cluster_node.pve3', 'create', join(3))]);
    assert.deepEqual(
      d.map((x) => [x.address, x.summary]),
      [
        ['proxmox_cluster_node.pve2', 'pve2: same cluster: it names cluster "lba", but the provider\'s nodes will form "lab"'],
        ['proxmox_cluster_node.pve3', 'pve3: same major version: it runs Proxmox VE 8.4.1, the cluster 9.1.1 (pve1)'],
      ],
    );
    assert.equal(d[0]!.suggestion, 'lab');
    // a join with no cluster at all
    const none = await providerPreflight(s, [change('proxmox_cluster_node.pve2', 'create', join(2))]);
    assert.deepEqual(none.map((x) => x.summary), ['pve2: cluster exists: there is no cluster "lab" among the provider\'s nodes, and this plan creates none']);
    await assert.rejects(p.create(s, 'proxmox_cluster_node', join(2), providerCtx()), /none of the provider's nodes belongs to a cluster yet.*proxmox_cluster\.<name>\.id/s);
    // creating it on a node whose link address is wrong
    const bad = await providerPreflight(s, [change('proxmox_cluster.lab', 'create', withDefaults('proxmox_cluster', { cluster_name: 'lab', node: 'pve1', link0: '10.20.10.12' }))]);
    assert.deepEqual(bad.map((x) => x.summary), ['pve1: link0 address on the node: 10.20.10.12 is not configured on any of its interfaces']);
  });
});

test('no quorum: joins and removals refused with the remedy; cluster options writes report it', async () => {
  await withPveLab({ nodes: 4 }, async (x, s0) => {
    const s = await formCluster(x, 3);
    void s0;
    x.lab.sim.powerOff('pve2');
    x.lab.sim.powerOff('pve3');
    s.invalidate();
    const d = await providerPreflight(s, [
      change('proxmox_cluster_node.pve3', 'delete', null, { id: 'pve3', node: 'pve3', cluster: 'lab' }),
      change('proxmox_cluster_node.pve4', 'create', join(4)),
    ]);
    const quorum = d.filter((x) => /quorum/.test(x.summary));
    assert.deepEqual(
      quorum.map((x) => [x.address, x.summary]),
      [
        ['proxmox_cluster_node.pve3', 'pve3: quorum: cluster "lab" has no quorum when removing it would run (1 of 3 expected votes online)'],
        ['proxmox_cluster_node.pve4', 'pve4: quorum: cluster "lab" has no quorum when joining it would run (1 of 3 expected votes online)'],
      ],
    );
    assert.match(quorum[0]!.detail!, /pvecm expected/);
    await assert.rejects(p.create(s, 'proxmox_cluster_options', withDefaults('proxmox_cluster_options', { migration_network: '10.20.30.0/24' }), providerCtx()), (e: Error) => {
      assert.match(e.message, /cluster options.*no quorum/s);
      assert.match(e.message, /pvecm expected/);
      return true;
    });
  });
});

test('SSH probes that cannot run: a warning for an API join, an error for an SSH join', async () => {
  const x = await startPveTestLab({ nodes: 2 }, { ssh_password: undefined });
  try {
    const s = await x.session();
    await p.create(s, 'proxmox_cluster', withDefaults('proxmox_cluster', { cluster_name: 'lab', node: 'pve1', link0: link(1, 10) }), providerCtx());
    const api = await providerPreflight(s, [change('proxmox_cluster_node.pve2', 'create', join(2, { link1: null, join_via: 'api' }))]);
    assert.deepEqual(api.map((d) => [d.severity, d.summary]), [['warning', 'pve2: probes skipped: no SSH password or private key in the provider block, so the clock and corosync latency probes were skipped']]);
    const ssh = await providerPreflight(s, [change('proxmox_cluster_node.pve2', 'create', join(2, { link1: null }))]);
    assert.deepEqual(ssh.map((d) => d.severity), ['error']);
    assert.match(ssh[0]!.summary, /pve2: SSH to the joining node: .*join_via = "ssh" runs pvecm add over SSH/);
  } finally {
    await x.stop();
  }
});
