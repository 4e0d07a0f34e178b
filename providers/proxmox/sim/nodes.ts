// Node-level and whole-cluster observation: /nodes, /nodes/{node}/status, /version, task status,
// and /cluster/resources (every node, guest and storage of the cluster in one list, built in one
// pass over indexes so 16 nodes x 1,000 guests stays cheap).

import { quorumView } from './corosync.js';
import { guestResource } from './qemu.js';
import type { Ctx, SimState } from './state.js';
import { knownNodes } from './state.js';
import { storageResources } from './storage.js';
import { parseUpid } from '../upid.js';
import { fail, GiB, need, paramFail, sha1, type SimNode } from './world.js';

export const kernelOf = (version: string) => (version.startsWith('8.') ? '6.8.12-9-pve' : '6.14.8-2-pve');
export const repoidOf = (version: string) => sha1(`pve-manager/${version}`).slice(0, 16);
export const pveversionLine = (version: string) => `pve-manager/${version}/${repoidOf(version)} (running kernel: ${kernelOf(version)})`;

const MAXCPU = 32;
const MAXMEM = 256 * GiB;
const ROOTFS = 96 * GiB;

const uptimeOf = (n: SimNode) => Math.max(1, Math.floor((Date.now() - n.bootTime) / 1000));

export function listNodes(ctx: Ctx): unknown[] {
  const { st, local } = ctx;
  const view = quorumView(st, local);
  return knownNodes(st, local).map((n) => {
    const online = view.memberNames.has(n.name) && n.powered;
    return {
      node: n.name,
      id: `node/${n.name}`,
      type: 'node',
      status: online ? 'online' : 'offline',
      level: '',
      ...(st.fingerprints[n.name] ? { ssl_fingerprint: st.fingerprints[n.name] } : {}),
      ...(online ? { cpu: 0.03, maxcpu: MAXCPU, mem: Math.floor(MAXMEM * 0.2), maxmem: MAXMEM, disk: Math.floor(ROOTFS * 0.1), maxdisk: ROOTFS, uptime: uptimeOf(n) } : {}),
    };
  });
}

export function nodeStatus(ctx: Ctx): unknown {
  const n = ctx.node;
  const kernel = kernelOf(n.version);
  return {
    uptime: uptimeOf(n),
    cpu: 0.03,
    cpuinfo: { cores: MAXCPU / 2, cpus: MAXCPU, sockets: 2, model: 'Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz', mhz: '2400.000', hvm: '1', flags: 'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov' },
    loadavg: ['0.12', '0.09', '0.05'],
    memory: { total: MAXMEM, used: Math.floor(MAXMEM * 0.2), free: Math.floor(MAXMEM * 0.8), available: Math.floor(MAXMEM * 0.78) },
    swap: { total: 8 * GiB, used: 0, free: 8 * GiB },
    rootfs: { total: ROOTFS, used: Math.floor(ROOTFS * 0.1), free: Math.floor(ROOTFS * 0.9), avail: Math.floor(ROOTFS * 0.85) },
    ksm: { shared: 0 },
    idle: 0,
    wait: 0,
    pveversion: `pve-manager/${n.version}/${repoidOf(n.version)}`,
    kversion: `Linux ${kernel} #1 SMP PREEMPT_DYNAMIC PMX ${kernel} (2025-09-30T10:00Z)`,
    'current-kernel': { sysname: 'Linux', release: kernel, version: `#1 SMP PREEMPT_DYNAMIC PMX ${kernel} (2025-09-30T10:00Z)`, machine: 'x86_64' },
    'boot-info': { mode: 'efi', secureboot: 0 },
    time: Math.floor((Date.now() + n.clockSkewMs) / 1000),
  };
}

/** POST /nodes/{node}/status: reboot or shutdown the node. */
export function nodeCommand(ctx: Ctx, power: { off(node: string): void; on(node: string): void }): null {
  const cmd = need(ctx.params, 'command');
  if (cmd !== 'reboot' && cmd !== 'shutdown') paramFail({ command: `value '${cmd}' does not have a value in the enumeration 'reboot, shutdown'` });
  const name = ctx.node.name;
  // after the answer went out, as on a real node
  setTimeout(() => {
    power.off(name);
    if (cmd === 'reboot') setTimeout(() => power.on(name), Math.max(10, ctx.st.faults.taskLatency('qmstart')));
  }, 5);
  return null;
}

export function version(ctx: Ctx): unknown {
  const v = ctx.local.version;
  return { version: v, release: v.split('.').slice(0, 2).join('.'), repoid: repoidOf(v), console: 'html5' };
}

export function taskStatus(ctx: Ctx): unknown {
  const upid = need(ctx.path, 'upid');
  const parsed = parseUpid(upid);
  if (!parsed) paramFail({ upid: 'unable to parse worker upid' });
  if (parsed.node !== ctx.node.name) fail(500, `no such task ${upid} on node '${ctx.node.name}'`);
  const t = ctx.st.tasks.get(upid);
  if (!t) fail(500, `no such task`);
  return { upid: t.upid, node: t.node, pid: t.pid, pstart: t.pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user, status: t.status, ...(t.status === 'stopped' ? { exitstatus: t.exitstatus } : {}) };
}

/** GET /cluster/resources: nodes, guests and storage of the cluster (or the standalone node). */
export function clusterResources(ctx: Ctx): unknown[] {
  const { st, local } = ctx;
  const type = ctx.params.type;
  const view = quorumView(st, local);
  const online = new Set<string>();
  for (const n of knownNodes(st, local)) if (view.memberNames.has(n.name) && n.powered) online.add(n.name);
  const rows: unknown[] = [];
  if (!type || type === 'node') {
    for (const n of knownNodes(st, local)) {
      const up = online.has(n.name);
      rows.push({ id: `node/${n.name}`, type: 'node', node: n.name, status: up ? 'online' : 'offline', level: '', 'cgroup-mode': 2, maxcpu: MAXCPU, maxmem: MAXMEM, maxdisk: ROOTFS, ...(up ? { cpu: 0.03, mem: Math.floor(MAXMEM * 0.2), disk: Math.floor(ROOTFS * 0.1), uptime: uptimeOf(n) } : { cpu: 0, mem: 0, disk: 0, uptime: 0 }) });
    }
  }
  if (!type || type === 'vm') {
    const d = local.domain;
    for (const g of d.guests.values()) {
      const ha = d.haResources.get(`${g.type === 'qemu' ? 'vm' : 'ct'}:${g.vmid}`);
      rows.push(guestResource(g, online.has(g.node), ha?.state));
    }
  }
  if (!type || type === 'storage') rows.push(...storageResources(st, local, online));
  return rows;
}

/** Whether the wire should answer for this node at all. */
export function apiAnswers(st: SimState, n: SimNode): boolean {
  return n.powered && !n.mgmtLost && !st.faults.isApiDown(n.name);
}
