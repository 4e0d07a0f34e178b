// Plan-time checks of the pool as a whole, before anything changes: every join precondition for
// every host about to join (each joining host probed read-only over its own XAPI session and SSH),
// the pool size limits, HA's needs (shared heartbeat SRs, enough hosts for the failures to
// tolerate), and that no eject or maintenance takes the pool below what HA must survive. All
// failures are reported together, each on the resource it concerns.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import { maintenanceBlocker } from '../maintenance.js';
import { bool, coordinator, int, resolveHost, str } from '../facts.js';
import { SECRET_KEY } from '../resources/host-power-on.js';
import { REBOOT_ATTRS } from '../resources/host.js';
import { joinTarget } from '../resources/pool-member.js';
import type { XenSession } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import { checkJoin } from './join.js';

export const MAX_POOL_SIZE = 64;
export const MAX_HA_POOL_SIZE = 16;

const creates = (c: PlannedChange): boolean => c.action === 'create' || c.action === 'replace';
const removes = (c: PlannedChange): boolean => c.action === 'delete';
const keeps = (c: PlannedChange): boolean => c.action === 'create' || c.action === 'update' || c.action === 'replace';

function err(address: string, summary: string, detail: string): Diagnostic {
  return { severity: 'error', summary, detail, address };
}

/** HA as it will be after the plan: on or off, and the failures to tolerate. */
function haAfter(changes: PlannedChange[], snap: Snapshot): { on: boolean; ntol: number; change?: PlannedChange } {
  const [, p] = snap.pool();
  const c = changes.find((x) => x.type === 'xenserver_ha' && x.action !== 'noop' && x.action !== 'read');
  if (!c) return { on: bool(p.ha_enabled), ntol: int(p.ha_host_failures_to_tolerate) };
  if (removes(c) || c.after?.enabled === false) return { on: false, ntol: 0, change: c };
  const n = c.after?.host_failures_to_tolerate;
  return { on: true, ntol: typeof n === 'number' ? n : 1, change: c };
}

async function joinDiagnostics(members: PlannedChange[], snap: Snapshot, s: XenSession, ctx: ProviderContext): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const seen = new Map<string, string>();
  const probes: Promise<void>[] = [];
  for (const c of members) {
    const after = c.after as Attrs;
    if (typeof after.address !== 'string') continue; // known only after apply: checked then
    const key = after.address.toLowerCase().replace(/\/+$/, '');
    const dup = seen.get(key);
    if (dup) {
      out.push(err(c.address, `${after.address}: the same host is joined twice`, `${dup} joins it already; remove one of them`));
      continue;
    }
    seen.set(key, c.address);
    // The member's password is write-only: when the plan does not carry it, the provider
    // block's credentials are tried (hosts installed for one pool usually share them).
    const own = typeof after.password === 'string' && after.password !== '';
    const t = joinTarget(own ? after : { ...after, username: after.username ?? s.config.xapi.username, password: s.config.xapi.password });
    probes.push(
      checkJoin(s, snap, t, ctx.signal).then((r) => {
        for (const p of r.problems) {
          const authOnly = !own && p.rule === 'login to the joining host' && /SESSION_AUTHENTICATION_FAILED/.test(p.summary);
          if (authOnly) {
            out.push({ severity: 'warning', address: c.address, summary: `${t.url}: join preconditions not checked at plan time`, detail: 'the provider block\'s credentials do not log in to this host and its own password is not part of the plan; the preconditions are checked when the member is applied' });
          } else out.push({ severity: p.severity, address: c.address, summary: p.summary, detail: p.remedy });
        }
      }),
    );
  }
  await Promise.all(probes);
  return out;
}

function haDiagnostics(changes: PlannedChange[], snap: Snapshot, hostsAfter: number, max: number | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ha = haAfter(changes, snap);
  if (!ha.change || !ha.on) return out;
  const c = ha.change;
  const srs = Array.isArray(c.after?.heartbeat_srs) ? (c.after!.heartbeat_srs as unknown[]) : null;
  const plannedShared = changes.some((x) => x.type === 'xenserver_sr' && creates(x) && x.after?.shared !== false);
  if (srs === null || srs.some((x) => typeof x !== 'string')) {
    if (!plannedShared) out.push(err(c.address, 'HA: heartbeat SRs unknown and no shared SR is created by this plan', 'heartbeat_srs must name shared SRs (NFS or iSCSI) of the pool'));
  }
  for (const u of (srs ?? []).filter((x): x is string => typeof x === 'string')) {
    const sr = snap.byUuid('SR', u);
    if (!sr) {
      out.push(err(c.address, `HA: heartbeat SR ${u} is not an SR of this pool`, 'name a shared SR of this pool (its uuid), or create one with xenserver_sr'));
      continue;
    }
    if (!bool(sr.shared)) {
      out.push(err(c.address, `HA: heartbeat SR "${str(sr.name_label)}" (${u}) is not shared`, 'HA needs a heartbeat SR every host reaches: use a shared NFS or iSCSI SR'));
      continue;
    }
    const srRef = snap.refOf(u);
    for (const [ref, h] of snap.all('host')) {
      const pbd = snap.find('PBD', (p) => p.SR === srRef && p.host === ref);
      if (!pbd || !bool(pbd[1].currently_attached)) {
        out.push(err(c.address, `HA: heartbeat SR "${str(sr.name_label)}" is not attached on host ${str(h.name_label) || h.uuid}`, 'plug the SR\'s PBD on that host (xe pbd-plug) or repair the SR'));
      }
    }
  }
  if (ha.ntol > hostsAfter - 1) {
    out.push(err(c.address, `HA: host_failures_to_tolerate = ${ha.ntol} needs at least ${ha.ntol + 1} hosts; the pool will have ${hostsAfter}`, `lower host_failures_to_tolerate to at most ${Math.max(0, hostsAfter - 1)}, or add hosts`));
  } else if (max !== undefined && ha.ntol > max) {
    out.push(err(c.address, `HA: host_failures_to_tolerate = ${ha.ntol} is more than the pool can tolerate (${max})`, `lower it to at most ${max} (pool.ha_compute_max_host_failures_to_tolerate), or add capacity`));
  }
  return out;
}

