// xenserver_vm_template: a template cloned from an existing one (VM.clone keeps is_a_template),
// then shaped: vCPUs, memory limits, HVM boot order, HA restart settings, other_config keys, its
// own disks (VDI + VBD, on shared SRs so any host can start VMs made from it) and interfaces.
// Bookkeeping lives on the objects themselves so observation stays a pure read of the pool:
// disks poolform made carry VDI other_config poolform_disk, and the template's other_config
// poolform_keys lists the keys the user set (the base template brings many others).

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { bool, callOpts, hostName, inContext, int, isRef, isUnknownValue, str, strMap, type Entry } from '../facts.js';
import { observeEach, rereadAfterWrite, setNames } from './common-steps.js';
import { haSettingsOf, setHaSettings, wantedHa } from './vm-ha.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DISK_MARK = 'poolform_disk';
const KEYS_MARK = 'poolform_keys';

interface Disk {
  name: string;
  sr: string;
  size_gib: number;
}

function vbdsOf(snap: Snapshot, vmRef: string): Entry[] {
  return snap.filter('VBD', (b) => b.VM === vmRef).sort(([, a], [, b]) => int(a.userdevice) - int(b.userdevice));
}

/** The disks poolform made on this template, in device order. */
function ownDisks(snap: Snapshot, vmRef: string): { vbd: Entry; vdi: Entry }[] {
  const out: { vbd: Entry; vdi: Entry }[] = [];
  for (const vbd of vbdsOf(snap, vmRef)) {
    if (str(vbd[1].type) !== 'Disk' || !isRef(vbd[1].VDI)) continue;
    const vdi = snap.get('VDI', vbd[1].VDI);
    if (vdi && DISK_MARK in strMap(vdi.other_config)) out.push({ vbd, vdi: [vbd[1].VDI, vdi] });
  }
  return out;
}

function vifsOf(snap: Snapshot, vmRef: string): Entry[] {
  return snap.filter('VIF', (v) => v.VM === vmRef).sort(([, a], [, b]) => int(a.device) - int(b.device));
}

function managedKeys(vm: XapiRecord): string[] {
  return (strMap(vm.other_config)[KEYS_MARK] ?? '').split(',').filter(Boolean);
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const ref = snap.refOf(id);
  const vm = ref ? snap.get('VM', ref) : undefined;
  if (!ref || !vm) return undefined;
  const disks = ownDisks(snap, ref);
  const oc = strMap(vm.other_config);
  const other: Record<string, string> = {};
  for (const k of managedKeys(vm)) if (k in oc) other[k] = oc[k];
  return {
    id,
    attrs: {
      id,
      name_label: str(vm.name_label),
      name_description: str(vm.name_description),
      vcpus: int(vm.VCPUs_at_startup),
      memory_mib: Math.round(int(vm.memory_static_max) / MiB),
      disks: disks.map(({ vdi }) => ({ name: str(vdi[1].name_label), sr: snap.get('SR', str(vdi[1].SR))?.uuid ?? '', size_gib: int(vdi[1].virtual_size) / GiB })),
      networks: vifsOf(snap, ref).map(([, v]) => snap.get('network', str(v.network))?.uuid ?? ''),
      boot_order: strMap(vm.HVM_boot_params).order ?? '',
      ...haSettingsOf(vm),
      other_config: other,
      vdi_uuids: disks.map(({ vdi }) => vdi[1].uuid),
    },
  };
}

function read(s: XenSession, refOrUuid: string, signal: AbortSignal): Promise<Observed> {
  return rereadAfterWrite(s, 'VM', 'xenserver_vm_template', refOrUuid, observeOne, signal);
}

/** The base template by name_label; several of that name prefer XAPI's own default template. */
function findBase(snap: Snapshot, name: string): Entry {
  const all = snap.filter('VM', (v) => bool(v.is_a_template) && !bool(v.is_a_snapshot));
  const named = all.filter(([, v]) => v.name_label === name);
  if (named.length === 1) return named[0];
  if (named.length > 1) {
    const builtin = named.filter(([, v]) => strMap(v.other_config).default_template === 'true');
    if (builtin.length === 1) return builtin[0];
    throw new Error(`base_template "${name}": ${named.length} templates have this name (${named.map(([, v]) => v.uuid).join(', ')}); rename one`);
  }
  const near = nearestName(name, all.map(([, v]) => str(v.name_label)));
  throw new Error(`base_template "${name}" does not exist${near ? ` (did you mean "${near}"?)` : ''}`);
}

