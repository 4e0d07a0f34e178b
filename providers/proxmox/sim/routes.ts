// The API's path table: which handler answers which method and path (placeholders in braces),
// whether the path is served by the node it names (proxyto: any clustered node forwards it), and
// which paths a PVE 8 node does not have. Unknown paths and methods answer 501 like pveproxy.

import { PveFailure, type ApiRequest, type ApiResponse } from './backend.js';
import { clusterStatus } from './corosync.js';
import * as ha from './ha.js';
import * as join from './join.js';
import { major } from './join.js';
import * as net from './network.js';
import * as nodes from './nodes.js';
import * as opts from './options.js';
import * as qemu from './qemu.js';
import type { Ctx, SimState } from './state.js';
import * as storage from './storage.js';
import { fail, need, type SimNode } from './world.js';

/** A result with extra envelope keys (GET /nodes/{node}/network's `changes`). */
export class WithExtra {
  constructor(
    readonly data: unknown,
    readonly extra: Record<string, unknown>,
  ) {}
}

type Handler = (ctx: Ctx) => unknown;

interface Route {
  method: ApiRequest['method'];
  pattern: string[];
  handler: Handler;
  /** Only on nodes of this major version or later (older ones answer 501). */
  sinceMajor?: number;
}

export interface PowerControl {
  off(node: string): void;
  on(node: string): void;
}

function table(power: PowerControl): Route[] {
  const r = (method: Route['method'], path: string, handler: Handler, sinceMajor?: number): Route => ({ method, pattern: path.split('/').filter(Boolean), handler, ...(sinceMajor ? { sinceMajor } : {}) });
  const haResourceMove = (ctx: Ctx) => {
    const sid = ha.normalizeSid(need(ctx.path, 'sid'));
    const target = need(ctx.params, 'node');
    const d = ctx.local.domain;
    if (!d.haResources.has(sid)) fail(500, `no such resource '${sid}'`);
    const g = d.guests.get(Number(sid.split(':')[1]));
    if (!g) fail(500, `unable to find VM ${sid.split(':')[1]}`);
    if (!d.cluster?.nodes.has(target)) fail(500, `no such cluster node '${target}'`);
    g.node = target;
    return { sid, 'requested-node': target };
  };
  return [
    r('GET', '/version', nodes.version),
    r('GET', '/nodes', nodes.listNodes),
    r('GET', '/cluster/status', clusterStatus),
    r('GET', '/cluster/resources', nodes.clusterResources),
    r('GET', '/cluster/nextid', qemu.nextid),
    r('GET', '/cluster/options', opts.getOptions),
    r('PUT', '/cluster/options', opts.putOptions),
    r('GET', '/cluster/config', join.configIndex),
    r('POST', '/cluster/config', join.createCluster),
    r('GET', '/cluster/config/apiversion', () => 1),
    r('GET', '/cluster/config/join', join.joinInfo),
    r('POST', '/cluster/config/join', join.joinViaApi),
    r('GET', '/cluster/config/nodes', join.configNodes),
    r('POST', '/cluster/config/nodes/{node}', join.addNode),
    r('DELETE', '/cluster/config/nodes/{node}', join.deleteNodeApi),
    r('GET', '/cluster/config/qdevice', () => ({})),
    r('GET', '/cluster/config/totem', join.totem),
    r('GET', '/cluster/ha', ha.haIndex),
    r('GET', '/cluster/ha/groups', ha.listGroups),
    r('POST', '/cluster/ha/groups', ha.createGroup),
    r('GET', '/cluster/ha/groups/{group}', ha.getGroup),
    r('PUT', '/cluster/ha/groups/{group}', ha.updateGroup),
    r('DELETE', '/cluster/ha/groups/{group}', ha.deleteGroup),
    r('GET', '/cluster/ha/resources', ha.listResources),
    r('POST', '/cluster/ha/resources', ha.createResource),
    r('GET', '/cluster/ha/resources/{sid}', ha.getResource),
    r('PUT', '/cluster/ha/resources/{sid}', ha.updateResource),
    r('DELETE', '/cluster/ha/resources/{sid}', ha.deleteResource),
    r('POST', '/cluster/ha/resources/{sid}/migrate', haResourceMove),
    r('POST', '/cluster/ha/resources/{sid}/relocate', haResourceMove),
    r('GET', '/cluster/ha/rules', ha.listRules, 9),
    r('POST', '/cluster/ha/rules', ha.createRule, 9),
    r('GET', '/cluster/ha/rules/{rule}', ha.getRule, 9),
    r('PUT', '/cluster/ha/rules/{rule}', ha.updateRule, 9),
    r('DELETE', '/cluster/ha/rules/{rule}', ha.deleteRule, 9),
    r('GET', '/cluster/ha/status', ha.haStatusIndex),
    r('GET', '/cluster/ha/status/current', ha.haStatusCurrent),
    r('GET', '/cluster/ha/status/manager_status', ha.haManagerStatus),
    r('POST', '/cluster/ha/status/arm-ha', ha.armHa, 9),
    r('POST', '/cluster/ha/status/disarm-ha', ha.disarmHa, 9),
    r('GET', '/storage', storage.listStorage),
    r('POST', '/storage', storage.createStorage),
    r('GET', '/storage/{storage}', storage.getStorage),
    r('PUT', '/storage/{storage}', storage.updateStorage),
    r('DELETE', '/storage/{storage}', storage.deleteStorage),
    r('GET', '/nodes/{node}/status', nodes.nodeStatus),
    r('POST', '/nodes/{node}/status', (ctx) => nodes.nodeCommand(ctx, power)),
    r('GET', '/nodes/{node}/network', (ctx) => {
      const { data, changes } = net.listNetwork(ctx);
      return new WithExtra(data, changes ? { changes } : {});
    }),
    r('POST', '/nodes/{node}/network', net.createIface),
    r('PUT', '/nodes/{node}/network', net.reloadNetwork),
    r('DELETE', '/nodes/{node}/network', net.revertNetwork),
    r('GET', '/nodes/{node}/network/{iface}', net.getIface),
    r('PUT', '/nodes/{node}/network/{iface}', net.updateIface),
    r('DELETE', '/nodes/{node}/network/{iface}', net.deleteIface),
    r('GET', '/nodes/{node}/storage', storage.nodeStorage),
    r('GET', '/nodes/{node}/storage/{storage}/status', storage.nodeStorageStatus),
    r('GET', '/nodes/{node}/tasks/{upid}/status', nodes.taskStatus),
    r('GET', '/nodes/{node}/qemu', qemu.listGuests),
    r('POST', '/nodes/{node}/qemu', qemu.createGuest),
    r('GET', '/nodes/{node}/qemu/{vmid}', qemu.guestIndex),
    r('DELETE', '/nodes/{node}/qemu/{vmid}', qemu.destroyGuest),
    r('GET', '/nodes/{node}/qemu/{vmid}/config', qemu.getConfig),
    r('POST', '/nodes/{node}/qemu/{vmid}/config', qemu.postConfig),
    r('PUT', '/nodes/{node}/qemu/{vmid}/config', qemu.putConfig),
    r('GET', '/nodes/{node}/qemu/{vmid}/pending', qemu.getPending),
    r('POST', '/nodes/{node}/qemu/{vmid}/clone', qemu.cloneGuest),
    r('POST', '/nodes/{node}/qemu/{vmid}/template', qemu.makeTemplate),
    r('PUT', '/nodes/{node}/qemu/{vmid}/resize', qemu.resize),
    r('GET', '/nodes/{node}/qemu/{vmid}/migrate', qemu.migratePrecondition),
    r('POST', '/nodes/{node}/qemu/{vmid}/migrate', qemu.migrate),
    r('GET', '/nodes/{node}/qemu/{vmid}/status', qemu.statusIndex),
    r('GET', '/nodes/{node}/qemu/{vmid}/status/current', qemu.currentStatus),
    ...(['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'] as const).map((a) => r('POST', `/nodes/{node}/qemu/{vmid}/status/${a}`, qemu.power(a))),
  ];
}

