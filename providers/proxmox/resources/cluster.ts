// proxmox_cluster: the corosync cluster, created on its first node (`pvecm create` as the API
// does it: POST /cluster/config on that node's own endpoint, a "clustercreate" task) with the
// node's corosync link addresses. Name, first node and links are fixed once it exists (the seed:
// a cluster cannot be renamed; moving corosync means editing corosync.conf by hand), so a change
// is an error with the reason, never a replacement. A cluster cannot be dissolved through the
// API: deleting the resource forgets it. Quorum and votes are observed, not configured.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Attrs, Observed, OperationResult, ProviderContext } from '../../../engine/provider.js';
import type { PveClient } from '../client/types.js';
import type { PveSession } from '../session.js';
import { readSnapshot, splitStatus, type Snapshot } from '../snapshot.js';
import { failure, members, str, votes, type Member } from './cluster-facts.js';
import type { PveResourceType } from './types.js';

/** The queue joins, removals and the cluster's creation share: one membership change at a time. */
export const MEMBERSHIP_LIMIT = { key: 'membership', max: 1 };

/** The snapshot of one node's view (status + corosync) through its own client. */
export function readVia(node: string, client: PveClient, signal?: AbortSignal): Promise<Snapshot> {
  return readSnapshot({ nodeNames: () => [node], api: async () => ({ node, client }), client: async () => client }, ['status', 'corosync'], signal);
}

/** Polls `check` (100 ms growing to 1 s) until it answers a value, or fails with `timeoutText` after `timeoutMs`. */
export async function pollUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, timeoutText: () => string, signal?: AbortSignal): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let pause = 100;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(timeoutText());
    await sleep(pause, undefined, { signal });
    pause = Math.min(1000, pause * 2);
  }
}

export function observeCluster(snap: Snapshot): Observed | undefined {
  if (!snap.cluster) return undefined;
  const list = members(snap);
  const { expected, total } = votes(list);
  const name = snap.cluster.name;
  return {
    id: name,
    attrs: {
      id: name,
      cluster_name: name,
      quorate: snap.cluster.quorate,
      expected_votes: expected,
      total_votes: total,
      node_count: snap.cluster.nodes > 0 ? snap.cluster.nodes : list.length,
      config_version: snap.cluster.version,
    },
  };
}

/** What the configuration says that observation cannot: the creation parameters. */
function configured(attrs: Attrs): Attrs {
  return { cluster_name: attrs.cluster_name, node: attrs.node, link0: attrs.link0, link1: str(attrs.link1) ?? null };
}

const LINK_PROCEDURE =
  'moving corosync to other addresses is a manual procedure (Proxmox VE docs, "editing corosync.conf"): copy /etc/pve/corosync.conf, ' +
  'change the ringX_addr of every node, increase config_version, move the copy over the original and check `systemctl status corosync` on each node; ' +
  'once corosync uses the new address, poolform observes it and the configuration can name it';

/**
 * Why a change of the cluster's fixed attributes cannot be applied (empty when it can: nothing
 * fixed changed, or corosync already uses the new link addresses). `first` is the creating node
 * as the cluster lists it now, when it still is a member.
 */
export function clusterChangeProblems(before: Attrs, after: Attrs, first: Member | undefined): { attr: string; summary: string; detail: string }[] {
  const out: { attr: string; summary: string; detail: string }[] = [];
  const b = (k: string) => str(before[k]);
  const a = (k: string) => str(after[k]);
  if (b('cluster_name') !== a('cluster_name')) {
    out.push({
      attr: 'cluster_name',
      summary: `cluster "${b('cluster_name')}": the name cannot change to "${a('cluster_name')}"`,
      detail:
        'a cluster\'s name is fixed once it is created (corosync and the cluster file system are keyed by it; Proxmox VE cannot rename a cluster). ' +
        `Set cluster_name back to "${b('cluster_name')}"; a cluster of another name is a new cluster: create it and move the nodes to it (each removed, reinstalled and joined)`,
    });
  }
  if (b('node') !== a('node')) {
    out.push({
      attr: 'node',
      summary: `cluster "${b('cluster_name')}": node is the node it was created on ("${b('node')}") and cannot change to "${a('node')}"`,
      detail: `set node back to "${b('node')}"; the other nodes' membership is proxmox_cluster_node's`,
    });
  }
  for (const k of ['link0', 'link1'] as const) {
    if (b(k) === a(k)) continue;
    if (first && first.name === a('node') && first[k] === a(k)) continue; // corosync already moved there
    out.push({
      attr: k,
      summary: `cluster "${b('cluster_name')}": ${k} of ${b('node')} is fixed once the cluster exists ("${b(k) ?? 'none'}" cannot change to "${a(k) ?? 'none'}")`,
      detail: `set ${k} back to "${b(k) ?? 'nothing'}". ${a('node') !== b('node') ? '' : LINK_PROCEDURE}`.trim(),
    });
  }
  return out;
}

