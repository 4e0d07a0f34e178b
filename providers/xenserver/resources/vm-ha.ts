// xenserver_vm_ha: HA restart settings (priority, start order, start delay) of a VM or template
// poolform did not create. Creating it adopts the VM and remembers what the settings were
// (previous_*), so deleting it hands the VM back as it was found rather than blanking settings
// someone else chose. The id is the VM's uuid. xenserver_vm_template sets the same settings on
// the templates it makes, through the functions exported here.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { bool, callOpts, inContext, int, str, type Entry } from '../facts.js';
import { observeEach } from './common-steps.js';

function candidates(snap: Snapshot): Entry[] {
  return snap.filter('VM', (v) => !bool(v.is_control_domain) && !bool(v.is_a_snapshot));
}

/** A VM or template by uuid or unique name_label. */
function resolveVm(snap: Snapshot, nameOrUuid: string): Entry {
  const all = candidates(snap);
  const byUuid = all.find(([, v]) => v.uuid === nameOrUuid);
  if (byUuid) return byUuid;
  const named = all.filter(([, v]) => v.name_label === nameOrUuid);
  if (named.length === 1) return named[0];
  if (named.length > 1) throw new Error(`VM "${nameOrUuid}": ${named.length} VMs/templates have this name; give its uuid (${named.map(([, v]) => v.uuid).join(', ')})`);
  const near = nearestName(nameOrUuid, all.map(([, v]) => str(v.name_label)));
  throw new Error(`VM "${nameOrUuid}" does not exist${near ? ` (did you mean "${near}"?)` : ''}`);
}

export interface HaSettings {
  ha_restart_priority: string;
  order: number;
  start_delay: number;
}

/** A VM's HA restart settings as it has them. */
export function haSettingsOf(vm: XapiRecord): HaSettings {
  return { ha_restart_priority: str(vm.ha_restart_priority), order: int(vm.order), start_delay: int(vm.start_delay) };
}

/** The HA restart settings resource attributes ask for. */
export function wantedHa(attrs: Attrs): HaSettings {
  return { ha_restart_priority: str(attrs.ha_restart_priority), order: int(attrs.order), start_delay: int(attrs.start_delay) };
}

/** Sets those of the VM's HA restart settings that differ from `want`. */
export async function setHaSettings(s: XenSession, ref: string, vm: XapiRecord, want: HaSettings, ctx: ProviderContext): Promise<void> {
  const o = callOpts(ctx);
  const now = haSettingsOf(vm);
  if (now.ha_restart_priority !== want.ha_restart_priority) await s.xapi.call('VM.set_ha_restart_priority', [ref, want.ha_restart_priority], o);
  if (now.order !== want.order) await s.xapi.call('VM.set_order', [ref, want.order], o);
  if (now.start_delay !== want.start_delay) await s.xapi.call('VM.set_start_delay', [ref, want.start_delay], o);
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const ref = snap.refOf(id);
  const vm = ref ? snap.get('VM', ref) : undefined;
  if (!vm) return undefined;
  return { id, attrs: { id, ...haSettingsOf(vm) } };
}

async function apply(s: XenSession, ref: string, vm: XapiRecord, want: HaSettings, what: string, ctx: ProviderContext): Promise<void> {
  try {
    await setHaSettings(s, ref, vm, want, ctx);
  } catch (e) {
    throw inContext(what, e);
  }
}

export const vmHa: ResourceType = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const [ref, vm] = resolveVm(snap, str(attrs.vm));
    const before = haSettingsOf(vm);
    await apply(s, ref, vm, wantedHa(attrs), `xenserver_vm_ha for VM "${str(vm.name_label)}" (${vm.uuid})`, ctx);
    const o = observeOne(await s.snapshot(true, ctx.signal), vm.uuid);
    if (!o) throw new Error(`xenserver_vm_ha: VM ${vm.uuid} disappeared`);
    return { id: o.id, attrs: { ...o.attrs, previous_ha_restart_priority: before.ha_restart_priority, previous_order: before.order, previous_start_delay: before.start_delay } };
  },

  async update(s, id, before, after, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    const vm = ref ? snap.get('VM', ref) : undefined;
    if (!ref || !vm) throw new Error(`xenserver_vm_ha: VM ${id} no longer exists`);
    await apply(s, ref, vm, wantedHa(after), `xenserver_vm_ha for VM "${str(vm.name_label)}" (${id})`, ctx);
    const o = observeOne(await s.snapshot(true, ctx.signal), id)!;
    return { id, attrs: { ...o.attrs, previous_ha_restart_priority: before.previous_ha_restart_priority, previous_order: before.previous_order, previous_start_delay: before.previous_start_delay } };
  },

  async delete(s, id, attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    const vm = ref ? snap.get('VM', ref) : undefined;
    if (!ref || !vm) return {};
    const restore = wantedHa({ ha_restart_priority: attrs.previous_ha_restart_priority, order: attrs.previous_order, start_delay: attrs.previous_start_delay });
    await apply(s, ref, vm, restore, `xenserver_vm_ha for VM "${str(vm.name_label)}" (${id}): restoring its previous HA settings`, ctx);
    return {};
  },

  async preflight(changes: PlannedChange[], snap: Snapshot) {
    const out: Diagnostic[] = [];
    for (const c of changes) {
      if (!c.after || (c.action !== 'create' && c.action !== 'replace') || typeof c.after.vm !== 'string') continue;
      try {
        resolveVm(snap, c.after.vm);
      } catch (e) {
        out.push({ severity: 'error', address: c.address, summary: 'VM not found', detail: (e as Error).message, suggestion: nearestName(c.after.vm, candidates(snap).map(([, v]) => str(v.name_label))) });
      }
    }
    return out;
  },
};
