// xenserver_pool_member: a host in the pool. Create checks every join precondition against the
// joining host, then runs pool.join ON THE JOINING HOST (that is where XAPI expects it) with the
// coordinator's address and the provider block's credentials, waits until the coordinator lists
// the host enabled and live, and re-applies what a join does not carry: the management interface's
// placement. Delete ejects the host (evacuate first); ejecting wipes it, so it is refused unless
// allow_eject was true in state.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { XapiClient } from '../client/types.js';
import { MAINTENANCE_LIMIT } from '../maintenance.js';
import { moveManagement } from '../management.js';
import { checkJoin, openJoiner, type JoinTarget } from '../preflight/join.js';
import { bool, coordinator, hostByUuid, isLive, managementPif, callOpts, str } from '../facts.js';
import type { XenSession } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { observeEach } from './common-steps.js';

/** How long a joined host may take to appear enabled and live on the coordinator. */
const JOIN_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 100;

/** The join target a member's attributes describe (the provider block fills what they leave out). */
export function joinTarget(attrs: Attrs): JoinTarget {
  return {
    url: str(attrs.address),
    username: typeof attrs.username === 'string' && attrs.username !== '' ? attrs.username : 'root',
    password: str(attrs.password),
    fingerprint: typeof attrs.tls_fingerprint === 'string' && attrs.tls_fingerprint !== '' ? attrs.tls_fingerprint : undefined,
    sshPort: typeof attrs.ssh_port === 'number' ? attrs.ssh_port : undefined,
    force: attrs.force === true,
  };
}

/** What poolform knows of a member beyond the platform: the configuration as applied (no password). */
function configured(attrs: Attrs): Attrs {
  return {
    address: attrs.address,
    username: typeof attrs.username === 'string' ? attrs.username : 'root',
    tls_fingerprint: attrs.tls_fingerprint ?? null,
    ssh_port: attrs.ssh_port ?? null,
    force: attrs.force === true,
    allow_eject: attrs.allow_eject === true,
  };
}

function observeMember(snap: Snapshot, uuid: string): Observed | undefined {
  const h = snap.byUuid('host', uuid);
  return h ? { id: uuid, attrs: { id: uuid, host_uuid: uuid, name_label: str(h.name_label) } } : undefined;
}

/** Polls the coordinator until it lists the host enabled and live. */
async function waitJoined(s: XenSession, uuid: string, label: string, ctx: ProviderContext): Promise<Snapshot> {
  const deadline = Date.now() + JOIN_TIMEOUT_MS;
  for (;;) {
    const snap = await s.snapshot(true, ctx.signal);
    const h = snap.byUuid('host', uuid);
    if (h && bool(h.enabled) && isLive(snap, h)) return snap;
    if (Date.now() > deadline) {
      throw new Error(`${label}: joined, but the coordinator has not listed it ${h ? 'enabled and live' : 'at all'} after ${JOIN_TIMEOUT_MS / 60_000} minutes; check the host's console and network`);
    }
    await sleep(POLL_MS, undefined, { signal: ctx.signal });
  }
}

/**
 * The management placement a join does not carry: when every other host has its management
 * interface on one network and the new host's is elsewhere, move it there (keeping its address).
 * Returns whether it moved.
 */
async function placeManagement(s: XenSession, snap: Snapshot, uuid: string, sshPort: number | undefined, ctx: ProviderContext): Promise<boolean> {
  const [hostRef] = hostByUuid(snap, uuid);
  const own = managementPif(snap, hostRef);
  const nets = new Set<string>();
  for (const [ref] of snap.all('host')) {
    if (ref === hostRef) continue;
    const m = managementPif(snap, ref);
    if (m) nets.add(str(m[1].network));
  }
  if (nets.size !== 1 || !own) return false;
  const [target] = [...nets];
  if (str(own[1].network) === target) return false;
  const pif = own[1];
  ctx.log(`moving the management interface of ${uuid} onto the pool's management network`);
  await moveManagement(s, hostRef, target, ctx, {
    ...(sshPort !== undefined ? { sshPort } : {}),
    ip: {
      ip: str(pif.IP),
      netmask: str(pif.netmask),
      ...(str(pif.gateway) ? { gateway: str(pif.gateway) } : {}),
      ...(str(pif.DNS) ? { dns: str(pif.DNS) } : {}),
    },
  });
  return true;
}

