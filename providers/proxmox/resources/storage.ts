// proxmox_storage: one storage.cfg entry (POST/PUT/DELETE /storage). The options a type takes,
// which of them are fixed once created, its content types and how it relates to `shared` all come
// from the platform's own tables (platform-rules.ts), so an option of another type, a content type
// the type cannot hold, shared = false on network storage or shared = true on lvmthin are
// plan-time errors with the valid name. Updates send only the changed options the platform lets
// change (a fixed option in a PUT is refused even unchanged; the schema makes those replace the
// storage) and delete= the ones no longer written. Secrets (password, keyring, encryption key) are
// sent and never read back. Observation is the /storage list and /cluster/resources (status per
// node); reachability and in-use checks are in preflight/storage.ts.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import { UNKNOWN_MARK, type Attrs, type Observed, type PlannedChange } from '../../../engine/provider.js';
import type { Params } from '../client/types.js';
import { sharedKind, storageTypes, alwaysSharedTypes } from '../platform-rules.js';
import { guestsUsing, storageReachability } from '../preflight/storage.js';
import { splitList } from '../props.js';
import type { PveSession } from '../session.js';
import { flag, type Rec, type Snapshot } from '../snapshot.js';
import type { PveResourceType } from './types.js';

const TYPE = 'proxmox_storage';

/** string, boolean, integer, list (PVE: space separated). */
type Kind = 's' | 'b' | 'i' | 'l';

/** The type options as attributes (PVE writes most with dashes; the attribute uses underscores). */
const OPTIONS: [string, Kind][] = [
  ['path', 's'], ['server', 's'], ['export', 's'], ['share', 's'], ['subdir', 's'], ['username', 's'], ['password', 's'],
  ['domain', 's'], ['smbversion', 's'], ['options', 's'], ['portal', 's'], ['target', 's'], ['pool', 's'], ['data_pool', 's'],
  ['namespace', 's'], ['monhost', 'l'], ['fs_name', 's'], ['keyring', 's'], ['krbd', 'b'], ['vgname', 's'], ['thinpool', 's'],
  ['saferemove', 'b'], ['datastore', 's'], ['fingerprint', 's'], ['port', 'i'], ['encryption_key', 's'], ['blocksize', 's'],
  ['sparse', 'b'], ['mountpoint', 's'], ['is_mountpoint', 's'], ['format', 's'], ['preallocation', 's'], ['prune_backups', 's'],
  ['max_protected_backups', 'i'], ['bwlimit', 's'], ['create_base_path', 'b'], ['create_subdirs', 'b'], ['fuse', 'b'], ['nocow', 'b'],
];
const SECRETS = new Set(['password', 'keyring', 'encryption_key']);

/** Storage options whose PVE names keep their underscores. */
const UNDERSCORED = new Set(['is_mountpoint', 'tagged_only', 'saferemove_throughput', 'comstar_hg', 'comstar_tg', 'lio_tpg']);

export function optionName(attr: string): string {
  return UNDERSCORED.has(attr) ? attr : attr.replace(/_/g, '-');
}

/** Where `path` is optional because PVE mounts the storage at /mnt/pve/<id>. */
const PATH_DEFAULTED = new Set(['nfs', 'cifs', 'cephfs']);

/** Options of the same purpose in other types, for "did you mean" when edit distance finds nothing. */
const ANALOGUES: Record<string, string[]> = {
  export: ['share', 'datastore', 'target', 'path'],
  share: ['export', 'datastore'],
  server: ['portal', 'monhost'],
  portal: ['server', 'monhost'],
  monhost: ['server', 'portal'],
  target: ['export', 'share', 'datastore'],
  vgname: ['pool', 'datastore'],
  pool: ['vgname', 'datastore', 'fs_name'],
  thinpool: ['pool', 'vgname'],
  datastore: ['export', 'share', 'pool'],
  fs_name: ['pool'],
  path: ['export', 'mountpoint'],
  mountpoint: ['path'],
};

function isUnknown(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && UNKNOWN_MARK in (v as object);
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && !isUnknown(v);
}

/** The attributes a type takes (besides storage, type, content, nodes, shared, disable). */
export function optionsOf(type: string): string[] {
  const t = storageTypes()[type];
  if (!t) return [];
  return OPTIONS.map(([a]) => a).filter((a) => optionName(a) in t.options);
}

/** The nearest option of `type` to `attr`: by spelling, else by purpose. */
function nearestOption(attr: string, type: string): string | undefined {
  const valid = optionsOf(type);
  return nearestName(attr, valid) ?? ANALOGUES[attr]?.find((a) => valid.includes(a));
}

export interface Problem {
  summary: string;
  detail: string;
  suggestion?: string;
}

