// Storage rules: SRs on the lab's NFS server and iSCSI target (a wrong server, path, IQN, LUN or
// CHAP secret fails the way the storage manager does, with its SR_BACKEND_FAILURE_<n> code),
// shared SRs attached on every host, PBD plug/unplug, and the refusals around in-use disks. Also
// the disk objects (VDI, VBD) templates and VMs need.

import type { Db } from './db.js';
import type { Ctx, Handlers } from './handler.js';
import { constructorFields, NULL_REF } from './model.js';
import { isNull } from './network.js';
import { fail, type World } from './world.js';

const GiB = 1024 ** 3;

/** An SM backend failure: [SR_BACKEND_FAILURE_<n>, "", message, ""] as xapi relays them. */
function smFail(n: number, message: string): never {
  fail(`SR_BACKEND_FAILURE_${n}`, '', message, '');
}

/** Secret values by uuid, resolving `<key>_secret` device_config entries. */
function secretValue(db: Db, uuid: string): string {
  const ref = db.refByUuid(uuid);
  if (!ref || db.classOf(ref) !== 'secret') smFail(20, 'No such secret.');
  return db.get('secret', ref).value as string;
}

/**
 * Whether the lab's storage answers a device_config: returns the size the SR would have, or fails
 * like the storage manager. Used by SR.create and every PBD.plug.
 */
function probeBackend(w: World, db: Db, type: string, dc: Record<string, string>): number {
  const s = w.storage;
  switch (type) {
    case 'nfs': {
      if (!dc.server) smFail(102, 'The request is missing the server parameter');
      if (!dc.serverpath) smFail(101, 'The request is missing the serverpath parameter');
      if (dc.nfsversion && !['3', '4', '4.0', '4.1'].includes(dc.nfsversion)) smFail(72, `Required NFS server version unsupported [opterr=${dc.nfsversion}]`);
      if (dc.server !== s.nfsServer) smFail(108, 'Unable to detect an NFS service on this target.');
      const size = s.nfsExports[dc.serverpath.replace(/\/+$/, '')];
      if (size === undefined) smFail(73, `NFS mount error [opterr=mount failed with return code 32: ${dc.server}:${dc.serverpath} does not exist]`);
      return size;
    }
    case 'iso': {
      const loc = dc.location ?? '';
      if (!loc) smFail(220, "'Location' parameter must be specified in Device Configuration");
      if (loc.startsWith('/')) return 0;
      const m = /^([^:]+):(\/.*)$/.exec(loc);
      if (!m) smFail(225, 'Incorrect Location string format. String must be in the format SERVER:PATH for NFS targets');
      if (m[1] !== s.nfsServer || s.nfsExports[m[2]!.replace(/\/+$/, '')] === undefined) smFail(222, 'Could not mount the directory specified in Device Configuration');
      return s.nfsExports[m[2]!.replace(/\/+$/, '')]!;
    }
    case 'lvmoiscsi': {
      if (!dc.target) smFail(95, 'The request is missing the target parameter');
      const port = dc.port ?? '3260';
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) smFail(142, 'Incorrect value for iSCSI port, must be a number between 1 and 65535');
      if (dc.target.split(',').every((t) => t !== s.iscsiTarget) || Number(port) !== s.iscsiPort) smFail(141, 'Unable to connect to ISCSI service on target');
      if (!dc.targetIQN || dc.targetIQN !== s.iscsiIqn) smFail(96, 'The request is missing or has an incorrect target IQN parameter');
      const password = dc.chappassword_secret ? secretValue(db, dc.chappassword_secret) : dc.chappassword;
      if (s.chap && (dc.chapuser !== s.chap.user || password !== s.chap.password)) smFail(68, 'ISCSI login failed - check access settings for the initiator on the storage, if CHAP is used verify CHAP credentials');
      if (!s.chap && dc.chapuser !== undefined && password === undefined) smFail(68, 'ISCSI login failed - check access settings for the initiator on the storage, if CHAP is used verify CHAP credentials');
      const size = dc.SCSIid ? s.luns[dc.SCSIid] : undefined;
      if (size === undefined) smFail(107, 'The SCSIid parameter is missing or incorrect');
      return size;
    }
    case 'lvm':
    case 'ext':
      if (!dc.device) smFail(90, 'The request is missing the device parameter');
      return 500 * GiB;
    default:
      fail('SR_UNKNOWN_DRIVER', type);
  }
}

