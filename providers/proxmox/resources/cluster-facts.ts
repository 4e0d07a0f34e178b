// What the cluster, membership and HA modules read the same way: corosync members with their
// votes and link addresses, quorum arithmetic (votequorum: quorate iff the online votes are more
// than half the expected votes), release majors, property strings ("secure,network=..."), the
// addresses a node's interfaces carry, the outputs of the probes run over SSH (`date`, `ping`),
// the members and release a plan leads to, and the HA objects each release has. Pure functions
// (but clusterRelease, one snapshot read), so the rules are unit-tested without a lab.

import type { Attrs, PlannedChange } from '../../../engine/provider.js';
import { PveApiError, PveTaskError, PveTransportError } from '../client/types.js';
import type { PveSession } from '../session.js';
import type { Rec, Snapshot } from '../snapshot.js';

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function int(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
}

/** The message of anything thrown (PveApiError & co. already name node, call and remedy). */
export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether an error is the API's "no quorum" refusal of a cluster-wide write. */
export function isNoQuorum(e: unknown): boolean {
  const m = e instanceof PveApiError ? e.apiMessage : e instanceof PveTaskError ? e.exitstatus : errText(e);
  return /no quorum|not quorate|cluster not ready/i.test(m);
}

export const QUORUM_REMEDY =
  'the cluster has no quorum, so its configuration is read-only: bring the offline nodes back online (`pvecm status` shows the votes); ' +
  'only if they are gone for good, lower the expected votes on a surviving node (`pvecm expected <n>`) and remove them';

/**
 * An operation's failure as one error naming what was attempted; a quorum refusal gets the
 * quorum remedy if the client did not attach one already.
 */
export function failure(label: string, e: unknown): Error {
  if (e instanceof PveTransportError && e.kind === 'unreachable') return new Error(`${label}: ${e.message}`);
  const text = errText(e);
  const remedy = isNoQuorum(e) && !/pvecm expected/.test(text) ? `. ${QUORUM_REMEDY}` : '';
  return new Error(`${label}: ${text}${remedy}`);
}

/** "10.0.0.1" or "address=10.0.0.1,priority=5" (a corosync link property string) → the address. */
export function linkAddress(v: unknown): string | undefined {
  const s = str(v);
  if (!s) return undefined;
  const props = parsePropertyString(s, 'address');
  return props.address;
}

/**
 * A Proxmox property string ("secure,network=10.0.0.0/24", "ha=static,ha-rebalance-on-start=1")
 * as key → value; a bare first value belongs to `defaultKey`.
 */
export function parsePropertyString(text: string, defaultKey?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (defaultKey && !(defaultKey in out)) out[defaultKey] = p;
      else out[p] = '1';
    } else out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/**
 * A property-string option as the API answers it: GET /cluster/options gives datacenter.cfg
 * parsed (an object: {"type": "secure", "network": ...}); other places send the string itself.
 */
export function propertyValue(v: unknown, defaultKey?: string): Record<string, string> {
  if (typeof v === 'string') return parsePropertyString(v, defaultKey);
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined || x === null) continue;
      out[k] = typeof x === 'boolean' ? (x ? '1' : '0') : String(x);
    }
  }
  return out;
}

