// proxmox_cluster_node: a node's membership of the cluster. Create joins it, one join at a time
// (the "membership" queue): every precondition is checked again against the joining node (a plan
// may be old), then either `pvecm add <member> --link0 .. --use_ssh` runs on the joining node over
// SSH, or the joining node's own API is asked to join (POST /cluster/config/join with a member's
// address, its certificate fingerprint and the cluster's root password, a "clusterjoin" task);
// then it waits until the cluster lists the node online. Delete removes the node from corosync,
// and only once it is powered off: the seed insists a removed node must never come back on the
// cluster network, and the platform itself would happily remove a running node and leave it
// rogue. Node name, links and votes are fixed once joined: a change is an error with the reason.

import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import { remedyFor } from '../client/remedies.js';
import { PveApiError, type PveClient } from '../client/types.js';
import { checkJoin, clusterView } from '../preflight/join.js';
import type { PveSession } from '../session.js';
import type { Rec, Snapshot } from '../snapshot.js';
import { MEMBERSHIP_LIMIT, pollUntil, readVia } from './cluster.js';
import { failure, int, members, normalizeFingerprint, str, type Member } from './cluster-facts.js';
import type { PveResourceType } from './types.js';

export function observeClusterNode(snap: Snapshot, id: string): Observed | undefined {
  if (!snap.cluster) return undefined;
  const m = members(snap).find((x) => x.name === id);
  if (!m) return undefined;
  return {
    id,
    attrs: { id, node: id, cluster: snap.cluster.name, link0: m.link0 ?? null, link1: m.link1 ?? null, votes: m.votes, nodeid: m.nodeid ?? null, online: m.online },
  };
}

/** What only the configuration knows (how it joined); join_password is left to the engine, which keeps a digest of it. */
function configured(attrs: Attrs): Attrs {
  return { join_via: attrs.join_via === 'api' ? 'api' : 'ssh' };
}

/** The removal rule's remedy, per the seed. */
export const REMOVAL_REMEDY =
  'migrate its guests to other nodes, shut the node down and make sure it never boots into this cluster network again (unplug it or reinstall it), ' +
  'then apply again; to rejoin it later, reinstall Proxmox VE on it first';

/** Why fixed membership attributes cannot change (corosync.conf holds them); empty when they do not. */
export function nodeChangeProblems(before: Attrs, after: Attrs): { attr: string; summary: string; detail: string }[] {
  const out: { attr: string; summary: string; detail: string }[] = [];
  const node = str(before.node) ?? str(after.node) ?? '?';
  const fmt = (v: unknown) => (v === null || v === undefined || v === '' ? 'none' : String(v));
  const same = (a: unknown, b: unknown) => fmt(a) === fmt(b);
  if (!same(before.node, after.node)) {
    out.push({ attr: 'node', summary: `node ${node}: a member's name cannot change to "${fmt(after.node)}"`, detail: 'node names are fixed once a node has joined (the seed: hostnames and addresses must not change after joining); to add another node, declare another proxmox_cluster_node' });
  }
  if (!same(before.cluster, after.cluster)) {
    out.push({ attr: 'cluster', summary: `node ${node}: it is a member of cluster "${fmt(before.cluster)}", not "${fmt(after.cluster)}"`, detail: 'a node cannot move between clusters: remove it (powered off), reinstall it, then join the other cluster' });
  }
  for (const k of ['link0', 'link1'] as const) {
    if (same(before[k], after[k])) continue;
    out.push({
      attr: k,
      summary: `node ${node}: ${k} is fixed once joined ("${fmt(before[k])}" cannot change to "${fmt(after[k])}")`,
      detail:
        'corosync addresses change only by editing /etc/pve/corosync.conf by hand (copy it, change the ringX_addr, increase config_version, move the copy over it, check `systemctl status corosync`); ' +
        'poolform then observes the new address and the configuration can name it',
    });
  }
  if (!same(before.votes, after.votes)) {
    out.push({
      attr: 'votes',
      summary: `node ${node}: votes are fixed once joined (${fmt(before.votes)} cannot change to ${fmt(after.votes)})`,
      detail: 'quorum_votes lives in /etc/pve/corosync.conf: change it there by hand (increase config_version) and poolform observes it; a plan does not edit corosync.conf',
    });
  }
  return out;
}

