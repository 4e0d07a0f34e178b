// proxmox_node_network: the bridges, bonds and VLANs of one node. An apply refuses to start while
// the node holds staged changes someone else made (applying them would apply theirs too); stages
// every edit (network-plan.ts orders them) and applies them with ONE reload; when the edits move
// the node's management address or a corosync link address, the reload is guarded
// (network-guard.ts: saved config, connectivity check, rollback over SSH). Any failure while
// staging reverts the staged edits (DELETE /nodes/{node}/network), so nothing half-done stays.
// Steps of this type run one node at a time, so a rolling change never has two nodes' links
// down at once. Preflight checks bond modes against Linux/OVS, members, the order of blocks, the
// addresses the change touches (SSH for the rollback, quorum without the node).

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import { UNKNOWN_MARK, type Attrs, type Observed, type PlannedChange, type ProviderContext } from '../../../engine/provider.js';
import { PveApiError } from '../client/types.js';
import { reload, saveRunning, sshConfigured, type Guarded } from '../network-guard.js';
import {
  blocksAsAttrs,
  byName,
  declaredNames,
  dottedVlan,
  isPhysical,
  normalize,
  observeBlocks,
  planEdits,
  touchedAddresses,
  wanted,
  type NetEdit,
  type NodeBlocks,
} from '../network-plan.js';
import { bondModes } from '../platform-rules.js';
import type { PveSession } from '../session.js';
import type { Rec, Snapshot } from '../snapshot.js';
import type { PveResourceType } from './types.js';

const TYPE = 'proxmox_node_network';

function isUnknown(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (UNKNOWN_MARK in (v as object)) return true;
  return Object.values(v as object).some(isUnknown);
}

function netPath(node: string, iface?: string): string {
  return `/nodes/${encodeURIComponent(node)}/network${iface ? `/${encodeURIComponent(iface)}` : ''}`;
}

/** The first lines of a staged diff, for messages. */
function summary(diff: string, lines = 12): string {
  const all = diff.split('\n').filter((l) => /^[+-](?![+-])/.test(l));
  const shown = all.slice(0, lines).map((l) => `    ${l}`);
  return `${shown.join('\n')}${all.length > lines ? `\n    ... (${all.length - lines} more changed lines)` : ''}`;
}

function foreignChanges(node: string, diff: string): string {
  return (
    `node ${node} has staged network changes that poolform did not make (applying now would apply them too):\n${summary(diff)}\n` +
    `Apply them (node ${node} → System → Network → Apply Configuration, or PUT /nodes/${node}/network) or revert them (Revert, or DELETE /nodes/${node}/network), then run again.`
  );
}

/** The addresses the node is reached by: management (cluster status, API host) and corosync links. */
async function guardedIps(s: PveSession, node: string, signal?: AbortSignal): Promise<{ ips: Map<string, string>; clustered: boolean; snap: Snapshot }> {
  const snap = await s.snapshot(['status', 'corosync'], signal);
  const ips = new Map<string, string>();
  const add = (ip: unknown, role: string) => {
    if (typeof ip === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(ip) && !ips.has(ip)) ips.set(ip, role);
  };
  add(snap.nodes?.get(node)?.ip, 'management address');
  try {
    add(new URL(s.nodeConfig(node).api.url).hostname, 'management address (API)');
  } catch {
    // a malformed URL was refused when the provider block was read
  }
  const ring = snap.corosync?.get(node);
  for (let i = 0; i < 8; i++) add(ring?.[`ring${i}_addr`], `corosync link ${i}`);
  return { ips, clustered: !!snap.cluster, snap };
}

function guardedOf(staged: Rec[], edits: NetEdit[], ips: Map<string, string>): Guarded[] {
  return touchedAddresses(staged, edits, [...ips.keys()]).map((t) => ({ ...t, role: ips.get(t.ip)! }));
}

async function readNetwork(s: PveSession, node: string, signal?: AbortSignal): Promise<{ ifaces: Rec[]; changes?: string }> {
  const c = await s.client(node, signal);
  const env = await c.getEnvelope<Rec[]>(netPath(node), undefined, { signal });
  const changes = typeof env.changes === 'string' && env.changes.trim() !== '' ? env.changes : undefined;
  return { ifaces: Array.isArray(env.data) ? env.data : [], changes };
}

