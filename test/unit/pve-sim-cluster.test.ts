// The simulator's cluster model: create on a standalone node, join over the API and with
// `pvecm add`, /cluster/status and quorum, power loss and the "no quorum" write refusal, node
// removal (and the rogue node a running removal leaves), and every join refusal the spec names.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAB_PASSWORD } from '../../providers/proxmox/sim/cluster.js';
import { call, cluster, fails, fp, lab, ok, task, taskFails } from './pve-sim-harness.js';

describe('pve sim: cluster', () => {
  it('creates a cluster, joins over the API and pvecm add, and reports status from any node', async () => {
    const sim = lab(4);
    const before = await ok(sim, 'pve1', 'GET', '/cluster/status');
    assert.deepEqual(before.map((r: any) => r.type), ['node']);
    const created = await task(sim, 'pve1', 'POST', '/cluster/config', { clustername: 'lab', link0: '10.20.10.11', link1: 'address=10.20.20.11,priority=10' });
    assert.equal(created.type, 'clustercreate');
    assert.equal(created.id, 'lab');
    assert.equal(sim.clusterName('pve1'), 'lab');

    const joined = await task(sim, 'pve2', 'POST', '/cluster/config/join', { hostname: '10.20.0.11', fingerprint: fp(1), password: LAB_PASSWORD, link0: '10.20.10.12', link1: '10.20.20.12' });
    assert.equal(joined.type, 'clusterjoin');
    const noSsh = await sim.shell('pve3', 'pvecm add 10.20.0.11 --link0 10.20.10.13 --link1 10.20.20.13');
    assert.equal(noSsh.code, 255);
    const add = await sim.shell('pve3', 'pvecm add --use_ssh 10.20.0.11 --link0 10.20.10.13 --link1 10.20.20.13');
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /successfully added node 'pve3' to cluster/);

    // any node answers cluster paths, with the same view
    for (const n of ['pve1', 'pve2', 'pve3']) {
      const st = await ok(sim, n, 'GET', '/cluster/status');
      const c = st.find((r: any) => r.type === 'cluster');
      assert.deepEqual({ name: c.name, nodes: c.nodes, quorate: c.quorate }, { name: 'lab', nodes: 3, quorate: 1 });
      const mine = st.find((r: any) => r.type === 'node' && r.local === 1);
      assert.equal(mine.name, n);
    }
    const nodes = await ok(sim, 'pve3', 'GET', '/cluster/config/nodes');
    assert.deepEqual(
      nodes.map((n: any) => [n.name, n.nodeid, n.ring0_addr, n.ring1_addr]),
      [
        ['pve1', '1', '10.20.10.11', '10.20.20.11'],
        ['pve2', '2', '10.20.10.12', '10.20.20.12'],
        ['pve3', '3', '10.20.10.13', '10.20.20.13'],
      ],
    );
    const totem = await ok(sim, 'pve2', 'GET', '/cluster/config/totem');
    assert.equal(totem.cluster_name, 'lab');
    assert.deepEqual(Object.keys(totem.interface).sort(), ['0', '1']);
    assert.equal(totem.interface['1'].knet_link_priority, '10');
    // the joiner's /etc/pve is the cluster's: one storage.cfg, one token.cfg, one ticket key
    assert.equal(sim.authKey('pve2'), sim.authKey('pve1'));
    assert.notEqual(sim.authKey('pve4'), sim.authKey('pve1'));
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'nfs1', type: 'nfs', server: '10.20.40.5', export: '/export/pve' });
    assert.ok((await ok(sim, 'pve3', 'GET', '/storage')).some((s: any) => s.storage === 'nfs1'));
    assert.ok(!(await ok(sim, 'pve4', 'GET', '/storage')).some((s: any) => s.storage === 'nfs1'));

    // pvecm status in the documented layout
    const status = await sim.shell('pve2', 'pvecm status');
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^Quorate: Yes$/m);
    assert.match(status.stdout, /^Expected votes: 3$/m);
    assert.match(status.stdout, /^Total votes: 3$/m);
    assert.match(status.stdout, /^Quorum: 2$/m);
    assert.match(status.stdout, /^Nodeid Votes Name$/m);
    assert.match(status.stdout, /^0x00000002 1 10\.20\.10\.12 \(local\)$/m);
    const pvecmNodes = await sim.shell('pve1', 'pvecm nodes');
    assert.deepEqual(pvecmNodes.stdout.trim().split('\n').slice(3), ['1 1 pve1 (local)', '2 1 pve2', '3 1 pve3']);
    const standalone = await sim.shell('pve4', 'pvecm status');
    assert.equal(standalone.code, 2);
    assert.match(standalone.stderr, /Corosync config '\/etc\/pve\/corosync.conf' does not exist - is this node part of a cluster\?/);
    const conf = await sim.shell('pve1', 'cat /etc/pve/corosync.conf');
    assert.match(conf.stdout, /cluster_name: lab/);
    assert.match(conf.stdout, /ring1_addr: 10\.20\.20\.13/);
  });

  it('loses quorum when too many nodes go down: reads work, cluster-wide writes answer 500', async () => {
    const sim = lab(3);
    await cluster(sim, 3);
    sim.powerOff('pve3');
    assert.equal(sim.nodes().find((n) => n.name === 'pve3')!.reachable, false);
    let st = await ok(sim, 'pve1', 'GET', '/cluster/status');
    assert.equal(st.find((r: any) => r.name === 'pve3').online, 0);
    assert.equal(st.find((r: any) => r.type === 'cluster').quorate, 1);
    const res = await ok(sim, 'pve1', 'GET', '/cluster/resources', { type: 'node' });
    assert.equal(res.find((r: any) => r.node === 'pve3').status, 'offline');
    const proxied = await call(sim, 'pve1', 'GET', '/nodes/pve3/status');
    assert.equal(proxied.status, 595);

    sim.powerOff('pve2');
    st = await ok(sim, 'pve1', 'GET', '/cluster/status');
    assert.equal(st.find((r: any) => r.type === 'cluster').quorate, 0);
    assert.deepEqual(sim.quorum('pve1'), { clustered: true, quorate: false, expected: 3, total: 1, members: ['pve1'] });
    await fails(sim, 'pve1', 'POST', '/storage', { storage: 'd2', type: 'dir', path: '/srv/d2' }, 500, /^cluster not ready - no quorum\?$/);
    await fails(sim, 'pve1', 'PUT', '/cluster/options', { keyboard: 'de' }, 500, /no quorum/);
    await fails(sim, 'pve1', 'POST', '/nodes/pve1/qemu', { vmid: 100 }, 500, /no quorum/);
    await fails(sim, 'pve1', 'DELETE', '/cluster/config/nodes/pve3', {}, 500, /no quorum/);
    assert.match((await sim.shell('pve1', 'pvecm status')).stdout, /^Quorate: No$/m);
    assert.ok((await ok(sim, 'pve1', 'GET', '/storage')).length >= 2, 'reads still work');

    // pvecm expected 1 restores quorum for recovery
    assert.equal((await sim.shell('pve1', 'pvecm expected 1')).code, 0);
    assert.equal(sim.quorum('pve1').quorate, true);
    sim.powerOn('pve2');
    assert.equal(sim.quorum('pve1').quorate, true);
    assert.equal(sim.quorum('pve1').expected, 2);
  });

  it('removes a powered-off node (votes drop); a running node removed becomes rogue', async () => {
    const sim = lab(4);
    await cluster(sim, 4);
    sim.powerOff('pve4');
    await fails(sim, 'pve1', 'DELETE', '/cluster/config/nodes/pve1', {}, 500, /^Cannot delete myself from cluster!$/);
    await fails(sim, 'pve1', 'DELETE', '/cluster/config/nodes/pve9', {}, 500, /^Node\/IP: pve9 is not a known host of the cluster\.$/);
    await ok(sim, 'pve1', 'DELETE', '/cluster/config/nodes/pve4');
    assert.deepEqual(sim.quorum('pve2'), { clustered: true, quorate: true, expected: 3, total: 3, members: ['pve1', 'pve2', 'pve3'] });
    const st = await ok(sim, 'pve2', 'GET', '/cluster/status');
    assert.equal(st.find((r: any) => r.type === 'cluster').nodes, 3);
    // it comes back believing in the old cluster, but is out of it
    sim.powerOn('pve4');
    assert.equal(sim.nodeState('pve4').rogue, true);
    assert.equal(sim.quorum('pve4').quorate, false);
    assert.equal(sim.quorum('pve1').members.includes('pve4'), false);

    // pvecm delnode of a running node: allowed by the platform, leaves it rogue
    const del = await sim.shell('pve1', 'pvecm delnode pve3');
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, '');
    assert.equal(sim.nodeState('pve3').rogue, true);
    assert.equal(sim.quorum('pve1').expected, 2);
    assert.notEqual(sim.authKey('pve3'), undefined);
    await ok(sim, 'pve1', 'POST', '/storage', { storage: 'after', type: 'dir', path: '/srv/after' });
    assert.ok(!(await ok(sim, 'pve3', 'GET', '/storage')).some((s: any) => s.storage === 'after'), 'a rogue node no longer shares /etc/pve');
  });

  it('refuses joins with every reason listed (guests, links, version, fingerprint, password)', async () => {
    const sim = lab(4, [{}, {}, { version: '8.4.1' }, {}]);
    await cluster(sim, 1);
    sim.addGuests('pve2', 1);
    const exit = await taskFails(sim, 'pve2', 'POST', '/cluster/config/join', { hostname: 'pve1', fingerprint: fp(9), password: 'wrong', link0: '10.20.10.99' });
    assert.match(exit, /^detected the following error\(s\):\n/);
    const lines = exit.split('\n').filter((l) => l.startsWith('* '));
    assert.ok(lines.includes('* this host already contains virtual guests'), exit);
    assert.ok(lines.includes("* link0: cannot use IP '10.20.10.99', not found on local node!"), exit);
    assert.ok(lines.some((l) => /fingerprint mismatch/.test(l)), exit);
    assert.ok(lines.some((l) => /authentication failed/.test(l)), exit);
    assert.ok(lines.includes('* corosync: the cluster uses link1 but no link1 address was given'), exit);
    assert.equal(sim.clusterName('pve2'), undefined, 'nothing half-joined');

    const v8 = await taskFails(sim, 'pve3', 'POST', '/cluster/config/join', { hostname: '10.20.0.11', fingerprint: fp(1), password: LAB_PASSWORD, link0: '10.20.10.13', link1: '10.20.20.13' });
    assert.match(v8, /version mismatch: this node runs pve-manager\/8\.4\.1, cluster node 'pve1' runs pve-manager\/9\.1\.1/);

    // link1 given to a cluster without link1
    const sim2 = lab(2);
    await task(sim2, 'pve1', 'POST', '/cluster/config', { clustername: 'one' });
    const extra = await sim2.shell('pve2', 'pvecm add pve1 --link0 10.20.0.12 --link1 10.20.20.12 --use_ssh');
    assert.equal(extra.code, 255);
    assert.match(extra.stderr, /\* corosync: link1 given, but the cluster has no link1 configured/);
    assert.match(extra.stderr, /Check if node may join a cluster failed!/);
    // already clustered
    const again = await taskFails(sim, 'pve1', 'POST', '/cluster/config/join', { hostname: 'pve2', fingerprint: fp(2), password: LAB_PASSWORD });
    assert.match(again, /cluster config '\/etc\/pve\/corosync.conf' already exists/);
    // creating twice answers at once
    await fails(sim, 'pve1', 'POST', '/cluster/config', { clustername: 'x' }, 500, /already exists/);
  });

  it('refuses to join a cluster that lost quorum', async () => {
    const sim = lab(4);
    await cluster(sim, 3);
    sim.powerOff('pve2');
    sim.powerOff('pve3');
    const exit = await taskFails(sim, 'pve4', 'POST', '/cluster/config/join', { hostname: 'pve1', fingerprint: fp(1), password: LAB_PASSWORD, link0: '10.20.10.14', link1: '10.20.20.14' });
    assert.match(exit, /\* cluster not ready - no quorum\?/);
  });
});
