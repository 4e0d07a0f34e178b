// The network of one Proxmox node as proxmox_node_network sees it, and the edits that bring it
// there. Pure functions: the resource's blocks (bridges, bonds, VLANs) with their defaults filled
// in; the same blocks read back from a node's interface list (GET /nodes/{node}/network); the
// ordered API edits (POST/PUT/DELETE /nodes/{node}/network[/{iface}]) that turn the staged list
// into the desired one, so that no edit names an interface not yet there or a port another
// interface still holds; and which guarded addresses (management, corosync links) an edit list
// touches. The node stages them all and applies them with one reload (resources/node-network.ts).
//
// Interfaces poolform manages carry the mark "[poolform]" at the end of their comments: the list
// a node answers is all poolform can observe, and the mark says which entries are the resource's
// (so one it managed and no longer lists is deleted, and the others are left alone).

import type { Rec } from './snapshot.js';
import { splitList } from './props.js';

export const MARK = '[poolform]';

export interface BridgeBlock {
  name: string;
  ports: string[];
  vlan_aware: boolean;
  vids: string | null;
  cidr: string | null;
  gateway: string | null;
  mtu: number | null;
  autostart: boolean;
  comments: string | null;
  ovs: boolean;
}

export interface BondBlock {
  name: string;
  slaves: string[];
  mode: string;
  hash_policy: string | null;
  bond_primary: string | null;
  ovs: boolean;
  cidr: string | null;
  mtu: number | null;
  comments: string | null;
}

export interface VlanBlock {
  name: string;
  raw_device: string | null;
  tag: number | null;
  cidr: string | null;
  gateway: string | null;
  mtu: number | null;
  comments: string | null;
}

export interface NodeBlocks {
  bridge: BridgeBlock[];
  bond: BondBlock[];
  vlan: VlanBlock[];
}

export type Kind = keyof NodeBlocks;

/** One API edit of the staged configuration. */
export interface NetEdit {
  op: 'create' | 'update' | 'delete';
  iface: string;
  /** Parameters (type included) for create/update. */
  params: Record<string, string | number>;
  /** Keys to remove (PUT delete=), for updates. */
  remove: string[];
}

/** The bridge default PVE writes for a VLAN-aware bridge without explicit VIDs. */
export const DEFAULT_VIDS = '2-4094';

const s = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const n = (v: unknown): number | null => {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(x) ? x : null;
};
const b = (v: unknown, dflt: boolean): boolean => (v === undefined || v === null ? dflt : v === true || v === 1 || v === '1' || v === 'true');
const list = (v: unknown): string[] => splitList(v);

/** Natural order of interface names (vmbr2 before vmbr10), the order observation reports. */
export function byName(a: string, c: string): number {
  return a.localeCompare(c, 'en', { numeric: true });
}

/** "vmbr1.20" → raw device and tag from the name; undefined for "vlan20"-style names. */
export function dottedVlan(name: string): { raw: string; tag: number } | undefined {
  const m = /^(.+)\.(\d+)$/.exec(name);
  return m ? { raw: m[1]!, tag: Number(m[2]) } : undefined;
}

/** The blocks of a resource's attributes with every unwritten attribute at its default. */
export function normalize(attrs: Record<string, unknown>): NodeBlocks {
  const rows = (k: string) => (Array.isArray(attrs[k]) ? (attrs[k] as Record<string, unknown>[]) : []).filter((r) => r && typeof r === 'object');
  return {
    bridge: rows('bridge').map((r) => ({
      name: String(r.name),
      ports: list(r.ports),
      vlan_aware: b(r.vlan_aware, false),
      vids: s(r.vids) === DEFAULT_VIDS ? null : s(r.vids),
      cidr: s(r.cidr),
      gateway: s(r.gateway),
      mtu: n(r.mtu),
      autostart: b(r.autostart, true),
      comments: s(r.comments),
      ovs: b(r.ovs, false),
    })),
    bond: rows('bond').map((r) => ({
      name: String(r.name),
      slaves: list(r.slaves),
      mode: String(r.mode ?? ''),
      hash_policy: s(r.hash_policy),
      bond_primary: s(r.bond_primary),
      ovs: b(r.ovs, false),
      cidr: s(r.cidr),
      mtu: n(r.mtu),
      comments: s(r.comments),
    })),
    vlan: rows('vlan').map((r) => ({
      name: String(r.name),
      raw_device: s(r.raw_device),
      tag: n(r.tag),
      cidr: s(r.cidr),
      gateway: s(r.gateway),
      mtu: n(r.mtu),
      comments: s(r.comments),
    })),
  };
}

