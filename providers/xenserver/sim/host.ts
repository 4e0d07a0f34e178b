// Host lifecycle and settings: disable/enable, evacuation (running VMs move to other enabled hosts
// or the call fails), reboot (only when disabled and empty; the host is unreachable for the
// latency and settings that need a reboot take effect), shutdown and power-on, power-on mode with
// its password kept in a secret, scheduler granularity, display, iSCSI IQN. And the secret class.

import type { Db } from './db.js';
import type { Ctx, Handlers } from './handler.js';
import { recomputeHa } from './ha.js';
import { xapiDate } from './model.js';
import { hostFreeMemory, placeVm, placementError } from './vm.js';
import { fail, type SimHost, type World } from './world.js';

function residentGuests(db: Db, hostRef: string): string[] {
  return (db.get('host', hostRef).resident_VMs as string[]).filter((vm) => {
    const v = db.tryGet('VM', vm);
    return v && v.is_control_domain !== true && v.power_state !== 'Halted';
  });
}

/**
 * Where each running VM of `hostRef` would go: the other live, enabled host with the most free
 * memory that can run it. Fails with the first VM's reason when some VM has nowhere to go.
 */
function evacuationPlan(w: World, db: Db, hostRef: string): Map<string, string> {
  const plan = new Map<string, string>();
  const targets = w.hostsOf(db).filter((h) => h.ref !== hostRef).map((h) => h.ref);
  const extra = new Map<string, number>(targets.map((t) => [t, 0]));
  const vms = residentGuests(db, hostRef).sort((a, b) => (db.get('VM', b).memory_static_max as number) - (db.get('VM', a).memory_static_max as number));
  for (const vm of vms) {
    const errors: string[][] = [];
    const ok: string[] = [];
    for (const t of targets) {
      const err = placementError(w, db, vm, t, extra.get(t));
      if (err) errors.push(err);
      else ok.push(t);
    }
    if (!ok.length) {
      // the most telling reason: lack of memory beats a disabled or offline host
      const err = errors.find((e) => e[0] === 'HOST_NOT_ENOUGH_FREE_MEMORY' || e[0]!.startsWith('VM_REQUIRES')) ?? ['NO_HOSTS_AVAILABLE'];
      fail(err[0]!, ...err.slice(1));
    }
    ok.sort((a, b) => hostFreeMemory(w, db, b) - extra.get(b)! - (hostFreeMemory(w, db, a) - extra.get(a)!));
    const t = ok[0]!;
    plan.set(vm, t);
    extra.set(t, extra.get(t)! + (db.get('VM', vm).memory_static_max as number));
  }
  return plan;
}

function simHost(ctx: Ctx, hostRef: string): SimHost {
  return ctx.w.assertLive(ctx.db, hostRef);
}

/** A finished reboot: the host answers again, enabled, with its pending settings applied. */
function bootUp(w: World, db: Db, h: SimHost): void {
  h.rebooting = false;
  if (db.has('host', h.ref)) {
    const host = db.get('host', h.ref);
    const display = host.display === 'disable_on_reboot' ? 'disabled' : host.display === 'enable_on_reboot' ? 'enabled' : host.display;
    db.update('host', h.ref, { enabled: true, display, other_config: { ...(host.other_config as Record<string, string>), boot_time: String(Math.floor(Date.now() / 1000)) } });
  }
  w.syncLive(h);
}

function assertRebootable(ctx: Ctx, hostRef: string): SimHost {
  const h = simHost(ctx, hostRef);
  if (ctx.db.get('host', hostRef).enabled === true) fail('HOST_NOT_DISABLED');
  const guests = residentGuests(ctx.db, hostRef);
  if (guests.length) fail('HOST_IN_USE', hostRef, 'vm', guests[0]!);
  return h;
}

function secretsIn(config: Record<string, string>): string[] {
  return Object.entries(config)
    .filter(([k]) => k.endsWith('_secret'))
    .map(([, v]) => v);
}

/** The host's clock, skew included. */
function serverTime(ctx: Ctx, host: string): string {
  return xapiDate(Date.now() + simHost(ctx, host).clockSkewMs);
}

