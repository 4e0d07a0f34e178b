// The parallel graph walker behind apply, refresh and observe: runs one step per node of a Dag, each
// only after all of its dependencies are done, at most `parallelism` at a time, with optional
// per-key limits (e.g. at most 4 concurrent calls to one pool coordinator).
//
// Why hand-written: no library here schedules a dependency graph with both a global and per-key
// limit, failure propagation and interruption. Work is O(N + E): each node is counted down,
// queued, launched and settled once, using the Dag's integer (CSR) view; nothing scans all nodes
// per completion and nothing recurses, so 50,000 nodes or a 20,000-deep chain are fine.
//
// Steps that settle immediately are driven by promise callbacks (microtasks), and every
// YIELD_EVERY settlements the walker yields to the event loop with setImmediate so that signals,
// timers and progress output still get serviced during a long walk of cheap steps.

import type { Dag } from '../graph/dag.js';

export interface WalkOptions {
  /** Global limit on steps running at once (default 10). */
  parallelism: number;
  /** Per-target limit: steps sharing a key run at most `max` at a time. The first `max` given for a
   *  key is the one used. A saturated key holds only its own steps back. */
  limitKey?(id: string): { key: string; max: number } | undefined;
  /** Interrupt: once aborted, no new step starts; running ones finish; the rest are not started. */
  signal?: AbortSignal;
  /** Called synchronously as steps start and settle, for progress and the journal. Must not throw:
   *  if it does, the walk stops starting steps and rejects with that error once running ones settle. */
  onEvent?(e: WalkEvent): void;
}

export type WalkEvent =
  | { type: 'start'; id: string }
  | { type: 'done'; id: string; ms: number }
  | { type: 'failed'; id: string; error: Error; ms: number }
  /** `cause` is the failed dependency (direct or transitive) that blocks this node. */
  | { type: 'skipped'; id: string; because: string; cause: string };

export interface WalkSummary {
  /** In completion order. */
  done: string[];
  failed: { id: string; error: Error }[];
  /** Blocked by a failed dependency (or, on a graph that was not checked for cycles, by a cycle). */
  skipped: { id: string; because: string; cause?: string }[];
  /** True when the signal stopped the walk before every step had been started. */
  interrupted: boolean;
  /** Nodes never started because of the interrupt, in graph node order. */
  notStarted: string[];
}

const YIELD_EVERY = 256;

const PENDING = 0; // waiting for dependencies
const QUEUED = 1; // dependencies done, waiting for a slot
const RUNNING = 2;
const DONE = 3;
const FAILED = 4;
const SKIPPED = 5;

/** FIFO of node numbers with O(1) amortised push/shift. */
class IntQueue {
  private a: number[] = [];
  private head = 0;
  get size(): number {
    return this.a.length - this.head;
  }
  push(v: number): void {
    this.a.push(v);
  }
  shift(): number {
    const v = this.a[this.head++];
    if (this.head > 1024 && this.head * 2 > this.a.length) {
      this.a = this.a.slice(this.head);
      this.head = 0;
    }
    return v;
  }
}