/** vCPUs at startup may not exceed the maximum, so the order of the two calls depends on the direction. */
async function setVcpus(s: XenSession, ref: string, vm: XapiRecord, want: number, ctx: ProviderContext): Promise<void> {
  const o = callOpts(ctx);
  if (int(vm.VCPUs_at_startup) === want && int(vm.VCPUs_max) === want) return;
  if (want >= int(vm.VCPUs_max)) {
    await s.xapi.call('VM.set_VCPUs_max', [ref, want], o);
    await s.xapi.call('VM.set_VCPUs_at_startup', [ref, want], o);
  } else {
    await s.xapi.call('VM.set_VCPUs_at_startup', [ref, want], o);
    await s.xapi.call('VM.set_VCPUs_max', [ref, want], o);
  }
}

/** static_min ≤ dynamic_min ≤ dynamic_max ≤ static_max: the VM gets `mib`, the floor stays the base's. */
async function setMemory(s: XenSession, ref: string, vm: XapiRecord, mib: number, ctx: ProviderContext): Promise<void> {
  const bytes = mib * MiB;
  const staticMin = Math.min(int(vm.memory_static_min, bytes), bytes);
  if (int(vm.memory_static_max) === bytes && int(vm.memory_dynamic_max) === bytes && int(vm.memory_dynamic_min) === bytes && int(vm.memory_static_min) === staticMin) return;
  await s.xapi.callAsync('VM.set_memory_limits', [ref, staticMin, bytes, bytes, bytes], callOpts(ctx));
}

async function setOtherConfig(s: XenSession, ref: string, vm: XapiRecord, want: Record<string, string>, dropDisks: boolean, ctx: ProviderContext): Promise<void> {
  const o = callOpts(ctx);
  const oc = strMap(vm.other_config);
  const put = async (k: string, v: string) => {
    if (oc[k] === v) return;
    if (k in oc) await s.xapi.call('VM.remove_from_other_config', [ref, k], o);
    await s.xapi.call('VM.add_to_other_config', [ref, k, v], o);
  };
  for (const k of managedKeys(vm)) if (!(k in want) && k in oc) await s.xapi.call('VM.remove_from_other_config', [ref, k], o);
  // The base's disk recipe would add its own disks to every VM made from this template.
  if (dropDisks && 'disks' in oc && !('disks' in want)) await s.xapi.call('VM.remove_from_other_config', [ref, 'disks'], o);
  for (const [k, v] of Object.entries(want)) await put(k, v);
  await put(KEYS_MARK, Object.keys(want).sort().join(','));
}

async function setNetworks(s: XenSession, snap: Snapshot, ref: string, networks: string[], ctx: ProviderContext): Promise<void> {
  const o = callOpts(ctx);
  for (const [vif] of vifsOf(snap, ref)) await s.xapi.call('VIF.destroy', [vif], o);
  for (const [i, uuid] of networks.entries()) {
    const net = snap.refOf(uuid);
    if (!net || !snap.get('network', net)) throw new Error(`network ${uuid} does not exist`);
    const mtu = int(snap.get('network', net)!.MTU, 1500);
    await s.xapi.call('VIF.create', [{ device: String(i), network: net, VM: ref, MAC: '', MTU: mtu, other_config: {}, qos_algorithm_type: '', qos_algorithm_params: {} }], o);
  }
}

function wantedOf(attrs: Attrs) {
  return {
    vcpus: typeof attrs.vcpus === 'number' ? attrs.vcpus : undefined,
    memory: typeof attrs.memory_mib === 'number' ? attrs.memory_mib : undefined,
    boot: typeof attrs.boot_order === 'string' && attrs.boot_order !== '' ? attrs.boot_order : undefined,
    disks: (Array.isArray(attrs.disks) ? attrs.disks : []) as Disk[],
    networks: (Array.isArray(attrs.networks) ? attrs.networks : []) as string[],
    other: strMap(attrs.other_config),
  };
}

