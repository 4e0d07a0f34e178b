// proxmox_cluster_options: the datacenter.cfg settings poolform manages: migration (type and
// network, written together as the seed requires: "the type must be given when a network is"),
// HA shutdown policy, and the cluster resource scheduler (CRS) for HA. One object per cluster
// (id "cluster"): create and update PUT /cluster/options with the three property strings, keeping
// any CRS keys poolform does not manage; delete removes the three settings (their defaults apply).
// GET answers datacenter.cfg parsed (each property string as an object); strings are read too.
// Writes need quorum; the API's "no quorum" refusal comes back with what to do.

import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { PveSession } from '../session.js';
import type { Rec, Snapshot } from '../snapshot.js';
import { failure, formatPropertyString, propertyValue, str } from './cluster-facts.js';
import type { PveResourceType } from './types.js';

export const OPTIONS_ID = 'cluster';

/** The managed keys of the crs property string; others (ha-auto-rebalance...) are kept as found. */
const CRS_MANAGED = ['ha', 'ha-rebalance-on-start'];

function bool01(v: string | undefined): boolean {
  return v === '1' || v === 'true';
}

export function observeOptions(options: Rec): Attrs {
  const migration = propertyValue(options.migration, 'type');
  const ha = propertyValue(options.ha, 'shutdown_policy');
  const crs = propertyValue(options.crs, 'ha');
  return {
    id: OPTIONS_ID,
    migration_type: migration.type ?? 'secure',
    migration_network: migration.network ?? null,
    ha_shutdown_policy: ha.shutdown_policy ?? 'conditional',
    crs_ha: crs.ha ?? 'basic',
    crs_rebalance_on_start: bool01(crs['ha-rebalance-on-start']),
  };
}

/** The three property strings for `want`, given the current options (for the CRS keys kept). */
export function optionStrings(want: Attrs, current: Rec): { migration: string; ha: string; crs: string } {
  const migration = formatPropertyString([
    ['type', str(want.migration_type) ?? 'secure'],
    ['network', str(want.migration_network)],
  ]);
  const ha = formatPropertyString([['shutdown_policy', str(want.ha_shutdown_policy) ?? 'conditional']]);
  const kept = Object.entries(propertyValue(current.crs, 'ha')).filter(([k]) => !CRS_MANAGED.includes(k));
  const crs = formatPropertyString([['ha', str(want.crs_ha) ?? 'basic'], ['ha-rebalance-on-start', want.crs_rebalance_on_start === true ? 1 : undefined], ...kept]);
  return { migration, ha, crs };
}

function observe(snap: Snapshot): Observed {
  return { id: OPTIONS_ID, attrs: observeOptions(snap.options ?? {}) };
}

async function converge(s: PveSession, want: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const label = 'cluster options (datacenter.cfg)';
  try {
    const { client } = await s.api(ctx.signal);
    const current = (await client.get<Rec>('/cluster/options', undefined, { signal: ctx.signal })) ?? {};
    const next = optionStrings(want, current);
    const now = observeOptions(current);
    const wanted = observeOptions(next);
    const crsNow = formatPropertyString(Object.entries(propertyValue(current.crs, 'ha')));
    if (JSON.stringify(now) !== JSON.stringify(wanted) || crsNow !== next.crs) {
      ctx.log(`${label}: migration ${next.migration}; ha ${next.ha}; crs ${next.crs}`);
      await client.put('/cluster/options', next, { signal: ctx.signal, step: ctx.step });
    }
    s.invalidate();
    return observe(await s.snapshot(['options'], ctx.signal));
  } catch (e) {
    throw failure(label, e);
  }
}

export const clusterOptions: PveResourceType = {
  parts: ['options'],

  observe(snap, ids) {
    return ids.includes(OPTIONS_ID) ? [observe(snap)] : [];
  },

  // There is always exactly one set of options: importing adopts it.
  async importObject(s, id, ctx) {
    return id === OPTIONS_ID ? observe(await s.snapshot(['options'], ctx.signal)) : undefined;
  },

  create(s, attrs, ctx) {
    return converge(s, attrs, ctx);
  },

  update(s, _id, _before, after, ctx) {
    return converge(s, after, ctx);
  },

  async delete(s, _id, _attrs, ctx) {
    try {
      const { client } = await s.api(ctx.signal);
      await client.put('/cluster/options', { delete: 'migration,ha,crs' }, { signal: ctx.signal, step: ctx.step });
    } catch (e) {
      throw failure('cluster options (datacenter.cfg): restoring the defaults', e);
    }
    return {};
  },

  impact() {
    return 'none';
  },
};
