// Node networking as PVE's Network API manages it: edits go to /etc/network/interfaces.new (the
// staged config), GET shows the staged view plus a unified diff of what a reload would change, PUT
// applies it with one reload (a "srvreload" task), DELETE reverts. Bonds take the modes the
// reference allows per kind (Linux vs Open vSwitch); OVS types need openvswitch-switch.
// After a reload the node keeps answering only while its management address is still up inside a
// routed lab subnet; corosync links drop when their address goes away. The interfaces file is
// rendered and parsed here (ifupdown2 syntax) so a rollback over SSH (cp + ifreload -a) works
// on the same text a real node holds. Hand-written: no library speaks this format.

import { createTwoFilesPatch } from 'diff';
import type { Ctx, SimState } from './state.js';
import { LINUX_BOND_MODES, OVS_BOND_MODES } from './tables.js';
import { boolParam, fail, ifaceAddress, intParam, isRouted, LAB_GATEWAY, maskToPrefix, naturalCompare, need, paramFail, splitList, type IfaceCfg, type SimNode } from './world.js';

export const DEFAULT_NICS = ['eno1', 'eno2', 'eno3', 'eno4', 'eno5', 'eno6'];
const OVS_TYPES = new Set(['OVSBridge', 'OVSBond', 'OVSPort', 'OVSIntPort']);
const PORT_KEYS = ['bridge_ports', 'slaves', 'ovs_ports', 'ovs_bonds'] as const;

/**
 * A fresh node's network: NICs unconfigured except the management bridge vmbr0 on the first NIC
 * (the node's ip, gateway 10.20.0.1), the corosync link 0 address on the second NIC
 * (10.20.10.x) and the link 1 address on the third (10.20.20.x).
 */
export function defaultNetwork(index: number, ip: string, nics: string[]): Map<string, IfaceCfg> {
  const m = new Map<string, IfaceCfg>();
  m.set('lo', { type: 'loopback', autostart: 1 });
  nics.forEach((nic, i) => {
    const cfg: IfaceCfg = { type: 'eth' };
    if (i === 1) Object.assign(cfg, { cidr: `10.20.10.${10 + index}/24`, autostart: 1 });
    if (i === 2) Object.assign(cfg, { cidr: `10.20.20.${10 + index}/24`, autostart: 1 });
    m.set(nic, cfg);
  });
  m.set('vmbr0', { type: 'bridge', cidr: `${ip}/24`, gateway: LAB_GATEWAY, bridge_ports: nics[0] ?? '', bridge_stp: 'off', bridge_fd: 0, autostart: 1 });
  return m;
}

export function cloneConfig(m: Map<string, IfaceCfg>): Map<string, IfaceCfg> {
  return new Map([...m].map(([k, v]) => [k, { ...v }]));
}

const TYPE_ORDER: Record<string, number> = { loopback: 0, eth: 1, bond: 2, OVSBond: 2, vlan: 3, bridge: 4, OVSBridge: 4, OVSIntPort: 5, OVSPort: 5 };

function ordered(m: Map<string, IfaceCfg>): [string, IfaceCfg][] {
  return [...m].sort(([a, ca], [b, cb]) => (TYPE_ORDER[String(ca.type)] ?? 9) - (TYPE_ORDER[String(cb.type)] ?? 9) || naturalCompare(a, b));
}

// ---- /etc/network/interfaces ----

