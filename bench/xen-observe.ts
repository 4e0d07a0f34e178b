// bench/xen-observe: observes a simulated pool of 16 hosts, 4 shared SRs, 40 VLAN networks and
// 1,000 VMs through the xenserver provider over HTTPS on loopback, the way a plan of a
// configuration managing all of it would: every resource type, each asked for the uuids of the
// pool's real objects (read from the simulator's database), and prints the requests it took
// (target: at most one per class, ≤ 12 in all), the time (target ≤ 1 s), and how many of the
// asked objects were found (all of them, or the observation is wrong). The requests are counted
// twice: by the client, and by the simulator's own call log. Then what a step pays to see the
// pool again after a change: the refresh from the change feed, against a full re-read.

import { providerXenserver } from '../providers/xenserver/index.js';
import type { XenSession } from '../providers/xenserver/session.js';
import { readSnapshot } from '../providers/xenserver/snapshot.js';
import { startLab } from '../providers/xenserver/sim/lab.js';
import type { ObserveRequest, ProviderContext } from '../engine/provider.js';

const HOSTS = Number(process.env.BENCH_XEN_HOSTS ?? 16);
const VMS = Number(process.env.BENCH_XEN_VMS ?? 1000);

const lab = await startLab({ hosts: HOSTS, latencyScale: 0 });
try {
  lab.sim.populate({ pool: true, srs: 4, networks: 40, vms: VMS });
  const ctx: ProviderContext = { rootDir: process.cwd(), log() {}, signal: new AbortController().signal };
  const config = { url: lab.hosts[0].url, password: lab.password, tls_fingerprints: lab.hosts.map((h) => h.fingerprint), known_hosts_file: lab.knownHostsFile };

  // The uuids a configuration managing this pool would hold in its state, per resource type.
  const db = lab.sim.hostByUuidOrName(lab.hosts[0].uuid).db;
  const uuids = (cls: string, pred: (r: Record<string, unknown>) => boolean) => [...db.all(cls)].filter(([, r]) => pred(r)).map(([, r]) => r.uuid as string);
  const name = (prefix: string) => (r: Record<string, unknown>) => String(r.name_label).startsWith(prefix);
  const pool = uuids('pool', () => true);
  const hosts = uuids('host', () => true);
  const networks = uuids('network', name('bench-vlan-'));
  const ids: Record<string, string[]> = {
    xenserver_pool: pool,
    xenserver_ha: pool,
    xenserver_management_interface: pool,
    xenserver_pool_member: hosts,
    xenserver_host: hosts,
    xenserver_host_power_on: hosts,
    xenserver_sr: uuids('SR', name('bench-nfs-')),
    xenserver_network: networks,
    xenserver_vlan: networks,
    xenserver_storage_interface: uuids('PIF', (r) => r.device === 'eth1' && r.VLAN === -1),
    xenserver_vm_template: uuids('VM', (r) => r.is_a_template === true),
    xenserver_vm_ha: uuids('VM', name('bench-vm-')),
  };
  const types = providerXenserver.schemas.filter((s) => s.kind === 'resource').map((s) => s.type);
  const requests: ObserveRequest[] = types.map((type) => ({ type, ids: ids[type] ?? [] }));
  const asked = requests.reduce((a, r) => a + r.ids.length, 0);

  let best = Infinity;
  let counted = 0;
  let simCalls: Record<string, number> = {};
  let found = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    lab.sim.resetStats();
    const t0 = performance.now();
    const session = await providerXenserver.connect(config, ctx);
    const result = await providerXenserver.observe(session, requests, ctx);
    const ms = performance.now() - t0;
    counted = (session as unknown as { xapi: { requests: number } }).xapi.requests;
    simCalls = lab.sim.stats().calls; // before the logout
    found = new Map(requests.map((r) => [r.type, result.get(r.type)?.length ?? 0]));
    await session.close();
    best = Math.min(best, ms);
  }
  const matched = [...found.values()].reduce((a, b) => a + b, 0);
  const missing = requests.filter((r) => found.get(r.type) !== r.ids.length).map((r) => `${r.type} ${found.get(r.type)}/${r.ids.length}`);
  const unasked = requests.filter((r) => r.ids.length === 0).map((r) => r.type);
  console.log(`observe a pool of ${HOSTS} hosts, 4 SRs, 40 networks, ${VMS} VMs (${types.length} resource types):`);
  const simTotal = Object.values(simCalls).reduce((a, b) => a + b, 0);
  console.log(`  requests: ${counted} by the client, ${simTotal} in the simulator's log (target ≤ 12): ${Object.entries(simCalls).map(([m, n]) => `${m}×${n}`).join(', ')}`);
  console.log(`  time: ${best.toFixed(0)} ms, login included (best of 3; target ≤ 1000 ms)`);
  console.log(`  objects: ${matched} of the ${asked} asked for found${missing.length ? `; NOT FOUND: ${missing.join(', ')}` : ''}`);
  if (unasked.length) console.log(`  (none of these in the pool, so not asked: ${unasked.join(', ')})`);

  const session = (await providerXenserver.connect(config, ctx)) as XenSession;
  try {
    const before = await session.snapshot();
    const [netRef] = before.all('network').find(([, r]) => r.uuid === networks[0])!;
    let delta = Infinity;
    let full = Infinity;
    for (let round = 0; round < 3; round++) {
      await session.xapi.call('network.set_name_label', [netRef, `renamed-${round}`]);
      let t0 = performance.now();
      const now = await session.snapshot(true);
      delta = Math.min(delta, performance.now() - t0);
      if (now.get('network', netRef)?.name_label !== `renamed-${round}`) throw new Error('the refreshed snapshot misses the change');
      t0 = performance.now();
      await readSnapshot(session.xapi);
      full = Math.min(full, performance.now() - t0);
    }
    console.log(`  after one change: refresh from the change feed ${delta.toFixed(1)} ms, full re-read ${full.toFixed(0)} ms (best of 3)`);
  } finally {
    await session.close();
  }
  if (missing.length) process.exitCode = 1;
} finally {
  await lab.stop();
}
