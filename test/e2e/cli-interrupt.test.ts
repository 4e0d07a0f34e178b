// End-to-end: Ctrl-C during apply stops new steps, lets the running one finish and saves it; a
// killed apply's unfinished platform tasks are named; the interactive confirmation takes only "yes".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, poolform, tmpConfig, readState, USE_TEST_PROVIDER } from './harness.js';

const CHAIN = `${USE_TEST_PROVIDER}
provider "test" {
  store    = "platform.json"
  delay_ms = 1500
}
resource "test_object" "a" {
  name = "a"
}
resource "test_object" "b" {
  name = "b-\${test_object.a.uuid}"
}
resource "test_object" "c" {
  name = "c-\${test_object.b.uuid}"
}
`;

test('Ctrl-C: the running step finishes and is saved, nothing new starts, the next plan shows the rest', async () => {
  const dir = tmpConfig({ 'main.hcl': CHAIN });
  const child = spawn(process.execPath, [CLI, 'apply', '-auto-approve'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', POOLFORM_TEST_FAIL_ON: '' } });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    // Interrupt once the first step is under way.
    if (out.includes('test_object.a: Creating...') && !child.killed) child.kill('SIGINT');
  });
  child.stderr.on('data', (d) => (out += d));
  const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  assert.equal(code, 1, out);
  assert.match(out, /Interrupt received/);
  assert.match(out, /test_object\.a: Creation complete/);
  assert.match(out, /2 not started \(interrupted\)/);
  assert.deepEqual(readState(dir).resources.map((r) => r.address), ['test_object.a']);
  const p = poolform(dir, ['plan']);
  assert.match(p.stdout, /Plan: 2 to add, 0 to change, 0 to destroy\./);
});

test('apply asks for confirmation and accepts only "yes"; without a terminal it refuses', () => {
  const dir = tmpConfig({ 'main.hcl': 'resource "poolform_data" "a" {\n  input = 1\n}\n' });
  const none = poolform(dir, ['apply']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /No confirmation possible/);
  const no = poolform(dir, ['apply'], { POOLFORM_CONFIRM_STDIN: '1' }, 'y\n');
  assert.equal(no.code, 1);
  assert.match(no.stderr, /Apply cancelled/);
  const yes = poolform(dir, ['apply'], { POOLFORM_CONFIRM_STDIN: '1' }, 'yes\n');
  assert.equal(yes.code, 0, yes.stderr);
  assert.match(yes.stdout, /Apply complete! Resources: 1 added/);
});

test('an apply killed mid-step: the next plan names the platform task still running, apply folds it and records it', async () => {
  const dir = tmpConfig({ 'main.hcl': CHAIN.replace('delay_ms = 1500', 'delay_ms = 400') });
  const journal = path.join(dir, 'poolform.state.json.journal');
  const child = spawn(process.execPath, [CLI, 'apply', '-auto-approve'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', POOLFORM_TEST_FAIL_ON: '' } });
  // Killed once the first step's task is journalled (before its 0.4 s operation ends).
  for (let i = 0; !(fs.existsSync(journal) && fs.readFileSync(journal, 'utf8').includes('"op":"task"')); i++) {
    assert.ok(i < 500, 'the apply journalled a task');
    await new Promise((r) => setTimeout(r, 10));
  }
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));
  const task = /"task":"(test-task:[^"]+)"/.exec(fs.readFileSync(journal, 'utf8'))![1];

  const p = poolform(dir, ['plan', '-lock=false']);
  assert.equal(p.code, 0, p.stdout + p.stderr);
  assert.ok(p.stderr.includes(`may still be running:\n  test_object.a: ${task}\n`), p.stderr);
  assert.ok(fs.existsSync(journal), 'plan does not fold the journal');

  const ap = poolform(dir, ['apply', '-auto-approve', '-lock=false']);
  assert.equal(ap.code, 0, ap.stdout + ap.stderr);
  assert.ok(ap.stderr.includes(`  test_object.a: ${task}\n`), 'apply warns once as it folds the journal');
  assert.doesNotMatch(poolform(dir, ['plan', '-lock=false']).stderr, /may still be running/);
  // Each step keeps the task that did it: the last one it reported (the provider returns none).
  const tasks = readState(dir).resources.map((r) => (r as { task?: string }).task);
  assert.equal(tasks.length, 3);
  for (const t of tasks) assert.match(t ?? '', /^test-task:/);
  assert.equal(new Set(tasks).size, 3);
});
