// Look-ups the network, storage and template resources share: hosts in the order changes visit
// them, a host's PIF on a network, a physical PIF by device, the management PIF; plus the value
// coercions (XAPI ints and bools arrive as numbers or strings depending on the wire) and the
// call options / error context every step uses. Pure functions of the Snapshot, so observation,
// preflight and the operations read the pool the same way.

import type { ProviderContext } from '../../engine/provider.js';
import { nearestName } from '../../engine/diagnostics.js';
import type { AsyncCallOptions } from './client/types.js';
import type { Snapshot, SnapshotClass, XapiRecord } from './snapshot.js';

export const NULL_REF = 'OpaqueRef:NULL';
export type Entry = [string, XapiRecord];

// ---- value coercions ----

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export function int(v: unknown, fallback = 0): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

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

/** Every host of the pool: members by name first, the coordinator last (the order changes visit them). */
export function hostsInOrder(snap: Snapshot): Entry[] {
  const master = coordinatorRef(snap);
  const members = snap.all('host').filter(([ref]) => ref !== master);
  members.sort(([, a], [, b]) => deviceOrder(str(a.name_label), str(b.name_label)));
  const c = snap.get('host', master);
  return c ? [...members, [master, c]] : members;
}

/** A host by uuid or name_label; an unknown or ambiguous name throws, naming the nearest host. */
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

export function hostName(snap: Snapshot, hostRef: string): string {
  return str(snap.get('host', hostRef)?.name_label) || hostRef;
}

/** host.address without a port ("127.0.0.1:4431" → "127.0.0.1"), for SSH. */
export function addressHost(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  const parts = address.split(':');
  return parts.length === 2 ? parts[0] : address;
}

// ---- PIFs ----

/** The host's PIF on a network (its bond master, VLAN or physical NIC there). */
export function pifOnNetwork(snap: Snapshot, hostRef: string, networkRef: string): Entry | undefined {
  return snap.find('PIF', (p) => p.host === hostRef && p.network === networkRef);
}

/** The host's untagged physical NIC with this device name (eth0...). */
export function physicalPif(snap: Snapshot, hostRef: string, device: string): Entry | undefined {
  return snap.find('PIF', (p) => p.host === hostRef && bool(p.physical) && str(p.device) === device && int(p.VLAN, -1) < 0);
}

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
