// Questions every XenServer resource, its preflight and the operations ask of a snapshot: which
// host a name means, who the coordinator is, which hosts are live, the order changes visit hosts,
// a host's PIF on a network / physical PIF by device / management PIF; plus the value coercions
// (XAPI ints and bools arrive as numbers or strings depending on the wire) and the call options /
// error context every step uses. Pure functions of the Snapshot, so observation, preflight and
// the operations read the pool the same way.

import type { PlannedChange, ProviderContext } from '../../engine/provider.js';
import { nearestName } from '../../engine/diagnostics.js';
import type { AsyncCallOptions } from './client/types.js';
import type { Snapshot, SnapshotClass, XapiRecord } from './snapshot.js';

export const NULL_REF = 'OpaqueRef:NULL';
export type Entry = [string, XapiRecord];

// ---- value coercions ----

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** XAPI ints travel as numbers (JSON-RPC) or strings (XML-RPC). */
export function int(v: unknown, fallback = 0): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** XML-RPC sends booleans as 0/1 or "true"/"false"; JSON-RPC as booleans. */
export function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 'true';
}

export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) out[k] = str(x);
  return out;
}

export function isRef(v: unknown): v is string {
  return typeof v === 'string' && v !== '' && v !== NULL_REF;
}

export function refList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter(isRef) : [];
}

/** The uuid of the object `ref` points at, or undefined for the null ref. */
export function uuidOf(snap: Snapshot, cls: SnapshotClass, ref: unknown): string | undefined {
  return isRef(ref) ? snap.get(cls, ref)?.uuid : undefined;
}

/** Natural order of device names: eth2 before eth10. */
export function deviceOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** True for the "(known after apply)" placeholder the plan carries for unknown values. */
export function isUnknownValue(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && '(known after apply)' in (v as object);
}

// ---- hosts ----

export function coordinatorRef(snap: Snapshot): string {
  const [, pool] = snap.pool();
  if (!isRef(pool.master)) throw new Error('the pool names no coordinator host');
  return pool.master;
}

/** The coordinator's entry; throws when the pool names no host that exists. */
export function coordinator(snap: Snapshot): Entry {
  const [, pool] = snap.pool();
  const ref = str(pool.master);
  const h = snap.get('host', ref);
  if (!h) throw new Error('the pool names no coordinator host');
  return [ref, h];
}

/** Whether XAPI considers the host alive (host_metrics.live). */
export function isLive(snap: Snapshot, host: XapiRecord): boolean {
  const m = isRef(host.metrics) ? snap.get('host_metrics', host.metrics) : undefined;
  return m ? bool(m.live) : false;
}

/** Every host of the pool: members by name first, the coordinator last (the order changes visit them). */
export function hostsInOrder(snap: Snapshot): Entry[] {
  const master = coordinatorRef(snap);
  const members = snap.all('host').filter(([ref]) => ref !== master);
  members.sort(([, a], [, b]) => deviceOrder(str(a.name_label), str(b.name_label)));
  const c = snap.get('host', master);
  return c ? [...members, [master, c]] : members;
}

/** A host by uuid or name_label. Names are not unique in XAPI: an ambiguous name is an error; an unknown one names the nearest host. */
export function resolveHost(snap: Snapshot, nameOrUuid: string): Entry {
  const byUuid = snap.find('host', (h) => h.uuid === nameOrUuid);
  if (byUuid) return byUuid;
  const named = snap.filter('host', (h) => h.name_label === nameOrUuid);
  if (named.length === 1) return named[0];
  if (named.length > 1) throw new Error(`host "${nameOrUuid}": ${named.length} hosts have this name; name it by uuid (${named.map(([, h]) => h.uuid).join(', ')})`);
  const names = snap.all('host').map(([, h]) => str(h.name_label));
  const near = nearestName(nameOrUuid, names);
  throw new Error(`host "${nameOrUuid}" is not in the pool${near ? ` (did you mean "${near}"?)` : ''}; hosts: ${names.sort(deviceOrder).join(', ') || 'none'}`);
}

/**
 * Whether the plan joins a host to the pool. Such a host is not in the snapshot yet, so a host
 * name no current host has may be its: preflight leaves that name to be resolved when applied.
 */
export function joinsHosts(all: PlannedChange[]): boolean {
  return all.some((c) => c.type === 'xenserver_pool_member' && (c.action === 'create' || c.action === 'replace'));
}

/**
 * resolveHost for preflight: undefined (checked when applied) when no current host has the name
 * or uuid but the plan joins a host; throws as resolveHost does otherwise.
 */
export function plannedHost(snap: Snapshot, nameOrUuid: string, all: PlannedChange[]): Entry | undefined {
  const known = snap.find('host', (h) => h.uuid === nameOrUuid || h.name_label === nameOrUuid);
  return known || !joinsHosts(all) ? resolveHost(snap, nameOrUuid) : undefined;
}

/** The host at `ref`; throws when it has left the pool since the step began. */
export function hostAt(snap: Snapshot, ref: string): XapiRecord {
  const h = snap.get('host', ref);
  if (!h) throw new Error(`host ${ref} is no longer in the pool`);
  return h;
}

