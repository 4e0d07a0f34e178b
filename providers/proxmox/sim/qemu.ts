// QEMU guests: create (disks allocated on a storage, NICs on a bridge of the node, cloud-init),
// configure, convert to template, clone (linked from templates, full otherwise), start/stop,
// resize, migrate, destroy; VMID allocation (/cluster/nextid) over the cluster-wide id space.
// Every operation holds the guest's config lock for its task (a clone holds the source's and the
// new id's), so concurrent operations on one guest wait and then fail with the platform's lock
// timeout. A create or clone claims its VMID at once; the VM's config lands when the task ends.

import { randomBytes, randomUUID } from 'node:crypto';
import { quorumView, requireQuorum } from './corosync.js';
import { hasBridge } from './network.js';
import type { Ctx, SimState } from './state.js';
import { requireNodeKnown } from './state.js';
import { activationError, enabledOn, isShared } from './storage.js';
import { qemuKeyType, STORAGE_TYPES } from './tables.js';
import { guestLockPath } from './locks.js';
import { boolParam, fail, GiB, intParam, MiB, need, paramFail, parsePropertyString, sha1, splitList, type Domain, type Guest, type Section, type SimNode } from './world.js';

const DISK_KEY = /^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$/;
const NET_KEY = /^net\d+$/;
const NOT_CONFIG = new Set(['node', 'vmid', 'start', 'storage', 'pool', 'ha-managed', 'archive', 'force', 'unique', 'live-restore', 'bwlimit', 'import-working-storage', 'digest', 'delete', 'revert', 'skiplock', 'background_delay']);
const DIR_LIKE = new Set(['dir', 'nfs', 'cifs', 'cephfs', 'btrfs']);

export const configPath = (node: string, vmid: number) => `nodes/${node}/qemu-server/${vmid}.conf`;

// ---- sizes (cached: /cluster/resources lists thousands of guests) ----

interface Sizes {
  maxmem: number;
  maxcpu: number;
  maxdisk: number;
}
const sizeCache = new WeakMap<Guest, Sizes>();

function parseSize(s: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/i.exec(s ?? '');
  if (!m) return 0;
  const mult = { '': 1, K: 1024, M: MiB, G: GiB, T: 1024 * GiB }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.round(Number(m[1]) * mult);
}

export function guestSizes(g: Guest): Sizes {
  let s = sizeCache.get(g);
  if (s) return s;
  const c = g.config;
  const mem = Number(parsePropertyString(c.memory ?? '512', 'current').current ?? 512);
  const boot = ['scsi0', 'virtio0', 'sata0', 'ide0'].map((k) => c[k]).find((v) => v && !/media=cdrom/.test(v));
  s = { maxmem: mem * MiB, maxcpu: Number(c.cores ?? 1) * Number(c.sockets ?? 1), maxdisk: parseSize(boot ? parsePropertyString(boot, 'file').size : undefined) };
  sizeCache.set(g, s);
  return s;
}

function touched(g: Guest): void {
  sizeCache.delete(g);
}

export function renderGuestConfig(g: Guest): string {
  const lines = Object.entries(g.config).map(([k, v]) => `${k}: ${v}`);
  if (g.lock) lines.push(`lock: ${g.lock}`);
  return lines.join('\n') + '\n';
}

export function guestDigest(g: Guest): string {
  return sha1(renderGuestConfig(g));
}

// ---- lookups ----

export function guestOnNode(ctx: Ctx): Guest {
  const vmid = intParam(ctx.path, 'vmid', true);
  const g = ctx.node.domain.guests.get(vmid);
  if (!g || g.node !== ctx.node.name) fail(500, `Configuration file '${configPath(ctx.node.name, vmid)}' does not exist`);
  return g;
}

function lockGuests(ctx: Ctx, vmids: number[]): Promise<() => void> {
  return ctx.st.lock(ctx.node.domain, vmids.map(guestLockPath));
}

function alreadyExists(d: Domain, vmid: number): void {
  const g = d.guests.get(vmid);
  if (g) fail(500, `unable to create VM ${vmid} - VM ${vmid} already exists on node '${g.node}'`);
}