function resultAttrs(node: string, ifaces: Rec[]): Attrs {
  const { blocks, managed } = observeBlocks(ifaces);
  return { id: node, node, ...blocksAsAttrs(blocks), managed };
}

/** Brings the node's network to `blocks` (see the file header); `previously` = names managed so far. */
async function converge(s: PveSession, node: string, blocks: NodeBlocks, previously: string[], ctx: ProviderContext): Promise<Attrs> {
  const what = `${TYPE} ${node}`;
  const client = await s.client(node, ctx.signal);
  const now = await readNetwork(s, node, ctx.signal);
  if (now.changes) throw new Error(`${what}: ${foreignChanges(node, now.changes)}`);
  const marked = observeBlocks(now.ifaces).managed;
  const edits = planEdits(blocks, now.ifaces, [...previously, ...marked]);
  if (edits.length === 0) return resultAttrs(node, now.ifaces);

  const { ips, clustered } = await guardedIps(s, node, ctx.signal);
  const guarded = guardedOf(now.ifaces, edits, ips);
  if (guarded.length) await saveRunning(s, node, what, ctx.signal);

  const opts = { signal: ctx.signal, step: ctx.step };
  for (const e of edits) {
    ctx.log(`${what}: ${e.op} ${e.iface}`);
    try {
      if (e.op === 'create') await client.post(netPath(node), { iface: e.iface, ...e.params }, opts);
      else if (e.op === 'update') await client.put(netPath(node, e.iface), { ...e.params, delete: e.remove.length ? e.remove.join(',') : undefined }, opts);
      else await client.delete(netPath(node, e.iface), undefined, opts);
    } catch (err) {
      let undo = 'the edits staged so far were reverted (DELETE /nodes/' + node + '/network)';
      try {
        await client.delete(netPath(node), undefined, { step: ctx.step });
      } catch (e2) {
        undo = `reverting the edits staged so far failed too (${(e2 as Error).message}): revert them in the GUI (System → Network → Revert) before trying again`;
      }
      const ovs = err instanceof PveApiError && /Open VSwitch is not installed/i.test(err.apiMessage) ? ` Install Open vSwitch on ${node} (apt install openvswitch-switch) or use Linux bridges and bonds (ovs = false).` : '';
      throw new Error(`${what}: staging ${e.op} of interface ${e.iface} failed: ${(err as Error).message};${ovs} ${undo}; nothing was applied`, { cause: err });
    }
  }
  try {
    await reload(s, node, client, guarded, clustered, what, ctx);
  } catch (e) {
    // Refused before it ran (the task never started): the staged edits go again.
    if (e instanceof PveApiError && e.method === 'PUT' && e.path.endsWith('/network')) {
      await client.delete(netPath(node), undefined, { step: ctx.step }).catch(() => undefined);
      throw new Error(`${what}: applying the staged edits failed: ${e.message}; they were reverted, nothing was applied`, { cause: e });
    }
    throw e;
  }
  s.invalidate();
  return resultAttrs(node, (await readNetwork(s, node, ctx.signal)).ifaces);
}

function managedOf(attrs: Attrs | null | undefined): string[] {
  return Array.isArray(attrs?.managed) ? (attrs!.managed as unknown[]).filter((x): x is string => typeof x === 'string') : [];
}

function observe(snap: Snapshot, ids: string[]): Observed[] {
  const out: Observed[] = [];
  for (const id of ids) {
    const net = snap.network?.get(id);
    if (net) out.push({ id, attrs: resultAttrs(id, net.ifaces) });
    // A node that did not answer is not gone: nothing is observed, so state stands.
    else if (snap.unreachable.has(id)) out.push({ id, attrs: { id, node: id } });
  }
  return out;
}