/** Every pool-level check for one provider configuration's changes. */
export async function poolPreflight(changes: PlannedChange[], snap: Snapshot, s: XenSession, ctx: ProviderContext): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const members = changes.filter((c) => c.type === 'xenserver_pool_member');
  const joining = members.filter(creates);
  const leaving = members.filter((c) => removes(c) || c.action === 'replace');
  const [coordRef] = coordinator(snap);
  const hostsNow = snap.all('host').length;
  // A replaced member leaves and joins again: net zero.
  const hostsAfter = hostsNow + joining.length - leaving.length;
  const ha = haAfter(changes, snap);

  out.push(...(await joinDiagnostics(joining, snap, s, ctx)));

  if (hostsAfter > MAX_POOL_SIZE) {
    const at = joining[joining.length - 1]?.address;
    out.push({ severity: 'error', address: at, summary: `the pool would have ${hostsAfter} hosts; at most ${MAX_POOL_SIZE} are supported`, detail: 'split the hosts into several pools' });
  } else if (ha.on && hostsAfter > MAX_HA_POOL_SIZE) {
    const at = ha.change?.address ?? joining[joining.length - 1]?.address;
    out.push({ severity: 'warning', address: at, summary: `HA with ${hostsAfter} hosts: at most ${MAX_HA_POOL_SIZE} are recommended`, detail: 'in large HA pools lost heartbeat messages can fence hosts unexpectedly; prefer pools of up to 16 hosts' });
  }

  // What the pool can tolerate, asked only when a plan sets HA without changing membership
  // (with hosts joining or leaving, the platform's answer would describe the wrong pool).
  let max: number | undefined;
  if (ha.change && ha.on && joining.length === 0 && leaving.length === 0) {
    try {
      max = int(await s.xapi.call('pool.ha_compute_max_host_failures_to_tolerate', [], { signal: ctx.signal }), 0);
    } catch {
      max = undefined; // not computable here; checked by the platform when applied
    }
  }
  out.push(...haDiagnostics(changes, snap, hostsAfter, max));

  for (const c of leaving) {
    const before = c.before ?? {};
    const label = `host ${str(before.name_label) || str(before.host_uuid) || str(before.address)}`;
    if (before.allow_eject !== true) {
      out.push(err(c.address, `${label}: eject refused: allow_eject is not set`, 'ejecting wipes the host and reboots it. To remove it: set allow_eject = true on this member, apply, then remove the member and apply again'));
    }
    const found = typeof before.host_uuid === 'string' ? snap.find('host', (h) => h.uuid === before.host_uuid) : undefined;
    if (found && found[0] === coordRef) {
      out.push(err(c.address, `${label}: the pool coordinator cannot be ejected`, 'make another host coordinator first (xe pool-designate-new-master), then plan again'));
    }
    if (ha.on) {
      out.push(err(c.address, `${label}: cannot be ejected while HA is enabled`, 'XAPI refuses pool.eject with HA on: disable HA (xenserver_ha enabled = false), apply, eject, then enable HA again'));
    }
  }

  for (const c of changes) {
    if (c.type === 'xenserver_host' && keeps(c) && c.action !== 'create' && ha.on) {
      if (!c.changedPaths.some((p) => REBOOT_ATTRS.includes(p[0]))) continue;
      const id = str(c.before?.id);
      const found = snap.find('host', (h) => h.uuid === id);
      if (!found) continue;
      const why = maintenanceBlocker(snap, found[0], ha.ntol);
      if (why) out.push(err(c.address, `host ${str(found[1].name_label) || id}: maintenance (reboot) not possible: ${why}`, 'lower host_failures_to_tolerate (xenserver_ha), or add a host, before changing settings that need a reboot'));
    } else if (c.type === 'xenserver_host' && c.action === 'create' && ha.on && REBOOT_ATTRS.some((a) => typeof c.after?.[a] === 'string')) {
      try {
        const [ref, h] = resolveHost(snap, str(c.after?.host));
        const why = maintenanceBlocker(snap, ref, ha.ntol);
        if (why) out.push({ severity: 'warning', address: c.address, summary: `host ${str(h.name_label)}: if its ${REBOOT_ATTRS.join('/')} differ, the reboot will be refused: ${why}`, detail: 'lower host_failures_to_tolerate (xenserver_ha) or add a host' });
      } catch {
        // Not in the pool yet (it may be joining in this plan): resolved when applied.
      }
    }
    if (c.type === 'xenserver_host_power_on' && keeps(c)) {
      const cfg = c.after?.config;
      if (cfg && typeof cfg === 'object' && SECRET_KEY in cfg) {
        out.push(err(c.address, `power-on config sets ${SECRET_KEY}`, 'give the password in `password`; poolform stores it as an XAPI secret and references it itself'));
      }
    }
  }
  return out;
}
