// Shared set-up for the simulator's unit tests: a lab of N instant hosts, logged-in callers per
// host, a pool with a shared default SR, and a failure matcher that also checks every raised error against the reference's
// parameter list (so the sim's error shapes stay the platform's).

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { XapiFailure } from '../../providers/xenserver/sim/backend.js';
import { errorParams } from '../../providers/xenserver/sim/model.js';
import { XapiSim, type HostSpec, type XapiSimOptions } from '../../providers/xenserver/sim/xapi.js';

const REFERENCE = '/work/shared/reference';

interface ErrorTable {
  errors: Record<string, { params: string[] | null }>;
  other_codes: string[];
}

/** The reference's error table when the shared reference is present, else the sim's copy of it. */
const reference: ErrorTable | undefined = existsSync(`${REFERENCE}/xapi-errors.json`) ? (JSON.parse(readFileSync(`${REFERENCE}/xapi-errors.json`, 'utf8')) as ErrorTable) : undefined;

/** Declared params; null for codes known by name only; undefined for codes XAPI does not have. */
function declaredParams(code: string): string[] | null | undefined {
  if (code.startsWith('SR_BACKEND_FAILURE_')) return ['status', 'stdout', 'stderr']; // SM codes carry SR_BACKEND_FAILURE's shape
  if (!reference) return errorParams(code);
  if (code in reference.errors) return reference.errors[code]!.params;
  return reference.other_codes.includes(code) ? null : undefined;
}

// Where the platform sends other params than the error table declares (the reference says so).
const SHAPE_EXCEPTIONS: Record<string, number | 'variadic'> = {
  // xapi-wire.json login_notes: [SESSION_AUTHENTICATION_FAILED, <uname>, <message>]
  SESSION_AUTHENTICATION_FAILED: 2,
  // xapi-wire.json example_error_params: VM_IS_TEMPLATE [vm, operation]
  VM_IS_TEMPLATE: 2,
  // one param per object
  NETWORK_CONTAINS_PIF: 'variadic',
  NETWORK_CONTAINS_VIF: 'variadic',
};

/** Asserts an XAPI failure's parameter count against the reference error table. */
export function assertShape(e: XapiFailure): void {
  const ex = SHAPE_EXCEPTIONS[e.code];
  if (ex === 'variadic') return;
  if (typeof ex === 'number') return assert.equal(e.params.length, ex, `${e.code} params`);
  const declared = declaredParams(e.code);
  assert.notEqual(declared, undefined, `${e.code} is not an XAPI error code`);
  if (declared) assert.equal(e.params.length, declared.length, `${e.code} has ${declared.length} params (${declared.join(', ')}), got [${e.params.join(', ')}]`);
}

/** Awaits a rejection with `code` (and exactly `params` when given); checks its shape. */
export async function rejects(p: Promise<unknown>, code: string, params?: (string | RegExp)[]): Promise<XapiFailure> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof XapiFailure, `expected an XapiFailure, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code} [${e.params.join(', ')}]`);
    if (params) {
      assert.equal(e.params.length, params.length, `params of ${code}: [${e.params.join(', ')}]`);
      params.forEach((want, i) => (typeof want === 'string' ? assert.equal(e.params[i], want) : assert.match(e.params[i]!, want)));
    }
    assertShape(e);
    return e;
  }
  assert.fail(`expected ${code}, but the call succeeded`);
}

export interface Caller {
  uuid: string;
  name: string;
  address: string;
  ref: string;
  session: string;
  /** A call on this host with its session prepended. */
  call<T = any>(method: string, ...params: unknown[]): Promise<T>;
  /** Async.<method>, then waits for the task; resolves to the task record. */
  task(method: string, ...params: unknown[]): Promise<Record<string, any>>;
  /** Async.<method> that must succeed; resolves to the decoded result (ref or ''). */
  run<T = string>(method: string, ...params: unknown[]): Promise<T>;
}

export const labHosts = (n: number, extra: Partial<HostSpec>[] = []): HostSpec[] => Array.from({ length: n }, (_, i) => ({ name: `xs${i + 1}`, address: `127.0.0.1:${44300 + i}`, ...extra[i] }));