export function renderInterfaces(m: Map<string, IfaceCfg>): string {
  const blocks: string[] = [];
  for (const [name, c] of ordered(m)) {
    const lines: string[] = [];
    if (c.autostart === 1) lines.push(`auto ${name}`);
    if (c.type === 'loopback') {
      lines.push(`iface ${name} inet loopback`);
      blocks.push(lines.join('\n'));
      continue;
    }
    const addr = c.cidr ?? (c.address && c.netmask ? `${c.address}/${maskToPrefix(String(c.netmask)) ?? c.netmask}` : undefined);
    lines.push(`iface ${name} inet ${addr ? 'static' : 'manual'}`);
    const opt = (k: string, v: string | number | undefined) => {
      if (v !== undefined && v !== '') lines.push(`\t${k} ${v}`);
    };
    if (OVS_TYPES.has(String(c.type))) opt('ovs_type', c.type);
    opt('address', addr);
    opt('gateway', c.gateway);
    opt('mtu', c.mtu);
    if (c.type === 'bridge') {
      lines.push(`\tbridge-ports ${c.bridge_ports || 'none'}`);
      opt('bridge-stp', c.bridge_stp ?? 'off');
      opt('bridge-fd', c.bridge_fd ?? 0);
      if (c.bridge_vlan_aware === 1) {
        opt('bridge-vlan-aware', 'yes');
        opt('bridge-vids', c.bridge_vids ?? '2-4094');
      }
    }
    if (c.type === 'bond') {
      lines.push(`\tbond-slaves ${c.slaves || 'none'}`);
      opt('bond-miimon', c.bond_miimon ?? 100);
      opt('bond-mode', c.bond_mode ?? 'balance-rr');
      opt('bond-xmit-hash-policy', c.bond_xmit_hash_policy);
      opt('bond-primary', c['bond-primary']);
    }
    if (c.type === 'vlan') {
      opt('vlan-raw-device', c['vlan-raw-device']);
      opt('vlan-id', c['vlan-id']);
    }
    opt('ovs_bonds', c.ovs_bonds);
    opt('ovs_bridge', c.ovs_bridge);
    opt('ovs_ports', c.ovs_ports);
    opt('ovs_tag', c.ovs_tag);
    opt('ovs_options', c.ovs_options);
    if (c.address6) {
      lines.push(`\niface ${name} inet6 static`);
      opt('address', `${c.address6}/${c.netmask6 ?? 64}`);
      opt('gateway', c.gateway6);
    }
    if (typeof c.comments === 'string' && c.comments) for (const l of c.comments.split('\n')) lines.push(`#${l}`);
    blocks.push(lines.join('\n'));
  }
  return blocks.join('\n\n') + '\n\nsource /etc/network/interfaces.d/*\n';
}

