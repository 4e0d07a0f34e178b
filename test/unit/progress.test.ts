// Apply progress output: exact Terraform-style lines without a terminal, and a spinner on a
// terminal that survives a TTY reporting 0 columns.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, formatElapsed } from '../../engine/apply/progress.js';

function fakeStream(tty?: { columns?: number }) {
  const chunks: string[] = [];
  const s = {
    isTTY: tty ? true : undefined,
    columns: tty?.columns,
    write(chunk: string | Uint8Array, ..._rest: unknown[]): boolean {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    },
    once() {
      return s;
    },
    removeListener() {
      return s;
    },
  };
  return { stream: s as unknown as NodeJS.WritableStream, text: () => chunks.join('') };
}

test('formatElapsed prints whole seconds like Go durations', () => {
  assert.equal(formatElapsed(0), '0s');
  assert.equal(formatElapsed(999), '0s');
  assert.equal(formatElapsed(11_400), '11s');
  assert.equal(formatElapsed(60_000), '1m0s');
  assert.equal(formatElapsed(61_000), '1m1s');
  assert.equal(formatElapsed(3_723_000), '1h2m3s');
});

test('without a terminal: plain Terraform-style lines, exactly', async () => {
  const { stream, text } = fakeStream();
  let t = 1_000;
  const p = await createProgress({ stream, color: false, now: () => t });
  p.start('poolform_data.a', 'Creating');
  p.start('poolform_data.b', 'Creating');
  t += 9_999;
  p.tick(); // not yet 10 s
  t += 1;
  p.done('poolform_data.b', 'Creating', 10_000, 'b-1');
  p.tick();
  t += 5_000;
  p.tick(); // 15 s: nothing new
  t += 6_000;
  p.tick(); // 21 s: the 20 s mark
  p.done('poolform_data.a', 'Creating', 21_000, '0b6e');
  p.start('xenserver_vm.web', 'Modifying');
  p.done('xenserver_vm.web', 'Modifying', 61_500, 'vm-1');
  p.start('xenserver_vm.old', 'Destroying');
  p.done('xenserver_vm.old', 'Destroying', 300);
  p.start('data.xenserver_pool.main', 'Reading');
  p.log('data.xenserver_pool.main', 'asking the coordinator');
  p.done('data.xenserver_pool.main', 'Reading', 0, 'pool-1');
  p.start('xenserver_sr.nfs', 'Creating');
  p.failed('xenserver_sr.nfs', 'Creating', 'NFS server unreachable');
  p.skipped('xenserver_vm.db', 'dependency xenserver_sr.nfs failed');
  p.stop('Apply failed: 4 done, 1 failed, 1 skipped.');
  assert.equal(
    text(),
    [
      'poolform_data.a: Creating...',
      'poolform_data.b: Creating...',
      'poolform_data.b: Creation complete after 10s [id=b-1]',
      'poolform_data.a: Still creating... [10s elapsed]',
      'poolform_data.a: Still creating... [21s elapsed]',
      'poolform_data.a: Creation complete after 21s [id=0b6e]',
      'xenserver_vm.web: Modifying...',
      'xenserver_vm.web: Modifications complete after 1m1s [id=vm-1]',
      'xenserver_vm.old: Destroying...',
      'xenserver_vm.old: Destruction complete after 0s',
      'data.xenserver_pool.main: Reading...',
      'data.xenserver_pool.main: asking the coordinator',
      'data.xenserver_pool.main: Read complete after 0s [id=pool-1]',
      'xenserver_sr.nfs: Creating...',
      'Error: creating xenserver_sr.nfs: NFS server unreachable',
      'xenserver_vm.db: Skipped (dependency xenserver_sr.nfs failed)',
      'Apply failed: 4 done, 1 failed, 1 skipped.',
      '',
    ].join('\n'),
  );
});

test('colors only when asked', async () => {
  const plain = fakeStream();
  const p1 = await createProgress({ stream: plain.stream, color: false });
  p1.start('a', 'Creating');
  p1.failed('a', 'Creating', 'x');
  p1.stop();
  assert.doesNotMatch(plain.text(), /\x1b/);

  const colored = fakeStream();
  const p2 = await createProgress({ stream: colored.stream, color: true });
  p2.start('a', 'Creating');
  p2.failed('a', 'Creating', 'x');
  p2.stop();
  assert.match(colored.text(), /\x1b\[1ma: Creating\.\.\.\x1b\[22m/);
  assert.match(colored.text(), /\x1b\[31mError:/);
});

test('quiet prints only errors and the summary', async () => {
  const { stream, text } = fakeStream();
  let t = 0;
  const p = await createProgress({ stream, color: false, quiet: true, now: () => t });
  p.start('a', 'Creating');
  t = 30_000;
  p.tick();
  p.done('a', 'Creating', 30_000, 'x');
  p.log('a', 'chatter');
  p.skipped('c', 'because');
  p.start('b', 'Creating');
  p.failed('b', 'Creating', 'boom');
  p.stop('Done.');
  assert.equal(text(), 'Error: creating b: boom\nDone.\n');
});

test('on a TTY reporting 0 columns: a spinner, permanent lines, no crash', async () => {
  const { stream, text } = fakeStream({ columns: 0 });
  let t = 0;
  const p = await createProgress({ stream, color: false, total: 2, now: () => t });
  p.start('xenserver_sr.nfs', 'Creating');
  t = 4_000;
  p.tick();
  assert.match(text(), /Applying: 1 running, 0\/2 done — xenserver_sr\.nfs: creating \(4s\)/);
  p.log('xenserver_sr.nfs', 'mounting');
  p.done('xenserver_sr.nfs', 'Creating', 4_000, 'sr-1');
  p.start('xenserver_vm.' + 'x'.repeat(200), 'Creating');
  p.tick();
  p.failed('xenserver_vm.' + 'x'.repeat(200), 'Creating', 'no space');
  p.stop('Apply failed.');
  const out = text();
  assert.match(out, /xenserver_sr\.nfs: mounting\n/);
  assert.match(out, /xenserver_sr\.nfs: Creation complete after 4s \[id=sr-1\]\n/);
  assert.match(out, /Error: creating xenserver_vm\.x+: no space\n/);
  assert.ok(out.endsWith('Apply failed.\n'));
  // The spinner text is cut to the assumed 80 columns, so the long name never wraps the line.
  const spinnerTexts = out.match(/Applying: [^\n\x1b]*/g) ?? [];
  assert.ok(spinnerTexts.length > 0);
  for (const s of spinnerTexts) assert.ok(s.length <= 77, `spinner text too long: ${s.length}`);
});

test('on a TTY with quiet, or without any columns field, still works', async () => {
  const q = fakeStream({});
  const p = await createProgress({ stream: q.stream, color: false, quiet: true });
  p.start('a', 'Creating');
  p.done('a', 'Creating', 0);
  p.stop('ok');
  assert.equal(q.text(), 'ok\n');

  const u = fakeStream({});
  const p2 = await createProgress({ stream: u.stream, color: true });
  p2.start('a', 'Reading');
  p2.done('a', 'Reading', 1_000, 'x');
  p2.stop();
  assert.match(u.text(), /a: Read complete after 1s \[id=x\]/);
});
