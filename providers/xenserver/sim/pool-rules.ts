// Pool membership: pool.join (run on the joining host, against the coordinator it names) with
// XAPI's pre-join checks in XAPI's order, the merge of the joiner's database into the pool's with
// what a join inherits (shared SRs' PBDs, bonds, VLANs; never management placement or IPs), and
// pool.eject, which wipes the host back to a fresh install.

import type { Db, Rec } from './db.js';
import type { Ctx, Handlers } from './handler.js';
import { freshHostDb, physicalNetworkFields } from './lab-world.js';
import { NULL_REF } from './model.js';
import { bondProperties, freeBridge, isNull, makeBond, makeVlan, pifOn } from './network.js';
import { attachSharedSr, removeSr } from './storage.js';
import { CLOCK_SKEW_LIMIT_MS, fail, type SimHost, type World } from './world.js';

/** The host a pool.join master_address names: its XAPI address, name, or management IP. */
function resolveAddress(w: World, address: string): SimHost | undefined {
  const a = address.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  for (const h of w.simHosts.values()) {
    if (h.address === a || h.name === a) return h;
    const mgmt = w.managementPif(h.db, h.ref);
    if (mgmt && mgmt[1].IP === a) return h;
  }
  return undefined;
}

function managementVlanTag(w: World, db: Db, hostRef: string): number {
  return (w.managementPif(db, hostRef)?.[1].VLAN as number | undefined) ?? -1;
}

/** XAPI's pre_join_checks, in XAPI's order, plus the sim's two seed rules at the end. */
function preJoinChecks(w: World, joiner: SimHost, coord: SimHost, force: boolean): void {
  const jdb = joiner.db;
  const pdb = coord.db;
  if (w.pool(jdb).ha_enabled === true) fail('HA_IS_ENABLED');
  if (w.pool(pdb).ha_enabled === true) fail('HA_IS_ENABLED');
  if (coord.uuid === joiner.uuid) fail('OPERATION_NOT_ALLOWED', jdb.count('host') > 1 ? 'Host is already part of a pool' : 'Host cannot become slave of itself');
  if (jdb.count('host') > 1) fail('JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS');
  const guests = [...jdb.all('VM')].filter(([, v]) => v.is_control_domain !== true);
  if (guests.some(([, v]) => v.power_state === 'Running' || v.power_state === 'Paused')) fail('JOINING_HOST_CANNOT_HAVE_RUNNING_VMS');
  if (guests.some(([, v]) => v.power_state === 'Suspended')) fail('JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS');
  if ([...jdb.all('VM')].some(([, v]) => Object.keys(v.current_operations as object).length > 0)) fail('JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS');
  const jsv = jdb.get('host', joiner.ref).software_version as Record<string, string>;
  const csv = pdb.get('host', coord.ref).software_version as Record<string, string>;
  // platform version or brand: incompatible whatever the force flag
  if (jsv.platform_version !== csv.platform_version || jsv.product_brand !== csv.product_brand) fail('HOSTS_NOT_COMPATIBLE');
  const jcpu = jdb.get('host', joiner.ref).cpu_info as Record<string, string>;
  const pcpu = w.pool(pdb).cpu_info as Record<string, string>;
  // join_force admits CPUs of the same vendor with other features, never another vendor
  if (jcpu.vendor !== pcpu.vendor) fail('HOSTS_NOT_HOMOGENEOUS', 'CPUs differ');
  if (!force) {
    if (jsv.product_version !== csv.product_version || jsv.git_id !== csv.git_id) fail('HOSTS_NOT_HOMOGENEOUS', 'Software version differs');
    if (jcpu.features_pv !== pcpu.features_pv || jcpu.features_hvm !== pcpu.features_hvm) fail('HOSTS_NOT_HOMOGENEOUS', 'CPUs differ');
  }
  if ([...jdb.all('SR')].some(([, s]) => s.shared === true && s.is_tools_sr !== true)) fail('JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS');
  if (jdb.count('Bond') > 0) fail('POOL_JOINING_HOST_HAS_BONDS');
  for (const [, v] of jdb.all('VLAN')) if (jdb.tryGet('PIF', v.untagged_PIF as string)?.management !== true) fail('POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS');
  const local = managementVlanTag(w, jdb, joiner.ref);
  const remote = managementVlanTag(w, pdb, coord.ref);
  if (local !== remote) fail('POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH', local, remote);
  const [hmaj, hmin] = [jdb.get('host', joiner.ref).API_version_major, jdb.get('host', joiner.ref).API_version_minor];
  const [mmaj, mmin] = [pdb.get('host', coord.ref).API_version_major, pdb.get('host', coord.ref).API_version_minor];
  if (hmaj !== mmaj || hmin !== mmin) fail('POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION', `${hmaj}.${hmin}`, `${mmaj}.${mmin}`);
  if (jsv.db_schema !== csv.db_schema) fail('POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA', jsv.db_schema ?? '', csv.db_schema ?? '');
  const jUpdates = [...joiner.updates].sort().join(',');
  if (jUpdates !== [...coord.updates].sort().join(',')) fail('HOSTS_NOT_HOMOGENEOUS', `Updates on local host ${joiner.name} and pool host ${coord.name} differ`);
  // The seeds' requirements XAPI has no code of its own for; the sim reports them this way.
  const mgmt = w.managementPif(jdb, joiner.ref);
  if (mgmt && mgmt[1].ip_configuration_mode !== 'Static') fail('OPERATION_NOT_ALLOWED', `The management interface of ${joiner.name} is configured by DHCP; a pool member needs a static management address`);
  const skew = Math.abs(joiner.clockSkewMs - coord.clockSkewMs);
  if (skew > CLOCK_SKEW_LIMIT_MS) fail('OPERATION_NOT_ALLOWED', `The clock of ${joiner.name} differs from the pool coordinator's by ${(skew / 1000).toFixed(1)}s; synchronise it (NTP) first`);
}

