// proxmox_vm_template: a QEMU VM created on a node with its CPU, memory, disks, network devices and
// cloud-init drive (POST /nodes/{node}/qemu, a "qmcreate" task), then converted to a template
// ("qmtemplate"). The VMID comes from vmid.ts when not given. If the conversion fails the VM is
// destroyed again, so no half-made template stays behind. Settings change in place with PUT
// .../config (only what differs from the guest as it is); disks and network devices replace it.
// Observation: the guest from /cluster/resources and the configuration of each managed template.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import { UNKNOWN_MARK, type Attrs, type Observed, type PlannedChange } from '../../../engine/provider.js';
import type { Params } from '../client/types.js';
import {
  CLOUDINIT_SLOT,
  agentOf,
  cloudInitDrive,
  cloudInitOf,
  cloudInitParams,
  diskValue,
  disksOf,
  memoryOf,
  netValue,
  netsOf,
  nodeClient,
  qemuPath,
  readConfigs,
  tagsOf,
  type CloudInitBlock,
  type DiskBlock,
  type NetBlock,
} from '../guest-config.js';
import { isBridgeType, normalize as normalizeNetwork } from '../network-plan.js';
import { splitList } from '../props.js';
import type { PveSession } from '../session.js';
import { flag, type Rec, type Snapshot } from '../snapshot.js';
import { createWithVmid } from '../vmid.js';
import type { PveResourceType } from './types.js';
import { membersAfterPlan } from '../preflight/storage.js';

const TYPE = 'proxmox_vm_template';

