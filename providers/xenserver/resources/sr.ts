// xenserver_sr: a shared NFS / iSCSI-LVM storage repository with a plugged PBD on every host.
// Created on the coordinator (SR.create shared=true), then every host's PBD is made and plugged
// (a host missing one, e.g. one that joined while it was unplugged, is repaired by update). The
// CHAP password travels as an XAPI secret (device_config chappassword_secret), never as plain
// device_config, and is never read back. Delete unplugs the PBDs then destroys the SR, or forgets
// it (storage keeps its data) with forget_on_destroy; both refuse while a VDI on it is in use by
// a running VM.

import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { Diagnostic } from '../../../engine/diagnostics.js';
import type { XenSession } from '../session.js';
import type { Snapshot } from '../snapshot.js';
import type { ResourceType } from './types.js';
import { bool, callOpts, codeOf, coordinatorRef, hostName, hostsInOrder, inContext, int, isRef, str, strMap, type Entry } from '../facts.js';
import { observeEach, rereadAfterWrite, setNames } from './common-steps.js';

/** device_config keys poolform keeps to itself (the secret's uuid stands for the password). */
const INTERNAL_KEYS = ['chappassword', 'chappassword_secret'];

function pbdsOf(snap: Snapshot, srRef: string): Entry[] {
  return snap.filter('PBD', (p) => p.SR === srRef);
}

/** The PBD that says what the SR was created with: the coordinator's, else any. */
function mainPbd(snap: Snapshot, pbds: Entry[]): Entry | undefined {
  const master = coordinatorRef(snap);
  return pbds.find(([, p]) => p.host === master) ?? pbds[0];
}

function observeOne(snap: Snapshot, id: string): Observed | undefined {
  const ref = snap.refOf(id);
  const sr = ref ? snap.get('SR', ref) : undefined;
  if (!ref || !sr) return undefined;
  const pbds = pbdsOf(snap, ref);
  const byHost: Record<string, { uuid: string; currently_attached: boolean }> = {};
  for (const [, p] of pbds) {
    const h = isRef(p.host) ? snap.get('host', p.host) : undefined;
    if (h) byHost[h.uuid] = { uuid: p.uuid, currently_attached: bool(p.currently_attached) };
  }
  const hosts = snap.all('host');
  const poolWide = hosts.every(([, h]) => byHost[h.uuid]?.currently_attached === true);
  const main = mainPbd(snap, pbds);
  const dc = main ? strMap(main[1].device_config) : {};
  for (const k of INTERNAL_KEYS) delete dc[k];
  return {
    id,
    attrs: {
      id,
      name_label: str(sr.name_label),
      name_description: str(sr.name_description),
      type: str(sr.type),
      device_config: dc,
      content_type: str(sr.content_type),
      shared: bool(sr.shared),
      pool_wide: poolWide,
      pbds: byHost,
      physical_size: int(sr.physical_size),
    },
  };
}

function read(s: XenSession, refOrUuid: string, signal: AbortSignal): Promise<Observed> {
  return rereadAfterWrite(s, 'SR', 'xenserver_sr', refOrUuid, observeOne, signal);
}

/** Creates the PBDs hosts lack and plugs every unplugged one (one host at a time). */
async function ensurePbds(s: XenSession, srRef: string, what: string, ctx: ProviderContext, secrets: string[]): Promise<void> {
  const snap = await s.snapshot(true, ctx.signal);
  const pbds = pbdsOf(snap, srRef);
  const template = mainPbd(snap, pbds);
  if (!template) throw new Error(`${what}: the SR has no PBD to copy its device_config from`);
  const o = callOpts(ctx);
  for (const [hostRef] of hostsInOrder(snap)) {
    const host = hostName(snap, hostRef);
    let pbd = pbds.find(([, p]) => p.host === hostRef);
    try {
      if (!pbd) {
        ctx.log(`${what}: creating the PBD of ${host}`);
        const ref = await s.xapi.call<string>('PBD.create', [{ host: hostRef, SR: srRef, device_config: strMap(template[1].device_config), other_config: {} }], o);
        pbd = [ref, { uuid: '', currently_attached: false }];
      }
      if (!bool(pbd[1].currently_attached)) {
        ctx.log(`${what}: plugging the PBD of ${host}`);
        await s.xapi.callAsync('PBD.plug', [pbd[0]], o);
      }
    } catch (e) {
      throw inContext(`${what}: PBD on host ${host}`, e, secrets);
    }
  }
}