/** Parses what renderInterfaces writes (and hand edits in the same syntax). */
export function parseInterfaces(text: string, nics: string[]): Map<string, IfaceCfg> {
  const m = new Map<string, IfaceCfg>();
  const auto = new Set<string>();
  let cur: IfaceCfg | undefined;
  let family = 'inet';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      if (cur) cur.comments = cur.comments ? `${cur.comments}\n${line.slice(1)}` : line.slice(1);
      continue;
    }
    const [kw, ...rest] = line.split(/\s+/);
    if (kw === 'auto' || kw === 'allow-hotplug') {
      for (const n of rest) auto.add(n);
      continue;
    }
    if (kw === 'source' || kw === 'source-directory') {
      cur = undefined;
      continue;
    }
    if (kw === 'iface') {
      const [name, fam, method] = rest;
      if (!name) continue;
      family = fam ?? 'inet';
      cur = m.get(name) ?? {};
      if (method === 'loopback') cur.type = 'loopback';
      m.set(name, cur);
      continue;
    }
    if (!cur || !kw) continue;
    const v = rest.join(' ');
    const k = kw.replace(/_/g, '-');
    if (k === 'address') {
      if (family === 'inet6') {
        const [a, p] = v.split('/');
        cur.address6 = a!;
        if (p) cur.netmask6 = Number(p);
      } else if (v.includes('/')) cur.cidr = v;
      else cur.address = v;
    } else if (k === 'netmask') {
      cur.netmask = v;
    } else if (k === 'gateway') {
      if (family === 'inet6') cur.gateway6 = v;
      else cur.gateway = v;
    } else if (k === 'mtu') cur.mtu = Number(v);
    else if (k === 'bridge-ports') cur.bridge_ports = v === 'none' ? '' : v;
    else if (k === 'bridge-stp') cur.bridge_stp = v;
    else if (k === 'bridge-fd') cur.bridge_fd = Number(v);
    else if (k === 'bridge-vlan-aware') cur.bridge_vlan_aware = /^(yes|1|on)$/.test(v) ? 1 : 0;
    else if (k === 'bridge-vids') cur.bridge_vids = v;
    else if (k === 'bond-slaves') cur.slaves = v === 'none' ? '' : v;
    else if (k === 'bond-miimon') cur.bond_miimon = Number(v);
    else if (k === 'bond-mode') cur.bond_mode = v;
    else if (k === 'bond-xmit-hash-policy') cur.bond_xmit_hash_policy = v;
    else if (k === 'bond-primary') cur['bond-primary'] = v;
    else if (k === 'vlan-raw-device') cur['vlan-raw-device'] = v;
    else if (k === 'vlan-id') cur['vlan-id'] = Number(v);
    else if (k === 'ovs-type') cur.type = v;
    else if (k === 'ovs-ports') cur.ovs_ports = v;
    else if (k === 'ovs-bonds') cur.ovs_bonds = v;
    else if (k === 'ovs-bridge') cur.ovs_bridge = v;
    else if (k === 'ovs-tag') cur.ovs_tag = Number(v);
    else if (k === 'ovs-options') cur.ovs_options = v;
  }
  for (const [name, c] of m) {
    if (auto.has(name)) c.autostart = 1;
    if (c.cidr === undefined && typeof c.address === 'string' && c.netmask !== undefined) {
      const p = maskToPrefix(String(c.netmask));
      if (p !== undefined) c.cidr = `${c.address}/${p}`;
      delete c.address;
      delete c.netmask;
    }
    if (c.type) continue;
    if (c.bridge_ports !== undefined) c.type = 'bridge';
    else if (c.slaves !== undefined) c.type = 'bond';
    else if (c['vlan-raw-device'] !== undefined || /^\S+\.\d+$/.test(name)) c.type = 'vlan';
    else if (nics.includes(name) || /^(eth|en)\w*$/.test(name)) c.type = 'eth';
    else c.type = 'unknown';
    if (c.type === 'bridge') {
      c.bridge_stp ??= 'off';
      c.bridge_fd ??= 0;
    }
  }
  return m;
}

// ---- observed state ----

/** Whether an address is up on the node, inside a routed subnet (so others can reach it). */
export function hasAddress(node: SimNode, addr: string): boolean {
  if (!node.powered || !isRouted(addr)) return false;
  for (const c of node.running.values()) if (ifaceAddress(c) === addr) return true;
  return false;
}

/** Every address configured on the node (the local-IP check of joins). */
export function localAddresses(node: SimNode): string[] {
  const out: string[] = [];
  for (const c of node.running.values()) {
    const a = ifaceAddress(c);
    if (a) out.push(a);
  }
  return out;
}

/** Reachability of the management address after the running config changed. */
export function recomputeManagement(node: SimNode, forcedLost = false): void {
  if (forcedLost) {
    node.mgmtLost = true;
    return;
  }
  const cur = node.running.get(node.mgmtIface);
  const addr = cur ? ifaceAddress(cur) : undefined;
  if (addr && isRouted(addr)) {
    node.ip = addr;
    node.mgmtLost = false;
    return;
  }
  for (const [name, c] of node.running) {
    if (ifaceAddress(c) === node.ip && isRouted(node.ip)) {
      node.mgmtIface = name;
      node.mgmtLost = false;
      return;
    }
  }
  node.mgmtLost = true;
}

/** Makes a config the running one (a reload): counts it, re-checks management reachability. */
export function applyRunning(st: SimState, node: SimNode, cfg: Map<string, IfaceCfg>, opts: { consumeFault: boolean }): void {
  node.running = cloneConfig(cfg);
  node.reloads++;
  const forced = opts.consumeFault ? st.faults.takeLostManagement(node.name) : false;
  recomputeManagement(node, forced);
}

/** /etc/network/interfaces as the node holds it (hand-written, or the applied config). */
export function currentFile(node: SimNode): string {
  return node.ifacesFile ?? renderInterfaces(node.running);
}

