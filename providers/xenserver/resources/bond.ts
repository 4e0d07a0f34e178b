// xenserver_bond: a bond over the same physical NICs on every host of the pool. XAPI bonds are
// per host, so the resource is one Bond per host whose master PIF joins `network`, and its id is
// that network's uuid. Hosts lacking it (observed as pool_wide = false) get it on the next update.
// Properties: XAPI fills in defaults the user never wrote, so each Bond remembers in its
// other_config which keys poolform set, and observation reports just those (or, for a bond
// poolform did not create, every key whose value is not the mode's default). Updates compare with
// each Bond as it is, not with state, so a change made behind poolform's back is corrected too.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import type { Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { bool, callOpts, coordinatorRef, deviceOrder, hostName, hostsInOrder, inContext, isBondSlave, isRef, isUnknownValue, networkLabel, perHostOn, physicalPif, refList, str, strMap, type Entry, type PerHost } from '../facts.js';
import { destroyEach, observeEach, rereadAfterWrite } from './common-steps.js';

const BOND_MODES = ['balance-slb', 'active-backup', 'lacp'] as const;
const MARK = 'poolform_properties';

interface Rule {
  valid: (v: string) => boolean;
  hint: string;
  /** What XAPI sets when the caller does not. */
  default?: string;
}

/** The properties a mode accepts (hashing for the load-balancing modes, lacp-* for LACP only). */
function rulesOf(mode: string): Record<string, Rule> {
  const out: Record<string, Rule> = {};
  if (mode === 'balance-slb' || mode === 'lacp') {
    out.hashing_algorithm = { valid: (v) => v === 'src_mac' || v === 'tcpudp_ports', hint: '"src_mac" or "tcpudp_ports"', default: mode === 'lacp' ? 'tcpudp_ports' : 'src_mac' };
  }
  if (mode === 'lacp') {
    out['lacp-time'] = { valid: (v) => v === 'slow' || v === 'fast', hint: '"slow" or "fast"', default: 'slow' };
    out['lacp-aggregation-key'] = { valid: (v) => /^\d+$/.test(v), hint: 'an integer' };
    out['lacp-fallback-ab'] = { valid: (v) => v === 'true' || v === 'false', hint: '"true" or "false"' };
  }
  return out;
}
const LACP_ONLY = ['lacp-time', 'lacp-aggregation-key', 'lacp-fallback-ab'];

/** Every host's Bond whose master PIF is on the network with this uuid (the resource id). */
function bondsOn(snap: Snapshot, networkUuid: string): PerHost | undefined {
  return perHostOn(snap, 'Bond', 'master', networkUuid);
}

function membersOf(snap: Snapshot, bond: XapiRecord): string[] {
  return refList(bond.slaves)
    .map((r) => str(snap.get('PIF', r)?.device))
    .sort(deviceOrder);
}

/** The properties poolform reports for a bond (see the file header). */
function propertiesOf(bond: XapiRecord): Record<string, string> {
  const props = strMap(bond.properties);
  const other = strMap(bond.other_config);
  const out: Record<string, string> = {};
  if (MARK in other) {
    for (const k of other[MARK].split(',').filter(Boolean)) if (k in props) out[k] = props[k];
    return out;
  }
  const rules = rulesOf(str(bond.mode));
  for (const [k, v] of Object.entries(props)) if (rules[k]?.default !== v) out[k] = v;
  return out;
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const on = bondsOn(snap, id);
  if (!on?.items.length) return undefined;
  const bonds = on.items;
  const master = coordinatorRef(snap);
  const main = bonds.find(([h, , b]) => h === master && MARK in strMap(b.other_config)) ?? bonds.find(([, , b]) => MARK in strMap(b.other_config)) ?? bonds.find(([h]) => h === master) ?? bonds[0];
  return {
    id,
    attrs: {
      id,
      network: id,
      members: membersOf(snap, main[2]),
      mode: str(main[2].mode),
      properties: propertiesOf(main[2]),
      pool_wide: on.missing.length === 0,
      bond_uuids: on.byHost,
    },
  };
}

