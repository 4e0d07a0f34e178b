// Questions the pool-level resources (pool, members, hosts, HA, power-on) and their preflight ask
// of a snapshot: which host a name means, who the coordinator is, which hosts are live, where a
// host's management interface is. Pure functions of the Snapshot, so observation and preflight
// agree; plus the XAPI call options every step passes (signal, step header, task journalling).

import type { ProviderContext } from '../../engine/provider.js';
import type { AsyncCallOptions } from './client/types.js';
import type { Snapshot, XapiRecord } from './snapshot.js';

export const NULL_REF = 'OpaqueRef:NULL';

/** Options for an XAPI call made on behalf of the step `ctx` runs: abortable, tagged, journalled. */
export function stepOpts(ctx: ProviderContext): AsyncCallOptions {
  return { signal: ctx.signal, step: ctx.step, onTask: (t) => ctx.task?.(t) };
}

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

export function refs(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== NULL_REF) : [];
}

export function isRef(v: unknown): v is string {
  return typeof v === 'string' && v !== '' && v !== NULL_REF;
}

/** The uuid of the object `ref` points at (any class), or null for the null ref. */
export function uuidOf(snap: Snapshot, cls: Parameters<Snapshot['get']>[0], ref: unknown): string | null {
  return isRef(ref) ? (snap.get(cls, ref)?.uuid ?? null) : null;
}

/** A host by uuid or name_label. Names are not unique in XAPI: an ambiguous name is an error. */
export function resolveHost(snap: Snapshot, nameOrUuid: string): [string, XapiRecord] {
  const byUuid = snap.find('host', (h) => h.uuid === nameOrUuid);
  if (byUuid) return byUuid;
  const named = snap.filter('host', (h) => h.name_label === nameOrUuid);
  if (named.length === 1) return named[0];
  const names = snap.all('host').map(([, h]) => str(h.name_label));
  if (named.length > 1) throw new Error(`host "${nameOrUuid}": ${named.length} hosts have this name; name the host by uuid (${named.map(([, h]) => h.uuid).join(', ')})`);
  throw new Error(`host "${nameOrUuid}" is not in the pool (hosts: ${names.sort().join(', ') || 'none'})`);
}

export function coordinator(snap: Snapshot): [string, XapiRecord] {
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

export function liveHosts(snap: Snapshot): [string, XapiRecord][] {
  return snap.all('host').filter(([, h]) => isLive(snap, h));
}

/** The host's management PIF, if it has one. */
export function managementPif(snap: Snapshot, hostRef: string): [string, XapiRecord] | undefined {
  return snap.find('PIF', (p) => p.host === hostRef && bool(p.management));
}

/** The VLAN tag of a PIF (-1 when untagged). */
export function vlanTag(pif: XapiRecord): number {
  return int(pif.VLAN, -1);
}