interface KeyState {
  max: number;
  running: number;
  waiting: IntQueue;
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export function walk(dag: Dag, run: (id: string) => Promise<void>, opts: WalkOptions): Promise<WalkSummary> {
  const c = dag.compact();
  const ids = c.ids;
  const n = ids.length;
  const parallelism = Math.max(1, Math.floor(opts.parallelism > 0 ? opts.parallelism : 10));
  const onEvent = opts.onEvent;
  const signal = opts.signal;

  const state = new Uint8Array(n);
  const remaining = new Int32Array(n);
  const startedAt = new Float64Array(n);
  const keyOfNode: (KeyState | undefined)[] = new Array(n);
  const keys = new Map<string, KeyState>();
  const ready = new IntQueue();
  const retry = new IntQueue(); // steps whose key just got a free slot: they go first

  const summary: WalkSummary = { done: [], failed: [], skipped: [], interrupted: false, notStarted: [] };
  let running = 0;
  let stopped = false; // interrupted or an onEvent error: start nothing new
  let eventError: Error | undefined;
  let scheduled = false;
  let sinceYield = 0;
  let finished = false;

  const emit = (e: WalkEvent): void => {
    if (!onEvent) return;
    try {
      onEvent(e);
    } catch (err) {
      if (!eventError) eventError = asError(err);
      stopped = true;
    }
  };

  const enqueue = (v: number): void => {
    state[v] = QUEUED;
    if (opts.limitKey) {
      const lk = opts.limitKey(ids[v]);
      if (lk) {
        let ks = keys.get(lk.key);
        if (!ks) {
          ks = { max: Math.max(1, Math.floor(lk.max)), running: 0, waiting: new IntQueue() };
          keys.set(lk.key, ks);
        }
        keyOfNode[v] = ks;
      }
    }
    ready.push(v);
  };

  for (let v = 0; v < n; v++) {
    remaining[v] = c.depStart[v + 1] - c.depStart[v];
    if (remaining[v] === 0) enqueue(v);
  }

  return new Promise<WalkSummary>((resolve, reject) => {
    const finish = (): void => {
      finished = true;
      for (let v = 0; v < n; v++) {
        const s = state[v];
        if (s === QUEUED || (s === PENDING && stopped)) summary.notStarted.push(ids[v]);
        else if (s === PENDING) {
          // Only reachable when the graph has a cycle: nothing in or behind it can ever start.
          state[v] = SKIPPED;
          const because = 'it is part of, or depends on, a dependency cycle';
          summary.skipped.push({ id: ids[v], because });
          emit({ type: 'skipped', id: ids[v], because, cause: ids[v] });
        }
      }
      summary.interrupted = summary.notStarted.length > 0 && !!signal?.aborted;
      if (eventError) reject(eventError);
      else resolve(summary);
    };

    const release = (v: number): void => {
      running--;
      const ks = keyOfNode[v];
      if (ks) {
        ks.running--;
        if (ks.waiting.size > 0) retry.push(ks.waiting.shift());
      }
    };

    const afterSettle = (): void => {
      if (scheduled) return; // a pump is already coming
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        scheduled = true;
        setImmediate(pump);
        return;
      }
      pump();
    };

    const succeed = (v: number): void => {
      state[v] = DONE;
      release(v);
      summary.done.push(ids[v]);
      if (onEvent) emit({ type: 'done', id: ids[v], ms: performance.now() - startedAt[v] });
      for (let k = c.dependentStart[v]; k < c.dependentStart[v + 1]; k++) {
        const u = c.dependents[k];
        if (--remaining[u] === 0 && state[u] === PENDING) enqueue(u);
      }
      afterSettle();
    };

    const fail = (v: number, err: unknown): void => {
      const error = asError(err);
      state[v] = FAILED;
      release(v);
      summary.failed.push({ id: ids[v], error });
      if (onEvent) emit({ type: 'failed', id: ids[v], error, ms: performance.now() - startedAt[v] });
      // Everything downstream is blocked; none of it can be queued or running (it needs v done).
      const cause = ids[v];
      const because = `dependency ${cause} failed`;
      const stack: number[] = [v];
      while (stack.length > 0) {
        const x = stack.pop()!;
        for (let k = c.dependentStart[x]; k < c.dependentStart[x + 1]; k++) {
          const u = c.dependents[k];
          if (state[u] !== PENDING) continue;
          state[u] = SKIPPED;
          summary.skipped.push({ id: ids[u], because, cause });
          emit({ type: 'skipped', id: ids[u], because, cause });
          stack.push(u);
        }
      }
      afterSettle();
    };

    const launch = (v: number): void => {
      state[v] = RUNNING;
      running++;
      const ks = keyOfNode[v];
      if (ks) ks.running++;
      if (onEvent) {
        startedAt[v] = performance.now();
        emit({ type: 'start', id: ids[v] });
      }
      let p: Promise<void>;
      try {
        p = Promise.resolve(run(ids[v]));
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        () => succeed(v),
        (err: unknown) => fail(v, err),
      );
    };

    function pump(): void {
      scheduled = false;
      if (finished) return;
      if (signal?.aborted) stopped = true;
      while (!stopped && running < parallelism) {
        const v = retry.size > 0 ? retry.shift() : ready.size > 0 ? ready.shift() : -1;
        if (v < 0) break;
        const ks = keyOfNode[v];
        if (ks && ks.running >= ks.max) {
          ks.waiting.push(v); // its key is busy: let other keys' steps go ahead
          continue;
        }
        launch(v);
      }
      if (running === 0) finish();
    }

    pump();
  });
}
