// xenserver_pool: the pool object itself. There is always exactly one (a standalone host is a pool
// of one), so create adopts it and delete forgets it; only its settings change on the platform.

import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import { bool, callOpts, coordinator, srRefOf, str, uuidOf } from '../facts.js';
import { onlyIfAsked } from './common-steps.js';
import type { XenSession } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import type { ResourceType } from './types.js';

/** Schema attribute → pool field and setter, for the SR references. */
const SR_FIELDS: [attr: string, field: string, setter: string][] = [
  ['default_sr', 'default_SR', 'pool.set_default_SR'],
  ['suspend_image_sr', 'suspend_image_SR', 'pool.set_suspend_image_SR'],
  ['crash_dump_sr', 'crash_dump_SR', 'pool.set_crash_dump_SR'],
];

function observePool(snap: Snapshot): Observed {
  const [, p] = snap.pool();
  const [, coord] = coordinator(snap);
  const attrs: Attrs = {
    id: p.uuid,
    name_label: str(p.name_label),
    name_description: str(p.name_description),
    igmp_snooping: bool(p.igmp_snooping_enabled),
    coordinator: coord.uuid,
    coordinator_address: str(coord.address),
  };
  for (const [attr, field] of SR_FIELDS) attrs[attr] = uuidOf(snap, 'SR', p[field]) ?? null;
  return { id: p.uuid, attrs };
}

/** Sets what differs between the pool and `want`; unset SR attributes are left alone. */
async function converge(s: XenSession, want: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const snap = await s.snapshot(true, ctx.signal);
  const [ref, p] = snap.pool();
  const o = callOpts(ctx);
  if (typeof want.name_label === 'string' && want.name_label !== str(p.name_label)) await s.xapi.call('pool.set_name_label', [ref, want.name_label], o);
  const desc = typeof want.name_description === 'string' ? want.name_description : '';
  if (desc !== str(p.name_description)) await s.xapi.call('pool.set_name_description', [ref, desc], o);
  for (const [attr, field, setter] of SR_FIELDS) {
    const uuid = want[attr];
    if (typeof uuid !== 'string' || uuid === '') continue;
    if (uuidOf(snap, 'SR', p[field]) === uuid) continue;
    const sr = srRefOf(snap, uuid);
    if (!sr) throw new Error(`pool ${p.uuid}: ${attr} "${uuid}" is not an SR of this pool`);
    await s.xapi.call(setter, [ref, sr], o);
  }
  const igmp = want.igmp_snooping === true;
  if (igmp !== bool(p.igmp_snooping_enabled)) await s.xapi.call('pool.set_igmp_snooping_enabled', [ref, igmp], o);
  return observePool(await s.snapshot(true, ctx.signal));
}

export const pool: ResourceType = {
  observe(snap, ids) {
    // The pool changes identity only if the provider block now points at another pool.
    return onlyIfAsked(observePool(snap), ids);
  },

  create(s, attrs, ctx) {
    return converge(s, attrs, ctx);
  },

  async update(s, id, _before, after, ctx) {
    const [, p] = (await s.snapshot(false, ctx.signal)).pool();
    if (p.uuid !== id) throw new Error(`pool ${id} is not the pool the provider is connected to (${p.uuid}); check the provider block's url`);
    return converge(s, after, ctx);
  },

  async delete() {
    return {}; // forgetting the pool changes nothing on the platform
  },

  impact(change) {
    return change.action === 'update' && change.changedPaths.some((p) => p[0] === 'igmp_snooping') ? 'live' : 'none';
  },
};