/** The checks of one node's desired blocks against its interface list. */
function checkBlocks(node: string, blocks: NodeBlocks, ifaces: Rec[], previously: string[], err: (summary: string, detail: string, suggestion?: string) => void): void {
  const modes = bondModes();
  const byIface = new Map(ifaces.map((r) => [String(r.iface), r]));
  const declared = declaredNames(blocks);
  const seen = new Set<string>();
  for (const name of declared) {
    if (seen.has(name)) err(`Interface ${name} is declared twice`, 'Each interface may appear in one block only.');
    seen.add(name);
    const r = byIface.get(name);
    if (r && isPhysical(r)) err(`${name} is a physical NIC of node ${node}`, 'Physical NICs are not bridges, bonds or VLANs: use them as ports or slaves.');
  }
  for (const x of blocks.bond) {
    const linux = modes.linux.includes(x.mode);
    const ovs = modes.ovs.includes(x.mode);
    if (x.ovs && !ovs) err(`Bond ${x.name}: mode ${x.mode} is a Linux bond mode`, `Open vSwitch bonds (ovs = true) take ${modes.ovs.join(', ')}; set ovs = false for ${x.mode}.`, nearestName(x.mode, modes.ovs));
    if (!x.ovs && !linux) {
      err(
        `Bond ${x.name}: mode ${x.mode} needs Open vSwitch`,
        ovs ? `${x.mode} is an Open vSwitch bond mode: set ovs = true (node ${node} needs the openvswitch-switch package), or use a Linux mode (${modes.linux.join(', ')}), e.g. 802.3ad for LACP.` : `Linux bonds take ${modes.linux.join(', ')}.`,
        nearestName(x.mode, modes.linux),
      );
    }
    if (x.hash_policy && (x.ovs || (x.mode !== 'balance-xor' && x.mode !== '802.3ad'))) err(`Bond ${x.name}: hash_policy applies to balance-xor and 802.3ad Linux bonds only`, `Leave hash_policy out for mode ${x.mode}${x.ovs ? ' (Open vSwitch)' : ''}.`);
    if (x.bond_primary && x.mode !== 'active-backup') err(`Bond ${x.name}: bond_primary applies to active-backup bonds only`, `Leave bond_primary out for mode ${x.mode}.`);
    if (x.bond_primary && !x.slaves.includes(x.bond_primary)) err(`Bond ${x.name}: bond_primary ${x.bond_primary} is not one of its slaves`, `Its slaves are ${x.slaves.join(', ')}.`, nearestName(x.bond_primary, x.slaves));
    if (x.ovs && !blocks.bridge.some((br) => br.ovs && br.ports.includes(x.name))) err(`Bond ${x.name}: an Open vSwitch bond must be a port of an Open vSwitch bridge`, 'List it in the ports of a bridge block with ovs = true in this resource.');
    if (x.ovs && x.cidr) err(`Bond ${x.name}: an Open vSwitch bond carries no address`, 'Put the address on the OVS bridge instead.');
  }
  for (const br of blocks.bridge) {
    if (br.ovs && br.vlan_aware) err(`Bridge ${br.name}: vlan_aware is for Linux bridges`, 'Open vSwitch bridges carry VLAN tags by design; leave vlan_aware out (or false).');
    if (br.vids && !br.vlan_aware) err(`Bridge ${br.name}: vids needs vlan_aware = true`, 'Only a VLAN-aware bridge has a VLAN id list.');
    for (const p of br.ports) {
      const m = blocks.bond.find((x) => x.name === p);
      if (m?.ovs && !br.ovs) err(`Bridge ${br.name}: port ${p} is an Open vSwitch bond`, 'An OVS bond can only be a port of an OVS bridge (ovs = true).');
    }
  }
  for (const v of blocks.vlan) {
    const d = dottedVlan(v.name);
    if (d && ((v.raw_device !== null && v.raw_device !== d.raw) || (v.tag !== null && v.tag !== d.tag))) {
      err(`VLAN ${v.name}: raw_device and tag contradict the name`, `${v.name} is VLAN ${d.tag} on ${d.raw}; give those (or leave them out), or name it vlan${v.tag ?? d.tag} with raw_device and tag.`);
    }
    if (d && (d.tag < 1 || d.tag > 4094)) err(`VLAN ${v.name}: tag ${d.tag} is out of range`, 'VLAN ids are 1-4094.');
    if (!d && (v.raw_device === null || v.tag === null)) err(`VLAN ${v.name}: raw_device and tag are required for this name`, `Give both, or name it <device>.<tag> (e.g. bond0.${v.tag ?? 20}).`);
  }
  // Members: each exists (on the node or declared here) and is held by one interface only.
  const names = [...new Set([...byIface.keys(), ...declared])];
  const leaving = new Set([...previously].filter((n) => !declared.includes(n)));
  const holders = new Map<string, string>();
  for (const w of wanted(blocks)) {
    for (const m of w.needs) {
      if (!byIface.has(m) && !declared.includes(m)) {
        err(`${w.name}: ${m} does not exist on node ${node}`, `A ${w.kind}'s ports, slaves and raw device must be interfaces of the node or declared in this resource; node ${node} has ${[...byIface.keys()].sort(byName).join(', ') || 'none'}.`, nearestName(m, names));
      }
    }
    for (const m of w.holds) {
      const other = holders.get(m);
      if (other) err(`${m} is used by both ${other} and ${w.name}`, 'An interface can be the port or slave of one bridge or bond only.');
      holders.set(m, w.name);
      for (const r of ifaces) {
        const rn = String(r.iface);
        if (rn === w.name || declared.includes(rn) || leaving.has(rn)) continue;
        const held = [r.bridge_ports, r.slaves, r.ovs_ports, r.ovs_bonds].flatMap((v) => (typeof v === 'string' ? v.split(/[\s,;]+/) : []));
        if (held.includes(m)) err(`${m} is already used by ${rn} on node ${node}`, `${rn} is not managed by this resource: declare ${rn} here (without ${m}) or free ${m} on the node first.`);
      }
    }
  }
}

