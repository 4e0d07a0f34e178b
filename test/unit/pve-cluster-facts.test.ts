// The pure rules behind the Proxmox cluster, membership, options and HA types: quorum through a
// plan's joins and removals, probe outputs, property strings, fixed attributes, HA per release.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { PlannedChange } from '../../engine/provider.js';
import {
  clusterMajor,
  haReleaseProblem,
  interfaceAddresses,
  isQuorate,
  linkAddress,
  majorOf,
  members,
  normalizeFingerprint,
  parsePing,
  parsePropertyString,
  plannedMembers,
  quorumWalk,
  type Member,
} from '../../providers/proxmox/resources/cluster-facts.js';
import { clusterChangeProblems } from '../../providers/proxmox/resources/cluster.js';
import { nodeChangeProblems } from '../../providers/proxmox/resources/cluster-node.js';
import { observeOptions, optionStrings } from '../../providers/proxmox/resources/cluster-options.js';
import { haResourceParams, haResourceReleaseProblems } from '../../providers/proxmox/resources/ha-resource.js';
import { ruleParams, ruleShapeProblems } from '../../providers/proxmox/resources/ha-rule.js';
import type { Snapshot } from '../../providers/proxmox/snapshot.js';

const REF = JSON.parse(fs.readFileSync('/work/shared/reference/pve-api.json', 'utf8')) as { endpoints: Record<string, Record<string, { params: Record<string, { default?: unknown; enum?: string[]; sub?: Record<string, { default?: unknown; enum?: string[] }> }> }>> };

const m = (name: string, online: boolean, votes = 1): Member => ({ name, online, votes });

test('quorum: more than half of the expected votes', () => {
  assert.equal(isQuorate(2, 3), true);
  assert.equal(isQuorate(1, 2), false);
  assert.equal(isQuorate(2, 4), false);
  assert.equal(isQuorate(0, 0), false);
});

test('quorum walk: removing offline nodes is fine while quorate; a cluster without quorum refuses every step', () => {
  const three = [m('pve1', true), m('pve2', true), m('pve3', false)];
  assert.deepEqual(quorumWalk(three, [{ kind: 'remove', node: 'pve3' }]), []);
  // two of four online: not quorate now, so the first removal is refused; offline nodes count as absent
  const four = [m('pve1', true), m('pve2', true), m('pve3', false), m('pve4', false)];
  const p = quorumWalk(four, [{ kind: 'remove', node: 'pve3' }, { kind: 'remove', node: 'pve4' }]);
  assert.equal(p.length, 2, 'the walk goes on as if the refused step did not run');
  assert.deepEqual(
    p.map((x) => [x.step.node, x.when, x.online, x.expected]),
    [
      ['pve3', 'before', 2, 4],
      ['pve4', 'before', 2, 4],
    ],
  );
  // cumulative: two offline nodes of five removed one after the other, three online throughout
  const five = [m('a', true), m('b', true), m('c', true), m('d', false), m('e', false)];
  assert.deepEqual(quorumWalk(five, [{ kind: 'remove', node: 'd' }, { kind: 'remove', node: 'e' }]), []);
  // a join adds its votes to both counts
  assert.deepEqual(quorumWalk([m('a', true)], [{ kind: 'join', node: 'b', votes: 1 }, { kind: 'join', node: 'c', votes: 1 }]), []);
  // removing an online node (the preflight refuses it anyway) can leave the rest without quorum
  const after = quorumWalk([m('a', true), m('b', true), m('c', false)], [{ kind: 'remove', node: 'b' }]);
  assert.deepEqual(after.map((x) => [x.when, x.online, x.expected]), [['after', 1, 2]]);
});

