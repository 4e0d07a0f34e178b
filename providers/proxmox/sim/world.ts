// The simulated Proxmox lab's state: the nodes (identity, power, network, files) and the
// /etc/pve each node sees. A standalone node has its own /etc/pve ("domain"); a cluster shares one
// (storage.cfg, datacenter.cfg, HA, tokens, guests, corosync.conf), which is what makes "any node
// answers cluster paths" and "a joining node's storage.cfg is replaced" fall out naturally.
// Also the small helpers every rule module needs (failures, parameters, addresses).

import { createHash } from 'node:crypto';
import { PveFailure } from './backend.js';

/** One interface as the API names its fields (bridge_ports, slaves, cidr, ...). */
export type IfaceCfg = Record<string, string | number>;

/** A node in corosync.conf's nodelist. */
export interface CoroNode {
  name: string;
  nodeid: number;
  votes: number;
  /** link number ("0", "1") -> address */
  links: Record<string, string>;
}

/** corosync.conf, as far as the lab needs it. */
export interface ClusterConf {
  name: string;
  configVersion: number;
  nodes: Map<string, CoroNode>;
  /** link number -> knet priority (the totem interface sections) */
  links: Record<string, number>;
  /** `pvecm expected <n>` until the nodelist changes */
  expectedOverride?: number;
  /** bumps on every membership change (the "Ring ID" of pvecm status) */
  ringSeq: number;
}

export type Section = Record<string, string>;

export interface Guest {
  vmid: number;
  node: string;
  type: 'qemu' | 'lxc';
  status: 'running' | 'stopped';
  /** The config file's keys and values (values as the file holds them). */
  config: Record<string, string>;
  /** "create", "clone", ... while a task builds it (shown as `lock`). */
  lock?: string;
  startedAt?: number;
}

/** What /etc/pve holds: one per standalone node, one per cluster. */
export interface Domain {
  id: string;
  /** Signs tickets (cluster-wide once joined). */
  authKey: string;
  /** token.cfg: "user@realm!id" -> secret */
  tokens: Record<string, string>;
  cluster?: ClusterConf;
  /** storage.cfg in file order */
  storage: Map<string, Section>;
  /** /etc/pve/priv/storage/<id>.pw and friends (never shown) */
  storageSecrets: Record<string, Record<string, string>>;
  /** datacenter.cfg: key -> value as written */
  options: Record<string, string>;
  haResources: Map<string, Section>;
  haGroups: Map<string, Section>;
  haRules: Map<string, Section>;
  /** PVE 9.1 arm-ha/disarm-ha: "armed" (default) or "disarmed" with its resource mode. */
  haArmed?: { state: 'armed' | 'disarmed'; mode?: string };
  guests: Map<number, Guest>;
}

export interface SimNode {
  name: string;
  ip: string;
  /** 1-based position in the lab (addresses 10.20.x.(10+index)). */
  index: number;
  version: string;
  nics: string[];
  ovs: boolean;
  clockSkewMs: number;
  powered: boolean;
  /** Deleted from its cluster while powered off: comes back rogue. */
  removed: boolean;
  /** Deleted from its cluster while running (or came back after): answers, but outside the cluster. */
  rogue: boolean;
  /** The interface that carries the management address. */
  mgmtIface: string;
  /** The management address is no longer up after a reload: the API does not answer. */
  mgmtLost: boolean;
  /** Running network config (what ifreload applied), in file order. */
  running: Map<string, IfaceCfg>;
  /** /etc/network/interfaces.new when present. */
  staged?: Map<string, IfaceCfg>;
  /** /etc/network/interfaces when written by hand (cp) and not applied yet. */
  ifacesFile?: string;
  /** Other files written over SSH. */
  files: Map<string, string>;
  reloads: number;
  bootTime: number;
  domain: Domain;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** The subnets the lab "switch" routes. An address outside them is unreachable. */
export const ROUTED_SUBNETS = ['10.20.0.0/24', '10.20.10.0/24', '10.20.20.0/24', '10.20.30.0/24', '10.20.40.0/24'];
export const LAB_GATEWAY = '10.20.0.1';

export function fail(status: number, message: string, errors?: Record<string, string>): never {
  throw new PveFailure(status, message, errors);
}

/** 400 "Parameter verification failed." with one message per parameter. */
export function paramFail(errors: Record<string, string>): never {
  throw new PveFailure(400, 'Parameter verification failed.', errors);
}

export function need(params: Record<string, string>, name: string): string {
  const v = params[name];
  if (v === undefined || v === '') paramFail({ [name]: 'property is missing and it is not optional' });
  return v;
}

export function intParam(params: Record<string, string>, name: string, required: true): number;
export function intParam(params: Record<string, string>, name: string, required?: false): number | undefined;
export function intParam(params: Record<string, string>, name: string, required = false): number | undefined {
  const v = required ? need(params, name) : params[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) paramFail({ [name]: `type check ('integer') failed - got '${v}'` });
  return Number(v);
}

/** "1"/"true"/"on"/"yes" style booleans as the API parses them, to 0/1. */
export function boolParam(params: Record<string, string>, name: string): 0 | 1 | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|on|yes)$/i.test(v)) return 1;
  if (/^(0|false|off|no)$/i.test(v)) return 0;
  paramFail({ [name]: `type check ('boolean') failed - got '${v}'` });
}

export function splitList(v: string | undefined): string[] {
  return (v ?? '')
    .split(/[\s,;\0]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Parses a property string "a,key=v,k2=v2" (the first bare value goes to `defaultKey`). */
export function parsePropertyString(text: string, defaultKey?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (defaultKey && out[defaultKey] === undefined) out[defaultKey] = part;
      else out[part] = '';
    } else out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

export function printPropertyString(obj: Record<string, string | number | undefined>, defaultKey?: string): string {
  const parts: string[] = [];
  if (defaultKey && obj[defaultKey] !== undefined) parts.push(String(obj[defaultKey]));
  for (const [k, v] of Object.entries(obj)) if (k !== defaultKey && v !== undefined) parts.push(`${k}=${v}`);
  return parts.join(',');
}

// ---- IPv4 ----

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const a = ipToInt(ip);
  const n = ipToInt(net ?? '');
  const b = Number(bits);
  if (a === undefined || n === undefined || !(b >= 0 && b <= 32)) return false;
  const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

export function isRouted(ip: string): boolean {
  return ROUTED_SUBNETS.some((s) => inCidr(ip, s));
}

/** "255.255.255.0" or "24" -> 24 */
export function maskToPrefix(mask: string): number | undefined {
  if (/^\d{1,2}$/.test(mask)) return Number(mask) <= 32 ? Number(mask) : undefined;
  const n = ipToInt(mask);
  if (n === undefined) return undefined;
  let bits = 0;
  let seenZero = false;
  for (let i = 31; i >= 0; i--) {
    if ((n >>> i) & 1) {
      if (seenZero) return undefined;
      bits++;
    } else seenZero = true;
  }
  return bits;
}

/** The IPv4 address of an interface config, from cidr or address. */
export function ifaceAddress(cfg: IfaceCfg): string | undefined {
  const cidr = cfg.cidr;
  if (typeof cidr === 'string' && cidr.includes('/')) return cidr.split('/')[0];
  return typeof cfg.address === 'string' ? cfg.address : undefined;
}

/** Natural order for names like eno2 < eno10, vmbr0 < vmbr1. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
