// bench/pve-observe: observes a simulated Proxmox VE cluster of 16 nodes holding 1,000 VMs through
// the proxmox provider over HTTPS on loopback, the way a plan of a configuration managing it would:
// the cluster, its members, options, every node's network, the storages, HA resources on 20 of the
// VMs and 10 VMs it manages; each type asked for the ids state would hold. Prints the API requests it
// took (counted by the lab's servers; target ≤ 3 + 2 × nodes), the time (target ≤ 1 s, best of 3),
// and how many asked objects were found (all, or the observation is wrong).
//
// The cluster is formed through the provider itself (create on the first node, API joins), then
// the VMs are added to the simulated nodes (a joining node must hold none, so they come after).

import { setMaxListeners } from 'node:events';
import { providerProxmox } from '../providers/proxmox/index.js';
import { labNodesValue, startPveLab } from '../providers/proxmox/sim/lab.js';
import type { Attrs, ObserveRequest, ProviderContext } from '../engine/provider.js';

const NODES = Number(process.env.BENCH_PVE_NODES ?? 16);
const VMS = Number(process.env.BENCH_PVE_VMS ?? 1000);
const HA_VMS = 20;

const lab = await startPveLab({ nodes: NODES, latencyScale: 0, authFailDelayMs: 50 });
try {
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // every parallel request listens on it, as in the CLI
  const ctx: ProviderContext = { rootDir: process.cwd(), log() {}, signal };
  const config: Attrs = { nodes: labNodesValue(lab), api_token: `${lab.tokenId}=${lab.tokenSecret}`, known_hosts_file: lab.knownHostsFile, ssh_password: lab.password };
  const link = (i: number, net: number) => `10.20.${net}.${11 + i}`;

  // Form the cluster, as an apply of proxmox_cluster and proxmox_cluster_node would.
  const setup = await providerProxmox.connect(config, ctx);
  await providerProxmox.create(setup, 'proxmox_cluster', { cluster_name: 'bench', node: lab.nodes[0]!.name, link0: link(0, 10), link1: link(0, 20) }, ctx);
  for (let i = 1; i < NODES; i++) {
    const n = lab.nodes[i]!;
    await providerProxmox.create(setup, 'proxmox_cluster_node', { cluster: 'bench', node: n.name, link0: link(i, 10), link1: link(i, 20), votes: 1, join_via: 'api', join_password: lab.password }, ctx);
  }
  await setup.close();

  // The VMs, spread over the nodes; some are templates, some HA-managed.
  const vmids: number[] = [];
  for (let i = 0; i < NODES; i++) vmids.push(...lab.sim.addGuests(lab.nodes[i]!.name, Math.floor(VMS / NODES) + (i < VMS % NODES ? 1 : 0)));
  const ha = vmids.slice(0, HA_VMS).map((id) => `vm:${id}`);
  const admin = await providerProxmox.connect(config, ctx);
  for (const sid of ha) await providerProxmox.create(admin, 'proxmox_ha_resource', { sid, state: 'started', max_restart: 1, max_relocate: 1 }, ctx);
  await admin.close();

  const names = lab.nodes.map((n) => n.name);
  const ids: Record<string, string[]> = {
    proxmox_cluster: ['bench'],
    proxmox_cluster_node: names.slice(1),
    proxmox_cluster_options: ['cluster'],
    proxmox_node_network: names,
    proxmox_storage: ['local', 'local-lvm'],
    proxmox_ha_resource: ha,
    proxmox_vm: vmids.slice(HA_VMS, HA_VMS + 10).map(String),
    proxmox_vm_template: [],
  };
  const types = providerProxmox.schemas.filter((s) => s.kind === 'resource').map((s) => s.type);
  const requests: ObserveRequest[] = types.map((type) => ({ type, ids: ids[type] ?? [] }));
  const asked = requests.reduce((a, r) => a + r.ids.length, 0);

  let best = Infinity;
  let counted = 0;
  let found = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    const before = lab.requests();
    const t0 = performance.now();
    const session = await providerProxmox.connect(config, ctx);
    const result = await providerProxmox.observe(session, requests, ctx);
    const ms = performance.now() - t0;
    counted = lab.requests() - before;
    found = new Map(requests.map((r) => [r.type, result.get(r.type)?.length ?? 0]));
    await session.close();
    best = Math.min(best, ms);
  }
  const matched = [...found.values()].reduce((a, b) => a + b, 0);
  const missing = requests.filter((r) => found.get(r.type) !== r.ids.length).map((r) => `${r.type} ${found.get(r.type)}/${r.ids.length}`);
  const budget = 3 + 2 * NODES;
  console.log(`observe a cluster of ${NODES} nodes and ${VMS} VMs (${types.length} resource types, ${asked} objects asked for):`);
  console.log(`  requests: ${counted}, connect included (target ≤ 3 + 2 × ${NODES} = ${budget})${counted <= budget ? '' : '  OVER BUDGET'}`);
  console.log(`  time: ${best.toFixed(0)} ms (best of 3; target ≤ 1000 ms)`);
  console.log(`  objects: ${matched} of ${asked} found${missing.length ? `; NOT FOUND: ${missing.join(', ')}` : ''}`);
  if (missing.length || counted > budget) process.exitCode = 1;
} finally {
  await lab.stop();
}
