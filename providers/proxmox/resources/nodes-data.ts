// Data source proxmox_nodes: every node of the cluster (corosync members, online or not) and every
// configured node that is not in it (standalone, e.g. about to join), by name: node id, management
// address, whether it is online, its release when it answered, and its corosync links.

import type { Attrs } from '../../../engine/provider.js';
import type { PveSession } from '../session.js';
import { splitStatus, type Snapshot } from '../snapshot.js';
import { members, str, versionOf, votes } from './cluster-facts.js';
import type { PveDataSourceType } from './types.js';

interface NodeEntry {
  name: string;
  nodeid: number | null;
  ip: string | null;
  online: boolean;
  version: string | null;
  clustered: boolean;
  link0: string | null;
  link1: string | null;
  votes: number | null;
}

/** A configured node outside the cluster: what its own /cluster/status says of it (its address), if it answers. */
async function standalone(s: PveSession, snap: Snapshot, node: string): Promise<NodeEntry> {
  let ip: string | null = null;
  let online = false;
  if (!snap.unreachable.has(node)) {
    try {
      const c = await s.client(node);
      const own = splitStatus((await c.get<Record<string, unknown>[]>('/cluster/status')) ?? []).nodes.get(node);
      ip = own?.ip ?? null;
      online = true;
    } catch {
      online = false; // reported as offline, not as an error: a data source describes what is there
    }
  }
  return { name: node, nodeid: null, ip, online, version: versionOf(snap, node) ?? null, clustered: false, link0: null, link1: null, votes: null };
}

export const nodesData: PveDataSourceType = {
  parts: ['status', 'corosync', 'versions'],

  async read(snap, _args, s): Promise<Attrs> {
    const nodes: Record<string, NodeEntry> = {};
    const list = members(snap);
    for (const m of list) {
      nodes[m.name] = {
        name: m.name,
        nodeid: m.nodeid ?? null,
        ip: m.ip ?? null,
        online: m.online,
        version: versionOf(snap, m.name) ?? null,
        clustered: true,
        link0: m.link0 ?? null,
        link1: m.link1 ?? null,
        votes: m.votes,
      };
    }
    const outside = s.nodeNames().filter((n) => !(n in nodes));
    for (const e of await Promise.all(outside.map((n) => standalone(s, snap, n)))) nodes[e.name] = e;
    const v = votes(list);
    return {
      nodes,
      cluster_name: str(snap.cluster?.name) ?? null,
      quorate: snap.cluster ? snap.cluster.quorate : null,
      expected_votes: snap.cluster ? v.expected : null,
      total_votes: snap.cluster ? v.total : null,
    };
  },
};
