// Shared set-up for the Proxmox integration tests: a simulated lab on loopback (real HTTPS and SSH,
// certificate pins and known_hosts), the provider block that reaches it, sessions, a
// ProviderContext that records what a step journals, planned changes, the provider's preflight and
// observation, the engine's plan of one instance, and a cluster formed over the real API (for tests
// of what lives in a cluster). Host certificates and SSH keys are cached between runs (key
// generation is most of a lab's start-up time); every lab still starts from a fresh world.

import * as fs from 'node:fs';
import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange } from '../../engine/provider.js';
import { readConfig, type PveConfig } from '../../providers/proxmox/config.js';
import { providerProxmox } from '../../providers/proxmox/index.js';
import { openSession, type PveSession } from '../../providers/proxmox/session.js';
import { labNodesValue, startPveLab, type PveLab } from '../../providers/proxmox/sim/lab.js';
import { keyCache, providerCtx } from './lab-harness.js';

export { assertObservedMatches, change, planOf, providerCtx, schemaOf, withDefaults, type RecordingContext } from './lab-harness.js';

const KEYS = keyCache('poolform-test-pve-keys', 'nodes');

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

/** Starts a lab (instant tasks, short auth-failure delay unless said otherwise) and its provider config. */
export async function startPveTestLab(opts: PveLabOptions = {}, providerOverrides: Attrs = {}): Promise<PveTestLab> {
  const dir = KEYS.labDir('poolform-pve-test-');
  const cached = KEYS.count(dir);
  const lab = await startPveLab({ latencyScale: 0, authFailDelayMs: 20, ...opts, dir });
  if (KEYS.count(dir) > cached) KEYS.refresh(dir);
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

/** A fresh lab of `nodes` nodes formed into one cluster (formCluster), and its session; the lab is stopped if forming fails. */
export async function startCluster(nodes = 3): Promise<{ x: PveTestLab; s: PveSession }> {
  const x = await startPveTestLab({ nodes });
  try {
    return { x, s: await formCluster(x) };
  } catch (e) {
    await x.stop();
    throw e;
  }
}

/** The provider's preflight of one change: the diagnostics about its address. */
export async function diagnosticsOf(s: PveSession, c: PlannedChange): Promise<Diagnostic[]> {
  return (await providerPreflight(s, [c])).filter((d) => d.address === c.address);
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

