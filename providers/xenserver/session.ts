// A session with one pool: the XAPI client logged in to its coordinator, the pool snapshot (read
// once per plan, re-read after changes), and SSH to its hosts. Resources receive it; it holds no
// platform rules of its own.

import type { Session } from '../../engine/provider.js';
import { connectXapi } from './client/xapi.js';
import { sshExec } from './client/ssh.js';
import type { ShellOutput, XapiClient, XapiEndpoint } from './client/types.js';
import type { XenConfig } from './config.js';
import { readSnapshot, type Snapshot } from './snapshot.js';

export class XenSession implements Session {
  private snap: Promise<Snapshot> | undefined;

  constructor(
    readonly config: XenConfig,
    /** Logged in to the pool coordinator. */
    readonly xapi: XapiClient,
  ) {}

  get target(): string {
    return `pool coordinator ${this.xapi.url}`;
  }

  /** The pool as last read; `fresh` forces a new read (after this session changed something). */
  snapshot(fresh = false, signal?: AbortSignal): Promise<Snapshot> {
    if (fresh || !this.snap) {
      const p = readSnapshot(this.xapi, undefined, signal);
      p.catch(() => {
        if (this.snap === p) this.snap = undefined; // a failed read is not cached
      });
      this.snap = p;
    }
    return this.snap;
  }

  /** Marks the cached snapshot stale (the next snapshot() reads again). */
  invalidate(): void {
    this.snap = undefined;
  }

  /** Logs in to another host (a host about to join, or a member probed directly). */
  openHost(endpoint: Partial<XapiEndpoint> & { url: string }, signal?: AbortSignal): Promise<XapiClient> {
    return connectXapi({ ...this.config.xapi, ...endpoint }, { signal, followSlave: false });
  }

  /** Runs a command on a host's dom0 over SSH (strict known-hosts checking). */
  ssh(host: string, port: number | undefined, command: string, signal?: AbortSignal): Promise<ShellOutput> {
    return sshExec({ ...this.config.ssh, host, port: port ?? this.config.ssh.port }, command, { signal });
  }

  async close(): Promise<void> {
    await this.xapi.logout().catch(() => undefined);
  }
}

/** Logs in to the pool named by the provider block, following HOST_IS_SLAVE to the coordinator. */
export async function openSession(config: XenConfig, signal?: AbortSignal): Promise<XenSession> {
  return new XenSession(config, await connectXapi(config.xapi, { signal, followSlave: true }));
}
