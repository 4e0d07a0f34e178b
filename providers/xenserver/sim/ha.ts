// High availability: enabling it on heartbeat SRs every host can reach, the failures the pool can
// tolerate, and the refusals that keep a failover plan intact. The capacity model is deliberately
// plain: a host offers its memory minus the control domain's; protected (restart-priority
// "restart") running VMs must fit on the hosts left after the n largest fail.

import type { Db } from './db.js';
import type { Ctx, Handler, Handlers } from './handler.js';
import { DOM0_MEMORY } from './lab-world.js';
import { makeVdi, removeVdi } from './storage.js';
import { fail, type World } from './world.js';

const RESTART_PRIORITIES = ['', 'restart', 'best-effort'];

/**
 * How many host failures the pool can tolerate: live enabled hosts − 1, reduced while the
 * protected running VMs would not fit on what survives. `priorities` overrides VMs' restart
 * priorities (pool.ha_compute_hypothetical_max_host_failures_to_tolerate).
 */
function maxFailures(w: World, db: Db, priorities?: Map<string, string>): number {
  const hosts = w.hostsOf(db).filter((h) => w.isLive(h) && db.get('host', h.ref).enabled === true);
  if (hosts.length === 0) return 0;
  let need = 0;
  for (const [ref, vm] of db.all('VM')) {
    if (vm.is_control_domain === true || vm.is_a_template === true || vm.power_state !== 'Running') continue;
    const prio = priorities?.get(ref) ?? (vm.ha_restart_priority as string);
    if (prio === 'restart') need += vm.memory_static_max as number;
  }
  const caps = hosts.map((h) => h.memoryBytes - DOM0_MEMORY).sort((a, b) => a - b);
  for (let n = hosts.length - 1; n > 0; n--) {
    const survivors = caps.slice(0, hosts.length - n).reduce((a, b) => a + b, 0);
    if (need <= survivors) return n;
  }
  return 0;
}

/** Keeps the pool's plan fields current after anything that changes capacity or demand. */
export function recomputeHa(w: World, db: Db): void {
  const poolRef = w.poolRef(db);
  const p = db.get('pool', poolRef);
  if (p.ha_enabled !== true) return;
  const max = maxFailures(w, db);
  const ntol = p.ha_host_failures_to_tolerate as number;
  db.update('pool', poolRef, { ha_plan_exists_for: Math.min(ntol, max), ha_overcommitted: max < ntol });
}

function checkHeartbeatSr(w: World, db: Db, sr: string): void {
  const s = db.get('SR', sr);
  if (s.type === 'iso' || s.content_type === 'iso') fail('SR_OPERATION_NOT_SUPPORTED', sr);
  const pbds = (s.PBDs as string[]).map((p) => db.get('PBD', p));
  for (const h of w.hostsOf(db)) {
    // XAPI uses the one code both for a host without a PBD and for an unplugged one
    if (!pbds.some((p) => p.host === h.ref && p.currently_attached === true)) fail('SR_HAS_NO_PBDS', sr);
  }
}

async function enableHa(ctx: Ctx, srs: string[], configuration: Record<string, string>): Promise<void> {
  const { w, db } = ctx;
  const poolRef = w.poolRef(db);
  if (db.get('pool', poolRef).ha_enabled === true) fail('HA_IS_ENABLED');
  for (const h of w.hostsOf(db)) if (!w.isLive(h)) fail('HOST_OFFLINE', h.ref);
  if (srs.length === 0) fail('CANNOT_CREATE_STATE_FILE');
  for (const sr of srs) checkHeartbeatSr(w, db, sr);
  await ctx.work();
  const sr = srs[0]!;
  const statefile = makeVdi(db, sr, { name_label: 'Statefile for HA', name_description: 'Used for storage heartbeating', type: 'ha_statefile', sharable: true, virtual_size: 4 * 1024 * 1024 + 64 * 4096, sm_config: { type: 'raw' } });
  makeVdi(db, sr, { name_label: 'Metadata for HA', name_description: 'Used for master failover', type: 'redo_log', sharable: true, virtual_size: 256 * 1024 * 1024 });
  db.update('pool', poolRef, { ha_enabled: true, ha_configuration: configuration, ha_statefiles: [statefile], ha_cluster_stack: 'xhad' });
  for (const h of w.hostsOf(db)) db.update('host', h.ref, { ha_statefiles: [statefile], ha_network_peers: w.hostsOf(db).filter((x) => x !== h).map((x) => x.uuid) });
  recomputeHa(w, db);
}