function currentConfig(node: SimNode): Map<string, IfaceCfg> {
  return node.ifacesFile !== undefined ? parseInterfaces(node.ifacesFile, node.nics) : node.running;
}

function stagedConfig(node: SimNode): Map<string, IfaceCfg> {
  node.staged ??= cloneConfig(currentConfig(node));
  return node.staged;
}

/** The unified diff GET /nodes/{node}/network reports as `changes` (empty when none). */
export function pendingDiff(node: SimNode): string {
  if (!node.staged) return '';
  const a = currentFile(node);
  const b = renderInterfaces(node.staged);
  if (a === b) return '';
  return createTwoFilesPatch('/etc/network/interfaces', '/etc/network/interfaces.new', a, b, '', '', { context: 3 }).replace(/^=+\n/, '');
}

function view(name: string, c: IfaceCfg, priority: number, running: Map<string, IfaceCfg>): Record<string, unknown> {
  const out: Record<string, unknown> = { iface: name, type: c.type, priority };
  for (const [k, v] of Object.entries(c)) if (k !== 'type' && k !== 'address' && k !== 'netmask') out[k] = v;
  const cidr = typeof c.cidr === 'string' ? c.cidr : undefined;
  if (cidr) {
    const [a, p] = cidr.split('/');
    out.address = a;
    out.netmask = p;
  }
  out.method = cidr ? 'static' : 'manual';
  out.method6 = c.address6 ? 'static' : 'manual';
  out.families = c.address6 ? (cidr ? ['inet', 'inet6'] : ['inet6']) : ['inet'];
  if (c.type === 'eth') out.exists = 1;
  if (running.has(name)) out.active = 1;
  return out;
}

export function listNetwork(ctx: Ctx): { data: unknown[]; changes: string } {
  const node = ctx.node;
  const cfg = node.staged ?? currentConfig(node);
  const type = ctx.params.type;
  const rows: unknown[] = [];
  ordered(cfg).forEach(([name, c], i) => {
    if (c.type === 'loopback') return;
    if (type) {
      const t = String(c.type);
      const bridge = t === 'bridge' || t === 'OVSBridge';
      const match = type === t || ((type === 'any_bridge' || type === 'any_local_bridge') && bridge) || type === 'include_sdn';
      if (!match) return;
    }
    rows.push(view(name, c, i + 1, node.running));
  });
  return { data: rows, changes: pendingDiff(node) };
}

export function getIface(ctx: Ctx): unknown {
  const node = ctx.node;
  const name = need(ctx.path, 'iface');
  const cfg = node.staged ?? currentConfig(node);
  const c = cfg.get(name);
  if (!c) paramFail({ iface: 'interface does not exist' });
  return view(name, c, ordered(cfg).findIndex(([n]) => n === name) + 1, node.running);
}

// ---- edits (staged) ----

const EDITABLE = [
  'type',
  'autostart',
  'bridge_vlan_aware',
  'bridge_ports',
  'bridge_vids',
  'slaves',
  'bond_mode',
  'bond_xmit_hash_policy',
  'bond-primary',
  'gateway',
  'gateway6',
  'mtu',
  'comments',
  'comments6',
  'ovs_ports',
  'ovs_bonds',
  'ovs_bridge',
  'ovs_options',
  'ovs_tag',
  'vlan-raw-device',
  'vlan-id',
  'address6',
  'netmask6',
  'cidr6',
];