/**
 * XAPI keeps passwords out of PBD records: a device_config key ending in "password" is replaced by
 * "<key>_secret" naming a new secret that holds the value.
 */
function cleanOutPasswords(db: Db, dc: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(dc)) {
    if (k.endsWith('password')) {
      const ref = db.create('secret', { value: v, other_config: {} });
      out[`${k}_secret`] = db.get('secret', ref).uuid;
    } else out[k] = v;
  }
  return out;
}

/** VDIs of the SR that a running VM has attached (what makes storage "in use"). */
function vdisInUse(db: Db, sr: string, hostRef?: string): string[] {
  const out: string[] = [];
  for (const vdi of db.get('SR', sr).VDIs as string[]) {
    for (const vbd of db.get('VDI', vdi).VBDs as string[]) {
      const b = db.tryGet('VBD', vbd);
      const vm = b && db.tryGet('VM', b.VM as string);
      if (vm && vm.power_state !== 'Halted' && (!hostRef || vm.resident_on === hostRef)) {
        out.push(vdi);
        break;
      }
    }
  }
  return out;
}

function plugPbd(w: World, db: Db, pbd: string): void {
  const p = db.get('PBD', pbd);
  const sr = db.get('SR', p.SR as string);
  if (sr.is_tools_sr !== true) probeBackend(w, db, sr.type as string, p.device_config as Record<string, string>);
  db.update('PBD', pbd, { currently_attached: true });
}

/** Creates (and plugs) the PBD of a shared SR on a host that has none: join inheritance, SR.create. */
export function attachSharedSr(w: World, db: Db, sr: string, hostRef: string, dc: Record<string, string>, plug: boolean): string {
  const pbd = db.create('PBD', { host: hostRef, SR: sr, device_config: dc, currently_attached: false, other_config: {} });
  if (plug) plugPbd(w, db, pbd);
  return pbd;
}

/**
 * Creates an SR the storage answers (checks done by the caller) with its PBDs: on `host`, or on every
 * host when shared; those the coordinator cannot reach stay unplugged. Used by SR.create and the
 * lab's populate.
 */
export function makeSr(w: World, db: Db, host: string, dc: Record<string, string>, fields: { name_label: string; name_description: string; type: string; content_type: string; shared: boolean; sm_config: Record<string, string> }): string {
  const size = probeBackend(w, db, fields.type, dc);
  const stored = cleanOutPasswords(db, dc);
  const sr = db.create('SR', { ...fields, physical_size: size, physical_utilisation: 0, virtual_allocation: 0, other_config: {} });
  const hosts = fields.shared ? w.hostsOf(db) : [w.hostOfRef(db, host)];
  for (const h of hosts) if (h) attachSharedSr(w, db, sr, h.ref, stored, w.isLive(h));
  return sr;
}

async function srCreate(ctx: Ctx, host: string, dc: Record<string, string>, _size: number, name: string, desc: string, type: string, contentType: string, shared: boolean, smConfig: Record<string, string>): Promise<string> {
  const { w, db } = ctx;
  if (isNull(host)) fail('HANDLE_INVALID', 'host', host);
  w.assertLive(db, host);
  probeBackend(w, db, type, dc);
  await ctx.work();
  return makeSr(w, db, host, dc, { name_label: name, name_description: desc, type, content_type: contentType, shared, sm_config: smConfig });
}

