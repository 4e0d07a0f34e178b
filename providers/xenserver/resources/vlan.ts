// xenserver_vlan: a tagged VLAN on every host of the pool, on a physical NIC ("eth2") or on a
// bond (named by the bond's network uuid). pool.create_VLAN_from_PIF makes it on every host that
// has a PIF on the same network as the coordinator's; a host lacking it later (pool_wide false)
// gets it with VLAN.create. The id is the VLAN network's uuid. Everything else replaces it.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import type { Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { bool, callOpts, coordinatorRef, deviceOrder, hostName, hostsInOrder, inContext, int, isBondMaster, isBondSlave, isRef, isUnknownValue, networkLabel, perHostOn, physicalPif, pifOnNetwork, str, type Entry, type PerHost } from '../facts.js';
import { destroyEach, observeEach, rereadAfterWrite } from './common-steps.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every host's VLAN whose untagged (VLAN) PIF is on the network with this uuid (the resource id). */
function vlansOn(snap: Snapshot, networkUuid: string): PerHost | undefined {
  return perHostOn(snap, 'VLAN', 'untagged_PIF', networkUuid);
}

/** What a tagged PIF is, in the resource's terms: its device, or its bond's network uuid. */
function onOf(snap: Snapshot, pif: XapiRecord | undefined): string {
  if (!pif) return '';
  if (isBondMaster(pif)) return snap.get('network', str(pif.network))?.uuid ?? '';
  return str(pif.device);
}

/** The host's PIF a VLAN `on` names: the physical NIC, or its PIF on the bond network. */
function basePif(snap: Snapshot, hostRef: string, on: string): Entry | undefined {
  if (UUID.test(on)) {
    const net = snap.refOf(on);
    return net ? pifOnNetwork(snap, hostRef, net) : undefined;
  }
  return physicalPif(snap, hostRef, on);
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const on = vlansOn(snap, id);
  if (!on?.items.length) return undefined;
  const master = coordinatorRef(snap);
  const main = on.items.find(([h]) => h === master) ?? on.items[0];
  return {
    id,
    attrs: {
      id,
      network: id,
      tag: int(main[2].tag, -1),
      on: onOf(snap, isRef(main[2].tagged_PIF) ? snap.get('PIF', main[2].tagged_PIF) : undefined),
      pool_wide: on.missing.length === 0,
      vlan_uuids: on.byHost,
    },
  };
}

function read(s: XenSession, id: string, signal: AbortSignal): Promise<Observed> {
  return rereadAfterWrite(s, 'network', 'xenserver_vlan', id, observeOne, signal);
}