/** Copies a record from the joiner's database into the pool's, keeping its ref, with changes. */
function move(pdb: Db, cls: string, ref: string, rec: Rec, patch: Record<string, unknown> = {}): void {
  pdb.create(cls, { ...rec, ...patch }, ref);
}

/**
 * The joiner's database merges into the pool's: its host, NICs, local storage and halted VMs
 * arrive; its pool object, templates, tools SR and sessions do not. Its NICs attach to the pool's
 * networks by bridge; then it gets what a join carries over: PBDs of shared SRs (plugged), and
 * the coordinator's bonds and VLANs recreated on the same devices.
 */
function merge(w: World, joiner: SimHost, coord: SimHost): void {
  const jdb = joiner.db;
  const pdb = coord.db;
  const hostRef = joiner.ref;

  // networks: physical ones by bridge (created in the pool when new), the internal management
  // network to the pool's, the management VLAN's to the coordinator's management network
  const netMap = new Map<string, string>();
  const coordMgmtNet = w.managementPif(pdb, coord.ref)?.[1].network as string;
  for (const [ref, n] of jdb.all('network')) {
    const pifs = (n.PIFs as string[]).map((p) => jdb.get('PIF', p));
    let target: string | undefined;
    if ((n.other_config as Record<string, string>).is_host_internal_management_network === 'true') target = pdb.find('network', (x) => (x.other_config as Record<string, string>).is_host_internal_management_network === 'true')?.[0];
    else if (pifs.some((p) => (p.VLAN as number) >= 0 && p.management === true)) target = coordMgmtNet;
    else if (pifs.some((p) => p.physical === true)) target = pdb.find('network', (x) => x.bridge === n.bridge)?.[0] ?? pdb.create('network', { ...physicalNetworkFields(pifs[0]!.device as string), bridge: n.bridge });
    // other networks (guest-only ones) are recreated in the pool with a bridge of their own
    netMap.set(ref, target ?? pdb.create('network', { name_label: n.name_label, name_description: n.name_description, MTU: n.MTU, other_config: n.other_config, bridge: freeBridge(pdb) }));
  }

  const srs = [...jdb.all('SR')].filter(([, s]) => s.shared !== true);
  const srRefs = new Set(srs.map(([r]) => r));
  const vms = [...jdb.all('VM')].filter(([, v]) => v.is_a_template !== true);
  const vmRefs = new Set(vms.map(([r]) => r));

  move(pdb, 'host_metrics', jdb.get('host', hostRef).metrics as string, jdb.get('host_metrics', jdb.get('host', hostRef).metrics as string));
  move(pdb, 'host', hostRef, jdb.get('host', hostRef), { suspend_image_sr: NULL_REF, crash_dump_sr: NULL_REF });
  for (const [ref, p] of jdb.all('PIF')) move(pdb, 'PIF', ref, p, { network: netMap.get(p.network as string) });
  for (const [ref, v] of jdb.all('VLAN')) move(pdb, 'VLAN', ref, v);
  for (const [ref, s] of srs) move(pdb, 'SR', ref, s);
  for (const [ref, p] of jdb.all('PBD')) if (srRefs.has(p.SR as string)) move(pdb, 'PBD', ref, p);
  for (const [ref, v] of jdb.all('VDI')) if (srRefs.has(v.SR as string)) move(pdb, 'VDI', ref, v);
  for (const [ref, v] of vms) move(pdb, 'VM', ref, v);
  for (const [ref, b] of jdb.all('VBD')) if (vmRefs.has(b.VM as string)) move(pdb, 'VBD', ref, b);
  for (const [ref, f] of jdb.all('VIF')) if (vmRefs.has(f.VM as string)) move(pdb, 'VIF', ref, f, { network: netMap.get(f.network as string) });
  // the host's suspend/crash-dump SRs were its local SR: keep them pointing there
  const local = jdb.get('host', hostRef);
  pdb.update('host', hostRef, { suspend_image_sr: srRefs.has(local.suspend_image_sr as string) ? local.suspend_image_sr : NULL_REF, crash_dump_sr: srRefs.has(local.crash_dump_sr as string) ? local.crash_dump_sr : NULL_REF });

  // The joiner's clients (the caller of pool.join among them) keep their sessions and tasks: a real
  // joiner restarts its toolstack only after the join task has reported back to its caller.
  for (const [ref, s] of jdb.sessions) pdb.sessions.set(ref, s);
  for (const [ref, t] of jdb.all('task')) move(pdb, 'task', ref, t);
  joiner.db = pdb;
  jdb.retire();

  // shared SRs: a PBD like the coordinator's, plugged
  for (const [sr, s] of pdb.all('SR')) {
    if (s.shared !== true) continue;
    const model = (s.PBDs as string[]).map((p) => pdb.get('PBD', p)).find((p) => p.host === coord.ref) ?? pdb.get('PBD', (s.PBDs as string[])[0]!);
    if (!(s.PBDs as string[]).some((p) => pdb.get('PBD', p).host === hostRef)) attachSharedSr(w, pdb, sr, hostRef, model.device_config as Record<string, string>, true);
  }

  // bonds, then VLANs (which may sit on a bond master), as the coordinator has them
  const devOf = (ref: string) => pdb.get('PIF', ref).device as string;
  const mine = (device: string) => pdb.childrenOf('PIF', 'host', hostRef).find(([, p]) => p.device === device && (p.VLAN as number) < 0);
  for (const [, b] of [...pdb.all('Bond')]) {
    const master = pdb.get('PIF', b.master as string);
    if (master.host !== coord.ref || pifOn(pdb, hostRef, master.network as string)) continue;
    const members = (b.slaves as string[]).map((s) => mine(devOf(s))?.[0]);
    if (members.some((m) => !m || !isNull(pdb.get('PIF', m).bond_slave_of))) continue;
    makeBond(w, pdb, { network: master.network as string, members: members as string[], mac: '', mode: b.mode as string, properties: bondProperties(b.mode as string, b.properties as Record<string, string>), device: master.device as string, keepManagement: true });
  }
  for (const [, v] of [...pdb.all('VLAN')]) {
    const tagged = pdb.get('PIF', v.tagged_PIF as string);
    const untagged = pdb.tryGet('PIF', v.untagged_PIF as string);
    if (tagged.host !== coord.ref || !untagged || pifOn(pdb, hostRef, untagged.network as string)) continue;
    const on = mine(tagged.device as string);
    if (!on || !isNull(on[1].bond_slave_of)) continue;
    makeVlan(pdb, on[0], v.tag as number, untagged.network as string);
  }
  pdb.update('host', hostRef, { enabled: true });
  w.syncLive(joiner);
}