function assertSrRemovable(ctx: Ctx, sr: string): void {
  const { db } = ctx;
  const inUse = vdisInUse(db, sr);
  if (inUse.length) fail('VDI_IN_USE', inUse[0]!, ctx.method.endsWith('forget') ? 'forget' : 'destroy');
  const s = db.get('SR', sr);
  if ((s.PBDs as string[]).some((p) => db.get('PBD', p).currently_attached === true)) fail('SR_HAS_PBD', sr);
  const pool = ctx.w.pool(db);
  if (pool.ha_enabled === true && (pool.ha_statefiles as string[]).some((v) => db.tryGet('VDI', v)?.SR === sr)) fail('HA_IS_ENABLED');
}

/** Removes an SR and what hangs off it; pool and host SR settings naming it fall back to none. */
export function removeSr(w: World, db: Db, sr: string): void {
  const s = db.get('SR', sr);
  for (const vdi of s.VDIs as string[]) removeVdi(db, vdi);
  for (const pbd of s.PBDs as string[]) db.delete('PBD', pbd);
  const poolRef = w.poolRef(db);
  const p = db.get('pool', poolRef);
  const patch: Record<string, unknown> = {};
  for (const f of ['default_SR', 'suspend_image_SR', 'crash_dump_SR']) if (p[f] === sr) patch[f] = NULL_REF;
  if (Object.keys(patch).length) db.update('pool', poolRef, patch);
  for (const [ref, h] of db.all('host')) if (h.suspend_image_sr === sr || h.crash_dump_sr === sr) db.update('host', ref, { suspend_image_sr: h.suspend_image_sr === sr ? NULL_REF : h.suspend_image_sr, crash_dump_sr: h.crash_dump_sr === sr ? NULL_REF : h.crash_dump_sr });
  db.delete('SR', sr);
}

/** Removes a VDI and its VBDs, giving its space back to its SR. */
export function removeVdi(db: Db, vdi: string): void {
  const v = db.tryGet('VDI', vdi);
  if (!v) return;
  for (const vbd of v.VBDs as string[]) db.delete('VBD', vbd);
  const sr = db.tryGet('SR', v.SR as string);
  if (sr) db.update('SR', v.SR as string, { virtual_allocation: Math.max(0, (sr.virtual_allocation as number) - (v.virtual_size as number)), physical_utilisation: Math.max(0, (sr.physical_utilisation as number) - (v.physical_utilisation as number)) });
  db.delete('VDI', vdi);
}

/** A new disk needs its SR attached somewhere and room for its virtual size. */
function assertVdiFits(db: Db, sr: string, size: number): void {
  const s = db.get('SR', sr);
  if (!(s.PBDs as string[]).some((p) => db.get('PBD', p).currently_attached === true)) fail('SR_HAS_NO_PBDS', sr);
  const free = (s.physical_size as number) - (s.virtual_allocation as number);
  if (s.type !== 'iso' && (s.physical_size as number) >= 0 && size > free) fail('SR_FULL', size, free);
}

/** Creates a VDI on `sr` (checking it fits) and accounts its space there. */
export function makeVdi(db: Db, sr: string, fields: Record<string, unknown>): string {
  const size = Number(fields.virtual_size ?? 0);
  assertVdiFits(db, sr, size);
  const s = db.get('SR', sr);
  const thin = s.type === 'nfs' || s.type === 'ext';
  const vdi = db.create('VDI', {
    name_label: '',
    name_description: '',
    type: 'user',
    sharable: false,
    read_only: false,
    other_config: {},
    xenstore_data: {},
    sm_config: {},
    tags: [],
    managed: true,
    missing: false,
    storage_lock: false,
    parent: NULL_REF,
    ...fields,
    SR: sr,
    virtual_size: size,
    physical_utilisation: thin ? 0 : size,
    location: '',
  });
  db.update('VDI', vdi, { location: db.get('VDI', vdi).uuid });
  db.update('SR', sr, { virtual_allocation: (s.virtual_allocation as number) + size, physical_utilisation: (s.physical_utilisation as number) + (thin ? 0 : size) });
  return vdi;
}