function read(s: XenSession, id: string, signal: AbortSignal): Promise<Observed> {
  return rereadAfterWrite(s, 'network', 'xenserver_bond', id, observeOne, signal);
}

/** Records in the Bond which property keys poolform set (`other`: its other_config now). */
async function mark(s: XenSession, bondRef: string, other: Record<string, string>, keys: string[], ctx: ProviderContext): Promise<void> {
  const value = [...keys].sort().join(',');
  if (other[MARK] === value) return;
  const o = callOpts(ctx);
  if (MARK in other) await s.xapi.call('Bond.remove_from_other_config', [bondRef, MARK], o);
  await s.xapi.call('Bond.add_to_other_config', [bondRef, MARK, value], o);
}

/**
 * Creates the bond on every host that lacks it in `snap` (one host at a time). If a host fails,
 * the bonds this call made are destroyed again, so nothing is left half-made.
 */
async function createMissing(s: XenSession, snap: Snapshot, id: string, members: string[], mode: string, props: Record<string, string>, ctx: ProviderContext): Promise<string | undefined> {
  const on = bondsOn(snap, id);
  if (!on) throw new Error(`xenserver_bond: network ${id} does not exist`);
  const netRef = on.netRef;
  const made: [string, string][] = [];
  let task: string | undefined;
  for (const [hostRef] of on.missing) {
    const host = hostName(snap, hostRef);
    const what = `xenserver_bond on network ${networkLabel(snap, netRef)}, host ${host}`;
    try {
      const pifs: Entry[] = members.map((dev) => {
        const p = physicalPif(snap, hostRef, dev);
        if (!p) throw new Error(`the host has no physical NIC ${dev}`);
        return p;
      });
      ctx.log(`creating bond ${members.join('+')} (${mode}) on ${host}`);
      const ref = await s.xapi.callAsync('Bond.create', [netRef, pifs.map(([r]) => r), '', mode, props], callOpts(ctx, (t) => (task = t)));
      made.push([host, ref]);
      await mark(s, ref, {}, Object.keys(props), ctx);
    } catch (e) {
      for (const [h, ref] of made.reverse()) {
        await s.xapi.callAsync('Bond.destroy', [ref], callOpts(ctx)).catch((e2: Error) => ctx.log(`could not undo the bond on ${h}: ${e2.message}`));
      }
      throw inContext(what, e);
    }
  }
  return task;
}

