// End-to-end: the CLI on poolform_data configurations — apply from nothing, an empty second plan,
// changes and their symbols, saved plans, outputs, destroy, state commands.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { poolform, tmpConfig, readState } from './harness.js';

const BASIC = `
variable "names" {
  type    = list(string)
  default = ["a", "b"]
}
variable "secret" {
  type      = string
  default   = "hunter2-very-secret"
  sensitive = true
}
resource "poolform_data" "base" {
  input = { size = 3 }
}
resource "poolform_data" "item" {
  for_each = toset(var.names)
  input    = "\${each.key}-\${poolform_data.base.output.size}"
}
resource "poolform_data" "counted" {
  count = 2
  input = count.index * 10
}
resource "poolform_data" "secretive" {
  input = var.secret
}
output "items" {
  value = { for k, v in poolform_data.item : k => v.output }
}
output "the_secret" {
  value     = var.secret
  sensitive = true
}
`;

test('version and help are quick to reach and say what they are', () => {
  const dir = tmpConfig({});
  const v = poolform(dir, ['version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^poolform v\d+\.\d+\.\d+/);
  const h = poolform(dir, ['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: poolform/);
  const ph = poolform(dir, ['plan', '-help']);
  assert.match(ph.stdout, /-detailed-exitcode/);
  const bad = poolform(dir, ['plna']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /did you mean "plan"/);
});

test('apply from nothing, then the second plan is empty', () => {
  const dir = tmpConfig({ 'main.hcl': BASIC });
  const first = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(first.code, 2, first.stderr);
  assert.match(first.stdout, /# poolform_data\.item\["a"\] will be created/);
  assert.match(first.stdout, /Plan: 6 to add, 0 to change, 0 to destroy\./);
  assert.doesNotMatch(first.stdout, /hunter2/);

  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  assert.match(ap.stdout, /Apply complete! Resources: 6 added, 0 changed, 0 destroyed\./);
  const statePath = path.join(dir, 'poolform.state.json');
  assert.equal(fs.statSync(statePath).mode & 0o777, 0o600);
  const raw = fs.readFileSync(statePath, 'utf8');
  assert.doesNotMatch(raw, /hunter2/, 'secrets never reach state');
  const st = readState(dir);
  assert.deepEqual(st.resources.map((r) => r.address), [
    'poolform_data.base',
    'poolform_data.counted[0]',
    'poolform_data.counted[1]',
    'poolform_data.item["a"]',
    'poolform_data.item["b"]',
    'poolform_data.secretive',
  ]);
  assert.deepEqual(st.outputs.items.value, { a: 'a-3', b: 'b-3' });
  assert.equal(st.outputs.the_secret.sensitive, true);
  assert.ok(!fs.existsSync(statePath + '.journal'), 'journal folded into the state');

  const second = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /No changes\./);

  const out = poolform(dir, ['output', '-json']);
  assert.equal(out.code, 0);
  assert.deepEqual(JSON.parse(out.stdout).items.value, { a: 'a-3', b: 'b-3' });
  assert.equal(JSON.parse(out.stdout).the_secret.value, null);
});

test('changes show as update, replace and delete with reasons', () => {
  const dir = tmpConfig({ 'main.hcl': BASIC });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const changed = BASIC.replace('size = 3', 'size = 4').replace('count = 2', 'count = 1').replace('default = ["a", "b"]', 'default = ["a"]');
  fs.writeFileSync(path.join(dir, 'main.hcl'), changed);
  const p = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(p.code, 2, p.stderr);
  assert.match(p.stdout, /# poolform_data\.base will be updated in-place/);
  assert.match(p.stdout, /# poolform_data\.counted\[1\] will be destroyed/);
  assert.match(p.stdout, /index \[1\] is out of range for count/);
  assert.match(p.stdout, /# poolform_data\.item\["b"\] will be destroyed/);
  assert.match(p.stdout, /key \["b"\] is not in for_each map/);
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  assert.deepEqual(readState(dir).outputs.items.value, { a: 'a-4' });
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
});

test('-replace forces a replacement; triggers_replace too', () => {
  const dir = tmpConfig({ 'main.hcl': BASIC });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const before = readState(dir).resources.find((r) => r.address === 'poolform_data.base')!.id;
  const p = poolform(dir, ['plan', '-replace=poolform_data.base']);
  assert.match(p.stdout, /poolform_data\.base will be replaced, as requested/);
  assert.equal(poolform(dir, ['apply', '-auto-approve', '-replace=poolform_data.base']).code, 0);
  const after = readState(dir).resources.find((r) => r.address === 'poolform_data.base')!.id;
  assert.notEqual(before, after);
  fs.writeFileSync(path.join(dir, 'extra.hcl'), 'resource "poolform_data" "t" {\n  triggers_replace = var.names\n}\n');
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const p2 = poolform(dir, ['plan', '-var=names=["a","c"]']);
  assert.match(p2.stdout, /# poolform_data\.t must be replaced\n {2}# \(replace because triggers_replace cannot be changed in place\)/);
  assert.match(p2.stdout, /forces replacement/);
});

test('a saved plan applies exactly, and is refused once anything moved', () => {
  const dir = tmpConfig({ 'main.hcl': BASIC });
  const p = poolform(dir, ['plan', '-out=pr.plan']);
  assert.equal(p.code, 0, p.stderr);
  assert.equal(fs.statSync(path.join(dir, 'pr.plan')).mode & 0o777, 0o600);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'pr.plan'), 'utf8'), /hunter2/);
  const show = poolform(dir, ['show', '-json', 'pr.plan']);
  const doc = JSON.parse(show.stdout);
  assert.ok(Array.isArray(doc.resource_changes));
  assert.deepEqual(doc.resource_changes.find((c: { address: string }) => c.address === 'poolform_data.base').change.actions, ['create']);

  // Another plan, then the state moves under the first one.
  const p2 = poolform(dir, ['plan', '-out=second.plan']);
  assert.equal(p2.code, 0);
  assert.equal(poolform(dir, ['apply', 'pr.plan']).code, 0);
  const stale = poolform(dir, ['apply', 'second.plan']);
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /state changed since the plan was made \(serial 0 then, 1 now\)/);

  // A configuration change makes a saved plan stale too, naming the file.
  fs.writeFileSync(path.join(dir, 'main.hcl'), BASIC.replace('size = 3', 'size = 5'));
  assert.equal(poolform(dir, ['plan', '-out=third.plan']).code, 0);
  fs.writeFileSync(path.join(dir, 'main.hcl'), BASIC.replace('size = 3', 'size = 6'));
  const stale2 = poolform(dir, ['apply', 'third.plan']);
  assert.equal(stale2.code, 1);
  assert.match(stale2.stderr, /main\.hcl \(changed\)/);
  const notPlan = poolform(dir, ['apply', 'main.hcl']);
  assert.equal(notPlan.code, 1);
  assert.match(notPlan.stderr, /not a saved poolform plan/);
});

test('destroy removes everything and leaves an empty state', () => {
  const dir = tmpConfig({ 'main.hcl': BASIC });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const d = poolform(dir, ['destroy', '-auto-approve']);
  assert.equal(d.code, 0, d.stderr + d.stdout);
  assert.match(d.stdout, /Destroy complete! Resources: 0 added, 0 changed, 6 destroyed\./);
  assert.equal(readState(dir).resources.length, 0);
  assert.ok(fs.existsSync(path.join(dir, 'poolform.state.json.backup')));
});

test('state list, show, mv and rm', () => {
  const dir = tmpConfig({ 'main.hcl': BASIC });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const l = poolform(dir, ['state', 'list']);
  assert.match(l.stdout, /poolform_data\.item\["a"\]/);
  const s = poolform(dir, ['state', 'show', 'poolform_data.base']);
  assert.equal(s.code, 0);
  assert.match(s.stdout, /resource "poolform_data" "base"/);
  const mv = poolform(dir, ['state', 'mv', 'poolform_data.base', 'poolform_data.base2']);
  assert.equal(mv.code, 0, mv.stderr);
  assert.ok(readState(dir).resources.some((r) => r.address === 'poolform_data.base2'));
  const rm = poolform(dir, ['state', 'rm', 'poolform_data.base2']);
  assert.equal(rm.code, 0);
  assert.ok(!readState(dir).resources.some((r) => r.address.startsWith('poolform_data.base')));
  const missing = poolform(dir, ['state', 'show', 'poolform_data.bsae']);
  assert.equal(missing.code, 1);
});

test('-chdir runs a command on another directory; graph prints DOT', () => {
  const dir = tmpConfig({ 'cfg/main.hcl': BASIC });
  const g = poolform(dir, ['-chdir=cfg', 'graph']);
  assert.equal(g.code, 0, g.stderr);
  assert.match(g.stdout, /^digraph/);
  assert.match(g.stdout, /"poolform_data\.item" -> "poolform_data\.base"/);
  const v = poolform(dir, ['-chdir=cfg', 'validate']);
  assert.equal(v.code, 0, v.stderr);
});
