// Moving one host's management interface onto another network, safely: give the host's PIF on
// that network static IP config, host.management_reconfigure onto it, then make sure the host
// still answers; if it does not within the provider's management_check_ms, put management back
// over SSH (XAPI cannot reach a host that lost its management interface) and fail naming what
// happened. Used by xenserver_management_interface and by pool members that join a pool whose
// management lives on a bond or VLAN.

import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderContext } from '../../engine/provider.js';
import { TransportError } from './client/types.js';
import type { XenSession } from './session.js';
import type { XapiRecord } from './snapshot.js';
import { addressHost, callOpts, codeOf, hostName, isBondSlave, managementPif, networkLabel, pifOnNetwork, str } from './facts.js';

export interface IpConfig {
  ip: string;
  netmask: string;
  gateway?: string;
  dns?: string;
}

export interface MoveOptions {
  /** Static IP config for the new management PIF; default: the current management PIF's. */
  ip?: IpConfig;
  /** SSH port of this host, for the rollback; default: the provider's ssh_port. */
  sshPort?: number;
}

/** The https URL of a host's XAPI from its `address` (a bare address takes the provider URL's port). */
function hostUrl(s: XenSession, address: string): string {
  if (/^\[.*\]:\d+$/.test(address) || /^[^:]+:\d+$/.test(address)) return `https://${address}`;
  let port = '';
  try {
    port = new URL(s.config.xapi.url).port;
  } catch {
    // a malformed provider URL was refused at connect time; no port then
  }
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `https://${host}${port ? `:${port}` : ''}`;
}

/**
 * One login attempt straight at the host, following nothing. Any XAPI answer (a member answers
 * HOST_IS_SLAVE) or a TLS/host-key complaint means the host is reachable; only a connection that
 * fails or times out means it is not.
 */
async function answers(s: XenSession, url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  try {
    const c = await s.openHost({ url, timeoutMs: Math.max(100, timeoutMs) }, signal);
    await c.logout().catch(() => undefined);
    return true;
  } catch (e) {
    if (signal.aborted) throw e;
    if (e instanceof TransportError) return e.kind !== 'unreachable' && e.kind !== 'timeout';
    return codeOf(e) !== undefined;
  }
}

/** Polls until the host answers or `ms` pass (at least one attempt). */
async function waitAnswering(s: XenSession, url: string, ms: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + ms;
  let pause = 50;
  for (;;) {
    const left = deadline - Date.now();
    if (await answers(s, url, Math.min(left, s.config.xapi.timeoutMs ?? 30_000), signal)) return true;
    const rest = deadline - Date.now();
    if (rest <= 0) return false;
    await sleep(Math.min(pause, rest), undefined, { signal });
    pause = Math.min(pause * 2, 1000);
  }
}

function ipOf(pif: XapiRecord): IpConfig & { mode: string } {
  return { mode: str(pif.ip_configuration_mode) || 'None', ip: str(pif.IP), netmask: str(pif.netmask), gateway: str(pif.gateway), dns: str(pif.DNS) };
}

/**
 * Moves the management interface of `hostRef` onto its PIF on `networkRef` (see the file header).
 * A host already managed on that network is left alone. Throws naming the host and network; when
 * the host stopped answering, the error says it was rolled back and to which network.
 */
