// The apply journal: durable appends, replay after a crash, torn tails, commit, recover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ResourceInstanceState, State } from '../../engine/state/types.js';
import { LocalBackend } from '../../engine/state/local.js';
import { emptyState, findResource, listAddresses } from '../../engine/state/ops.js';
import { StateError } from '../../engine/state/file.js';
import { tempBackend } from './state-fixtures.js';

const backend = () => tempBackend('pf-journal-');

function res(address: string, id = `id-${address}`): ResourceInstanceState {
  const [type] = address.split('.');
  return { address, mode: 'managed', type, provider: 'xenserver', id, attributes: { name: address }, dependencies: [] };
}

async function seeded(b: LocalBackend): Promise<State> {
  const s: State = { ...emptyState('0.1.0'), serial: 3, resources: [res('xen_vm.keep'), res('xen_vm.old')] };
  await b.write(s);
  return s;
}

test('appends are visible in current(), and after a crash read() replays them without writing', async () => {
  const b = backend();
  const base = await seeded(b);
  const before = fs.readFileSync(b.path, 'utf8');
  const j = b.openFileJournal(base);
  assert.equal(fs.statSync(b.journalPath).mode & 0o777, 0o600);
  await j.append({ op: 'put', resource: res('xen_vm.new') });
  await j.append({ op: 'delete', address: 'xen_vm.old', task: 'OpaqueRef:1' });
  await j.append({ op: 'outputs', outputs: { ip: { value: '10.0.0.1', sensitive: false } } });
  assert.deepEqual(listAddresses(j.current()), ['xen_vm.keep', 'xen_vm.new']);
  assert.deepEqual(j.current().outputs, { ip: { value: '10.0.0.1', sensitive: false } });
  j.close(); // the process "dies": no commit

  const lines = fs.readFileSync(b.journalPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4);
  assert.equal(lines[0].lineage, base.lineage);
  assert.equal(lines[0].base_serial, 3);
  assert.deepEqual(lines.slice(1).map((l) => [l.seq, l.op]), [[1, 'put'], [2, 'delete'], [3, 'outputs']]);
  assert.ok(lines.every((l, i) => i === 0 || typeof l.at === 'string'));

  const fresh = new LocalBackend(b.path, { version: '0.1.0' });
  const s = await fresh.read();
  assert.deepEqual(listAddresses(s!), ['xen_vm.keep', 'xen_vm.new']);
  assert.equal(s!.serial, 3, 'not yet written: same serial');
  assert.equal(s!.outputs.ip.value, '10.0.0.1');
  assert.deepEqual(s, j.current(), 'replay equals what the apply saw');
  assert.equal(fs.readFileSync(b.path, 'utf8'), before, 'read() does not write');
  assert.ok(fs.existsSync(b.journalPath), 'read() keeps the journal');
});

test('current() is not affected by the caller changing an appended object', async () => {
  const b = backend();
  const j = b.openFileJournal(await seeded(b));
  const r = res('xen_vm.x');
  await j.append({ op: 'put', resource: r });
  r.id = 'changed later';
  assert.equal(findResource(j.current(), 'xen_vm.x')!.id, 'id-xen_vm.x');
  j.close();
});

test('a torn last line is ignored; a damaged middle line is an error', async () => {
  const b = backend();
  const j = b.openFileJournal(await seeded(b));
  await j.append({ op: 'put', resource: res('xen_vm.a') });
  await j.append({ op: 'put', resource: res('xen_vm.b') });
  j.close();
  fs.appendFileSync(b.journalPath, '{"op":"put","seq":3,"resource":{"addr');
  const s = await b.read();
  assert.deepEqual(listAddresses(s!), ['xen_vm.a', 'xen_vm.b', 'xen_vm.keep', 'xen_vm.old']);
  assert.equal(b.pendingJournal()!.tornTail, true);
  // zero-filled tail (size extended, data never written) is torn too
  const lines = fs.readFileSync(b.journalPath, 'utf8').split('\n');
  fs.writeFileSync(b.journalPath, lines.slice(0, 3).join('\n') + '\n\0\0\0\0\n');
  assert.equal((await b.read())!.resources.length, 4);
  // damage before the last line cannot be a crash: refuse
  fs.writeFileSync(b.journalPath, [lines[0], '{"op":"put",garbage', lines[2], ''].join('\n'));
  await assert.rejects(b.read(), (e: unknown) => e instanceof StateError && e.message.includes(`${b.journalPath}:2: damaged journal line`));
});