/** key=value pairs joined with commas; undefined values are left out. */
export function formatPropertyString(entries: [string, string | number | undefined][]): string {
  return entries
    .filter((e): e is [string, string | number] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** A member of the corosync configuration as poolform reasons about it. */
export interface Member {
  name: string;
  nodeid?: number;
  votes: number;
  /** In the cluster's membership now (/cluster/status online). */
  online: boolean;
  link0?: string;
  link1?: string;
  /** Management address (/cluster/status ip). */
  ip?: string;
}

/** The corosync members (snapshot parts 'status' and 'corosync'), in node-id order. Empty without a cluster. */
export function members(snap: Snapshot): Member[] {
  if (!snap.cluster) return [];
  const out: Member[] = [];
  for (const [name, r] of snap.corosync ?? new Map<string, Rec>()) {
    const st = snap.nodes?.get(name);
    out.push({
      name,
      nodeid: r.nodeid === undefined ? st?.nodeid : int(r.nodeid, 0),
      votes: int(r.quorum_votes, 1),
      online: st?.online ?? false,
      link0: linkAddress(r.ring0_addr ?? r.link0),
      link1: linkAddress(r.ring1_addr ?? r.link1),
      ip: st?.ip,
    });
  }
  // A corosync list that did not answer: fall back on /cluster/status (one vote each).
  if (out.length === 0) for (const n of snap.nodes?.values() ?? []) out.push({ name: n.name, nodeid: n.nodeid, votes: 1, online: n.online, ip: n.ip });
  return out.sort((a, b) => (a.nodeid ?? 1e9) - (b.nodeid ?? 1e9) || a.name.localeCompare(b.name));
}

/** Expected votes (every configured member) and total votes (the members online). */
export function votes(list: Member[]): { expected: number; total: number } {
  let expected = 0;
  let total = 0;
  for (const m of list) {
    expected += m.votes;
    if (m.online) total += m.votes;
  }
  return { expected, total };
}

/** votequorum's rule: more than half of the expected votes. */
export function isQuorate(online: number, expected: number): boolean {
  return expected > 0 && online * 2 > expected;
}

/** One membership step of a plan, in the order the plan lists them. */
export type MembershipStep = { kind: 'join'; node: string; votes: number; address?: string } | { kind: 'remove'; node: string; address?: string };

export interface QuorumProblem {
  step: MembershipStep;
  /** Online and expected votes when the step would run (or right after it, for `after`). */
  online: number;
  expected: number;
  when: 'before' | 'after';
}

/**
 * Walks the plan's joins and removals over the current members: every step is a write of
 * corosync.conf, which needs quorum when it runs, and none may leave the cluster without it.
 * Nodes offline now count as absent (their votes are expected, not online); a removed node takes
 * its votes out of the expected count; a joining node adds its votes to both once it is in.
 */
export function quorumWalk(current: Member[], steps: MembershipStep[]): QuorumProblem[] {
  const state = new Map(current.map((m) => [m.name, { votes: m.votes, online: m.online }]));
  const count = () => {
    let online = 0;
    let expected = 0;
    for (const m of state.values()) {
      expected += m.votes;
      if (m.online) online += m.votes;
    }
    return { online, expected };
  };
  const out: QuorumProblem[] = [];
  for (const step of steps) {
    const before = count();
    if (before.expected > 0 && !isQuorate(before.online, before.expected)) {
      out.push({ step, ...before, when: 'before' });
      continue; // the step would be refused; the walk goes on as if it were not run
    }
    if (step.kind === 'join') state.set(step.node, { votes: step.votes, online: true });
    else state.delete(step.node);
    const after = count();
    if (!isQuorate(after.online, after.expected)) out.push({ step, ...after, when: 'after' });
  }
  return out;
}

/** The major release of "9.1.1", "8.4.1", "pve-manager/9.1.1/abc" (undefined when unreadable). */
export function majorOf(version: unknown): number | undefined {
  const m = /(?:^|\/)(\d+)\.\d+/.exec(String(version ?? ''));
  return m ? Number(m[1]) : undefined;
}

/** The "version" each node reported (snapshot part 'versions'). */
export function versionOf(snap: Snapshot, node: string): string | undefined {
  return str(snap.versions?.get(node)?.version);
}

/**
 * The cluster's release major: the lowest among the members' (what the cluster as a whole
 * supports), or among the given nodes when there is no cluster yet. Undefined when none answered.
 */
export function clusterMajor(snap: Snapshot, extra: string[] = []): { major: number; node: string; version: string } | undefined {
  const names = new Set<string>([...members(snap).map((m) => m.name), ...extra]);
  if (names.size === 0 && snap.apiNode) names.add(snap.apiNode);
  let low: { major: number; node: string; version: string } | undefined;
  for (const node of names) {
    const v = versionOf(snap, node);
    const major = majorOf(v);
    if (v === undefined || major === undefined) continue;
    if (!low || major < low.major) low = { major, node, version: v };
  }
  return low;
}

/** Addresses configured on a node's interfaces (GET /nodes/{node}/network): cidr/address, v4 and v6, without prefix. */
export function interfaceAddresses(ifaces: Rec[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of ifaces) {
    for (const k of ['cidr', 'address', 'cidr6', 'address6']) {
      const v = str(i[k]);
      if (v) out.set(v.split('/')[0]!.toLowerCase(), String(i.iface ?? '?'));
    }
  }
  return out;
}

/** Certificate fingerprint in the API's form: upper-case hex pairs joined by colons. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/^sha256:/i, '').replace(/[^0-9a-f]/gi, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? hex;
}

/** `date +%s.%N` output → milliseconds since the epoch. */
export function parseEpochMs(out: string): number | undefined {
  const t = out.trim();
  if (!/^\d+(\.\d+)?$/.test(t)) return undefined;
  return Number(t) * 1000;
}

/** iputils `ping -q` summary → packet loss (%) and average round trip (ms; absent when nothing came back). */
export function parsePing(out: string): { loss?: number; avgMs?: number } {
  const loss = /([\d.]+)% packet loss/.exec(out);
  const rtt = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out);
  return { loss: loss ? Number(loss[1]) : undefined, avgMs: rtt ? Number(rtt[2]) : undefined };
}

/** "pve1:2" → { node: "pve1", priority: 2 }. */
export function parseNodePriority(entry: string): { node: string; priority?: number } {
  const [node, prio] = entry.split(':');
  return { node: node!.trim(), priority: prio === undefined || prio === '' ? undefined : Number(prio) };
}

/** A node list the API sends as "pve1:2,pve2" (or an array) → ["pve1:2", "pve2"]. */
export function splitList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String).filter((x) => x !== '');
  const s = str(v);
  return s ? s.split(/[,;\s]+/).filter((x) => x !== '') : [];
}