export const bond: ResourceType = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const id = str(attrs.network);
    const snap = await s.snapshot(true, ctx.signal);
    const task = await createMissing(s, snap, id, (attrs.members as string[]) ?? [], str(attrs.mode) || 'balance-slb', strMap(attrs.properties), ctx);
    return { ...(await read(s, id, ctx.signal)), task };
  },

  async update(s, id, _before, after, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const on = bondsOn(snap, id);
    if (!on) throw new Error(`xenserver_bond ${id}: its network no longer exists`);
    const mode = str(after.mode) || 'balance-slb';
    const want = strMap(after.properties);
    const rules = rulesOf(mode);
    const o = callOpts(ctx);
    let task: string | undefined;
    for (const [hostRef, ref, b] of on.items) {
      const what = `xenserver_bond on network ${networkLabel(snap, on.netRef)}, host ${hostName(snap, hostRef)}`;
      try {
        // What this Bond reports now (as observation would), before the mode change resets it.
        const had = propertiesOf(b);
        const modeChanged = str(b.mode) !== mode;
        if (modeChanged) await s.xapi.callAsync('Bond.set_mode', [ref, mode], callOpts(ctx, (t) => (task = t)));
        // A mode change makes XAPI redo the properties, so every written key is set again after it.
        const props = modeChanged ? {} : strMap(b.properties);
        for (const [k, v] of Object.entries(want)) if (props[k] !== v) await s.xapi.callAsync('Bond.set_property', [ref, k, v], o);
        // A key no longer written goes back to XAPI's default where there is one; else it stays as it is, unwatched.
        for (const k of Object.keys(had)) {
          const d = rules[k]?.default;
          if (!(k in want) && d !== undefined && props[k] !== d) await s.xapi.callAsync('Bond.set_property', [ref, k, d], o);
        }
        await mark(s, ref, strMap(b.other_config), Object.keys(want), ctx);
      } catch (e) {
        throw inContext(what, e);
      }
    }
    // Which hosts have a Bond is not changed by the loop above: the same snapshot serves.
    const t2 = await createMissing(s, snap, id, (after.members as string[]) ?? [], mode, want, ctx);
    return { ...(await read(s, id, ctx.signal)), task: t2 ?? task };
  },

  async delete(s, id, _attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const on = bondsOn(snap, id);
    if (!on) return {};
    return destroyEach(s, on.items, 'Bond', ([hostRef]) => `xenserver_bond on network ${networkLabel(snap, on.netRef)}, host ${hostName(snap, hostRef)}`, ctx);
  },

  async preflight(changes: PlannedChange[], snap: Snapshot) {
    const out: Diagnostic[] = [];
    for (const c of changes) {
      if (!c.after || c.action === 'delete' || c.action === 'noop' || c.action === 'read') continue;
      const err = (summary: string, detail: string, suggestion?: string) => out.push({ severity: 'error', address: c.address, summary, detail, suggestion });
      const mode = c.after.mode ?? 'balance-slb';
      if (typeof mode === 'string' && !(BOND_MODES as readonly string[]).includes(mode)) {
        err(`Bond mode "${mode}" is not supported`, `XenServer bonds are ${BOND_MODES.join(', ')}.`, nearestName(mode, BOND_MODES));
      }
      const members = c.after.members;
      if (Array.isArray(members) && members.every((m) => typeof m === 'string')) {
        const sorted = [...members].sort(deviceOrder);
        if (sorted.join() !== members.join()) err('Bond members must be listed in device order', `Write members = ${JSON.stringify(sorted)}: XAPI reports a bond's NICs in device order, so any other order would show as a change on every plan.`);
        const creating = c.action === 'create' || c.action === 'replace';
        for (const [hostRef, host] of hostsInOrder(snap)) {
          for (const dev of members as string[]) {
            const p = physicalPif(snap, hostRef, dev);
            if (!p) {
              const devs = snap.filter('PIF', (x) => x.host === hostRef && bool(x.physical)).map(([, x]) => str(x.device));
              err(`Host ${str(host.name_label)} has no physical NIC ${dev}`, `A bond's members must be physical NICs present on every host of the pool; ${str(host.name_label)} has ${devs.sort(deviceOrder).join(', ') || 'none'}.`, nearestName(dev, devs));
            } else if (creating && isBondSlave(p[1])) {
              const other = snap.get('Bond', str(p[1].bond_slave_of));
              const onNet = other && isRef(other.master) ? str(snap.get('PIF', other.master)?.network) : '';
              if (!(typeof c.after.network === 'string' && onNet && snap.get('network', onNet)?.uuid === c.after.network)) {
                err(`${dev} on host ${str(host.name_label)} is already in a bond`, `Remove it from its current bond first (one NIC can be in one bond).`);
              }
            }
          }
        }
      }
      const props = c.after.properties;
      if (props && typeof props === 'object' && !isUnknownValue(props) && typeof mode === 'string') {
        const rules = rulesOf(mode);
        for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
          const r = rules[k];
          if (!r) {
            const lacpOnly = LACP_ONLY.includes(k) || k === 'hashing_algorithm';
            err(
              `Bond property "${k}" is not valid for mode ${mode}`,
              lacpOnly ? `${k} applies to ${k === 'hashing_algorithm' ? 'balance-slb and lacp' : 'lacp'} bonds only.` : `Valid properties for ${mode}: ${Object.keys(rules).join(', ') || 'none'}.`,
              lacpOnly ? undefined : nearestName(k, Object.keys(rules)),
            );
          } else if (typeof v === 'string' && !r.valid(v)) err(`Bond property ${k} = "${v}" is invalid`, `${k} takes ${r.hint}.`);
        }
      }
    }
    return out;
  },

  impact(change) {
    return change.action === 'noop' || change.action === 'read' ? 'none' : 'network-blip';
  },
};