/** The node is out of reach for good: not among the provider's nodes, or a cluster member reported offline. */
function nodeGone(s: PveSession, snap: Snapshot, node: string): boolean {
  if (!s.nodeNames().includes(node)) return true;
  return snap.nodes?.get(node)?.online === false;
}

async function preflight(changes: PlannedChange[], s: PveSession, ctx: ProviderContext): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const todo = changes.filter((c) => c.action === 'create' || c.action === 'update' || c.action === 'replace' || c.action === 'delete');
  if (todo.length === 0) return out;
  const snap = await s.snapshot(['network', 'status', 'corosync'], ctx.signal);
  for (const c of todo) {
    const attrs = c.action === 'delete' ? c.before : c.after;
    const node = typeof attrs?.node === 'string' ? attrs.node : undefined;
    const err = (summary: string, detail: string, suggestion?: string) => out.push({ severity: 'error', address: c.address, summary, detail, suggestion });
    if (!node) continue;
    if (c.action === 'delete' && nodeGone(s, snap, node)) {
      out.push({
        severity: 'warning',
        address: c.address,
        summary: `Node ${node} is gone: its network settings will be forgotten, not changed`,
        detail: `${node} is no longer in the provider's nodes or is powered off, so nothing is sent to it; poolform only drops the resource from state. If the node comes back, its interfaces are as it left them.`,
      });
      continue;
    }
    if (!s.nodeNames().includes(node)) {
      err(`Node ${node} is not in the provider's nodes`, `Add it to the provider block's nodes (api_url, tls_fingerprint, ssh_address); configured: ${s.nodeNames().join(', ')}.`, nearestName(node, s.nodeNames()));
      continue;
    }
    const net = snap.network?.get(node);
    if (!net) {
      err(`Node ${node} did not answer`, `Its network cannot be read: ${snap.unreachable.get(node) ?? 'no answer'}. Bring the node back (or fix the provider's address for it) before changing its network.`);
      continue;
    }
    if (net.changes) err(`Node ${node} has staged network changes poolform did not make`, foreignChanges(node, net.changes));
    if (c.action !== 'delete' && (isUnknown(attrs!.bridge) || isUnknown(attrs!.bond) || isUnknown(attrs!.vlan))) continue;
    const blocks = c.action === 'delete' ? normalize({}) : normalize(attrs!);
    const previously = [...managedOf(c.before), ...observeBlocks(net.ifaces).managed];
    if (c.action !== 'delete') checkBlocks(node, blocks, net.ifaces, previously, err);
    let edits: NetEdit[];
    try {
      edits = planEdits(blocks, net.ifaces, previously);
    } catch (e) {
      err(`The interface changes on node ${node} cannot be ordered`, (e as Error).message);
      continue;
    }
    if (edits.length === 0) continue;
    const ips = new Map<string, string>();
    const mgmt = snap.nodes?.get(node)?.ip;
    if (mgmt) ips.set(mgmt, 'management address');
    const ring = snap.corosync?.get(node);
    for (let i = 0; i < 8; i++) if (typeof ring?.[`ring${i}_addr`] === 'string' && !ips.has(ring[`ring${i}_addr`] as string)) ips.set(ring[`ring${i}_addr`] as string, `corosync link ${i}`);
    const guarded = guardedOf(net.ifaces, edits, ips);
    for (const g of guarded) {
      if (!g.after && g.role === 'management address') {
        err(`This change removes node ${node}'s management address ${g.ip}`, `${g.ip} is on ${g.before}, which this change ${edits.some((e) => e.op === 'delete' && e.iface === g.before) ? 'deletes' : 'strips of it'}; the node would become unreachable. Keep the address on an interface (move it in the same change to keep it guarded).`);
      }
    }
    if (guarded.length && !sshConfigured(s, node)) {
      err(
        `Changing node ${node}'s ${guarded.map((g) => `${g.role} ${g.ip}`).join(', ')} needs SSH for the rollback`,
        'poolform saves the running network configuration over SSH and restores it if the node stops answering after the reload; give ssh_password or ssh_private_key in the provider block.',
      );
    }
    const links = guarded.filter((g) => g.role.startsWith('corosync'));
    if (links.length && snap.cluster && snap.corosync && snap.corosync.size > 1) {
      let expected = 0;
      let without = 0;
      for (const [name, r] of snap.corosync) {
        const votes = Number(r.quorum_votes ?? 1);
        expected += votes;
        if (name !== node && snap.nodes?.get(name)?.online) without += votes;
      }
      if (!(without > expected / 2)) {
        err(
          `Changing node ${node}'s ${links.map((g) => `${g.role} ${g.ip}`).join(', ')} could cost the cluster its quorum`,
          `If ${node} drops out while its links change, the other online members hold ${without} of ${expected} votes, not more than half: the cluster would lose quorum. Bring the offline members back first (pvecm status), or change this node when they are online.`,
        );
      }
    }
  }
  return out;
}