const macAddress = () =>
  'BC:24:11:' +
  [...randomBytes(3)]
    .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join(':');

// ---- volumes ----

interface DiskSpec {
  storage: string;
  /** GiB to allocate, or "cloudinit" */
  alloc?: number | 'cloudinit';
  rest: string;
}

function parseDisk(value: string): DiskSpec | undefined {
  const comma = value.indexOf(',');
  const file = comma < 0 ? value : value.slice(0, comma);
  const rest = comma < 0 ? '' : value.slice(comma + 1);
  const m = /^([a-zA-Z][\w.-]*):(.+)$/.exec(file);
  if (!m) return undefined;
  if (/^\d+(\.\d+)?$/.test(m[2]!)) return { storage: m[1]!, alloc: Number(m[2]), rest };
  if (m[2] === 'cloudinit') return { storage: m[1]!, alloc: 'cloudinit', rest };
  return { storage: m[1]!, rest };
}

function storageFor(node: SimNode, id: string, needImages: boolean): Section {
  const s = node.domain.storage.get(id);
  if (!s) fail(500, `storage '${id}' does not exist`);
  if (!enabledOn(s, node.name) || s.disable === '1') fail(500, `storage '${id}' is not available on node '${node.name}'`);
  const content = splitList(s.content ?? STORAGE_TYPES[s.type!]?.content_default.join(','));
  if (needImages && !content.includes('images')) fail(500, `storage '${id}' does not support vm images`);
  return s;
}

/** Checks what can be checked before the task (storage exists, holds images; bridges exist). */
function precheck(node: SimNode, params: Record<string, string>): void {
  for (const [k, v] of Object.entries(params)) {
    if (DISK_KEY.test(k)) {
      const d = parseDisk(v);
      if (d?.alloc !== undefined) storageFor(node, d.storage, true);
    }
    if (NET_KEY.test(k)) {
      const bridge = parsePropertyString(v).bridge;
      if (bridge && !hasBridge(node, bridge)) fail(500, `bridge '${bridge}' does not exist`);
    }
  }
}

function volName(s: Section, vmid: number, base: 'vm' | 'base', n: number | 'cloudinit', format?: string): string {
  const stem = n === 'cloudinit' ? `vm-${vmid}-cloudinit` : `${base}-${vmid}-disk-${n}`;
  if (DIR_LIKE.has(s.type!)) return `${vmid}/${stem}.${n === 'cloudinit' ? 'qcow2' : (format ?? STORAGE_TYPES[s.type!]?.format_default ?? 'raw')}`;
  return stem;
}

function nextDiskIndex(config: Record<string, string>, vmid: number): number {
  let n = 0;
  const used = new Set<number>();
  for (const [k, v] of Object.entries(config)) {
    if (!DISK_KEY.test(k) && !/^unused\d+$/.test(k)) continue;
    const m = new RegExp(`(?:vm|base)-${vmid}-disk-(\\d+)`).exec(v);
    if (m) used.add(Number(m[1]));
  }
  while (used.has(n)) n++;
  return n;
}

/** Allocates a "storage:size" / "storage:cloudinit" disk (inside a task: the storage must be online). */
function allocate(st: SimState, node: SimNode, vmid: number, config: Record<string, string>, value: string): string {
  const d = parseDisk(value);
  if (!d || d.alloc === undefined) return value;
  const s = storageFor(node, d.storage, true);
  const offline = activationError(st, s, node.name);
  if (offline) throw new Error(offline);
  const opts = parsePropertyString(d.rest);
  if (d.alloc === 'cloudinit') return `${d.storage}:${volName(s, vmid, 'vm', 'cloudinit')},media=cdrom`;
  const format = opts.format;
  delete opts.format;
  delete opts.size;
  const extra = Object.entries(opts)
    .map(([k, v]) => `,${k}=${v}`)
    .join('');
  return `${d.storage}:${volName(s, vmid, 'vm', nextDiskIndex(config, vmid), format)}${extra},size=${d.alloc}G`;
}