function vdiInUse(db: Db, vdi: string): boolean {
  return (db.get('VDI', vdi).VBDs as string[]).some((b) => db.tryGet('VBD', b)?.currently_attached === true);
}

function vbdUserdevice(db: Db, vm: string): string {
  const used = new Set((db.get('VM', vm).VBDs as string[]).map((b) => db.tryGet('VBD', b)?.userdevice));
  for (let n = 0; ; n++) if (!used.has(String(n))) return String(n);
}

export const storageHandlers: Handlers = {
  'SR.create': srCreate,
  'SR.destroy': async (ctx: Ctx, sr: string) => {
    assertSrRemovable(ctx, sr);
    if (ctx.db.get('SR', sr).is_tools_sr === true) fail('SR_INDESTRUCTIBLE', sr);
    await ctx.work();
    removeSr(ctx.w, ctx.db, sr);
  },
  'SR.forget': async (ctx: Ctx, sr: string) => {
    assertSrRemovable(ctx, sr);
    await ctx.work();
    removeSr(ctx.w, ctx.db, sr);
  },
  'SR.scan': () => undefined,
  'SR.update': () => undefined,
  'SR.get_supported_types': () => ['nfs', 'lvmoiscsi', 'lvm', 'ext', 'iso'],
  'SR.probe': (ctx: Ctx, _host: string, dc: Record<string, string>, type: string) => {
    probeBackend(ctx.w, ctx.db, type, dc);
    return '<?xml version="1.0" ?><SRlist/>';
  },

  'PBD.create': (ctx: Ctx, rec: Record<string, unknown>) => {
    const { db } = ctx;
    const host = rec.host as string;
    const sr = rec.SR as string;
    if (isNull(host)) fail('HANDLE_INVALID', 'host', host);
    if (isNull(sr)) fail('HANDLE_INVALID', 'SR', sr);
    const existing = db.childrenOf('PBD', 'SR', sr).find(([, p]) => p.host === host);
    if (existing) fail('PBD_EXISTS', sr, host, existing[0]);
    const s = db.get('SR', sr);
    if (s.shared !== true && (s.PBDs as string[]).length > 0) fail('SR_NOT_SHARABLE', sr, host);
    const dc = cleanOutPasswords(db, (rec.device_config as Record<string, string>) ?? {});
    return db.create('PBD', { host, SR: sr, device_config: dc, currently_attached: false, other_config: rec.other_config ?? {} });
  },
  'PBD.plug': async (ctx: Ctx, pbd: string) => {
    const p = ctx.db.get('PBD', pbd);
    ctx.w.assertLive(ctx.db, p.host as string);
    const sr = ctx.db.get('SR', p.SR as string);
    if (sr.is_tools_sr !== true) probeBackend(ctx.w, ctx.db, sr.type as string, p.device_config as Record<string, string>);
    await ctx.work();
    ctx.db.update('PBD', pbd, { currently_attached: true });
  },
  'PBD.unplug': async (ctx: Ctx, pbd: string) => {
    const { db, w } = ctx;
    const p = db.get('PBD', pbd);
    w.assertLive(db, p.host as string);
    const pool = w.pool(db);
    if (pool.ha_enabled === true && (pool.ha_statefiles as string[]).some((v) => db.tryGet('VDI', v)?.SR === p.SR)) fail('HA_IS_ENABLED');
    const inUse = vdisInUse(db, p.SR as string, p.host as string);
    if (inUse.length) fail('VDI_IN_USE', inUse[0]!, 'unplug');
    await ctx.work();
    db.update('PBD', pbd, { currently_attached: false });
  },
  'PBD.destroy': (ctx: Ctx, pbd: string) => {
    if (ctx.db.get('PBD', pbd).currently_attached === true) fail('OPERATION_NOT_ALLOWED', 'PBD is currently attached');
    ctx.db.delete('PBD', pbd);
  },
  'PBD.set_device_config': (ctx: Ctx, pbd: string, dc: Record<string, string>) => {
    ctx.db.update('PBD', pbd, { device_config: cleanOutPasswords(ctx.db, dc) });
  },

  'VDI.create': async (ctx: Ctx, rec: Record<string, unknown>) => {
    const sr = rec.SR as string;
    if (isNull(sr)) fail('HANDLE_INVALID', 'SR', sr);
    const fields = constructorFields('VDI', rec);
    assertVdiFits(ctx.db, sr, Number(fields.virtual_size ?? 0));
    await ctx.work();
    return makeVdi(ctx.db, sr, fields);
  },
  'VDI.destroy': async (ctx: Ctx, vdi: string) => {
    if (vdiInUse(ctx.db, vdi)) fail('VDI_IN_USE', vdi, 'destroy');
    await ctx.work();
    removeVdi(ctx.db, vdi);
  },
  'VDI.resize': async (ctx: Ctx, vdi: string, size: number) => {
    const v = ctx.db.get('VDI', vdi);
    if (size < (v.virtual_size as number)) fail('VDI_TOO_SMALL', vdi, v.virtual_size as number);
    await ctx.work();
    ctx.db.update('VDI', vdi, { virtual_size: size });
  },
  'VDI.copy': async (ctx: Ctx, vdi: string, sr: string) => {
    const v = ctx.db.get('VDI', vdi);
    const target = isNull(sr) ? (v.SR as string) : sr;
    await ctx.work();
    return copyVdi(ctx.db, vdi, target);
  },

  'VBD.create': (ctx: Ctx, rec: Record<string, unknown>) => createVbd(ctx.db, rec),
  'VBD.destroy': (ctx: Ctx, vbd: string) => {
    if (ctx.db.get('VBD', vbd).currently_attached === true) fail('DEVICE_ALREADY_ATTACHED', vbd);
    ctx.db.delete('VBD', vbd);
  },
};

