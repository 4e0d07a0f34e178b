// The simulated XAPI: the lab's hosts and pools behind the XapiBackend seam the wire (server.ts,
// ssh-agent.ts) serves. A call goes through what real xapi does before any rule runs: method
// lookup (explicit messages from the data model, implicit getters/setters generated from it),
// parameter count, session, argument types and handles; then the rule modules (pool-rules,
// network, storage, ha, vm, host), synchronously or as a task with the operation's latency.
// Also: statistics for the bench, saving/loading the lab, and populating it for load tests.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { asFailure, type CallMeta, type ShellResult, type SimHostInfo, type XapiBackend } from './backend.js';
import { Db, newRef, type SessionInfo } from './db.js';
import { eventHandlers } from './events.js';
import { haHandlers } from './ha.js';
import type { Ctx, Handler, Handlers } from './handler.js';
import { hostHandlers } from './host.js';
import { fieldMessage, implicitMessage } from './implicit.js';
import { freshHostDb, managementIp } from './lab-world.js';
import { type ClassMeta, classMeta, enumValues, type MessageMeta, NULL_REF, type XType } from './model.js';
import { makeVlan, networkHandlers, poolVlanTargets } from './network.js';
import { joinNow, poolHandlers } from './pool-rules.js';
import { runShell } from './shell.js';
import { createVbd, makeSr, makeVdi, storageHandlers } from './storage.js';
import { encodeValue } from './rpc-xml.js';
import { createTask, DEFAULT_LATENCIES, finishTask } from './tasks.js';
import { createVif, vmHandlers } from './vm.js';
import type { FaultsState } from './faults.js';
import { fail, type HostSpec, LAB_CPU_FEATURES, LAB_CPU_VENDOR, LAB_PASSWORD, LAB_VERSION, type SimHost, type StorageWorld, World } from './world.js';

export { DEFAULT_LATENCIES } from './tasks.js';
export { CLOCK_SKEW_LIMIT_MS, DEFAULT_STORAGE, LAB_PASSWORD } from './world.js';
export type { HostSpec, StorageWorld } from './world.js';
export type { Faults } from './faults.js';

export interface XapiSimOptions {
  hosts: HostSpec[];
  /** Root password of hosts whose spec gives none (default "poolform-lab"). */
  password?: string;
  /** Multiplies every latency (0 = instant, for tests). Default 1. */
  latencyScale?: number;
  storage?: Partial<StorageWorld>;
}

export interface SimStats {
  /** Calls per method as received ("Async.pool.join", "VM.get_all_records"), logins included. */
  calls: Record<string, number>;
  /** Per X-Poolform-Step: the time (ms, after scaling) the latencies of that step's operations covered; parallel ones count once. */
  stepLatencyMs: Record<string, number>;
}

export interface PopulateOptions {
  /** Join every host into the first host's pool first (default true). */
  pool?: boolean;
  /** Shared NFS SRs to create (on the lab's /export/xen). */
  srs?: number;
  /** VLAN networks to create pool-wide (tags 100, 101, ... on eth1). */
  networks?: number;
  /** Halted VMs cloned from "Debian Bookworm 12", each with a disk and a NIC. */
  vms?: number;
}

const SAVE_VERSION = 1;

/** The time covered by a set of intervals: operations a step ran in parallel count once. */
function coveredMs(spans: [number, number][]): number {
  const sorted = [...spans].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of sorted) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

// Params XAPI added to messages later, with defaults, so older-style calls still count right.
const TRAILING_DEFAULTS: Record<string, unknown[]> = {
  'host.disable': [true],
  'host.evacuate': [NULL_REF, 0],
};

const VM_OPERATIONS = new Set(enumValues('vm_operations'));