/** Interfaces whose change interrupts traffic: ones carrying an address or ports/slaves. */
function disruptive(before: Attrs, after: Attrs | null): boolean {
  const a = normalize(before);
  const b = after ? normalize(after) : normalize({});
  const rows = (x: NodeBlocks) => new Map([...x.bridge, ...x.bond, ...x.vlan].map((r) => [r.name, r as unknown as Record<string, unknown>]));
  const was = rows(a);
  const will = rows(b);
  for (const [name, r] of was) {
    const next = will.get(name);
    if (next && JSON.stringify(next) === JSON.stringify(r)) continue;
    const ports = (r.ports ?? r.slaves ?? []) as string[];
    if (r.cidr || ports.length > 0 || (next && next.cidr)) return true;
  }
  return false;
}

export const nodeNetwork: PveResourceType = {
  parts: ['network'],
  observe,

  async create(s, attrs, ctx) {
    const node = String(attrs.node);
    return { id: node, attrs: await converge(s, node, normalize(attrs), [], ctx) };
  },

  async update(s, id, before, after, ctx) {
    return { id, attrs: await converge(s, id, normalize(after), managedOf(before), ctx) };
  },

  async delete(s, id, attrs, ctx) {
    // A node that has left (removed from the provider's nodes, or powered off to be removed) keeps
    // its interfaces: there is nothing to reach, and nothing to undo on a machine leaving for good.
    if (nodeGone(s, await s.snapshot(['status', 'network'], ctx.signal), id)) return {};
    await converge(s, id, normalize({}), managedOf(attrs), ctx);
    return {};
  },

  preflight: (changes, s, ctx) => preflight(changes, s, ctx),

  impact(change) {
    if (change.action === 'noop' || change.action === 'read') return 'none';
    if (change.action === 'create' || !change.before) return 'live';
    return disruptive(change.before, change.action === 'delete' ? null : change.after) ? 'network-blip' : 'live';
  },

  // One node at a time, whatever max_concurrency says: a rolling change never takes two nodes' links down at once.
  limit() {
    return { key: 'node-network', max: 1 };
  },
};