function normalizeNet(value: string): string {
  const parts = value.split(',');
  const first = parts[0] ?? 'virtio';
  const model = first.includes('=') ? first.split('=')[0]! : first;
  let mac = first.includes('=') && !first.startsWith('model=') ? first.split('=')[1]! : undefined;
  const rest: string[] = [];
  for (const p of parts.slice(1)) {
    if (p.startsWith('macaddr=')) mac = p.slice(8);
    else rest.push(p);
  }
  return [`${model.replace(/^model$/, 'virtio')}=${mac ?? macAddress()}`, ...rest].join(',');
}

function applyConfigValue(st: SimState, node: SimNode, g: Guest, k: string, v: string): void {
  if (DISK_KEY.test(k)) g.config[k] = allocate(st, node, g.vmid, g.config, v);
  else if (NET_KEY.test(k)) g.config[k] = normalizeNet(v);
  else if (k === 'cipassword') g.config[k] = `$5$${randomBytes(6).toString('base64url')}$${sha1(v).slice(0, 32)}`;
  else g.config[k] = v;
}

function configValue(k: string, v: string): unknown {
  const t = qemuKeyType(k);
  if (k === 'cipassword') return '**********';
  if (t === 'integer' || t === 'number') return Number.isFinite(Number(v)) ? Number(v) : v;
  if (t === 'boolean') return /^(1|true|on|yes)$/i.test(v) ? 1 : 0;
  return v;
}

// ---- VMIDs ----

export function nextFreeVmid(d: Domain, lower = 100, upper = 1_000_000): number | undefined {
  for (let i = lower; i < upper; i++) if (!d.guests.has(i)) return i;
  return undefined;
}

/** GET /cluster/nextid (the platform answers the id as a string). */
export function nextid(ctx: Ctx): string {
  const d = ctx.local.domain;
  const want = intParam(ctx.params, 'vmid');
  if (want !== undefined) {
    if (d.guests.has(want)) paramFail({ vmid: `VM ${want} already exists` });
    return String(want);
  }
  const range = parsePropertyString(d.options['next-id'] ?? '');
  const lower = Number(range.lower ?? 100);
  const upper = Number(range.upper ?? 1_000_000);
  const id = nextFreeVmid(d, lower, upper);
  if (id === undefined) fail(500, `unable to get any free VMID in range [${lower}, ${upper}]`);
  return String(id);
}

// ---- handlers ----

export function listGuests(ctx: Ctx): unknown[] {
  const out: unknown[] = [];
  for (const g of ctx.node.domain.guests.values()) {
    if (g.node !== ctx.node.name || g.type !== 'qemu') continue;
    out.push(guestSummary(g));
  }
  return out;
}

function uptime(g: Guest): number {
  return g.status === 'running' && g.startedAt ? Math.floor((Date.now() - g.startedAt) / 1000) : 0;
}

function guestSummary(g: Guest): Record<string, unknown> {
  const s = guestSizes(g);
  return {
    vmid: g.vmid,
    name: g.config.name ?? `VM ${g.vmid}`,
    status: g.status,
    maxmem: s.maxmem,
    mem: g.status === 'running' ? Math.floor(s.maxmem * 0.4) : 0,
    maxdisk: s.maxdisk,
    disk: 0,
    cpus: s.maxcpu,
    cpu: 0,
    uptime: uptime(g),
    netin: 0,
    netout: 0,
    ...(g.config.template === '1' ? { template: 1 } : {}),
    ...(g.lock ? { lock: g.lock } : {}),
    ...(g.config.tags ? { tags: g.config.tags } : {}),
  };
}