const taskHandlers: Handlers = {
  // a pending task's work() sees the "cancelling" status and rejects with TASK_CANCELLED
  'task.cancel': (ctx: Ctx, task: string) => {
    const t = ctx.db.get('task', task);
    if (t.status !== 'pending') fail('OPERATION_NOT_ALLOWED', `task ${task} is ${String(t.status)}`);
    ctx.db.update('task', task, { status: 'cancelling', allowed_operations: [] });
  },
  'task.destroy': (ctx: Ctx, task: string) => void ctx.db.delete('task', task),
  'task.create': (ctx: Ctx, label: string, description: string) => {
    const t = createTask(ctx.db, label, ctx.host.ref);
    ctx.db.update('task', t, { name_label: label, name_description: description });
    return t;
  },
};

function sessionRecord(s: SessionInfo): Record<string, unknown> {
  return { uuid: s.uuid, this_host: s.host, this_user: NULL_REF, last_active: '', pool: false, other_config: {}, is_local_superuser: true, subject: NULL_REF, validation_time: '19700101T00:00:00Z', auth_user_sid: '', auth_user_name: s.user, rbac_permissions: [], tasks: [], parent: NULL_REF, originator: s.originator, client_certificate: false };
}

const sessionHandlers: Handlers = {
  'session.logout': (ctx: Ctx) => void ctx.db.sessions.delete(ctx.session.ref),
  'session.local_logout': (ctx: Ctx) => void ctx.db.sessions.delete(ctx.session.ref),
  'session.get_record': (_ctx: Ctx, s: SessionInfo) => sessionRecord(s),
  'session.get_uuid': (_ctx: Ctx, s: SessionInfo) => s.uuid,
  'session.get_this_host': (_ctx: Ctx, s: SessionInfo) => s.host,
  'session.get_originator': (_ctx: Ctx, s: SessionInfo) => s.originator,
  'session.get_is_local_superuser': () => true,
  'session.get_all_subject_identifiers': () => [],
};

export class XapiSim extends World implements XapiBackend {
  private readonly handlers: Handlers;
  private readonly callCounts = new Map<string, number>();
  /** Per step, the [start, end] times of the latencies its operations waited (overlaps count once). */
  private readonly stepLatency = new Map<string, [number, number][]>();

  constructor(opts: XapiSimOptions) {
    super(opts.storage);
    this.faults.latencyScale = opts.latencyScale ?? 1;
    this.handlers = { ...networkHandlers, ...storageHandlers, ...haHandlers, ...vmHandlers, ...hostHandlers, ...poolHandlers, ...eventHandlers, ...sessionHandlers, ...taskHandlers };
    opts.hosts.forEach((spec, i) => this.addHost(spec, i + 1, opts.password ?? LAB_PASSWORD));
  }

  private addHost(spec: HostSpec, index: number, password: string): SimHost {
    const [maj, min] = (spec.apiVersion ?? '2.21').split('.').map(Number);
    const h: SimHost = {
      uuid: randomUUID(),
      ref: '',
      name: spec.name,
      index,
      address: spec.address,
      password: spec.password ?? password,
      version: spec.version ?? LAB_VERSION,
      updates: spec.updates ?? [],
      apiMajor: maj ?? 2,
      apiMinor: min ?? 21,
      cpuVendor: spec.cpuVendor ?? LAB_CPU_VENDOR,
      cpuFeatures: spec.cpuFeatures ?? LAB_CPU_FEATURES,
      managementVlan: spec.managementVlan ?? -1,
      managementMode: spec.managementMode ?? 'Static',
      memoryBytes: (spec.memoryGiB ?? 256) * 1024 ** 3,
      nics: spec.nics ?? 4,
      db: undefined as unknown as Db,
      down: false,
      rebooting: false,
      lostManagement: false,
      clockSkewMs: spec.clockSkewMs ?? 0,
      schedGran: 'cpu',
    };
    this.simHosts.set(h.uuid, h);
    freshHostDb(this, h);
    return h;
  }

  // ---- XapiBackend ----

  hosts(): SimHostInfo[] {
    return [...this.simHosts.values()].map((h) => ({ uuid: h.uuid, name: h.name, address: h.address }));
  }

  reachable(hostUuid: string): boolean {
    const h = this.simHosts.get(hostUuid);
    return !!h && this.isLive(h);
  }