test('members from /cluster/status and /cluster/config/nodes: votes, links, node-id order', () => {
  const snap: Snapshot = {
    apiNode: 'pve1',
    unreachable: new Map(),
    cluster: { name: 'lab', quorate: true, nodes: 2, version: 3 },
    nodes: new Map([
      ['pve1', { name: 'pve1', nodeid: 1, ip: '10.20.0.11', online: true }],
      ['pve2', { name: 'pve2', nodeid: 2, ip: '10.20.0.12', online: false }],
    ]),
    corosync: new Map([
      ['pve2', { node: 'pve2', nodeid: '2', quorum_votes: '2', ring0_addr: '10.20.10.12' }],
      ['pve1', { node: 'pve1', nodeid: '1', quorum_votes: '1', ring0_addr: '10.20.10.11', ring1_addr: '10.20.20.11' }],
    ]),
    versions: new Map([
      ['pve1', { version: '9.1.1' }],
      ['pve2', { version: '8.4.1' }],
    ]),
  };
  const list = members(snap);
  assert.deepEqual(list.map((x) => [x.name, x.nodeid, x.votes, x.online, x.link0, x.link1 ?? null]), [
    ['pve1', 1, 1, true, '10.20.10.11', '10.20.20.11'],
    ['pve2', 2, 2, false, '10.20.10.12', null],
  ]);
  assert.deepEqual(clusterMajor(snap), { major: 8, node: 'pve2', version: '8.4.1' });
  assert.equal(members({ apiNode: 'pve1', unreachable: new Map() }).length, 0, 'no cluster, no members');

  const changes: PlannedChange[] = [
    { address: 'proxmox_cluster_node.a', type: 'proxmox_cluster_node', action: 'create', before: null, after: { node: 'pve3' }, changedPaths: [] },
    { address: 'proxmox_cluster_node.b', type: 'proxmox_cluster_node', action: 'delete', before: { node: 'pve2', id: 'pve2' }, after: null, changedPaths: [] },
  ];
  assert.deepEqual(plannedMembers(snap, changes).names.sort(), ['pve1', 'pve3']);
});

test('probe outputs, fingerprints, addresses and link strings', () => {
  const ok = '--- 10.20.10.12 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 2003ms\nrtt min/avg/max/mdev = 0.181/0.254/0.312/0.054 ms\n';
  assert.deepEqual(parsePing(ok), { loss: 0, avgMs: 0.254 });
  assert.deepEqual(parsePing('3 packets transmitted, 0 received, 100% packet loss, time 2051ms\n'), { loss: 100, avgMs: undefined });
  assert.equal(normalizeFingerprint('sha256:abcd' + 'ef'.repeat(30)), 'AB:CD:' + Array(30).fill('EF').join(':'));
  assert.equal(linkAddress('address=10.0.0.1,priority=5'), '10.0.0.1');
  assert.equal(linkAddress('10.0.0.2'), '10.0.0.2');
  assert.equal(majorOf('8.4.1'), 8);
  assert.equal(majorOf('pve-manager/9.1.1/abcdef'), 9);
  const addrs = interfaceAddresses([{ iface: 'vmbr0', cidr: '10.20.0.11/24' }, { iface: 'eno2', address: '10.20.10.11' }, { iface: 'eno4' }]);
  assert.deepEqual([...addrs.keys()], ['10.20.0.11', '10.20.10.11']);
});

test('cluster options: property strings round trip; unmanaged CRS keys are kept; defaults from the reference', () => {
  const sub = REF.endpoints['/cluster/options']!.PUT!.params;
  const defaults = observeOptions({});
  assert.equal(defaults.migration_type, sub.migration!.sub!.type!.default);
  assert.equal(defaults.ha_shutdown_policy, sub.ha!.sub!.shutdown_policy!.default);
  assert.equal(defaults.crs_ha, sub.crs!.sub!.ha!.default);
  assert.equal(defaults.crs_rebalance_on_start, false);
  assert.deepEqual(parsePropertyString('secure,network=10.20.30.0/24', 'type'), { type: 'secure', network: '10.20.30.0/24' });
  // GET /cluster/options answers datacenter.cfg parsed: objects, numbers for flags
  assert.deepEqual(observeOptions({ migration: { type: 'insecure' }, crs: { ha: 'static', 'ha-rebalance-on-start': 1 } }), { ...defaults, migration_type: 'insecure', crs_ha: 'static', crs_rebalance_on_start: true });

  const want = { migration_type: 'insecure', migration_network: '10.20.30.0/24', ha_shutdown_policy: 'migrate', crs_ha: 'static', crs_rebalance_on_start: true };
  const s = optionStrings(want, { crs: 'ha=basic,ha-auto-rebalance=1' });
  assert.equal(s.migration, 'type=insecure,network=10.20.30.0/24', 'the type is always written with the network');
  assert.equal(s.ha, 'shutdown_policy=migrate');
  assert.equal(s.crs, 'ha=static,ha-rebalance-on-start=1,ha-auto-rebalance=1');
  const back = observeOptions(s);
  for (const [k, v] of Object.entries(want)) assert.equal(back[k], v, k);
});