async function create(s: XenSession, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const t = joinTarget(attrs);
  const snap = await s.snapshot(true, ctx.signal);
  // The preflight of the same plan ran these checks, but they are run again here: a saved plan
  // may be applied long after it was made (a VM started, a clock drifted, HA enabled since), and
  // without the member's password in the plan the preflight could only try the provider's
  // credentials.
  const check = await checkJoin(s, snap, t, ctx.signal);
  const errors = check.problems.filter((p) => p.severity === 'error');
  if (errors.length || !check.host) {
    throw new Error(`cannot join ${t.url} to the pool:\n${errors.map((p) => `  - ${p.summary}. ${p.remedy}`).join('\n')}`);
  }
  const { uuid, name } = check.host;
  const label = `host ${name || uuid} (${t.url})`;
  const [, coord] = coordinator(snap);
  const method = t.force ? 'pool.join_force' : 'pool.join';
  let joiner: XapiClient | undefined;
  let task: string | undefined;
  try {
    joiner = await openJoiner(s, t, ctx.signal);
    ctx.log(`${label}: ${method} to ${str(coord.address)}`);
    await joiner.callAsync(method, [str(coord.address), s.config.xapi.username, s.config.xapi.password], { ...callOpts(ctx), onTask: (ref) => ((task = ref), ctx.task?.(ref)) });
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  } finally {
    // After a join its old session is gone; a failed logout is expected.
    await joiner?.logout().catch(() => undefined);
  }
  const joined = await waitJoined(s, uuid, label, ctx);
  let moved: boolean;
  try {
    moved = await placeManagement(s, joined, uuid, t.sshPort, ctx);
  } catch (e) {
    throw new Error(`${label}: joined the pool, but moving its management interface failed: ${(e as Error).message}`);
  }
  const after = moved ? await s.snapshot(true, ctx.signal) : joined;
  const o = observeMember(after, uuid);
  if (!o) throw new Error(`${label}: left the pool again right after joining`);
  return { id: uuid, attrs: { ...configured(attrs), ...o.attrs }, task };
}

export const poolMember: ResourceType = {
  observe: observeEach(observeMember),

  // An adopted member (import block) has no recorded address; the host's own management address
  // stands in, so a configuration naming it the same way does not plan a replacement (an eject).
  importObject(snap, id) {
    const o = observeMember(snap, id);
    const address = str(snap.byUuid('host', id)?.address);
    return o && address ? { id, attrs: { ...o.attrs, address: `https://${address}` } } : o;
  },

  create,

  async update(s, id, _before, after, ctx) {
    // Only poolform-side settings can change in place (address replaces the member).
    const o = observeMember(await s.snapshot(false, ctx.signal), id);
    if (!o) throw new Error(`host ${id} is no longer a member of the pool`);
    return { id, attrs: { ...configured(after), ...o.attrs } };
  },

  async delete(s, id, attrs, ctx) {
    const label = `host ${str(attrs.name_label) || id} (${str(attrs.address)})`;
    if (attrs.allow_eject !== true) {
      throw new Error(
        `${label}: refusing to eject it: ejecting wipes the host and reboots it. To remove it, set allow_eject = true on this member, apply, then remove the member and apply again`,
      );
    }
    const snap = await s.snapshot(true, ctx.signal);
    const found = snap.find('host', (h) => h.uuid === id);
    if (!found) return {}; // already gone
    const [ref] = found;
    if (str(snap.pool()[1].master) === ref) {
      throw new Error(`${label}: it is the pool coordinator and cannot be ejected; make another host coordinator first (xe pool-designate-new-master)`);
    }
    const o = callOpts(ctx);
    try {
      ctx.log(`${label}: disable`);
      await s.xapi.call('host.disable', [ref], o);
      ctx.log(`${label}: evacuate`);
      await s.xapi.callAsync('host.evacuate', [ref], o);
      ctx.log(`${label}: eject`);
      let task: string | undefined;
      await s.xapi.callAsync('pool.eject', [ref], { ...o, onTask: (t) => ((task = t), ctx.task?.(t)) });
      return { task };
    } catch (e) {
      throw new Error(`${label}: ${(e as Error).message}`);
    }
  },

  impact(change) {
    return change.action === 'update' ? 'none' : 'host-reboot';
  },

  // Ejects take a host away for good: one at a time, and never while another host is in
  // maintenance. Joins only add capacity, so they share the coordinator's ordinary queue.
  limit(_attrs, op) {
    return op === 'delete' ? MAINTENANCE_LIMIT : undefined;
  },
};