/** Every interface name the blocks declare. */
export function declaredNames(blocks: NodeBlocks): string[] {
  return [...blocks.bridge, ...blocks.bond, ...blocks.vlan].map((x) => x.name);
}

/** The user's comments with poolform's mark (the mark alone when there are none). */
export function markComments(comments: string | null): string {
  return comments ? `${comments} ${MARK}` : MARK;
}

/** Comments as the node stores them → whether poolform's mark is there, and the user's part. */
export function unmarkComments(raw: unknown): { marked: boolean; comments: string | null } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!text.endsWith(MARK)) return { marked: false, comments: text || null };
  return { marked: true, comments: text.slice(0, -MARK.length).trim() || null };
}

function prefixOf(netmask: string): number | null {
  const parts = netmask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return /^\d+$/.test(netmask) ? Number(netmask) : null;
  let bits = 0;
  for (const p of parts) bits += p.toString(2).replace(/0/g, '').length;
  return bits;
}

/** The interface's IPv4 address in CIDR form ("10.20.0.11/24"), from cidr or address + netmask. */
export function cidrOf(rec: Rec): string | null {
  const c = s(rec.cidr);
  if (c) return c;
  const a = s(rec.address);
  const m = s(rec.netmask);
  if (!a) return null;
  const p = m ? prefixOf(m) : null;
  return p === null ? a : `${a}/${p}`;
}

/** The address part of a CIDR ("10.20.0.11/24" → "10.20.0.11"). */
export function ipOf(cidr: string | null | undefined): string | null {
  return cidr ? cidr.split('/')[0]!.trim() : null;
}

export function isBridgeType(t: unknown): boolean {
  return t === 'bridge' || t === 'OVSBridge';
}
export function isBondType(t: unknown): boolean {
  return t === 'bond' || t === 'OVSBond';
}

/** Interfaces the node lists that are real NICs (never created or deleted by poolform). */
export function isPhysical(rec: Rec): boolean {
  return rec.type === 'eth';
}

/** The blocks a node's interface list holds for the interfaces carrying poolform's mark, in name order. */
export function observeBlocks(ifaces: Rec[]): { blocks: NodeBlocks; managed: string[] } {
  const blocks: NodeBlocks = { bridge: [], bond: [], vlan: [] };
  const managed: string[] = [];
  for (const r of [...ifaces].sort((x, y) => byName(String(x.iface), String(y.iface)))) {
    const { marked, comments } = unmarkComments(r.comments);
    if (!marked || typeof r.iface !== 'string') continue;
    const name = r.iface;
    if (isBridgeType(r.type)) {
      const ovs = r.type === 'OVSBridge';
      blocks.bridge.push({
        name,
        ports: list(ovs ? r.ovs_ports : r.bridge_ports),
        vlan_aware: b(r.bridge_vlan_aware, false),
        vids: s(r.bridge_vids) === DEFAULT_VIDS ? null : s(r.bridge_vids),
        cidr: cidrOf(r),
        gateway: s(r.gateway),
        mtu: n(r.mtu),
        autostart: b(r.autostart, false),
        comments,
        ovs,
      });
    } else if (isBondType(r.type)) {
      const ovs = r.type === 'OVSBond';
      blocks.bond.push({
        name,
        slaves: list(ovs ? r.ovs_bonds : r.slaves),
        mode: s(r.bond_mode) ?? '',
        hash_policy: s(r.bond_xmit_hash_policy),
        bond_primary: s(r['bond-primary']),
        ovs,
        cidr: cidrOf(r),
        mtu: n(r.mtu),
        comments,
      });
    } else if (r.type === 'vlan') {
      blocks.vlan.push({
        name,
        raw_device: s(r['vlan-raw-device']),
        tag: n(r['vlan-id']),
        cidr: cidrOf(r),
        gateway: s(r.gateway),
        mtu: n(r.mtu),
        comments,
      });
    } else continue;
    managed.push(name);
  }
  return { blocks, managed };
}

