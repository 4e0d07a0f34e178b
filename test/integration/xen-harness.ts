// Shared set-up for the XenServer integration tests: a simulated lab on loopback (real HTTPS and
// SSH, certificate pins and known_hosts), the provider block that reaches it, a logged-in
// XenSession, a ProviderContext that records what a step journals, planned changes and the
// provider's preflight and observation of them, and the engine's plan of one resource instance
// (to check that observation after apply plans nothing). Kept small and stable: several test
// files import it. Host certificates and SSH keys are cached between runs (key
// generation is most of a lab's start-up time); every lab still starts from a fresh world.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../engine/provider.js';
import { attrsForState, diffInstance } from '../../engine/plan/diff.js';
import type { ValueObject } from '../../engine/lang/value.js';
import { loadSchemaFile, schemaDir } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';
import { readConfig, type XenConfig } from '../../providers/xenserver/config.js';
import { providerXenserver } from '../../providers/xenserver/index.js';
import { openSession, type XenSession } from '../../providers/xenserver/session.js';
import { startLab, type Lab, type LabOptions } from '../../providers/xenserver/sim/lab.js';

export interface XenLab {
  lab: Lab;
  /** The provider block's attributes for the lab (coordinator = the lab's first host). */
  providerConfig: Attrs;
  config: XenConfig;
  /** A new session to the coordinator (closed by stop()). */
  session(): Promise<XenSession>;
  stop(): Promise<void>;
}

const KEY_CACHE = path.join(os.tmpdir(), 'poolform-test-lab-keys');
const KEY_CACHE_MAX_AGE_MS = 7 * 24 * 3600_000;

/** A fresh lab directory holding only cached keys (the lab generates and writes missing ones). */
function labDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-xen-test-'));
  try {
    if (Date.now() - fs.statSync(KEY_CACHE).mtimeMs < KEY_CACHE_MAX_AGE_MS) fs.cpSync(KEY_CACHE, path.join(dir, 'hosts'), { recursive: true });
  } catch {
    // no cache yet
  }
  return dir;
}

/** Publishes the lab's keys as the cache: copied aside, then renamed in one step (parallel test files). */
function refreshCache(dir: string): void {
  const tmp = `${KEY_CACHE}.${process.pid}.${Date.now()}`;
  try {
    fs.cpSync(path.join(dir, 'hosts'), tmp, { recursive: true });
    const old = `${tmp}.old`;
    if (fs.existsSync(KEY_CACHE)) fs.renameSync(KEY_CACHE, old);
    fs.renameSync(tmp, KEY_CACHE);
    fs.rmSync(old, { recursive: true, force: true });
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another file won the race: fine
  }
}