test('commit writes serial+1 with a backup, removes the journal, and leaves files 0600', async () => {
  const b = backend();
  const base = await seeded(b);
  const j = await b.openJournal(base);
  await j.append({ op: 'put', resource: res('xen_vm.keep', 'replaced') });
  const committed = await j.commit();
  assert.equal(committed.serial, 4);
  assert.equal(committed.lineage, base.lineage);
  assert.ok(!fs.existsSync(b.journalPath));
  const onDisk = await b.read();
  assert.deepEqual(onDisk, committed);
  assert.equal(findResource(onDisk!, 'xen_vm.keep')!.id, 'replaced');
  const backup = JSON.parse(fs.readFileSync(b.backupPath, 'utf8')) as State;
  assert.equal(backup.serial, 3);
  assert.equal(fs.statSync(b.path).mode & 0o777, 0o600);
  assert.equal(fs.statSync(b.backupPath).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(join(b.path, '..')).sort(), ['poolform.state.json', 'poolform.state.json.backup']);
  await assert.rejects(j.append({ op: 'delete', address: 'xen_vm.keep' }), /journal is committed/);
});

test('first apply: no state file, crash, recover writes serial 1 with the base lineage', async () => {
  const b = backend();
  const base = emptyState('0.1.0');
  const j = b.openFileJournal(base);
  await j.append({ op: 'put', resource: res('xen_vm.a') });
  j.close();
  const s = await b.read();
  assert.equal(s!.lineage, base.lineage);
  assert.equal(s!.serial, 0);
  assert.ok(!fs.existsSync(b.path));
  const r = await b.recover();
  assert.equal(r.recovered, 1);
  assert.equal(r.state!.serial, 1);
  assert.ok(!fs.existsSync(b.journalPath));
  const again = await b.read();
  assert.equal(again!.serial, 1);
  assert.equal(again!.lineage, base.lineage);
  assert.deepEqual(listAddresses(again!), ['xen_vm.a']);
  assert.deepEqual(await b.recover(), { state: again, recovered: 0, hadJournal: false, unfinishedTasks: [] });
});

test('a journal for another lineage or serial is refused clearly', async () => {
  const b = backend();
  const base = await seeded(b);
  const j = b.openFileJournal(base);
  await j.append({ op: 'put', resource: res('xen_vm.a') });
  j.close();
  const journal = fs.readFileSync(b.journalPath, 'utf8');
  await b.write({ ...base, lineage: 'other-lineage' });
  await assert.rejects(b.read(), /belongs to another state \(lineage .*\) than .*\(lineage other-lineage\)/);
  await b.write({ ...base, serial: 7 });
  fs.writeFileSync(b.journalPath, journal);
  await assert.rejects(b.read(), /continues state serial 3, but .* is at serial 7/);
  fs.rmSync(b.path);
  await assert.rejects(b.read(), /continues state serial 3 .* does not exist/);
});

test('a journal already folded in (crash between commit and unlink) is not replayed twice', async () => {
  const b = backend();
  const base = await seeded(b);
  const j = b.openFileJournal(base);
  await j.append({ op: 'task', address: 'xen_vm.new', task: 'OpaqueRef:t' });
  await j.append({ op: 'delete', address: 'xen_vm.old' });
  const leftover = fs.readFileSync(b.journalPath, 'utf8');
  const committed = await j.commit();
  fs.writeFileSync(b.journalPath, leftover);
  await b.write({ ...committed, resources: [...committed.resources, res('xen_vm.old')] }); // same serial 4
  const s = await b.read();
  assert.equal(findResource(s!, 'xen_vm.old')?.id, 'id-xen_vm.old', 'journal not re-applied');
  assert.deepEqual(b.inspect().unfinishedTasks, [], 'a committed apply finished its steps');
  const r = await b.recover();
  assert.equal(r.recovered, 0);
  assert.equal(r.hadJournal, true);
  assert.deepEqual(r.unfinishedTasks, []);
  assert.ok(!fs.existsSync(b.journalPath));
});

test('openJournal refuses while an interrupted journal exists; recover folds it', async () => {
  const b = backend();
  const base = await seeded(b);
  const j = b.openFileJournal(base);
  await j.append({ op: 'put', resource: res('xen_vm.z') });
  j.close();
  await assert.rejects(b.openJournal(base), /exists: an earlier apply was interrupted/);
  const r = await b.recover();
  assert.equal(r.recovered, 1);
  assert.equal(r.state!.serial, 4);
  const j2 = await b.openJournal(r.state!);
  assert.equal((await j2.commit()).serial, 5);
});

