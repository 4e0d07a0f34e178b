// One XAPI database: what a pool (or a standalone host, a pool of one) knows. Records of every
// class keyed by opaque refs, a uuid index, the one-to-many fields XAPI derives from the other side
// (host.PIFs from PIF.host, SR.PBDs from PBD.SR, ...), and the change log event.from reads.
//
// Records are frozen and replaced on every write (copy-on-write): a record handed out (to
// get_all_records, to an event snapshot) never changes under its reader, and bulk reads can hand
// out the stored objects without copying, which keeps event.from on a 1,000-VM pool cheap.

import { randomUUID } from 'node:crypto';
import { classMeta, NULL_REF, sharedDefaults, xapiDate } from './model.js';

export type Rec = Readonly<Record<string, unknown>> & { readonly uuid: string };

/** A change as event.from reports it, coalesced per object (the latest change wins). */
interface Change {
  id: number;
  cls: string;
  ref: string;
  /** The change id that created the object (an object created after a token is an "add"). */
  addId: number;
  deleted: boolean;
  /** For deletions: the last record, so a "del" event can still carry a snapshot. */
  last?: Rec;
  at: number;
}

export interface XapiEvent {
  id: number;
  timestamp: string;
  class: string;
  operation: 'add' | 'mod' | 'del';
  ref: string;
  snapshot?: Rec;
}

/** Event ids are shared by every database of the simulated world, so tokens never go backwards. */
export interface EventCounter {
  next: number;
  /** Hears of every change to any database sharing the counter (the lab saves its world after them). */
  changed?: () => void;
}

// The derived one-to-many fields: parent.field lists the children whose refField points at it.
// XAPI's datamodel declares these relations; the reference JSON does not carry them, so they are
// listed here (only the ones the simulated classes use).
const RELATIONS: { child: string; refField: string; parent: string; setField: string }[] = [
  { child: 'PIF', refField: 'host', parent: 'host', setField: 'PIFs' },
  { child: 'PIF', refField: 'network', parent: 'network', setField: 'PIFs' },
  { child: 'PIF', refField: 'bond_slave_of', parent: 'Bond', setField: 'slaves' },
  { child: 'Bond', refField: 'master', parent: 'PIF', setField: 'bond_master_of' },
  { child: 'VLAN', refField: 'tagged_PIF', parent: 'PIF', setField: 'VLAN_slave_of' },
  { child: 'PBD', refField: 'SR', parent: 'SR', setField: 'PBDs' },
  { child: 'PBD', refField: 'host', parent: 'host', setField: 'PBDs' },
  { child: 'VDI', refField: 'SR', parent: 'SR', setField: 'VDIs' },
  { child: 'VBD', refField: 'VDI', parent: 'VDI', setField: 'VBDs' },
  { child: 'VBD', refField: 'VM', parent: 'VM', setField: 'VBDs' },
  { child: 'VIF', refField: 'VM', parent: 'VM', setField: 'VIFs' },
  { child: 'VIF', refField: 'network', parent: 'network', setField: 'VIFs' },
  { child: 'VM', refField: 'resident_on', parent: 'host', setField: 'resident_VMs' },
  { child: 'task', refField: 'subtask_of', parent: 'task', setField: 'subtasks' },
];

const relationsByChild = new Map<string, typeof RELATIONS>();
const relationsByParent = new Map<string, typeof RELATIONS>();
for (const r of RELATIONS) {
  relationsByChild.set(r.child, [...(relationsByChild.get(r.child) ?? []), r]);
  relationsByParent.set(r.parent, [...(relationsByParent.get(r.parent) ?? []), r]);
}

/** Freezes a record and the values of `fresh` (values taken from frozen records already are). */
function freeze(rec: Record<string, unknown>, fresh: Record<string, unknown> = rec): Rec {
  for (const v of Object.values(fresh)) if (v && typeof v === 'object') Object.freeze(v);
  return Object.freeze(rec) as Rec;
}

export function newRef(): string {
  return `OpaqueRef:${randomUUID()}`;
}

export interface SessionInfo {
  ref: string;
  uuid: string;
  user: string;
  host: string;
  originator: string;
  created: number;
}

export class Db {
  private readonly tables = new Map<string, Map<string, Rec>>();
  private readonly classOfRef = new Map<string, string>();
  private readonly refOfUuid = new Map<string, string>();
  /** relation key "child.refField" → parent ref → child refs */
  private readonly children = new Map<string, Map<string, string[]>>();
  /** Latest change per object, kept in change order (a Map re-inserted on each change). */
  private readonly changes = new Map<string, Change>();
  private tombstones = 0;
  private waiters = new Set<() => void>();
  private notifyQueued = false;
  readonly sessions = new Map<string, SessionInfo>();

  constructor(readonly counter: EventCounter) {}

  /** The id the next change will take (event.get_current_id). */
  get currentId(): number {
    return this.counter.next;
  }