/** The member a join goes through: the node that answered for the cluster when online, else the first member online. */
function joinPeer(snap: Snapshot, joining: string): Member | undefined {
  const online = members(snap).filter((m) => m.online && m.name !== joining);
  return online.find((m) => m.name === snap.apiNode) ?? online[0];
}

/** The member's certificate fingerprint: its pin in the provider block, else what the cluster's join information says. */
async function peerFingerprint(s: PveSession, peer: Member, client: PveClient, signal?: AbortSignal): Promise<string> {
  const pinned = s.config.nodes.get(peer.name)?.api.fingerprints?.[0];
  if (pinned) return normalizeFingerprint(pinned);
  const info = await client.get<Rec>('/cluster/config/join', { node: peer.name }, { signal });
  const entry = (Array.isArray(info?.nodelist) ? (info.nodelist as Rec[]) : []).find((n) => n.name === peer.name || n.node === peer.name);
  const fp = str(entry?.pve_fp);
  if (!fp) throw new Error(`the cluster's join information has no certificate fingerprint for ${peer.name}; pin it in the provider block (nodes.${peer.name}.tls_fingerprint)`);
  return normalizeFingerprint(fp);
}

async function create(s: PveSession, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const node = String(attrs.node);
  const clusterName = String(attrs.cluster);
  const link0 = str(attrs.link0);
  const link1 = str(attrs.link1);
  const votes = int(attrs.votes, 1);
  const via = attrs.join_via === 'api' ? 'api' : 'ssh';
  const label = `node ${node} joining cluster "${clusterName}"`;

  let snap: Snapshot;
  try {
    s.invalidate();
    snap = await s.snapshot(['status', 'corosync', 'versions'], ctx.signal);
  } catch (e) {
    throw failure(label, e);
  }
  if (!snap.cluster) {
    throw new Error(
      `${label}: none of the provider's nodes belongs to a cluster yet. If proxmox_cluster creates it in this apply, make this resource wait for it: cluster = proxmox_cluster.<name>.id`,
    );
  }
  if (snap.cluster.name !== clusterName) throw new Error(`${label}: the provider's nodes belong to cluster "${snap.cluster.name}", not "${clusterName}"; set cluster = "${snap.cluster.name}"`);
  const errors = (await checkJoin(s, clusterView(snap)!, { node, cluster: clusterName, link0, link1, votes, joinVia: via }, ctx.signal)).filter((p) => p.severity === 'error');
  const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);
  if (errors.length) throw new Error(`${label}: refused:\n${errors.map((p) => `  - ${p.summary}. ${cap(p.remedy)}`).join('\n')}`);

  const peer = joinPeer(snap, node);
  if (!peer) throw new Error(`${label}: no member of the cluster is online to join through; bring one back (\`pvecm status\`)`);
  const peerAddress = peer.ip ?? new URL(s.nodeConfig(peer.name).api.url).hostname;
  const peerClient = await s.client(peer.name, ctx.signal).catch((e: unknown) => {
    throw failure(label, e);
  });

  if (via === 'ssh') {
    const cmd = ['pvecm', 'add', peerAddress, ...(link0 ? ['--link0', link0] : []), ...(link1 ? ['--link1', link1] : []), ...(votes !== 1 ? ['--votes', String(votes)] : []), '--use_ssh'].join(' ');
    ctx.log(`${label}: ${cmd} (on ${node}, over SSH)`);
    let out;
    try {
      out = await s.ssh(node, cmd, ctx.signal);
    } catch (e) {
      throw failure(`${label}: SSH to ${node}`, e);
    }
    if (out.code !== 0) {
      const message = (out.stderr.trim() || out.stdout.trim() || `exit status ${out.code}`).trim();
      const remedy = remedyFor(message, { node });
      throw new Error(`${label}: \`pvecm add\` on ${node} failed (exit status ${out.code}): ${message}${remedy ? `\n${remedy}` : ''}`);
    }
  } else {
    const password = str(attrs.join_password);
    if (!password) throw new Error(`${label}: join_via = "api" needs join_password, the root password of cluster node ${peer.name}`);
    try {
      const fingerprint = await peerFingerprint(s, peer, peerClient, ctx.signal);
      ctx.log(`${label}: joining through ${peer.name} (${peerAddress}) over the API`);
      const joiner = await s.client(node, ctx.signal);
      await joiner.task('POST', '/cluster/config/join', { hostname: peerAddress, fingerprint, password, link0, link1, votes }, s.taskOptions(ctx));
    } catch (e) {
      throw failure(label, e);
    }
  }

  const joined = await pollUntil(
    async () => {
      const view = await readVia(peer.name, peerClient, ctx.signal);
      const o = observeClusterNode(view, node);
      return o && o.attrs.online === true ? o : undefined;
    },
    s.config.taskTimeoutMs,
    () => `${label}: joined, but ${peer.name} has not listed ${node} online after ${Math.round(s.config.taskTimeoutMs / 1000)} s; check \`pvecm status\` on both nodes and the corosync network between them`,
    ctx.signal,
  );
  s.invalidate();
  return { id: node, attrs: { ...configured(attrs), ...joined.attrs } };
}

