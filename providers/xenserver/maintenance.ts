// Maintenance mode for one host, for any change that needs the host down: disable it (no new VMs),
// evacuate its VMs to the other hosts, apply the change, reboot, wait until XAPI reports it live,
// and enable it again (seed 000, "preparing a host for maintenance"). Refused when HA is on and the
// pool could no longer survive its configured host failures without this host. Callers queue on
// the provider limit key MAINTENANCE_LIMIT so only one host of a pool is down at a time.

import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderContext } from '../../engine/provider.js';
import type { XapiClient } from './client/types.js';
import { bool, callOpts, hostAt, int, isLive, isRef, str } from './facts.js';
import type { XenSession } from './session.js';
import type { Snapshot } from './snapshot.js';

export const MAINTENANCE_LIMIT = { key: 'maintenance', max: 1 } as const;

/** How long a rebooting host may take to come back. */
const REBOOT_TIMEOUT_MS = 20 * 60_000;
const POLL_MS = 200;

/**
 * Why taking `hostRef` out of service would break HA's promise, or undefined when it is safe:
 * with HA on, the hosts left live must still number host_failures_to_tolerate + 1.
 * `ntol` overrides the pool's value (a plan that changes it).
 */
export function maintenanceBlocker(snap: Snapshot, hostRef: string, ntol?: number): string | undefined {
  const [, pool] = snap.pool();
  if (!bool(pool.ha_enabled) && ntol === undefined) return undefined;
  const tolerate = ntol ?? int(pool.ha_host_failures_to_tolerate);
  const host = snap.get('host', hostRef);
  const live = snap.all('host').filter(([r, h]) => r !== hostRef && isLive(snap, h)).length;
  if (live < tolerate + 1) {
    return `HA tolerates ${tolerate} host failure(s), which needs ${tolerate + 1} live host(s) besides ${str(host?.name_label) || hostRef}; only ${live} would remain while it is down`;
  }
  return undefined;
}

/** Polls until the host is live again; transport errors while it reboots are expected. */
async function waitLive(c: XapiClient, hostRef: string, name: string, ctx: ProviderContext): Promise<void> {
  const deadline = Date.now() + REBOOT_TIMEOUT_MS;
  let last = '';
  for (;;) {
    try {
      const metrics = await c.call<string>('host.get_metrics', [hostRef], { signal: ctx.signal, step: ctx.step });
      if (isRef(metrics) && bool(await c.call('host_metrics.get_live', [metrics], { signal: ctx.signal, step: ctx.step }))) return;
      last = 'XAPI reports it not live';
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`host ${name} did not come back within ${REBOOT_TIMEOUT_MS / 60_000} minutes after its reboot (${last}); check its console`);
    await sleep(POLL_MS, undefined, { signal: ctx.signal });
  }
}

/**
 * Runs `apply` with the host in maintenance: disable, evacuate, apply, reboot (unless
 * `reboot: false`), wait live, enable. If anything before the reboot fails the host is enabled
 * again, so a failed change does not leave it out of service.
 */
export async function withMaintenance(
  s: XenSession,
  hostRef: string,
  apply: () => Promise<void>,
  ctx: ProviderContext,
  opts: { reboot?: boolean } = {},
): Promise<void> {
  const snap = await s.snapshot(true, ctx.signal);
  const host = hostAt(snap, hostRef);
  const name = str(host.name_label) || host.uuid;
  const blocker = maintenanceBlocker(snap, hostRef);
  if (blocker) throw new Error(`host ${name}: cannot enter maintenance: ${blocker}. Lower host_failures_to_tolerate (xenserver_ha) or add a host first`);
  const o = callOpts(ctx);
  const phase = async (what: string, f: () => Promise<unknown>): Promise<void> => {
    ctx.log(`${name}: ${what}`);
    try {
      await f();
    } catch (e) {
      throw new Error(`host ${name}: maintenance (${what}) failed: ${(e as Error).message}`);
    }
  };

  await phase('disable', () => s.xapi.call('host.disable', [hostRef], o));
  try {
    await phase('evacuate', () => s.xapi.callAsync('host.evacuate', [hostRef], o));
    await phase('apply', apply);
  } catch (e) {
    await s.xapi.call('host.enable', [hostRef], o).catch(() => undefined);
    throw e;
  }
  if (opts.reboot !== false) {
    await phase('reboot', () => s.xapi.callAsync('host.reboot', [hostRef], o));
    // Rebooting the coordinator ends its sessions; the client logs in again by itself.
    await phase('wait until live', () => waitLive(s.xapi, hostRef, name, ctx));
  }
  await phase('enable', () => s.xapi.call('host.enable', [hostRef], o));
  s.invalidate();
}