async function disableHa(ctx: Ctx): Promise<void> {
  const { w, db } = ctx;
  const poolRef = w.poolRef(db);
  if (db.get('pool', poolRef).ha_enabled !== true) fail('HA_NOT_ENABLED');
  await ctx.work();
  for (const [ref] of db.filter('VDI', (v) => v.type === 'ha_statefile' || v.type === 'redo_log')) removeVdi(db, ref);
  db.update('pool', poolRef, { ha_enabled: false, ha_configuration: {}, ha_statefiles: [], ha_plan_exists_for: 0, ha_overcommitted: false, ha_cluster_stack: '' });
  for (const h of w.hostsOf(db)) db.update('host', h.ref, { ha_statefiles: [], ha_network_peers: [] });
}

/** A VM set to "restart" under HA must be able to run anywhere: shared disks and networks. */
function assertAgile(w: World, db: Db, vm: string): void {
  const hosts = w.hostsOf(db).map((h) => h.ref);
  const v = db.get('VM', vm);
  for (const b of v.VBDs as string[]) {
    const vbd = db.tryGet('VBD', b);
    const vdi = vbd && db.tryGet('VDI', vbd.VDI as string);
    if (!vdi) continue;
    const sr = db.get('SR', vdi.SR as string);
    if (sr.shared !== true) fail('HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED', vdi.SR as string);
  }
  for (const f of v.VIFs as string[]) {
    const vif = db.tryGet('VIF', f);
    if (!vif) continue;
    const pifs = db.get('network', vif.network as string).PIFs as string[];
    const on = new Set(pifs.map((p) => db.get('PIF', p).host));
    if (!hosts.every((h) => on.has(h))) fail('HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED', vif.network as string);
  }
}

/** The setter of a VM's restart order or delay, which XAPI keeps non-negative. */
function nonNegative(field: string): Handler {
  return (ctx: Ctx, vm: string, v: number) => {
    if (v < 0) fail('INVALID_VALUE', field, v);
    ctx.db.update('VM', vm, { [field]: v });
  };
}

export const haHandlers: Handlers = {
  'pool.enable_ha': enableHa,
  'pool.disable_ha': disableHa,
  'pool.ha_compute_max_host_failures_to_tolerate': (ctx: Ctx) => maxFailures(ctx.w, ctx.db),
  'pool.ha_compute_hypothetical_max_host_failures_to_tolerate': (ctx: Ctx, config: Record<string, string>) => {
    for (const [vm, prio] of Object.entries(config)) if (!RESTART_PRIORITIES.includes(prio)) fail('INVALID_VALUE', vm, prio);
    return maxFailures(ctx.w, ctx.db, new Map(Object.entries(config)));
  },
  'pool.ha_failover_plan_exists': (ctx: Ctx, n: number) => n <= maxFailures(ctx.w, ctx.db),
  'pool.set_ha_host_failures_to_tolerate': async (ctx: Ctx, pool: string, value: number) => {
    const { w, db } = ctx;
    if (value < 0) fail('INVALID_VALUE', 'ha_host_failures_to_tolerate', value);
    if (db.get('pool', pool).ha_enabled === true && value > maxFailures(w, db)) fail('HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN');
    await ctx.work();
    db.update('pool', pool, { ha_host_failures_to_tolerate: value });
    recomputeHa(w, db);
  },
  'VM.set_ha_restart_priority': (ctx: Ctx, vm: string, value: string) => {
    const { w, db } = ctx;
    if (!RESTART_PRIORITIES.includes(value)) fail('INVALID_VALUE', 'ha_restart_priority', value);
    const v = db.get('VM', vm);
    const pool = w.pool(db);
    if (pool.ha_enabled === true && value === 'restart' && v.is_a_template !== true) {
      assertAgile(w, db, vm);
      if (v.power_state === 'Running' && maxFailures(w, db, new Map([[vm, value]])) < (pool.ha_host_failures_to_tolerate as number)) fail('HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN');
    }
    db.update('VM', vm, { ha_restart_priority: value });
    recomputeHa(w, db);
  },
  'VM.set_order': nonNegative('order'),
  'VM.set_start_delay': nonNegative('start_delay'),
  'VM.set_shutdown_delay': nonNegative('shutdown_delay'),
};