/** The blocks as attribute values (plain objects, the shape observation reports). */
export function blocksAsAttrs(blocks: NodeBlocks): Record<Kind, Record<string, unknown>[]> {
  return {
    bridge: blocks.bridge.map((x) => ({ ...x, ports: [...x.ports] })),
    bond: blocks.bond.map((x) => ({ ...x, slaves: [...x.slaves] })),
    vlan: blocks.vlan.map((x) => ({ ...x })),
  };
}

type Params = Record<string, string | number | undefined>;

interface Want {
  kind: Kind;
  name: string;
  type: string;
  params: Params;
  /** Interfaces this one needs to exist first (ports, slaves, raw device, the OVS bridge of an OVS bond). */
  needs: string[];
  /** Members it holds (ports, slaves): one interface can be the member of one other only. */
  holds: string[];
}

/** The OVS bridge each OVS bond hangs off: the OVS bridge whose ports list it. */
function ovsBridgeOf(blocks: NodeBlocks, bond: string): string | undefined {
  return blocks.bridge.find((x) => x.ovs && x.ports.includes(bond))?.name;
}

/** What each declared interface should be on the node, as API parameters. */
export function wanted(blocks: NodeBlocks): Want[] {
  const out: Want[] = [];
  const ovsBonds = new Set(blocks.bond.filter((x) => x.ovs).map((x) => x.name));
  for (const x of blocks.bond) {
    const common = { mtu: x.mtu ?? undefined, comments: markComments(x.comments), bond_mode: x.mode || undefined };
    if (x.ovs) {
      const br = ovsBridgeOf(blocks, x.name);
      out.push({ kind: 'bond', name: x.name, type: 'OVSBond', params: { ...common, ovs_bonds: x.slaves.join(' '), ovs_bridge: br, autostart: 1 }, needs: [...x.slaves, ...(br ? [br] : [])], holds: x.slaves });
    } else {
      out.push({
        kind: 'bond',
        name: x.name,
        type: 'bond',
        params: { ...common, slaves: x.slaves.join(' '), bond_xmit_hash_policy: x.hash_policy ?? undefined, 'bond-primary': x.bond_primary ?? undefined, cidr: x.cidr ?? undefined, autostart: 1 },
        needs: x.slaves,
        holds: x.slaves,
      });
    }
  }
  for (const x of blocks.bridge) {
    const common = { cidr: x.cidr ?? undefined, gateway: x.gateway ?? undefined, mtu: x.mtu ?? undefined, autostart: x.autostart ? 1 : 0, comments: markComments(x.comments) };
    if (x.ovs) {
      // OVS bonds join their bridge themselves (ovs_bridge), after it exists.
      out.push({ kind: 'bridge', name: x.name, type: 'OVSBridge', params: { ...common, ovs_ports: x.ports.join(' ') || undefined }, needs: x.ports.filter((p) => !ovsBonds.has(p)), holds: x.ports.filter((p) => !ovsBonds.has(p)) });
    } else {
      out.push({
        kind: 'bridge',
        name: x.name,
        type: 'bridge',
        params: { ...common, bridge_ports: x.ports.join(' ') || undefined, bridge_vlan_aware: x.vlan_aware ? 1 : undefined, bridge_vids: x.vlan_aware ? (x.vids ?? undefined) : undefined },
        needs: x.ports,
        holds: x.ports,
      });
    }
  }
  for (const x of blocks.vlan) {
    const dotted = dottedVlan(x.name);
    const raw = x.raw_device ?? dotted?.raw;
    out.push({
      kind: 'vlan',
      name: x.name,
      type: 'vlan',
      params: {
        'vlan-raw-device': x.raw_device ?? undefined,
        'vlan-id': x.tag ?? undefined,
        cidr: x.cidr ?? undefined,
        gateway: x.gateway ?? undefined,
        mtu: x.mtu ?? undefined,
        comments: markComments(x.comments),
        autostart: 1,
      },
      needs: raw ? [raw] : [],
      holds: [],
    });
  }
  return out;
}

