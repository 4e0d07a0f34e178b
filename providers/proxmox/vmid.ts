// VMID allocation. /cluster/nextid answers the lowest free id but reserves nothing, so steps of one
// apply creating guests at once would all get the same one. Ids being created are therefore held
// in a process-wide reservation set (per cluster) from the moment they are picked until the create
// has finished, picks skip held ids, and a create that still collides (another program or an admin
// took the id meanwhile: "VM 105 already exists") releases it and starts over with the next free
// id, a handful of times.

import { PveApiError, PveTaskError, type PveClient } from './client/types.js';

const held = new Map<string, Set<number>>();

const ATTEMPTS = 8;

/** Whether an error says the id is taken. */
export function isVmidTaken(e: unknown): boolean {
  const text = e instanceof PveApiError ? `${e.apiMessage} ${Object.values(e.errors ?? {}).join(' ')}` : e instanceof PveTaskError ? e.exitstatus : '';
  return /already exists|is already in use/i.test(text);
}

/** Ids held for `cluster` right now (for tests and messages). */
export function heldIds(cluster: string): number[] {
  return [...(held.get(cluster) ?? [])].sort((a, b) => a - b);
}

/** Picks a free id not held by this process, and holds it (the hold is taken before any await). */
async function pick(client: PveClient, mine: Set<number>, signal?: AbortSignal): Promise<number> {
  const first = Number(await client.get<number | string>('/cluster/nextid', undefined, { signal }));
  if (!Number.isInteger(first)) throw new Error(`/cluster/nextid answered ${String(first)}, not an id`);
  let candidate = first;
  for (let tries = 0; tries < 1000; tries++) {
    while (mine.has(candidate)) candidate++;
    mine.add(candidate);
    if (candidate === first) return candidate; // the platform just said it is free
    try {
      // Skipped past held ids: ask whether this one is free too.
      await client.get('/cluster/nextid', { vmid: candidate }, { signal });
      return candidate;
    } catch (e) {
      mine.delete(candidate);
      if (!isVmidTaken(e)) throw e;
      candidate++;
    }
  }
  throw new Error(`no free VMID found from ${first} on`);
}

/**
 * Runs `create` with a new VMID (see the file header) and answers the id and what `create` returned.
 * `cluster` keys the reservations (one set per cluster the process talks to).
 */
export async function withNewVmid<T>(client: PveClient, cluster: string, create: (vmid: number) => Promise<T>, signal?: AbortSignal): Promise<{ vmid: number; result: T }> {
  let mine = held.get(cluster);
  if (!mine) held.set(cluster, (mine = new Set()));
  let last: unknown;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const vmid = await pick(client, mine, signal);
    try {
      return { vmid, result: await create(vmid) };
    } catch (e) {
      if (!isVmidTaken(e)) throw e;
      last = e;
    } finally {
      mine.delete(vmid);
    }
  }
  throw new Error(`could not get a free VMID after ${ATTEMPTS} attempts (other programs keep taking them): ${(last as Error)?.message ?? ''}`, { cause: last });
}

/**
 * Runs `create` with the VMID the configuration gives, or with a new one (withNewVmid) when it gives
 * none; answers the id the guest got. `client` is the cluster-wide client, asked for only when needed.
 */
export async function createWithVmid(given: unknown, client: () => Promise<PveClient>, cluster: string, create: (vmid: number) => Promise<unknown>, signal?: AbortSignal): Promise<number> {
  if (typeof given === 'number') {
    await create(given);
    return given;
  }
  return (await withNewVmid(await client(), cluster, create, signal)).vmid;
}