/** VMs not halted (running, paused, suspended) with a disk on the SR, as "name (uuid)". */
function runningUsers(snap: Snapshot, srRef: string): string[] {
  const vdis = new Set(snap.filter('VDI', (v) => v.SR === srRef).map(([ref]) => ref));
  const out = new Set<string>();
  for (const [, vbd] of snap.filter('VBD', (b) => isRef(b.VDI) && vdis.has(b.VDI))) {
    const vm = isRef(vbd.VM) ? snap.get('VM', vbd.VM) : undefined;
    const state = str(vm?.power_state);
    if (vm && state !== '' && state !== 'Halted') out.add(`"${str(vm.name_label)}" (${vm.uuid})`);
  }
  return [...out].sort();
}

/** Unplugs every PBD, then destroys or forgets the SR; PBDs go too when XAPI insists. */
async function removeSr(s: XenSession, srRef: string, forget: boolean, what: string, ctx: ProviderContext): Promise<string | undefined> {
  const snap = await s.snapshot(true, ctx.signal);
  const o = callOpts(ctx);
  for (const [ref, p] of pbdsOf(snap, srRef)) {
    if (!bool(p.currently_attached)) continue;
    try {
      await s.xapi.callAsync('PBD.unplug', [ref], o);
    } catch (e) {
      throw inContext(`${what}: unplugging the PBD of host ${hostName(snap, str(p.host))}`, e);
    }
  }
  const method = forget ? 'SR.forget' : 'SR.destroy';
  let task: string | undefined;
  const run = () => s.xapi.callAsync(method, [srRef], callOpts(ctx, (t) => (task = t)));
  try {
    await run();
  } catch (e) {
    if (codeOf(e) !== 'SR_HAS_PBD') throw inContext(`${what}: ${method}`, e);
    for (const [ref] of pbdsOf(snap, srRef)) await s.xapi.call('PBD.destroy', [ref], o).catch(() => undefined);
    try {
      await run();
    } catch (e2) {
      throw inContext(`${what}: ${method}`, e2);
    }
  }
  return task;
}

/** Observation cannot see forget_on_destroy (it lives only in poolform), so results carry it from the configuration. */
function withConfigOnly(observed: Attrs, config: Attrs): Attrs {
  return { ...observed, forget_on_destroy: config.forget_on_destroy === true };
}

async function destroySecret(s: XenSession, uuid: string, ctx: ProviderContext): Promise<void> {
  try {
    const ref = await s.xapi.call<string>('secret.get_by_uuid', [uuid], callOpts(ctx));
    await s.xapi.call('secret.destroy', [ref], callOpts(ctx));
  } catch {
    // already gone (or never stored): nothing to leak
  }
}