/** The /cluster/resources entry of a guest. */
export function guestResource(g: Guest, nodeOnline: boolean, hastate: string | undefined): Record<string, unknown> {
  const s = guestSizes(g);
  return {
    id: `${g.type}/${g.vmid}`,
    type: g.type,
    vmid: g.vmid,
    node: g.node,
    name: g.config.name ?? `VM ${g.vmid}`,
    status: nodeOnline ? g.status : 'unknown',
    template: g.config.template === '1' ? 1 : 0,
    maxmem: s.maxmem,
    maxcpu: s.maxcpu,
    maxdisk: s.maxdisk,
    mem: nodeOnline && g.status === 'running' ? Math.floor(s.maxmem * 0.4) : 0,
    cpu: 0,
    disk: 0,
    uptime: nodeOnline ? uptime(g) : 0,
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
    ...(hastate ? { hastate } : {}),
    ...(g.lock ? { lock: g.lock } : {}),
    ...(g.config.tags ? { tags: g.config.tags } : {}),
  };
}

export function guestIndex(ctx: Ctx): unknown[] {
  guestOnNode(ctx);
  return ['config', 'pending', 'status', 'clone', 'migrate', 'template', 'resize'].map((subdir) => ({ subdir }));
}

export function getConfig(ctx: Ctx): unknown {
  const g = guestOnNode(ctx);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(g.config)) out[k] = configValue(k, v);
  if (g.lock) out.lock = g.lock;
  out.digest = guestDigest(g);
  return out;
}

export function getPending(ctx: Ctx): unknown[] {
  const g = guestOnNode(ctx);
  return Object.entries(g.config).map(([key, v]) => ({ key, value: configValue(key, v) }));
}

/** POST /nodes/{node}/qemu: claims the VMID now, builds the VM in a "qmcreate" task. */
export async function createGuest(ctx: Ctx): Promise<string> {
  const { st, node, params } = ctx;
  const vmid = intParam(params, 'vmid', true);
  requireQuorum(st, node);
  if (params.archive) fail(500, 'restoring backups is not supported in the lab');
  const d = node.domain;
  alreadyExists(d, vmid);
  precheck(node, params);
  const release = await lockGuests(ctx, [vmid]);
  try {
    alreadyExists(d, vmid);
  } catch (e) {
    release();
    throw e;
  }
  const g: Guest = { vmid, node: node.name, type: 'qemu', status: 'stopped', config: {}, lock: 'create' };
  d.guests.set(vmid, g);
  return st.startTask(
    node,
    'qmcreate',
    String(vmid),
    ctx.req.user,
    () => {
      try {
        const config: Record<string, string> = {};
        const building: Guest = { ...g, config };
        for (const [k, v] of Object.entries(params)) if (!NOT_CONFIG.has(k)) applyConfigValue(st, node, building, k, v);
        config.smbios1 ??= `uuid=${randomUUID()}`;
        config.vmgenid ??= randomUUID();
        config.meta ??= `creation-qemu=9.2.0,ctime=${Math.floor(Date.now() / 1000)}`;
        g.config = config;
        delete g.lock;
        touched(g);
        if (boolParam(params, 'start') === 1) startNow(g);
        if (boolParam(params, 'ha-managed') === 1) d.haResources.set(`vm:${vmid}`, { sid: `vm:${vmid}`, type: 'vm', state: 'started' });
      } catch (e) {
        if (d.guests.get(vmid) === g) d.guests.delete(vmid);
        throw e;
      }
    },
    { release },
  );
}

function startNow(g: Guest): void {
  g.status = 'running';
  g.startedAt = Date.now();
}

async function updateConfig(ctx: Ctx, async: boolean): Promise<string | null> {
  const { st, node, params } = ctx;
  requireQuorum(st, node);
  const g = guestOnNode(ctx);
  precheck(node, params);
  const release = await lockGuests(ctx, [g.vmid]);
  const work = () => {
    if (g.lock && boolParam(params, 'skiplock') !== 1) fail(500, `VM is locked (${g.lock})`);
    if (params.digest && params.digest !== guestDigest(g)) fail(500, 'detected modified configuration - file changed by other user? Try again.');
    const del = splitList(params.delete);
    for (const k of del) if (params[k] !== undefined) paramFail({ delete: `you can't use '-${k}' and '-delete ${k}' at the same time` });
    if (g.config.template === '1') {
      for (const k of Object.keys(params)) if (DISK_KEY.test(k) && parseDisk(params[k]!)?.alloc !== undefined) fail(500, `unable to create new disk on a template (${k})`);
    }
    for (const k of del) delete g.config[k];
    for (const [k, v] of Object.entries(params)) if (!NOT_CONFIG.has(k)) applyConfigValue(st, node, g, k, v);
    touched(g);
  };
  if (!async) {
    try {
      work();
    } finally {
      release();
    }
    return null;
  }
  let failure: string | undefined;
  try {
    work();
  } catch (e) {
    if ((e as { status?: number }).status === 400) {
      release();
      throw e;
    }
    failure = (e as Error).message;
  }
  return st.startTask(node, 'qmconfig', String(g.vmid), ctx.req.user, () => undefined, { release, ...(failure !== undefined ? { failure } : {}) });
}

