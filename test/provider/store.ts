// The test provider's "platform": a JSON file of objects by type and id. Real file I/O on every
// call (read on each observe and operation, atomic write-then-rename on each change), so tests can
// edit the file behind poolform's back to simulate drift, and crash tests see a consistent file.
//
// File shape:
//   { "objects": { "<type>": { "<id>": { ...attributes } } }, "lookups": { "<name>": "<value>" },
//     "secrets": { "<id>": { "<write-only attribute>": value } } }

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface StoreData {
  objects: Record<string, Record<string, Record<string, unknown>>>;
  lookups?: Record<string, string>;
  /** Write-only values the platform received, by object id (so tests can see they were sent). */
  secrets?: Record<string, Record<string, unknown>>;
}

/** I/O counters, for tests that check observation is bulk (one read per observe). */
export const stats = {
  reads: 0,
  writes: 0,
  /** Operations (create/update/delete/read) running now, and the most ever at once. */
  inFlight: 0,
  maxInFlight: 0,
};

export function resetStats(): void {
  stats.reads = 0;
  stats.writes = 0;
  stats.inFlight = 0;
  stats.maxInFlight = 0;
}

function normalize(raw: unknown): StoreData {
  const d = (raw !== null && typeof raw === 'object' ? raw : {}) as Partial<StoreData>;
  return { ...d, objects: d.objects ?? {} };
}

/** Read the store; a missing file is an empty store. */
export async function readStore(path: string): Promise<StoreData> {
  stats.reads++;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { objects: {} };
    throw err;
  }
  try {
    return normalize(JSON.parse(text));
  } catch (err) {
    throw new Error(`test store ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Write the whole store atomically: a temporary file beside it, then rename over it. */
export async function writeStore(path: string, data: StoreData): Promise<void> {
  stats.writes++;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(data, null, 2) + '\n');
  await rename(tmp, path);
}

// Read-modify-write must not interleave within this process (operations run concurrently).
const chains = new Map<string, Promise<unknown>>();

/** Run `fn` on the current store under a per-file lock, writing the store back when it reports `changed`. */
export function withStore<T>(path: string, fn: (data: StoreData) => { result: T; changed: boolean }): Promise<T> {
  const prev = chains.get(path) ?? Promise.resolve();
  const next = prev.then(async () => {
    const data = await readStore(path);
    const { result, changed } = fn(data);
    if (changed) await writeStore(path, data);
    return result;
  });
  const settled = next.catch(() => undefined);
  chains.set(path, settled);
  void settled.then(() => {
    if (chains.get(path) === settled) chains.delete(path);
  });
  return next;
}

/** Synchronous helpers for tests that edit the platform directly (drift). */
export function readStoreSync(path: string): StoreData {
  return normalize(JSON.parse(readFileSync(path, 'utf8')));
}

export function writeStoreSync(path: string, data: StoreData): void {
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
}