test('invalid steps are refused before anything is written', async () => {
  const b = backend();
  const j = b.openFileJournal(await seeded(b));
  const bad = { ...res('xen_vm.a'), id: undefined } as unknown as ResourceInstanceState;
  await assert.rejects(j.append({ op: 'put', resource: bad }), /invalid put step: .*missing required field "id"/);
  await assert.rejects(j.append({ op: 'nope' } as never), /unknown op "nope"/);
  assert.equal(fs.readFileSync(b.journalPath, 'utf8').trimEnd().split('\n').length, 1, 'header only');
  await j.append({ op: 'delete', address: 'xen_vm.old' });
  j.close();
  assert.equal((await b.read())!.resources.length, 1);
});

test('a process killed mid-apply leaves a journal the next read replays', async () => {
  const b = await (async () => {
    const x = backend();
    await seeded(x);
    return x;
  })();
  const localUrl = new URL('../../engine/state/local.js', import.meta.url).href;
  const script = `
    const { LocalBackend } = await import(${JSON.stringify(localUrl)});
    const b = new LocalBackend(${JSON.stringify(b.path)}, { version: '0.1.0' });
    const j = await b.openJournal(await b.read());
    for (let i = 0; i < 20; i++) {
      await j.append({ op: 'put', resource: { address: 'xen_vm.n[' + i + ']', mode: 'managed', type: 'xen_vm', provider: 'xenserver', id: 'v' + i, attributes: {}, dependencies: [] } });
    }
    process.kill(process.pid, 'SIGKILL');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  const s = await b.read();
  assert.equal(s!.resources.length, 22);
  assert.equal(s!.serial, 3);
  assert.equal((await b.recover()).state!.serial, 4);
});

test('1,000 fsynced appends (timing printed, not asserted)', async (t) => {
  const b = backend();
  const j = b.openFileJournal(await seeded(b));
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    await j.append({
      op: 'put',
      resource: { ...res(`xen_vm.vm[${i}]`), attributes: { name_label: `vm-${i}`, memory: 4096, vcpus: 2, tags: ['a', 'b'] } },
    });
  }
  const ms = performance.now() - t0;
  assert.equal(j.current().resources.length, 1002);
  t.diagnostic(`1,000 journal appends with fdatasync: ${ms.toFixed(0)} ms (${(ms / 1000).toFixed(2)} ms each)`);
  const t1 = performance.now();
  await j.commit();
  t.diagnostic(`commit of 1,002 resources: ${(performance.now() - t1).toFixed(0)} ms`);
});

test('tasks a step started are reported after a crash only while the step had not finished', async () => {
  const b = backend();
  const j = b.openFileJournal(emptyState('0.1.0'));
  await j.append({ op: 'task', address: 'xen_vm.a', task: 'OpaqueRef:t1' });
  await j.append({ op: 'put', resource: res('xen_vm.a') });
  await j.append({ op: 'task', address: 'xen_vm.b', task: 'OpaqueRef:t2' });
  await j.append({ op: 'task', address: 'xen_vm.b', task: 'OpaqueRef:t3' });
  await j.append({ op: 'task', address: 'xen_vm.c', task: 'OpaqueRef:t4' });
  await j.append({ op: 'delete', address: 'xen_vm.c' });
  j.close();
  assert.deepEqual(listAddresses((await b.read())!), ['xen_vm.a'], 'task records change no state');
  const unfinished = [
    { address: 'xen_vm.b', task: 'OpaqueRef:t2' },
    { address: 'xen_vm.b', task: 'OpaqueRef:t3' },
  ];
  // plan's view: the same tasks, and the journal stays for apply to fold.
  const seen = b.inspect();
  assert.deepEqual(listAddresses(seen.state!), ['xen_vm.a']);
  assert.deepEqual(seen.unfinishedTasks, unfinished);
  assert.ok(b.pendingJournal());
  const r = await b.recover();
  assert.equal(r.recovered, 6);
  assert.deepEqual(r.unfinishedTasks, unfinished);
  assert.deepEqual(b.inspect(), { state: r.state, unfinishedTasks: [] }, 'recovered: nothing left to report');
});
