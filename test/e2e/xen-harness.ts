// End-to-end set-up for the XenServer CLI tests: a simulated lab in this process (real HTTPS and
// SSH on loopback, reused from the integration harness for its host-key cache) and the real
// `poolform` command run against it in a temporary copy of examples/xenserver-pool.
//
// The CLI is spawned asynchronously on purpose: the lab answers from this process's event loop,
// so the synchronous runner of test/e2e/harness.ts would deadlock against it.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { connectXapi } from '../../providers/xenserver/client/xapi.js';
import type { XapiClient } from '../../providers/xenserver/client/types.js';
import type { Db, Rec } from '../../providers/xenserver/sim/db.js';
import { labEnv, type Lab, type LabOptions } from '../../providers/xenserver/sim/lab.js';
import { startXenLab, type XenLab } from '../integration/xen-harness.js';
import { CLI, DIST } from './harness.js';

export const EXAMPLE = path.resolve(DIST, '..', 'examples', 'xenserver-pool', 'main.hcl');
export const STATE = 'poolform.state.json';

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
export function startCli(dir: string, args: string[], env: Record<string, string>): RunningCli {
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
  /** The simulated database a host belongs to (its pool's, once joined). */
  db(host: string): Db;
  /** A logged-in XAPI client on the coordinator (as an administrator would use it). */
  xapi(): Promise<XapiClient>;
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
  const clients: XapiClient[] = [];
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
    db: (host) => x.lab.sim.hostByUuidOrName(host).db,
    async xapi() {
      const c = await connectXapi(
        { url: x.lab.hosts[0]!.url, username: 'root', password: x.lab.password, fingerprints: x.lab.hosts.map((h) => h.fingerprint) },
        { followSlave: true },
      );
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.logout()));
      await x.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return e;
}

/** `xen_hosts` limited to the lab's first `n` hosts (the variable labEnv would give a smaller lab). */
export function hostsVar(lab: Lab, n: number): string {
  return `[${lab.hosts
    .slice(0, n)
    .map((h) => `{ name = ${JSON.stringify(h.name)}, url = ${JSON.stringify(h.url)}, fingerprint = ${JSON.stringify(h.fingerprint)}, ssh_port = ${h.sshPort} }`)
    .join(', ')}]`;
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
 * The text plan's comment block for one resource: its headline and reason lines, e.g.
 * ["xenserver_bond.bond0 will be updated in-place", "impact: network-blip"].
 */
export function planBlock(text: string, address: string): string[] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.trim().startsWith(`# ${address} `));
  if (i < 0) return [];
  const out: string[] = [];
  for (let j = i; j < lines.length && lines[j]!.trim().startsWith('#'); j++) out.push(lines[j]!.trim().replace(/^#\s*/, ''));
  return out;
}

/** The records of class `cls` on the pool database of `db`, optionally filtered. */
export function records(db: Db, cls: string, pred: (r: Rec) => boolean = () => true): Rec[] {
  return db.filter(cls, (r) => pred(r)).map(([, r]) => r);
}