export const vlan = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const id = str(attrs.network);
    const on = str(attrs.on);
    const tag = int(attrs.tag, -1);
    const snap = await s.snapshot(true, ctx.signal);
    const netRef = snap.refOf(id);
    if (!netRef || !snap.get('network', netRef)) throw new Error(`xenserver_vlan ${tag}: network ${id} does not exist`);
    const master = coordinatorRef(snap);
    const what = `xenserver_vlan ${tag} on ${on}, network ${networkLabel(snap, netRef)}`;
    const pif = basePif(snap, master, on);
    if (!pif) throw new Error(`${what}: the coordinator ${hostName(snap, master)} has no ${UUID.test(on) ? 'PIF on that bond network' : `physical NIC ${on}`}`);
    let task: string | undefined;
    try {
      await s.xapi.callAsync('pool.create_VLAN_from_PIF', [pif[0], netRef, tag], callOpts(ctx, (t) => (task = t)));
    } catch (e) {
      throw inContext(what, e);
    }
    // Hosts whose base PIF sits on another network than the coordinator's were skipped: add them.
    await addMissing(s, id, on, tag, ctx);
    return { ...(await read(s, id, ctx.signal)), task };
  },

  async update(s, id, _before, after, ctx) {
    const task = await addMissing(s, id, str(after.on), int(after.tag, -1), ctx);
    return { ...(await read(s, id, ctx.signal)), task };
  },

  async delete(s, id, _attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const on = vlansOn(snap, id);
    if (!on) return {};
    return destroyEach(s, on.items, 'VLAN', ([hostRef, , v]) => `xenserver_vlan ${int(v.tag)} on network ${networkLabel(snap, on.netRef)}, host ${hostName(snap, hostRef)}`, ctx);
  },

  async preflight(changes: PlannedChange[], snap: Snapshot, _s?: XenSession, _ctx?: ProviderContext, all: PlannedChange[] = changes) {
    const out: Diagnostic[] = [];
    const bondNets = new Set(all.filter((c) => c.type === 'xenserver_bond' && c.after && typeof c.after.network === 'string').map((c) => c.after!.network as string));
    const movingManagement = all.some((c) => c.type === 'xenserver_management_interface' && c.action !== 'noop' && c.action !== 'delete');
    for (const c of changes) {
      // XAPI refuses to remove the PIF that carries a host's management (PIF_IS_MANAGEMENT_INTERFACE).
      if ((c.action === 'delete' || c.action === 'replace') && typeof c.before?.id === 'string' && !movingManagement) {
        const net = snap.refOf(c.before.id);
        const managed = net ? snap.filter('PIF', (p) => p.network === net && bool(p.management)).map(([, p]) => hostName(snap, str(p.host))) : [];
        if (managed.length) {
          out.push({
            severity: 'error',
            address: c.address,
            summary: `VLAN ${int(c.before.tag)} carries the management interface of ${managed.sort(deviceOrder).join(', ')}`,
            detail: 'XAPI refuses to remove it (PIF_IS_MANAGEMENT_INTERFACE). Move management to another network first: point xenserver_management_interface at it and apply, then remove the VLAN.',
          });
        }
      }
      if (!c.after || (c.action !== 'create' && c.action !== 'replace')) continue;
      const on = c.after.on;
      const tag = c.after.tag;
      if (typeof on !== 'string' || isUnknownValue(on)) continue;
      if (UUID.test(on)) {
        const net = snap.refOf(on);
        const isBond = net && snap.filter('PIF', (p) => p.network === net && isBondMaster(p)).length > 0;
        if (!isBond && !bondNets.has(on)) {
          out.push({ severity: 'error', address: c.address, summary: `VLAN "on" network ${on} is not a bond's network`, detail: 'Put a VLAN on a physical NIC by device name ("eth2") or on a bond by its network uuid (xenserver_bond.<name>.network).' });
        }
        continue;
      }
      for (const [hostRef, host] of hostsInOrder(snap)) {
        const p = physicalPif(snap, hostRef, on);
        if (!p) {
          const devs = snap.filter('PIF', (x) => x.host === hostRef && bool(x.physical)).map(([, x]) => str(x.device)).sort(deviceOrder);
          out.push({ severity: 'error', address: c.address, summary: `Host ${str(host.name_label)} has no physical NIC ${on}`, detail: `A VLAN is created on every host of the pool; ${str(host.name_label)} has ${devs.join(', ') || 'none'}.`, suggestion: nearestName(on, devs) });
          continue;
        }
        if (isBondSlave(p[1])) {
          out.push({ severity: 'error', address: c.address, summary: `${on} on host ${str(host.name_label)} is a bond member`, detail: 'XAPI refuses VLANs on bond members (CANNOT_ADD_VLAN_TO_BOND_SLAVE); put the VLAN on the bond (its network uuid) instead.' });
        }
        if (typeof tag === 'number') {
          const clash = snap.find('VLAN', (v) => v.tagged_PIF === p[0] && int(v.tag, -1) === tag);
          if (clash && c.action === 'create') out.push({ severity: 'error', address: c.address, summary: `Host ${str(host.name_label)} already has VLAN ${tag} on ${on}`, detail: 'One tag per NIC: import the existing VLAN or pick another tag.' });
        }
      }
    }
    return out;
  },

  impact(change) {
    // Adding a VLAN disturbs nothing; removing one cuts whatever used it.
    return change.action === 'delete' || change.action === 'replace' ? 'network-blip' : 'none';
  },
} satisfies ResourceType;

/** Creates the VLAN on every host that lacks it (VLAN.create on its base PIF). */
async function addMissing(s: XenSession, id: string, on: string, tag: number, ctx: ProviderContext): Promise<string | undefined> {
  const snap = await s.snapshot(true, ctx.signal);
  const vlans = vlansOn(snap, id);
  if (!vlans) throw new Error(`xenserver_vlan ${tag}: network ${id} does not exist`);
  const netRef = vlans.netRef;
  let task: string | undefined;
  for (const [hostRef] of vlans.missing) {
    const what = `xenserver_vlan ${tag} on ${on}, network ${networkLabel(snap, netRef)}, host ${hostName(snap, hostRef)}`;
    const pif = basePif(snap, hostRef, on);
    if (!pif) throw new Error(`${what}: the host has no ${UUID.test(on) ? 'PIF on that bond network (create the bond there first)' : `physical NIC ${on}`}`);
    ctx.log(`creating VLAN ${tag} on ${hostName(snap, hostRef)}`);
    try {
      await s.xapi.callAsync('VLAN.create', [pif[0], tag, netRef], callOpts(ctx, (t) => (task = t)));
    } catch (e) {
      throw inContext(what, e);
    }
  }
  return task;
}