export const putConfig = (ctx: Ctx) => updateConfig(ctx, false);
export const postConfig = (ctx: Ctx) => updateConfig(ctx, true);

/** POST .../template: converts a stopped VM to a template (disks become base volumes). */
export async function makeTemplate(ctx: Ctx): Promise<string> {
  const { st, node } = ctx;
  requireQuorum(st, node);
  const g = guestOnNode(ctx);
  if (g.config.template === '1') fail(500, "you can't convert a template to a template");
  if (g.status === 'running') fail(500, "you can't convert a VM to template if VM is running");
  const release = await lockGuests(ctx, [g.vmid]);
  if (g.lock) {
    release();
    fail(500, `VM is locked (${g.lock})`);
  }
  return st.startTask(
    node,
    'qmtemplate',
    String(g.vmid),
    ctx.req.user,
    () => {
      if (g.status === 'running') throw new Error("you can't convert a VM to template if VM is running");
      for (const [k, v] of Object.entries(g.config)) if (DISK_KEY.test(k) && !/media=cdrom/.test(v)) g.config[k] = v.replace(new RegExp(`vm-${g.vmid}-disk-`, 'g'), `base-${g.vmid}-disk-`);
      g.config.template = '1';
      touched(g);
    },
    { release },
  );
}

/** POST .../clone: a linked (template, default) or full copy, on this node or a target node. */
export async function cloneGuest(ctx: Ctx): Promise<string> {
  const { st, node, params } = ctx;
  requireQuorum(st, node);
  const src = guestOnNode(ctx);
  const newid = intParam(params, 'newid', true);
  const d = node.domain;
  alreadyExists(d, newid);
  const template = src.config.template === '1';
  const full = boolParam(params, 'full') ?? (template ? 0 : 1);
  if (!full && params.storage) fail(500, "parameter 'storage' not allowed for linked clones");
  if (!full && params.format) fail(500, "parameter 'format' not allowed for linked clones");
  const disks = Object.entries(src.config).filter(([k, v]) => DISK_KEY.test(k) && !/media=cdrom/.test(v));
  if (!full && !template) fail(500, `Linked clone feature is not supported for drive '${disks[0]?.[0] ?? 'scsi0'}'`);
  let target = node;
  if (params.target && params.target !== node.name) {
    target = requireNodeKnown(st, node, params.target);
    if (!quorumView(st, node).memberNames.has(target.name)) fail(500, `target node '${target.name}' is not online`);
    for (const [, v] of disks) {
      const sid = parseDisk(v)?.storage;
      const s = sid ? d.storage.get(sid) : undefined;
      const dest = full && params.storage ? d.storage.get(params.storage) : s;
      if (full && params.storage) {
        if (!dest || !enabledOn(dest, target.name)) fail(500, `storage '${params.storage}' is not available on node '${target.name}'`);
      } else if (!s || !isShared(s)) fail(500, `can't clone VM to node '${target.name}' (VM uses local storage)`);
    }
  }
  if (full && params.storage) storageFor(target, params.storage, true);
  const release = await lockGuests(ctx, [src.vmid, newid]);
  try {
    alreadyExists(d, newid);
  } catch (e) {
    release();
    throw e;
  }
  const g: Guest = { vmid: newid, node: target.name, type: 'qemu', status: 'stopped', config: {}, lock: 'clone' };
  d.guests.set(newid, g);
  return st.startTask(
    node,
    'qmclone',
    String(src.vmid),
    ctx.req.user,
    () => {
      try {
        const config: Record<string, string> = {};
        for (const [k, v] of Object.entries(src.config)) {
          if (k === 'template' || k === 'vmgenid' || k === 'smbios1' || k === 'meta') continue;
          if (DISK_KEY.test(k) && !/media=cdrom/.test(v)) config[k] = cloneDisk(st, target, newid, v, full === 1, params.storage);
          else if (DISK_KEY.test(k) && /cloudinit/.test(v)) {
            const sid = parseDisk(v)!.storage;
            config[k] = `${sid}:${volName(d.storage.get(sid) ?? { type: 'lvmthin' }, newid, 'vm', 'cloudinit')},media=cdrom`;
          } else if (NET_KEY.test(k)) config[k] = normalizeNet(v.replace(/^(\w+)=[0-9A-Fa-f:]{17}/, '$1'));
          else config[k] = v;
        }
        config.name = params.name ?? `Copy-of-VM-${src.config.name ?? src.vmid}`;
        if (params.description !== undefined) config.description = params.description;
        config.smbios1 = `uuid=${randomUUID()}`;
        config.vmgenid = randomUUID();
        config.meta = `creation-qemu=9.2.0,ctime=${Math.floor(Date.now() / 1000)}`;
        g.config = config;
        delete g.lock;
        touched(g);
      } catch (e) {
        if (d.guests.get(newid) === g) d.guests.delete(newid);
        throw e;
      }
    },
    // A failed clone leaves no half-made VM: Proxmox removes the target's config.
    { release, onFailure: () => void (d.guests.get(newid) === g && d.guests.delete(newid)) },
  );
}

