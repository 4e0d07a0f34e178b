// A QEMU guest's configuration as proxmox_vm_template and proxmox_vm read and write it: disks
// ("scsi0: local-lvm:base-100-disk-0,size=8G"), network devices ("net0:
// virtio=BC:24:11:0A:0B:0C,bridge=vmbr1,tag=20,firewall=1"), the cloud-init drive and settings,
// memory ("[current=]<MiB>"), tags, and the reads of the few configurations poolform manages (one
// GET per managed guest, a handful at once, never one per guest of the cluster).

import { PveTransportError, type Params, type PveClient } from './client/types.js';
import { formatProps, parseProps, sizeGiB, splitList } from './props.js';
import type { PveSession } from './session.js';
import { flag, readGuestConfig, type Rec } from './snapshot.js';

export interface DiskBlock {
  slot: string;
  storage: string;
  size_gb: number;
}

export interface NetBlock {
  slot: string;
  model: string;
  bridge: string;
  vlan_tag: number | null;
  firewall: boolean;
}

/** Cloud-init settings (the drive's storage is separate: moving the drive replaces a template). */
export interface CloudInitBlock {
  user: string | null;
  ssh_keys: string[];
  ip_config: string[];
  nameserver: string | null;
  searchdomain: string | null;
}

export const NIC_MODELS = ['e1000', 'e1000-82540em', 'e1000-82544gc', 'e1000-82545em', 'e1000e', 'i82551', 'i82557b', 'i82559er', 'ne2k_isa', 'ne2k_pci', 'pcnet', 'rtl8139', 'virtio', 'vmxnet3'];
const DISK_SLOT = /^(scsi|virtio|sata|ide)\d+$/;
/** Where poolform puts the cloud-init drive. */
export const CLOUDINIT_SLOT = 'ide2';