/** The host with this uuid (a resource's id); throws when it has left the pool. */
export function hostByUuid(snap: Snapshot, uuid: string): Entry {
  const found = snap.find('host', (h) => h.uuid === uuid);
  if (!found) throw new Error(`host ${uuid} is no longer in the pool`);
  return found;
}

export function hostName(snap: Snapshot, hostRef: string): string {
  return str(snap.get('host', hostRef)?.name_label) || hostRef;
}

/** host.address without a port ("127.0.0.1:4431" → "127.0.0.1"), for SSH. */
export function addressHost(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  const parts = address.split(':');
  return parts.length === 2 ? parts[0] : address;
}

// ---- per-host objects of pool-wide resources ----

/** A pool-wide bond or VLAN as the snapshot has it (see perHostOn). */
export interface PerHost {
  netRef: string;
  /** [host ref, object ref, object] for each host that has one, in the order changes visit hosts. */
  items: [string, string, XapiRecord][];
  /** Host uuid → object uuid. */
  byHost: Record<string, string>;
  /** The hosts without one, in the same order (none: the resource is pool-wide). */
  missing: Entry[];
}

/**
 * The Bonds or VLANs whose PIF (`pifField`: Bond.master, VLAN.untagged_PIF) is on the network with
 * this uuid (the resource's id): XAPI makes them per host, the resource is their union. Undefined
 * when the network is gone.
 */
export function perHostOn(snap: Snapshot, cls: 'Bond' | 'VLAN', pifField: string, networkUuid: string): PerHost | undefined {
  const netRef = snap.refOf(networkUuid);
  if (!netRef || !snap.get('network', netRef)) return undefined;
  const byHostRef = new Map<string, [string, string, XapiRecord]>();
  for (const [ref, o] of snap.all(cls)) {
    const pif = isRef(o[pifField]) ? snap.get('PIF', o[pifField]) : undefined;
    if (pif && pif.network === netRef) byHostRef.set(str(pif.host), [str(pif.host), ref, o]);
  }
  const out: PerHost = { netRef, items: [], byHost: {}, missing: [] };
  for (const [hostRef, host] of hostsInOrder(snap)) {
    const item = byHostRef.get(hostRef);
    if (!item) out.missing.push([hostRef, host]);
    else {
      out.items.push(item);
      out.byHost[host.uuid] = item[2].uuid;
    }
  }
  return out;
}

// ---- SRs ----

/** The ref of the SR with this uuid, or undefined when it names no SR of the pool. */
export function srRefOf(snap: Snapshot, uuid: string): string | undefined {
  const ref = snap.refOf(uuid);
  return ref && snap.byUuid('SR', uuid) ? ref : undefined;
}

// ---- PIFs ----

/** The host's PIF on a network (its bond master, VLAN or physical NIC there). */
export function pifOnNetwork(snap: Snapshot, hostRef: string, networkRef: string): Entry | undefined {
  return snap.find('PIF', (p) => p.host === hostRef && p.network === networkRef);
}

/** The VLAN tag of a PIF (-1 when untagged). */
export function vlanTag(pif: XapiRecord): number {
  return int(pif.VLAN, -1);
}

/** The host's untagged physical NIC with this device name (eth0...). */
export function physicalPif(snap: Snapshot, hostRef: string, device: string): Entry | undefined {
  return snap.find('PIF', (p) => p.host === hostRef && bool(p.physical) && str(p.device) === device && vlanTag(p) < 0);
}

/** The host's management PIF, if it has one. */
export function managementPif(snap: Snapshot, hostRef: string): Entry | undefined {
  return snap.find('PIF', (p) => p.host === hostRef && bool(p.management));
}

export function isBondSlave(pif: XapiRecord): boolean {
  return isRef(pif.bond_slave_of);
}

export function isBondMaster(pif: XapiRecord): boolean {
  return refList(pif.bond_master_of).length > 0;
}

export function networkLabel(snap: Snapshot, networkRef: string): string {
  const n = snap.get('network', networkRef);
  return n ? `"${str(n.name_label)}" (${n.uuid})` : networkRef;
}

// ---- calls ----

/** Options for an XAPI call made on behalf of the step `ctx` runs: abortable, tagged, journalled. */
export function callOpts(ctx: ProviderContext, onTask?: (t: string) => void): AsyncCallOptions {
  return {
    signal: ctx.signal,
    step: ctx.step,
    onTask: (t) => {
      ctx.task?.(t);
      onTask?.(t);
    },
  };
}

/**
 * Wraps a failure with the object it concerns ("xenserver_bond on host xs2: ..."), keeping the
 * XAPI error as `cause`. `secrets` are masked out of the message (a backend may echo parameters).
 */
export function inContext(what: string, err: unknown, secrets: string[] = []): Error {
  let msg = err instanceof Error ? err.message : String(err);
  for (const s of secrets) if (s) msg = msg.split(s).join('***');
  const e = new Error(`${what}: ${msg}`, { cause: err });
  return e;
}

/** The XAPI error code of a failure, if it is one (XapiError or anything carrying `code`). */
export function codeOf(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}
