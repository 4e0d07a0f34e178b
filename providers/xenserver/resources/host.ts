// xenserver_host: settings of one host of the pool. Create adopts the host, delete forgets it.
// Name, description and iSCSI IQN change live; the scheduler granularity and the physical display
// take effect at boot, so changing them runs the maintenance sequence (maintenance.ts: disable,
// evacuate, apply, reboot, enable), one host of the pool at a time.

import type { Attrs, Observed, OperationResult, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import { MAINTENANCE_LIMIT, withMaintenance } from '../maintenance.js';
import { callOpts, hostAt, str } from '../facts.js';
import { hostSettingsOps } from './common-steps.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';

/** Attributes that take effect only after a reboot. */
export const REBOOT_ATTRS = ['sched_gran', 'display'];

/** host.display as the running host has it ("disable_on_reboot" still shows on the display). */
function displayNow(h: XapiRecord): string | undefined {
  const d = str(h.display);
  if (d === 'enabled' || d === 'disable_on_reboot') return 'enabled';
  if (d === 'disabled' || d === 'enable_on_reboot') return 'disabled';
  return undefined;
}

/**
 * The host as the snapshot shows it. XAPI has no record field for the scheduler granularity
 * (host.get_sched_gran reads it), so it is observed only where the record carries it; otherwise
 * state's value stands and create/update report what get_sched_gran said.
 */
function observeHost(snap: Snapshot, uuid: string): Observed | undefined {
  const h = snap.byUuid('host', uuid);
  if (!h) return undefined;
  const attrs: Attrs = {
    id: uuid,
    name_label: str(h.name_label),
    name_description: str(h.name_description),
    iscsi_iqn: str(h.iscsi_iqn),
  };
  const display = displayNow(h);
  if (display) attrs.display = display;
  if (typeof h.sched_gran === 'string' && h.sched_gran !== '') attrs.sched_gran = h.sched_gran;
  return { id: uuid, attrs };
}

async function converge(s: XenSession, snap: Snapshot, hostRef: string, want: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const h = hostAt(snap, hostRef);
  const label = `host ${str(h.name_label) || h.uuid}`;
  const o = callOpts(ctx);
  try {
    if (typeof want.name_label === 'string' && want.name_label !== str(h.name_label)) await s.xapi.call('host.set_name_label', [hostRef, want.name_label], o);
    if (typeof want.name_description === 'string' && want.name_description !== str(h.name_description)) await s.xapi.call('host.set_name_description', [hostRef, want.name_description], o);
    if (typeof want.iscsi_iqn === 'string' && want.iscsi_iqn !== str(h.iscsi_iqn)) await s.xapi.callAsync('host.set_iscsi_iqn', [hostRef, want.iscsi_iqn], o);

    const gran = typeof want.sched_gran === 'string' ? want.sched_gran : undefined;
    const currentGran = gran !== undefined ? str(await s.xapi.call('host.get_sched_gran', [hostRef], o)) : undefined;
    const display = typeof want.display === 'string' ? want.display : undefined;
    const needGran = gran !== undefined && gran !== currentGran;
    const needDisplay = display !== undefined && display !== displayNow(h);
    if (needGran || needDisplay) {
      await withMaintenance(
        s,
        hostRef,
        async () => {
          if (needGran) await s.xapi.callAsync('host.set_sched_gran', [hostRef, gran], o);
          if (needDisplay) await s.xapi.callAsync(display === 'enabled' ? 'host.enable_display' : 'host.disable_display', [hostRef], o);
        },
        ctx,
      );
    }
  } catch (e) {
    const msg = (e as Error).message;
    throw new Error(msg.startsWith(label) ? msg : `${label}: ${msg}`);
  }
  const after = await s.snapshot(true, ctx.signal);
  const obs = observeHost(after, h.uuid)!;
  let gran: string | undefined;
  try {
    gran = str(await s.xapi.call('host.get_sched_gran', [hostRef], { signal: ctx.signal, step: ctx.step }));
  } catch {
    // not readable on this host: left as configured
  }
  return { id: h.uuid, attrs: { host: want.host, ...obs.attrs, ...(gran ? { sched_gran: gran } : {}) } };
}

function touchesReboot(change: PlannedChange): boolean {
  if (change.action === 'create') return REBOOT_ATTRS.some((a) => typeof change.after?.[a] === 'string');
  return change.changedPaths.some((p) => REBOOT_ATTRS.includes(p[0]));
}

export const host: ResourceType = {
  ...hostSettingsOps(observeHost, converge),

  async delete() {
    return {}; // forgetting a host's settings changes nothing on it
  },

  // A create may find the host already as configured, but it may also reboot it.
  impact(change) {
    if (change.action === 'delete') return 'none';
    return touchesReboot(change) ? 'host-reboot' : 'none';
  },

  limit(attrs) {
    return attrs && REBOOT_ATTRS.some((a) => typeof attrs[a] === 'string') ? MAINTENANCE_LIMIT : undefined;
  },
};
