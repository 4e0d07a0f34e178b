// VMs and templates, enough of them for the rules that care: cloning and copying templates,
// provisioning their disks, vCPU and memory limits, starting VMs (so hosts have running VMs that
// block joins, ejects and reboots), stopping and moving them, and their network interfaces.
// Placement (where a VM may run) is shared with host evacuation.

import { randomBytes } from 'node:crypto';
import type { Db, Rec } from './db.js';
import type { Ctx, Handlers } from './handler.js';
import { recomputeHa } from './ha.js';
import { DOM0_MEMORY } from './lab-world.js';
import { constructorFields, NULL_REF } from './model.js';
import { isNull, pifOn } from './network.js';
import { copyVdi, createVbd, makeVdi } from './storage.js';
import { fail, type World } from './world.js';

const lower = (s: unknown) => String(s).toLowerCase();

/** Memory a host still offers to VMs. */
export function hostFreeMemory(w: World, db: Db, hostRef: string): number {
  const h = w.hostOfRef(db, hostRef);
  if (!h) return 0;
  let used = DOM0_MEMORY;
  for (const vm of db.get('host', hostRef).resident_VMs as string[]) {
    const v = db.tryGet('VM', vm);
    if (v && v.is_control_domain !== true && v.power_state !== 'Halted') used += v.memory_static_max as number;
  }
  return h.memoryBytes - used;
}

function refreshMemory(w: World, db: Db, hostRef: string): void {
  const host = db.tryGet('host', hostRef);
  const m = host?.metrics as string | undefined;
  if (m && db.has('host_metrics', m)) db.update('host_metrics', m, { memory_free: hostFreeMemory(w, db, hostRef) });
}

/** Why `vm` cannot run on `hostRef` (an XAPI failure as [code, ...params]), or undefined. */
export function placementError(w: World, db: Db, vm: string, hostRef: string, extraUsed = 0): string[] | undefined {
  const h = w.hostOfRef(db, hostRef);
  if (!h || !w.isLive(h)) return ['HOST_OFFLINE', hostRef];
  if (db.get('host', hostRef).enabled !== true) return ['HOST_DISABLED', hostRef];
  const v = db.get('VM', vm);
  const need = v.memory_static_max as number;
  const free = hostFreeMemory(w, db, hostRef) - extraUsed;
  if (need > free) return ['HOST_NOT_ENOUGH_FREE_MEMORY', String(need), String(free)];
  for (const b of v.VBDs as string[]) {
    const vbd = db.tryGet('VBD', b);
    const vdi = vbd && !isNull(vbd.VDI) ? db.tryGet('VDI', vbd.VDI as string) : undefined;
    if (!vdi) continue;
    const ok = (db.get('SR', vdi.SR as string).PBDs as string[]).some((p) => {
      const pbd = db.get('PBD', p);
      return pbd.host === hostRef && pbd.currently_attached === true;
    });
    if (!ok) return ['VM_REQUIRES_SR', vm, vdi.SR as string];
  }
  for (const f of v.VIFs as string[]) {
    const vif = db.tryGet('VIF', f);
    if (vif && !pifOn(db, hostRef, vif.network as string)) return ['VM_REQUIRES_NETWORK', vm, vif.network as string];
  }
  return undefined;
}

function setDevices(db: Db, vm: string, attached: boolean): void {
  const v = db.get('VM', vm);
  for (const b of v.VBDs as string[]) {
    const vbd = db.tryGet('VBD', b);
    if (vbd) db.update('VBD', b, { currently_attached: attached, device: attached ? `xvd${String.fromCharCode(97 + Number(vbd.userdevice))}` : '' });
  }
  for (const f of v.VIFs as string[]) if (db.has('VIF', f)) db.update('VIF', f, { currently_attached: attached });
}

