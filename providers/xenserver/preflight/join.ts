// The pool-join preconditions (seeds 000 and 001), checked against the joining host itself before
// anything changes: log in to it over its own XAPI session, read its records in one request, and
// compare its clock with the coordinator's over SSH. Read-only. Every failing rule is reported
// (not just the first), each naming the host, the rule and the remedy. Used at plan time
// (preflight/pool.ts) and again right before pool.join (resources/pool-member.ts), since a plan
// can be applied long after it was made.

import { TransportError, XapiError, type XapiClient } from '../client/types.js';
import { bool, coordinator, int, isBondMaster, managementPif, str, strMap, vlanTag } from '../facts.js';
import type { XenSession } from '../session.js';
import { readSnapshot, type Snapshot } from '../snapshot.js';

/** Clocks further apart than this fail the join check ("synchronised", as NTP keeps hosts: well within it). */
const MAX_CLOCK_OFFSET_MS = 2_000;

export interface JoinTarget {
  /** https URL of the joining host's XAPI. */
  url: string;
  username: string;
  password: string;
  /** Certificate pin for this host; otherwise the provider block's trust settings. */
  fingerprint?: string;
  sshPort?: number;
  /** pool.join_force: heterogeneous CPU features of the same vendor are accepted. */
  force: boolean;
}

export interface JoinProblem {
  severity: 'error' | 'warning';
  /** Short rule name, as the seeds state it. */
  rule: string;
  /** What is wrong, naming the host. */
  summary: string;
  /** What to do about it. */
  remedy: string;
}

export interface JoinCheck {
  problems: JoinProblem[];
  /** The joining host's own record, when it could be read. */
  host?: { uuid: string; name: string };
}

/** Software that must match whatever the force flag: the platform itself and its database schema. */
const PLATFORM_KEYS = ['product_brand', 'platform_version', 'db_schema'];
/** Release and build: a forced join accepts a difference (XAPI's homogeneity check), as it does CPU features. */
const RELEASE_KEYS = ['product_version', 'build_number', 'git_id'];

