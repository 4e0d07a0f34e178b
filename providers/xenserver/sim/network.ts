// Networking rules: networks, PIF IP configuration and plugging, bonds (modes and properties as
// XAPI validates them), VLANs (per host and pool-wide), and moving the management interface, the
// one change that can cut a host off (see Faults.loseManagementOn).

import type { Db, Rec } from './db.js';
import type { Ctx, Handlers } from './handler.js';
import { NULL_REF } from './model.js';
import { fail, type World } from './world.js';

// ---- helpers shared with pool-rules (join inheritance) ----

export function isNull(ref: unknown): boolean {
  return ref === undefined || ref === '' || ref === NULL_REF;
}

function hasIp(p: Rec): boolean {
  return p.ip_configuration_mode !== 'None';
}

const NO_IP = { ip_configuration_mode: 'None', IP: '', netmask: '', gateway: '', DNS: '' };

function ipOf(p: Rec): Record<string, unknown> {
  return { ip_configuration_mode: p.ip_configuration_mode, IP: p.IP, netmask: p.netmask, gateway: p.gateway, DNS: p.DNS };
}

/** Makes `pif` the management interface of its host (the old one keeps its IP unless bonded). */
function setManagement(w: World, db: Db, pif: string): void {
  const p = db.get('PIF', pif);
  const hostRef = p.host as string;
  for (const [ref, q] of db.childrenOf('PIF', 'host', hostRef)) {
    if (ref === pif || q.management !== true) continue;
    db.update('PIF', ref, { management: false, ...(isNull(q.bond_slave_of) ? {} : NO_IP) });
  }
  db.update('PIF', pif, { management: true, currently_attached: true });
  const h = w.hostOfRef(db, hostRef);
  if (h) w.faults.managementMoved(h, db.get('network', p.network as string).uuid);
}

function freeDevice(db: Db, hostRef: string, prefix: string): string {
  const used = new Set(db.childrenOf('PIF', 'host', hostRef).map(([, p]) => p.device as string));
  for (let n = 0; ; n++) if (!used.has(`${prefix}${n}`)) return `${prefix}${n}`;
}

export function freeBridge(db: Db): string {
  const used = new Set([...db.all('network')].map(([, n]) => n.bridge as string));
  for (let n = 0; ; n++) if (!used.has(`xapi${n}`)) return `xapi${n}`;
}

/** The PIF of `hostRef` on `network`, if any. */
export function pifOn(db: Db, hostRef: string, network: string): [string, Rec] | undefined {
  return db.childrenOf('PIF', 'host', hostRef).find(([, p]) => p.network === network);
}

/** Moves the VLANs tagged on PIF `from` onto PIF `to` (a bond made or undone re-homes them). */
function rehomeVlans(db: Db, from: string, to: string): void {
  const device = db.get('PIF', to).device;
  for (const [vref, v] of db.childrenOf('VLAN', 'tagged_PIF', from)) {
    db.update('VLAN', vref, { tagged_PIF: to });
    if (db.has('PIF', v.untagged_PIF as string)) db.update('PIF', v.untagged_PIF as string, { device });
  }
}

function checkMtu(v: number): void {
  if (!Number.isInteger(v) || v < 68 || v > 9216) fail('INVALID_VALUE', 'MTU', v);
}

// ---- bonds ----

interface BondProperty {
  modes: string[];
  valid(v: string): boolean;
  /** Set on the bond when the mode has it and the caller does not (XAPI fills the defaults in). */
  default?: string;
}

// The bond properties XAPI accepts, and for which modes (hashing applies to the load-balancing
// modes only; the lacp-* keys to LACP only).
const BOND_PROPERTIES: Record<string, BondProperty> = {
  hashing_algorithm: { modes: ['balance-slb', 'lacp'], valid: (v) => v === 'src_mac' || v === 'tcpudp_ports' },
  'lacp-time': { modes: ['lacp'], valid: (v) => v === 'fast' || v === 'slow', default: 'slow' },
  'lacp-aggregation-key': { modes: ['lacp'], valid: (v) => /^\d+$/.test(v) },
  'lacp-fallback-ab': { modes: ['lacp'], valid: (v) => v === 'true' || v === 'false' },
};

const HASH_DEFAULT: Record<string, string> = { 'balance-slb': 'src_mac', lacp: 'tcpudp_ports' };

/**
 * The properties a bond of `mode` ends up with: the caller's valid ones (a bad value fails with
 * INVALID_VALUE; keys that do not apply to the mode are dropped, as XAPI drops them) plus defaults.
 */
