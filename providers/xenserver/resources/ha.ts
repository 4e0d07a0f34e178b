// xenserver_ha: high availability of the pool. Enabling puts the heartbeat state file on one of
// the given shared SRs (pool.enable_ha) and then sets how many host failures the restart plan must
// survive; changing the SRs means disabling and enabling again; deleting the resource or
// enabled = false turns HA off. The preflight (preflight/pool.ts) checks the SRs and the numbers
// before any of this runs.

import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import { bool, callOpts, int, isRef, srRefOf, str, strMap } from '../facts.js';
import { onlyIfAsked } from './common-steps.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';

/** UUIDs of the SRs holding the pool's HA state files (pool.ha_statefiles names VDIs, by ref or uuid). */
function heartbeatSrs(snap: Snapshot, pool: XapiRecord): string[] {
  const out: string[] = [];
  for (const f of Array.isArray(pool.ha_statefiles) ? pool.ha_statefiles : []) {
    const vdi = isRef(f) ? (snap.get('VDI', f) ?? snap.byUuid('VDI', f)) : undefined;
    const sr = vdi && isRef(vdi.SR) ? snap.get('SR', vdi.SR) : undefined;
    if (sr && !out.includes(sr.uuid)) out.push(sr.uuid);
  }
  return out;
}

function wantedSrs(attrs: Attrs): string[] {
  return Array.isArray(attrs.heartbeat_srs) ? attrs.heartbeat_srs.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * The configured heartbeat SR list, kept in pool.other_config: XAPI puts its one state file on
 * one of the SRs it was offered, so the pool alone cannot say which list was asked for.
 */
const SRS_KEY = 'poolform_heartbeat_srs';

function recordedSrs(pool: XapiRecord): string[] {
  const v = strMap(pool.other_config)[SRS_KEY];
  return v ? v.split(',').filter((x) => x !== '') : [];
}

/**
 * What the pool says. Heartbeat SRs: the recorded list while the state file is on one of them,
 * else the SRs actually in use (someone re-enabled HA elsewhere). With HA off only `enabled`
 * means anything; the rest is left as state recorded it.
 */
function observeHa(snap: Snapshot): Observed {
  const [, p] = snap.pool();
  const enabled = bool(p.ha_enabled);
  const attrs: Attrs = { id: p.uuid, enabled };
  if (enabled) {
    const inUse = heartbeatSrs(snap, p);
    const recorded = recordedSrs(p);
    attrs.heartbeat_srs = recorded.length > 0 && inUse.every((u) => recorded.includes(u)) ? recorded : inUse;
    attrs.host_failures_to_tolerate = int(p.ha_host_failures_to_tolerate);
  }
  return { id: p.uuid, attrs };
}

async function converge(s: XenSession, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const snap = await s.snapshot(true, ctx.signal);
  const [poolRef, p] = snap.pool();
  const o = callOpts(ctx);
  const wantOn = attrs.enabled !== false;
  const srs = wantedSrs(attrs);
  const ntol = typeof attrs.host_failures_to_tolerate === 'number' ? attrs.host_failures_to_tolerate : 1;
  const label = `pool ${str(p.name_label) || p.uuid}: HA`;
  try {
    let on = bool(p.ha_enabled);
    if (on && (!wantOn || !heartbeatSrs(snap, p).every((u) => srs.includes(u)))) {
      ctx.log(`${label}: disable`);
      await s.xapi.callAsync('pool.disable_ha', [], o);
      on = false;
    }
    if (wantOn) {
      if (!on) {
        const refs = srs.map((u) => {
          const ref = srRefOf(snap, u);
          if (!ref) throw new Error(`heartbeat SR ${u} is not an SR of this pool`);
          return ref;
        });
        ctx.log(`${label}: enable on ${srs.join(', ')}`);
        await s.xapi.callAsync('pool.enable_ha', [refs, {}], o);
      }
      if (!on || int(p.ha_host_failures_to_tolerate) !== ntol) {
        await s.xapi.call('pool.set_ha_host_failures_to_tolerate', [poolRef, ntol], o);
      }
    }
    const recorded = recordedSrs(p);
    const record = wantOn ? srs.join(',') : '';
    if (recorded.join(',') !== record) {
      if (recorded.length) await s.xapi.call('pool.remove_from_other_config', [poolRef, SRS_KEY], o);
      if (record) await s.xapi.call('pool.add_to_other_config', [poolRef, SRS_KEY, record], o);
    }
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
  const after = observeHa(await s.snapshot(true, ctx.signal));
  let max: number | null = null;
  try {
    max = int(await s.xapi.call('pool.ha_compute_max_host_failures_to_tolerate', [], { signal: ctx.signal, step: ctx.step }), 0);
  } catch {
    // Not computable (e.g. HA off on some versions): reported as unknown rather than failing the step.
  }
  return { id: after.id, attrs: { heartbeat_srs: srs, host_failures_to_tolerate: ntol, ...after.attrs, max_failures_tolerable: max } };
}

export const ha: ResourceType = {
  observe(snap, ids) {
    return onlyIfAsked(observeHa(snap), ids);
  },

  create(s, attrs, ctx) {
    return converge(s, attrs, ctx);
  },

  update(s, _id, _before, after, ctx) {
    return converge(s, after, ctx);
  },

  async delete(s, _id, _attrs, ctx) {
    const [poolRef, p] = (await s.snapshot(true, ctx.signal)).pool();
    try {
      if (bool(p.ha_enabled)) await s.xapi.callAsync('pool.disable_ha', [], callOpts(ctx));
      if (recordedSrs(p).length) await s.xapi.call('pool.remove_from_other_config', [poolRef, SRS_KEY], callOpts(ctx));
    } catch (e) {
      throw new Error(`pool ${str(p.name_label) || p.uuid}: HA: ${(e as Error).message}`);
    }
    return {};
  },

  impact(change) {
    // Turning HA on or off restarts no VM; it changes how the pool reacts to failures.
    return change.action === 'update' && !change.changedPaths.some((p) => p[0] === 'enabled' || p[0] === 'heartbeat_srs') ? 'none' : 'live';
  },
};