/** A copy of a VDI on `sr` (clone and copy of VMs use it). */
export function copyVdi(db: Db, vdi: string, sr: string): string {
  const v = db.get('VDI', vdi);
  return makeVdi(db, sr, { name_label: v.name_label, name_description: v.name_description, type: v.type, sharable: v.sharable, read_only: v.read_only, other_config: v.other_config, sm_config: {}, virtual_size: v.virtual_size });
}

export function createVbd(db: Db, rec: Record<string, unknown>): string {
  const vm = rec.VM as string;
  if (isNull(vm)) fail('HANDLE_INVALID', 'VM', vm);
  const vdi = (rec.VDI as string | undefined) ?? NULL_REF;
  const empty = rec.empty === true || isNull(vdi);
  let userdevice = (rec.userdevice as string | undefined) ?? 'autodetect';
  if (userdevice === 'autodetect' || userdevice === '') userdevice = vbdUserdevice(db, vm);
  const dup = (db.get('VM', vm).VBDs as string[]).find((b) => db.tryGet('VBD', b)?.userdevice === userdevice);
  if (dup) fail('DEVICE_ALREADY_EXISTS', userdevice);
  const running = db.get('VM', vm).power_state === 'Running';
  return db.create('VBD', {
    VM: vm,
    VDI: empty ? NULL_REF : vdi,
    userdevice,
    device: running ? `xvd${String.fromCharCode(97 + Number(userdevice))}` : '',
    bootable: rec.bootable ?? false,
    mode: rec.mode ?? 'RW',
    type: rec.type ?? 'Disk',
    unpluggable: rec.unpluggable ?? true,
    empty,
    other_config: rec.other_config ?? {},
    qos_algorithm_type: rec.qos_algorithm_type ?? '',
    qos_algorithm_params: rec.qos_algorithm_params ?? {},
    currently_attached: running,
    runtime_properties: {},
    storage_lock: false,
    status_detail: '',
  });
}
