// xenserver_storage_interface: one host's PIF on a network dedicated to storage traffic: static
// IP (PIF.reconfigure_ip), not unpluggable, other_config management_purpose = "Storage" (what
// XenCenter marks). Pool joins do not carry this, so a re-joined host shows up as a new PIF to
// configure. The id is the PIF's uuid; delete clears the IP and both marks.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { bool, callOpts, inContext, isUnknownValue, networkLabel, pifOnNetwork, plannedHost, resolveHost, str, strMap } from '../facts.js';
import { observeEach, rereadAfterWrite } from './common-steps.js';

const PURPOSE = 'management_purpose';

function isDedicated(pif: XapiRecord): boolean {
  return bool(pif.disallow_unplug) && strMap(pif.other_config)[PURPOSE] === 'Storage';
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const ref = snap.refOf(id);
  const pif = ref ? snap.get('PIF', ref) : undefined;
  if (!pif) return undefined;
  const static_ = str(pif.ip_configuration_mode) === 'Static';
  return {
    id,
    attrs: {
      id,
      network: snap.get('network', str(pif.network))?.uuid ?? '',
      ip: static_ ? str(pif.IP) : '',
      netmask: static_ ? str(pif.netmask) : '',
      gateway: static_ ? str(pif.gateway) : '',
      dedicated: isDedicated(pif),
      host_uuid: snap.get('host', str(pif.host))?.uuid ?? '',
      device: str(pif.device),
    },
  };
}

function read(s: XenSession, id: string, signal: AbortSignal): Promise<Observed> {
  return rereadAfterWrite(s, 'PIF', 'xenserver_storage_interface', id, observeOne, signal);
}

/** The PIF the resource configures: the host's PIF on the network. */
function target(snap: Snapshot, attrs: Attrs): { ref: string; pif: XapiRecord; what: string } {
  const [hostRef, host] = resolveHost(snap, str(attrs.host));
  const netRef = snap.refOf(str(attrs.network));
  const what = `xenserver_storage_interface on host ${str(host.name_label)}, network ${netRef ? networkLabel(snap, netRef) : str(attrs.network)}`;
  if (!netRef || !snap.get('network', netRef)) throw new Error(`${what}: the network does not exist`);
  const p = pifOnNetwork(snap, hostRef, netRef);
  if (!p) throw new Error(`${what}: the host has no PIF on that network`);
  if (bool(p[1].management)) throw new Error(`${what}: ${str(p[1].device)} is the host's management interface; a storage interface needs a NIC of its own`);
  return { ref: p[0], pif: p[1], what };
}

async function configure(s: XenSession, ref: string, pif: XapiRecord, attrs: Attrs, what: string, ctx: ProviderContext): Promise<string | undefined> {
  const o = callOpts(ctx);
  let task: string | undefined;
  try {
    await s.xapi.callAsync('PIF.reconfigure_ip', [ref, 'Static', str(attrs.ip), str(attrs.netmask), str(attrs.gateway), ''], callOpts(ctx, (t) => (task = t)));
    if (!bool(pif.disallow_unplug)) await s.xapi.callAsync('PIF.set_disallow_unplug', [ref, true], o);
    if (strMap(pif.other_config)[PURPOSE] !== 'Storage') {
      if (PURPOSE in strMap(pif.other_config)) await s.xapi.call('PIF.remove_from_other_config', [ref, PURPOSE], o);
      await s.xapi.call('PIF.add_to_other_config', [ref, PURPOSE, 'Storage'], o);
    }
    if (!bool(pif.currently_attached)) await s.xapi.callAsync('PIF.plug', [ref], o);
  } catch (e) {
    throw inContext(what, e);
  }
  return task;
}

