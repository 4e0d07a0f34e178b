// Preflight of proxmox_storage changes against the cluster: a shared storage must be reachable from
// every node it lists (every member when it lists none), and a storage with guests' disks on it is
// not deleted. A new storage (or a node newly added to one) is probed from each node over SSH with
// the platform's own scanner (`pvesm scan nfs|cifs|iscsi <server>`), checking the export, share or
// target (or PBS datastore) is offered to that node; a node that already has it reports its status
// in /cluster/resources (inactive = unreachable from there). Without SSH credentials the probe is
// skipped with a warning. Ceph (rbd, cephfs) has no scan without its keyring: its status after
// creation is what tells.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import { UNKNOWN_MARK, type PlannedChange, type ProviderContext } from '../../../engine/provider.js';
import { PveApiError } from '../client/types.js';
import { sharedKind } from '../platform-rules.js';
import { parseProps, splitList } from '../props.js';
import type { PveSession } from '../session.js';
import { flag, readGuestConfig, type Rec, type Snapshot } from '../snapshot.js';

/** Shell-quotes one argument. */
function q(arg: string): string {
  return /^[A-Za-z0-9_.:/@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

interface Probe {
  command: string;
  /** What must be listed ("export /export/pve"), and the value to find in the first column. */
  what: string;
  want: string;
  server: string;
}

function probeOf(a: Record<string, unknown>): Probe | undefined {
  const str = (k: string) => (typeof a[k] === 'string' && !(a[k] as string).includes(UNKNOWN_MARK) ? (a[k] as string) : undefined);
  const type = a.type;
  if (type === 'nfs' && str('server') && str('export')) return { command: `pvesm scan nfs ${q(str('server')!)}`, what: 'export', want: str('export')!, server: str('server')! };
  if (type === 'cifs' && str('server') && str('share')) return { command: `pvesm scan cifs ${q(str('server')!)}`, what: 'share', want: str('share')!, server: str('server')! };
  if ((type === 'iscsi' || type === 'iscsidirect') && str('portal') && str('target')) return { command: `pvesm scan iscsi ${q(str('portal')!)}`, what: 'target', want: str('target')!, server: str('portal')! };
  if (type === 'pbs' && str('server') && str('datastore')) {
    // Without the password (never put on a command line): a server that insists is reported as not probed.
    const fp = str('fingerprint') ? ` --fingerprint ${q(str('fingerprint')!)}` : '';
    return { command: `pvesm scan pbs ${q(str('server')!)} ${q(str('username') ?? 'root@pam')}${fp}`, what: 'datastore', want: str('datastore')!, server: str('server')! };
  }
  return undefined;
}

function isActive(r: Rec): boolean {
  if (r.active !== undefined) return flag(r.active);
  return r.status === 'available' || r.status === 'active';
}

/** Runs `fn` over `items` with at most `width` at once. */
async function pool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/** Whether a guest config value refers to a volume on `storage` ("nfs1:100/vm-100-disk-0.qcow2,size=8G"). */
function onStorage(value: unknown, storage: string): boolean {
  if (typeof value !== 'string') return false;
  const file = parseProps(value, 'file').file ?? '';
  return file.startsWith(`${storage}:`);
}

const DISK_KEY = /^(scsi|virtio|sata|ide|efidisk|tpmstate|unused)\d+$|^vmstate$/;

/**
 * Guests with a volume on the storage, as "VM 100 (web) on pve1: scsi0". Asks each node where the
 * storage is active for its content (GET /nodes/{node}/storage/{storage}/content, one request per
 * node); where a node does not offer that listing, reads the configurations of the QEMU guests on
 * it (containers are not checked then).
 */
export async function guestsUsing(s: PveSession, storage: string, signal?: AbortSignal): Promise<string[]> {
  const snap = await s.snapshot(['resources', 'storage'], signal);
  const guests = [...(snap.guests?.values() ?? [])];
  const status = snap.storageStatus?.get(storage);
  const entry = snap.storage?.get(storage);
  const shared = entry ? sharedKind(String(entry.type)) === 'always' || flag(entry.shared) : false;
  let nodes = status ? [...status].filter(([, r]) => isActive(r)).map(([n]) => n) : [];
  if (shared) nodes = nodes.slice(0, 1);
  const found = new Set<string>();
  const fallback: string[] = [];
  const { client } = await s.api(signal);
  await Promise.all(
    nodes.map(async (node) => {
      try {
        const list = (await client.get<Rec[]>(`/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/content`, undefined, { signal })) ?? [];
        for (const v of list) {
          const vmid = Number(v.vmid);
          if (!Number.isFinite(vmid) || vmid <= 0) continue;
          const g = snap.guests?.get(vmid);
          found.add(`${g?.type === 'lxc' ? 'CT' : 'VM'} ${vmid}${g?.name ? ` (${g.name})` : ''}${g ? ` on ${g.node}` : ''}: ${String(v.volid ?? '')}`);
        }
      } catch (e) {
        if (signal?.aborted) throw e;
        if (e instanceof PveApiError && e.status === 501) fallback.push(node);
        else throw e;
      }
    }),
  );
  if (fallback.length || (nodes.length === 0 && guests.length)) {
    const where = new Set(fallback);
    const check = guests.filter((g) => g.type === 'qemu' && (nodes.length === 0 || where.has(g.node) || shared));
    await pool(check, 8, async (g) => {
      const cfg = await readGuestConfig(client, g.node, g.vmid, signal);
      const keys = Object.entries(cfg ?? {})
        .filter(([k, v]) => DISK_KEY.test(k) && onStorage(v, storage))
        .map(([k]) => k);
      if (keys.length) found.add(`VM ${g.vmid}${g.name ? ` (${g.name})` : ''} on ${g.node}: ${keys.join(', ')}`);
    });
  }
  return [...found].sort();
}

/** The nodes a storage is for: its list, or every member (the answering node when standalone). */
function targetNodes(listed: unknown, members: string[]): string[] {
  const l = splitList(listed);
  return l.length ? l : members;
}

/**
 * The cluster's members once this plan has run: today's, plus the nodes a proxmox_cluster or
 * proxmox_cluster_node of the plan brings in. Undefined while a planned join names its node with
 * a value known only after apply (then membership cannot be checked).
 */
export function membersAfterPlan(snap: Snapshot, all: PlannedChange[]): string[] | undefined {
  const out = new Set(snap.cluster && snap.nodes ? snap.nodes.keys() : snap.nodes ? [...snap.nodes.keys()] : [snap.apiNode]);
  for (const c of all) {
    if ((c.type !== 'proxmox_cluster_node' && c.type !== 'proxmox_cluster') || !c.after || c.action === 'delete') continue;
    if (typeof c.after.node !== 'string' || c.after.node.includes(UNKNOWN_MARK)) return undefined;
    out.add(c.after.node);
  }
  return [...out];
}

/**
 * Reachability (new storage: `pvesm scan` from each node; existing: status per node) and in-use
 * checks for deletions and replacements. Diagnostics name the node, the storage and the remedy.
 */
export async function storageReachability(changes: PlannedChange[], s: PveSession, ctx: ProviderContext, all: PlannedChange[] = changes): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const relevant = changes.filter((c) => c.action === 'create' || c.action === 'replace' || c.action === 'update' || c.action === 'delete');
  if (relevant.length === 0) return out;
  const snap = await s.snapshot(['status', 'storage', 'resources'], ctx.signal);
  const members = membersAfterPlan(snap, all) ?? (snap.nodes ? [...snap.nodes.keys()] : [snap.apiNode]);
  const configured = new Set(s.nodeNames());
  await Promise.all(
    relevant.map(async (c) => {
      const id = typeof (c.before ?? c.after)?.storage === 'string' ? String((c.before ?? c.after)!.storage) : undefined;
      if ((c.action === 'delete' || c.action === 'replace') && id && snap.storage?.has(id)) {
        const users = await guestsUsing(s, id, ctx.signal);
        if (users.length) {
          out.push({
            severity: 'error',
            address: c.address,
            summary: `${c.action === 'delete' ? 'Deleting' : 'Replacing'} storage ${id} would orphan guests' disks`,
            detail: `Guests have disks on it: ${users.join('; ')}. Move those disks to another storage (qm disk move) or remove them first.`,
          });
        }
      }
      const a = c.after;
      if (!a || c.action === 'delete' || typeof a.type !== 'string') return;
      if (sharedKind(a.type) !== 'always') return; // local storage, or shared only by the admin's word
      if (Array.isArray(a.nodes) && a.nodes.some((n) => typeof n !== 'string')) return;
      const sid = String(a.storage);
      const nodes = targetNodes(a.nodes, members);
      for (const n of nodes) {
        if (!members.includes(n)) {
          out.push({ severity: 'error', address: c.address, summary: `Storage ${sid} lists node ${n}, which is not in the cluster`, detail: `The cluster's nodes are ${members.join(', ')}.`, suggestion: nearestName(n, members) });
        }
      }
      const status = c.action === 'update' ? snap.storageStatus?.get(sid) : undefined;
      const toProbe: string[] = [];
      for (const n of nodes) {
        const st = status?.get(n);
        if (st && !flag(snap.storage?.get(sid)?.disable)) {
          if (!isActive(st)) {
            out.push({
              severity: 'error',
              address: c.address,
              summary: `Storage ${sid} is not active on node ${n}`,
              detail: `/cluster/resources reports it ${String(st.status ?? 'inactive')} there: the node cannot reach ${String(a.server ?? a.portal ?? (Array.isArray(a.monhost) ? a.monhost.join(', ') : undefined) ?? 'the storage')}. Check the network path from ${n} to the server (pvesm scan / ping on ${n}) and the export permissions, or leave ${n} out of nodes.`,
            });
          }
        } else toProbe.push(n);
      }
      const probe = probeOf(a);
      if (!probe || toProbe.length === 0) return;
      const skipped: string[] = [];
      await Promise.all(
        toProbe.map(async (n) => {
          if (!configured.has(n)) return void skipped.push(`${n} (not in the provider's nodes)`);
          const ssh = s.nodeConfig(n).ssh;
          if (!ssh.password && !ssh.privateKey) return void skipped.push(`${n} (no SSH credentials)`);
          let res;
          try {
            res = await s.ssh(n, probe.command, ctx.signal);
          } catch (e) {
            if (ctx.signal.aborted) throw e;
            return void skipped.push(`${n} (${(e as Error).message})`);
          }
          const offered = res.stdout
            .split('\n')
            .map((l) => l.trim().split(/\s+/)[0] ?? '')
            .filter((x) => x !== '');
          if (res.code !== 0 && /password/i.test(res.stderr + res.stdout)) return void skipped.push(`${n} (the server wants the password for a scan)`);
          if (res.code !== 0) {
            out.push({
              severity: 'error',
              address: c.address,
              summary: `Node ${n} cannot reach the ${a.type} server ${probe.server} of storage ${sid}`,
              detail: `\`${probe.command}\` on ${n} failed: ${(res.stderr || res.stdout).trim() || `exit ${res.code}`}. Fix the network path from ${n} to ${probe.server} (routing, firewall, the storage network's VLAN on that node), or leave ${n} out of nodes.`,
            });
          } else if (!offered.includes(probe.want)) {
            out.push({
              severity: 'error',
              address: c.address,
              summary: `${probe.server} does not offer ${probe.what} ${probe.want} to node ${n}`,
              detail: `\`${probe.command}\` on ${n} lists ${offered.length ? offered.join(', ') : 'nothing'}. Check the ${probe.what} name and the server's access list for ${n}.`,
              suggestion: nearestName(probe.want, offered),
            });
          }
        }),
      );
      if (skipped.length) {
        out.push({
          severity: 'warning',
          address: c.address,
          summary: `Reachability of storage ${sid} was not probed from ${skipped.length === 1 ? 'one node' : `${skipped.length} nodes`}`,
          detail: `Skipped: ${skipped.join('; ')}. poolform runs \`${probe.command}\` on each node over SSH; configure ssh_password or ssh_private_key (and known_hosts_file) in the provider block to have it checked before the storage is created.`,
        });
      }
    }),
  );
  return out;
}