/** What the platform would refuse in a storage's configuration (plan time, no I/O). */
export function checkStorage(attrs: Attrs, creating: boolean): Problem[] {
  const out: Problem[] = [];
  const type = typeof attrs.type === 'string' ? attrs.type : '';
  const rules = storageTypes()[type];
  if (!rules) return out; // the schema's enum reports it
  const valid = optionsOf(type);
  for (const [attr] of OPTIONS) {
    if (!isSet(attrs[attr]) || valid.includes(attr)) continue;
    const near = nearestOption(attr, type);
    out.push({
      summary: `${attr} is not an option of ${type} storage`,
      detail: `${type} storage takes ${valid.join(', ')}${near ? `; ${near} is the one that does what ${attr} does elsewhere` : ''}.`,
      suggestion: near,
    });
  }
  const kind = sharedKind(type);
  if (attrs.shared === false && kind === 'always') {
    out.push({
      summary: `${type} storage is always shared`,
      detail: `Proxmox VE marks ${alwaysSharedTypes().join(', ')} storage shared: every node reaches the same server, so shared cannot be false. Leave shared out (or true); restrict it with nodes instead.`,
    });
  }
  if (attrs.shared === true && kind === 'never') {
    out.push({
      summary: `${type} storage cannot be shared`,
      detail: `${type} storage lives on each node's own disks (local to the node), so Proxmox VE has no shared option for it. Leave shared out; for storage every node sees, use a network type (nfs, iscsi, rbd, ...) or lvm on a shared LUN.`,
    });
  }
  if (Array.isArray(attrs.content)) {
    const content = attrs.content.filter((c): c is string => typeof c === 'string');
    for (const c of content) {
      if (!rules.content_allowed.includes(c)) out.push({ summary: `${type} storage cannot hold content ${c}`, detail: `${type} storage holds ${rules.content_allowed.join(', ')}.`, suggestion: nearestName(c, rules.content_allowed) });
    }
    if (new Set(content).size !== content.length) out.push({ summary: 'content lists a type twice', detail: 'Give each content type once.' });
  }
  if (creating) {
    for (const [opt, flags] of Object.entries(rules.options)) {
      if (!/required/.test(flags)) continue;
      const attr = OPTIONS.find(([a]) => optionName(a) === opt)?.[0] ?? opt.replace(/-/g, '_');
      if (attr === 'path' && PATH_DEFAULTED.has(type)) continue;
      if (attrs[attr] === undefined || attrs[attr] === null) out.push({ summary: `${type} storage needs ${attr}`, detail: `Proxmox VE requires ${attr} to create ${type} storage.` });
    }
  }
  return out;
}

function coerce(kind: Kind, v: unknown): unknown {
  if (v === undefined || v === null || v === '') return null;
  if (kind === 'l') return splitList(v);
  if (kind === 'b') return flag(v);
  if (kind === 'i') return Number(v);
  return String(v);
}

function wire(kind: Kind, v: unknown): string | number {
  if (kind === 'l') return splitList(v).join(' ');
  if (kind === 'b') return v === true ? 1 : 0;
  return kind === 'i' ? Number(v) : String(v);
}

function isActive(r: Rec): boolean {
  if (r.active !== undefined) return flag(r.active);
  return r.status === 'available' || r.status === 'active';
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const e = snap.storage?.get(id);
  if (!e) return undefined;
  const type = String(e.type);
  const attrs: Attrs = {
    id,
    storage: id,
    type,
    content: splitList(e.content),
    nodes: splitList(e.nodes),
    shared: sharedKind(type) === 'always' ? true : flag(e.shared),
    disable: flag(e.disable),
  };
  for (const [attr, kind] of OPTIONS) if (!SECRETS.has(attr)) attrs[attr] = coerce(kind, e[optionName(attr)]);
  const status = snap.storageStatus?.get(id);
  attrs.active_nodes = status ? [...status].filter(([, r]) => isActive(r)).map(([n]) => n) : [];
  return { id, attrs };
}

/** Attributes after a write, as observation reports them (secrets left out: the engine keeps only their digests). */
async function readBack(s: PveSession, id: string, signal?: AbortSignal): Promise<Attrs> {
  s.invalidate();
  const got = observeOne(await s.snapshot(['storage', 'resources'], signal), id);
  if (!got) throw new Error(`${TYPE} ${id}: the storage is not in /storage after the write`);
  return got.attrs;
}

function problemsError(what: string, problems: Problem[]): Error {
  return new Error(`${what}: ${problems.map((p) => `${p.summary}${p.suggestion ? ` (did you mean ${p.suggestion}?)` : ''}`).join('; ')}`);
}

function createParams(attrs: Attrs): Params {
  const type = String(attrs.type);
  const p: Params = { storage: String(attrs.storage), type };
  if (Array.isArray(attrs.content) && attrs.content.length) p.content = attrs.content.join(',');
  if (Array.isArray(attrs.nodes) && attrs.nodes.length) p.nodes = attrs.nodes.join(',');
  if (attrs.disable === true) p.disable = 1;
  if (sharedKind(type) === 'assertion' && typeof attrs.shared === 'boolean') p.shared = attrs.shared ? 1 : 0;
  for (const [attr, kind] of OPTIONS) if (isSet(attrs[attr])) p[optionName(attr)] = wire(kind, attrs[attr]);
  return p;
}

