// End-to-end set-up for the XenServer CLI tests: a simulated lab in this process (real HTTPS and
// SSH on loopback, reused from the integration harness for its host-key cache) and the real
// `poolform` command run against it in a temporary copy of examples/xenserver-pool. Also what the
// tests read back: the text plan's headline blocks, and what the example builds on one host.
//
// The CLI is spawned asynchronously on purpose: the lab answers from this process's event loop,
// so the synchronous runner of test/e2e/harness.ts would deadlock against it.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { Db, Rec } from '../../providers/xenserver/sim/db.js';
import { labEnv, type Lab, type LabOptions } from '../../providers/xenserver/sim/lab.js';
import { startXenLab, type XenLab } from '../integration/xen-harness.js';
import { CLI, DIST } from './harness.js';

const EXAMPLE = path.resolve(DIST, '..', 'examples', 'xenserver-pool', 'main.hcl');
export const STATE = 'poolform.state.json';

/** Every resource address the example makes on a 3-host lab, sorted. */
export const EXAMPLE_ADDRESSES = [
  'xenserver_bond.bond0',
  'xenserver_ha.ha',
  'xenserver_management_interface.mgmt',
  'xenserver_network.bond0',
  'xenserver_network.storage',
  'xenserver_network.vms',
  'xenserver_pool.pool',
  'xenserver_pool_member.member["xs2"]',
  'xenserver_pool_member.member["xs3"]',
  'xenserver_sr.nfs',
  'xenserver_storage_interface.storage["xs1"]',
  'xenserver_storage_interface.storage["xs2"]',
  'xenserver_storage_interface.storage["xs3"]',
  'xenserver_vlan.storage',
  'xenserver_vlan.vms',
  'xenserver_vm_template.base["debian"]',
  'xenserver_vm_template.base["ubuntu"]',
];

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far (grows while the command runs). */
  out(): { stdout: string; stderr: string };
  done: Promise<CliRun>;
}

/** Starts `poolform ARGS` in `dir`; resolves `done` when the process has closed its streams. */
function startCli(dir: string, args: string[], env: Record<string, string>): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', POOLFORM_TEST_FAIL_ON: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, out: () => ({ stdout, stderr }), done };
}

export interface XenE2e {
  x: XenLab;
  lab: Lab;
  /** The configuration directory (a copy of the example). */
  dir: string;
  /** The lab's POOLFORM_VAR_* variables (edit to change what the next run sees). */
  env: Record<string, string>;
  run(args: string[], extraEnv?: Record<string, string>): Promise<CliRun>;
  start(args: string[], extraEnv?: Record<string, string>): RunningCli;
  /** `plan -json` (no detailed exit code); fails the test unless it exits 0. */
  planJson(extraEnv?: Record<string, string>): Promise<PlanDoc>;
  /** Rewrites main.hcl; `edit` must change it (a no-op edit is a broken test). */
  edit(edit: (hcl: string) => string): void;
  state(): StateDoc | undefined;
  /** The platform id state holds for `address` (fails the test if there is none). */
  idOf(address: string): string;
  /** `plan -detailed-exitcode` finds nothing to do. */
  assertNoChanges(extraEnv?: Record<string, string>): Promise<void>;
  /** The simulated database a host belongs to (its pool's, once joined). */
  db(host: string): Db;
  stop(): Promise<void>;
}

export interface ResourceChangeDoc {
  address: string;
  type: string;
  change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null; replace_paths?: unknown[] };
  action_reason?: string;
}

export interface PlanDoc {
  resource_changes: ResourceChangeDoc[];
  resource_drift: ResourceChangeDoc[];
}

export interface StateDoc {
  serial: number;
  resources: { address: string; type: string; id: string; attributes: Record<string, unknown> }[];
}