/** The same parameters read from an interface the node lists (for comparison). */
function present(rec: Rec, keys: string[]): Params {
  const out: Params = {};
  for (const k of keys) {
    let v: unknown;
    if (k === 'cidr') v = cidrOf(rec);
    else if (k === 'autostart' || k === 'bridge_vlan_aware') v = b(rec[k], false) ? 1 : k === 'autostart' ? 0 : undefined;
    else if (k === 'bridge_ports' || k === 'slaves' || k === 'ovs_ports' || k === 'ovs_bonds') v = list(rec[k]).join(' ') || undefined;
    else if (k === 'comments') v = typeof rec.comments === 'string' ? rec.comments.trim() || undefined : undefined;
    else if (k === 'bridge_vids') v = s(rec[k]) === DEFAULT_VIDS ? undefined : s(rec[k]) ?? undefined;
    else v = rec[k];
    out[k] = v === null || v === '' ? undefined : typeof v === 'number' || typeof v === 'string' ? v : v === undefined ? undefined : String(v);
  }
  return out;
}

/** Keys of a type's parameters that a PUT may delete when the declaration leaves them out. */
const DELETABLE: Record<string, string[]> = {
  bridge: ['cidr', 'gateway', 'mtu', 'comments', 'bridge_ports', 'bridge_vlan_aware', 'bridge_vids'],
  OVSBridge: ['cidr', 'gateway', 'mtu', 'comments', 'ovs_ports'],
  bond: ['cidr', 'mtu', 'comments', 'bond_xmit_hash_policy', 'bond-primary'],
  OVSBond: ['mtu', 'comments'],
  vlan: ['cidr', 'gateway', 'mtu', 'comments', 'vlan-raw-device', 'vlan-id'],
};

function same(a: string | number | undefined, c: string | number | undefined): boolean {
  if (a === undefined || c === undefined) return a === c;
  return String(a) === String(c);
}

const OVS_CHILDREN = new Set(['OVSBond', 'OVSIntPort', 'OVSPort']);

/**
 * What an interface the node lists uses: ports, slaves, raw device, an OVS child's bridge. An OVS
 * bridge's ports that are OVS bonds or ports are left out: those name the bridge themselves.
 */
function membersOf(rec: Rec, byIface: Map<string, Rec>): string[] {
  const raw = s(rec['vlan-raw-device']) ?? (rec.type === 'vlan' && typeof rec.iface === 'string' ? dottedVlan(rec.iface)?.raw : undefined);
  const ovsPorts = list(rec.ovs_ports).filter((p) => !OVS_CHILDREN.has(String(byIface.get(p)?.type)));
  return [...list(rec.bridge_ports), ...ovsPorts, ...list(rec.slaves), ...list(rec.ovs_bonds), ...(raw ? [raw] : []), ...(s(rec.ovs_bridge) ? [String(rec.ovs_bridge)] : [])];
}

/**
 * The edits that turn `staged` (the node's interface list) into the declared blocks, in an order
 * the API accepts: one taking a port after the one releasing it; a deletion after everything that
 * stopped using it; a re-creation (type change) after its deletion; an OVS bond after its bridge;
 * otherwise an interface after the ones it rides on, bonds before bridges before VLANs. `previouslyManaged` are the names the resource managed so far: those no longer declared
 * are deleted (physical NICs never are; one that becomes a port or slave gives up its address).
 */
