// proxmox_ha_resource: a guest managed by the HA stack ("vm:100", "ct:101"): the state HA keeps it
// in, how often it restarts or relocates it on failure, and its placement: an HA group on
// Proxmox VE 8, node-affinity rules plus `failback` on Proxmox VE 9. The release decides which
// parameters are sent (a PVE 8 node does not know failback; a PVE 9 cluster has no groups).

import { nearestName, type Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Impact, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { Params } from '../client/types.js';
import type { PveSession } from '../session.js';
import { flag, type Snapshot } from '../snapshot.js';
import { activeOf, clusterRelease, failure, HA_RULES_MAJOR, int, plannedRelease, str } from './cluster-facts.js';
import { haSection } from './ha-section.js';
import type { PveResourceType } from './types.js';

export function observeHaResource(snap: Snapshot, id: string): Observed | undefined {
  const r = snap.haResources?.get(id);
  if (!r) return undefined;
  return {
    id,
    attrs: {
      id,
      sid: id,
      state: str(r.state) ?? 'started',
      max_restart: int(r.max_restart, 1),
      max_relocate: int(r.max_relocate, 1),
      group: str(r.group) ?? null,
      // PVE 8 has no failback (the group's nofailback decides): reported as the default.
      failback: r.failback === undefined ? true : flag(r.failback),
      comment: str(r.comment) ?? null,
    },
  };
}

/** What the release does not allow (pure: the preflight's and the operations'). */
export function haResourceReleaseProblems(attrs: Attrs, major: number | undefined, version = `${major}`): { attr: string; summary: string; detail: string }[] {
  if (major === undefined) return [];
  const out: { attr: string; summary: string; detail: string }[] = [];
  if (major >= HA_RULES_MAJOR && str(attrs.group)) {
    out.push({ attr: 'group', summary: `group "${attrs.group}": HA groups do not exist in Proxmox VE ${major} (the cluster runs ${version})`, detail: 'remove group and place the resource with a proxmox_ha_rule of type "node-affinity" naming it' });
  }
  if (major < HA_RULES_MAJOR && attrs.failback === false) {
    out.push({ attr: 'failback', summary: `failback = false needs Proxmox VE ${HA_RULES_MAJOR} (the cluster runs ${version})`, detail: 'on Proxmox VE 8 set nofailback = true on the resource\'s proxmox_ha_group instead' });
  }
  return out;
}

/** The API's parameters for the release (failback only on 9; group removed with delete=). */
export function haResourceParams(attrs: Attrs, major: number | undefined, how: 'create' | 'update'): Params {
  const p: Params = {
    state: str(attrs.state) ?? 'started',
    max_restart: int(attrs.max_restart, 1),
    max_relocate: int(attrs.max_relocate, 1),
    comment: str(attrs.comment),
  };
  const v9 = major === undefined || major >= HA_RULES_MAJOR;
  if (v9) p.failback = attrs.failback !== false;
  else p.group = str(attrs.group);
  if (how === 'update') {
    const del = [...(p.comment === undefined ? ['comment'] : []), ...(!v9 && p.group === undefined ? ['group'] : [])];
    if (del.length) p.delete = del.join(',');
  }
  return p;
}

async function write(s: PveSession, attrs: Attrs, ctx: ProviderContext, how: 'create' | 'update'): Promise<OperationResult> {
  const sid = String(attrs.sid);
  const label = `HA resource ${sid}`;
  const rel = await clusterRelease(s, ctx.signal);
  const problems = haResourceReleaseProblems(attrs, rel?.major, rel?.version);
  if (problems.length) throw new Error(`${label}: ${problems.map((p) => `${p.summary}: ${p.detail}`).join('; ')}`);
  try {
    const { client } = await s.api(ctx.signal);
    const p = haResourceParams(attrs, rel?.major, how);
    const o = { signal: ctx.signal, step: ctx.step };
    if (how === 'create') await client.post('/cluster/ha/resources', { sid, ...p }, o);
    else await client.put(`/cluster/ha/resources/${encodeURIComponent(sid)}`, p, o);
    s.invalidate();
    const seen = observeHaResource(await s.snapshot(['ha-resources'], ctx.signal), sid);
    if (!seen) throw new Error('written, but the cluster does not list it');
    return seen;
  } catch (e) {
    throw failure(label, e);
  }
}

/** "vm:100" → { kind: 'qemu', vmid: 100 }. */
function guestOf(sid: string): { kind: 'qemu' | 'lxc'; vmid: number } | undefined {
  const m = /^(vm|ct):(\d+)$/.exec(sid);
  return m ? { kind: m[1] === 'vm' ? 'qemu' : 'lxc', vmid: Number(m[2]) } : undefined;
}

export const haResource: PveResourceType = haSection({
  part: 'ha-resources',
  section: 'resources',
  label: (id) => `HA resource ${id}`,
  observeOne: observeHaResource,
  write,

  async check(writes, s, ctx, all) {
    const snap = await s.snapshot(['status', 'corosync', 'versions', 'resources', 'ha-groups'], ctx.signal);
    const rel = plannedRelease(snap, all);
    const groups = new Set(snap.haGroups?.keys() ?? []);
    for (const c of activeOf(all, 'proxmox_ha_group')) {
      if (c.action === 'delete') groups.delete(str(c.before?.group) ?? '');
      else if (str(c.after?.group)) groups.add(str(c.after?.group)!);
    }
    // Guests this plan creates: their VMIDs when known (a VM whose VMID is known only after apply may be any).
    const planned = [...activeOf(all, 'proxmox_vm'), ...activeOf(all, 'proxmox_vm_template')].filter((c) => c.action === 'create' || c.action === 'replace');
    const plannedIds = new Set(planned.map((c) => Number(c.after?.vmid)).filter((n) => Number.isInteger(n)));
    const anyUnknown = planned.some((c) => c.after?.vmid === null || c.after?.vmid === undefined);
    const out: Diagnostic[] = [];
    for (const c of writes) {
      const after = c.after ?? {};
      const sid = str(after.sid) ?? '?';
      for (const p of haResourceReleaseProblems(after, rel?.major, rel?.version)) out.push({ severity: 'error', address: c.address, summary: `${sid}: ${p.summary}`, detail: p.detail });
      const g = str(after.group);
      if (g && !groups.has(g) && (rel === undefined || rel.major < HA_RULES_MAJOR)) {
        const near = nearestName(g, groups);
        out.push({ severity: 'error', address: c.address, summary: `${sid}: HA group "${g}" does not exist`, detail: 'name an HA group of the cluster, or declare it with proxmox_ha_group', ...(near ? { suggestion: near } : {}) });
      }
      const guest = guestOf(sid);
      if (guest && c.action !== 'update') {
        const found = snap.guests?.get(guest.vmid);
        if (found && found.type !== guest.kind) {
          out.push({ severity: 'error', address: c.address, summary: `${sid}: guest ${guest.vmid} is a ${found.type === 'lxc' ? 'container' : 'VM'}`, detail: `write sid = "${found.type === 'lxc' ? 'ct' : 'vm'}:${guest.vmid}"` });
        } else if (!found && !plannedIds.has(guest.vmid) && !anyUnknown) {
          out.push({ severity: 'error', address: c.address, summary: `${sid}: there is no ${guest.kind === 'lxc' ? 'container' : 'VM'} ${guest.vmid} in the cluster`, detail: 'HA manages existing guests: create the guest first (proxmox_vm) or correct the VMID' });
        }
      }
    }
    return out;
  },

  impact(change): Impact {
    // HA starts or stops the guest to reach the requested state.
    const stateChanges = change.action === 'create' || change.changedPaths.some((p) => p[0] === 'state');
    return stateChanges ? 'live' : 'none';
  },
});