  async shell(hostUuid: string, command: string): Promise<ShellResult> {
    const h = this.simHosts.get(hostUuid);
    if (!h) return { stdout: '', stderr: 'no such host\n', code: 255 };
    return runShell(this, h, command);
  }

  async call(hostUuid: string, method: string, params: unknown[], meta: CallMeta = {}): Promise<unknown> {
    this.callCounts.set(method, (this.callCounts.get(method) ?? 0) + 1);
    try {
      const h = this.simHosts.get(hostUuid);
      if (!h) fail('INTERNAL_ERROR', `no simulated host ${hostUuid}`);
      // the wire resets connections to an unreachable host; an in-process caller gets this instead
      if (!this.isLive(h)) fail('CANNOT_CONTACT_HOST', h.ref);
      return await this.dispatch(h, method, Array.isArray(params) ? params : [], meta);
    } catch (e) {
      throw asFailure(e);
    }
  }

  // ---- lab controls ----

  /** Sets where a host's XAPI listens (the wire learns its port after listening). */
  setAddress(host: string, address: string): void {
    const h = this.hostByUuidOrName(host);
    h.address = address;
    if (h.db.has('host', h.ref)) h.db.update('host', h.ref, { address });
  }

  /** One host's identity for the wire and tests. */
  host(nameOrUuid: string): SimHostInfo & { ref: string; managementIp: string } {
    const h = this.hostByUuidOrName(nameOrUuid);
    return { uuid: h.uuid, name: h.name, address: h.address, ref: h.ref, managementIp: managementIp(h) };
  }

  stats(): SimStats {
    return { calls: Object.fromEntries(this.callCounts), stepLatencyMs: Object.fromEntries([...this.stepLatency].map(([step, spans]) => [step, coveredMs(spans)])) };
  }

  resetStats(): void {
    this.callCounts.clear();
    this.stepLatency.clear();
  }

  // ---- dispatch ----

  private resolve(cls: ClassMeta, name: string, method: string): { meta: MessageMeta; handler: Handler } {
    const key = `${cls.name}.${name}`;
    const explicit = cls.messages.get(name);
    if (explicit) {
      if (explicit.state === 'removed') fail('MESSAGE_REMOVED');
      const handler = this.handlers[key] ?? fieldMessage(cls, name, true)?.handler;
      if (!handler) fail('NOT_IMPLEMENTED', method);
      return { meta: explicit, handler };
    }
    if (cls.name === 'event' || cls.name === 'session') {
      const own = this.handlers[key];
      const im = implicitMessage(cls, name);
      if (own && im) return { meta: im.meta, handler: own };
      fail('MESSAGE_METHOD_UNKNOWN', method);
    }
    const im = implicitMessage(cls, name);
    if (!im) fail('MESSAGE_METHOD_UNKNOWN', method);
    return { meta: im.meta, handler: this.handlers[key] ?? im.handler };
  }

  /** An override is absolute (a test can slow one method in an otherwise instant lab); defaults scale. */
  private latencyFor(method: string, isAsync: boolean): number {
    const override = this.faults.latencyOverride(method);
    if (override !== undefined) return override;
    return isAsync ? (DEFAULT_LATENCIES[method] ?? 0) * this.faults.latencyScale : 0;
  }

  private login(h: SimHost, method: string, name: string, params: unknown[]): string {
    const max = name === 'login_with_password' ? 4 : 2;
    if (params.length < 2 || params.length > max) fail('MESSAGE_PARAMETER_COUNT_MISMATCH', method, max, params.length);
    const [uname, pwd, , originator] = params.map((p) => (typeof p === 'string' ? p : String(p ?? '')));
    const transient = this.faults.takeTransient(`session.${name}`);
    if (transient) throw transient;
    const db = h.db;
    const coord = this.coordinator(db);
    if (name === 'login_with_password' && coord !== h) fail('HOST_IS_SLAVE', coord.address);
    const expected = name === 'login_with_password' ? coord.password : h.password;
    if (uname !== 'root' || pwd !== expected) fail('SESSION_AUTHENTICATION_FAILED', uname ?? '', 'Authentication failure');
    const ref = newRef();
    db.sessions.set(ref, { ref, uuid: randomUUID(), user: uname!, host: h.ref, originator: originator ?? '', created: Date.now() });
    return ref;
  }

