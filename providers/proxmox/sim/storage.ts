// storage.cfg and the lab's storage servers. Creation is checked against the reference's per-type
// option tables (required, optional, fixed, content types) and then activated on the node that
// received the request, the way the real plugins find a wrong server, export or pool at once
// ("create storage failed: ..."). Shared types are shared by nature; dir/lvm only declare it.
// Per-node status (active, capacity) reflects faults that cut one node off a server.

import type { ShellResult } from './backend.js';
import { requireQuorum } from './corosync.js';
import { STORAGE_LOCK } from './locks.js';
import type { Ctx, SimState } from './state.js';
import { knownNodes } from './state.js';
import { SHARED_STORAGE_TYPES, STORAGE_TYPES } from './tables.js';
import { boolParam, fail, GiB, need, paramFail, sha1, splitList, type Domain, type Section, type SimNode } from './world.js';

/** The lab's storage network (spec "storage world"). */
export const LAB_STORAGE = {
  nfs: { server: '10.20.40.5', exports: ['/export/pve', '/export/iso'] },
  iscsi: { portal: '10.20.40.6', target: 'iqn.2026-11.lab.poolform:pve' },
  cifs: { server: '10.20.40.7', shares: ['pve'] },
  ceph: { monitors: ['10.20.40.21', '10.20.40.22', '10.20.40.23'], pools: ['rbd'], filesystems: ['cephfs'] },
  pbs: { server: '10.20.40.8', datastores: ['store1'], fingerprint: '5A:3F:9C:21:7B:E4:08:D6:4C:93:1E:AF:62:B0:7D:15:C8:39:F2:0A:6E:D1:84:B7:2C:5F:93:E0:1A:76:BD:48' },
  vgs: { pve: ['data'], vgshared: [] as string[] } as Record<string, string[]>,
  zpools: ['tank'],
};

const NUMERIC = new Set(['shared', 'disable', 'krbd', 'mkdir', 'sparse', 'nowritecache', 'saferemove', 'tagged_only', 'create-base-path', 'create-subdirs', 'fuse', 'port', 'max-protected-backups', 'skip-cert-verification', 'is_mountpoint', 'nocow', 'snapshot-as-volume-chain']);
const SENSITIVE = new Set(['password', 'keyring', 'encryption-key', 'master-pubkey']);

export function defaultStorage(): Map<string, Section> {
  return new Map<string, Section>([
    ['local', { storage: 'local', type: 'dir', path: '/var/lib/vz', content: 'iso,vztmpl,backup' }],
    ['local-lvm', { storage: 'local-lvm', type: 'lvmthin', thinpool: 'data', vgname: 'pve', content: 'images,rootdir' }],
  ]);
}

export function isShared(s: Section): boolean {
  return SHARED_STORAGE_TYPES.has(s.type!) || s.shared === '1';
}

export function enabledOn(s: Section, node: string): boolean {
  return !s.nodes || splitList(s.nodes).includes(node);
}

export function contentOf(s: Section): string[] {
  return splitList(s.content ?? STORAGE_TYPES[s.type!]?.content_default.join(','));
}

const hostOf = (addr: string) => addr.replace(/^\[|\]$/g, '').replace(/:\d+$/, '');