function match(pattern: string[], segs: string[]): Record<string, string> | undefined {
  if (pattern.length !== segs.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segs[i]!;
    if (p.startsWith('{')) {
      let v = s;
      try {
        v = decodeURIComponent(s);
      } catch {
        // not encoded
      }
      out[p.slice(1, -1)] = v;
    } else if (p !== s) return undefined;
  }
  return out;
}

export class Router {
  private readonly routes: Route[];

  constructor(
    private readonly st: SimState,
    power: PowerControl,
  ) {
    this.routes = table(power);
  }

  async dispatch(req: ApiRequest, local: SimNode): Promise<ApiResponse> {
    const segs = req.path.split('?')[0]!.split('/').filter(Boolean);
    let found: { route: Route; path: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const path = match(route.pattern, segs);
      if (path) {
        found = { route, path };
        break;
      }
    }
    const notImplemented: ApiResponse = { status: 501, message: `Method '${req.method} ${req.path}' not implemented` };
    if (!found || (found.route.sinceMajor && major(local.version) < found.route.sinceMajor)) return notImplemented;
    try {
      const node = found.path.node !== undefined && found.route.pattern[0] === 'nodes' ? this.serving(local, found.path.node) : local;
      if ('status' in node) return node;
      const ctx: Ctx = { st: this.st, req, local, node, params: { ...req.params, ...found.path }, path: found.path };
      const out = await found.route.handler(ctx);
      if (out instanceof WithExtra) return { status: 200, data: out.data, extra: out.extra };
      return { status: 200, data: out ?? null };
    } catch (e) {
      if (e instanceof PveFailure) return { status: e.status, message: e.message, ...(e.errors ? { errors: e.errors } : {}) };
      return { status: 500, message: e instanceof Error ? e.message : String(e) };
    }
  }

  /** proxyto: the node named in the path, reached from the receiving node. */
  private serving(local: SimNode, name: string): SimNode | ApiResponse {
    if (name === local.name || name === 'localhost') return local;
    const c = local.domain.cluster;
    const target = this.st.nodes.get(name);
    if (!c || !c.nodes.has(name) || !target) fail(500, `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`);
    if (!target.powered) return { status: 595, message: `No route to host` };
    if (target.mgmtLost || this.st.faults.isApiDown(name)) return { status: 595, message: `Connection refused` };
    return target;
  }
}