export async function moveManagement(s: XenSession, hostRef: string, networkRef: string, ctx: ProviderContext, opts: MoveOptions = {}): Promise<void> {
  const snap = await s.snapshot(true, ctx.signal);
  const host = snap.get('host', hostRef);
  if (!host) throw new Error(`management move: host ${hostRef} is not in the pool`);
  const name = hostName(snap, hostRef);
  const target = networkLabel(snap, networkRef);
  const where = `management interface of host ${name} → network ${target}`;
  const newPif = pifOnNetwork(snap, hostRef, networkRef);
  if (!newPif) throw new Error(`${where}: the host has no PIF on that network (create the bond or VLAN on every host first)`);
  const oldPif = managementPif(snap, hostRef);
  if (oldPif && oldPif[0] === newPif[0]) return;
  if (!oldPif && !opts.ip) throw new Error(`${where}: the host has no management interface to copy IP settings from; give its IP config explicitly`);
  const old = oldPif ? ipOf(oldPif[1]) : undefined;
  const ip: IpConfig = opts.ip ?? { ip: old!.ip, netmask: old!.netmask, gateway: old!.gateway, dns: old!.dns };
  if (!ip.ip || !ip.netmask) throw new Error(`${where}: no IP address/netmask to give the new management PIF (the current one has ${old?.mode ?? 'none'})`);
  const before = ipOf(newPif[1]);
  const oldNetwork = oldPif ? networkLabel(snap, str(oldPif[1].network)) : 'none';

  // The address to watch: the host's own, unless its IP changes with the move.
  const address = str(host.address);
  const watch = hostUrl(s, old && opts.ip && opts.ip.ip !== old.ip && addressHost(address) === old.ip ? address.replace(old.ip, opts.ip.ip) : address);
  const o = callOpts(ctx);
  const restoreNewPif = async (): Promise<string> => {
    try {
      await s.xapi.callAsync('PIF.reconfigure_ip', [newPif[0], before.mode, before.ip, before.netmask, before.gateway, before.dns], o);
      return '';
    } catch (e) {
      return `; restoring the IP settings of ${str(newPif[1].device)} failed: ${(e as Error).message}`;
    }
  };

  ctx.log(`moving the management interface of ${name} to network ${target}`);
  try {
    await s.xapi.callAsync('PIF.reconfigure_ip', [newPif[0], 'Static', ip.ip, ip.netmask, ip.gateway ?? '', ip.dns ?? ''], o);
  } catch (e) {
    throw new Error(`${where}: giving ${str(newPif[1].device)} static IP ${ip.ip} failed: ${(e as Error).message}`, { cause: e });
  }
  let callError: unknown;
  try {
    await s.xapi.callAsync('host.management_reconfigure', [newPif[0]], o);
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    if (!(e instanceof TransportError)) {
      // XAPI refused the move: nothing changed but the new PIF's IP settings.
      throw new Error(`${where}: ${(e as Error).message}${await restoreNewPif()}`, { cause: e });
    }
    callError = e; // the host (maybe the coordinator itself) went quiet mid-call: the check decides
  }

  const checkMs = s.config.managementCheckMs;
  if (await waitAnswering(s, watch, checkMs, ctx.signal)) {
    s.invalidate();
    // Two PIFs must not carry the same address: clear the old one (a bond slave has none to clear).
    if (oldPif && old && old.ip === ip.ip && old.mode !== 'None' && !isBondSlave(oldPif[1])) {
      try {
        await s.xapi.callAsync('PIF.reconfigure_ip', [oldPif[0], 'None', '', '', '', ''], o);
      } catch (e) {
        ctx.log(`${name}: the old management PIF ${str(oldPif[1].device)} keeps IP ${old.ip} (clearing it failed: ${(e as Error).message})`);
      }
    }
    return;
  }

  // The host stopped answering: put management back from its own shell.
  if (!oldPif) throw new Error(`${where}: the host stopped answering for ${checkMs} ms and had no previous management interface to roll back to`);
  const sshHost = addressHost(address);
  const sshPort = opts.sshPort ?? s.config.ssh.port;
  ctx.log(`${name} stopped answering after the move; rolling back to network ${oldNetwork} over SSH (${sshHost}:${sshPort})`);
  let rollback: string;
  try {
    const out = await s.ssh(sshHost, sshPort, `xe host-management-reconfigure pif-uuid=${oldPif[1].uuid}`, ctx.signal);
    if (out.code !== 0) throw new Error(`exit status ${out.code}: ${(out.stderr || out.stdout).trim()}`);
    rollback = '';
  } catch (e) {
    if (ctx.signal.aborted) throw e;
    rollback = (e as Error).message;
  }
  const why = `the host stopped answering for ${checkMs} ms after host.management_reconfigure${callError ? ` (${(callError as Error).message})` : ''}`;
  if (rollback) {
    throw new Error(`${where}: ${why}; rolling back to network ${oldNetwork} over SSH (${sshHost}:${sshPort}) failed: ${rollback}. Restore it from the host's console: xe host-management-reconfigure pif-uuid=${oldPif[1].uuid}`, { cause: callError });
  }
  s.invalidate();
  const back = await waitAnswering(s, watch, checkMs, ctx.signal);
  const restored = back ? await restoreNewPif() : '';
  throw new Error(
    `${where}: ${why}; rolled back to ${oldNetwork}${back ? '' : `, but the host has not answered for another ${checkMs} ms since`}${restored}. Check that network's cabling, switch ports and VLAN before trying again.`,
    { cause: callError },
  );
}