/** Joins without a task (the lab's populate): the same checks, then the merge. */
export function joinNow(w: World, joiner: SimHost, coordinator: SimHost, force = false): void {
  preJoinChecks(w, joiner, coordinator, force);
  merge(w, joiner, coordinator);
}

async function join(ctx: Ctx, address: string, user: string, password: string, force: boolean): Promise<void> {
  const { w } = ctx;
  const joiner = ctx.host;
  const target = resolveAddress(w, address);
  if (!target || !w.isLive(target)) fail('JOINING_HOST_CONNECTION_FAILED');
  // the joiner logs in to the address it was given, with the same answers any client gets
  const coord = w.coordinator(target.db);
  if (coord !== target) fail('HOST_IS_SLAVE', coord.address);
  if (user !== 'root' || password !== coord.password) fail('SESSION_AUTHENTICATION_FAILED', user, 'Authentication failure');
  preJoinChecks(w, joiner, coord, force);
  await ctx.work();
  // the world may have moved during the join's latency; the checks hold at the moment of merging
  if (!w.isLive(coord)) fail('JOINING_HOST_CONNECTION_FAILED');
  preJoinChecks(w, joiner, w.coordinator(coord.db), force);
  merge(w, joiner, w.coordinator(coord.db));
}

/** pool.eject: the host leaves (its objects go from the pool) and comes back as a fresh install. */
async function eject(ctx: Ctx, host: string): Promise<void> {
  const { w, db } = ctx;
  const pool = w.pool(db);
  if (pool.ha_enabled === true) fail('HA_IS_ENABLED');
  if (pool.master === host) fail('OPERATION_NOT_ALLOWED', 'Cannot eject the pool coordinator');
  const h = w.assertLive(db, host);
  for (const vm of db.get('host', host).resident_VMs as string[]) {
    const v = db.get('VM', vm);
    if (v.is_control_domain !== true && v.power_state !== 'Halted') fail('OPERATION_NOT_ALLOWED', 'VM resident on host');
  }
  await ctx.work();
  const rec = db.get('host', host);
  // its NICs go, with the bonds and VLANs made of them (their PIFs are the host's too)
  for (const [ref] of db.childrenOf('PIF', 'host', host)) {
    for (const [b] of db.childrenOf('Bond', 'master', ref)) db.delete('Bond', b);
    for (const [v] of db.childrenOf('VLAN', 'tagged_PIF', ref)) db.delete('VLAN', v);
    db.delete('PIF', ref);
  }
  for (const [ref, p] of db.childrenOf('PBD', 'host', host)) {
    db.delete('PBD', ref);
    const sr = db.tryGet('SR', p.SR as string);
    // an SR only this host could see is forgotten with it (its VDIs stay on the disk, not in the pool)
    if (sr && sr.shared !== true && (sr.PBDs as string[]).length === 0) removeSr(w, db, p.SR as string);
  }
  for (const [ref, v] of db.filter('VM', (v) => v.resident_on === host || v.affinity === host)) {
    if (v.is_control_domain === true) db.delete('VM', ref);
    else db.update('VM', ref, { affinity: NULL_REF, resident_on: NULL_REF });
  }
  db.delete('host_metrics', rec.metrics as string);
  db.delete('host', host);
  freshHostDb(w, h);
}

export const poolHandlers: Handlers = {
  'pool.join': (ctx: Ctx, address: string, user: string, password: string) => join(ctx, address, user, password, false),
  'pool.join_force': (ctx: Ctx, address: string, user: string, password: string) => join(ctx, address, user, password, true),
  'pool.eject': eject,
};