export async function waitTask(sim: XapiSim, hostUuid: string, session: string, task: string): Promise<Record<string, any>> {
  for (let i = 0; i < 500; i++) {
    const t = (await sim.call(hostUuid, 'task.get_record', [session, task])) as Record<string, any>;
    if (t.status !== 'pending' && t.status !== 'cancelling') return t;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`task ${task} never finished`);
}

export async function login(sim: XapiSim, name: string, password = 'poolform-lab'): Promise<Caller> {
  const h = sim.host(name);
  const session = (await sim.call(h.uuid, 'session.login_with_password', ['root', password, '1.0', 'xen-sim-test'])) as string;
  const c: Caller = {
    ...h,
    session,
    call: (method, ...params) => sim.call(h.uuid, method, [c.session, ...params]) as Promise<any>,
    task: async (method, ...params) => waitTask(sim, h.uuid, c.session, (await c.call(`Async.${method}`, ...params)) as string),
    run: async (method, ...params) => {
      const t = await c.task(method, ...params);
      if (t.status !== 'success') throw new XapiFailure(t.error_info[0], t.error_info.slice(1));
      return (/^<value>(.*)<\/value>$/s.exec(t.result)?.[1] ?? t.result) as any;
    },
  };
  return c;
}

/** A lab of `n` standalone hosts with latency scale 0, and a logged-in caller per host. */
export async function lab(n = 3, opts: Partial<XapiSimOptions> & { extra?: Partial<HostSpec>[] } = {}): Promise<{ sim: XapiSim; c: Caller[] }> {
  const sim = new XapiSim({ hosts: labHosts(n, opts.extra), latencyScale: 0, ...opts });
  const c: Caller[] = [];
  for (let i = 1; i <= n; i++) c.push(await login(sim, `xs${i}`));
  return { sim, c };
}

/** Joins callers[i] (i ≥ 1) to callers[0]'s pool; returns callers re-logged where needed. */
export async function pool(c: Caller[], count = c.length): Promise<void> {
  for (let i = 1; i < count; i++) await c[i]!.run('pool.join', c[0]!.address, 'root', 'poolform-lab');
  // a member serves the pool's sessions: reuse the coordinator's session everywhere
  for (let i = 1; i < count; i++) c[i]!.session = c[0]!.session;
}

/** Ref of the first record of `cls` matching `pred`. */
export async function findRef(c: Caller, cls: string, pred: (r: Record<string, any>) => boolean): Promise<string> {
  const all = (await c.call(`${cls}.get_all_records`)) as Record<string, Record<string, any>>;
  const hit = Object.entries(all).find(([, r]) => pred(r));
  assert.ok(hit, `no ${cls} matching`);
  return hit[0];
}

export async function records(c: Caller, cls: string): Promise<[string, Record<string, any>][]> {
  return Object.entries((await c.call(`${cls}.get_all_records`)) as Record<string, Record<string, any>>);
}

/** A host's PIF with that device (physical/bond: VLAN −1). */
export async function pif(c: Caller, hostRef: string, device: string, vlan = -1): Promise<string> {
  return findRef(c, 'PIF', (p) => p.host === hostRef && p.device === device && p.VLAN === vlan);
}

export const NFS = { server: '10.10.1.5', serverpath: '/export/xen' };
export const ISCSI = { target: '10.10.1.6', port: '3260', targetIQN: 'iqn.2026-11.lab.poolform:target0', SCSIid: '36001405aaaa0001' };

/** A shared NFS SR created on the pool of `c`. */
export async function nfsSr(c: Caller, name = 'shared-nfs', dc: Record<string, string> = NFS): Promise<string> {
  return c.run('SR.create', c.ref, dc, 0, name, '', 'nfs', 'user', true, {});
}

/** The ref of the pool `c` belongs to (there is exactly one). */
export async function poolRefOf(c: Caller): Promise<string> {
  return ((await c.call('pool.get_all')) as string[])[0]!;
}

/** A pool of `n` hosts whose default SR is a new shared NFS SR; `h` is the coordinator's caller. */
export async function pooledWithDefaultSr(n = 2): Promise<{ c: Caller[]; h: Caller; sr: string; poolRef: string }> {
  const { c } = await lab(n);
  await pool(c);
  const h = c[0]!;
  const sr = await nfsSr(h);
  const poolRef = await poolRefOf(h);
  await h.call('pool.set_default_SR', poolRef, sr);
  return { c, h, sr, poolRef };
}