export const vmTemplate: ResourceType = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const name = str(attrs.name_label);
    const what = `xenserver_vm_template "${name}"`;
    let snap = await s.snapshot(true, ctx.signal);
    const [baseRef] = findBase(snap, str(attrs.base_template));
    const w = wantedOf(attrs);
    let task: string | undefined;
    let ref: string;
    try {
      ref = await s.xapi.callAsync('VM.clone', [baseRef, name], callOpts(ctx, (t) => (task = t)));
    } catch (e) {
      throw inContext(`${what}: cloning "${str(attrs.base_template)}"`, e);
    }
    const vdis: string[] = [];
    try {
      snap = await s.snapshot(true, ctx.signal);
      const vm = snap.get('VM', ref);
      if (!vm) throw new Error('the clone is not visible');
      const o = callOpts(ctx);
      if (!bool(vm.is_a_template)) await s.xapi.call('VM.set_is_a_template', [ref, true], o);
      if (str(attrs.name_description) !== str(vm.name_description)) await s.xapi.call('VM.set_name_description', [ref, str(attrs.name_description)], o);
      if (w.vcpus !== undefined) await setVcpus(s, ref, vm, w.vcpus, ctx);
      if (w.memory !== undefined) await setMemory(s, ref, vm, w.memory, ctx);
      if (w.boot !== undefined) await s.xapi.call('VM.set_HVM_boot_params', [ref, { ...strMap(vm.HVM_boot_params), order: w.boot }], o);
      await setHaSettings(s, ref, vm, wantedHa(attrs), ctx);
      await setOtherConfig(s, ref, vm, w.other, w.disks.length > 0, ctx);
      const used = new Set(vbdsOf(snap, ref).map(([, b]) => int(b.userdevice, -1)));
      let next = 0;
      for (const [i, d] of w.disks.entries()) {
        const sr = snap.refOf(d.sr);
        if (!sr || !snap.get('SR', sr)) throw new Error(`disk "${d.name}": SR ${d.sr} does not exist`);
        const vdi = await s.xapi.call<string>(
          'VDI.create',
          [{ name_label: d.name, name_description: `disk ${i} of template ${name}`, SR: sr, virtual_size: Math.round(d.size_gib * GiB), type: 'user', sharable: false, read_only: false, other_config: { [DISK_MARK]: String(i) }, xenstore_data: {}, sm_config: {}, tags: [] }],
          o,
        );
        vdis.push(vdi);
        while (used.has(next)) next++;
        used.add(next);
        await s.xapi.call(
          'VBD.create',
          [{ VM: ref, VDI: vdi, userdevice: String(next), bootable: i === 0, mode: 'RW', type: 'Disk', empty: false, other_config: {}, qos_algorithm_type: '', qos_algorithm_params: {} }],
          o,
        );
      }
      await setNetworks(s, snap, ref, w.networks, ctx);
    } catch (e) {
      // Nothing half-made stays: the disks made so far and the clone go again.
      const o = callOpts(ctx);
      await s.xapi.call('VM.destroy', [ref], o).catch(() => undefined);
      for (const v of vdis) await s.xapi.call('VDI.destroy', [v], o).catch(() => undefined);
      throw inContext(what, e);
    }
    return { ...(await read(s, ref, ctx.signal)), task };
  },

  async update(s, id, _before, after, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    const vm = ref ? snap.get('VM', ref) : undefined;
    if (!ref || !vm) throw new Error(`xenserver_vm_template ${id} no longer exists`);
    const what = `xenserver_vm_template "${str(after.name_label)}" (${id})`;
    const w = wantedOf(after);
    const now = observeOne(snap, id)!.attrs;
    const o = callOpts(ctx);
    try {
      await setNames(s, 'VM', ref, now, after, o);
      if (w.vcpus !== undefined) await setVcpus(s, ref, vm, w.vcpus, ctx);
      if (w.memory !== undefined) await setMemory(s, ref, vm, w.memory, ctx);
      if (w.boot !== undefined && now.boot_order !== w.boot) await s.xapi.call('VM.set_HVM_boot_params', [ref, { ...strMap(vm.HVM_boot_params), order: w.boot }], o);
      await setHaSettings(s, ref, vm, wantedHa(after), ctx);
      await setOtherConfig(s, ref, vm, w.other, false, ctx);
      if (JSON.stringify(now.networks) !== JSON.stringify(w.networks)) await setNetworks(s, snap, ref, w.networks, ctx);
    } catch (e) {
      throw inContext(what, e);
    }
    return read(s, id, ctx.signal);
  },

  async delete(s, id, attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    const vm = ref ? snap.get('VM', ref) : undefined;
    if (!ref || !vm) return {};
    const what = `xenserver_vm_template "${str(vm.name_label)}" (${id})`;
    const state = str(vm.power_state);
    if (!bool(vm.is_a_template) && state !== 'Halted') {
      throw new Error(`${what} is no longer a template and is ${state} on ${hostName(snap, str(vm.resident_on))}; shut it down first`);
    }
    const mine = new Set<string>([...ownDisks(snap, ref).map(({ vdi }) => vdi[0])]);
    for (const u of Array.isArray(attrs.vdi_uuids) ? attrs.vdi_uuids : []) {
      const r = typeof u === 'string' ? snap.refOf(u) : undefined;
      if (r && snap.get('VDI', r)) mine.add(r);
    }
    const o = callOpts(ctx);
    try {
      for (const [vbd] of vbdsOf(snap, ref)) await s.xapi.call('VBD.destroy', [vbd], o);
      for (const [vif] of vifsOf(snap, ref)) await s.xapi.call('VIF.destroy', [vif], o);
      await s.xapi.call('VM.destroy', [ref], o);
      for (const vdi of mine) await s.xapi.call('VDI.destroy', [vdi], o);
    } catch (e) {
      throw inContext(what, e);
    }
    return {};
  },

  async preflight(changes: PlannedChange[], snap: Snapshot) {
    const out: Diagnostic[] = [];
    const hosts = snap.all('host');
    for (const c of changes) {
      if (!c.after || (c.action !== 'create' && c.action !== 'replace' && c.action !== 'update')) continue;
      const err = (summary: string, detail: string, suggestion?: string) => out.push({ severity: 'error', address: c.address, summary, detail, suggestion });
      if (c.action !== 'update' && typeof c.after.base_template === 'string') {
        try {
          findBase(snap, c.after.base_template);
        } catch (e) {
          const templates = snap.filter('VM', (v) => bool(v.is_a_template)).map(([, v]) => str(v.name_label));
          err('Base template not found', (e as Error).message, nearestName(c.after.base_template, templates));
        }
      }
      const disks = c.after.disks;
      if (Array.isArray(disks) && c.action !== 'update') {
        for (const d of disks as Record<string, unknown>[]) {
          const uuid = d?.sr;
          if (typeof uuid !== 'string' || isUnknownValue(uuid)) continue; // an SR this plan creates: shared by construction
          const ref = snap.refOf(uuid);
          const sr = ref ? snap.get('SR', ref) : undefined;
          if (!ref || !sr) {
            err(`Disk "${str(d.name)}": SR ${uuid} does not exist`, 'Give the uuid of a shared SR (e.g. xenserver_sr.<name>.id).');
            continue;
          }
          if (!bool(sr.shared)) err(`Disk "${str(d.name)}": SR "${str(sr.name_label)}" is not shared`, 'A template\'s disks must be on a shared SR so VMs made from it can start on any host; local storage is reachable from one host only.');
          const plugged = new Set(snap.filter('PBD', (p) => p.SR === ref && bool(p.currently_attached)).map(([, p]) => str(p.host)));
          const missing = hosts.filter(([h]) => !plugged.has(h)).map(([, h]) => str(h.name_label));
          if (bool(sr.shared) && missing.length) err(`Disk "${str(d.name)}": SR "${str(sr.name_label)}" is not plugged on ${missing.join(', ')}`, 'Plug its PBD on every host (a xenserver_sr update does) before putting template disks on it.');
        }
      }
      const nets = c.after.networks;
      if (Array.isArray(nets)) {
        for (const n of nets) if (typeof n === 'string' && !isUnknownValue(n) && !snap.refOf(n)) err(`Network ${n} does not exist`, 'Give the uuid of an existing network (e.g. xenserver_network.<name>.id).');
      }
    }
    return out;
  },
};
