// xenserver_management_interface: the network every host of the pool is managed on. Hosts move
// one at a time, members first and the coordinator last (so the session to the coordinator is
// the last thing at risk), each through management.ts (checked, rolled back over SSH on silence).
// A host already managed there is left alone. The id is the pool's uuid; deleting the resource
// forgets it and leaves management where it is (moving it back is a choice to write down, not a
// side effect of removing a block).

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { moveManagement, type IpConfig } from '../management.js';
import { coordinatorRef, deviceOrder, hostsInOrder, isBondSlave, isUnknownValue, joinsHosts, managementPif, networkLabel, pifOnNetwork, str } from '../facts.js';
import { observeEach } from './common-steps.js';

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const [, pool] = snap.pool();
  if (pool.uuid !== id) return undefined;
  const mine = managementPif(snap, coordinatorRef(snap));
  const netRef = mine ? str(mine[1].network) : '';
  const hosts: Record<string, { uuid: string; pif: string; device: string; ip: string }> = {};
  let all = true;
  for (const [hostRef, h] of hostsInOrder(snap)) {
    const p = managementPif(snap, hostRef);
    hosts[str(h.name_label)] = { uuid: h.uuid, pif: p?.[1].uuid ?? '', device: str(p?.[1].device), ip: str(p?.[1].IP) };
    if (!p || str(p[1].network) !== netRef) all = false;
  }
  return { id, attrs: { id, network: snap.get('network', netRef)?.uuid ?? '', pool_wide: all, hosts } };
}

/** A per-host map entry, by name_label or uuid. */
function forHost<T>(map: unknown, name: string, uuid: string): T | undefined {
  if (!map || typeof map !== 'object') return undefined;
  const m = map as Record<string, T>;
  return m[name] ?? m[uuid];
}

/** Moves every host not yet managed on the network, members first, one at a time. */
async function moveAll(s: XenSession, attrs: Attrs, ctx: ProviderContext): Promise<Observed> {
  const snap = await s.snapshot(true, ctx.signal);
  const net = str(attrs.network);
  const netRef = snap.refOf(net);
  if (!netRef || !snap.get('network', netRef)) throw new Error(`xenserver_management_interface: network ${net} does not exist`);
  const moved: string[] = [];
  for (const [hostRef, h] of hostsInOrder(snap)) {
    const name = str(h.name_label);
    const p = managementPif(snap, hostRef);
    if (p && p[1].network === netRef) continue;
    const ip = forHost<IpConfig>(attrs.ips, name, h.uuid);
    const sshPort = forHost<number>(attrs.ssh_ports, name, h.uuid);
    try {
      await moveManagement(s, hostRef, netRef, ctx, { ip: ip ?? undefined, sshPort: typeof sshPort === 'number' ? sshPort : undefined });
    } catch (e) {
      const done = moved.length ? ` (already moved: ${moved.join(', ')}; they stay on the new network)` : '';
      throw new Error(`xenserver_management_interface: ${(e as Error).message}${done}`, { cause: e });
    }
    moved.push(name);
  }
  const o = observeOne(await s.snapshot(true, ctx.signal), snap.pool()[1].uuid);
  if (!o) throw new Error('xenserver_management_interface: the pool changed identity during the move');
  return o;
}

export const managementInterface = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    return moveAll(s, attrs, ctx);
  },

  async update(s, _id, _before, after, ctx) {
    return moveAll(s, after, ctx);
  },

  async delete(_s: XenSession, _id: string, _attrs: Attrs, _ctx: ProviderContext): Promise<{ task?: string }> {
    return {};
  },

  async preflight(changes: PlannedChange[], snap: Snapshot, _s?: XenSession, _ctx?: ProviderContext, all: PlannedChange[] = changes) {
    const out: Diagnostic[] = [];
    const hosts = hostsInOrder(snap);
    const names = hosts.map(([, h]) => str(h.name_label)).sort(deviceOrder);
    // Hosts joining in this plan have no name yet; a name may then belong to one of them.
    const namesKnown = !joinsHosts(all);
    for (const c of changes) {
      if (c.type !== 'xenserver_management_interface' || !c.after || (c.action !== 'create' && c.action !== 'update' && c.action !== 'replace')) continue;
      const err = (summary: string, detail: string, suggestion?: string) => out.push({ severity: 'error', address: c.address, summary, detail, suggestion });
      for (const key of ['ips', 'ssh_ports'] as const) {
        const m = c.after[key];
        if (!namesKnown || !m || typeof m !== 'object' || isUnknownValue(m)) continue;
        for (const k of Object.keys(m)) {
          if (!hosts.some(([, h]) => h.name_label === k || h.uuid === k)) err(`${key} names host "${k}", which is not in the pool`, `Hosts: ${names.join(', ')}.`, nearestName(k, names));
        }
      }
      const net = c.after.network;
      if (typeof net !== 'string' || isUnknownValue(net)) continue;
      // A bond or VLAN this plan creates on the network gives every host its PIF there.
      const madeHere = all.some((x) => (x.type === 'xenserver_bond' || x.type === 'xenserver_vlan') && (x.action === 'create' || x.action === 'replace') && x.after?.network === net);
      if (madeHere) continue;
      const netRef = snap.refOf(net);
      if (!netRef || !snap.get('network', netRef)) {
        err(`Management network ${net} does not exist`, 'Give the uuid of an existing network (a bond\'s or VLAN\'s network).');
        continue;
      }
      for (const [hostRef, h] of hosts) {
        const mp = managementPif(snap, hostRef);
        if (mp && mp[1].network === netRef) continue;
        const p = pifOnNetwork(snap, hostRef, netRef);
        if (!p) err(`Host ${str(h.name_label)} has no PIF on network ${networkLabel(snap, netRef)}`, 'Every host needs a NIC, bond or VLAN on the management network before management can move there; create the bond or VLAN (it is pool-wide) first.');
        else if (isBondSlave(p[1])) err(`${str(p[1].device)} on host ${str(h.name_label)} is a bond member`, 'Management cannot run on a bond member; use the bond\'s network.');
        else if (!mp && !forHost(c.after.ips, str(h.name_label), h.uuid)) err(`Host ${str(h.name_label)} has no management interface to copy IP settings from`, 'Give its IP config in ips.');
      }
    }
    return out;
  },

  impact(change) {
    return change.action === 'create' || change.action === 'update' || change.action === 'replace' ? 'network-blip' : 'none';
  },
} satisfies ResourceType;