  table(cls: string): Map<string, Rec> {
    let t = this.tables.get(cls);
    if (!t) this.tables.set(cls, (t = new Map()));
    return t;
  }

  classOf(ref: string): string | undefined {
    return this.classOfRef.get(ref);
  }

  has(cls: string, ref: string): boolean {
    return this.table(cls).has(ref);
  }

  tryGet(cls: string, ref: string): Rec | undefined {
    return this.table(cls).get(ref);
  }

  /** The record; throws for a missing ref (callers validate refs at the API boundary first). */
  get(cls: string, ref: string): Rec {
    const r = this.table(cls).get(ref);
    if (!r) throw new Error(`internal: no ${cls} ${ref}`);
    return r;
  }

  refByUuid(uuid: string): string | undefined {
    return this.refOfUuid.get(uuid);
  }

  all(cls: string): IterableIterator<[string, Rec]> {
    return this.table(cls).entries();
  }

  count(cls: string): number {
    return this.table(cls).size;
  }

  find(cls: string, pred: (r: Rec, ref: string) => boolean): [string, Rec] | undefined {
    for (const [ref, r] of this.table(cls)) if (pred(r, ref)) return [ref, r];
    return undefined;
  }

  filter(cls: string, pred: (r: Rec, ref: string) => boolean): [string, Rec][] {
    const out: [string, Rec][] = [];
    for (const [ref, r] of this.table(cls)) if (pred(r, ref)) out.push([ref, r]);
    return out;
  }

  /**
   * The records of `child` whose `refField` points at `parent` ("PIF", "host", h: the host's PIFs),
   * read from the relation index rather than a scan of the class; only for the RELATIONS above.
   */
  childrenOf(child: string, refField: string, parent: string): [string, Rec][] {
    if (!relationsByChild.get(child)?.some((r) => r.refField === refField)) throw new Error(`internal: ${child}.${refField} is not an indexed relation`);
    return (this.children.get(`${child}.${refField}`)?.get(parent) ?? []).map((ref) => [ref, this.get(child, ref)]);
  }

  /**
   * Creates a record: datamodel defaults, then `fields`. A ref and uuid are made unless given
   * (a join moves objects between databases keeping both). Derived set fields are filled from
   * the children already present.
   */
  create(cls: string, fields: Record<string, unknown>, ref = newRef()): string {
    if (!classMeta(cls)) throw new Error(`internal: unknown class ${cls}`);
    const rec: Record<string, unknown> = { ...sharedDefaults(cls), ...fields };
    if (typeof rec.uuid !== 'string' || rec.uuid === '') rec.uuid = randomUUID();
    for (const r of relationsByParent.get(cls) ?? []) rec[r.setField] = [...(this.children.get(`${r.child}.${r.refField}`)?.get(ref) ?? [])];
    const frozen = freeze(rec, { ...fields, ...Object.fromEntries((relationsByParent.get(cls) ?? []).map((r) => [r.setField, rec[r.setField]])) });
    this.table(cls).set(ref, frozen);
    this.classOfRef.set(ref, cls);
    this.refOfUuid.set(frozen.uuid, ref);
    const id = this.bump();
    this.record({ id, cls, ref, addId: id, deleted: false, at: Date.now() });
    for (const r of relationsByChild.get(cls) ?? []) this.link(r, ref, frozen[r.refField] as string);
    return ref;
  }

  /** Replaces some fields of a record (copy-on-write) and logs a "mod". */
  update(cls: string, ref: string, patch: Record<string, unknown>): Rec {
    const old = this.get(cls, ref);
    let changed = false;
    for (const [k, v] of Object.entries(patch)) if (old[k] !== v) changed = true;
    if (!changed) return old;
    const next = freeze({ ...old, ...patch }, patch);
    this.table(cls).set(ref, next);
    this.touch(cls, ref);
    for (const r of relationsByChild.get(cls) ?? []) {
      if (r.refField in patch && old[r.refField] !== next[r.refField]) {
        this.unlink(r, ref, old[r.refField] as string);
        this.link(r, ref, next[r.refField] as string);
      }
    }
    return next;
  }

  /** Deletes a record and logs a "del" (children pointing at it keep their dangling refs). */
  delete(cls: string, ref: string): void {
    const old = this.tryGet(cls, ref);
    if (!old) return;
    this.table(cls).delete(ref);
    this.classOfRef.delete(ref);
    this.refOfUuid.delete(old.uuid);
    for (const r of relationsByChild.get(cls) ?? []) this.unlink(r, ref, old[r.refField] as string);
    const prev = this.changes.get(ref);
    this.changes.delete(ref);
    this.record({ id: this.bump(), cls, ref, addId: prev?.addId ?? 0, deleted: true, last: old, at: Date.now() });
    this.tombstones++;
    if (this.tombstones > 20000) this.pruneTombstones();
  }