/** Why the storage cannot be activated on the node (the plugin's message), or undefined. */
export function activationError(st: SimState, s: Section, node: string): string | undefined {
  const id = s.storage!;
  const offline = `storage '${id}' is not online`;
  const reach = (server: string) => st.faults.storageReachable(server, node);
  switch (s.type) {
    case 'nfs': {
      if (s.server !== LAB_STORAGE.nfs.server || !reach(s.server)) return offline;
      if (!LAB_STORAGE.nfs.exports.includes(s.export ?? '')) return `mount error: mount.nfs: mounting ${s.server}:${s.export} failed, reason given by server: No such file or directory`;
      return undefined;
    }
    case 'cifs': {
      if (s.server !== LAB_STORAGE.cifs.server || !reach(s.server)) return offline;
      if (!LAB_STORAGE.cifs.shares.includes(s.share ?? '')) return 'mount error(2): No such file or directory';
      return undefined;
    }
    case 'iscsi':
    case 'iscsidirect':
    case 'zfs': {
      const host = hostOf(s.portal ?? '');
      if (host !== LAB_STORAGE.iscsi.portal || !reach(host)) return offline;
      if (s.target !== LAB_STORAGE.iscsi.target) return `iscsi discovery on portal ${s.portal} found no target '${s.target}'`;
      if (s.type === 'zfs' && !LAB_STORAGE.zpools.includes((s.pool ?? '').split('/')[0]!)) return `zfs error: cannot open '${s.pool}': no such pool`;
      return undefined;
    }
    case 'rbd':
    case 'cephfs': {
      const mons = splitList(s.monhost).map(hostOf);
      const live = mons.filter((m) => LAB_STORAGE.ceph.monitors.includes(m) && reach(m));
      if (!mons.length || !live.length) return offline;
      if (s.type === 'rbd' && !LAB_STORAGE.ceph.pools.includes(s.pool ?? 'rbd')) return `rbd error: rbd: error opening pool '${s.pool}': (2) No such file or directory`;
      if (s.type === 'cephfs' && !LAB_STORAGE.ceph.filesystems.includes(s['fs-name'] ?? 'cephfs')) return `mount error: no mds server is up or the cluster is laggy (ceph fs '${s['fs-name']}' does not exist)`;
      return undefined;
    }
    case 'pbs': {
      if (s.server !== LAB_STORAGE.pbs.server || !reach(s.server)) return offline;
      const norm = (f: string) => f.replace(/:/g, '').toUpperCase();
      if (norm(s.fingerprint ?? '') !== norm(LAB_STORAGE.pbs.fingerprint)) return `error fetching datastores - fingerprint '${LAB_STORAGE.pbs.fingerprint}' not verified, abort!`;
      if (!LAB_STORAGE.pbs.datastores.includes(s.datastore ?? '')) return `datastore '${s.datastore}' does not exist`;
      return undefined;
    }
    case 'lvm':
      return s.vgname && s.vgname in LAB_STORAGE.vgs ? undefined : `volume group '${s.vgname}' not found`;
    case 'lvmthin':
      if (!s.vgname || !(s.vgname in LAB_STORAGE.vgs)) return `volume group '${s.vgname}' not found`;
      return LAB_STORAGE.vgs[s.vgname]!.includes(s.thinpool ?? '') ? undefined : `no such thin pool '${s.vgname}/${s.thinpool}'`;
    case 'zfspool':
      return LAB_STORAGE.zpools.includes((s.pool ?? '').split('/')[0]!) ? undefined : `zfs error: cannot open '${s.pool}': no such pool`;
    case 'esxi':
      return offline;
    default:
      return undefined;
  }
}

export function isActive(st: SimState, s: Section, node: SimNode): boolean {
  return node.powered && enabledOn(s, node.name) && s.disable !== '1' && !activationError(st, s, node.name);
}

const CAPACITY: Record<string, number> = { dir: 94 * GiB, lvmthin: 349 * GiB, lvm: 1024 * GiB, zfspool: 1800 * GiB, nfs: 2048 * GiB, cifs: 1024 * GiB, iscsi: 1024 * GiB, rbd: 6144 * GiB, cephfs: 2048 * GiB, pbs: 4096 * GiB };

export function capacity(s: Section): { total: number; used: number } {
  const total = CAPACITY[s.type!] ?? 512 * GiB;
  return { total, used: Math.floor(total * 0.12) };
}

// ---- storage.cfg ----

export function renderStorageCfg(d: Domain): string {
  const blocks: string[] = [];
  for (const s of d.storage.values()) {
    const lines = [`${s.type}: ${s.storage}`];
    for (const [k, v] of Object.entries(s)) if (k !== 'type' && k !== 'storage') lines.push(`\t${k} ${v}`);
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n') + '\n';
}

export function storageDigest(d: Domain): string {
  return sha1(renderStorageCfg(d));
}

function apiView(s: Section, digest: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) out[k] = NUMERIC.has(k) && /^\d+$/.test(v) ? Number(v) : v;
  out.content = contentOf(s).join(',');
  if (SHARED_STORAGE_TYPES.has(s.type!)) out.shared = 1;
  out.digest = digest;
  return out;
}

export function listStorage(ctx: Ctx): unknown[] {
  const d = ctx.local.domain;
  const digest = storageDigest(d);
  const type = ctx.params.type;
  return [...d.storage.values()].filter((s) => !type || s.type === type).map((s) => apiView(s, digest));
}