function applyParams(node: SimNode, cfg: Map<string, IfaceCfg>, name: string, target: IfaceCfg, params: Record<string, string>): void {
  // cidr vs address/netmask, as the API maps them
  if (params.cidr) {
    if (params.address) paramFail({ address: 'address conflicts with cidr' });
    if (params.netmask) paramFail({ netmask: 'netmask conflicts with cidr' });
    const [a, p] = params.cidr.split('/');
    if (!a || p === undefined || maskToPrefix(p) === undefined) paramFail({ cidr: `value does not look like a valid CIDR network` });
    target.cidr = params.cidr;
  } else if (params.address) {
    if (!params.netmask) paramFail({ netmask: 'property is missing and it is not optional' });
    const p = maskToPrefix(params.netmask);
    if (p === undefined) paramFail({ netmask: `value does not look like a valid netmask` });
    target.cidr = `${params.address}/${p}`;
  } else if (params.netmask) paramFail({ address: 'property is missing and it is not optional' });
  if (params.cidr6) {
    const [a, p] = params.cidr6.split('/');
    target.address6 = a ?? '';
    target.netmask6 = Number(p ?? 64);
  }
  for (const k of EDITABLE) {
    const v = params[k];
    if (v === undefined || k === 'cidr6') continue;
    if (k === 'autostart' || k === 'bridge_vlan_aware') target[k] = boolParam(params, k)!;
    else if (k === 'mtu' || k === 'ovs_tag' || k === 'vlan-id' || k === 'netmask6') target[k] = intParam(params, k)!;
    else if (PORT_KEYS.includes(k as (typeof PORT_KEYS)[number])) target[k] = splitList(v).join(' ');
    else target[k] = v;
  }
  if (target.gateway && params.gateway) {
    for (const [other, c] of cfg) if (other !== name && c.gateway) paramFail({ gateway: `Default gateway already exists on interface '${other}'.` });
  }
  if (target.gateway6 && params.gateway6) {
    for (const [other, c] of cfg) if (other !== name && c.gateway6) paramFail({ gateway6: `Default ipv6 gateway already exists on interface '${other}'.` });
  }
  for (const key of PORT_KEYS) {
    if (params[key] === undefined) continue;
    for (const p of splitList(String(target[key] ?? ''))) {
      for (const [other, c] of cfg) {
        if (other === name) continue;
        for (const k2 of PORT_KEYS) if (splitList(String(c[k2] ?? '')).includes(p)) paramFail({ [key]: `${p} is already used on interface '${other}'.` });
      }
    }
  }
  const type = String(target.type);
  if (OVS_TYPES.has(type) && !node.ovs) fail(500, "Open VSwitch is not installed (need package 'openvswitch-switch')");
  if (type === 'bond') {
    target.bond_mode ??= 'balance-rr';
    target.bond_miimon ??= 100;
    const mode = String(target.bond_mode);
    if (!LINUX_BOND_MODES.includes(mode)) paramFail({ bond_mode: `bond mode '${mode}' is only available with Open vSwitch (type OVSBond); a Linux bond accepts ${LINUX_BOND_MODES.join(', ')}` });
    if (target.bond_xmit_hash_policy && !['balance-xor', '802.3ad'].includes(mode)) paramFail({ bond_xmit_hash_policy: `bond_xmit_hash_policy is only used by balance-xor and 802.3ad bonds` });
    if (target['bond-primary'] && mode !== 'active-backup') paramFail({ 'bond-primary': `bond-primary is only used by active-backup bonds` });
  }
  if (type === 'OVSBond') {
    const mode = String(target.bond_mode ?? 'active-backup');
    if (!OVS_BOND_MODES.includes(mode)) paramFail({ bond_mode: `bond mode '${mode}' is not supported by Open vSwitch bonds (${OVS_BOND_MODES.join(', ')})` });
  }
  if (type === 'bridge') {
    target.bridge_stp ??= 'off';
    target.bridge_fd ??= 0;
    target.bridge_ports ??= '';
  }
  if (type === 'vlan') {
    const dotted = /^(\S+)\.(\d+)$/.exec(name);
    if (dotted) {
      if (Number(dotted[2]) < 1 || Number(dotted[2]) > 4094) paramFail({ iface: `invalid vlan tag '${dotted[2]}'` });
    } else {
      if (!target['vlan-raw-device']) paramFail({ 'vlan-raw-device': `vlan-raw-device is required for vlan interface '${name}'` });
      const tag = /^vlan(\d+)$/.exec(name)?.[1];
      if (!tag && target['vlan-id'] === undefined) paramFail({ 'vlan-id': `vlan-id is required for vlan interface '${name}'` });
    }
  }
  if (type === 'OVSIntPort' || type === 'OVSBond' || type === 'OVSPort') {
    const br = target.ovs_bridge;
    if (type !== 'OVSPort' || br !== undefined) {
      if (!br) paramFail({ ovs_bridge: 'parameter is required' });
      const brCfg = cfg.get(String(br));
      if (!brCfg) paramFail({ ovs_bridge: `bridge '${br}' does not exist` });
      if (brCfg.type !== 'OVSBridge') paramFail({ ovs_bridge: `interface '${br}' is no OVS bridge` });
      const ports = splitList(String(brCfg.ovs_ports ?? ''));
      if (!ports.includes(name)) brCfg.ovs_ports = [...ports, name].join(' ');
    }
  }
}