export function bondProperties(mode: string, given: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) {
    const p = BOND_PROPERTIES[k];
    if (!p || !p.modes.includes(mode)) continue;
    if (!p.valid(v)) fail('INVALID_VALUE', k, v);
    out[k] = v;
  }
  if (HASH_DEFAULT[mode] && !out.hashing_algorithm) out.hashing_algorithm = HASH_DEFAULT[mode];
  for (const [k, p] of Object.entries(BOND_PROPERTIES)) if (p.default && p.modes.includes(mode) && !out[k]) out[k] = p.default;
  return out;
}

export interface BondSpec {
  network: string;
  members: string[];
  mac: string;
  mode: string;
  properties: Record<string, string>;
  device?: string;
  /**
   * Join inheritance: the bond is made but management is not moved; when a member carries it, the
   * master stays unplugged until host.management_reconfigure moves management onto it.
   */
  keepManagement?: boolean;
}

/** Creates a bond on one host (checks done by the caller). Returns the Bond ref. */
export function makeBond(w: World, db: Db, s: BondSpec): string {
  const first = db.get('PIF', s.members[0]!);
  const hostRef = first.host as string;
  const mgmtMember = s.members.find((m) => db.get('PIF', m).management === true);
  const ipMember = s.members.find((m) => hasIp(db.get('PIF', m)));
  const primary = mgmtMember ?? ipMember ?? s.members[0]!;
  const mac = s.mac || (db.get('PIF', primary).MAC as string);
  const net = db.get('network', s.network);
  const blocked = s.keepManagement && mgmtMember !== undefined;
  const master = db.create('PIF', {
    device: s.device ?? freeDevice(db, hostRef, 'bond'),
    network: s.network,
    host: hostRef,
    MAC: mac,
    MTU: net.MTU,
    VLAN: -1,
    physical: false,
    currently_attached: !blocked,
    managed: true,
    bond_slave_of: NULL_REF,
    VLAN_master_of: NULL_REF,
    igmp_snooping_status: first.igmp_snooping_status,
    other_config: {},
    properties: {},
    ...(ipMember && !s.keepManagement ? ipOf(db.get('PIF', ipMember)) : {}),
  });
  const bond = db.create('Bond', { master, mode: s.mode, properties: s.properties, primary_slave: primary, links_up: s.members.length, auto_update_mac: s.mac === '', other_config: {} });
  for (const m of s.members) {
    const keep = s.keepManagement && m === mgmtMember;
    db.update('PIF', m, { bond_slave_of: bond, ...(keep ? {} : NO_IP) });
  }
  // VLANs on a member move to the bond master (XAPI re-homes them rather than refusing)
  for (const m of s.members) rehomeVlans(db, m, master);
  if (mgmtMember && !s.keepManagement) setManagement(w, db, master);
  return bond;
}

async function bondCreate(ctx: Ctx, network: string, members: string[], mac: string, mode: string, properties: Record<string, string>): Promise<string> {
  const { w, db } = ctx;
  if (isNull(network)) fail('HANDLE_INVALID', 'network', network);
  if (members.length < 2) fail('PIF_BOND_NEEDS_MORE_MEMBERS');
  const recs = members.map((m) => {
    if (isNull(m)) fail('HANDLE_INVALID', 'PIF', m);
    return db.get('PIF', m);
  });
  const hostRef = recs[0]!.host as string;
  if (recs.some((r) => r.host !== hostRef)) fail('PIF_CANNOT_BOND_CROSS_HOST');
  w.assertLive(db, hostRef);
  members.forEach((m, i) => {
    const r = recs[i]!;
    if (!isNull(r.VLAN_master_of) || (r.VLAN as number) >= 0) fail('PIF_IS_VLAN', m);
    if (!isNull(r.bond_slave_of)) fail('PIF_ALREADY_BONDED', m);
    if (r.physical !== true) fail('PIF_IS_NOT_PHYSICAL', m);
  });
  if (mac !== '' && !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) fail('MAC_INVALID', mac);
  if (recs.filter(hasIp).length > 1) fail('PIF_BOND_MORE_THAN_ONE_IP');
  if (w.pool(db).ha_enabled === true && recs.some((r) => r.management === true)) fail('HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE');
  const existing = pifOn(db, hostRef, network);
  if (existing) fail('NETWORK_ALREADY_CONNECTED', network, existing[0]);
  const props = bondProperties(mode, properties);
  await ctx.work();
  return makeBond(w, db, { network, members, mac, mode, properties: props });
}