function mustStorage(d: Domain, id: string, prefix = ''): Section {
  const s = d.storage.get(id);
  if (!s) fail(500, `${prefix}storage '${id}' does not exist`);
  return s;
}

export function getStorage(ctx: Ctx): unknown {
  const d = ctx.local.domain;
  return apiView(mustStorage(d, need(ctx.path, 'storage')), storageDigest(d));
}

function checkContent(type: string, value: string): string {
  const info = STORAGE_TYPES[type]!;
  const list = splitList(value);
  for (const c of list) if (!info.content_allowed.includes(c)) fail(500, `storage does not support content type '${c}'`);
  if (list.includes('none') && list.length > 1) fail(500, "unable to combine 'none' with other content types");
  return [...new Set(list)].join(',');
}

/** Validates one option against the type's table; returns the value as storage.cfg holds it. */
function checkOption(type: string, k: string, v: string, prefix: string): string {
  const info = STORAGE_TYPES[type]!;
  if (!(k in info.options)) fail(500, `${prefix}unexpected property '${k}'`);
  if (k === 'content') return checkContent(type, v);
  if (k === 'format' && info.format_allowed && !info.format_allowed.includes(v)) fail(500, `${prefix}storage does not support format '${v}'`);
  if (k === 'nodes') return splitList(v).join(',');
  if (NUMERIC.has(k) && /^(true|false|yes|no|on|off)$/i.test(v)) return /^(true|yes|on)$/i.test(v) ? '1' : '0';
  return v;
}

const SKIP = new Set(['storage', 'type', 'delete', 'digest']);

/** POST /storage */
export async function createStorage(ctx: Ctx): Promise<unknown> {
  const { st, local, params } = ctx;
  const type = need(params, 'type');
  const id = need(params, 'storage');
  const info = STORAGE_TYPES[type];
  if (!info) paramFail({ type: `value '${type}' does not have a value in the enumeration '${Object.keys(STORAGE_TYPES).join(', ')}'` });
  requireQuorum(st, local);
  const section: Section = { storage: id, type };
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (SKIP.has(k)) continue;
    if (k === 'nodes' && !v) continue;
    const val = checkOption(type, k, v, '');
    if (SENSITIVE.has(k)) secrets[k] = val;
    else section[k] = val;
  }
  if (['nfs', 'cifs', 'cephfs'].includes(type) && !section.path) section.path = `/mnt/pve/${id}`;
  for (const [k, flags] of Object.entries(info.options)) {
    if (flags.includes('required') && section[k] === undefined && secrets[k] === undefined) fail(500, `missing value for required option '${k}'`);
  }
  section.content ??= info.content_default.join(',');
  const d = local.domain;
  const release = await st.lock(d, [STORAGE_LOCK]);
  try {
    if (d.storage.has(id)) fail(500, `create storage failed: storage ID '${id}' already defined`);
    if (enabledOn(section, local.name) && section.disable !== '1') {
      const err = activationError(st, section, local.name);
      if (err) fail(500, `create storage failed: ${err}`);
    }
    d.storage.set(id, section);
    if (Object.keys(secrets).length) d.storageSecrets[id] = secrets;
  } finally {
    release();
  }
  return { storage: id, type };
}

/** PUT /storage/{storage} */
export async function updateStorage(ctx: Ctx): Promise<unknown> {
  const { st, local, params } = ctx;
  const id = need(ctx.path, 'storage');
  requireQuorum(st, local);
  const d = local.domain;
  const release = await st.lock(d, [STORAGE_LOCK]);
  try {
    const s = mustStorage(d, id, 'update storage failed: ');
    if (params.digest && params.digest !== storageDigest(d)) fail(500, 'update storage failed: detected modified configuration - file changed by other user? Try again.');
    const type = s.type!;
    const info = STORAGE_TYPES[type]!;
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) {
      if (SKIP.has(k)) continue;
      if (info.options[k]?.includes('fixed')) fail(500, `update storage failed: can't change value of fixed parameter '${k}'`);
      set[k] = checkOption(type, k, v, 'update storage failed: ');
    }
    const del = splitList(params.delete);
    for (const k of del) {
      const flags = info.options[k];
      if (!flags) fail(500, `update storage failed: no such option '${k}'`);
      if (flags.includes('required')) fail(500, `update storage failed: unable to delete required option '${k}'`);
      if (flags.includes('fixed')) fail(500, `update storage failed: unable to delete fixed option '${k}'`);
      if (set[k] !== undefined) fail(500, `update storage failed: cannot set and delete property '${k}' at the same time!`);
    }
    for (const k of del) {
      delete s[k];
      if (d.storageSecrets[id]) delete d.storageSecrets[id]![k];
    }
    for (const [k, v] of Object.entries(set)) {
      if (SENSITIVE.has(k)) (d.storageSecrets[id] ??= {})[k] = v;
      else if (k === 'nodes' && !v) delete s.nodes;
      else s[k] = v;
    }
    return { storage: id, type };
  } finally {
    release();
  }
}

