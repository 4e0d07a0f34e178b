// The cluster as bulk reads: /cluster/status (membership, quorum), /cluster/resources (every node,
// guest and storage status in one answer), /cluster/config/nodes (corosync links), /cluster/options,
// /storage, the HA sections and one network list per node. Each part is read only when a requested
// resource type needs it, so a plan costs a handful of requests plus one per node for networking,
// whatever the number of guests. Guest configurations are read only for the guests poolform manages.

import { PveApiError, type PveClient } from './client/types.js';

/** What a snapshot can hold; resource types declare the parts they read. */
export type Part = 'status' | 'resources' | 'corosync' | 'options' | 'storage' | 'ha-resources' | 'ha-groups' | 'ha-rules' | 'network' | 'versions';

export type Rec = Record<string, unknown>;

export interface ClusterInfo {
  name: string;
  quorate: boolean;
  /** Nodes in the corosync configuration. */
  nodes: number;
  /** corosync config_version. */
  version: number;
}

export interface NodeInfo {
  name: string;
  nodeid?: number;
  /** The address /cluster/status reports (the node's management address). */
  ip?: string;
  /** In the cluster's membership (or, standalone, answering). */
  online: boolean;
}

export interface GuestInfo {
  vmid: number;
  type: 'qemu' | 'lxc';
  node: string;
  name?: string;
  status?: string;
  template: boolean;
  /** HA state, when HA manages it. */
  hastate?: string;
  raw: Rec;
}

export interface NodeNetwork {
  /** The staged view (what GET /nodes/{node}/network answers). */
  ifaces: Rec[];
  /** The unified diff of staged-but-not-applied changes, when there are any. */
  changes?: string;
}

/** One plan's view of the cluster. Parts not asked for stay undefined. */
export interface Snapshot {
  /** The node that answered the cluster-wide reads (a cluster member when there is a cluster). */
  apiNode: string;
  /** Undefined while apiNode is standalone (no cluster formed yet). */
  cluster?: ClusterInfo;
  /** Members (or the standalone apiNode), from /cluster/status. */
  nodes?: Map<string, NodeInfo>;
  /** /cluster/resources, split by type. */
  guests?: Map<number, GuestInfo>;
  nodeResources?: Map<string, Rec>;
  /** storage id → node → status entry (status, shared, content, plugintype, disk, maxdisk). */
  storageStatus?: Map<string, Map<string, Rec>>;
  /** /cluster/config/nodes by node name (nodeid, quorum_votes, ring0_addr, ring1_addr...). Empty when standalone. */
  corosync?: Map<string, Rec>;
  options?: Rec;
  /** /storage by storage id. */
  storage?: Map<string, Rec>;
  haResources?: Map<string, Rec>;
  haGroups?: Map<string, Rec>;
  haRules?: Map<string, Rec>;
  /** Per configured node that answered. */
  network?: Map<string, NodeNetwork>;
  /** /version per configured node that answered ({version, release, repoid}). */
  versions?: Map<string, Rec>;
  /** Configured nodes that did not answer, with why. */
  unreachable: Map<string, string>;
}

/** How the snapshot reaches nodes (implemented by the session). */
export interface SnapshotSource {
  /** Configured node names, in order. */
  nodeNames(): string[];
  /** The cluster-wide client and the node it talks to. */
  api(signal?: AbortSignal): Promise<{ node: string; client: PveClient }>;
  /** A client for a node's own endpoint. */
  client(node: string, signal?: AbortSignal): Promise<PveClient>;
}

function byKey(list: unknown, key: string): Map<string, Rec> {
  const out = new Map<string, Rec>();
  for (const r of Array.isArray(list) ? (list as Rec[]) : []) if (r && typeof r[key] === 'string') out.set(r[key] as string, r);
  return out;
}

/** A 0/1 (or boolean) flag as the API sends it. */
export function flag(v: unknown): boolean {
  return v === 1 || v === '1' || v === true;
}

/** Status and resources, split into the snapshot's maps. */
export function splitStatus(status: Rec[]): { cluster?: ClusterInfo; nodes: Map<string, NodeInfo> } {
  let cluster: ClusterInfo | undefined;
  const nodes = new Map<string, NodeInfo>();
  for (const e of status) {
    if (e.type === 'cluster') cluster = { name: String(e.name), quorate: flag(e.quorate), nodes: Number(e.nodes ?? 0), version: Number(e.version ?? 0) };
    else if (e.type === 'node' && typeof e.name === 'string') {
      nodes.set(e.name, { name: e.name, nodeid: e.nodeid === undefined ? undefined : Number(e.nodeid), ip: typeof e.ip === 'string' ? e.ip : undefined, online: flag(e.online) });
    }
  }
  return { cluster, nodes };
}