/** Puts a VM in `state` on `hostRef` (or nowhere), keeping memory and HA figures current. */
export function placeVm(w: World, db: Db, vm: string, state: string, hostRef: string): void {
  const old = db.get('VM', vm).resident_on as string;
  db.update('VM', vm, { power_state: state, resident_on: hostRef, domid: hostRef === NULL_REF ? -1 : 1 + Math.floor(Math.random() * 1000) });
  setDevices(db, vm, state === 'Running' || state === 'Paused');
  if (!isNull(old)) refreshMemory(w, db, old);
  if (!isNull(hostRef)) refreshMemory(w, db, hostRef);
  recomputeHa(w, db);
}

function assertPower(db: Db, vm: string, expected: string[]): Rec {
  const v = db.get('VM', vm);
  if (!expected.includes(v.power_state as string)) fail('VM_BAD_POWER_STATE', vm, lower(expected[0]), lower(v.power_state));
  return v;
}

function assertNotTemplate(db: Db, vm: string, op: string): void {
  if (db.get('VM', vm).is_a_template === true) fail('VM_IS_TEMPLATE', vm, op);
}

function chooseHost(w: World, db: Db, vm: string): string {
  const v = db.get('VM', vm);
  const candidates = w.hostsOf(db).map((h) => h.ref);
  if (!isNull(v.affinity) && !placementError(w, db, vm, v.affinity as string)) return v.affinity as string;
  const ok = candidates.filter((h) => !placementError(w, db, vm, h)).sort((a, b) => hostFreeMemory(w, db, b) - hostFreeMemory(w, db, a));
  if (!ok.length) fail('NO_HOSTS_AVAILABLE');
  return ok[0]!;
}