/** DELETE /storage/{storage} */
export async function deleteStorage(ctx: Ctx): Promise<null> {
  const { st, local } = ctx;
  const id = need(ctx.path, 'storage');
  requireQuorum(st, local);
  const d = local.domain;
  const release = await st.lock(d, [STORAGE_LOCK]);
  try {
    mustStorage(d, id, 'delete storage failed: ');
    d.storage.delete(id);
    delete d.storageSecrets[id];
  } finally {
    release();
  }
  return null;
}

// ---- per-node status ----

function statusRow(st: SimState, s: Section, node: SimNode, withFormats: boolean): Record<string, unknown> {
  const info = STORAGE_TYPES[s.type!];
  const active = isActive(st, s, node);
  const row: Record<string, unknown> = { storage: s.storage, type: s.type, content: contentOf(s).join(','), shared: isShared(s) ? 1 : 0, enabled: s.disable === '1' ? 0 : 1, active: active ? 1 : 0 };
  if (active) {
    const { total, used } = capacity(s);
    Object.assign(row, { total, used, avail: total - used, used_fraction: used / total });
  }
  if (info?.select_existing) row.select_existing = 1;
  if (withFormats && info?.format_allowed) row.formats = { default: info.format_default, supported: info.format_allowed };
  return row;
}

/** GET /nodes/{node}/storage */
export function nodeStorage(ctx: Ctx): unknown[] {
  const { st, node, params } = ctx;
  const d = node.domain;
  const content = splitList(params.content);
  const target = params.target && params.target !== node.name ? params.target : undefined;
  const rows: unknown[] = [];
  for (const s of d.storage.values()) {
    if (!enabledOn(s, node.name)) continue;
    if (params.storage && s.storage !== params.storage) continue;
    if (boolParam(params, 'enabled') === 1 && (s.disable === '1' || !isActive(st, s, node))) continue;
    if (content.length && !content.some((c) => contentOf(s).includes(c))) continue;
    if (target && (!isShared(s) || !enabledOn(s, target))) continue;
    rows.push(statusRow(st, s, node, boolParam(params, 'format') === 1));
  }
  return rows;
}

/** GET /nodes/{node}/storage/{storage}/status */
export function nodeStorageStatus(ctx: Ctx): unknown {
  const { st, node } = ctx;
  const id = need(ctx.path, 'storage');
  const s = mustStorage(node.domain, id);
  if (!enabledOn(s, node.name)) fail(500, `storage '${id}' is not available on node '${node.name}'`);
  const row = statusRow(st, s, node, false);
  delete row.storage;
  return row;
}

/** Storage entries of /cluster/resources: one per storage and node where it is enabled. */
export function storageResources(st: SimState, from: SimNode, online: Set<string>): unknown[] {
  const rows: unknown[] = [];
  for (const n of knownNodes(st, from)) {
    for (const s of from.domain.storage.values()) {
      if (!enabledOn(s, n.name)) continue;
      const up = online.has(n.name) && isActive(st, s, n);
      const { total, used } = capacity(s);
      rows.push({ id: `storage/${n.name}/${s.storage}`, type: 'storage', storage: s.storage, node: n.name, status: up ? 'available' : 'unknown', plugintype: s.type, content: contentOf(s).join(','), shared: isShared(s) ? 1 : 0, ...(up ? { disk: used, maxdisk: total } : {}) });
    }
  }
  return rows;
}

// ---- pvesm ----

