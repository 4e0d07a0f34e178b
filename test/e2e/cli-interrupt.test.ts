// End-to-end: Ctrl-C during apply stops new steps, lets the running one finish and saves it;
// the interactive confirmation takes only "yes".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