export function isUnknown(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (!Array.isArray(v) && UNKNOWN_MARK in (v as object)) return true;
  return Object.values(v as object).some(isUnknown);
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

interface Wanted {
  name: string;
  cores: number;
  sockets: number;
  memory: number;
  cpu: string | null;
  scsihw: string;
  ostype: string;
  agent: boolean;
  description: string;
  tags: string[];
  disks: DiskBlock[];
  nets: NetBlock[];
  cloudInitStorage: string | null;
  cloudInit: CloudInitBlock | null;
  password?: string;
}

function wantedOf(a: Attrs): Wanted {
  const rows = (k: string) => (Array.isArray(a[k]) ? (a[k] as Record<string, unknown>[]) : []);
  const ci = a.cloud_init && typeof a.cloud_init === 'object' ? (a.cloud_init as Record<string, unknown>) : null;
  return {
    name: String(a.name),
    cores: Number(a.cores ?? 1),
    sockets: Number(a.sockets ?? 1),
    memory: Number(a.memory ?? 2048),
    cpu: str(a.cpu),
    scsihw: str(a.scsihw) ?? 'virtio-scsi-single',
    ostype: str(a.ostype) ?? 'l26',
    agent: a.agent === true,
    description: typeof a.description === 'string' ? a.description : '',
    tags: splitList(a.tags),
    disks: rows('disk').map((d) => ({ slot: String(d.slot), storage: String(d.storage), size_gb: Number(d.size_gb) })),
    nets: rows('network').map((n) => ({ slot: String(n.slot), model: str(n.model) ?? 'virtio', bridge: String(n.bridge), vlan_tag: n.vlan_tag === null || n.vlan_tag === undefined ? null : Number(n.vlan_tag), firewall: n.firewall === true })),
    cloudInitStorage: str(a.cloud_init_storage),
    cloudInit: ci
      ? {
          user: str(ci.user),
          ssh_keys: Array.isArray(ci.ssh_keys) ? ci.ssh_keys.filter((k): k is string => typeof k === 'string') : [],
          ip_config: Array.isArray(ci.ip_config) ? ci.ip_config.filter((k): k is string => typeof k === 'string') : [],
          nameserver: str(ci.nameserver),
          searchdomain: str(ci.searchdomain),
        }
      : null,
    password: str(a.cloud_init_password) ?? undefined,
  };
}

/** The template's attributes from its configuration (the shape the schema describes, every key present). */
export function templateAttrs(vmid: number, node: string, cfg: Rec): Attrs {
  return {
    id: String(vmid),
    node,
    vmid,
    name: str(cfg.name) ?? '',
    cores: Number(cfg.cores ?? 1),
    sockets: Number(cfg.sockets ?? 1),
    memory: memoryOf(cfg) ?? 512,
    cpu: str(cfg.cpu),
    scsihw: str(cfg.scsihw) ?? 'lsi',
    ostype: str(cfg.ostype) ?? 'other',
    agent: agentOf(cfg),
    description: typeof cfg.description === 'string' ? cfg.description.replace(/\n$/, '') : '',
    tags: tagsOf(cfg),
    disk: disksOf(cfg).map((d) => ({ ...d })),
    network: netsOf(cfg).map((n) => ({ ...n })),
    cloud_init_storage: cloudInitDrive(cfg),
    cloud_init: cloudInitOf(cfg),
  };
}

async function observe(snap: Snapshot, ids: string[], s: PveSession, signal?: AbortSignal): Promise<Observed[]> {
  const guests = ids.map((id) => snap.guests?.get(Number(id))).filter((g) => g !== undefined && g.type === 'qemu');
  const cfgs = await readConfigs(s, guests.map((g) => ({ vmid: g!.vmid, node: g!.node })), signal);
  const out: Observed[] = [];
  for (const g of guests) {
    const cfg = cfgs.get(g!.vmid);
    // Its node did not answer: seen in /cluster/resources, so not gone; nothing observed now.
    if (cfg === null) out.push({ id: String(g!.vmid), attrs: { id: String(g!.vmid) } });
    else if (cfg) out.push({ id: String(g!.vmid), attrs: templateAttrs(g!.vmid, g!.node, cfg) });
  }
  return out;
}

function createParams(w: Wanted): Params {
  const p: Params = { name: w.name, cores: w.cores, sockets: w.sockets, memory: w.memory, scsihw: w.scsihw, ostype: w.ostype };
  if (w.cpu) p.cpu = w.cpu;
  if (w.agent) p.agent = 1;
  if (w.description) p.description = w.description;
  if (w.tags.length) p.tags = w.tags.join(';');
  for (const d of w.disks) p[d.slot] = diskValue(d);
  for (const n of w.nets) p[n.slot] = netValue(n);
  if (w.cloudInitStorage) {
    p[CLOUDINIT_SLOT] = `${w.cloudInitStorage}:cloudinit`;
    Object.assign(p, cloudInitParams(w.cloudInit, w.password));
  }
  return p;
}

/** Reads one guest's configuration (after a write), or fails naming it. */
async function readBack(s: PveSession, node: string, vmid: number, signal?: AbortSignal): Promise<Rec> {
  const got = (await readConfigs(s, [{ vmid, node }], signal)).get(vmid);
  if (!got) throw new Error(`VM ${vmid} is not on node ${node} after the write`);
  return got;
}

/** Where the guest is now (HA or an admin may have moved it), else where state says. */
async function whereIs(s: PveSession, vmid: number, fallback: string, signal?: AbortSignal): Promise<string | undefined> {
  s.invalidate();
  const snap = await s.snapshot(['resources'], signal);
  const g = snap.guests?.get(vmid);
  return g ? g.node : snap.guests ? undefined : fallback;
}

/** The config edits that turn `cfg` into `w` (settings only: disks and networks replace). */
export function configEdits(cfg: Rec, w: Wanted): { set: Params; remove: string[] } {
  const now = templateAttrs(0, '', cfg);
  const set: Params = {};
  const remove: string[] = [];
  const put = (k: string, v: string | number | null | false) => (v === null || v === false || v === '' ? remove.push(k) : (set[k] = v));
  if (now.name !== w.name) set.name = w.name;
  if (now.cores !== w.cores) set.cores = w.cores;
  if (now.sockets !== w.sockets) set.sockets = w.sockets;
  if (now.memory !== w.memory) set.memory = w.memory;
  if (now.cpu !== w.cpu) put('cpu', w.cpu);
  if (now.scsihw !== w.scsihw) set.scsihw = w.scsihw;
  if (now.ostype !== w.ostype) set.ostype = w.ostype;
  if (now.agent !== w.agent) put('agent', w.agent ? 1 : false);
  if (now.description !== w.description) put('description', w.description);
  if ((now.tags as string[]).join(';') !== w.tags.join(';')) put('tags', w.tags.join(';'));
  // Cloud-init settings only: the drive itself (cloud_init_storage) replaces the template.
  const want = cloudInitParams(w.cloudInit, w.password);
  const had = cloudInitParams(now.cloud_init as CloudInitBlock | null, undefined);
  for (const [k, v] of Object.entries(want)) if (had[k] !== v) set[k] = v;
  for (const k of Object.keys(had)) if (!(k in want)) remove.push(k);
  return { set, remove };
}

async function destroy(s: PveSession, node: string, vmid: number, what: string, ctx: Parameters<PveResourceType['delete']>[3]): Promise<void> {
  const c = await nodeClient(s, node, ctx.signal);
  try {
    await c.task('DELETE', qemuPath(node, vmid), undefined, s.taskOptions(ctx));
  } catch (e) {
    const msg = (e as Error).message;
    const hint = /linked clone|base volume|is used by|has (?:linked )?clones/i.test(msg) ? ' VMs cloned from it (linked clones) still use its disks: delete or full-clone them first.' : '';
    throw new Error(`${what}: destroying it on ${node} failed: ${msg}.${hint}`, { cause: e });
  }
}

/** Checks shared by the template and VM types: the node exists, a storage holds images on it. */
export function storageProblem(snap: Snapshot, all: PlannedChange[], storage: unknown, node: string, what: string): { summary: string; detail: string; suggestion?: string } | undefined {
  if (typeof storage !== 'string' || isUnknown(storage)) return undefined;
  const planned = all.find((c) => c.type === 'proxmox_storage' && c.after && c.after.storage === storage && c.action !== 'delete');
  const entry: Rec | undefined = planned?.after ?? snap.storage?.get(storage);
  if (!entry) {
    const names = [...(snap.storage?.keys() ?? [])];
    return { summary: `${what}: storage ${storage} does not exist`, detail: `The cluster's storages are ${names.join(', ') || 'none'}.`, suggestion: nearestName(storage, names) };
  }
  const content = splitList(entry.content);
  if (content.length && !content.includes('images')) return { summary: `${what}: storage ${storage} does not hold disk images`, detail: `Its content is ${content.join(', ')}; add images to it or choose a storage that holds images (e.g. local-lvm).` };
  const nodes = splitList(entry.nodes);
  if (nodes.length && !nodes.includes(node)) return { summary: `${what}: storage ${storage} is not available on node ${node}`, detail: `It is restricted to ${nodes.join(', ')}.` };
  if (flag(entry.disable)) return { summary: `${what}: storage ${storage} is disabled`, detail: 'Enable it (disable = false) first.' };
  return undefined;
}

/** Whether `bridge` is a bridge of `node` now, or one a planned proxmox_node_network declares there. */
function bridgeKnown(snap: Snapshot, all: PlannedChange[], node: string, bridge: string): boolean | undefined {
  const planned = all.find((c) => c.type === 'proxmox_node_network' && c.after && c.after.node === node && c.action !== 'delete');
  if (planned && normalizeNetwork(planned.after!).bridge.some((b) => b.name === bridge)) return true;
  const net = snap.network?.get(node);
  if (!net) return undefined;
  return net.ifaces.some((r) => r.iface === bridge && isBridgeType(r.type));
}

async function preflight(changes: PlannedChange[], s: PveSession, all: PlannedChange[], signal?: AbortSignal): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const todo = changes.filter((c) => c.after && (c.action === 'create' || c.action === 'replace' || c.action === 'update'));
  if (todo.length === 0) return out;
  const snap = await s.snapshot(['storage', 'resources', 'network', 'status'], signal);
  for (const c of todo) {
    const a = c.after!;
    const err = (summary: string, detail: string, suggestion?: string) => out.push({ severity: 'error', address: c.address, summary, detail, suggestion });
    const node = typeof a.node === 'string' ? a.node : undefined;
    if (!node) continue;
    const members = membersAfterPlan(snap, all) ?? [];
    if (members.length && !members.includes(node)) err(`Node ${node} is not in the cluster`, `The cluster's nodes are ${members.join(', ')}.`, nearestName(node, members));
    if (c.action !== 'update' && typeof a.vmid === 'number') {
      const g = snap.guests?.get(a.vmid);
      if (g) err(`VMID ${a.vmid} is taken`, `It is ${g.template ? 'template' : 'VM'} ${g.name ?? ''} on ${g.node}. Leave vmid out to have one allocated, or choose a free one.`);
    }
    for (const k of ['disk', 'network'] as const) {
      const rows = Array.isArray(a[k]) ? (a[k] as Record<string, unknown>[]) : [];
      const slots = rows.map((r) => String(r.slot));
      if (new Set(slots).size !== slots.length) err(`Two ${k} blocks use the same slot`, `Slots: ${slots.join(', ')}.`);
    }
    if (c.action !== 'update') {
      for (const d of Array.isArray(a.disk) ? (a.disk as Record<string, unknown>[]) : []) {
        const p = storageProblem(snap, all, d.storage, node, `disk ${String(d.slot)}`);
        if (p) err(p.summary, p.detail, p.suggestion);
      }
      for (const n of Array.isArray(a.network) ? (a.network as Record<string, unknown>[]) : []) {
        if (typeof n.bridge !== 'string' || isUnknown(n.bridge)) continue;
        if (bridgeKnown(snap, all, node, n.bridge) === false) {
          const bridges = (snap.network?.get(node)?.ifaces ?? []).filter((r) => isBridgeType(r.type)).map((r) => String(r.iface));
          err(`${String(n.slot)}: bridge ${n.bridge} does not exist on node ${node}`, `Node ${node} has bridges ${bridges.join(', ') || 'none'}; declare ${n.bridge} in a proxmox_node_network for ${node}, or use an existing one.`, nearestName(n.bridge, bridges));
        }
      }
    }
    if (a.cloud_init && typeof a.cloud_init === 'object' && (a.cloud_init_storage === null || a.cloud_init_storage === undefined)) {
      err('cloud_init needs cloud_init_storage', 'The cloud-init settings live on a cloud-init drive: give cloud_init_storage (a storage holding images on the node).');
    }
    if (c.action !== 'update') {
      const p = storageProblem(snap, all, a.cloud_init_storage, node, 'cloud_init_storage');
      if (p) err(p.summary, p.detail, p.suggestion);
    }
  }
  return out;
}

