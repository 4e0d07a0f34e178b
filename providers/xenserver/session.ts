// A session with one pool: the XAPI client logged in to its coordinator, the pool snapshot (read
// once per plan, then kept up to date from XAPI's change feed: snapshot.ts), and SSH to its
// hosts. Resources receive it; it holds no platform rules of its own.

import type { Session } from '../../engine/provider.js';
import { connectXapi } from './client/xapi.js';
import { sshExec } from './client/ssh.js';
import type { ShellOutput, SshEndpoint, XapiClient, XapiEndpoint } from './client/types.js';
import type { XenConfig } from './config.js';
import { readSnapshot, refreshSnapshot, type Snapshot } from './snapshot.js';

export class XenSession implements Session {
  /** The latest snapshot, or the read that will produce it. */
  private current: Promise<Snapshot> | undefined;
  /** A refresh queued behind `current` and not sent yet: a caller asking now may share it. */
  private queued: Promise<Snapshot> | undefined;
  /** Something changed since `current` was asked for (invalidate()). */
  private stale = false;

  constructor(
    readonly config: XenConfig,
    /** Logged in to the pool coordinator. */
    readonly xapi: XapiClient,
  ) {}

  get target(): string {
    return `pool coordinator ${this.xapi.url}`;
  }

  /**
   * The pool as last read; `fresh` (or an invalidate() since) brings it up to date first: the
   * first read is a full one, later ones apply the changes since the previous (one small request).
   * A returned snapshot never changes; compare an older one with a fresh one to see a change.
   */
  snapshot(fresh = false, signal?: AbortSignal): Promise<Snapshot> {
    if (!fresh && !this.stale && this.current) return this.current;
    this.stale = false;
    // A queued refresh is sent after this call, so it sees every change made before it.
    if (this.queued) return this.queued;
    const prior = this.current;
    const p: Promise<Snapshot> = Promise.resolve(prior?.catch(() => undefined)).then((base) => {
      if (this.queued === p) this.queued = undefined; // sent from here on: later callers queue another
      return base ? refreshSnapshot(this.xapi, base, signal) : readSnapshot(this.xapi, undefined, signal);
    });
    this.current = this.queued = p;
    p.catch(() => {
      if (this.current === p) this.current = undefined; // a failed read is not kept: the next one starts over
    });
    return p;
  }

  /** After a change: the next snapshot(), fresh or not, brings the snapshot up to date. */
  invalidate(): void {
    this.stale = true;
  }

  /** Logs in to another host (a host about to join, or a member probed directly). */
  openHost(endpoint: Partial<XapiEndpoint> & { url: string }, signal?: AbortSignal): Promise<XapiClient> {
    return connectXapi({ ...this.config.xapi, ...endpoint }, { signal, followSlave: false });
  }

  /**
   * Runs a command on a host's dom0 over SSH (strict known-hosts checking), as the provider
   * block's SSH user unless `login` names another (a pool member's own credentials).
   */
  ssh(host: string, port: number | undefined, command: string, signal?: AbortSignal, login?: Pick<SshEndpoint, 'username' | 'password'>): Promise<ShellOutput> {
    return sshExec({ ...this.config.ssh, ...login, host, port: port ?? this.config.ssh.port }, command, { signal });
  }

  async close(): Promise<void> {
    await this.xapi.logout().catch(() => undefined);
  }
}

/** Logs in to the pool named by the provider block, following HOST_IS_SLAVE to the coordinator. */
export async function openSession(config: XenConfig, signal?: AbortSignal): Promise<XenSession> {
  return new XenSession(config, await connectXapi(config.xapi, { signal, followSlave: true }));
}
