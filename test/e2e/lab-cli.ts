// What the lab end-to-end tests share, whatever the platform: the real `poolform` command run in
// a temporary copy of an example against a simulated lab living in the test process, and what the
// tests read back (the JSON plan, the state file, the text plan's headline blocks, the diagnostic
// boxes). The platform harnesses (xen-harness.ts, pve-harness.ts) add their lab and what the
// example builds.
//
// The CLI is spawned asynchronously on purpose: the lab answers from this process's event loop,
// so the synchronous runner of harness.ts would deadlock against it.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { CLI, DIST } from './harness.js';

export const STATE = 'poolform.state.json';

/** An example's main.hcl in the repository. */
export function exampleFile(name: string): string {
  return path.resolve(DIST, '..', 'examples', name, 'main.hcl');
}

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

/** An example copied to a temporary directory, and the CLI run there with a lab's variables. */
export interface ExampleRun {
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
  /** Removes the directory. */
  remove(): void;
}

export function exampleRun(example: string, env: Record<string, string>, prefix: string): ExampleRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.copyFileSync(exampleFile(example), path.join(dir, 'main.hcl'));
  const e: ExampleRun = {
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
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return e;
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