export const vmTemplate: PveResourceType = {
  parts: ['resources'],
  observe,

  async create(s, attrs, ctx) {
    const node = String(attrs.node);
    const w = wantedOf(attrs);
    const what = `${TYPE} "${w.name}" on ${node}`;
    const client = await nodeClient(s, node, ctx.signal);
    const params = createParams(w);
    const make = async (vmid: number) => {
      ctx.log(`${what}: creating VM ${vmid}`);
      await client.task('POST', qemuPath(node), { vmid, ...params }, s.taskOptions(ctx));
    };
    let vmid: number;
    try {
      vmid = await createWithVmid(attrs.vmid, async () => (await s.api(ctx.signal)).client, s.target, make, ctx.signal);
    } catch (e) {
      throw new Error(`${what}: creating the VM failed: ${(e as Error).message}`, { cause: e });
    }
    try {
      ctx.log(`${what}: converting VM ${vmid} to a template`);
      await client.task('POST', qemuPath(node, vmid, '/template'), undefined, s.taskOptions(ctx));
    } catch (e) {
      let undo = 'the VM was destroyed again';
      try {
        await client.task('DELETE', qemuPath(node, vmid), undefined, { ...s.taskOptions(ctx), onTask: undefined });
      } catch (e2) {
        undo = `destroying the VM again failed too (${(e2 as Error).message}): remove VM ${vmid} by hand`;
      }
      throw new Error(`${what}: converting VM ${vmid} to a template failed: ${(e as Error).message}; ${undo}`, { cause: e });
    }
    return { id: String(vmid), attrs: templateAttrs(vmid, node, await readBack(s, node, vmid, ctx.signal)) };
  },

  async update(s, id, before, after, ctx) {
    const vmid = Number(id);
    const w = wantedOf(after);
    const node = (await whereIs(s, vmid, String(before.node ?? after.node), ctx.signal)) ?? '';
    const what = `${TYPE} "${w.name}" (${vmid})`;
    if (!node) throw new Error(`${what} no longer exists (removed outside poolform): plan again to create it`);
    const client = await nodeClient(s, node, ctx.signal);
    const cfg = await readBack(s, node, vmid, ctx.signal);
    const { set, remove } = configEdits(cfg, w);
    const path = qemuPath(node, vmid, '/config');
    const opts = { signal: ctx.signal, step: ctx.step };
    try {
      if (Object.keys(set).length || remove.length) await client.put(path, { ...set, delete: remove.length ? remove.join(',') : undefined }, opts);
    } catch (e) {
      throw new Error(`${what}: updating its configuration on ${node} failed: ${(e as Error).message}`, { cause: e });
    }
    return { id, attrs: templateAttrs(vmid, node, await readBack(s, node, vmid, ctx.signal)) };
  },

  async delete(s, id, attrs, ctx) {
    const vmid = Number(id);
    const node = await whereIs(s, vmid, String(attrs.node), ctx.signal);
    if (!node) return {};
    await destroy(s, node, vmid, `${TYPE} "${String(attrs.name ?? id)}" (${vmid})`, ctx);
    return {};
  },

  preflight: (changes, s, ctx, all) => preflight(changes, s, all, ctx.signal),

  impact(change) {
    return change.action === 'noop' || change.action === 'read' ? 'none' : 'live';
  },
};