  private async dispatch(h: SimHost, method: string, params: unknown[], meta: CallMeta): Promise<unknown> {
    const isAsync = method.startsWith('Async.');
    const base = isAsync ? method.slice(6) : method;
    const dot = base.indexOf('.');
    const cls = dot > 0 ? classMeta(base.slice(0, dot)) : undefined;
    const name = base.slice(dot + 1);
    if (!cls || !name || name.includes('.')) fail('MESSAGE_METHOD_UNKNOWN', method);
    if (cls.name === 'session' && (name === 'login_with_password' || name === 'slave_local_login_with_password')) {
      if (isAsync) fail('MESSAGE_METHOD_UNKNOWN', method);
      return this.login(h, method, name, params);
    }
    const canonical = `${cls.name}.${name}`;
    const { meta: msg, handler } = this.resolve(cls, name, method);
    // constructors and destructors have Async forms in real xapi although the data model marks them sync
    if (isAsync && !msg.async && name !== 'create' && name !== 'destroy') fail('MESSAGE_METHOD_UNKNOWN', method);
    const total = msg.params.length + 1;
    const defaults = TRAILING_DEFAULTS[canonical];
    const given = [...params];
    if (defaults && given.length < total && total - given.length <= defaults.length) given.push(...defaults.slice(defaults.length - (total - given.length)));
    if (given.length !== total) fail('MESSAGE_PARAMETER_COUNT_MISMATCH', method, total, params.length);

    const db = h.db;
    const session = db.sessions.get(String(given[0]));
    if (!session) fail('SESSION_INVALID', String(given[0]));
    const coord = this.coordinator(db);
    if (coord !== h && !this.isLive(coord)) fail('CANNOT_CONTACT_HOST', coord.ref);
    const args = msg.params.map((p, i) => this.decode(db, p.type, given[i + 1], p.name));
    const transient = this.faults.takeTransient(canonical);
    const latency = this.latencyFor(canonical, isAsync);
    if (meta.step && latency > 0) {
      const now = performance.now();
      const list = this.stepLatency.get(meta.step) ?? [];
      list.push([now, now + latency]);
      this.stepLatency.set(meta.step, list);
    }

    if (!isAsync) {
      if (transient) throw transient;
      return this.run(h, db, session, canonical, handler, args, latency, undefined);
    }
    const task = createTask(db, canonical, h.ref);
    // the task moves with its host if the call joins it to a pool
    const finish = (outcome: Parameters<typeof finishTask>[2]) => {
      const tdb = this.dbOf('task', task);
      if (tdb) finishTask(tdb, task, outcome);
    };
    (transient ? Promise.reject(transient) : this.run(h, db, session, canonical, handler, args, latency, task)).then(
      (res) => finish({ result: msg.result === 'void' ? '' : encodeValue(res) }),
      (e: unknown) => {
        const f = asFailure(e);
        finish({ error: [f.code, ...f.params], cancelled: f.code === 'TASK_CANCELLED' });
      },
    );
    return task;
  }

