// Shared set-up for the Proxmox integration tests: a simulated lab on loopback (real HTTPS and SSH,
// certificate pins and known_hosts), the provider block that reaches it, sessions, a
// ProviderContext that records what a step journals, planned changes, the provider's preflight and
// observation, the engine's plan of one instance, and a cluster formed over the real API (for tests
// of what lives in a cluster). Host certificates and SSH keys are cached between runs (key
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
import { readConfig, type PveConfig } from '../../providers/proxmox/config.js';
import { providerProxmox } from '../../providers/proxmox/index.js';
import { openSession, type PveSession } from '../../providers/proxmox/session.js';
import { labNodesValue, startPveLab, type PveLab } from '../../providers/proxmox/sim/lab.js';

export type PveLabOptions = Parameters<typeof startPveLab>[0];

export interface PveTestLab {
  lab: PveLab;
  /** The provider block's attributes for the lab: every lab node, token auth, SSH by password. */
  providerConfig: Attrs;
  config: PveConfig;
  /** A new session (closed by stop()). */
  session(): Promise<PveSession>;
  stop(): Promise<void>;
}

const KEY_CACHE = path.join(os.tmpdir(), 'poolform-test-pve-keys');
const KEY_CACHE_MAX_AGE_MS = 7 * 24 * 3600_000;
const KEYS_SUBDIR = 'nodes';

/** A fresh lab directory holding only cached keys (the lab generates and writes missing ones). */
function labDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-pve-test-'));
  try {
    if (Date.now() - fs.statSync(KEY_CACHE).mtimeMs < KEY_CACHE_MAX_AGE_MS) fs.cpSync(KEY_CACHE, path.join(dir, KEYS_SUBDIR), { recursive: true });
  } catch {
    // no cache yet
  }
  return dir;
}

/** Publishes the lab's keys as the cache: copied aside, then renamed in one step (parallel test files). */
function refreshCache(dir: string): void {
  const src = path.join(dir, KEYS_SUBDIR);
  if (!fs.existsSync(src)) return;
  const tmp = `${KEY_CACHE}.${process.pid}.${Date.now()}`;
  try {
    fs.cpSync(src, tmp, { recursive: true });
    const old = `${tmp}.old`;
    if (fs.existsSync(KEY_CACHE)) fs.renameSync(KEY_CACHE, old);
    fs.renameSync(tmp, KEY_CACHE);
    fs.rmSync(old, { recursive: true, force: true });
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another file won the race: fine
  }
}

/** Starts a lab (instant tasks, short auth-failure delay unless said otherwise) and its provider config. */
export async function startPveTestLab(opts: PveLabOptions = {}, providerOverrides: Attrs = {}): Promise<PveTestLab> {
  const dir = labDir();
  const keysDir = path.join(dir, KEYS_SUBDIR);
  const cached = fs.existsSync(keysDir) ? fs.readdirSync(keysDir).length : 0;
  const lab = await startPveLab({ latencyScale: 0, authFailDelayMs: 20, ...opts, dir });
  if (fs.existsSync(keysDir) && fs.readdirSync(keysDir).length > cached) refreshCache(dir);
  const providerConfig: Attrs = {
    nodes: labNodesValue(lab),
    api_token: `${lab.tokenId}=${lab.tokenSecret}`,
    known_hosts_file: lab.knownHostsFile,
    ssh_password: lab.password,
    timeout_ms: 10_000,
    task_timeout_ms: 60_000,
    network_check_ms: 1_000,
    ...providerOverrides,
  };
  const config = readConfig(providerConfig);
  const sessions: PveSession[] = [];
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

/**
 * Forms a cluster over the real API, as an administrator would by hand: created on the first
 * node with its corosync link addresses (eno2, eno3), the next `members - 1` nodes joined one at a
 * time with the first node's fingerprint. Returns a fresh session.
 */
export async function formCluster(x: PveTestLab, members = x.lab.nodes.length, name = 'lab'): Promise<PveSession> {
  const s = await x.session();
  const first = x.lab.nodes[0]!;
  const link = (i: number, net: number) => `10.20.${net}.${11 + i}`;
  const c0 = await s.client(first.name);
  await c0.task('POST', '/cluster/config', { clustername: name, link0: link(0, 10), link1: link(0, 20) });
  for (let i = 1; i < members; i++) {
    const n = x.lab.nodes[i]!;
    const c = await s.client(n.name);
    await c.task('POST', '/cluster/config/join', { hostname: first.ip, fingerprint: first.fingerprint, password: x.lab.password, link0: link(i, 10), link1: link(i, 20) });
  }
  s.invalidate();
  return s;
}

export interface RecordingContext extends ProviderContext {
  /** UPIDs the step journalled, in order. */
  tasks: string[];
  logs: string[];
}

/** A ProviderContext for one step (`step` is its address), recording tasks and log lines. */
export function providerCtx(step = 'test.step', signal: AbortSignal = new AbortController().signal): RecordingContext {
  const tasks: string[] = [];
  const logs: string[] = [];
  return { rootDir: process.cwd(), signal, step, tasks, logs, log: (m) => void logs.push(m), task: (t) => void tasks.push(t) };
}

/** Runs `body` against a fresh lab with a session; session and lab are stopped afterwards, pass or fail. */
export async function withPveLab(opts: PveLabOptions, body: (x: PveTestLab, s: PveSession) => Promise<void>): Promise<void> {
  const x = await startPveTestLab(opts);
  try {
    await body(x, await x.session());
  } finally {
    await x.stop();
  }
}

/** A planned change as the engine hands it to the provider; the type is the address's first part. */
export function change(address: string, action: PlannedChange['action'], after: Attrs | null, before: Attrs | null = null, changed: string[] = []): PlannedChange {
  return { address, type: address.split('.')[0]!, action, before, after, changedPaths: changed.map((c) => [c]) };
}

/** The provider's whole preflight (cluster checks and every type's) of `changes`, through `s`. */
export async function providerPreflight(s: PveSession, changes: PlannedChange[]): Promise<Diagnostic[]> {
  return providerProxmox.preflight!(changes, new Map(), { ...providerCtx(), session: async () => s });
}

/** The provider's observation of one object, or undefined when it is gone. */
export async function observeOne(s: PveSession, type: string, id: string): Promise<Observed | undefined> {
  s.invalidate();
  const got = await providerProxmox.observe(s, [{ type, ids: [id] }], providerCtx());
  return got.get(type)?.find((o) => o.id === id);
}

/** Every attribute observation reports equals what create/update returned for it. */
export function assertObservedMatches(observed: Observed | undefined, returned: Attrs): void {
  assert.ok(observed, 'observed');
  for (const [k, v] of Object.entries(observed.attrs)) assert.deepEqual(v, returned[k], `attribute ${k}`);
}

const schemas = new Map<string, ResourceSchema>();

/** A proxmox resource type's schema, loaded once. */
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

/** The engine's plan of one instance given what apply stored and what observation sees now. */
export function planOf(type: string, config: Attrs, stored: { id: string; attrs: Attrs }, observed: Attrs | null, applied: Attrs = config) {
  const schema = schemaOf(type);
  return diffInstance({
    schema,
    config: config as ValueObject,
    prior: { address: `${type}.t`, mode: 'managed', type, provider: 'provider.proxmox', id: stored.id, attributes: attrsForState(schema, stored.attrs, applied as ValueObject, 's').attributes, dependencies: [] },
    observed,
    salt: 's',
    ignoreChanges: { all: false, paths: [] },
  });
}