/** A lab (instant operations) and a fresh copy of the example pointed at it. */
export async function startXenE2e(opts: LabOptions = {}): Promise<XenE2e> {
  const x = await startXenLab({ latencyScale: 0, ...opts });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-xen-e2e-'));
  fs.copyFileSync(EXAMPLE, path.join(dir, 'main.hcl'));
  const env = labEnv(x.lab);
  const e: XenE2e = {
    x,
    lab: x.lab,
    dir,
    env,
    run: (args, extra = {}) => startCli(dir, args, { ...env, ...extra }).done,
    start: (args, extra = {}) => startCli(dir, args, { ...env, ...extra }),
    async planJson(extra = {}) {
      const r = await e.run(['plan', '-json'], extra);
      if (r.code !== 0) throw new Error(`plan -json exited ${r.code}:\n${r.stderr}\n${r.stdout.slice(0, 2000)}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as PlanDoc;
    },
    edit(edit) {
      const file = path.join(dir, 'main.hcl');
      const before = fs.readFileSync(file, 'utf8');
      const after = edit(before);
      if (after === before) throw new Error('the configuration edit changed nothing');
      fs.writeFileSync(file, after);
    },
    state() {
      const file = path.join(dir, STATE);
      return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as StateDoc) : undefined;
    },
    idOf(address) {
      const r = e.state()?.resources.find((x) => x.address === address);
      assert.ok(r, `${address} in state`);
      return r.id;
    },
    async assertNoChanges(extra = {}) {
      const r = await e.run(['plan', '-detailed-exitcode'], extra);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /No changes/);
    },
    db: (host) => x.lab.sim.hostByUuidOrName(host).db,
    async stop() {
      await x.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return e;
}

/** `xen_hosts` limited to the lab's first `n` hosts (the variable labEnv would give a smaller lab). */
export function hostsVar(lab: Lab, n: number): string {
  return labEnv({ ...lab, hosts: lab.hosts.slice(0, n) }).POOLFORM_VAR_xen_hosts!;
}

/** Polls `cond` every 10 ms; fails the test, saying `what`, if it is not true within 10 s. */
export async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 1000, `timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Actions by address, e.g. { 'xenserver_network.storage': 'update' } ('replace' for either order). */
export function actionsOf(plan: PlanDoc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of plan.resource_changes) {
    const a = c.change.actions;
    if (a.length === 1 && a[0] === 'no-op') continue;
    out[c.address] = a.length === 2 ? 'replace' : a[0]!;
  }
  return out;
}

/**
 * The text plan's comment blocks, in order: each resource's headline, then its reason and impact
 * lines, e.g. ["xenserver_bond.bond0 will be updated in-place", "impact: network-blip"]. Drift
 * ("has changed") blocks come first when the output has them. Only blocks at the top indentation:
 * comments inside a resource body ("# (2 unchanged attributes hidden)") are not headlines.
 */
export function planBlocks(text: string): string[][] {
  const blocks: string[][] = [];
  let open: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^ {2}# (.*)$/.exec(line);
    if (!m) open = undefined;
    else if (open) open.push(m[1]!);
    else blocks.push((open = [m[1]!]));
  }
  return blocks;
}

/** The error and warning boxes of stderr (╷ … ╵), one string each, their │ margins removed. */
export function diagnosticBoxes(stderr: string): string[] {
  return [...stderr.matchAll(/^╷\n([\s\S]*?)^╵$/gm)].map((m) => m[1]!.replace(/^│ ?/gm, ''));
}

/** The records of class `cls` on the pool database of `db`, optionally filtered. */
export function records(db: Db, cls: string, pred: (r: Rec) => boolean = () => true): Rec[] {
  return db.filter(cls, (r) => pred(r)).map(([, r]) => r);
}

/** What the example builds on one host, read from the simulator (networks named by state address). */
export interface HostSetup {
  /** currently_attached of each of the host's PBDs for the example's NFS SR. */
  nfsPbds: unknown[];
  /** Each bond whose master PIF is on the bond0 network. */
  bonds: { mode: unknown; slaves: unknown[] }[];
  /** Each management PIF. */
  management: { network: string; attached: unknown }[];
  /** Each VLAN PIF, by tag: its network, the network of the PIF it is tagged on, its IP set-up. */
  vlans: { tag: number; network: string; on: string; ip: unknown; mode: unknown }[];
}

/** The example's set-up on `host` as the pool database of the coordinator (xs1) records it. */
export function hostSetup(e: XenE2e, host: string): HostSetup {
  const db = e.db('xs1');
  const hostRef = db.refByUuid(e.lab.sim.host(host).uuid);
  assert.ok(hostRef, `${host} is in xs1's pool`);
  const netName = new Map<string, string>();
  for (const r of e.state()!.resources) if (r.type === 'xenserver_network') netName.set(db.refByUuid(r.id) ?? r.id, r.address);
  const nameOf = (net: unknown) => netName.get(String(net)) ?? `unmanaged ${String(net)}`;
  const srRef = db.refByUuid(e.idOf('xenserver_sr.nfs'));
  const pifs = db.filter('PIF', (p) => p.host === hostRef);
  const bondNet = db.refByUuid(e.idOf('xenserver_network.bond0'));
  const masters = new Set(pifs.filter(([, p]) => p.network === bondNet).map(([ref]) => ref));
  return {
    nfsPbds: records(db, 'PBD', (p) => p.host === hostRef && p.SR === srRef).map((p) => p.currently_attached),
    bonds: records(db, 'Bond', (b) => masters.has(String(b.master))).map((b) => ({
      mode: b.mode,
      slaves: (b.slaves as string[]).map((s) => db.get('PIF', s).device).sort(),
    })),
    management: pifs.filter(([, p]) => p.management === true).map(([, p]) => ({ network: nameOf(p.network), attached: p.currently_attached })),
    vlans: pifs
      .filter(([, p]) => Number(p.VLAN) !== -1)
      .map(([ref, p]) => {
        const vlan = records(db, 'VLAN', (v) => v.untagged_PIF === ref);
        assert.equal(vlan.length, 1, `one VLAN object for ${host}'s VLAN ${String(p.VLAN)} PIF`);
        return { tag: Number(p.VLAN), network: nameOf(p.network), on: nameOf(db.get('PIF', String(vlan[0]!.tagged_PIF)).network), ip: p.IP, mode: p.ip_configuration_mode };
      })
      .sort((a, b) => a.tag - b.tag),
  };
}

/** What hostSetup should read on a host of the example whose storage address is `storageIp`. */
export function exampleSetup(storageIp: string, bondMode = 'active-backup'): HostSetup {
  return {
    nfsPbds: [true],
    bonds: [{ mode: bondMode, slaves: ['eth0', 'eth1'] }],
    management: [{ network: 'xenserver_network.bond0', attached: true }],
    vlans: [
      { tag: 20, network: 'xenserver_network.storage', on: 'xenserver_network.bond0', ip: storageIp, mode: 'Static' },
      { tag: 30, network: 'xenserver_network.vms', on: 'xenserver_network.bond0', ip: '', mode: 'None' },
    ],
  };
}