function hostPart(urlOrAddress: string): string {
  try {
    return new URL(urlOrAddress.includes('://') ? urlOrAddress : `https://${urlOrAddress}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return urlOrAddress;
  }
}

function sameAddress(a: string, b: string): boolean {
  const norm = (x: string): string => (x.includes('://') ? new URL(x).host : x).toLowerCase();
  try {
    return norm(a) === norm(b);
  } catch {
    return a === b;
  }
}

/** Logs in to the joining host itself with its own credentials and certificate pin. */
export function openJoiner(s: XenSession, t: JoinTarget, signal?: AbortSignal): Promise<XapiClient> {
  return s.openHost({ url: t.url, username: t.username, password: t.password, ...(t.fingerprint ? { fingerprints: [t.fingerprint] } : {}) }, signal);
}

function describeLoginFailure(e: unknown): string {
  if (e instanceof XapiError || e instanceof TransportError) return e.message;
  return (e as Error).message ?? String(e);
}

/**
 * The host's clock (`date +%s.%N`) against ours at the midpoint of the round trip. `login` is the
 * joining host's own root account (dom0's SSH shares it with XAPI), else the provider's SSH login.
 */
async function clockOffset(s: XenSession, host: string, port: number | undefined, login: { username: string; password: string } | undefined, signal?: AbortSignal): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  const t0 = Date.now();
  const out = await s.ssh(host, port, 'date +%s.%N', signal, login);
  const t1 = Date.now();
  if (out.code !== 0) throw new Error(`\`date +%s.%N\` exited with ${out.code}${out.stderr ? `: ${out.stderr.trim()}` : ''}`);
  const remote = Number(out.stdout.trim()) * 1000;
  if (!Number.isFinite(remote)) throw new Error(`\`date +%s.%N\` printed "${out.stdout.trim()}"`);
  return { offsetMs: remote - (t0 + t1) / 2, uncertaintyMs: (t1 - t0) / 2 };
}

/**
 * Checks every join precondition for `t` against the pool in `snap`. Never throws for a failing
 * rule or an unreachable host: those are problems in the result.
 */
export async function checkJoin(s: XenSession, snap: Snapshot, t: JoinTarget, signal?: AbortSignal): Promise<JoinCheck> {
  const problems: JoinProblem[] = [];
  let label = t.url;
  const add = (rule: string, what: string, remedy: string, severity: JoinProblem['severity'] = 'error'): void => {
    problems.push({ severity, rule, summary: `${label}: ${rule}: ${what}`, remedy });
  };
  const [coordRef, coordHost] = coordinator(snap);
  const [, pool] = snap.pool();

  let client: XapiClient;
  try {
    client = await openJoiner(s, t, signal);
  } catch (e) {
    if (e instanceof XapiError && e.code === 'HOST_IS_SLAVE') {
      const master = e.params[0] ?? '';
      const ours = sameAddress(master, str(coordHost.address)) || sameAddress(master, s.xapi.url);
      add(
        'not a member of another pool',
        ours ? 'the host is already a member of this pool' : `the host is a member of the pool coordinated by ${master}`,
        ours
          ? 'adopt it instead of joining it: an import block (to = this resource, id = the host uuid), or remove this resource'
          : `eject it from that pool first (xe pool-eject on ${master}; this wipes it), then plan again`,
      );
    } else if (e instanceof XapiError && e.code === 'SESSION_AUTHENTICATION_FAILED') {
      add('login to the joining host', describeLoginFailure(e), 'check username and password of this member (they are the joining host\'s own credentials)');
    } else {
      add('login to the joining host', describeLoginFailure(e), 'check the address, that the host is up, and tls_fingerprint (or the provider block\'s trust settings)');
    }
    return { problems };
  }

  let joiner: Snapshot;
  try {
    joiner = await readSnapshot(client, undefined, signal);
  } catch (e) {
    add('read the joining host', describeLoginFailure(e), 'check that the account is a pool administrator on the joining host');
    return { problems };
  } finally {
    await client.logout().catch(() => undefined);
  }

  // Its own host: a standalone host's pool names it as master.
  const [, jPool] = joiner.pool();
  const jRef = str(jPool.master);
  const jHost = joiner.get('host', jRef) ?? joiner.all('host')[0]?.[1];
  if (!jHost) {
    add('read the joining host', 'the host reported no host record', 'check the address: it must be a XenServer host');
    return { problems };
  }
  label = `host ${str(jHost.name_label) || jHost.uuid} (${t.url})`;
  const host = { uuid: jHost.uuid, name: str(jHost.name_label) };

  if (jPool.uuid === pool.uuid || snap.byUuid('host', jHost.uuid)) {
    add('not a member of another pool', 'the host is already a member of this pool', 'adopt it with an import block (id = ' + jHost.uuid + ') or remove this resource');
    return { problems, host };
  }
  const others = joiner.all('host').filter(([r]) => r !== jRef);
  if (others.length) {
    add('not a member of another pool', `the host coordinates a pool of ${others.length + 1} hosts`, 'eject its members or pick a standalone host; a pool coordinator cannot join another pool');
  }

  if (bool(pool.ha_enabled)) {
    add('HA disabled while joining', 'HA is enabled on the pool', 'disable HA (xenserver_ha enabled = false), apply, join the host, then enable HA again');
  }

  // The tools ISO SR every host has is shared by definition; XAPI does not count it.
  const shared = joiner.filter('SR', (sr) => bool(sr.shared) && !bool(sr.is_tools_sr));
  if (shared.length) {
    add('no shared storage', `the host has shared SRs: ${shared.map(([, sr]) => `"${str(sr.name_label)}" (${sr.uuid})`).join(', ')}`, 'forget or destroy these SRs on the joining host; after joining it gets the pool\'s shared SRs');
  }

  const guests = joiner.filter('VM', (vm) => !bool(vm.is_control_domain) && !bool(vm.is_a_template) && !bool(vm.is_a_snapshot));
  const running = guests.filter(([, vm]) => ['Running', 'Paused', 'Suspended'].includes(str(vm.power_state)));
  if (running.length) {
    add('no running or suspended VMs', `VMs not halted: ${running.map(([, vm]) => `"${str(vm.name_label)}" (${str(vm.power_state)})`).join(', ')}`, 'shut these VMs down (or move them away) before joining');
  }
  const busy = joiner.filter('VM', (vm) => Object.keys(strMap(vm.current_operations)).length > 0);
  const hostOps = Object.values(strMap(jHost.current_operations));
  if (busy.length || hostOps.length) {
    const what = [...busy.map(([, vm]) => `"${str(vm.name_label)}" (${Object.values(strMap(vm.current_operations)).join(', ')})`), ...(hostOps.length ? [`the host (${hostOps.join(', ')})`] : [])];
    add('no operations in progress', `operations running on ${what.join(', ')}`, 'wait for them to finish (or cancel their tasks), then apply again');
  }

  const jMgmt = managementPif(joiner, jRef);
  const cMgmt = managementPif(snap, coordRef);
  if (!jMgmt) {
    add('static management IP', 'the host has no management interface', 'configure a management interface with a static IP on the joining host');
  } else {
    const [jMgmtRef, jPif] = jMgmt;
    const bonds = joiner.all('Bond');
    const mgmtBonded = isBondMaster(jPif) || bonds.some(([, b]) => b.master === jMgmtRef);
    if (mgmtBonded) {
      add('management interface not bonded', 'the management interface is a bond', 'move management to a plain NIC on the joining host and remove the bond; bond it again after joining (xenserver_bond)');
    } else if (bonds.length) {
      add('no bonds', `the host has ${bonds.length} bond(s)`, 'remove the bonds on the joining host; the pool\'s bonds are recreated on it when it joins');
    }
    const mode = str(jPif.ip_configuration_mode);
    if (mode !== 'Static') {
      add('static management IP', `the management interface's IP mode is ${mode || 'None'}`, `give it a static address (xe pif-reconfigure-ip mode=static uuid=${jPif.uuid} IP=... netmask=... gateway=...)`);
    }
    if (cMgmt) {
      const want = vlanTag(cMgmt[1]);
      const got = vlanTag(jPif);
      if (want !== got) {
        const tag = (n: number): string => (n < 0 ? 'untagged' : `VLAN ${n}`);
        add('same management VLAN', `its management interface is ${tag(got)}, the pool's is ${tag(want)}`, `put the joining host's management interface on ${tag(want)}`);
      }
    }
    const extraVlans = joiner.filter('PIF', (p, ref) => vlanTag(p) >= 0 && ref !== jMgmtRef);
    if (extraVlans.length) {
      add('no VLANs besides management', `the host has VLAN interfaces (${extraVlans.map(([, p]) => vlanTag(p)).join(', ')})`, 'remove them on the joining host; the pool\'s VLANs are recreated on it when it joins');
    }
  }

  const cv = strMap(coordHost.software_version);
  const jv = strMap(jHost.software_version);
  const differ = (keys: string[]): string[] => keys.filter((k) => (k in cv || k in jv) && cv[k] !== jv[k]).map((k) => `${k} ${jv[k] ?? '(none)'} vs the pool's ${cv[k] ?? '(none)'}`);
  const hard = differ(PLATFORM_KEYS);
  const apiC = `${int(coordHost.API_version_major)}.${int(coordHost.API_version_minor)}`;
  const apiJ = `${int(jHost.API_version_major)}.${int(jHost.API_version_minor)}`;
  if (apiC !== apiJ) hard.push(`API ${apiJ} vs the pool's ${apiC}`);
  const soft = differ(RELEASE_KEYS);
  const upgrade = 'update the joining host (or the pool) so both run the same release with the same updates';
  if (hard.length) add('same version and patch level', [...hard, ...soft].join('; '), upgrade);
  else if (soft.length) {
    if (t.force) add('same version and patch level', `${soft.join('; ')}; joining with force`, upgrade, 'warning');
    else add('same version and patch level', soft.join('; '), `${upgrade} (or set force = true to join anyway)`);
  }

  const cc = strMap(coordHost.cpu_info);
  const jc = strMap(jHost.cpu_info);
  if ((cc.vendor ?? '') !== (jc.vendor ?? '')) {
    add('same CPU vendor', `CPU vendor ${jc.vendor || '(unknown)'}, the pool's is ${cc.vendor || '(unknown)'}`, 'pick a host with the same CPU vendor; even a forced join cannot mix vendors');
  } else {
    const feat = (c: Record<string, string>): string => c.features_hvm ?? c.features ?? '';
    if (feat(cc) !== feat(jc)) {
      if (t.force) add('homogeneous CPU features', 'CPU features differ from the pool\'s; joining with force (the pool levels CPU features down)', 'none needed; VMs started before the join keep their feature set', 'warning');
      else add('homogeneous CPU features', 'CPU features differ from the pool\'s', 'set force = true to join a heterogeneous host of the same vendor (pool.join_force)');
    }
  }

  // Clock: both hosts asked over SSH at about the same time; compared as offsets to our clock.
  try {
    const own = t.password !== s.config.xapi.password || t.username !== s.config.xapi.username ? { username: t.username, password: t.password } : undefined;
    const [jc2, cc2] = await Promise.all([clockOffset(s, hostPart(t.url), t.sshPort, own, signal), clockOffset(s, hostPart(s.xapi.url), undefined, undefined, signal)]);
    const skew = jc2.offsetMs - cc2.offsetMs;
    if (Math.abs(skew) > MAX_CLOCK_OFFSET_MS + jc2.uncertaintyMs + cc2.uncertaintyMs) {
      add('clock in sync with the coordinator', `its clock is ${(skew / 1000).toFixed(1)} s ${skew > 0 ? 'ahead of' : 'behind'} the coordinator's`, 'synchronise both clocks (NTP) before joining');
    }
  } catch (e) {
    add('clock in sync with the coordinator', `the clock could not be compared over SSH: ${(e as Error).message}`, 'check SSH access to both hosts (ssh_port, credentials, and their keys in known_hosts)');
  }

  return { problems, host };
}
