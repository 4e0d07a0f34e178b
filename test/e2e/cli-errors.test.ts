// End-to-end: bad input gets a clear error with file:line:col, every error at once, exit 1, and nothing written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { poolform, tmpConfig } from './harness.js';

function noStateWritten(dir: string): void {
  assert.ok(!fs.existsSync(path.join(dir, 'poolform.state.json')), 'no state written');
}

test('several errors in one run, each with file:line:col and the nearest name', () => {
  const dir = tmpConfig({
    'main.hcl': `variable "shared" {
  default = 1
}
resource "poolform_data" "a" {
  input = var.shraed
}
resource "poolform_data" "b" {
  inptu = 1
}
resource "poolform_data" "c" {
  input = poolform_data.aa.output
}
`,
  });
  const r = poolform(dir, ['validate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /main\.hcl:5:11/);
  assert.match(r.stderr, /did you mean `shared`\?/i);
  assert.match(r.stderr, /main\.hcl:8:3/);
  assert.match(r.stderr, /did you mean `input`\?/i);
  assert.match(r.stderr, /main\.hcl:11:11/);
  assert.match(r.stderr, /poolform_data\.a/);
  const p = poolform(dir, ['plan']);
  assert.equal(p.code, 1);
  noStateWritten(dir);
});

test('syntax errors are reported with their position', () => {
  const dir = tmpConfig({ 'main.hcl': 'resource "poolform_data" "a" {\n  input = [1, 2\n}\n', 'other.hcl': 'locals {\n  x = "unterminated\n}\n' });
  const r = poolform(dir, ['plan']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /main\.hcl:\d+:\d+/);
  assert.match(r.stderr, /other\.hcl:\d+:\d+/);
  noStateWritten(dir);
});

test('a cycle is reported with its full path', () => {
  const dir = tmpConfig({
    'main.hcl': `resource "poolform_data" "a" {
  input = poolform_data.c.output
}
resource "poolform_data" "b" {
  input = poolform_data.a.output
}
resource "poolform_data" "c" {
  input = poolform_data.b.output
}
`,
  });
  const r = poolform(dir, ['plan']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Cycle: /);
  assert.match(r.stderr, /poolform_data\.a/);
  assert.match(r.stderr, /poolform_data\.b/);
  assert.match(r.stderr, /poolform_data\.c/);
  assert.match(r.stderr, /main\.hcl:2:11/);
});

test('duplicate addresses, unknown blocks and wrong types', () => {
  const dir = tmpConfig({
    'main.hcl': `resource "poolform_data" "a" {}
resource "poolform_data" "a" {}
resourse "poolform_data" "x" {}
variable "n" {
  type    = number
  default = "not a number"
}
`,
  });
  const r = poolform(dir, ['validate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Duplicate resource "poolform_data" configuration/);
  assert.match(r.stderr, /main\.hcl:2:/);
  assert.match(r.stderr, /did you mean `resource`\?/i);
  // A wrong type is found once the files parse.
  fs.writeFileSync(path.join(dir, 'main.hcl'), 'variable "n" {\n  type    = number\n  default = "not a number"\n}\n');
  const p = poolform(dir, ['plan']);
  assert.equal(p.code, 1);
  assert.match(p.stderr, /Invalid value for variable "n"/);
  assert.match(p.stderr, /main\.hcl:3:/);
});

test('malformed variable files and undeclared -var values', () => {
  const dir = tmpConfig({ 'main.hcl': 'variable "x" {}\nresource "poolform_data" "a" {\n  input = var.x\n}\n', 'bad.vars.hcl': 'x = [1,\n' });
  const r = poolform(dir, ['plan', '-var-file=bad.vars.hcl']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad\.vars\.hcl:\d+:\d+/);
  const m = poolform(dir, ['plan', '-var-file=missing.vars.hcl']);
  assert.equal(m.code, 1);
  assert.match(m.stderr, /missing\.vars\.hcl/);
  const u = poolform(dir, ['plan', '-var=y=1']);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /undeclared variable/);
  const req = poolform(dir, ['plan']);
  assert.equal(req.code, 1);
  assert.match(req.stderr, /No value for required variable/);
  const env = poolform(dir, ['plan'], { POOLFORM_VAR_x: 'from-env' });
  assert.equal(env.code, 0, env.stderr);
  assert.match(env.stdout, /from-env/);
  noStateWritten(dir);
});

test('a corrupt state, or one from a newer poolform, is refused and left alone', () => {
  const dir = tmpConfig({ 'main.hcl': 'resource "poolform_data" "a" {}\n', 'poolform.state.json': '{"format_version": 1, "serial": ' });
  const r = poolform(dir, ['plan']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /poolform\.state\.json/);
  fs.writeFileSync(path.join(dir, 'poolform.state.json'), JSON.stringify({ format_version: 99, poolform_version: '99.0.0', serial: 1, lineage: 'x', resources: [], outputs: {} }));
  const n = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(n.code, 1);
  assert.match(n.stderr, /newer/);
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'poolform.state.json'), 'utf8')).format_version, 99);
});

test('a held lock names its holder; force-unlock releases it', () => {
  const dir = tmpConfig({ 'main.hcl': 'resource "poolform_data" "a" {}\n' });
  const lock = { id: 'abc-123', operation: 'apply', who: 'alice@pool-admin', user: 'alice', host: 'pool-admin', pid: 424242, created: new Date().toISOString(), version: '0.1.0', path: path.join(dir, 'poolform.state.json') };
  fs.writeFileSync(path.join(dir, 'poolform.state.json.lock'), JSON.stringify(lock));
  const r = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /alice/);
  assert.match(r.stderr, /abc-123/);
  noStateWritten(dir);
  const wrong = poolform(dir, ['force-unlock', '-force', 'nope']);
  assert.equal(wrong.code, 1);
  const ok = poolform(dir, ['force-unlock', '-force', 'abc-123']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
});

test('unknown flags and commands name the nearest one', () => {
  const dir = tmpConfig({ 'main.hcl': 'resource "poolform_data" "a" {}\n' });
  const r = poolform(dir, ['plan', '-detailed-exitcod']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /did you mean -detailed-exitcode/);
});