test('fixed attributes: cluster name, first node and links; a member\'s links and votes', () => {
  const before = { cluster_name: 'lab', node: 'pve1', link0: '10.20.10.11', link1: null };
  assert.deepEqual(clusterChangeProblems(before, { ...before }, undefined), []);
  const p = clusterChangeProblems(before, { ...before, cluster_name: 'prod', link0: '10.20.10.99' }, m('pve1', true));
  assert.deepEqual(p.map((x) => x.attr), ['cluster_name', 'link0']);
  assert.match(p[0]!.detail, /cannot rename/);
  assert.match(p[1]!.detail, /corosync\.conf/);
  // corosync already moved there by hand: the new link is accepted
  assert.deepEqual(clusterChangeProblems(before, { ...before, link0: '10.20.10.99' }, { ...m('pve1', true), link0: '10.20.10.99' }), []);

  const nb = { cluster: 'lab', node: 'pve2', link0: '10.20.10.12', link1: '10.20.20.12', votes: 1, join_via: 'ssh' };
  assert.deepEqual(nodeChangeProblems(nb, { ...nb, join_via: 'api' }), [], 'how it joined may change');
  assert.deepEqual(nodeChangeProblems(nb, { ...nb, link1: null, votes: 2 }).map((x) => x.attr), ['link1', 'votes']);
});

test('HA: groups on 8, rules on 9; parameters per rule type and per release, enums from the reference', () => {
  assert.match(haReleaseProblem('group', { major: 9, node: 'pve1', version: '9.1.1' })!.detail, /proxmox_ha_rule/);
  assert.equal(haReleaseProblem('group', { major: 8, node: 'pve1', version: '8.4.1' }), undefined);
  assert.match(haReleaseProblem('rule', { major: 8, node: 'pve2', version: '8.4.1' })!.summary, /8\.4\.1.*pve2/);

  const ruleTypes = REF.endpoints['/cluster/ha/rules']!.POST!.params.type!.enum!;
  assert.deepEqual(ruleTypes, ['node-affinity', 'resource-affinity']);
  const na = ruleParams({ type: 'node-affinity', resources: ['vm:100'], nodes: ['pve1:2', 'pve2'], strict: true });
  assert.deepEqual([na.nodes, na.strict, 'affinity' in na], ['pve1:2,pve2', true, false]);
  const ra = ruleParams({ type: 'resource-affinity', resources: ['vm:100', 'vm:101'], affinity: 'negative', strict: false });
  assert.deepEqual([ra.affinity, 'nodes' in ra, 'strict' in ra], ['negative', false, false]);
  assert.deepEqual(ruleShapeProblems({ type: 'resource-affinity', resources: ['vm:100'], nodes: ['pve1'] }).map((x) => x.summary), ['a resource-affinity rule needs affinity', 'nodes belong to node-affinity rules']);

  const res = REF.endpoints['/cluster/ha/resources']!.POST!.params;
  const v9 = haResourceParams({ sid: 'vm:100', failback: false }, 9, 'create');
  assert.deepEqual([v9.state, v9.max_restart, v9.max_relocate, v9.failback, 'group' in v9], [res.state!.default, res.max_restart!.default, res.max_relocate!.default, false, false]);
  const v8 = haResourceParams({ sid: 'vm:100', group: 'g1' }, 8, 'update');
  assert.deepEqual([v8.group, 'failback' in v8, v8.delete], ['g1', false, 'comment']);
  assert.deepEqual(haResourceReleaseProblems({ group: 'g1' }, 9).map((x) => x.attr), ['group']);
  assert.deepEqual(haResourceReleaseProblems({ failback: false }, 8).map((x) => x.attr), ['failback']);
});