export function createIface(ctx: Ctx): null {
  const name = need(ctx.params, 'iface');
  const type = need(ctx.params, 'type');
  const cfg = stagedConfig(ctx.node);
  if (cfg.has(name)) paramFail({ iface: 'interface already exists' });
  const work = cloneConfig(cfg);
  const target: IfaceCfg = { type };
  work.set(name, target);
  applyParams(ctx.node, work, name, target, ctx.params);
  ctx.node.staged = work;
  return null;
}

export function updateIface(ctx: Ctx): null {
  const name = need(ctx.path, 'iface');
  const cfg = stagedConfig(ctx.node);
  if (!cfg.has(name)) paramFail({ iface: 'interface does not exist' });
  const work = cloneConfig(cfg);
  const target = work.get(name)!;
  for (const k of splitList(ctx.params.delete)) {
    if (ctx.params[k] !== undefined) paramFail({ delete: `cannot set and delete property '${k}' at the same time!` });
    if (k === 'cidr' || k === 'address' || k === 'netmask') {
      delete target.cidr;
      delete target.address;
      delete target.netmask;
    } else if (k === 'cidr6' || k === 'address6') {
      delete target.address6;
      delete target.netmask6;
    } else delete target[k];
  }
  applyParams(ctx.node, work, name, target, ctx.params);
  ctx.node.staged = work;
  return null;
}

export function deleteIface(ctx: Ctx): null {
  const name = need(ctx.path, 'iface');
  const cfg = stagedConfig(ctx.node);
  if (!cfg.has(name)) paramFail({ iface: 'interface does not exist' });
  cfg.delete(name);
  for (const c of cfg.values()) {
    if (c.type === 'OVSBridge' && c.ovs_ports) c.ovs_ports = splitList(String(c.ovs_ports)).filter((p) => p !== name).join(' ');
  }
  return null;
}

export function revertNetwork(ctx: Ctx): null {
  delete ctx.node.staged;
  return null;
}

/** PUT /nodes/{node}/network: one reload applying interfaces.new (task "srvreload"). */
export function reloadNetwork(ctx: Ctx): string {
  const node = ctx.node;
  return ctx.st.startTask(node, 'srvreload', 'networking', ctx.req.user, () => {
    const next = node.staged ?? currentConfig(node);
    delete node.staged;
    delete node.ifacesFile;
    applyRunning(ctx.st, node, next, { consumeFault: true });
  });
}

/** `ifreload -a` in the node's shell: applies /etc/network/interfaces as written. */
export function ifreloadAll(st: SimState, node: SimNode): void {
  const next = currentConfig(node);
  delete node.ifacesFile;
  applyRunning(st, node, next, { consumeFault: false });
}

/** Writes /etc/network/interfaces or .new from text (cp in the shell). */
export function writeNetworkFile(node: SimNode, path: string, text: string): boolean {
  if (path === '/etc/network/interfaces') {
    node.ifacesFile = text;
    return true;
  }
  if (path === '/etc/network/interfaces.new') {
    node.staged = parseInterfaces(text, node.nics);
    return true;
  }
  return false;
}

/** Bridges (Linux or OVS) of the running config, for guest NICs. */
export function hasBridge(node: SimNode, name: string): boolean {
  const c = node.running.get(name);
  return !!c && (c.type === 'bridge' || c.type === 'OVSBridge');
}