function cloneDisk(st: SimState, target: SimNode, newid: number, value: string, full: boolean, storage: string | undefined): string {
  const comma = value.indexOf(',');
  const file = comma < 0 ? value : value.slice(0, comma);
  const opts = comma < 0 ? '' : value.slice(comma);
  const [sid, vol] = file.split(':') as [string, string];
  const s = target.domain.storage.get(full && storage ? storage : sid);
  if (!s) throw new Error(`storage '${full && storage ? storage : sid}' does not exist`);
  const offline = activationError(st, s, target.name);
  if (offline) throw new Error(offline);
  const n = Number(/disk-(\d+)/.exec(vol)?.[1] ?? 0);
  const fresh = volName(s, newid, 'vm', n);
  if (full) return `${s.storage}:${fresh}${opts}`;
  return `${sid}:${vol}/${fresh}${opts}`;
}

/** Guests whose disks are linked clones of this template's base volumes. */
function linkedClones(d: Domain, vmid: number): string | undefined {
  const needle = `base-${vmid}-disk-`;
  for (const g of d.guests.values()) {
    if (g.vmid === vmid) continue;
    for (const [k, v] of Object.entries(g.config)) {
      if (!DISK_KEY.test(k)) continue;
      const i = v.indexOf(needle);
      if (i >= 0 && v.indexOf('/', i) > 0) return v.slice(0, v.indexOf('/', i));
    }
  }
  return undefined;
}

/** DELETE /nodes/{node}/qemu/{vmid} ("qmdestroy"). */
export async function destroyGuest(ctx: Ctx): Promise<string> {
  const { st, node, params } = ctx;
  requireQuorum(st, node);
  const g = guestOnNode(ctx);
  const d = node.domain;
  const release = await lockGuests(ctx, [g.vmid]);
  try {
    if (g.lock && boolParam(params, 'skiplock') !== 1) fail(500, `VM is locked (${g.lock})`);
    if (g.status === 'running') fail(500, `VM ${g.vmid} is running - destroy failed`);
    const sid = `vm:${g.vmid}`;
    if (d.haResources.has(sid) && boolParam(params, 'purge') !== 1) fail(500, `unable to remove VM ${g.vmid} - used in HA resources and purge parameter not set.`);
    const base = linkedClones(d, g.vmid);
    if (base) fail(500, `base volume '${base.split(':')[1] ?? base}' is still in use by linked cloned`);
  } catch (e) {
    release();
    throw e;
  }
  return st.startTask(
    node,
    'qmdestroy',
    String(g.vmid),
    ctx.req.user,
    () => {
      if (d.guests.get(g.vmid) === g) d.guests.delete(g.vmid);
      if (boolParam(params, 'purge') === 1) {
        const sid = `vm:${g.vmid}`;
        d.haResources.delete(sid);
        for (const r of d.haRules.values()) {
          const rest = splitList(r.resources).filter((x) => x !== sid);
          if (rest.length) r.resources = rest.join(',');
        }
      }
    },
    { release },
  );
}