export function planEdits(blocks: NodeBlocks, staged: Rec[], previouslyManaged: string[]): NetEdit[] {
  const byIface = new Map(staged.filter((r) => typeof r.iface === 'string').map((r) => [r.iface as string, r]));
  const want = wanted(blocks);
  const declared = new Set(want.map((w) => w.name));
  interface Node {
    edit: NetEdit;
    holdsNow: string[];
    holdsAfter: string[];
    needs: string[];
    rank: number;
  }
  const nodes: Node[] = [];
  const rankOf: Record<Kind, number> = { bond: 1, bridge: 2, vlan: 3 };
  for (const name of [...new Set(previouslyManaged)].sort(byName)) {
    const rec = byIface.get(name);
    if (!rec || declared.has(name) || isPhysical(rec)) continue;
    nodes.push({ edit: { op: 'delete', iface: name, params: {}, remove: [] }, holdsNow: membersOf(rec, byIface), holdsAfter: [], needs: [], rank: 0 });
  }
  for (const w of want) {
    const rec = byIface.get(w.name);
    const params: Record<string, string | number> = { type: w.type };
    for (const [k, v] of Object.entries(w.params)) if (v !== undefined) params[k] = v;
    if (rec && rec.type !== w.type) {
      // A different kind of interface under the same name: deleted, then made anew.
      nodes.push({ edit: { op: 'delete', iface: w.name, params: {}, remove: [] }, holdsNow: membersOf(rec, byIface), holdsAfter: [], needs: [], rank: 0 });
      nodes.push({ edit: { op: 'create', iface: w.name, params, remove: [] }, holdsNow: [], holdsAfter: w.holds, needs: w.needs, rank: rankOf[w.kind] });
      continue;
    }
    if (!rec) {
      nodes.push({ edit: { op: 'create', iface: w.name, params, remove: [] }, holdsNow: [], holdsAfter: w.holds, needs: w.needs, rank: rankOf[w.kind] });
      continue;
    }
    const keys = Object.keys(w.params);
    const have = present(rec, keys);
    const differs = keys.some((k) => !same(w.params[k], have[k]));
    const remove = (DELETABLE[w.type] ?? []).filter((k) => w.params[k] === undefined && have[k] !== undefined);
    if (!differs && remove.length === 0) continue;
    nodes.push({ edit: { op: 'update', iface: w.name, params, remove }, holdsNow: membersOf(rec, byIface), holdsAfter: w.holds, needs: w.needs, rank: rankOf[w.kind] });
  }
  // A physical NIC becoming a port or slave gives up its address (the interface over it carries it now).
  const claimed = new Set(want.flatMap((w) => w.holds));
  for (const m of [...claimed].sort(byName)) {
    const rec = byIface.get(m);
    if (!rec || !isPhysical(rec) || (!cidrOf(rec) && !s(rec.gateway))) continue;
    const remove = ['cidr', ...(s(rec.gateway) ? ['gateway'] : [])];
    nodes.push({ edit: { op: 'update', iface: m, params: { type: 'eth' }, remove }, holdsNow: [], holdsAfter: [], needs: [], rank: 0 });
  }
  return order(nodes);

  function order(all: Node[]): NetEdit[] {
    const after = new Map<number, Set<number>>(all.map((_, i) => [i, new Set<number>()]));
    const must = (later: number, earlier: number) => {
      if (later !== earlier) after.get(later)!.add(earlier);
    };
    all.forEach((x, i) => {
      all.forEach((y, j) => {
        if (i === j) return;
        // an OVS bond after its bridge (the platform checks it exists; other members it does not)
        if (x.edit.op !== 'delete' && y.edit.op === 'create' && x.edit.params.type === 'OVSBond' && x.edit.params.ovs_bridge === y.edit.iface) must(i, j);
        // x takes a member y lets go of
        const released = y.holdsNow.filter((m) => !y.holdsAfter.includes(m));
        if (x.edit.op !== 'delete' && x.holdsAfter.some((m) => released.includes(m) && !x.holdsNow.includes(m))) must(i, j);
        // y is deleted: after everything that stops using it
        if (y.edit.op === 'delete' && x.holdsNow.includes(y.edit.iface) && !x.holdsAfter.includes(y.edit.iface)) must(j, i);
        // a NIC is stripped of its address before it is taken as a member
        if (x.edit.op !== 'delete' && y.edit.op === 'update' && y.edit.params.type === 'eth' && x.holdsAfter.includes(y.edit.iface)) must(i, j);
        // re-created after its deletion
        if (x.edit.op === 'create' && y.edit.op === 'delete' && x.edit.iface === y.edit.iface) must(i, j);
      });
    });
    const done = new Set<number>();
    const out: NetEdit[] = [];
    const creates = new Map(all.map((x, i) => [x.edit.op === 'create' ? x.edit.iface : '', i] as const));
    // Preference among edits free to go: what they ride on made first, then bonds, bridges, VLANs.
    const waiting = (i: number) => all[i]!.needs.some((m) => creates.has(m) && !done.has(creates.get(m)!)) ? 1 : 0;
    const key = (i: number) => [waiting(i) * 10 + all[i]!.rank, all[i]!.edit.iface] as const;
    while (done.size < all.length) {
      const ready = [...after.keys()].filter((i) => !done.has(i) && [...after.get(i)!].every((j) => done.has(j)));
      if (ready.length === 0) {
        const stuck = all.filter((_, i) => !done.has(i)).map((x) => `${x.edit.op} ${x.edit.iface}`);
        throw new Error(`the interface changes depend on each other in a cycle (${stuck.join(', ')}): split them over two applies`);
      }
      ready.sort((p, q) => {
        const [ra, na] = key(p);
        const [rb, nb] = key(q);
        return ra - rb || byName(na, nb);
      });
      const next = ready[0]!;
      done.add(next);
      out.push(all[next]!.edit);
    }
    return out;
  }
}

