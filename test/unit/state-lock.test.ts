// The state lock: O_EXCL lock file, holder named in errors, stale detection, timeouts,
// force-unlock, and real contention between processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { hostname } from 'node:os';
import { once } from 'node:events';
import type { LockInfo } from '../../engine/state/types.js';
import type { LocalBackend } from '../../engine/state/local.js';
import { LockError, lockInfoFor } from '../../engine/state/lock.js';
import { tempBackend } from './state-fixtures.js';

const backend = () => tempBackend('pf-lock-');

const localUrl = new URL('../../engine/state/local.js', import.meta.url).href;
const lockUrl = new URL('../../engine/state/lock.js', import.meta.url).href;

function fakeLock(b: LocalBackend, over: Partial<LockInfo>): LockInfo {
  const info: LockInfo = {
    id: '11111111-2222-4333-8444-555555555555',
    operation: 'apply',
    who: 'alice@build-7',
    user: 'alice',
    host: 'build-7',
    pid: 4242,
    created: new Date(Date.now() - 90_000).toISOString(),
    version: '0.1.0',
    path: b.path,
    ...over,
  };
  fs.writeFileSync(b.lockPath, JSON.stringify(info), { mode: 0o600 });
  return info;
}

test('lock, holder, unlock; the lock file is 0600 and holds the LockInfo', async () => {
  const b = backend();
  const t0 = Date.now();
  const info = await b.lock(lockInfoFor('plan', '0.1.0'), 0);
  assert.match(info.id, /^[0-9a-f-]{36}$/);
  assert.equal(info.path, b.path);
  assert.equal(info.pid, process.pid);
  assert.equal(info.host, hostname());
  assert.equal(info.who, `${info.user}@${info.host}`);
  assert.equal(info.operation, 'plan');
  assert.equal(info.version, '0.1.0');
  assert.match(info.user, /\S/);
  assert.match(info.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.ok(Date.parse(info.created) >= t0 - 1000, 'created is the time the lock was taken');
  assert.equal(fs.statSync(b.lockPath).mode & 0o777, 0o600);
  assert.deepEqual(await b.lockHolder(), info);
  await assert.rejects(b.unlock('not-mine'), (e: unknown) => {
    assert.ok(e instanceof LockError);
    assert.match(e.message, new RegExp(`held by .* with ID ${info.id}`));
    return true;
  });
  assert.ok(fs.existsSync(b.lockPath), 'a wrong id does not unlock');
  await b.unlock(info.id);
  assert.equal(await b.lockHolder(), undefined);
  await assert.rejects(b.unlock(info.id), /it is not locked/);
  // and it can be taken again
  await b.unlock((await b.lock(lockInfoFor('apply', '0.1.0'), 0)).id);
});

test('a lock held elsewhere fails with a message naming the holder and how to release it', async () => {
  const b = backend();
  const held = fakeLock(b, {});
  await assert.rejects(b.lock(lockInfoFor('apply', '0.1.0'), 0), (e: unknown) => {
    assert.ok(e instanceof LockError);
    assert.deepEqual(e.holder, held);
    assert.equal(e.stale, false, 'another host: cannot tell');
    for (const part of ['alice@build-7', 'user alice', 'host build-7', 'pid 4242', '"apply"', held.created, '(1m ago)', `Lock ID: ${held.id}`, `poolform force-unlock ${held.id}`]) {
      assert.ok(e.message.includes(part), `message has ${part}:\n${e.message}`);
    }
    assert.doesNotMatch(e.message, /stale/);
    return true;
  });
  assert.deepEqual(await b.lockHolder(), held, 'untouched');
});

test('a lock of a dead process on this host is reported stale but not broken', async () => {
  const b = backend();
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const held = fakeLock(b, { host: hostname(), pid: dead });
  await assert.rejects(b.lock(lockInfoFor('apply', '0.1.0'), 0), (e: unknown) => {
    assert.ok(e instanceof LockError);
    assert.equal(e.stale, true);
    assert.match(e.message, new RegExp(`The lock is stale: process ${dead} is no longer running on this host`));
    assert.ok(e.message.includes(`poolform force-unlock ${held.id}`));
    return true;
  });
  assert.ok(fs.existsSync(b.lockPath), 'stale locks are not broken automatically');
  // a live process on this host is not stale
  fakeLock(b, { host: hostname(), pid: process.pid });
  await assert.rejects(b.lock(lockInfoFor('apply', '0.1.0'), 0), (e: unknown) => e instanceof LockError && !e.stale);
});

test('lock waits for the timeout, then fails saying how long it waited', async () => {
  const b = backend();
  fakeLock(b, {});
  const t0 = Date.now();
  await assert.rejects(b.lock(lockInfoFor('apply', '0.1.0'), 400), (e: unknown) => {
    assert.ok(e instanceof LockError);
    assert.match(e.message, /after waiting \d+\.\ds/);
    return true;
  });
  assert.ok(Date.now() - t0 >= 400, 'it waited at least the timeout');
});

test('lock succeeds once the holder releases within the timeout', async () => {
  const b = backend();
  const held = fakeLock(b, {});
  setTimeout(() => void b.forceUnlock(held.id), 150);
  const mine = await b.lock(lockInfoFor('apply', '0.1.0'), 5000);
  assert.equal((await b.lockHolder())!.id, mine.id);
});

test('force-unlock needs the right id, and a lock to remove', async () => {
  const b = backend();
  await assert.rejects(b.forceUnlock('x'), /is not locked: there is nothing to unlock/);
  const held = fakeLock(b, {});
  await assert.rejects(b.forceUnlock('wrong-id'), (e: unknown) => {
    assert.ok(e instanceof LockError);
    assert.match(e.message, new RegExp(`has ID ${held.id} \\(held by alice@build-7, pid 4242, for "apply"\\), not wrong-id`));
    return true;
  });
  assert.ok(fs.existsSync(b.lockPath));
  await b.forceUnlock(held.id);
  assert.ok(!fs.existsSync(b.lockPath));
});

test('an unreadable lock file is reported, not overwritten', async () => {
  const b = backend();
  fs.writeFileSync(b.lockPath, '');
  await assert.rejects(b.lock(lockInfoFor('apply', '0.1.0'), 0), /exists but cannot be read.*\n.*delete/);
  assert.equal(fs.readFileSync(b.lockPath, 'utf8'), '');
});

function holdInChild(b: LocalBackend): ChildProcessWithoutNullStreams {
  const script = `
    const { LocalBackend } = await import(${JSON.stringify(localUrl)});
    const { lockInfoFor } = await import(${JSON.stringify(lockUrl)});
    const b = new LocalBackend(${JSON.stringify(b.path)}, { version: '0.1.0' });
    const info = await b.lock(lockInfoFor('apply', '0.1.0'), 0);
    process.stdout.write(JSON.stringify(info) + '\\n');
    process.stdin.once('data', async () => { await b.unlock(info.id); process.exit(0); });
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script]);
}

test('a second process holding the lock: named in the error, then released to a waiter', async () => {
  const b = backend();
  const child = holdInChild(b);
  const exited = once(child, 'exit');
  try {
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    const childInfo = JSON.parse(line.toString()) as LockInfo;
    assert.equal(childInfo.pid, child.pid);
    await assert.rejects(b.lock(lockInfoFor('plan', '0.1.0'), 0), (e: unknown) => {
      assert.ok(e instanceof LockError);
      assert.equal(e.holder?.pid, child.pid);
      assert.equal(e.stale, false);
      assert.ok(e.message.includes(`pid ${child.pid}`) && e.message.includes(childInfo.id));
      return true;
    });
    const waiting = b.lock(lockInfoFor('apply', '0.1.0'), 20_000);
    setTimeout(() => child.stdin.write('release\n'), 100);
    const mine = await waiting;
    assert.equal((await b.lockHolder())!.id, mine.id);
    const [code] = (await exited) as [number];
    assert.equal(code, 0);
  } finally {
    child.kill();
  }
});

test('processes racing for the lock: exactly one wins', async () => {
  const b = backend();
  const n = 4;
  const script = `
    const { LocalBackend } = await import(${JSON.stringify(localUrl)});
    const { lockInfoFor } = await import(${JSON.stringify(lockUrl)});
    const b = new LocalBackend(${JSON.stringify(b.path)}, { version: '0.1.0' });
    const start = Number(process.argv[1]);
    while (Date.now() < start) {}
    try { await b.lock(lockInfoFor('apply', '0.1.0'), 0); console.log('won'); }
    catch (e) { console.log(e.name); }
  `;
  const start = Date.now() + 1500; // all children start trying at the same moment
  const children = Array.from({ length: n }, () =>
    spawn(process.execPath, ['--input-type=module', '-e', script, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const outputs = await Promise.all(
    children.map(async (c) => {
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await once(c, 'exit');
      return out.trim();
    }),
  );
  assert.equal(outputs.filter((o) => o === 'won').length, 1, outputs.join(','));
  assert.equal(outputs.filter((o) => o === 'LockError').length, n - 1, outputs.join(','));
  const holder = await b.lockHolder();
  assert.ok(children.some((c) => c.pid === holder!.pid));
});