export function bySlot(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

function isCloudInit(v: Record<string, string>): boolean {
  return /cloudinit/.test(v.file ?? '');
}

/** The guest's disks (not CD-ROMs, not the cloud-init drive), in slot order. */
export function disksOf(cfg: Rec): DiskBlock[] {
  const out: DiskBlock[] = [];
  for (const [k, v] of Object.entries(cfg)) {
    if (!DISK_SLOT.test(k) || typeof v !== 'string') continue;
    const p = parseProps(v, 'file');
    if (p.media === 'cdrom' || isCloudInit(p) || !p.file || p.file === 'none') continue;
    const storage = p.file.includes(':') ? p.file.slice(0, p.file.indexOf(':')) : '';
    const size = sizeGiB(p.size) ?? Number(p.file.slice(p.file.indexOf(':') + 1));
    out.push({ slot: k, storage, size_gb: Number.isFinite(size) ? size : 0 });
  }
  return out.sort((a, b) => bySlot(a.slot, b.slot));
}

/** The guest's network devices, in slot order. */
export function netsOf(cfg: Rec): NetBlock[] {
  const out: NetBlock[] = [];
  for (const [k, v] of Object.entries(cfg)) {
    if (!/^net\d+$/.test(k) || typeof v !== 'string') continue;
    const p = parseProps(v, 'model');
    const model = p.model ?? NIC_MODELS.find((m) => m in p) ?? '';
    out.push({ slot: k, model, bridge: p.bridge ?? '', vlan_tag: p.tag ? Number(p.tag) : null, firewall: flag(p.firewall) });
  }
  return out.sort((a, b) => bySlot(a.slot, b.slot));
}

/** "virtio,bridge=vmbr1,tag=20,firewall=1" (the MAC left to the platform). */
export function netValue(n: NetBlock): string {
  return formatProps([['model', n.model || 'virtio'], ['bridge', n.bridge], ['tag', n.vlan_tag ?? undefined], ['firewall', n.firewall ? 1 : undefined]], 'model');
}

/** "local-lvm:8": a new disk of 8 GiB on local-lvm. */
export function diskValue(d: DiskBlock): string {
  return `${d.storage}:${d.size_gb}`;
}

/** SSH public keys travel URL-encoded (the API's `urlencoded` format), one per line. */
export function encodeKeys(keys: string[]): string {
  return encodeURIComponent(keys.join('\n'));
}

function decodeKeys(v: unknown): string[] {
  if (typeof v !== 'string' || v === '') return [];
  let text = v;
  try {
    text = decodeURIComponent(v);
  } catch {
    // not encoded after all
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The storage of the guest's cloud-init drive, or null without one. */
export function cloudInitDrive(cfg: Rec): string | null {
  for (const [k, v] of Object.entries(cfg)) {
    if (!DISK_SLOT.test(k) || typeof v !== 'string') continue;
    const p = parseProps(v, 'file');
    if (isCloudInit(p)) return p.file!.slice(0, p.file!.indexOf(':'));
  }
  return null;
}

/** The slot holding the cloud-init drive, if any. */
export function cloudInitSlot(cfg: Rec): string | undefined {
  return Object.entries(cfg).find(([k, v]) => DISK_SLOT.test(k) && typeof v === 'string' && isCloudInit(parseProps(v, 'file')))?.[0];
}

/** The cloud-init settings, or null when none is set. */
export function cloudInitOf(cfg: Rec): CloudInitBlock | null {
  const ips: string[] = [];
  for (let i = 0; i < 32 && typeof cfg[`ipconfig${i}`] === 'string'; i++) ips.push(cfg[`ipconfig${i}`] as string);
  const s = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  const ci: CloudInitBlock = { user: s(cfg.ciuser), ssh_keys: decodeKeys(cfg.sshkeys), ip_config: ips, nameserver: s(cfg.nameserver), searchdomain: s(cfg.searchdomain) };
  return ci.user || ci.ssh_keys.length || ci.ip_config.length || ci.nameserver || ci.searchdomain ? ci : null;
}

/** The cloud-init settings as config parameters (the drive itself is separate). */
export function cloudInitParams(ci: CloudInitBlock | null, password: string | undefined): Params {
  const p: Params = {};
  if (password) p.cipassword = password;
  if (!ci) return p;
  if (ci.user) p.ciuser = ci.user;
  if (ci.ssh_keys.length) p.sshkeys = encodeKeys(ci.ssh_keys);
  ci.ip_config.forEach((v, i) => (p[`ipconfig${i}`] = v));
  if (ci.nameserver) p.nameserver = ci.nameserver;
  if (ci.searchdomain) p.searchdomain = ci.searchdomain;
  return p;
}

/** Memory in MiB ("2048" or "current=2048"). */
export function memoryOf(cfg: Rec): number | null {
  if (cfg.memory === undefined || cfg.memory === null) return null;
  const v = typeof cfg.memory === 'number' ? String(cfg.memory) : String(cfg.memory);
  const n = Number(parseProps(v, 'current').current);
  return Number.isFinite(n) ? n : null;
}

export function tagsOf(cfg: Rec): string[] {
  return splitList(cfg.tags);
}

/** Whether the QEMU guest agent is enabled ("1" or "enabled=1,..."). */
export function agentOf(cfg: Rec): boolean {
  if (cfg.agent === undefined || cfg.agent === null) return false;
  return flag(parseProps(String(cfg.agent), 'enabled').enabled);
}

/** The client for calls about a node's guests: its own endpoint when configured, else the cluster's. */
export async function nodeClient(s: PveSession, node: string, signal?: AbortSignal): Promise<PveClient> {
  return s.nodeNames().includes(node) ? s.client(node, signal) : (await s.api(signal)).client;
}

/**
 * The configurations of the given guests (the ones poolform manages), a few requests at a time.
 * A guest that is gone is absent; one whose node did not answer maps to null (not observed now).
 */
export async function readConfigs(s: PveSession, guests: { vmid: number; node: string }[], signal?: AbortSignal): Promise<Map<number, Rec | null>> {
  const out = new Map<number, Rec | null>();
  let next = 0;
  const worker = async () => {
    while (next < guests.length) {
      const g = guests[next++]!;
      try {
        const cfg = await readGuestConfig(await nodeClient(s, g.node, signal), g.node, g.vmid, signal);
        if (cfg) out.set(g.vmid, cfg);
      } catch (e) {
        if (signal?.aborted || !(e instanceof PveTransportError)) throw e;
        out.set(g.vmid, null);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, guests.length) }, worker));
  return out;
}

export function qemuPath(node: string, vmid?: number, rest = ''): string {
  return `/nodes/${encodeURIComponent(node)}/qemu${vmid === undefined ? '' : `/${vmid}`}${rest}`;
}
