// The pool as one bulk read: every record of the classes poolform manages, fetched with a single
// `event.from` call (an empty token returns each live object as an "add" event), indexed by ref
// and uuid. Observation, preflight and the resources' own look-ups all read from it, so a plan
// costs a login plus one request whatever the pool's size. A snapshot keeps the token it was read
// at, so bringing it up to date after a change is one more event.from from that token, which
// returns only what was added, modified or deleted since (XAPI's own change feed), not the pool.

import { XapiError, type XapiClient } from './client/types.js';

/** A record as XAPI returns it: field names of the data model (name_label, PIFs, other_config...). */
export type XapiRecord = Record<string, unknown> & { uuid: string };

/** The classes a snapshot holds, in the case XAPI spells them. */
const SNAPSHOT_CLASSES = ['pool', 'host', 'host_metrics', 'SR', 'PBD', 'network', 'PIF', 'Bond', 'VLAN', 'VM', 'VDI', 'VBD', 'VIF', 'task', 'secret'] as const;
export type SnapshotClass = (typeof SNAPSHOT_CLASSES)[number];

interface EventRecord {
  class: string;
  operation: string;
  ref: string;
  snapshot?: XapiRecord;
}

interface EventBatch {
  events: EventRecord[];
  token: string;
}

/** Where a snapshot was read: the coordinator (tokens belong to its database), the classes, the token. */
export interface ReadPoint {
  url: string;
  classes: readonly string[];
  token: string;
}

/** One class's records by ref, and its refs by uuid. */
interface Table {
  byRef: Map<string, XapiRecord>;
  refByUuid: Map<string, string>;
}

export class Snapshot {
  /** Lower-case class name → table. Never changed once the snapshot is built (advance() copies). */
  private readonly tables = new Map<string, Table>();

  constructor(
    records: Iterable<{ cls: string; ref: string; record: XapiRecord }>,
    /** Set when read from a pool: what advance() continues from. */
    readonly at?: ReadPoint,
  ) {
    for (const { cls, ref, record } of records) put(this.table(cls), ref, record);
  }

  private table(cls: string): Table {
    const key = cls.toLowerCase();
    let t = this.tables.get(key);
    if (!t) this.tables.set(key, (t = { byRef: new Map(), refByUuid: new Map() }));
    return t;
  }

  /**
   * A new snapshot: this one with `batch` (event.from since `at.token`) applied. Tables without
   * events are shared; this snapshot is left as it was (callers compare before and after).
   * Undefined when an add or mod comes without its record (the caller reads afresh).
   */
  advance(batch: EventBatch): Snapshot | undefined {
    if (!this.at) return undefined;
    const next = new Snapshot([], { ...this.at, token: batch.token });
    for (const [cls, t] of this.tables) next.tables.set(cls, t);
    const copied = new Set<string>();
    for (const e of batch.events) {
      const cls = e.class.toLowerCase();
      if (!copied.has(cls)) {
        const old = this.tables.get(cls);
        next.tables.set(cls, { byRef: new Map(old?.byRef), refByUuid: new Map(old?.refByUuid) });
        copied.add(cls);
      }
      const t = next.tables.get(cls)!;
      if (e.operation === 'del') remove(t, e.ref);
      else if (e.snapshot) put(t, e.ref, e.snapshot);
      else return undefined;
    }
    return next;
  }

  /** Every record of a class, as [ref, record] pairs. */
  all(cls: SnapshotClass): [string, XapiRecord][] {
    return [...(this.tables.get(cls.toLowerCase())?.byRef ?? [])];
  }

  get(cls: SnapshotClass, ref: string): XapiRecord | undefined {
    return this.tables.get(cls.toLowerCase())?.byRef.get(ref);
  }

  /** The ref of the object with this uuid (any class), or undefined. */
  refOf(uuid: string): string | undefined {
    for (const t of this.tables.values()) {
      const ref = t.refByUuid.get(uuid);
      if (ref !== undefined) return ref;
    }
    return undefined;
  }

  byUuid(cls: SnapshotClass, uuid: string): XapiRecord | undefined {
    const t = this.tables.get(cls.toLowerCase());
    const ref = t?.refByUuid.get(uuid);
    return ref === undefined ? undefined : t!.byRef.get(ref);
  }

  find(cls: SnapshotClass, pred: (rec: XapiRecord, ref: string) => boolean): [string, XapiRecord] | undefined {
    for (const [ref, rec] of this.tables.get(cls.toLowerCase())?.byRef ?? []) if (pred(rec, ref)) return [ref, rec];
    return undefined;
  }

  filter(cls: SnapshotClass, pred: (rec: XapiRecord, ref: string) => boolean): [string, XapiRecord][] {
    const out: [string, XapiRecord][] = [];
    for (const [ref, rec] of this.tables.get(cls.toLowerCase())?.byRef ?? []) if (pred(rec, ref)) out.push([ref, rec]);
    return out;
  }

  /** The pool (a standalone host is a pool of one, so there is always exactly one). */
  pool(): [string, XapiRecord] {
    const p = this.all('pool')[0];
    if (!p) throw new Error('the coordinator reported no pool object');
    return p;
  }
}

/** Adds or replaces a record (a replaced one keeps its place in the class's order, as a re-read would). */
function put(t: Table, ref: string, record: XapiRecord): void {
  const old = t.byRef.get(ref);
  if (old && old.uuid !== record.uuid) t.refByUuid.delete(old.uuid);
  t.byRef.set(ref, record);
  if (typeof record.uuid === 'string') t.refByUuid.set(record.uuid, ref);
}

function remove(t: Table, ref: string): void {
  const old = t.byRef.get(ref);
  if (!old) return;
  t.byRef.delete(ref);
  if (t.refByUuid.get(old.uuid) === ref) t.refByUuid.delete(old.uuid);
}

/** Reads a snapshot of `classes` in one request (event.from with an empty token). */
export async function readSnapshot(xapi: XapiClient, classes: readonly string[] = SNAPSHOT_CLASSES, signal?: AbortSignal): Promise<Snapshot> {
  const lower = classes.map((c) => c.toLowerCase());
  const res = await xapi.call<EventBatch>('event.from', [lower, '', 0], { signal });
  const records: { cls: string; ref: string; record: XapiRecord }[] = [];
  for (const e of res.events) {
    if (e.operation === 'del' || !e.snapshot) continue;
    records.push({ cls: e.class, ref: e.ref, record: e.snapshot });
  }
  return new Snapshot(records, { url: xapi.url, classes: lower, token: res.token });
}

/**
 * `prev` brought up to date: one event.from from its token (returning at once), applied to it.
 * Read afresh instead when `prev` has no token, was read from another coordinator (the client
 * moved: tokens are per database), or the host refuses the token (EVENTS_LOST after too many
 * changes, a token from before a restart).
 */
export async function refreshSnapshot(xapi: XapiClient, prev: Snapshot, signal?: AbortSignal): Promise<Snapshot> {
  const at = prev.at;
  if (!at || at.url !== xapi.url) return readSnapshot(xapi, at?.classes, signal);
  let batch: EventBatch;
  try {
    batch = await xapi.call<EventBatch>('event.from', [at.classes, at.token, 0], { signal });
  } catch (e) {
    if (signal?.aborted || !(e instanceof XapiError)) throw e;
    return readSnapshot(xapi, at.classes, signal);
  }
  return prev.advance(batch) ?? readSnapshot(xapi, at.classes, signal);
}
