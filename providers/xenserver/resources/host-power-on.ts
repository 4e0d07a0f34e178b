// xenserver_host_power_on: how a host is powered on remotely (host.power_on_mode / power_on_config,
// set together with host.set_power_on_mode). A controller password (DRAC) is stored as an XAPI
// secret and referenced from the config as power_on_password_secret = <secret uuid> (seed 000);
// it is never returned, so it never reaches state or plans. That key is poolform's to manage, so
// observation leaves it out of `config` and the user may not set it.

import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import { XapiError } from '../client/types.js';
import { callOpts, hostAt, str, strMap } from '../facts.js';
import { hostSettingsOps } from './common-steps.js';
import type { XenSession } from '../session.js';
import type { Snapshot, XapiRecord } from '../snapshot.js';
import type { ResourceType } from './types.js';

export const SECRET_KEY = 'power_on_password_secret';

function userConfig(h: XapiRecord): Record<string, string> {
  const c = strMap(h.power_on_config);
  delete c[SECRET_KEY];
  return c;
}

function observeHost(snap: Snapshot, uuid: string): Observed | undefined {
  const h = snap.byUuid('host', uuid);
  return h ? { id: uuid, attrs: { id: uuid, mode: str(h.power_on_mode), config: userConfig(h) } } : undefined;
}

function wantedConfig(attrs: Attrs, label: string): Record<string, string> {
  const c = strMap(attrs.config);
  if (SECRET_KEY in c) throw new Error(`${label}: config must not set ${SECRET_KEY}; give the password in \`password\` and poolform stores it as a secret`);
  return c;
}

/** The secret the host's config references, if it still exists. */
function currentSecret(snap: Snapshot, h: XapiRecord): [string, XapiRecord] | undefined {
  const uuid = strMap(h.power_on_config)[SECRET_KEY];
  if (!uuid) return undefined;
  const ref = snap.refOf(uuid);
  const rec = snap.byUuid('secret', uuid);
  return ref && rec ? [ref, rec] : undefined;
}

/**
 * Sets mode and config; stores `password` as a new secret unless the current secret already
 * holds it, and destroys a secret the host no longer references (after the switch, so the host
 * is never left pointing at nothing).
 */
async function apply(s: XenSession, hostRef: string, host: XapiRecord, attrs: Attrs, ctx: ProviderContext, snap: Snapshot): Promise<void> {
  const label = `host ${str(host.name_label) || host.uuid}: power-on`;
  const o = callOpts(ctx);
  const config = wantedConfig(attrs, label);
  const old = currentSecret(snap, host);
  const password = typeof attrs.password === 'string' && attrs.password !== '' ? attrs.password : undefined;
  let keep: string | undefined;
  try {
    if (password !== undefined) {
      if (old && str(old[1].value) === password) keep = old[1].uuid;
      else {
        const ref = await s.xapi.call<string>('secret.create', [{ value: password, other_config: { purpose: 'host power-on password', host: host.uuid } }], o);
        keep = await s.xapi.call<string>('secret.get_uuid', [ref], o);
      }
      config[SECRET_KEY] = keep;
    }
    await s.xapi.call('host.set_power_on_mode', [hostRef, str(attrs.mode), config], o);
    // XAPI itself destroys secrets the old config referenced; destroy it where it did not.
    if (old && old[1].uuid !== keep) {
      await s.xapi.call('secret.destroy', [old[0]], o).catch((e: unknown) => {
        if (!(e instanceof XapiError && e.code === 'HANDLE_INVALID')) throw e;
      });
    }
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}`);
  }
}

async function converge(s: XenSession, snap: Snapshot, hostRef: string, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const host = hostAt(snap, hostRef);
  await apply(s, hostRef, host, attrs, ctx, snap);
  const o = observeHost(await s.snapshot(true, ctx.signal), host.uuid)!;
  return { id: host.uuid, attrs: { ...o.attrs, host: attrs.host } };
}

export const hostPowerOn: ResourceType = {
  ...hostSettingsOps(observeHost, converge),

  async delete(s, id, _attrs, ctx) {
    const snap = await s.snapshot(true, ctx.signal);
    const found = snap.find('host', (h) => h.uuid === id);
    if (!found) return {};
    await apply(s, found[0], found[1], { mode: '', config: {} }, ctx, snap);
    return {};
  },

  impact() {
    return 'none';
  },
};
