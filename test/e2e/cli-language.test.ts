// End-to-end: the language features that span resources and modules — local modules with count,
// moved and import blocks, -target, dynamic and nested blocks, replace_triggered_by,
// prevent_destroy — and `fmt`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { poolform, tmpConfig, readState, USE_TEST_PROVIDER } from './harness.js';

const MODULE = `variable "name" {
  type = string
}
variable "size" {
  type    = number
  default = 1
}
resource "test_object" "o" {
  name = var.name
  size = var.size
}
output "uuid" {
  value = test_object.o.uuid
}
`;

test('a local module with count: instances addressed by index, outputs readable, removal says why', () => {
  const root = `${USE_TEST_PROVIDER}
provider "test" {
  store = "platform.json"
}
variable "n" {
  type    = number
  default = 2
}
module "member" {
  source = "./modules/member"
  count  = var.n
  name   = "m\${count.index}"
  size   = count.index + 5
}
output "uuids" {
  value = module.member[*].uuid
}
`;
  const dir = tmpConfig({ 'main.hcl': root, 'modules/member/main.hcl': MODULE });
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  const st = readState(dir);
  assert.deepEqual(st.resources.map((r) => r.address), ['module.member[0].test_object.o', 'module.member[1].test_object.o']);
  assert.equal(st.resources[1].attributes.size, 6);
  assert.deepEqual(st.outputs.uuids.value, st.resources.map((r) => r.attributes.uuid));
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
  const p = poolform(dir, ['plan', '-var=n=1']);
  assert.match(p.stdout, /# module\.member\[1\]\.test_object\.o will be destroyed/);
  fs.writeFileSync(path.join(dir, 'main.hcl'), `${USE_TEST_PROVIDER}\nprovider "test" {\n  store = "platform.json"\n}\n`);
  const p2 = poolform(dir, ['plan']);
  assert.match(p2.stdout, /# \(because module\.member is not in configuration\)/);
});

test('moved blocks rename state addresses without touching the platform', () => {
  const dir = tmpConfig({ 'main.hcl': 'resource "poolform_data" "old" {\n  input = 1\n}\n' });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const id = readState(dir).resources[0].id;
  fs.writeFileSync(path.join(dir, 'main.hcl'), 'resource "poolform_data" "new" {\n  input = 1\n}\nmoved {\n  from = poolform_data.old\n  to   = poolform_data.new\n}\n');
  const p = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(p.code, 2, p.stdout + p.stderr);
  assert.match(p.stdout, /# poolform_data\.old has moved to poolform_data\.new/);
  assert.match(p.stdout, /Plan: 0 to add, 0 to change, 0 to destroy\./);
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
  const st = readState(dir);
  assert.deepEqual(st.resources.map((r) => [r.address, r.id]), [['poolform_data.new', id]]);
});

test('an import block adopts an existing object at plan and apply', () => {
  const cfg = `${USE_TEST_PROVIDER}
provider "test" {
  store = "platform.json"
}
resource "test_object" "a" {
  name = "alpha"
}
`;
  const dir = tmpConfig({ 'main.hcl': cfg });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const id = readState(dir).resources[0].id;
  assert.equal(poolform(dir, ['state', 'rm', 'test_object.a']).code, 0);
  fs.writeFileSync(path.join(dir, 'main.hcl'), cfg + `import {\n  to = test_object.a\n  id = "${id}"\n}\n`);
  const p = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(p.code, 2, p.stderr);
  assert.match(p.stdout, /1 to import/);
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  assert.deepEqual(readState(dir).resources.map((r) => [r.address, r.id]), [['test_object.a', id]]);
  fs.writeFileSync(path.join(dir, 'main.hcl'), cfg + 'import {\n  to = test_object.a\n  id = "no-such-object"\n}\nimport {\n  to = test_object.zz\n  id = "x"\n}\n');
  assert.equal(poolform(dir, ['state', 'rm', 'test_object.a']).code, 0);
  const bad = poolform(dir, ['plan']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Cannot import non-existent object/);
  assert.match(bad.stderr, /test_object\.zz is not declared by the configuration/);
});

test('-target plans only the target and what it depends on', () => {
  const dir = tmpConfig({
    'main.hcl': 'resource "poolform_data" "a" {\n  input = 1\n}\nresource "poolform_data" "b" {\n  input = poolform_data.a.output\n}\nresource "poolform_data" "c" {\n  input = 3\n}\n',
  });
  const p = poolform(dir, ['plan', '-target=poolform_data.b']);
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /poolform_data\.a will be created/);
  assert.match(p.stdout, /poolform_data\.b will be created/);
  assert.doesNotMatch(p.stdout, /poolform_data\.c/);
  assert.match(p.stderr, /Resource targeting is in effect/);
  assert.equal(poolform(dir, ['apply', '-auto-approve', '-target=poolform_data.b']).code, 0);
  assert.deepEqual(readState(dir).resources.map((r) => r.address), ['poolform_data.a', 'poolform_data.b']);
});

test('dynamic and nested blocks become the attribute value; unknown block names are named', () => {
  const cfg = `${USE_TEST_PROVIDER}
provider "test" {
  store = "platform.json"
}
variable "bond" {
  default = [{ mtu = 9000, mode = "lacp" }]
}
resource "test_group" "g" {
  name = "bond0"
  dynamic "settings" {
    for_each = var.bond
    iterator = s
    content {
      mtu  = s.value.mtu
      mode = s.value.mode
    }
  }
}
`;
  const dir = tmpConfig({ 'main.hcl': cfg });
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  assert.deepEqual(readState(dir).resources[0].attributes.settings, { mtu: 9000, mode: 'lacp' });
  fs.writeFileSync(path.join(dir, 'main.hcl'), cfg.replace('dynamic "settings"', 'dynamic "setings"'));
  const bad = poolform(dir, ['validate']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Blocks of type "setings" are not expected/);
  assert.match(bad.stderr, /did you mean `settings`\?/i);
  fs.writeFileSync(path.join(dir, 'main.hcl'), cfg.replace('mode = s.value.mode', 'mode = s.value.mode\n      mdoe = 1'));
  const bad2 = poolform(dir, ['validate']);
  assert.equal(bad2.code, 1);
  assert.match(bad2.stderr, /An argument named "mdoe" is not expected in a "settings" block/);
});

test('replace_triggered_by replaces when the referenced object changes', () => {
  const cfg = (v: number) => `resource "poolform_data" "src" {\n  input = ${v}\n}\nresource "poolform_data" "dep" {\n  input = "x"\n  lifecycle {\n    replace_triggered_by = [poolform_data.src]\n  }\n}\n`;
  const dir = tmpConfig({ 'main.hcl': cfg(1) });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  fs.writeFileSync(path.join(dir, 'main.hcl'), cfg(2));
  const p = poolform(dir, ['plan']);
  assert.match(p.stdout, /# poolform_data\.dep will be replaced due to changes in replace_triggered_by|poolform_data\.dep must be replaced/);
  assert.match(p.stdout, /replace_triggered_by: poolform_data\.src will be updated/);
  assert.match(p.stdout, /Plan: 1 to add, 1 to change, 1 to destroy\./);
});

test('prevent_destroy stops a plan that would destroy the object', () => {
  const cfg = 'resource "poolform_data" "keep" {\n  count = 2\n  input = count.index\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n';
  const dir = tmpConfig({ 'main.hcl': cfg });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const d = poolform(dir, ['plan', '-destroy']);
  assert.equal(d.code, 1);
  assert.match(d.stderr, /Instance cannot be destroyed/);
  assert.match(d.stderr, /poolform_data\.keep\[0\]/);
  fs.writeFileSync(path.join(dir, 'main.hcl'), cfg.replace('count = 2', 'count = 1'));
  const shrink = poolform(dir, ['plan']);
  assert.equal(shrink.code, 1);
  assert.match(shrink.stderr, /poolform_data\.keep\[1\] has lifecycle\.prevent_destroy set/);
});

test('fmt rewrites canonically; -check and -diff report without writing', () => {
  const messy = 'resource "poolform_data" "a" {\ninput=1\n  triggers_replace   =   [1,2]\n}\n';
  const dir = tmpConfig({ 'main.hcl': messy });
  const check = poolform(dir, ['fmt', '-check', '-diff']);
  assert.equal(check.code, 3);
  assert.match(check.stdout, /^main\.hcl$/m);
  assert.match(check.stdout, /^-input=1$/m);
  assert.match(check.stdout, /^\+  input {12}= 1$/m);
  assert.equal(fs.readFileSync(path.join(dir, 'main.hcl'), 'utf8'), messy, '-check writes nothing');
  assert.equal(poolform(dir, ['fmt']).code, 0);
  const tidy = fs.readFileSync(path.join(dir, 'main.hcl'), 'utf8');
  assert.equal(tidy, 'resource "poolform_data" "a" {\n  input            = 1\n  triggers_replace = [1, 2]\n}\n');
  assert.equal(poolform(dir, ['fmt', '-check']).code, 0);
  fs.writeFileSync(path.join(dir, 'broken.hcl'), 'resource "x" {\n');
  const broken = poolform(dir, ['fmt']);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /broken\.hcl:\d+:\d+/);
});

test('validate: an instance of a for_each over an unset variable has an unknown key, not ""', () => {
  const dir = tmpConfig({
    'main.hcl': `${USE_TEST_PROVIDER}
variable "hosts" { type = map(string) }
resource "test_object" "per_host" {
  for_each = var.hosts
  name     = each.key
}
resource "test_object" "bad" {
  for_each = var.hosts
  name     = ""
}
`,
  });
  const r = poolform(dir, ['validate', '-no-color']);
  assert.equal(r.code, 1);
  // Only the literal empty name is refused; each.key stands for any key.
  assert.match(r.stderr, /test_object\.bad/);
  assert.doesNotMatch(r.stderr, /per_host/);
});

test('validate: stand-ins for an unknown count or module for_each have unknown indexes and keys; known keys stay known', () => {
  const dir = tmpConfig({
    'main.hcl': `${USE_TEST_PROVIDER}
variable "n" { type = number }
variable "hosts" { type = map(string) }
variable "v" { type = string }
resource "test_object" "counted" {
  count = var.n
  name  = count.index == 0 ? "" : "n"
}
module "per_host" {
  source   = "./modules/member"
  for_each = var.hosts
  name     = each.key
}
resource "test_object" "known_key" {
  for_each = { "" = var.v }
  name     = each.key
}
`,
    'modules/member/main.hcl': MODULE,
  });
  const r = poolform(dir, ['validate', '-no-color']);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // Only the key known to be "" is refused.
  assert.match(r.stderr, /test_object\.known_key\[""\]/);
  assert.equal(r.stderr.match(/Error:/g)?.length, 1, r.stderr);
});