export const storage: PveResourceType = {
  parts: ['storage', 'resources'],

  observe(snap, ids) {
    return ids.map((id) => observeOne(snap, id)).filter((o): o is Observed => !!o);
  },

  async create(s, attrs, ctx) {
    const id = String(attrs.storage);
    const what = `${TYPE} ${id} (${String(attrs.type)})`;
    const problems = checkStorage(attrs, true);
    if (problems.length) throw problemsError(what, problems);
    const { client, node } = await s.api(ctx.signal);
    try {
      await client.post('/storage', createParams(attrs), { signal: ctx.signal, step: ctx.step });
    } catch (e) {
      throw new Error(`${what}: creating it (on ${node}) failed: ${(e as Error).message}`, { cause: e });
    }
    return { id, attrs: await readBack(s, id, ctx.signal) };
  },

  async update(s, id, _before, after, ctx) {
    const what = `${TYPE} ${id}`;
    const type = String(after.type);
    const problems = checkStorage(after, false);
    if (problems.length) throw problemsError(what, problems);
    const now = observeOne(await s.snapshot(['storage', 'resources'], ctx.signal), id)?.attrs;
    if (!now) throw new Error(`${what} no longer exists (removed outside poolform): plan again to create it`);
    const rules = storageTypes()[type]!;
    const p: Params = {};
    const remove: string[] = [];
    const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    if (Array.isArray(after.content) && !same(after.content, now.content)) p.content = after.content.join(',') || 'none';
    const nodes = Array.isArray(after.nodes) ? after.nodes : [];
    if (!same(nodes, now.nodes)) {
      if (nodes.length) p.nodes = nodes.join(',');
      else remove.push('nodes');
    }
    if ((after.disable === true) !== (now.disable === true)) {
      if (after.disable === true) p.disable = 1;
      else remove.push('disable');
    }
    if (sharedKind(type) === 'assertion' && typeof after.shared === 'boolean' && after.shared !== now.shared) p.shared = after.shared ? 1 : 0;
    for (const [attr, kind] of OPTIONS) {
      const opt = optionName(attr);
      if (!(opt in rules.options) || /fixed/.test(rules.options[opt]!)) continue;
      if (SECRETS.has(attr)) {
        if (isSet(after[attr])) p[opt] = wire(kind, after[attr]);
        continue;
      }
      if (!isSet(after[attr])) {
        // A computed-optional attribute left out keeps what is there; the others go.
        if (now[attr] !== null && attr !== 'path') remove.push(opt);
      } else if (!same(coerce(kind, after[attr]), now[attr])) p[opt] = wire(kind, after[attr]);
    }
    if (Object.keys(p).length || remove.length) {
      if (remove.length) p.delete = remove.join(',');
      const { client, node } = await s.api(ctx.signal);
      try {
        await client.put(`/storage/${encodeURIComponent(id)}`, p, { signal: ctx.signal, step: ctx.step });
      } catch (e) {
        throw new Error(`${what}: updating it (on ${node}) failed: ${(e as Error).message}`, { cause: e });
      }
    }
    return { id, attrs: await readBack(s, id, ctx.signal) };
  },

  async delete(s, id, _attrs, ctx) {
    const what = `${TYPE} ${id}`;
    const snap = await s.snapshot(['storage'], ctx.signal);
    if (!snap.storage?.has(id)) return {};
    const users = await guestsUsing(s, id, ctx.signal);
    if (users.length) {
      throw new Error(`${what} cannot be deleted: guests have disks on it (${users.join('; ')}). Move or remove those disks first (qm disk move / qm disk unlink), then run again`);
    }
    const { client, node } = await s.api(ctx.signal);
    try {
      await client.delete(`/storage/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal, step: ctx.step });
    } catch (e) {
      throw new Error(`${what}: deleting it (on ${node}) failed: ${(e as Error).message}`, { cause: e });
    }
    return {};
  },

  async preflight(changes: PlannedChange[], s, ctx, all) {
    const out: Diagnostic[] = [];
    for (const c of changes) {
      if (!c.after || (c.action !== 'create' && c.action !== 'replace' && c.action !== 'update')) continue;
      for (const p of checkStorage(c.after, c.action !== 'update')) out.push({ severity: 'error', address: c.address, ...p });
    }
    out.push(...(await storageReachability(changes, s, ctx, all)));
    return out;
  },

  // The storage's own definition changes; guests using it are protected by the delete refusal.
  impact(change) {
    return change.action === 'noop' || change.action === 'read' ? 'none' : 'live';
  },

  // Every write takes storage.cfg's cluster-wide lock: one at a time instead of lock retries.
  limit() {
    return { key: 'storage.cfg', max: 1 };
  },
};