async function bondDestroy(ctx: Ctx, bond: string): Promise<void> {
  const { w, db } = ctx;
  const b = db.get('Bond', bond);
  const masterRef = b.master as string;
  const master = db.get('PIF', masterRef);
  if (w.pool(db).ha_enabled === true && master.management === true) fail('HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE');
  w.assertLive(db, master.host as string);
  await ctx.work();
  const slaves = b.slaves as string[];
  const primary = isNull(b.primary_slave) ? slaves[0] : (b.primary_slave as string);
  for (const s of slaves) db.update('PIF', s, { bond_slave_of: NULL_REF });
  // what sat on the master returns to the primary member: its VLANs, IP and management
  if (primary) {
    rehomeVlans(db, masterRef, primary);
    if (hasIp(master)) db.update('PIF', primary, ipOf(master));
    if (master.management === true) setManagement(w, db, primary);
  }
  db.delete('PIF', masterRef);
  db.delete('Bond', bond);
}

// ---- VLANs ----

function checkTag(tag: number): void {
  if (!Number.isInteger(tag) || tag < 0 || tag > 4094) fail('VLAN_TAG_INVALID', tag);
}

function checkVlanOn(db: Db, tagged: string, tag: number, network: string): void {
  const t = db.get('PIF', tagged);
  if (!isNull(t.bond_slave_of)) fail('CANNOT_ADD_VLAN_TO_BOND_SLAVE', tagged);
  if (!isNull(t.VLAN_master_of) || (t.VLAN as number) >= 0) fail('PIF_IS_VLAN', tagged);
  const same = db.childrenOf('VLAN', 'tagged_PIF', tagged).find(([, v]) => v.tag === tag);
  if (same) fail('PIF_VLAN_EXISTS', same[1].untagged_PIF as string);
  const existing = pifOn(db, t.host as string, network);
  if (existing) fail('NETWORK_ALREADY_CONNECTED', network, existing[0]);
}

/** Creates a VLAN on a tagged PIF (checks done by the caller). Returns the VLAN ref. */
export function makeVlan(db: Db, tagged: string, tag: number, network: string): string {
  const t = db.get('PIF', tagged);
  const vlan = db.create('VLAN', { tagged_PIF: tagged, untagged_PIF: NULL_REF, tag, other_config: {} });
  const pif = db.create('PIF', {
    device: t.device,
    network,
    host: t.host,
    MAC: t.MAC,
    MTU: db.get('network', network).MTU,
    VLAN: tag,
    physical: false,
    currently_attached: true,
    managed: true,
    VLAN_master_of: vlan,
    bond_slave_of: NULL_REF,
    igmp_snooping_status: t.igmp_snooping_status,
    other_config: {},
    properties: {},
  });
  db.update('VLAN', vlan, { untagged_PIF: pif });
  return vlan;
}

async function vlanCreate(ctx: Ctx, tagged: string, tag: number, network: string): Promise<string> {
  const { w, db } = ctx;
  if (isNull(tagged)) fail('HANDLE_INVALID', 'PIF', tagged);
  if (isNull(network)) fail('HANDLE_INVALID', 'network', network);
  checkTag(tag);
  checkVlanOn(db, tagged, tag, network);
  w.assertLive(db, db.get('PIF', tagged).host as string);
  await ctx.work();
  return makeVlan(db, tagged, tag, network);
}

function destroyVlan(db: Db, vlan: string): void {
  const v = db.get('VLAN', vlan);
  const u = v.untagged_PIF as string;
  if (db.tryGet('PIF', u)?.management === true) fail('PIF_IS_MANAGEMENT_INTERFACE', u);
  db.delete('PIF', u);
  db.delete('VLAN', vlan);
}

/** The untagged PIFs on network `base`, one per host: where a pool-wide VLAN on it goes. */
export function poolVlanTargets(db: Db, base: string): [string, Rec][] {
  return db.childrenOf('PIF', 'network', base).filter(([, p]) => (p.VLAN as number) < 0);
}

/** pool.create_VLAN_from_PIF: the VLAN on every host, on the PIF sharing `pif`'s network. */
async function createVlanFromPif(ctx: Ctx, pif: string, network: string, tag: number): Promise<string[]> {
  const { w, db } = ctx;
  if (isNull(pif)) fail('HANDLE_INVALID', 'PIF', pif);
  if (isNull(network)) fail('HANDLE_INVALID', 'network', network);
  checkTag(tag);
  const targets = poolVlanTargets(db, db.get('PIF', pif).network as string);
  for (const [ref, p] of targets) {
    w.assertLive(db, p.host as string);
    checkVlanOn(db, ref, tag, network);
  }
  await ctx.work();
  return targets.map(([ref]) => db.get('VLAN', makeVlan(db, ref, tag, network)).untagged_PIF as string);
}

// ---- PIF IP configuration and plugging ----

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

