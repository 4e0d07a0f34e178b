// xenserver_network: a pool-wide network (network.create). Name and MTU change in place; an MTU
// change reaches the PIFs when they are replugged, so it is planned as a network blip. Deleting a
// network a bond or VLAN still uses is refused by XAPI; the error says which PIFs hold it.

import type { Observed, PlannedChange } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { ResourceType } from './types.js';
import type { Snapshot } from '../snapshot.js';
import { callOpts, codeOf, hostName, inContext, int, isBondMaster, isRef, str } from '../facts.js';
import { observeEach, rereadAfterWrite, setNames } from './common-steps.js';

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const n = snap.byUuid('network', id);
  if (!n) return undefined;
  return { id, attrs: { id, name_label: str(n.name_label), name_description: str(n.name_description), mtu: int(n.MTU, 1500), bridge: str(n.bridge) } };
}

/** The network as it is now, by ref or uuid (a fresh read: the step just changed it). */
function read(s: XenSession, refOrUuid: string, signal: AbortSignal): Promise<Observed> {
  return rereadAfterWrite(s, 'network', 'xenserver_network', refOrUuid, observeOne, signal);
}

/** Which bonds/VLANs hold PIFs on the network, for a refusal that says what to remove first. */
function usersOf(snap: Snapshot, networkRef: string): string[] {
  const out: string[] = [];
  for (const [, p] of snap.filter('PIF', (p) => p.network === networkRef)) {
    const what = isBondMaster(p) ? 'bond' : isRef(p.VLAN_master_of) ? `VLAN ${int(p.VLAN, -1)}` : `PIF ${str(p.device)}`;
    out.push(`${what} on ${hostName(snap, str(p.host))}`);
  }
  return out;
}

export const network: ResourceType = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const what = `xenserver_network "${str(attrs.name_label)}"`;
    let ref: string;
    try {
      ref = await s.xapi.call<string>(
        'network.create',
        [{ name_label: str(attrs.name_label), name_description: str(attrs.name_description), MTU: int(attrs.mtu, 1500), other_config: {}, tags: [] }],
        callOpts(ctx),
      );
    } catch (e) {
      throw inContext(`${what}: network.create`, e);
    }
    return read(s, ref, ctx.signal);
  },

  async update(s, id, before, after, ctx) {
    const snap = await s.snapshot(false, ctx.signal);
    const ref = snap.refOf(id);
    if (!ref) throw new Error(`xenserver_network ${id} no longer exists`);
    const what = `xenserver_network "${str(after.name_label)}" (${id})`;
    const o = callOpts(ctx);
    try {
      await setNames(s, 'network', ref, before, after, o);
      if (int(before.mtu) !== int(after.mtu, 1500)) await s.xapi.call('network.set_MTU', [ref, int(after.mtu, 1500)], o);
    } catch (e) {
      throw inContext(what, e);
    }
    return read(s, id, ctx.signal);
  },

  async delete(s, id, attrs, ctx) {
    const snap = await s.snapshot(false, ctx.signal);
    const ref = snap.refOf(id);
    if (!ref || !snap.get('network', ref)) return {};
    const what = `xenserver_network "${str(attrs.name_label)}" (${id})`;
    try {
      await s.xapi.call('network.destroy', [ref], callOpts(ctx));
    } catch (e) {
      const code = codeOf(e);
      if (code === 'NETWORK_CONTAINS_PIF' || code === 'NETWORK_CONTAINS_VIF' || code === 'PIF_IN_USE') {
        const users = usersOf(snap, ref);
        const vifs = code === 'NETWORK_CONTAINS_VIF' ? ' VM interfaces are connected to it;' : '';
        throw inContext(
          `${what} cannot be deleted:${vifs}${users.length ? ` it is still used by ${users.join(', ')};` : ''} delete the bonds/VLANs on it (and disconnect VMs) first`,
          e,
        );
      }
      throw inContext(what, e);
    }
    return {};
  },

  impact(change: PlannedChange) {
    if (change.action === 'update' && change.changedPaths.some((p) => p[0] === 'mtu')) return 'network-blip';
    if (change.action === 'replace') return 'network-blip';
    return 'none';
  },
};
