// Config file locks as Proxmox takes them: a guest's /var/lock/qemu-server/lock-<vmid>.conf for the
// length of the operation (its task), and the cluster-wide files (storage.cfg, datacenter.cfg, HA,
// corosync.conf). A request needing a held lock waits up to the lock timeout, then fails with the
// platform's "can't lock file '<path>' - got timeout", which clients retry with backoff.

import { PveFailure } from './backend.js';

export interface LockSpec {
  /** Unique within the lab: the domain (cluster) id plus the path. */
  key: string;
  /** The lock file path the error names. */
  path: string;
}

export const guestLockPath = (vmid: number) => `/var/lock/qemu-server/lock-${vmid}.conf`;
export const STORAGE_LOCK = '/var/lock/pve-manager/pve-storage-lock';
export const DATACENTER_LOCK = '/var/lock/pve-manager/pve-datacenter-lock';
export const HA_LOCK = '/var/lock/pve-manager/pve-ha-lock';
export const COROSYNC_LOCK = '/var/lock/pvecm.lock';
export const NETWORK_LOCK = '/etc/network/.pve-interfaces.lock';

export class Locks {
  /** key -> waiters, FIFO; an entry means the lock is held. */
  private readonly held = new Map<string, Array<() => void>>();

  isHeld(key: string): boolean {
    return this.held.has(key);
  }

  /**
   * Takes every lock (in the order given) or none: waits up to `waitMs` in all, then fails with the
   * first lock it could not get. Resolves to the release function.
   */
  async acquire(locks: LockSpec[], waitMs: number): Promise<() => void> {
    const deadline = Date.now() + waitMs;
    const got: string[] = [];
    const release = () => {
      for (const k of got.splice(0)) this.release(k);
    };
    for (const l of locks) {
      if (got.includes(l.key)) continue;
      if (!this.held.has(l.key)) {
        this.held.set(l.key, []);
        got.push(l.key);
        continue;
      }
      const ok = await this.wait(l.key, Math.max(0, deadline - Date.now()));
      if (!ok) {
        release();
        throw new PveFailure(500, `can't lock file '${l.path}' - got timeout`);
      }
      got.push(l.key);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }

  private wait(key: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const queue = this.held.get(key)!;
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const q = this.held.get(key);
        const i = q ? q.indexOf(waiter) : -1;
        if (i >= 0) q!.splice(i, 1);
        resolve(false);
      }, ms);
      queue.push(waiter);
    });
  }

  private release(key: string): void {
    const queue = this.held.get(key);
    if (!queue) return;
    const next = queue.shift();
    if (next) next(); // ownership passes to the next waiter
    else this.held.delete(key);
  }
}
