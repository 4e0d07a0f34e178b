// End-to-end with the file-backed test provider: drift, a failure mid-apply and what the next
// plan shows, imports, sensitive attributes, JSON plan output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { poolform, tmpConfig, readState, USE_TEST_PROVIDER } from './harness.js';

const CFG = `${USE_TEST_PROVIDER}
provider "test" {
  store = "platform.json"
}
resource "test_object" "a" {
  name = "alpha"
  size = 2
  zone = "z1"
}
resource "test_object" "b" {
  name = "beta-\${test_object.a.uuid}"
  size = test_object.a.size + 1
}
resource "test_object" "c" {
  name = "gamma"
}
`;


test('create through a provider, then no changes; drift behind poolform\'s back shows', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
  // Change the object on the "platform".
  const raw = fs.readFileSync(path.join(dir, 'platform.json'), 'utf8');
  fs.writeFileSync(path.join(dir, 'platform.json'), raw.replace('"size": 2', '"size": 7').replace('"size":2', '"size":7'));
  const p = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(p.code, 2, p.stdout + p.stderr);
  assert.match(p.stdout, /changed outside of Poolform/i);
  assert.match(p.stdout, /test_object\.a will be updated in-place/);
});

test('apply hands the provider the object as refreshed, so a value drifted behind poolform\'s back is set back', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const file = path.join(dir, 'platform.json');
  const store = () => JSON.parse(fs.readFileSync(file, 'utf8')) as { objects: Record<string, Record<string, Record<string, unknown>>> };
  const data = store();
  const alpha = Object.values(data.objects.test_object).find((o) => o.name === 'alpha')!;
  alpha.size = 7;
  fs.writeFileSync(file, JSON.stringify(data));
  // The test provider sends only what differs from `before`: with state's stale size 2 as
  // `before`, size 2 would look unchanged and the platform would keep 7.
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stdout + ap.stderr);
  assert.match(ap.stdout, /0 added, 1 changed, 0 destroyed/);
  assert.equal(Object.values(store().objects.test_object).find((o) => o.name === 'alpha')!.size, 2);
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
});

test('changing a replace-on-change attribute plans a replacement with its reason', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  fs.writeFileSync(path.join(dir, 'main.hcl'), CFG.replace('zone = "z1"', 'zone = "z2"'));
  const p = poolform(dir, ['plan']);
  assert.match(p.stdout, /test_object\.a must be replaced/);
  assert.match(p.stdout, /zone/);
  const j = JSON.parse(poolform(dir, ['plan', '-json']).stdout);
  const a = j.resource_changes.find((c: { address: string }) => c.address === 'test_object.a');
  assert.deepEqual(a.change.actions, ['delete', 'create']);
  assert.equal(a.action_reason, 'replace_because_cannot_update');
});

test('a failure mid-apply keeps what was done; the next plan shows exactly what remains', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  const ap = poolform(dir, ['apply', '-auto-approve'], { POOLFORM_TEST_FAIL_ON: 'gamma' });
  assert.equal(ap.code, 1);
  assert.match(ap.stdout + ap.stderr, /test_object\.c/);
  const st = readState(dir);
  assert.deepEqual(st.resources.map((r) => r.address).sort(), ['test_object.a', 'test_object.b']);
  const p = poolform(dir, ['plan', '-detailed-exitcode']);
  assert.equal(p.code, 2);
  assert.match(p.stdout, /test_object\.c will be created/);
  assert.match(p.stdout, /Plan: 1 to add, 0 to change, 0 to destroy\./);
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
});

test('a failed dependency skips its dependents while independent work goes on', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  const ap = poolform(dir, ['apply', '-auto-approve'], { POOLFORM_TEST_FAIL_ON: 'alpha' });
  assert.equal(ap.code, 1);
  assert.match(ap.stdout, /1 failed/);
  assert.match(ap.stdout, /1 skipped/);
  assert.deepEqual(readState(dir).resources.map((r) => r.address), ['test_object.c']);
});