async function reconfigureIp(ctx: Ctx, pif: string, mode: string, ip: string, netmask: string, gateway: string, dns: string): Promise<void> {
  const { w, db } = ctx;
  const p = db.get('PIF', pif);
  w.assertLive(db, p.host as string);
  if (p.management === true && mode === 'None') fail('PIF_IS_MANAGEMENT_INTERFACE', pif);
  if (!isNull(p.bond_slave_of)) fail('CANNOT_PLUG_BOND_SLAVE', pif);
  if (mode === 'Static') {
    if (!IPV4.test(ip)) fail('INVALID_IP_ADDRESS_SPECIFIED', 'IP');
    if (!IPV4.test(netmask)) fail('INVALID_IP_ADDRESS_SPECIFIED', 'netmask');
    if (gateway !== '' && !IPV4.test(gateway)) fail('INVALID_IP_ADDRESS_SPECIFIED', 'gateway');
  }
  await ctx.work();
  let patch: Record<string, unknown>;
  if (mode === 'Static') patch = { ip_configuration_mode: 'Static', IP: ip, netmask, gateway, DNS: dns };
  else if (mode === 'DHCP') {
    // the lab's DHCP server hands each host a lease in 10.10.9.0/24 unless the PIF already had one
    const h = w.hostOfRef(db, p.host as string);
    patch = { ip_configuration_mode: 'DHCP', IP: p.IP || `10.10.9.${100 + (h?.index ?? 0)}`, netmask: p.netmask || '255.255.255.0', gateway: p.gateway || '', DNS: p.DNS || '' };
  } else patch = { ...NO_IP };
  db.update('PIF', pif, { ...patch, currently_attached: mode === 'None' ? p.currently_attached : true });
}

/** What a management move onto `pif` needs: HA off, not a bond member, an IP configuration. */
function assertManagementTarget(w: World, db: Db, pif: string): void {
  const p = db.get('PIF', pif);
  if (w.pool(db).ha_enabled === true) fail('HA_IS_ENABLED');
  if (!isNull(p.bond_slave_of)) fail('CANNOT_PLUG_BOND_SLAVE', pif);
  if (!hasIp(p)) fail('PIF_HAS_NO_NETWORK_CONFIGURATION', pif);
}

/** Moves a host's management onto `pif` (which must carry an IP configuration). */
export function managementReconfigure(w: World, db: Db, pif: string): void {
  assertManagementTarget(w, db, pif);
  setManagement(w, db, pif);
}

async function poolManagementReconfigure(ctx: Ctx, network: string): Promise<void> {
  const { w, db } = ctx;
  if (isNull(network)) fail('HANDLE_INVALID', 'network', network);
  if (w.pool(db).ha_enabled === true) fail('HA_IS_ENABLED');
  // every host must have a PIF there before any PIF's configuration is looked at
  const moves = w.hostsOf(db).map((h) => pifOn(db, h.ref, network) ?? fail('PIF_NOT_PRESENT', h.ref, network));
  for (const [ref] of moves) assertManagementTarget(w, db, ref);
  await ctx.work();
  for (const [ref] of moves) setManagement(w, db, ref);
}

