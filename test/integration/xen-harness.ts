// Shared set-up for the XenServer integration tests: a simulated lab on loopback (real HTTPS and
// SSH, certificate pins and known_hosts), the provider block that reaches it, a logged-in
// XenSession, a ProviderContext that records what a step journals, planned changes and the
// provider's preflight and observation of them, and the engine's plan of one resource instance
// (to check that observation after apply plans nothing). Kept small and stable: several test
// files import it. Host certificates and SSH keys are cached between runs (key
// generation is most of a lab's start-up time); every lab still starts from a fresh world.

import * as fs from 'node:fs';
import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange } from '../../engine/provider.js';
import { readConfig, type XenConfig } from '../../providers/xenserver/config.js';
import { providerXenserver } from '../../providers/xenserver/index.js';
import { openSession, type XenSession } from '../../providers/xenserver/session.js';
import { startLab, type Lab, type LabOptions } from '../../providers/xenserver/sim/lab.js';
import { keyCache, providerCtx } from './lab-harness.js';

export { assertObservedMatches, change, planOf, providerCtx, schemaOf, withDefaults, type RecordingContext } from './lab-harness.js';

const KEYS = keyCache('poolform-test-lab-keys', 'hosts');

export interface XenLab {
  lab: Lab;
  /** The provider block's attributes for the lab (coordinator = the lab's first host). */
  providerConfig: Attrs;
  config: XenConfig;
  /** A new session to the coordinator (closed by stop()). */
  session(): Promise<XenSession>;
  stop(): Promise<void>;
}

/** Starts a lab (instant operations unless `latencyScale` says otherwise) and its provider config. */
export async function startXenLab(opts: LabOptions = {}, providerOverrides: Attrs = {}): Promise<XenLab> {
  const dir = KEYS.labDir('poolform-xen-test-');
  const cached = KEYS.count(dir);
  const lab = await startLab({ latencyScale: 0, ...opts, dir });
  if (KEYS.count(dir) > cached) KEYS.refresh(dir);
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

/** The provider's whole preflight (pool checks and every type's) of `changes`, through `s`. */
export async function providerPreflight(s: XenSession, changes: PlannedChange[]): Promise<Diagnostic[]> {
  return providerXenserver.preflight!(changes, new Map(), { ...providerCtx(), session: async () => s });
}

/** The provider's observation of one object, or undefined when it is gone. */
export async function observeOne(s: XenSession, type: string, id: string): Promise<Observed | undefined> {
  const got = await providerXenserver.observe(s, [{ type, ids: [id] }], providerCtx());
  return got.get(type)?.find((o) => o.id === id);
}