async function create(s: PveSession, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult> {
  const name = String(attrs.cluster_name);
  const node = String(attrs.node);
  const link0 = str(attrs.link0);
  const link1 = str(attrs.link1);
  const label = `cluster "${name}" on ${node}`;
  let client: PveClient;
  try {
    client = await s.client(node, ctx.signal);
    const { cluster } = splitStatus((await client.get<Record<string, unknown>[]>('/cluster/status', undefined, { signal: ctx.signal })) ?? []);
    if (cluster?.name === name) {
      throw new Error(`${node} already belongs to cluster "${name}": adopt it with an import block (to = this resource, id = "${name}") instead of creating it`);
    }
    if (cluster) throw new Error(`${node} already belongs to cluster "${cluster.name}": a cluster is created on a standalone node`);
    ctx.log(`${label}: creating the cluster (link0 ${link0 ?? 'default'}${link1 ? `, link1 ${link1}` : ''})`);
    await client.task('POST', '/cluster/config', { clustername: name, link0, link1 }, s.taskOptions(ctx));
  } catch (e) {
    throw failure(label, e);
  }
  const snap = await pollUntil(
    async () => {
      const snap = await readVia(node, client, ctx.signal);
      return snap.cluster?.name === name && snap.cluster.quorate ? snap : undefined;
    },
    s.config.taskTimeoutMs,
    () => `${label}: created, but ${node} has not reported the cluster quorate after ${Math.round(s.config.taskTimeoutMs / 1000)} s; check \`pvecm status\` and \`systemctl status corosync\` on ${node}`,
    ctx.signal,
  );
  s.invalidate();
  const o = observeCluster(snap)!;
  return { id: o.id, attrs: { ...configured(attrs), ...o.attrs } };
}

export const cluster: PveResourceType = {
  parts: ['status', 'corosync'],

  observe(snap, ids) {
    const o = observeCluster(snap);
    return o && ids.includes(o.id) ? [o] : [];
  },

  // Adopting an existing cluster: its first node is the member with the lowest node id (the one
  // it was created on, unless that one was removed since), with that node's link addresses.
  async importObject(s, id, ctx) {
    const snap = await s.snapshot(['status', 'corosync'], ctx.signal);
    const o = observeCluster(snap);
    if (!o || o.id !== id) return undefined;
    const first = members(snap)[0];
    return { id, attrs: { ...o.attrs, node: first?.name ?? null, link0: first?.link0 ?? null, link1: first?.link1 ?? null } };
  },

  create,

  async update(s, id, before, after, ctx) {
    const snap = await s.snapshot(['status', 'corosync'], ctx.signal);
    const problems = clusterChangeProblems(before, after, members(snap).find((m) => m.name === str(after.node)));
    if (problems.length) throw new Error(problems.map((p) => `${p.summary}: ${p.detail}`).join('\n'));
    const o = observeCluster(snap);
    if (!o || o.id !== id) throw new Error(`cluster "${id}" is not the cluster the provider's nodes belong to${o ? ` ("${o.id}")` : ''}`);
    return { id, attrs: { ...configured(after), ...o.attrs } };
  },

  async delete(_s, _id, _attrs, ctx) {
    // The API has no call that dissolves a cluster; the preflight warned that it stays.
    ctx.log('the cluster stays as it is: poolform only forgets it');
    return {};
  },

  impact() {
    return 'none';
  },

  limit(_attrs, op) {
    return op === 'create' ? MEMBERSHIP_LIMIT : undefined;
  },
};
