// Applying a node's staged network configuration (one reload, PUT /nodes/{node}/network, a
// "srvreload" task) safely when the change moves the address the node is managed by or one of its
// corosync link addresses: the running /etc/network/interfaces is saved over SSH first; after the
// reload the node must answer its API (and, in a cluster, be online in /cluster/status) within the
// provider's network_check_ms; if it does not, the saved file is put back and `ifreload -a` run
// over SSH (the API may be unreachable by then), and the step fails saying what happened. The
// XenServer provider's management move (providers/xenserver/management.ts) is the same idea.

import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderContext } from '../../engine/provider.js';
import { PveApiError, PveTransportError, type PveClient, type TaskOptions } from './client/types.js';
import type { PveSession } from './session.js';
import { flag, type Rec } from './snapshot.js';

export const SAVED = '/etc/network/interfaces.poolform-prev';
const RUNNING = '/etc/network/interfaces';

/** A guarded address and what it is for ("management address", "corosync link 0"). */
export interface Guarded {
  ip: string;
  role: string;
  /** The interface carrying it before and after the change. */
  before?: string;
  after?: string;
}

/** Whether the provider block gives SSH credentials (the rollback path). */
export function sshConfigured(s: PveSession, node: string): boolean {
  const ssh = s.nodeConfig(node).ssh;
  return !!(ssh.password || ssh.privateKey);
}

async function shell(s: PveSession, node: string, command: string, signal: AbortSignal): Promise<void> {
  const out = await s.ssh(node, command, signal);
  if (out.code !== 0) throw new Error(`\`${command}\` exited ${out.code}: ${(out.stderr || out.stdout).trim()}`);
}

/** Saves the running network configuration on the node (before anything is staged). */
export async function saveRunning(s: PveSession, node: string, what: string, signal: AbortSignal): Promise<void> {
  try {
    await shell(s, node, `cp ${RUNNING} ${SAVED}`, signal);
  } catch (e) {
    if (signal.aborted) throw e;
    throw new Error(
      `${what}: the change moves an address the node is reached by, so poolform saves the running ${RUNNING} over SSH first (to roll back if the node stops answering), and that failed: ${(e as Error).message}. ` +
        'Check ssh_address, ssh_username and ssh_password/ssh_private_key in the provider block and the node in known_hosts_file; nothing was changed.',
      { cause: e },
    );
  }
}

/** A signal aborted after `ms` or with `outer`, whichever comes first. */
function within(ms: number, outer: AbortSignal): { signal: AbortSignal; done(): void } {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(new Error(`no answer within ${ms} ms`)), Math.max(1, ms));
  const onAbort = () => ctl.abort(outer.reason);
  if (outer.aborted) ctl.abort(outer.reason);
  else outer.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctl.signal,
    done() {
      clearTimeout(t);
      outer.removeEventListener('abort', onAbort);
    },
  };
}

/** One attempt: the node's API answers (any API answer counts; a refused or silent connection does not). */
async function apiAnswers(s: PveSession, node: string, ms: number, outer: AbortSignal): Promise<boolean> {
  const w = within(ms, outer);
  try {
    const c = await s.client(node, w.signal);
    await c.get('/version', undefined, { signal: w.signal, retryLocks: false });
    return true;
  } catch (e) {
    if (outer.aborted) throw e;
    if (e instanceof PveApiError) return true;
    if (e instanceof PveTransportError && (e.kind === 'auth' || e.kind === 'tls')) return true;
    return false;
  } finally {
    w.done();
  }
}

/** One attempt: a cluster member (another configured node first) reports the node online. */
async function onlineInCluster(s: PveSession, node: string, ms: number, outer: AbortSignal): Promise<boolean> {
  const order = [...s.nodeNames().filter((n) => n !== node), node];
  for (const other of order) {
    const w = within(ms, outer);
    try {
      const c = await s.client(other, w.signal);
      const status = (await c.get<Rec[]>('/cluster/status', undefined, { signal: w.signal })) ?? [];
      const me = status.find((e) => e.type === 'node' && e.name === node);
      if (me) return flag(me.online);
    } catch (e) {
      if (outer.aborted) throw e;
    } finally {
      w.done();
    }
  }
  return false;
}

/** Polls until the node answers (and is a member online, when clustered) or `ms` pass. */
export async function waitNodeBack(s: PveSession, node: string, clustered: boolean, ms: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + ms;
  let pause = 50;
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    if ((await apiAnswers(s, node, left, signal)) && (!clustered || (await onlineInCluster(s, node, Math.max(1, deadline - Date.now()), signal)))) return true;
    const rest = deadline - Date.now();
    if (rest <= 0) return false;
    await sleep(Math.min(pause, rest), undefined, { signal });
    pause = Math.min(pause * 2, 1000);
  }
}

function describe(g: Guarded[]): string {
  return g.map((x) => `${x.role} ${x.ip} (${x.before ?? 'nowhere'} → ${x.after ?? 'nowhere'})`).join(', ');
}

/**
 * Applies the node's staged configuration with one reload. With `guarded` addresses, checks the
 * node afterwards and rolls back over SSH when it stopped answering (see the file header).
 */
export async function reload(s: PveSession, node: string, client: PveClient, guarded: Guarded[], clustered: boolean, what: string, ctx: ProviderContext): Promise<void> {
  const path = `/nodes/${encodeURIComponent(node)}/network`;
  const opts: TaskOptions = s.taskOptions(ctx);
  if (guarded.length === 0) {
    await client.task('PUT', path, undefined, opts);
    return;
  }
  const checkMs = s.config.networkCheckMs;
  ctx.log(`${what}: reloading the network; it moves ${describe(guarded)}, so the node must answer again within ${checkMs} ms`);
  // The node may go quiet during the reload itself: waiting for the task is bounded the same way.
  const w = within(checkMs, ctx.signal);
  let taskError: unknown;
  try {
    await client.task('PUT', path, undefined, { ...opts, signal: w.signal });
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (e instanceof PveApiError && !w.signal.aborted) throw e; // refused before anything changed
    taskError = e;
  } finally {
    w.done();
  }
  if (await waitNodeBack(s, node, clustered, checkMs, ctx.signal)) {
    if (taskError && !(taskError instanceof PveTransportError) && !w.signal.aborted) throw taskError;
    return;
  }
  const why = `after the network reload the node stopped answering${clustered ? ' (or dropped out of the cluster)' : ''} for ${checkMs} ms; the change moved ${describe(guarded)}${taskError ? ` (the reload task: ${(taskError as Error).message})` : ''}`;
  ctx.log(`${what}: ${why}; restoring ${SAVED} over SSH`);
  try {
    await shell(s, node, `cp ${SAVED} ${RUNNING} && ifreload -a`, ctx.signal);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    throw new Error(
      `${what}: ${why}; rolling back over SSH failed: ${(e as Error).message}. From the node's console run: cp ${SAVED} ${RUNNING} && ifreload -a`,
      { cause: taskError },
    );
  }
  s.invalidate();
  const back = await waitNodeBack(s, node, clustered, checkMs, ctx.signal);
  throw new Error(
    `${what}: ${why}. Rolled back: ${SAVED} (the configuration before this apply) was restored as ${RUNNING} and reloaded over SSH` +
      `${back ? ', and the node answers again' : `, but the node has not answered for another ${checkMs} ms: check it from its console`}. ` +
      'None of this change is in effect. Check the new addresses, gateway, ports and the switch (VLANs, LACP) for that node before trying again, or raise network_check_ms if the node is merely slow.',
    { cause: taskError },
  );
}
