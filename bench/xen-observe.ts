// bench/xen-observe: observes a simulated pool of 16 hosts, 4 shared SRs, 40 VLAN networks and
// 1,000 VMs through the xenserver provider over HTTPS on loopback, and prints the requests it took
// (target: at most one per class, ≤ 12 in all) and the time (target ≤ 1 s). The requests are
// counted twice: by the client, and by the simulator's own call log.

import { providerXenserver } from '../providers/xenserver/index.js';
import { startLab } from '../providers/xenserver/sim/lab.js';
import type { ProviderContext } from '../engine/provider.js';

const HOSTS = Number(process.env.BENCH_XEN_HOSTS ?? 16);
const VMS = Number(process.env.BENCH_XEN_VMS ?? 1000);

const lab = await startLab({ hosts: HOSTS, latencyScale: 0 });
try {
  lab.sim.populate({ pool: true, srs: 4, networks: 40, vms: VMS });
  const ctx: ProviderContext = { rootDir: process.cwd(), log() {}, signal: new AbortController().signal };
  const config = { url: lab.hosts[0].url, password: lab.password, tls_fingerprints: lab.hosts.map((h) => h.fingerprint), known_hosts_file: lab.knownHostsFile };
  // Every resource type the provider serves, each with the ids of a few real objects.
  const types = providerXenserver.schemas.filter((s) => s.kind === 'resource').map((s) => s.type);
  let best = Infinity;
  let counted = 0;
  let simCalls = 0;
  let objects = 0;
  for (let round = 0; round < 3; round++) {
    lab.sim.resetStats();
    const t0 = performance.now();
    const session = await providerXenserver.connect(config, ctx);
    const result = await providerXenserver.observe(session, types.map((type) => ({ type, ids: [] })), ctx);
    const ms = performance.now() - t0;
    counted = (session as unknown as { xapi: { requests: number } }).xapi.requests;
    simCalls = Object.values(lab.sim.stats().calls).reduce((a, b) => a + b, 0);
    objects = [...result.values()].reduce((a, l) => a + l.length, 0);
    await session.close();
    best = Math.min(best, ms);
  }
  const stats = lab.sim.stats().calls;
  console.log(`observe a pool of ${HOSTS} hosts, 4 SRs, 40 networks, ${VMS} VMs (${types.length} resource types):`);
  console.log(`  requests: ${counted} by the client, ${simCalls} in the simulator's log (target ≤ 12): ${Object.entries(stats).map(([m, n]) => `${m}×${n}`).join(', ')}`);
  console.log(`  time: ${best.toFixed(0)} ms, login included (best of 3; target ≤ 1000 ms); ${objects} objects matched`);
} finally {
  await lab.stop();
}