/** The interface list after the edits (what the node will run once reloaded). */
export function applyEdits(staged: Rec[], edits: NetEdit[]): Rec[] {
  const m = new Map(staged.filter((r) => typeof r.iface === 'string').map((r) => [r.iface as string, { ...r }]));
  for (const e of edits) {
    if (e.op === 'delete') m.delete(e.iface);
    else {
      const base: Rec = e.op === 'create' ? { iface: e.iface } : { ...m.get(e.iface) };
      for (const k of e.remove) delete base[k];
      if (e.remove.includes('cidr')) delete base.address, delete base.netmask;
      Object.assign(base, e.params);
      if ('cidr' in e.params) delete base.address, delete base.netmask;
      m.set(e.iface, base);
    }
  }
  return [...m.values()];
}

/** The interface holding an IPv4 address, if any. */
export function holderOf(ifaces: Rec[], ip: string): Rec | undefined {
  return ifaces.find((r) => ipOf(cidrOf(r)) === ip);
}

/** The interface and everything it rides on (ports, slaves, raw devices), transitively. */
export function underlay(ifaces: Rec[], name: string): Set<string> {
  const byIface = new Map(ifaces.map((r) => [String(r.iface), r]));
  const seen = new Set<string>();
  const walk = (x: string) => {
    if (seen.has(x)) return;
    seen.add(x);
    const r = byIface.get(x);
    if (!r) return;
    for (const m of membersOf(r, byIface)) if (m !== r.ovs_bridge) walk(m);
  };
  walk(name);
  return seen;
}

export interface TouchedAddress {
  ip: string;
  /** The interface carrying it now, and after the edits (undefined: nowhere). */
  before?: string;
  after?: string;
}

/**
 * Which of the guarded addresses (the node's management address, its corosync link addresses)
 * the edits touch: the interface carrying it (or anything under it) is edited, or the address
 * moves to or disappears from an interface.
 */
export function touchedAddresses(staged: Rec[], edits: NetEdit[], ips: string[]): TouchedAddress[] {
  const edited = new Set(edits.map((e) => e.iface));
  const next = applyEdits(staged, edits);
  const out: TouchedAddress[] = [];
  for (const ip of [...new Set(ips)]) {
    const was = holderOf(staged, ip);
    const will = holderOf(next, ip);
    const wasName = was ? String(was.iface) : undefined;
    const willName = will ? String(will.iface) : undefined;
    const under = new Set([...(wasName ? underlay(staged, wasName) : []), ...(willName ? underlay(next, willName) : [])]);
    if (wasName !== willName || [...under].some((x) => edited.has(x))) out.push({ ip, before: wasName, after: willName });
  }
  return out;
}