export const networkHandlers: Handlers = {
  'network.create': (ctx: Ctx, rec: Record<string, unknown>) => {
    const { db } = ctx;
    const mtu = (rec.MTU as number | undefined) ?? 1500;
    checkMtu(mtu);
    let bridge = (rec.bridge as string | undefined) ?? '';
    if (bridge !== '' && db.find('network', (n) => n.bridge === bridge)) fail('BRIDGE_NAME_EXISTS', bridge);
    if (bridge === '') bridge = freeBridge(db);
    return db.create('network', {
      name_label: rec.name_label ?? '',
      name_description: rec.name_description ?? '',
      MTU: mtu,
      other_config: rec.other_config ?? {},
      bridge,
      managed: rec.managed ?? true,
      tags: rec.tags ?? [],
    });
  },
  'network.destroy': (ctx: Ctx, net: string) => {
    const { db } = ctx;
    const n = db.get('network', net);
    const oc = n.other_config as Record<string, string>;
    if (oc.is_guest_installer_network === 'true' || oc.is_host_internal_management_network === 'true') fail('CANNOT_DESTROY_SYSTEM_NETWORK', net);
    const pifs = n.PIFs as string[];
    if (pifs.length) fail('NETWORK_CONTAINS_PIF', ...pifs);
    const vifs = n.VIFs as string[];
    if (vifs.length) fail('NETWORK_CONTAINS_VIF', ...vifs);
    db.delete('network', net);
  },
  'network.set_MTU': (ctx: Ctx, net: string, v: number) => {
    checkMtu(v);
    ctx.db.update('network', net, { MTU: v });
  },

  'PIF.reconfigure_ip': reconfigureIp,
  'PIF.plug': async (ctx: Ctx, pif: string) => {
    const p = ctx.db.get('PIF', pif);
    ctx.w.assertLive(ctx.db, p.host as string);
    if (!isNull(p.bond_slave_of)) fail('CANNOT_PLUG_BOND_SLAVE', pif);
    await ctx.work();
    ctx.db.update('PIF', pif, { currently_attached: true });
  },
  'PIF.unplug': async (ctx: Ctx, pif: string) => {
    const p = ctx.db.get('PIF', pif);
    ctx.w.assertLive(ctx.db, p.host as string);
    if (p.management === true) fail('PIF_IS_MANAGEMENT_INTERFACE', pif);
    if (p.disallow_unplug === true) fail('PIF_DOES_NOT_ALLOW_UNPLUG', pif);
    await ctx.work();
    ctx.db.update('PIF', pif, { currently_attached: false });
  },
  'PIF.set_property': (ctx: Ctx, pif: string, name: string, value: string) => {
    if (name !== 'gro' || (value !== 'on' && value !== 'off')) fail('INVALID_VALUE', name, value);
    const p = ctx.db.get('PIF', pif);
    ctx.db.update('PIF', pif, { properties: { ...(p.properties as Record<string, string>), [name]: value } });
  },
  'PIF.destroy': (ctx: Ctx, pif: string) => {
    const p = ctx.db.get('PIF', pif);
    if (p.physical === true || isNull(p.VLAN_master_of)) fail('PIF_IS_PHYSICAL', pif);
    destroyVlan(ctx.db, p.VLAN_master_of as string);
  },

  'Bond.create': bondCreate,
  'Bond.destroy': bondDestroy,
  'Bond.set_mode': async (ctx: Ctx, bond: string, mode: string) => {
    const b = ctx.db.get('Bond', bond);
    const props = bondProperties(mode, b.properties as Record<string, string>);
    await ctx.work();
    ctx.db.update('Bond', bond, { mode, properties: props });
  },
  'Bond.set_property': async (ctx: Ctx, bond: string, name: string, value: string) => {
    const b = ctx.db.get('Bond', bond);
    const p = BOND_PROPERTIES[name];
    if (!p || !p.modes.includes(b.mode as string) || !p.valid(value)) fail('INVALID_VALUE', name, value);
    await ctx.work();
    ctx.db.update('Bond', bond, { properties: { ...(b.properties as Record<string, string>), [name]: value } });
  },

  'VLAN.create': vlanCreate,
  'VLAN.destroy': async (ctx: Ctx, vlan: string) => {
    const v = ctx.db.get('VLAN', vlan);
    ctx.w.assertLive(ctx.db, ctx.db.get('PIF', v.tagged_PIF as string).host as string);
    if (ctx.db.tryGet('PIF', v.untagged_PIF as string)?.management === true) fail('PIF_IS_MANAGEMENT_INTERFACE', v.untagged_PIF as string);
    await ctx.work();
    destroyVlan(ctx.db, vlan);
  },
  'pool.create_VLAN_from_PIF': createVlanFromPif,
  'pool.create_VLAN': async (ctx: Ctx, device: string, network: string, tag: number) => {
    const any = ctx.db.find('PIF', (p) => p.device === device && (p.VLAN as number) < 0);
    if (!any) fail('PIF_DEVICE_NOT_FOUND');
    return createVlanFromPif(ctx, any[0], network, tag);
  },

  'host.management_reconfigure': async (ctx: Ctx, pif: string) => {
    ctx.w.assertLive(ctx.db, ctx.db.get('PIF', pif).host as string);
    assertManagementTarget(ctx.w, ctx.db, pif);
    await ctx.work();
    managementReconfigure(ctx.w, ctx.db, pif);
  },
  'pool.management_reconfigure': poolManagementReconfigure,
  'host.get_management_interface': (ctx: Ctx, host: string) => {
    const p = ctx.w.managementPif(ctx.db, host);
    if (!p) fail('HOST_HAS_NO_MANAGEMENT_IP');
    return p[0];
  },
  'pool.set_igmp_snooping_enabled': async (ctx: Ctx, pool: string, v: boolean) => {
    await ctx.work();
    ctx.db.update('pool', pool, { igmp_snooping_enabled: v });
    for (const [ref] of ctx.db.all('PIF')) ctx.db.update('PIF', ref, { igmp_snooping_status: v ? 'enabled' : 'disabled' });
  },
};