/** A list attribute of the configuration (strings only; unknown entries dropped). */
export function listAttr(attrs: Attrs, name: string): string[] {
  const v = attrs[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The cluster's release major as the HA types need it (groups on 8, rules and failback on 9). */
export async function clusterRelease(s: PveSession, signal?: AbortSignal): Promise<{ major: number; node: string; version: string } | undefined> {
  return clusterMajor(await s.snapshot(['status', 'corosync', 'versions'], signal));
}

/** The first release with HA rules (and without HA groups). */
export const HA_RULES_MAJOR = 9;

/** Why an HA group or rule does not fit the cluster's release (undefined when it does, or the release is unknown). */
export function haReleaseProblem(kind: 'group' | 'rule', rel: { major: number; node: string; version: string } | undefined): { summary: string; detail: string } | undefined {
  if (!rel) return undefined;
  if (kind === 'group' && rel.major >= HA_RULES_MAJOR) {
    return {
      summary: `HA groups do not exist in Proxmox VE ${rel.major}: the cluster runs ${rel.version} (lowest: ${rel.node})`,
      detail: 'Proxmox VE 9 replaced HA groups by HA rules (existing groups were migrated): use proxmox_ha_rule with type = "node-affinity" (nodes with priorities; strict for a restricted group) and failback on proxmox_ha_resource',
    };
  }
  if (kind === 'rule' && rel.major < HA_RULES_MAJOR) {
    return {
      summary: `HA rules need Proxmox VE ${HA_RULES_MAJOR}: the cluster runs ${rel.version} (lowest: ${rel.node})`,
      detail: 'on Proxmox VE 8 use proxmox_ha_group (nodes with priorities, restricted, nofailback), or upgrade every node to Proxmox VE 9 first',
    };
  }
  return undefined;
}

const ACTIVE = (c: PlannedChange): boolean => c.action !== 'noop' && c.action !== 'read';

/** The members the cluster will have after the plan's creation, joins and removals (names; offline members included). */
export function plannedMembers(snap: Snapshot, changes: PlannedChange[]): { names: string[]; joins: string[]; removals: string[]; creator?: string } {
  const names = new Set(members(snap).map((m) => m.name));
  const joins: string[] = [];
  const removals: string[] = [];
  let creator: string | undefined;
  for (const c of changes.filter(ACTIVE)) {
    if (c.type === 'proxmox_cluster' && (c.action === 'create' || c.action === 'replace')) creator = str(c.after?.node) ?? creator;
    if (c.type !== 'proxmox_cluster_node') continue;
    const before = str(c.before?.node) ?? str(c.before?.id);
    const after = str(c.after?.node);
    if ((c.action === 'delete' || c.action === 'replace') && before) removals.push(before);
    if ((c.action === 'create' || c.action === 'replace') && after) joins.push(after);
  }
  if (creator) names.add(creator);
  for (const r of removals) names.delete(r);
  for (const j of joins) names.add(j);
  return { names: [...names], joins, removals, creator };
}

/** The release major the cluster will have after the plan (its members' and the nodes it adds). */
export function plannedRelease(snap: Snapshot, changes: PlannedChange[]): { major: number; node: string; version: string } | undefined {
  const { joins, creator } = plannedMembers(snap, changes);
  return clusterMajor(snap, creator ? [creator, ...joins] : joins);
}

/** The plan's active changes of one type. */
export function activeOf(changes: PlannedChange[], type: string): PlannedChange[] {
  return changes.filter((c) => c.type === type && ACTIVE(c));
}