// ---- power ----

type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume';
const TASK_TYPE: Record<PowerAction, string> = { start: 'qmstart', stop: 'qmstop', shutdown: 'qmshutdown', reboot: 'qmreboot', reset: 'qmreset', suspend: 'qmsuspend', resume: 'qmresume' };

export function power(action: PowerAction) {
  return async (ctx: Ctx): Promise<string> => {
    const { st, node, params } = ctx;
    if (action === 'start') requireQuorum(st, node);
    const g = guestOnNode(ctx);
    if (action === 'start' && g.config.template === '1') fail(500, "you can't start a vm if it's a template");
    const release = await lockGuests(ctx, [g.vmid]);
    if (g.lock && boolParam(params, 'skiplock') !== 1) {
      release();
      fail(500, `VM is locked (${g.lock})`);
    }
    const ha = node.domain.haResources.get(`vm:${g.vmid}`);
    return st.startTask(
      node,
      TASK_TYPE[action],
      String(g.vmid),
      ctx.req.user,
      () => {
        if (action === 'start' || action === 'resume') {
          if (g.status === 'running' && action === 'start') throw new Error(`VM ${g.vmid} already running`);
          for (const [k, v] of Object.entries(g.config)) {
            if (!NET_KEY.test(k)) continue;
            const br = parsePropertyString(v).bridge;
            if (br && !hasBridge(node, br)) throw new Error(`bridge '${br}' does not exist`);
          }
          startNow(g);
          if (ha) ha.state = 'started';
        } else if (action === 'stop' || action === 'shutdown') {
          if (g.status !== 'running' && action === 'shutdown') throw new Error(`VM ${g.vmid} not running`);
          g.status = 'stopped';
          delete g.startedAt;
          if (ha) ha.state = 'stopped';
        } else if (g.status !== 'running') throw new Error(`VM ${g.vmid} not running`);
        else if (action === 'reboot' || action === 'reset') g.startedAt = Date.now();
      },
      { release },
    );
  };
}

export function statusIndex(ctx: Ctx): unknown[] {
  guestOnNode(ctx);
  return ['current', 'start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'].map((subdir) => ({ subdir }));
}

export function currentStatus(ctx: Ctx): unknown {
  const g = guestOnNode(ctx);
  const ha = ctx.node.domain.haResources.get(`vm:${g.vmid}`);
  const agent = parsePropertyString(g.config.agent ?? '0', 'enabled').enabled;
  return {
    ...guestSummary(g),
    qmpstatus: g.status,
    ha: ha ? { managed: 1, state: ha.state ?? 'started', ...(ha.group ? { group: ha.group } : {}) } : { managed: 0 },
    ...(agent === '1' ? { agent: 1 } : {}),
    ...(g.status === 'running' ? { pid: 10000 + g.vmid, 'running-qemu': '9.2.0', 'running-machine': 'pc-i440fx-9.2+pve1' } : {}),
  };
}