export const hostHandlers: Handlers = {
  'host.disable': async (ctx: Ctx, host: string) => {
    simHost(ctx, host);
    await ctx.work();
    ctx.db.update('host', host, { enabled: false });
    recomputeHa(ctx.w, ctx.db);
  },
  'host.enable': async (ctx: Ctx, host: string) => {
    simHost(ctx, host);
    await ctx.work();
    ctx.db.update('host', host, { enabled: true });
    recomputeHa(ctx.w, ctx.db);
  },
  'host.evacuate': async (ctx: Ctx, host: string) => {
    simHost(ctx, host);
    evacuationPlan(ctx.w, ctx.db, host);
    await ctx.work();
    // planned again: placements may have changed while the task ran
    for (const [vm, target] of evacuationPlan(ctx.w, ctx.db, host)) placeVm(ctx.w, ctx.db, vm, 'Running', target);
  },
  'host.assert_can_evacuate': (ctx: Ctx, host: string) => {
    simHost(ctx, host);
    evacuationPlan(ctx.w, ctx.db, host);
  },
  'host.get_vms_which_prevent_evacuation': (ctx: Ctx, host: string) => {
    const out: Record<string, string[]> = {};
    for (const vm of residentGuests(ctx.db, host)) {
      const errs = ctx.w.hostsOf(ctx.db).filter((h) => h.ref !== host).map((h) => placementError(ctx.w, ctx.db, vm, h.ref));
      if (!errs.length) out[vm] = ['NO_HOSTS_AVAILABLE'];
      else if (errs.every((e) => e)) out[vm] = errs[0]!;
    }
    return out;
  },
  'host.reboot': async (ctx: Ctx, host: string) => {
    const h = assertRebootable(ctx, host);
    h.rebooting = true;
    ctx.w.syncLive(h);
    try {
      await ctx.work();
    } finally {
      bootUp(ctx.w, h.db, h);
    }
  },
  'host.shutdown': async (ctx: Ctx, host: string) => {
    const h = assertRebootable(ctx, host);
    await ctx.work();
    h.down = true;
    ctx.w.syncLive(h);
  },
  'host.power_on': async (ctx: Ctx, host: string) => {
    const rec = ctx.db.get('host', host);
    if (rec.power_on_mode === '') fail('HOST_POWER_ON_MODE_DISABLED');
    const h = ctx.w.hostOfRef(ctx.db, host);
    await ctx.work();
    if (h && h.down) {
      h.down = false;
      bootUp(ctx.w, ctx.db, h);
    }
  },
  'host.set_power_on_mode': async (ctx: Ctx, host: string, mode: string, config: Record<string, string>) => {
    const { db } = ctx;
    const old = db.get('host', host).power_on_config as Record<string, string>;
    for (const uuid of secretsIn(config)) {
      const ref = db.refByUuid(uuid);
      if (!ref || db.classOf(ref) !== 'secret') fail('UUID_INVALID', 'secret', uuid);
    }
    await ctx.work();
    db.update('host', host, { power_on_mode: mode, power_on_config: config });
    // XAPI destroys the secrets the old configuration referenced; one still referenced is kept
    const keep = new Set(secretsIn(config));
    for (const uuid of secretsIn(old)) {
      const ref = db.refByUuid(uuid);
      if (ref && !keep.has(uuid) && db.classOf(ref) === 'secret') db.delete('secret', ref);
    }
  },
  'host.set_sched_gran': async (ctx: Ctx, host: string, value: string) => {
    const h = simHost(ctx, host);
    await ctx.work();
    h.schedGran = value;
  },
  'host.get_sched_gran': (ctx: Ctx, host: string) => simHost(ctx, host).schedGran,
  'host.set_iscsi_iqn': async (ctx: Ctx, host: string, value: string) => {
    if (value === '') fail('INVALID_VALUE', 'value', value);
    simHost(ctx, host);
    await ctx.work();
    const rec = ctx.db.get('host', host);
    ctx.db.update('host', host, { iscsi_iqn: value, other_config: { ...(rec.other_config as Record<string, string>), iscsi_iqn: value } });
  },
  'host.set_multipathing': async (ctx: Ctx, host: string, value: boolean) => {
    simHost(ctx, host);
    await ctx.work();
    const rec = ctx.db.get('host', host);
    ctx.db.update('host', host, { multipathing: value, other_config: { ...(rec.other_config as Record<string, string>), multipathing: String(value) } });
  },
  'host.disable_display': async (ctx: Ctx, host: string) => {
    const d = ctx.db.get('host', host).display;
    const next = d === 'enabled' || d === 'enable_on_reboot' ? 'disable_on_reboot' : d;
    ctx.db.update('host', host, { display: next });
    return next;
  },
  'host.enable_display': async (ctx: Ctx, host: string) => {
    const d = ctx.db.get('host', host).display;
    const next = d === 'disabled' || d === 'disable_on_reboot' ? 'enable_on_reboot' : d;
    ctx.db.update('host', host, { display: next });
    return next;
  },
  'host.get_servertime': serverTime,
  'host.get_server_localtime': serverTime, // the lab's hosts keep UTC
  'host.compute_free_memory': (ctx: Ctx, host: string) => hostFreeMemory(ctx.w, ctx.db, host),
  'host.set_hostname_live': (ctx: Ctx, host: string, hostname: string) => {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})$/.test(hostname)) fail('HOST_NAME_INVALID', 'hostname contains invalid characters');
    ctx.db.update('host', host, { hostname });
  },

  'secret.create': (ctx: Ctx, rec: Record<string, unknown>) => ctx.db.create('secret', { value: rec.value ?? '', other_config: rec.other_config ?? {} }),
  'secret.introduce': (ctx: Ctx, uuid: string, value: string, oc: Record<string, string>) => {
    if (ctx.db.refByUuid(uuid)) fail('UUID_INVALID', 'secret', uuid);
    return ctx.db.create('secret', { uuid, value, other_config: oc });
  },
  'secret.destroy': (ctx: Ctx, secret: string) => void ctx.db.delete('secret', secret),
};
