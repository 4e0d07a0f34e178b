// The state lock: `poolform.state.json.lock`, created with O_EXCL so exactly one process wins,
// holding the holder's LockInfo as JSON. Waiting retries with backoff; a lock whose process is
// gone (same host, pid not alive) is reported as stale but never broken automatically:
// only `poolform force-unlock <ID>` removes someone else's lock.

import * as fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import type { LockInfo } from './types.js';
import { fsyncDir } from './file.js';

export class LockError extends Error {
  constructor(
    message: string,
    /** The current holder, when known. */
    readonly holder?: LockInfo,
    /** The holder's process is known to be gone. */
    readonly stale = false,
  ) {
    super(message);
    this.name = 'LockError';
  }
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? process.env.USERNAME ?? 'unknown';
  }
}

/** LockInfo for this process (without the id and path the backend fills in). */
export function lockInfoFor(operation: string, version: string): Omit<LockInfo, 'id' | 'path'> {
  const user = currentUser();
  const host = hostname();
  return { operation, who: `${user}@${host}`, user, host, pid: process.pid, created: new Date().toISOString(), version };
}

/** Is the process alive? EPERM means it exists but belongs to someone else. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The holder's process is on this host and no longer runs. */
export function isStale(info: LockInfo): boolean {
  return info.host === hostname() && !isProcessAlive(info.pid);
}

/** The lock file's content: a LockInfo, undefined when there is no lock, 'unreadable' if damaged. */
export function readLock(lockPath: string): LockInfo | undefined | 'unreadable' {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return 'unreadable';
  }
  try {
    const v = JSON.parse(text) as LockInfo;
    if (v && typeof v === 'object' && typeof v.id === 'string') return v;
  } catch {
    // empty or partial: the holder may be writing it right now
  }
  return 'unreadable';
}

function ago(iso: string): string {
  const ms = Date.now() - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  const text = s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 172800 ? `${Math.floor(s / 3600)}h` : `${Math.floor(s / 86400)}d`;
  return ` (${text} ago)`;
}

/** The message naming who holds the lock and how to release it. */
export function describeHeldLock(statePath: string, lockPath: string, holder: LockInfo | 'unreadable', waitedMs: number): string {
  const waited = waitedMs > 0 ? ` after waiting ${(waitedMs / 1000).toFixed(waitedMs < 10000 ? 1 : 0)}s` : '';
  if (holder === 'unreadable') {
    return (
      `Error acquiring the state lock for ${statePath}${waited}: the lock file ${lockPath} exists but cannot be read.\n` +
      `A poolform may be taking it right now, or one crashed while taking it. If no poolform is running, delete ${lockPath}.`
    );
  }
  const lines = [
    `Error acquiring the state lock for ${statePath}${waited}.`,
    `It is held by ${holder.who} (user ${holder.user}, host ${holder.host}, pid ${holder.pid}) ` +
      `for "${holder.operation}" since ${holder.created}${ago(holder.created)}, poolform ${holder.version}.`,
    `Lock ID: ${holder.id}`,
  ];
  if (isStale(holder)) {
    lines.push(`The lock is stale: process ${holder.pid} is no longer running on this host.`);
  }
  lines.push(`If no poolform is using this state any more, release the lock with:`, `  poolform force-unlock ${holder.id}`);
  return lines.join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tryCreate(lockPath: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(lockPath, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new LockError(`cannot create the lock file ${lockPath}: ${(err as Error).message}`);
  }
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, JSON.stringify(info, null, 2) + '\n');
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(lockPath, { force: true });
    throw new LockError(`cannot write the lock file ${lockPath}: ${(err as Error).message}`);
  }
  fs.closeSync(fd);
  fsyncDir(dirname(lockPath));
  return true;
}

/**
 * Takes the lock, retrying with backoff (50 ms doubling to 1 s) until `timeoutMs` has passed
 * (0: one try). Throws LockError naming the holder.
 */
export async function acquireLock(
  lockPath: string,
  statePath: string,
  info: Omit<LockInfo, 'id' | 'path'>,
  timeoutMs: number,
): Promise<LockInfo> {
  const full: LockInfo = { ...info, id: randomUUID(), path: statePath };
  const start = Date.now();
  let delay = 50;
  for (;;) {
    if (tryCreate(lockPath, full)) return full;
    const waited = Date.now() - start;
    const remaining = timeoutMs - waited;
    if (remaining <= 0) {
      let holder = readLock(lockPath);
      // A holder that is mid-write shows an empty file for an instant: look again briefly.
      for (let i = 0; i < 3 && holder === 'unreadable'; i++) {
        await sleep(20);
        holder = readLock(lockPath);
      }
      if (holder === undefined) {
        if (tryCreate(lockPath, full)) return full; // released just now
        holder = readLock(lockPath) ?? 'unreadable';
      }
      const known = holder === 'unreadable' ? undefined : holder;
      throw new LockError(
        describeHeldLock(statePath, lockPath, holder, timeoutMs > 0 ? waited : 0),
        known,
        known ? isStale(known) : false,
      );
    }
    // Jitter keeps two waiters from retrying in lockstep.
    await sleep(Math.min(remaining, delay * (0.75 + Math.random() * 0.5)));
    delay = Math.min(delay * 2, 1000);
  }
}

/** Removes our own lock; refuses if the lock is someone else's or gone. */
export function releaseLock(lockPath: string, statePath: string, id: string): void {
  const holder = readLock(lockPath);
  if (holder === undefined) {
    throw new LockError(`cannot release the state lock ${id} for ${statePath}: it is not locked (was it force-unlocked?)`);
  }
  if (holder === 'unreadable') throw new LockError(`cannot release the state lock for ${statePath}: ${lockPath} cannot be read`);
  if (holder.id !== id) {
    throw new LockError(
      `cannot release the state lock ${id} for ${statePath}: it is now held by ${holder.who} (pid ${holder.pid}) with ID ${holder.id}`,
      holder,
    );
  }
  fs.rmSync(lockPath, { force: true });
  fsyncDir(dirname(lockPath));
}

/** The current holder (undefined when unlocked); a damaged lock file is a LockError. */
export function lockHolder(lockPath: string): LockInfo | undefined {
  const holder = readLock(lockPath);
  if (holder === 'unreadable') {
    throw new LockError(`the lock file ${lockPath} cannot be read; if no poolform is running, delete it`);
  }
  return holder;
}

/** Removes the lock whose ID is `id`, whoever holds it (`poolform force-unlock`). */
export function forceReleaseLock(lockPath: string, statePath: string, id: string): void {
  const holder = lockHolder(lockPath);
  if (holder === undefined) throw new LockError(`${statePath} is not locked: there is nothing to unlock`);
  if (holder.id !== id) {
    throw new LockError(
      `the lock on ${statePath} has ID ${holder.id} (held by ${holder.who}, pid ${holder.pid}, for "${holder.operation}"), ` +
        `not ${id}; nothing was unlocked`,
      holder,
      isStale(holder),
    );
  }
  fs.rmSync(lockPath, { force: true });
  fsyncDir(dirname(lockPath));
}