export const sr: ResourceType = {
  observe: observeEach(observeOne),

  async create(s, attrs, ctx) {
    const name = str(attrs.name_label);
    const type = str(attrs.type);
    const chap = str(attrs.chap_password);
    const snap = await s.snapshot(false, ctx.signal);
    const master = coordinatorRef(snap);
    const what = `xenserver_sr "${name}" (${type})`;
    if (chap && type !== 'lvmoiscsi') throw new Error(`${what}: chap_password applies to lvmoiscsi SRs only`);
    const dc = strMap(attrs.device_config);
    for (const k of INTERNAL_KEYS) delete dc[k];
    const o = callOpts(ctx);
    let secretUuid: string | undefined;
    if (chap) {
      const ref = await s.xapi.call<string>('secret.create', [{ value: chap, other_config: { purpose: `CHAP password of SR ${name}` } }], o);
      secretUuid = await s.xapi.call<string>('secret.get_uuid', [ref], o);
      dc.chappassword_secret = secretUuid;
    }
    let task: string | undefined;
    let srRef: string;
    try {
      srRef = await s.xapi.callAsync(
        'SR.create',
        [master, dc, 0, name, str(attrs.name_description), type, str(attrs.content_type) || 'user', true, {}],
        callOpts(ctx, (t) => (task = t)),
      );
    } catch (e) {
      if (secretUuid) await destroySecret(s, secretUuid, ctx);
      throw inContext(`${what} on coordinator ${hostName(snap, master)}: SR.create`, e, [chap]);
    }
    try {
      await ensurePbds(s, srRef, what, ctx, [chap]);
    } catch (e) {
      // Nothing half-made stays behind: the SR goes again (its PBDs unplugged first).
      await removeSr(s, srRef, false, what, ctx).catch(() => undefined);
      if (secretUuid) await destroySecret(s, secretUuid, ctx);
      throw e;
    }
    const got = await read(s, srRef, ctx.signal);
    return { id: got.id, attrs: withConfigOnly(got.attrs, attrs), task };
  },

  async update(s, id, _before, after, ctx) {
    const snap = await s.snapshot(false, ctx.signal);
    const ref = snap.refOf(id);
    if (!ref || !snap.get('SR', ref)) throw new Error(`xenserver_sr ${id} no longer exists`);
    const what = `xenserver_sr "${str(after.name_label)}" (${id})`;
    const o = callOpts(ctx);
    const now = observeOne(snap, id)!.attrs;
    try {
      await setNames(s, 'SR', ref, now, after, o);
      if (now.shared !== true) await s.xapi.call('SR.set_shared', [ref, true], o);
    } catch (e) {
      throw inContext(what, e);
    }
    if (now.pool_wide !== true) await ensurePbds(s, ref, what, ctx, []);
    const got = await read(s, id, ctx.signal);
    return { id, attrs: withConfigOnly(got.attrs, after) };
  },

  async delete(s, id, attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const ref = snap.refOf(id);
    if (!ref || !snap.get('SR', ref)) return {};
    const what = `xenserver_sr "${str(attrs.name_label) || str(snap.get('SR', ref)?.name_label)}" (${id})`;
    const users = runningUsers(snap, ref);
    if (users.length) {
      throw new Error(`${what} cannot be deleted: disks on it are in use by running VMs ${users.join(', ')}; shut them down or move their disks first`);
    }
    const secret = pbdsOf(snap, ref).map(([, p]) => strMap(p.device_config).chappassword_secret).find((x) => !!x);
    const task = await removeSr(s, ref, attrs.forget_on_destroy === true, what, ctx);
    if (secret) await destroySecret(s, secret, ctx);
    return { task };
  },

  async preflight(changes: PlannedChange[], snap: Snapshot) {
    const out: Diagnostic[] = [];
    for (const c of changes) {
      if ((c.action === 'delete' || c.action === 'replace') && c.before && typeof c.before.id === 'string') {
        const ref = snap.refOf(c.before.id);
        const users = ref ? runningUsers(snap, ref) : [];
        if (users.length) {
          out.push({
            severity: 'error',
            address: c.address,
            summary: `${c.action === 'delete' ? 'Deleting' : 'Replacing'} SR "${str(c.before.name_label)}" would pull disks from running VMs`,
            detail: `Disks on it are in use by running VMs ${users.join(', ')}. Shut them down or move their disks to another SR first.`,
          });
        }
      }
      if ((c.action === 'create' || c.action === 'replace') && c.after) {
        const dc = c.after.device_config;
        const needed = c.after.type === 'nfs' ? ['server', 'serverpath'] : c.after.type === 'lvmoiscsi' ? ['target', 'targetIQN', 'SCSIid'] : [];
        if (dc && typeof dc === 'object' && !('(known after apply)' in dc)) {
          const missing = needed.filter((k) => !(k in dc));
          if (missing.length) {
            out.push({ severity: 'error', address: c.address, summary: `device_config of a ${str(c.after.type)} SR lacks ${missing.join(', ')}`, detail: `A ${str(c.after.type)} SR needs ${needed.join(', ')} in device_config.` });
          }
        }
      }
    }
    return out;
  },

  // Deleting or replacing an SR in use is refused, so no running workload is touched.
  impact() {
    return 'none';
  },
};