  private async run(h: SimHost, db: Db, session: SessionInfo, method: string, handler: Handler, args: unknown[], latency: number, task: string | undefined): Promise<unknown> {
    let working: Promise<void> | undefined;
    const work = () =>
      (working ??= (async () => {
        if (latency > 0) await sleep(latency);
        if (task && this.dbOf('task', task)?.get('task', task).status === 'cancelling') fail('TASK_CANCELLED', task);
      })());
    const ctx: Ctx = { w: this, db, host: h, session, method, task, work };
    // a VM under an operation shows it in current_operations (pool.join refuses while any does)
    const [clsName, name] = method.split('.') as [string, string];
    const vm = clsName === 'VM' && VM_OPERATIONS.has(name) && typeof args[0] === 'string' && db.has('VM', args[0]) ? args[0] : undefined;
    const op = task ?? newRef();
    if (vm) db.update('VM', vm, { current_operations: { ...(db.get('VM', vm).current_operations as Record<string, string>), [op]: name } });
    try {
      const result = await handler(ctx, ...args);
      await work();
      return result;
    } finally {
      if (vm) {
        const vdb = this.dbOf('VM', vm);
        if (vdb) {
          const ops = { ...(vdb.get('VM', vm).current_operations as Record<string, string>) };
          delete ops[op];
          vdb.update('VM', vm, { current_operations: ops });
        }
      }
    }
  }

