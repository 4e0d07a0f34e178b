// One bulk read of the pool: every record of the classes poolform manages, fetched with a single
// `event.from` call (an empty token returns each live object as an "add" event), indexed by ref
// and uuid. Observation, preflight and the resources' own look-ups all read from it, so a plan
// costs a login plus one request whatever the pool's size.

import type { XapiClient } from './client/types.js';

/** A record as XAPI returns it: field names of the data model (name_label, PIFs, other_config...). */
export type XapiRecord = Record<string, unknown> & { uuid: string };

/** The classes a snapshot holds, in the case XAPI spells them. */
export const SNAPSHOT_CLASSES = ['pool', 'host', 'host_metrics', 'SR', 'PBD', 'network', 'PIF', 'Bond', 'VLAN', 'VM', 'VDI', 'VBD', 'VIF', 'task', 'secret'] as const;
export type SnapshotClass = (typeof SNAPSHOT_CLASSES)[number];

interface EventRecord {
  class: string;
  operation: string;
  ref: string;
  snapshot?: XapiRecord;
}

export class Snapshot {
  private readonly byClass = new Map<string, Map<string, XapiRecord>>();
  private readonly refByUuid = new Map<string, { cls: string; ref: string }>();

  constructor(records: Iterable<{ cls: string; ref: string; record: XapiRecord }>) {
    for (const { cls, ref, record } of records) {
      const key = cls.toLowerCase();
      let m = this.byClass.get(key);
      if (!m) this.byClass.set(key, (m = new Map()));
      m.set(ref, record);
      if (typeof record.uuid === 'string') this.refByUuid.set(record.uuid, { cls: key, ref });
    }
  }

  /** Every record of a class, as [ref, record] pairs. */
  all(cls: SnapshotClass): [string, XapiRecord][] {
    return [...(this.byClass.get(cls.toLowerCase()) ?? new Map<string, XapiRecord>())];
  }

  get(cls: SnapshotClass, ref: string): XapiRecord | undefined {
    return this.byClass.get(cls.toLowerCase())?.get(ref);
  }

  /** The ref of the object with this uuid (any class), or undefined. */
  refOf(uuid: string): string | undefined {
    return this.refByUuid.get(uuid)?.ref;
  }

  byUuid(cls: SnapshotClass, uuid: string): XapiRecord | undefined {
    const r = this.refByUuid.get(uuid);
    return r && r.cls === cls.toLowerCase() ? this.get(cls, r.ref) : undefined;
  }

  find(cls: SnapshotClass, pred: (rec: XapiRecord, ref: string) => boolean): [string, XapiRecord] | undefined {
    for (const [ref, rec] of this.byClass.get(cls.toLowerCase()) ?? []) if (pred(rec, ref)) return [ref, rec];
    return undefined;
  }

  filter(cls: SnapshotClass, pred: (rec: XapiRecord, ref: string) => boolean): [string, XapiRecord][] {
    const out: [string, XapiRecord][] = [];
    for (const [ref, rec] of this.byClass.get(cls.toLowerCase()) ?? []) if (pred(rec, ref)) out.push([ref, rec]);
    return out;
  }

  /** The pool (a standalone host is a pool of one, so there is always exactly one). */
  pool(): [string, XapiRecord] {
    const p = this.all('pool')[0];
    if (!p) throw new Error('the coordinator reported no pool object');
    return p;
  }
}

/** Reads a snapshot of `classes` in one request (event.from with an empty token). */
export async function readSnapshot(xapi: XapiClient, classes: readonly string[] = SNAPSHOT_CLASSES, signal?: AbortSignal): Promise<Snapshot> {
  const res = await xapi.call<{ events: EventRecord[] }>('event.from', [classes.map((c) => c.toLowerCase()), '', 0], { signal });
  const records: { cls: string; ref: string; record: XapiRecord }[] = [];
  for (const e of res.events) {
    if (e.operation === 'del' || !e.snapshot) continue;
    records.push({ cls: e.class, ref: e.ref, record: e.snapshot });
  }
  return new Snapshot(records);
}