async function remove(s: PveSession, id: string, attrs: Attrs, ctx: ProviderContext): Promise<{ task?: string }> {
  const label = `node ${id} leaving cluster "${str(attrs.cluster) ?? '?'}"`;
  let snap: Snapshot;
  try {
    s.invalidate();
    snap = await s.snapshot(['status', 'corosync'], ctx.signal);
  } catch (e) {
    throw failure(label, e);
  }
  const m = members(snap).find((x) => x.name === id);
  if (!m) return {}; // already gone
  if (m.online) throw new Error(`${label}: refused: ${id} is online in the cluster; a node is removed only once it is powered off for good. ${REMOVAL_REMEDY}`);
  const { node: apiNode, client } = await s.api(ctx.signal).catch((e: unknown) => {
    throw failure(label, e);
  });
  if (apiNode === id) throw new Error(`${label}: the only node answering for the cluster is ${id} itself; bring another member online`);
  try {
    ctx.log(`${label}: removing it from the corosync configuration (through ${apiNode})`);
    await client.delete(`/cluster/config/nodes/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal, step: ctx.step });
  } catch (e) {
    if (e instanceof PveApiError && /does not exist|not a cluster member|no such node/i.test(e.apiMessage)) return {};
    throw failure(label, e);
  }
  s.invalidate();
  return {};
}

export const clusterNode: PveResourceType = {
  parts: ['status', 'corosync'],

  observe(snap, ids) {
    return ids.map((id) => observeClusterNode(snap, id)).filter((o): o is Observed => o !== undefined);
  },

  create,

  async update(s, id, before, after, ctx) {
    const problems = nodeChangeProblems(before, after);
    if (problems.length) throw new Error(problems.map((p) => `${p.summary}: ${p.detail}`).join('\n'));
    // Only how it joined (join_via, join_password) changed: nothing to do on the platform.
    const o = observeClusterNode(await s.snapshot(['status', 'corosync'], ctx.signal), id);
    if (!o) throw new Error(`node ${id} is no longer a member of the cluster`);
    return { id, attrs: { ...configured(after), ...o.attrs } };
  },

  delete: remove,

  impact() {
    return 'none';
  },

  limit(_attrs, op) {
    return op === 'create' || op === 'delete' ? MEMBERSHIP_LIMIT : undefined;
  },
};