/** PUT .../resize ("resize" task): grows a disk to an absolute or relative size. */
export async function resize(ctx: Ctx): Promise<string> {
  const { st, node, params } = ctx;
  requireQuorum(st, node);
  const g = guestOnNode(ctx);
  const disk = need(params, 'disk');
  const size = need(params, 'size');
  const cur = g.config[disk];
  if (!cur || !DISK_KEY.test(disk)) fail(500, `disk '${disk}' does not exist`);
  const m = /^(\+)?(\d+(?:\.\d+)?)([KMGT])?$/.exec(size);
  if (!m) paramFail({ size: `value does not match the regex pattern` });
  const now = parseSize(parsePropertyString(cur, 'file').size);
  const amount = parseSize(`${m[2]}${m[3] ?? ''}`);
  const next = m[1] ? now + amount : amount;
  if (next < now) fail(500, "shrinking disks is not supported");
  const release = await lockGuests(ctx, [g.vmid]);
  return st.startTask(
    node,
    'resize',
    String(g.vmid),
    ctx.req.user,
    () => {
      const gib = next / GiB;
      const label = Number.isInteger(gib) ? `${gib}G` : `${Math.round(next / MiB)}M`;
      g.config[disk] = /size=[^,]*/.test(cur) ? cur.replace(/size=[^,]*/, `size=${label}`) : `${cur},size=${label}`;
      touched(g);
    },
    { release },
  );
}

function localDisks(d: Domain, g: Guest): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(g.config)) {
    if (!DISK_KEY.test(k) || /media=cdrom/.test(v)) continue;
    const sid = parseDisk(v)?.storage;
    const s = sid ? d.storage.get(sid) : undefined;
    if (!s || !isShared(s)) out.push(v.split(',')[0]!);
  }
  return out;
}

export function migratePrecondition(ctx: Ctx): unknown {
  const { st, node } = ctx;
  const g = guestOnNode(ctx);
  const view = quorumView(st, node);
  const allowed = [...view.memberNames].filter((n) => n !== node.name);
  return { running: g.status === 'running' ? 1 : 0, allowed_nodes: allowed, not_allowed_nodes: {}, local_disks: localDisks(node.domain, g).map((volid) => ({ volid })), local_resources: [], 'mapped-resources': [], 'has-dbus-vmstate': 0 };
}

/** POST .../migrate ("qmigrate"): moves the VM to another cluster node. */
export async function migrate(ctx: Ctx): Promise<string> {
  const { st, node, params } = ctx;
  requireQuorum(st, node);
  const g = guestOnNode(ctx);
  const target = requireNodeKnown(st, node, need(params, 'target'));
  if (target === node) fail(500, `target is local node.`);
  if (!quorumView(st, node).memberNames.has(target.name)) fail(500, `target node '${target.name}' is not online`);
  if (g.status === 'running' && boolParam(params, 'online') !== 1) fail(500, `can't migrate running VM without --online`);
  const local = localDisks(node.domain, g);
  if (local.length && boolParam(params, 'with-local-disks') !== 1) fail(500, `can't migrate local disk '${local[0]}': use the with-local-disks option`);
  const release = await lockGuests(ctx, [g.vmid]);
  return st.startTask(
    node,
    'qmigrate',
    String(g.vmid),
    ctx.req.user,
    () => {
      g.node = target.name;
    },
    { release },
  );
}

/** Adds `count` ready-made VMs to a node (bench seeding): ids from the lowest free one. */
export function seedGuests(node: SimNode, count: number): number[] {
  const d = node.domain;
  const ids: number[] = [];
  let next = 100;
  for (let i = 0; i < count; i++) {
    while (d.guests.has(next)) next++;
    const vmid = next++;
    const g: Guest = {
      vmid,
      node: node.name,
      type: 'qemu',
      status: i % 3 === 2 ? 'stopped' : 'running',
      config: {
        name: `vm${vmid}`,
        cores: '2',
        memory: '2048',
        ostype: 'l26',
        scsihw: 'virtio-scsi-single',
        scsi0: `local-lvm:vm-${vmid}-disk-0,iothread=1,size=32G`,
        net0: `virtio=${macAddress()},bridge=vmbr0`,
        boot: 'order=scsi0;net0',
        smbios1: `uuid=${randomUUID()}`,
      },
    };
    if (g.status === 'running') g.startedAt = Date.now();
    d.guests.set(vmid, g);
    ids.push(vmid);
  }
  return ids;
}