test('a saved plan is refused when an object changed on the platform', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  fs.writeFileSync(path.join(dir, 'main.hcl'), CFG.replace('name = "gamma"', 'name = "gamma2"'));
  assert.equal(poolform(dir, ['plan', '-out=x.plan']).code, 0);
  const raw = fs.readFileSync(path.join(dir, 'platform.json'), 'utf8');
  fs.writeFileSync(path.join(dir, 'platform.json'), raw.replace('"size": 2', '"size": 9').replace('"size":2', '"size":9'));
  const r = poolform(dir, ['apply', 'x.plan']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /test_object\.a changed on the platform/);
});

test('import adopts an existing object', () => {
  const dir = tmpConfig({ 'main.hcl': CFG });
  assert.equal(poolform(dir, ['apply', '-auto-approve']).code, 0);
  const id = readState(dir).resources.find((r) => r.address === 'test_object.c')!.id;
  assert.equal(poolform(dir, ['state', 'rm', 'test_object.c']).code, 0);
  const p = poolform(dir, ['plan']);
  assert.match(p.stdout, /test_object\.c will be created/);
  const im = poolform(dir, ['import', 'test_object.c', id]);
  assert.equal(im.code, 0, im.stderr);
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
  const bad = poolform(dir, ['import', 'test_object.zz', id]);
  assert.equal(bad.code, 1);
});

test('a preflight error about one instance points at its block and names the instance', () => {
  const text = `${USE_TEST_PROVIDER}
provider "test" {
  store = "platform.json"
}
resource "test_object" "big" {
  for_each = { small = 5, huge = 5000 }
  name     = each.key
  size     = each.value
}
`;
  const dir = tmpConfig({ 'main.hcl': text });
  const line = text.split('\n').findIndex((l) => l.startsWith('resource "test_object" "big"')) + 1;
  const p = poolform(dir, ['plan']);
  assert.equal(p.code, 1, p.stdout + p.stderr);
  assert.match(p.stderr, /Error: size 5000 exceeds the store's capacity of 1000/);
  assert.match(p.stderr, new RegExp(`main\\.hcl:${line}:\\d+:\\n│\\n│   with test_object\\.big\\["huge"\\],\\n│   on main\\.hcl line ${line}`));
  assert.doesNotMatch(p.stderr, /small/);
});

test('an unreachable platform is reported once, at its provider block', () => {
  const text = `${CFG}data "test_lookup" "l" {\n  name = test_object.a.name\n}\n`;
  const dir = tmpConfig({ 'main.hcl': text });
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stdout + ap.stderr);
  fs.writeFileSync(path.join(dir, 'main.hcl'), text.replace('store = "platform.json"', 'store = "platform.json"\n  fail_connect = true'));
  const line = text.split('\n').findIndex((l) => l.startsWith('provider "test"')) + 1;
  // Observing state and reading the data source both need the session.
  const p = poolform(dir, ['plan']);
  assert.equal(p.code, 1, p.stdout + p.stderr);
  assert.equal(p.stderr.match(/Cannot connect to provider\.test/g)?.length, 1, p.stderr);
  assert.match(p.stderr, new RegExp(`Cannot connect to provider\\.test\\n│ main\\.hcl:${line}:`));
  assert.match(p.stderr, /injected failure: store platform\.json cannot be reached/);
  assert.doesNotMatch(p.stderr, /Cannot read|could not run/);
});

test('for_each over another resource\'s instances: each.value, unknown at plan, is known when the step runs', () => {
  const dir = tmpConfig({
    'main.hcl': `${USE_TEST_PROVIDER}
provider "test" {
  store = "platform.json"
}
resource "test_object" "vm" {
  for_each = toset(["app1", "app2"])
  name     = each.key
}
resource "test_object" "ha" {
  for_each = test_object.vm
  name     = "ha-\${each.value.uuid}"
}
`,
  });
  const ap = poolform(dir, ['apply', '-auto-approve']);
  assert.equal(ap.code, 0, ap.stderr + ap.stdout);
  const byAddr = new Map(readState(dir).resources.map((r: { address: string; attributes: Record<string, unknown> }) => [r.address, r.attributes]));
  for (const k of ['app1', 'app2']) {
    const uuid = byAddr.get(`test_object.vm["${k}"]`)?.uuid;
    assert.equal(typeof uuid, 'string');
    assert.equal(byAddr.get(`test_object.ha["${k}"]`)?.name, `ha-${uuid as string}`);
  }
  assert.equal(poolform(dir, ['plan', '-detailed-exitcode']).code, 0);
});