function randomMac(): string {
  const b = randomBytes(5);
  return ['02', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

export function createVif(db: Db, rec: Record<string, unknown>): string {
  const vm = rec.VM as string;
  const network = rec.network as string;
  if (isNull(vm)) fail('HANDLE_INVALID', 'VM', vm);
  if (isNull(network)) fail('HANDLE_INVALID', 'network', network);
  const device = String(rec.device ?? '0');
  if ((db.get('VM', vm).VIFs as string[]).some((f) => db.tryGet('VIF', f)?.device === device)) fail('DEVICE_ALREADY_EXISTS', device);
  let mac = String(rec.MAC ?? '');
  const auto = mac === '';
  if (auto) mac = randomMac();
  else if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) fail('MAC_INVALID', mac);
  return db.create('VIF', {
    ...constructorFields('VIF', rec),
    device,
    network,
    VM: vm,
    MAC: mac,
    MAC_autogenerated: auto,
    MTU: (rec.MTU as number | undefined) || db.get('network', network).MTU,
    currently_attached: db.get('VM', vm).power_state === 'Running',
    runtime_properties: {},
    status_detail: '',
  });
}

/** A new VM record from `src`: its settings, a fresh identity, halted, no devices yet. */
function copyVmRecord(db: Db, src: Rec, name: string): string {
  const oc = { ...(src.other_config as Record<string, string>) };
  delete oc.default_template;
  return db.create('VM', {
    ...constructorFields('VM', src as Record<string, unknown>),
    name_label: name,
    is_default_template: false,
    power_state: 'Halted',
    resident_on: NULL_REF,
    domid: -1,
    other_config: oc,
    current_operations: {},
    allowed_operations: [],
  });
}

/** VM.clone and VM.copy: the record, copies of its disks (on `sr`, or beside the originals), its VIFs. */
function duplicateVm(db: Db, vm: string, name: string, sr: string | undefined): string {
  const src = db.get('VM', vm);
  const copy = copyVmRecord(db, src, name);
  for (const b of src.VBDs as string[]) {
    const vbd = db.tryGet('VBD', b);
    if (!vbd) continue;
    // CD drives keep pointing at the same ISO; disks get their own copy
    const vdi = isNull(vbd.VDI) || vbd.type === 'CD' ? (vbd.VDI as string) : copyVdi(db, vbd.VDI as string, sr ?? (db.get('VDI', vbd.VDI as string).SR as string));
    createVbd(db, { ...constructorFields('VBD', vbd as Record<string, unknown>), VM: copy, VDI: vdi, empty: isNull(vdi) });
  }
  for (const f of src.VIFs as string[]) {
    const vif = db.tryGet('VIF', f);
    if (vif) createVif(db, { ...constructorFields('VIF', vif as Record<string, unknown>), VM: copy, MAC: '' });
  }
  return copy;
}

/** The disks a template's other_config "disks" provision spec asks for. */
function provisionSpec(xml: string): { device: string; size: number; sr: string; bootable: boolean; type: string }[] {
  const out = [];
  for (const m of xml.matchAll(/<disk\b([^>]*)\/?>/g)) {
    const attr = (n: string) => new RegExp(`\\b${n}="([^"]*)"`).exec(m[1]!)?.[1] ?? '';
    out.push({ device: attr('device'), size: Number(attr('size')), sr: attr('sr'), bootable: attr('bootable') === 'true', type: attr('type') || 'system' });
  }
  return out;
}

const MEMORY_RULE = 'Memory limits must satisfy: static_min <= dynamic_min <= dynamic_max <= static_max';

function setMemory(db: Db, vm: string, patch: { memory_static_min?: number; memory_static_max?: number; memory_dynamic_min?: number; memory_dynamic_max?: number }): void {
  const v = db.get('VM', vm);
  const m = { memory_static_min: v.memory_static_min as number, memory_static_max: v.memory_static_max as number, memory_dynamic_min: v.memory_dynamic_min as number, memory_dynamic_max: v.memory_dynamic_max as number, ...patch };
  const staticChange = patch.memory_static_max !== undefined || patch.memory_static_min !== undefined;
  if (staticChange && v.power_state !== 'Halted') fail('VM_BAD_POWER_STATE', vm, 'halted', lower(v.power_state));
  if (!(m.memory_static_min <= m.memory_dynamic_min && m.memory_dynamic_min <= m.memory_dynamic_max && m.memory_dynamic_max <= m.memory_static_max)) fail('MEMORY_CONSTRAINT_VIOLATION', MEMORY_RULE);
  db.update('VM', vm, { ...m, memory_target: m.memory_dynamic_max });
}

const stop = async (ctx: Ctx, vm: string) => {
  assertNotTemplate(ctx.db, vm, 'clean_shutdown');
  assertPower(ctx.db, vm, ['Running', 'Paused']);
  await ctx.work();
  placeVm(ctx.w, ctx.db, vm, 'Halted', NULL_REF);
};

export const vmHandlers: Handlers = {
  'VM.create': (ctx: Ctx, rec: Record<string, unknown>) => ctx.db.create('VM', { ...constructorFields('VM', rec), power_state: 'Halted', resident_on: NULL_REF, domid: -1 }),
  'VM.destroy': (ctx: Ctx, vm: string) => {
    const { db } = ctx;
    const v = db.get('VM', vm);
    if (v.is_control_domain === true) fail('OPERATION_NOT_ALLOWED', 'Cannot destroy a control domain');
    if (v.is_default_template === true) fail('VM_CANNOT_DELETE_DEFAULT_TEMPLATE', vm);
    assertPower(db, vm, ['Halted']);
    for (const b of v.VBDs as string[]) db.delete('VBD', b);
    for (const f of v.VIFs as string[]) db.delete('VIF', f);
    db.delete('VM', vm);
  },
  'VM.clone': async (ctx: Ctx, vm: string, name: string) => {
    assertPower(ctx.db, vm, ['Halted', 'Suspended']);
    await ctx.work();
    return duplicateVm(ctx.db, vm, name, undefined);
  },
  'VM.copy': async (ctx: Ctx, vm: string, name: string, sr: string) => {
    assertPower(ctx.db, vm, ['Halted', 'Suspended']);
    await ctx.work();
    return duplicateVm(ctx.db, vm, name, isNull(sr) ? undefined : sr);
  },
  'VM.provision': async (ctx: Ctx, vm: string) => {
    const { w, db } = ctx;
    const v = db.get('VM', vm);
    if (v.is_a_template !== true) fail('PROVISION_ONLY_ALLOWED_ON_TEMPLATE');
    const oc = { ...(v.other_config as Record<string, string>) };
    const disks = provisionSpec(oc.disks ?? '');
    const defaultSr = w.pool(db).default_SR as string;
    const plan = disks.map((d) => {
      const sr = d.sr ? db.refByUuid(d.sr) : defaultSr;
      if (!sr || isNull(sr) || !db.has('SR', sr)) fail('DEFAULT_SR_NOT_FOUND', sr ?? d.sr);
      return { ...d, srRef: sr };
    });
    await ctx.work();
    for (const d of plan) {
      const vdi = makeVdi(db, d.srRef, { name_label: `${v.name_label as string} ${d.device}`, type: d.type, virtual_size: d.size });
      createVbd(db, { VM: vm, VDI: vdi, userdevice: d.device, bootable: d.bootable, mode: 'RW', type: 'Disk' });
    }
    delete oc.disks;
    db.update('VM', vm, { other_config: oc });
  },
  'VM.start': async (ctx: Ctx, vm: string, paused: boolean) => {
    const { w, db } = ctx;
    assertNotTemplate(db, vm, 'start');
    assertPower(db, vm, ['Halted']);
    const host = chooseHost(w, db, vm);
    await ctx.work();
    placeVm(w, db, vm, paused ? 'Paused' : 'Running', host);
  },
  'VM.start_on': async (ctx: Ctx, vm: string, host: string, paused: boolean) => {
    const { w, db } = ctx;
    assertNotTemplate(db, vm, 'start_on');
    assertPower(db, vm, ['Halted']);
    const err = placementError(w, db, vm, host);
    if (err) fail(err[0]!, ...err.slice(1));
    await ctx.work();
    placeVm(w, db, vm, paused ? 'Paused' : 'Running', host);
  },
  'VM.shutdown': stop,
  'VM.clean_shutdown': stop,
  'VM.hard_shutdown': stop,
  'VM.suspend': async (ctx: Ctx, vm: string) => {
    assertNotTemplate(ctx.db, vm, 'suspend');
    assertPower(ctx.db, vm, ['Running']);
    await ctx.work();
    placeVm(ctx.w, ctx.db, vm, 'Suspended', NULL_REF);
  },
  'VM.resume': async (ctx: Ctx, vm: string, paused: boolean) => {
    assertPower(ctx.db, vm, ['Suspended']);
    const host = chooseHost(ctx.w, ctx.db, vm);
    await ctx.work();
    placeVm(ctx.w, ctx.db, vm, paused ? 'Paused' : 'Running', host);
  },
  'VM.pool_migrate': async (ctx: Ctx, vm: string, host: string) => {
    const { w, db } = ctx;
    assertPower(db, vm, ['Running']);
    const err = placementError(w, db, vm, host);
    if (err) fail(err[0]!, ...err.slice(1));
    await ctx.work();
    placeVm(w, db, vm, 'Running', host);
  },
  'VM.set_is_a_template': (ctx: Ctx, vm: string, value: boolean) => {
    if (value) assertPower(ctx.db, vm, ['Halted']);
    ctx.db.update('VM', vm, { is_a_template: value });
  },
  'VM.set_VCPUs_max': (ctx: Ctx, vm: string, value: number) => {
    const v = assertPower(ctx.db, vm, ['Halted']);
    if (value < 1 || value < (v.VCPUs_at_startup as number)) fail('INVALID_VALUE', 'VCPUs_max', value);
    ctx.db.update('VM', vm, { VCPUs_max: value });
  },
  'VM.set_VCPUs_at_startup': (ctx: Ctx, vm: string, value: number) => {
    const v = assertPower(ctx.db, vm, ['Halted']);
    if (value < 1 || value > (v.VCPUs_max as number)) fail('INVALID_VALUE', 'VCPUs_at_startup', value);
    ctx.db.update('VM', vm, { VCPUs_at_startup: value });
  },
  'VM.set_memory_limits': async (ctx: Ctx, vm: string, smin: number, smax: number, dmin: number, dmax: number) => {
    setMemory(ctx.db, vm, { memory_static_min: smin, memory_static_max: smax, memory_dynamic_min: dmin, memory_dynamic_max: dmax });
  },
  'VM.set_memory': async (ctx: Ctx, vm: string, value: number) => {
    setMemory(ctx.db, vm, { memory_static_max: value, memory_dynamic_min: value, memory_dynamic_max: value });
  },
  'VM.set_memory_static_max': (ctx: Ctx, vm: string, v: number) => setMemory(ctx.db, vm, { memory_static_max: v }),
  'VM.set_memory_static_min': (ctx: Ctx, vm: string, v: number) => setMemory(ctx.db, vm, { memory_static_min: v }),
  'VM.set_memory_dynamic_max': (ctx: Ctx, vm: string, v: number) => setMemory(ctx.db, vm, { memory_dynamic_max: v }),
  'VM.set_memory_dynamic_min': (ctx: Ctx, vm: string, v: number) => setMemory(ctx.db, vm, { memory_dynamic_min: v }),
  'VM.set_memory_dynamic_range': (ctx: Ctx, vm: string, min: number, max: number) => setMemory(ctx.db, vm, { memory_dynamic_min: min, memory_dynamic_max: max }),
  'VM.set_memory_static_range': (ctx: Ctx, vm: string, min: number, max: number) => setMemory(ctx.db, vm, { memory_static_min: min, memory_static_max: max }),
  'VM.get_allowed_VBD_devices': (ctx: Ctx, vm: string) => {
    const used = new Set((ctx.db.get('VM', vm).VBDs as string[]).map((b) => ctx.db.tryGet('VBD', b)?.userdevice));
    return Array.from({ length: 16 }, (_, i) => String(i)).filter((d) => !used.has(d));
  },
  'VM.get_allowed_VIF_devices': (ctx: Ctx, vm: string) => {
    const used = new Set((ctx.db.get('VM', vm).VIFs as string[]).map((f) => ctx.db.tryGet('VIF', f)?.device));
    return Array.from({ length: 7 }, (_, i) => String(i)).filter((d) => !used.has(d));
  },
  'VM.get_possible_hosts': (ctx: Ctx, vm: string) => ctx.w.hostsOf(ctx.db).map((h) => h.ref).filter((h) => !placementError(ctx.w, ctx.db, vm, h)),
  'VM.assert_can_boot_here': (ctx: Ctx, vm: string, host: string) => {
    const err = placementError(ctx.w, ctx.db, vm, host);
    if (err) fail(err[0]!, ...err.slice(1));
  },

  'VIF.create': (ctx: Ctx, rec: Record<string, unknown>) => createVif(ctx.db, rec),
  'VIF.destroy': (ctx: Ctx, vif: string) => {
    if (ctx.db.get('VIF', vif).currently_attached === true) fail('DEVICE_ALREADY_ATTACHED', vif);
    ctx.db.delete('VIF', vif);
  },
  'VIF.plug': (ctx: Ctx, vif: string) => {
    const v = ctx.db.get('VIF', vif);
    assertPower(ctx.db, v.VM as string, ['Running']);
    ctx.db.update('VIF', vif, { currently_attached: true });
  },
  'VIF.unplug': (ctx: Ctx, vif: string) => void ctx.db.update('VIF', vif, { currently_attached: false }),
};