  private bump(): number {
    return this.counter.next++;
  }

  private touch(cls: string, ref: string): void {
    const prev = this.changes.get(ref);
    this.changes.delete(ref);
    this.record({ id: this.bump(), cls, ref, addId: prev?.addId ?? 0, deleted: false, at: Date.now() });
  }

  private record(c: Change): void {
    this.changes.set(c.ref, c);
    this.queueNotify();
    this.counter.changed?.();
  }

  private link(r: (typeof RELATIONS)[number], child: string, parent: string): void {
    if (!parent || parent === NULL_REF) return;
    const key = `${r.child}.${r.refField}`;
    let idx = this.children.get(key);
    if (!idx) this.children.set(key, (idx = new Map()));
    const list = [...(idx.get(parent) ?? []), child];
    idx.set(parent, list);
    this.setDerived(r, parent, list);
  }

  private unlink(r: (typeof RELATIONS)[number], child: string, parent: string): void {
    if (!parent || parent === NULL_REF) return;
    const idx = this.children.get(`${r.child}.${r.refField}`);
    const list = (idx?.get(parent) ?? []).filter((c) => c !== child);
    if (list.length) idx?.set(parent, list);
    else idx?.delete(parent);
    this.setDerived(r, parent, list);
  }

  private setDerived(r: (typeof RELATIONS)[number], parent: string, list: string[]): void {
    const p = this.tryGet(r.parent, parent);
    if (!p) return;
    const set = [...list];
    this.table(r.parent).set(parent, freeze({ ...p, [r.setField]: set }, { set }));
    this.touch(r.parent, parent);
  }

  private pruneTombstones(): void {
    for (const [ref, c] of this.changes) {
      if (this.tombstones <= 10000) break;
      if (c.deleted) {
        this.changes.delete(ref);
        this.tombstones--;
      }
    }
  }

  // ---- events ----

  private queueNotify(): void {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    // after the current synchronous stretch of a handler, so one operation's changes arrive together
    queueMicrotask(() => {
      this.notifyQueued = false;
      const ws = this.waiters;
      this.waiters = new Set();
      for (const w of ws) w();
    });
  }

  /**
   * This database is no longer its host's (the host joined a pool and lives in the pool's database
   * now): its event.from waiters are woken at once, to look again where their host is.
   */
  retire(): void {
    this.queueNotify();
  }

  /** Resolves at the next change or retirement (or never; callers race it against their timeout). */
  nextChange(): { promise: Promise<void>; cancel(): void } {
    let fn!: () => void;
    const promise = new Promise<void>((resolve) => (fn = resolve));
    this.waiters.add(fn);
    return { promise, cancel: () => this.waiters.delete(fn) };
  }

  /** Every current object of the classes, as "add" events (event.from with an empty token). */
  snapshotEvents(classes: Set<string> | null): XapiEvent[] {
    const out: XapiEvent[] = [];
    for (const [cls, t] of this.tables) {
      const lc = cls.toLowerCase();
      if (classes && !classes.has(lc)) continue;
      for (const [ref, rec] of t) {
        const c = this.changes.get(ref);
        out.push({ id: c?.id ?? 0, timestamp: xapiDate(c?.at ?? Date.now()), class: lc, operation: 'add', ref, snapshot: rec });
      }
    }
    return out;
  }

  /** Changes after event id `since` to objects of the classes (coalesced per object). */
  eventsSince(since: number, classes: Set<string> | null): XapiEvent[] {
    const out: XapiEvent[] = [];
    for (const c of this.changes.values()) {
      if (c.id <= since) continue;
      const lc = c.cls.toLowerCase();
      if (classes && !classes.has(lc)) continue;
      const ts = xapiDate(c.at);
      if (c.deleted) out.push({ id: c.id, timestamp: ts, class: lc, operation: 'del', ref: c.ref, snapshot: c.last });
      else out.push({ id: c.id, timestamp: ts, class: lc, operation: c.addId > since ? 'add' : 'mod', ref: c.ref, snapshot: this.tryGet(c.cls, c.ref) });
    }
    return out;
  }

  /** For persistence: every record by class (refs kept). */
  dump(): Record<string, Record<string, Rec>> {
    const out: Record<string, Record<string, Rec>> = {};
    for (const [cls, t] of this.tables) if (t.size) out[cls] = Object.fromEntries(t);
    return out;
  }

  /** Inverse of dump(): loads records as they were (derived fields recomputed by create()). */
  static restore(counter: EventCounter, data: Record<string, Record<string, Record<string, unknown>>>): Db {
    const db = new Db(counter);
    // parents first is not required: create() fills a parent's derived sets from children already
    // present, and link() patches parents that arrive earlier
    for (const [cls, recs] of Object.entries(data)) for (const [ref, rec] of Object.entries(recs)) db.create(cls, rec, ref);
    return db;
  }
}
