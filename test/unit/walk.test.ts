// The parallel walker: dependency order, limits, failure propagation, interruption, and scale.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dag } from '../../engine/graph/dag.js';
import { walk, type WalkEvent } from '../../engine/apply/walk.js';

/** A step that stays running until released, to control interleaving without timers. */
class Gate {
  private pending = new Map<string, { res: () => void; rej: (e: Error) => void }>();
  started: string[] = [];
  run = (id: string): Promise<void> =>
    new Promise<void>((res, rej) => {
      this.started.push(id);
      this.pending.set(id, { res, rej });
    });
  finish(id: string, error?: Error): void {
    const p = this.pending.get(id);
    assert.ok(p, `${id} is not running`);
    this.pending.delete(id);
    if (error) p.rej(error);
    else p.res();
  }
  get runningIds(): string[] {
    return [...this.pending.keys()].sort();
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

function diamond(): Dag {
  // top depends on left and right, which both depend on base.
  const d = new Dag();
  for (const id of ['base', 'left', 'right', 'top']) d.addNode(id);
  d.addDependency('left', 'base');
  d.addDependency('right', 'base');
  d.addDependency('top', 'left');
  d.addDependency('top', 'right');
  return d;
}

test('runs every node after its dependencies, in parallel where allowed', async () => {
  const g = new Gate();
  const events: string[] = [];
  const p = walk(diamond(), g.run, { parallelism: 10, onEvent: (e) => events.push(`${e.type}:${e.id}`) });
  assert.deepEqual(g.runningIds, ['base']);
  g.finish('base');
  await settle();
  assert.deepEqual(g.runningIds, ['left', 'right']);
  g.finish('left');
  await settle();
  assert.deepEqual(g.runningIds, ['right']); // top still waits for right
  g.finish('right');
  await settle();
  g.finish('top');
  const s = await p;
  assert.deepEqual(s.done, ['base', 'left', 'right', 'top']);
  assert.deepEqual(s.failed, []);
  assert.deepEqual(s.skipped, []);
  assert.deepEqual(s.notStarted, []);
  assert.equal(s.interrupted, false);
  assert.deepEqual(events, [
    'start:base', 'done:base', 'start:left', 'start:right', 'done:left', 'done:right', 'start:top', 'done:top',
  ]);
});

test('never runs more than `parallelism` steps at once', async () => {
  const d = new Dag();
  for (let i = 0; i < 50; i++) d.addNode(`r${i}`);
  let now = 0;
  let peak = 0;
  const s = await walk(
    d,
    async () => {
      now++;
      peak = Math.max(peak, now);
      await settle();
      now--;
    },
    { parallelism: 3 },
  );
  assert.equal(s.done.length, 50);
  assert.equal(peak, 3);
});

test('a per-key limit holds back only that key', async () => {
  const d = new Dag();
  for (let i = 0; i < 6; i++) d.addNode(`pool1.vm${i}`);
  for (let i = 0; i < 3; i++) d.addNode(`pool2.vm${i}`);
  const g = new Gate();
  const p = walk(d, g.run, {
    parallelism: 6,
    limitKey: (id) => (id.startsWith('pool1.') ? { key: 'pool1', max: 2 } : undefined),
  });
  // pool1 is saturated at 2; pool2's steps, queued behind pool1's, still start.
  assert.deepEqual(g.runningIds, ['pool1.vm0', 'pool1.vm1', 'pool2.vm0', 'pool2.vm1', 'pool2.vm2']);
  g.finish('pool1.vm0');
  await settle();
  assert.deepEqual(g.runningIds, ['pool1.vm1', 'pool1.vm2', 'pool2.vm0', 'pool2.vm1', 'pool2.vm2']);
  for (const id of ['pool2.vm0', 'pool2.vm1', 'pool2.vm2']) g.finish(id);
  await settle();
  assert.equal(g.runningIds.filter((id) => id.startsWith('pool1.')).length, 2);
  while (g.runningIds.length > 0) {
    for (const id of g.runningIds) g.finish(id);
    await settle();
    assert.ok(g.runningIds.length <= 2);
  }
  const s = await p;
  assert.equal(s.done.length, 9);
});

test('a failure skips its transitive dependents, naming it, while independent work goes on', async () => {
  const d = diamond();
  d.addDependency('roof', 'top');
  d.addNode('other');
  d.addDependency('other2', 'other');
  const events: WalkEvent[] = [];
  const s = await walk(
    d,
    async (id) => {
      if (id === 'left') throw new Error('boom');
      if (id === 'other') throw 'not an Error object';
    },
    { parallelism: 4, onEvent: (e) => events.push(e) },
  );
  assert.deepEqual(s.done.sort(), ['base', 'right']);
  assert.deepEqual(
    s.failed.map((f) => [f.id, f.error.message]).sort(),
    [['left', 'boom'], ['other', 'not an Error object']],
  );
  assert.deepEqual(
    s.skipped.map((x) => [x.id, x.because, x.cause]).sort(),
    [
      ['other2', 'dependency other failed', 'other'],
      ['roof', 'dependency left failed', 'left'],
      ['top', 'dependency left failed', 'left'],
    ],
  );
  assert.equal(events.filter((e) => e.type === 'skipped').length, 3);
  assert.equal(s.interrupted, false);
  assert.deepEqual(s.notStarted, []);
});

test('a step that throws synchronously fails like a rejected one', async () => {
  const d = new Dag();
  d.addDependency('b', 'a');
  const s = await walk(
    d,
    (id) => {
      if (id === 'a') throw new Error('sync');
      return Promise.resolve();
    },
    { parallelism: 2 },
  );
  assert.deepEqual(s.failed.map((f) => f.error.message), ['sync']);
  assert.deepEqual(s.skipped.map((x) => x.id), ['b']);
});

test('interrupt: no new steps start, running ones finish, the rest are not started', async () => {
  const d = new Dag();
  for (const id of ['a', 'b', 'c']) d.addNode(id);
  d.addDependency('a2', 'a');
  d.addDependency('a3', 'a2');
  const g = new Gate();
  const ac = new AbortController();
  const p = walk(d, g.run, { parallelism: 2, signal: ac.signal });
  assert.deepEqual(g.runningIds, ['a', 'b']);
  ac.abort();
  g.finish('a');
  await settle();
  assert.deepEqual(g.runningIds, ['b']); // nothing new started
  g.finish('b');
  const s = await p;
  assert.deepEqual(s.done, ['a', 'b']);
  assert.equal(s.interrupted, true);
  assert.deepEqual(s.notStarted.sort(), ['a2', 'a3', 'c']);
});

test('an already-aborted signal starts nothing', async () => {
  const ac = new AbortController();
  ac.abort();
  let ran = 0;
  const s = await walk(diamond(), async () => void ran++, { parallelism: 4, signal: ac.signal });
  assert.equal(ran, 0);
  assert.equal(s.interrupted, true);
  assert.deepEqual(s.notStarted, ['base', 'left', 'right', 'top']);
});

test('an empty graph finishes at once', async () => {
  const s = await walk(new Dag(), async () => {}, { parallelism: 10 });
  assert.deepEqual(s, { done: [], failed: [], skipped: [], interrupted: false, notStarted: [] });
});

test('nodes in or behind an unchecked cycle are skipped, not waited for forever', async () => {
  const d = new Dag();
  d.addDependency('a', 'b');
  d.addDependency('b', 'a');
  d.addDependency('c', 'a');
  d.addNode('free');
  const s = await walk(d, async () => {}, { parallelism: 2 });
  assert.deepEqual(s.done, ['free']);
  assert.deepEqual(s.skipped.map((x) => x.id).sort(), ['a', 'b', 'c']);
});

test('a throwing onEvent stops the walk and rejects with its error', async () => {
  const d = new Dag();
  d.addDependency('b', 'a');
  await assert.rejects(
    walk(d, async () => {}, {
      parallelism: 2,
      onEvent: (e) => {
        if (e.type === 'done') throw new Error('journal full');
      },
    }),
    /journal full/,
  );
});

test('the event loop is serviced during a long walk of instant steps', async () => {
  const d = new Dag();
  for (let i = 0; i < 5000; i++) d.addNode(`n${i}`);
  let immediates = 0;
  let stop = false;
  const spin = () => {
    if (stop) return;
    immediates++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const s = await walk(d, () => Promise.resolve(), { parallelism: 10 });
  stop = true;
  assert.equal(s.done.length, 5000);
  assert.ok(immediates >= 2, `setImmediate callbacks ran ${immediates} times during the walk`);
});

test('1,000 instant steps complete without timers per step', async () => {
  const d = new Dag();
  for (let i = 0; i < 1000; i++) d.addNode(`n${i}`);
  for (let i = 1; i < 1000; i += 2) d.addDependency(`n${i}`, `n${i - 1}`);
  let count = 0;
  const s = await walk(d, async () => void count++, { parallelism: 10 });
  assert.equal(count, 1000);
  assert.equal(s.done.length, 1000);
});

for (const n of [20_000, 50_000]) {
  test(`a ${n}-deep chain walks in order without overflowing the stack`, async () => {
    const d = new Dag();
    for (let i = 0; i < n; i++) d.addNode(`n${i}`);
    for (let i = 1; i < n; i++) d.addDependency(`n${i}`, `n${i - 1}`);
    let next = 0;
    let inOrder = true;
    const s = await walk(
      d,
      (id) => {
        if (id !== `n${next++}`) inOrder = false;
        return Promise.resolve();
      },
      { parallelism: 10 },
    );
    assert.equal(s.done.length, n);
    assert.equal(inOrder, true);
    // A failure at the root skips the whole chain without recursion.
    const f = await walk(d, (id) => (id === 'n0' ? Promise.reject(new Error('x')) : Promise.resolve()), {
      parallelism: 10,
    });
    assert.equal(f.skipped.length, n - 1);
  });
}

test('50,000 nodes in a wide graph with fan-in all complete', async () => {
  const d = new Dag();
  const n = 50_000;
  for (let i = 0; i < n; i++) d.addNode(`r${i}`);
  // Each node depends on up to two earlier ones: a layered, wide DAG.
  for (let i = 5; i < n; i++) {
    d.addDependency(`r${i}`, `r${i - 1 - (i % 5)}`);
    d.addDependency(`r${i}`, `r${i >> 1}`);
  }
  const s = await walk(d, () => Promise.resolve(), {
    parallelism: 10,
    limitKey: (id) => ({ key: `k${id.length}`, max: 4 }),
  });
  assert.equal(s.done.length, n);
  const pos = new Map(s.done.map((id, i) => [id, i]));
  for (let i = 5; i < n; i += 997) {
    assert.ok(pos.get(`r${i}`)! > pos.get(`r${i >> 1}`)!);
    assert.ok(pos.get(`r${i}`)! > pos.get(`r${i - 1 - (i % 5)}`)!);
  }
});
