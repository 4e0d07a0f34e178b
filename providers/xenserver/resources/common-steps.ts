// Pieces of observe/create/update/delete that several resource types do the same way: observing
// each asked-for id, reading an object back after writing it, setting its name and description
// where they differ, destroying a pool-wide bond's or VLAN's per-host objects, observing the one
// pool-wide object (the pool, its HA) that exists exactly once per connection, and the
// observe/create/update of settings on one existing host (xenserver_host, _host_power_on).

import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { AsyncCallOptions } from '../client/types.js';
import type { XenSession } from '../session.js';
import type { Snapshot, SnapshotClass } from '../snapshot.js';
import { callOpts, hostByUuid, inContext, resolveHost, str } from '../facts.js';
import type { ResourceType } from './types.js';

/** observe() of a type whose objects are observed one id at a time; absent ids are left out. */
export function observeEach(observeOne: (snap: Snapshot, id: string) => Observed | undefined): ResourceType['observe'] {
  return (snap, ids) => ids.map((id) => observeOne(snap, id)).filter((o): o is Observed => !!o);
}

/**
 * The object as it is now, by ref or uuid (a fresh read: the step just changed it). Throws when it
 * is gone, naming the resource type.
 */
export async function rereadAfterWrite(
  s: XenSession,
  cls: SnapshotClass,
  type: string,
  refOrUuid: string,
  observeOne: (snap: Snapshot, id: string) => Observed | undefined,
  signal: AbortSignal,
): Promise<Observed> {
  const snap = await s.snapshot(true, signal);
  const id = snap.get(cls, refOrUuid)?.uuid ?? refOrUuid;
  const o = observeOne(snap, id);
  if (!o) throw new Error(`${type} ${id} disappeared right after it was written`);
  return o;
}

/** Calls <cls>.set_name_label / set_name_description where `want` differs from `now` (observed attrs). */
export async function setNames(s: XenSession, cls: 'network' | 'SR' | 'VM', ref: string, now: Attrs, want: Attrs, o: AsyncCallOptions): Promise<void> {
  for (const field of ['name_label', 'name_description'] as const) {
    if (now[field] !== str(want[field])) await s.xapi.call(`${cls}.set_${field}`, [ref, str(want[field])], o);
  }
}

/**
 * Destroys per-host objects (`<cls>.destroy`) one at a time, in the order given (members first);
 * a failure names the object by `what`. Returns the last task.
 */
export async function destroyEach<T extends [string, string, ...unknown[]]>(
  s: XenSession,
  items: T[],
  cls: 'Bond' | 'VLAN',
  what: (item: T) => string,
  ctx: ProviderContext,
): Promise<{ task?: string }> {
  let task: string | undefined;
  for (const item of items) {
    try {
      await s.xapi.callAsync(`${cls}.destroy`, [item[1]], callOpts(ctx, (t) => (task = t)));
    } catch (e) {
      throw inContext(`${what(item)}: ${cls}.destroy`, e);
    }
  }
  return { task };
}

/** Observation of a one-per-pool object: asked for by no id (import) or by its own. */
export function onlyIfAsked(o: Observed, ids: string[]): Observed[] {
  return ids.length === 0 || ids.includes(o.id) ? [o] : [];
}

/**
 * observe/create/update of a resource that configures one existing host: its id is the host's
 * uuid, `host` names the host (name or uuid) on create, and `converge` makes the host as wanted
 * (given the pool as just read, which located the host).
 */
export function hostSettingsOps(
  observeHost: (snap: Snapshot, uuid: string) => Observed | undefined,
  converge: (s: XenSession, snap: Snapshot, hostRef: string, want: Attrs, ctx: ProviderContext) => Promise<OperationResult>,
): Pick<ResourceType, 'observe' | 'create' | 'update'> {
  return {
    observe: observeEach(observeHost),

    async create(s, attrs, ctx) {
      const snap = await s.snapshot(true, ctx.signal);
      return converge(s, snap, resolveHost(snap, str(attrs.host))[0], attrs, ctx);
    },

    async update(s, id, _before, after, ctx) {
      const snap = await s.snapshot(true, ctx.signal);
      return converge(s, snap, hostByUuid(snap, id)[0], after, ctx);
    },
  };
}