  /** Checks and converts one argument by its declared type, as xapi's unmarshalling does. */
  private decode(db: Db, t: XType, v: unknown, name: string): unknown {
    const bad = (): never => fail('INVALID_VALUE', name, typeof v === 'string' ? v : JSON.stringify(v) ?? String(v));
    switch (t.k) {
      case 'string':
      case 'datetime':
        if (typeof v === 'string') return v;
        if (typeof v === 'number') return String(v);
        return bad();
      case 'int':
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
        return bad();
      case 'float':
        if (typeof v === 'number') return v;
        if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
        return bad();
      case 'bool':
        if (typeof v === 'boolean') return v;
        if (v === 'true' || v === '1' || v === 1) return true;
        if (v === 'false' || v === '0' || v === 0) return false;
        return bad();
      case 'enum': {
        const vals = enumValues(t.name);
        const hit = typeof v === 'string' ? vals.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
        return hit ?? bad();
      }
      case 'ref': {
        if (typeof v !== 'string') return bad();
        if (v === NULL_REF || v === '') return NULL_REF;
        if (t.cls === 'session') {
          const s = db.sessions.get(v);
          return s ?? fail('SESSION_INVALID', v);
        }
        const c = classMeta(t.cls);
        if (c && c.name !== 'event' && !db.has(c.name, v)) fail('HANDLE_INVALID', c.name, v);
        return v;
      }
      case 'set':
        if (!Array.isArray(v)) return bad();
        return v.map((x) => this.decode(db, t.of, x, name));
      case 'map': {
        if (!v || typeof v !== 'object' || Array.isArray(v)) return bad();
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[String(this.decode(db, t.key, k, name))] = this.decode(db, t.val, x, name);
        return out;
      }
      case 'record': {
        if (!v || typeof v !== 'object' || Array.isArray(v)) return bad();
        const c = classMeta(t.cls);
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          const f = c?.fields.get(k);
          if (f) out[k] = this.decode(db, f.type, x, k);
        }
        return out;
      }
    }
  }

  // ---- populate (bench / load tests) ----

  /**
   * Builds a big pool fast, without tasks or latency: every host joined into the first host's
   * pool, `srs` shared NFS SRs, `networks` pool-wide VLAN networks and `vms` halted VMs with a
   * disk and a NIC each. The same rule functions as the API run underneath.
   */
  populate(opts: PopulateOptions): void {
    const all = [...this.simHosts.values()].sort((a, b) => a.index - b.index);
    const first = all[0];
    if (!first) return;
    if (opts.pool !== false) for (const h of all.slice(1)) if (h.db !== first.db) joinNow(this, h, this.coordinator(first.db));
    const db = first.db;
    const srs: string[] = [];
    for (let i = 0; i < (opts.srs ?? 0); i++) {
      const dc = { server: this.storage.nfsServer, serverpath: '/export/xen' };
      srs.push(makeSr(this, db, first.ref, dc, { name_label: `bench-nfs-${i}`, name_description: '', type: 'nfs', content_type: 'user', shared: true, sm_config: {} }));
    }
    // VLANs on eth1 of every host: the pool-wide network of eth1 is xenbr1's
    const eth1 = db.find('network', (n) => n.bridge === 'xenbr1')?.[0];
    const nets: string[] = [];
    for (let i = 0; i < (opts.networks ?? 0); i++) {
      const net = db.create('network', { name_label: `bench-vlan-${100 + i}`, bridge: `xapi${100 + i}`, MTU: 1500, other_config: {} });
      for (const [pif] of eth1 ? poolVlanTargets(db, eth1) : []) makeVlan(db, pif, 100 + i, net);
      nets.push(net);
    }
    const template = db.find('VM', (v) => v.name_label === 'Debian Bookworm 12' && v.is_a_template === true);
    const localSr = db.find('SR', (s) => s.type === 'lvm')?.[0];
    const xenbr0 = db.find('network', (n) => n.bridge === 'xenbr0')?.[0];
    for (let i = 0; i < (opts.vms ?? 0); i++) {
      const vm = db.create('VM', { ...(template ? pickVmSettings(template[1]) : {}), name_label: `bench-vm-${i}`, is_a_template: false, power_state: 'Halted', resident_on: NULL_REF, domid: -1 });
      const sr = srs.length ? srs[i % srs.length]! : localSr;
      if (sr) createVbd(db, { VM: vm, VDI: makeVdi(db, sr, { name_label: `bench-vm-${i} disk`, virtual_size: 1024 ** 3 }), userdevice: '0', bootable: true });
      const net = nets.length ? nets[i % nets.length]! : xenbr0;
      if (net) createVif(db, { VM: vm, network: net, device: '0', MAC: '' });
    }
  }

  // ---- persistence ----

  /** The whole lab as JSON (databases, hosts, faults); tasks and sessions are not kept. */
  save(): string {
    const dbs = this.databases();
    return JSON.stringify({
      version: SAVE_VERSION,
      storage: this.storage,
      counter: this.counter.next,
      hosts: [...this.simHosts.values()].map(({ db, ...h }) => ({ ...h, db: dbs.indexOf(db), rebooting: false })),
      dbs: dbs.map((d) => {
        const dump = d.dump();
        delete dump.task;
        return dump;
      }),
      faults: this.faults.toJSON(),
    });
  }

  /** Restores a saved lab; `opts.hosts` (matched by name) may change addresses and passwords. */
  static load(json: string, opts: Partial<XapiSimOptions> = {}): XapiSim {
    const data = JSON.parse(json) as {
      version: number;
      storage: StorageWorld;
      counter: number;
      hosts: (Omit<SimHost, 'db'> & { db: number })[];
      dbs: Record<string, Record<string, Record<string, unknown>>>[];
      faults: FaultsState;
    };
    if (data.version !== SAVE_VERSION) throw new Error(`unsupported lab file version ${data.version}`);
    const sim = new XapiSim({ hosts: [], storage: { ...data.storage, ...opts.storage } });
    sim.counter.next = data.counter;
    const dbs = data.dbs.map((d) => Db.restore(sim.counter, d));
    for (const raw of data.hosts) {
      const spec = opts.hosts?.find((s) => s.name === raw.name);
      const h: SimHost = { ...raw, db: dbs[raw.db]!, address: spec?.address ?? raw.address, password: spec?.password ?? raw.password };
      sim.simHosts.set(h.uuid, h);
      if (h.db.has('host', h.ref)) h.db.update('host', h.ref, { address: h.address });
    }
    sim.faults.load(data.faults);
    if (opts.latencyScale !== undefined) sim.faults.latencyScale = opts.latencyScale;
    return sim;
  }
}

/** The settings a VM takes from its template (what VM.clone copies), without identity or devices. */
function pickVmSettings(t: Record<string, unknown>): Record<string, unknown> {
  const keep = ['memory_static_min', 'memory_static_max', 'memory_dynamic_min', 'memory_dynamic_max', 'VCPUs_max', 'VCPUs_at_startup', 'HVM_boot_policy', 'HVM_boot_params', 'platform', 'domain_type', 'actions_after_shutdown', 'actions_after_reboot', 'actions_after_crash'];
  return Object.fromEntries(keep.map((k) => [k, t[k]]));
}