export const storageInterface = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const t = target(snap, attrs);
    ctx.log(`${t.what}: ${str(attrs.ip)}/${str(attrs.netmask)} on ${str(t.pif.device)}`);
    const task = await configure(s, t.ref, t.pif, attrs, t.what, ctx);
    return { ...(await read(s, t.pif.uuid, ctx.signal)), task };
  },

  async update(s, id, _before, after, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    const pif = ref ? snap.get('PIF', ref) : undefined;
    if (!ref || !pif) throw new Error(`xenserver_storage_interface ${id}: the PIF no longer exists`);
    const task = await configure(s, ref, pif, after, `xenserver_storage_interface ${str(pif.device)} on host ${str(snap.get('host', str(pif.host))?.name_label)}`, ctx);
    return { ...(await read(s, id, ctx.signal)), task };
  },

  async delete(s, id, _attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    const pif = ref ? snap.get('PIF', ref) : undefined;
    if (!ref || !pif) return {};
    const what = `xenserver_storage_interface ${str(pif.device)} on host ${str(snap.get('host', str(pif.host))?.name_label)}`;
    const o = callOpts(ctx);
    let task: string | undefined;
    try {
      if (bool(pif.disallow_unplug)) await s.xapi.callAsync('PIF.set_disallow_unplug', [ref, false], o);
      if (PURPOSE in strMap(pif.other_config)) await s.xapi.call('PIF.remove_from_other_config', [ref, PURPOSE], o);
      if (str(pif.ip_configuration_mode) !== 'None' && !bool(pif.management)) {
        await s.xapi.callAsync('PIF.reconfigure_ip', [ref, 'None', '', '', '', ''], callOpts(ctx, (t) => (task = t)));
      }
    } catch (e) {
      throw inContext(what, e);
    }
    return { task };
  },

  async preflight(changes: PlannedChange[], snap: Snapshot, _s?: XenSession, _ctx?: ProviderContext, all: PlannedChange[] = changes) {
    const out: Diagnostic[] = [];
    const ips = new Map<string, string>(); // ip → address, within this plan
    for (const c of changes) {
      if (!c.after || (c.action !== 'create' && c.action !== 'replace' && c.action !== 'update')) continue;
      const err = (summary: string, detail: string) => out.push({ severity: 'error', address: c.address, summary, detail });
      const ip = c.after.ip;
      if (typeof ip === 'string') {
        const dup = ips.get(ip);
        if (dup) err(`IP ${ip} is given to two storage interfaces`, `${dup} has it too.`);
        ips.set(ip, c.address);
        const own = typeof c.before?.id === 'string' ? c.before.id : undefined;
        const taken = snap.find('PIF', (p) => str(p.IP) === ip && str(p.ip_configuration_mode) !== 'None' && p.uuid !== own);
        if (taken) err(`IP ${ip} is already used by ${str(taken[1].device)} on host ${str(snap.get('host', str(taken[1].host))?.name_label)}`, 'Each storage interface needs an address of its own.');
      }
      if (c.action === 'update') continue;
      const host = c.after.host;
      const net = c.after.network;
      if (typeof host !== 'string' || typeof net !== 'string' || isUnknownValue(net)) continue;
      let hostRef: string;
      try {
        const found = plannedHost(snap, host, all);
        if (!found) continue; // maybe a host this plan joins: resolved when applied
        hostRef = found[0];
      } catch (e) {
        err('Unknown host', (e as Error).message);
        continue;
      }
      const netRef = snap.refOf(net);
      if (!netRef) continue; // a network (or bond/VLAN) made in this plan
      const p = pifOnNetwork(snap, hostRef, netRef);
      const creatingThere = all.some((x) => (x.type === 'xenserver_bond' || x.type === 'xenserver_vlan') && x.after?.network === net);
      if (!p && !creatingThere) err(`Host ${host} has no PIF on network ${networkLabel(snap, netRef)}`, 'A storage interface uses the host\'s NIC, bond or VLAN on that network; create one there first.');
      if (p && bool(p[1].management)) err(`${str(p[1].device)} on host ${host} is its management interface`, 'A dedicated storage interface needs a NIC (or VLAN) of its own.');
    }
    return out;
  },
} satisfies ResourceType;