export function splitResources(list: Rec[]): { guests: Map<number, GuestInfo>; nodeResources: Map<string, Rec>; storageStatus: Map<string, Map<string, Rec>> } {
  const guests = new Map<number, GuestInfo>();
  const nodeResources = new Map<string, Rec>();
  const storageStatus = new Map<string, Map<string, Rec>>();
  for (const r of list) {
    if (r.type === 'qemu' || r.type === 'lxc') {
      const vmid = Number(r.vmid);
      guests.set(vmid, {
        vmid,
        type: r.type,
        node: String(r.node),
        name: typeof r.name === 'string' ? r.name : undefined,
        status: typeof r.status === 'string' ? r.status : undefined,
        template: flag(r.template),
        hastate: typeof r.hastate === 'string' ? r.hastate : undefined,
        raw: r,
      });
    } else if (r.type === 'node' && typeof r.node === 'string') nodeResources.set(r.node, r);
    else if (r.type === 'storage' && typeof r.storage === 'string') {
      let m = storageStatus.get(r.storage);
      if (!m) storageStatus.set(r.storage, (m = new Map()));
      m.set(String(r.node), r);
    }
  }
  return { guests, nodeResources, storageStatus };
}

/** A read that a standalone node (or an older release) answers with an error: treated as empty. */
async function orEmpty<T>(p: Promise<T>, empty: T): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof PveApiError && (e.status === 501 || e.status === 500)) return empty;
    throw e;
  }
}

/**
 * Reads the parts asked for. Cluster-wide parts come from one node; networks and versions from each
 * configured node that answers (a node that does not is listed in `unreachable`, not an error).
 */
export async function readSnapshot(src: SnapshotSource, parts: Iterable<Part>, signal?: AbortSignal): Promise<Snapshot> {
  const want = new Set(parts);
  const { node: apiNode, client } = await src.api(signal);
  const snap: Snapshot = { apiNode, unreachable: new Map() };
  const opts = { signal };
  const reads: Promise<void>[] = [];
  const need = (p: Part) => want.has(p);

  if (need('status')) {
    reads.push(
      client.get<Rec[]>('/cluster/status', undefined, opts).then((s) => {
        const { cluster, nodes } = splitStatus(s ?? []);
        snap.cluster = cluster;
        snap.nodes = nodes;
      }),
    );
  }
  if (need('resources')) {
    reads.push(client.get<Rec[]>('/cluster/resources', undefined, opts).then((r) => void Object.assign(snap, splitResources(r ?? []))));
  }
  if (need('corosync')) reads.push(orEmpty(client.get<Rec[]>('/cluster/config/nodes', undefined, opts), []).then((r) => void (snap.corosync = byKey(r, 'node'))));
  if (need('options')) reads.push(client.get<Rec>('/cluster/options', undefined, opts).then((r) => void (snap.options = r ?? {})));
  if (need('storage')) reads.push(client.get<Rec[]>('/storage', undefined, opts).then((r) => void (snap.storage = byKey(r, 'storage'))));
  if (need('ha-resources')) reads.push(orEmpty(client.get<Rec[]>('/cluster/ha/resources', undefined, opts), []).then((r) => void (snap.haResources = byKey(r, 'sid'))));
  if (need('ha-groups')) reads.push(orEmpty(client.get<Rec[]>('/cluster/ha/groups', undefined, opts), []).then((r) => void (snap.haGroups = byKey(r, 'group'))));
  if (need('ha-rules')) reads.push(orEmpty(client.get<Rec[]>('/cluster/ha/rules', undefined, opts), []).then((r) => void (snap.haRules = byKey(r, 'rule'))));

  const perNode = async (part: Part, read: (c: PveClient, node: string) => Promise<void>) => {
    if (!need(part)) return;
    await Promise.all(
      src.nodeNames().map(async (node) => {
        try {
          await read(await src.client(node, signal), node);
        } catch (e) {
          if (signal?.aborted) throw e;
          snap.unreachable.set(node, e instanceof Error ? e.message : String(e));
        }
      }),
    );
  };
  snap.network = need('network') ? new Map() : undefined;
  snap.versions = need('versions') ? new Map() : undefined;
  reads.push(
    perNode('network', async (c, node) => {
      // The envelope's `changes` (the staged diff) sits beside `data`: ask for the whole answer.
      const env = await c.getEnvelope<Rec[]>(`/nodes/${encodeURIComponent(node)}/network`, undefined, opts);
      const changes = typeof env.changes === 'string' && env.changes !== '' ? env.changes : undefined;
      snap.network!.set(node, { ifaces: env.data ?? [], changes });
    }),
  );
  reads.push(perNode('versions', async (c, node) => void snap.versions!.set(node, (await c.get<Rec>('/version', undefined, opts)) ?? {})));
  await Promise.all(reads);
  return snap;
}

/** One guest's configuration (for the guests poolform manages; never for all guests). */
export async function readGuestConfig(client: PveClient, node: string, vmid: number, signal?: AbortSignal): Promise<Rec | undefined> {
  try {
    return await client.get<Rec>(`/nodes/${encodeURIComponent(node)}/qemu/${vmid}/config`, undefined, { signal });
  } catch (e) {
    if (e instanceof PveApiError && e.status === 500 && /does not exist/.test(e.apiMessage)) return undefined;
    throw e;
  }
}