/** Starts a lab (instant operations unless `latencyScale` says otherwise) and its provider config. */
export async function startXenLab(opts: LabOptions = {}, providerOverrides: Attrs = {}): Promise<XenLab> {
  const dir = labDir();
  const cached = fs.existsSync(path.join(dir, 'hosts')) ? fs.readdirSync(path.join(dir, 'hosts')).length : 0;
  const lab = await startLab({ latencyScale: 0, ...opts, dir });
  if (fs.readdirSync(path.join(dir, 'hosts')).length > cached) refreshCache(dir);
  const coord = lab.hosts[0]!;
  const providerConfig: Attrs = {
    url: coord.url,
    username: 'root',
    password: lab.password,
    tls_fingerprints: lab.hosts.map((h) => h.fingerprint),
    known_hosts_file: lab.knownHostsFile,
    ssh_port: coord.sshPort,
    ssh_password: lab.password,
    timeout_ms: 10_000,
    management_check_ms: 2_000,
    ...providerOverrides,
  };
  const config = readConfig(providerConfig);
  const sessions: XenSession[] = [];
  return {
    lab,
    providerConfig,
    config,
    async session() {
      const s = await openSession(config);
      sessions.push(s);
      return s;
    },
    async stop() {
      await Promise.allSettled(sessions.map((s) => s.close()));
      await lab.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RecordingContext extends ProviderContext {
  /** Task refs the step journalled, in order. */
  tasks: string[];
  logs: string[];
}

/** A ProviderContext for one step (`step` is its address), recording tasks and log lines. */
export function providerCtx(step = 'test.step', signal: AbortSignal = new AbortController().signal): RecordingContext {
  const tasks: string[] = [];
  const logs: string[] = [];
  return {
    rootDir: process.cwd(),
    signal,
    step,
    tasks,
    logs,
    log: (m) => void logs.push(m),
    task: (t) => void tasks.push(t),
  };
}

/** The xenserver_pool_member attributes that join lab host `i` (0-based). */
export function memberAttrs(x: XenLab, i: number, extra: Attrs = {}): Attrs {
  const h = x.lab.hosts[i]!;
  return { address: h.url, username: 'root', password: x.lab.password, tls_fingerprint: h.fingerprint, ssh_port: h.sshPort, force: false, allow_eject: false, ...extra };
}

/**
 * Records the methods the simulated hosts receive, in order (the model's call counts have no
 * order). Wraps the model's entry point behind the real HTTPS wire; `stop()` unwraps it.
 */
function recordCalls(x: XenLab): { calls: string[]; stop(): void } {
  const sim = x.lab.sim;
  const calls: string[] = [];
  const original = sim.call;
  sim.call = function (this: typeof sim, hostUuid, method, params, meta) {
    calls.push(method);
    return original.call(this, hostUuid, method, params, meta);
  };
  return {
    calls,
    stop() {
      sim.call = original;
    },
  };
}

/** A lab whose hosts already form a pool (`populate({ pool: true })`) and a session to it. */
export async function startPooledLab(opts: LabOptions = {}, providerOverrides: Attrs = {}): Promise<{ x: XenLab; s: XenSession }> {
  const x = await startXenLab(opts, providerOverrides);
  x.lab.sim.populate({ pool: true });
  return { x, s: await x.session() };
}

/**
 * Runs `body` against a fresh lab (standalone hosts) with a session to its first host, recording
 * the calls the hosts receive; recorder, session and lab are stopped afterwards, pass or fail.
 */
export async function withLab(opts: LabOptions, body: (x: XenLab, s: XenSession, calls: { calls: string[] }) => Promise<void>): Promise<void> {
  const x = await startXenLab(opts);
  const calls = recordCalls(x);
  try {
    await body(x, await x.session(), calls);
  } finally {
    calls.stop();
    await x.stop();
  }
}

/** A planned change as the engine hands it to the provider; the type is the address's first part. */
export function change(address: string, action: PlannedChange['action'], after: Attrs | null, before: Attrs | null = null, changed: string[] = []): PlannedChange {
  return { address, type: address.split('.')[0]!, action, before, after, changedPaths: changed.map((c) => [c]) };
}

/** The provider's whole preflight (pool checks and every type's) of `changes`, through `s`. */
export async function providerPreflight(s: XenSession, changes: PlannedChange[]): Promise<Diagnostic[]> {
  return providerXenserver.preflight!(changes, new Map(), { ...providerCtx(), session: async () => s });
}

/** The provider's observation of one object, or undefined when it is gone. */
export async function observeOne(s: XenSession, type: string, id: string): Promise<Observed | undefined> {
  const got = await providerXenserver.observe(s, [{ type, ids: [id] }], providerCtx());
  return got.get(type)?.find((o) => o.id === id);
}

/** Every attribute observation reports equals what create/update returned for it. */
export function assertObservedMatches(observed: Observed | undefined, returned: Attrs): void {
  assert.ok(observed, 'observed');
  for (const [k, v] of Object.entries(observed.attrs)) assert.deepEqual(v, returned[k], `attribute ${k}`);
}

const schemas = new Map<string, ResourceSchema>();

/** A xenserver resource type's schema, loaded once. */
export function schemaOf(type: string): ResourceSchema {
  let schema = schemas.get(type);
  if (!schema) schemas.set(type, (schema = loadSchemaFile(path.join(schemaDir(), `${type}.json`))));
  return schema;
}

/** What apply hands the provider: the configuration with the schema's defaults filled in. */
export function withDefaults(type: string, config: Attrs): Attrs {
  const out: Attrs = { ...config };
  for (const [k, m] of Object.entries(schemaOf(type).attributes)) if (out[k] === undefined && m.default !== undefined) out[k] = m.default;
  return out;
}

/**
 * The engine's plan of one instance given what apply stored and what observation sees now;
 * `applied` is the configuration the stored result was applied with (default: `config`).
 */
export function planOf(type: string, config: Attrs, stored: { id: string; attrs: Attrs }, observed: Attrs | null, applied: Attrs = config) {
  const schema = schemaOf(type);
  return diffInstance({
    schema,
    config: config as ValueObject,
    prior: { address: `${type}.t`, mode: 'managed', type, provider: 'provider.xenserver', id: stored.id, attributes: attrsForState(schema, stored.attrs, applied as ValueObject, 's').attributes, dependencies: [] },
    observed,
    salt: 's',
    ignoreChanges: { all: false, paths: [] },
  });
}
