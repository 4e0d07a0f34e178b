// A session with one Proxmox cluster (or the standalone nodes about to form it): a pinned API client
// per configured node, opened on first use; the node cluster-wide calls go to (any member answers
// for the cluster); the cluster snapshot, read part by part as resource types need it and dropped
// after every change; and SSH to the nodes. Resources receive it; it holds no platform rules.

import type { ProviderContext, Session } from '../../engine/provider.js';
import { connectPve } from './client/api.js';
import { pveSsh } from './client/ssh.js';
import { PveTransportError, type PveClient, type ShellOutput, type TaskOptions } from './client/types.js';
import type { PveConfig, PveNodeConfig } from './config.js';
import { readSnapshot, splitStatus, type Part, type Rec, type Snapshot } from './snapshot.js';

interface Chosen {
  node: string;
  client: PveClient;
  status: ReturnType<typeof splitStatus>;
}

export class PveSession implements Session {
  private readonly clients = new Map<string, Promise<PveClient>>();
  /** The chosen node with the /cluster/status it answered (the snapshot's 'status' part until invalidate()). */
  private chosen: Promise<Chosen> | undefined;
  /** Parts read since the last change, each its own read (so a step asking for one part pays for one). */
  private parts = new Map<Part, Promise<Snapshot>>();

  constructor(readonly config: PveConfig) {}

  get target(): string {
    return `Proxmox nodes ${[...this.config.nodes.keys()].join(', ')}`;
  }

  nodeNames(): string[] {
    return [...this.config.nodes.keys()];
  }

  nodeConfig(node: string): PveNodeConfig {
    const n = this.config.nodes.get(node);
    if (!n) throw new Error(`node "${node}" is not in the provider's nodes (${this.nodeNames().join(', ')}): add it there with its api_url and tls_fingerprint`);
    return n;
  }

  /** A client for the node's own endpoint (its certificate pinned), logged in on first use. */
  client(node: string, signal?: AbortSignal): Promise<PveClient> {
    const known = this.clients.get(node);
    if (known) return known;
    const c = connectPve(this.nodeConfig(node).api, this.config.auth, { signal });
    this.clients.set(node, c);
    c.catch(() => {
      if (this.clients.get(node) === c) this.clients.delete(node); // a failed login is not kept
    });
    return c;
  }

  /**
   * The client for cluster-wide calls: the first configured node (in the order written) that answers
   * and belongs to a cluster; with no cluster yet, the first node that answers. Every node failing
   * is an error naming each node and why.
   */
  api(signal?: AbortSignal): Promise<{ node: string; client: PveClient }> {
    return this.chooseOnce(signal);
  }

  private chooseOnce(signal?: AbortSignal): Promise<Chosen> {
    if (!this.chosen) {
      const p = this.choose(signal);
      this.chosen = p;
      p.catch(() => {
        if (this.chosen === p) this.chosen = undefined;
      });
    }
    return this.chosen;
  }

  private async choose(signal?: AbortSignal): Promise<Chosen> {
    const failures: string[] = [];
    let standalone: Chosen | undefined;
    for (const node of this.nodeNames()) {
      try {
        const client = await this.client(node, signal);
        const status = splitStatus((await client.get<Rec[]>('/cluster/status', undefined, { signal })) ?? []);
        if (status.cluster) return { node, client, status };
        standalone ??= { node, client, status };
      } catch (e) {
        if (signal?.aborted) throw e;
        // Bad credentials or a wrong certificate are the user's to fix, not a reason to try elsewhere.
        if (e instanceof PveTransportError && (e.kind === 'auth' || e.kind === 'tls')) throw e;
        failures.push(`${node}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (standalone) return standalone;
    throw new PveTransportError(`no configured Proxmox node answered:\n  ${failures.join('\n  ')}`, this.nodeNames().join(','), 'unreachable');
  }

  /** The cluster as read since the last change; parts not read yet are read now. */
  async snapshot(parts: Part[], signal?: AbortSignal): Promise<Snapshot> {
    const reads = parts.map((part) => {
      let p = this.parts.get(part);
      if (!p) {
        // The status part is the answer the node was chosen by: read once per change, not twice.
        p = part === 'status' ? this.chooseOnce(signal).then(({ node, status }) => ({ apiNode: node, ...status, unreachable: new Map() })) : readSnapshot(this, [part], signal);
        this.parts.set(part, p);
        const mine = p;
        p.catch(() => {
          if (this.parts.get(part) === mine) this.parts.delete(part);
        });
      }
      return p;
    });
    const pieces = await Promise.all(reads);
    const out: Snapshot = { apiNode: pieces[0]?.apiNode ?? '', unreachable: new Map() };
    for (const piece of pieces) {
      for (const [k, v] of Object.entries(piece)) {
        if (k === 'unreachable') for (const [n, why] of piece.unreachable) out.unreachable.set(n, why);
        else if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
      }
    }
    return out;
  }

  /** After a change: every part is read again on next use, and the cluster-wide node chosen again. */
  invalidate(): void {
    this.parts = new Map();
    this.chosen = undefined;
  }

  /** Runs a command on a node over SSH (strict known-hosts checking), as the provider block's SSH user. */
  ssh(node: string, command: string, signal?: AbortSignal): Promise<ShellOutput> {
    return pveSsh(this.nodeConfig(node).ssh, command, { signal });
  }

  /** Task options for a step: the UPID journalled before the wait, progress shown, abort honoured. */
  taskOptions(ctx: ProviderContext): TaskOptions {
    return { signal: ctx.signal, step: ctx.step, onTask: ctx.task ? (upid) => ctx.task!(upid) : undefined, log: (l) => ctx.log(l), timeoutMs: this.config.taskTimeoutMs };
  }

  async close(): Promise<void> {
    for (const c of this.clients.values()) (await c.catch(() => undefined))?.close();
    this.clients.clear();
  }
}

/**
 * Opens the session and finds the node cluster-wide calls go to, so a wrong token, a wrong
 * certificate or a cluster that no node answers for is reported once, at the provider block.
 */
export async function openSession(config: PveConfig, signal?: AbortSignal): Promise<PveSession> {
  const s = new PveSession(config);
  await s.api(signal);
  return s;
}