function optArgs(args: string[]): { pos: string[]; opts: Record<string, string> } {
  const pos: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--') || (a.startsWith('-') && a.length > 1)) {
      const k = a.replace(/^-+/, '');
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('-')) {
        opts[k] = next;
        i++;
      } else opts[k] = '1';
    } else pos.push(a);
  }
  return { pos, opts };
}

const ok = (stdout: string): ShellResult => ({ stdout, stderr: '', code: 0 });
const err = (stderr: string, code = 255): ShellResult => ({ stdout: '', stderr: stderr.endsWith('\n') ? stderr : `${stderr}\n`, code });

/** `pvesm scan <type> ...` and `pvesm status` from the node's point of view. */
export function pvesm(st: SimState, node: SimNode, args: string[]): ShellResult {
  const [sub, kind, ...rest] = args;
  if (sub === 'status') {
    const lines = ['Name             Type     Status           Total            Used       Available        %'];
    for (const s of node.domain.storage.values()) {
      if (!enabledOn(s, node.name)) continue;
      const active = isActive(st, s, node);
      const { total, used } = capacity(s);
      const kb = (b: number) => String(Math.floor(b / 1024));
      lines.push(`${s.storage!.padEnd(16)} ${s.type!.padEnd(8)} ${(s.disable === '1' ? 'disabled' : active ? 'active' : 'inactive').padEnd(8)} ${(active ? kb(total) : '0').padStart(16)} ${(active ? kb(used) : '0').padStart(15)} ${(active ? kb(total - used) : '0').padStart(15)} ${active ? ((used / total) * 100).toFixed(2) : '0.00'}%`);
    }
    return ok(lines.join('\n') + '\n');
  }
  if (sub !== 'scan') return err(`ERROR: unknown command 'pvesm ${sub ?? ''}'\nUSAGE: pvesm <COMMAND> [ARGS] [OPTIONS]`);
  const { pos, opts } = optArgs(rest);
  const server = pos[0] ?? '';
  const reach = (s: string) => st.faults.storageReachable(s, node.name);
  switch (kind) {
    case 'nfs':
      if (server !== LAB_STORAGE.nfs.server || !reach(server)) return err(`command '/sbin/showmount --no-headers --exports ${server}' failed: got timeout`);
      return ok(LAB_STORAGE.nfs.exports.map((e) => `${e} 10.20.40.0/24`).join('\n') + '\n');
    case 'cifs':
      if (server !== LAB_STORAGE.cifs.server || !reach(server)) return err(`failed to connect to ${server}: NT_STATUS_IO_TIMEOUT`);
      return ok(LAB_STORAGE.cifs.shares.map((s) => `${s.padEnd(24)} Proxmox lab share`).join('\n') + '\n');
    case 'iscsi': {
      const host = hostOf(server);
      if (host !== LAB_STORAGE.iscsi.portal || !reach(host)) return err(`iscsiadm: cannot make connection to ${host}: Connection timed out\niscsiadm: connection login retries (reopen_max) 5 exceeded\niscsiadm: Could not perform SendTargets discovery: iSCSI PDU timed out`);
      return ok(`${LAB_STORAGE.iscsi.target} ${host}:3260\n`);
    }
    case 'pbs': {
      if (server !== LAB_STORAGE.pbs.server || !reach(server)) return err(`error fetching datastores - 500 Can't connect to ${server}:8007 (Connection timed out)`);
      const fp = opts.fingerprint ?? '';
      if (fp.replace(/:/g, '').toUpperCase() !== LAB_STORAGE.pbs.fingerprint.replace(/:/g, '').toUpperCase()) return err(`error fetching datastores - fingerprint '${LAB_STORAGE.pbs.fingerprint}' not verified, abort!`);
      return ok(LAB_STORAGE.pbs.datastores.map((d) => `${d} Proxmox Backup Server datastore`).join('\n') + '\n');
    }
    case 'lvm':
      return ok(Object.keys(LAB_STORAGE.vgs).join('\n') + '\n');
    case 'lvmthin': {
      const pools = LAB_STORAGE.vgs[server];
      if (!pools) return err(`volume group '${server}' not found`);
      return ok(pools.map((p) => `${p}\n`).join(''));
    }
    case 'zfs':
      return ok(LAB_STORAGE.zpools.join('\n') + '\n');
    default:
      return err(`ERROR: unknown command 'pvesm scan ${kind ?? ''}'`);
  }
}
