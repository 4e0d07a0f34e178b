// The state file: atomic writes, 0600 modes, backups, validation errors, version checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { ResourceInstanceState, State } from '../../engine/state/types.js';
import type { LocalBackend } from '../../engine/state/local.js';
import { emptyState } from '../../engine/state/ops.js';
import {
  StateError,
  compareVersions,
  jsonErrorOffset,
  lineCol,
  parseJsonText,
  serializeState,
  writeFileAtomic,
} from '../../engine/state/file.js';
import { backendIn, tempBackend, tempDir } from './state-fixtures.js';

function mode(path: string): number {
  return fs.statSync(path).mode & 0o777;
}

function res(address: string, extra: Partial<ResourceInstanceState> = {}): ResourceInstanceState {
  const [type] = address.split('.');
  return { address, mode: 'managed', type, provider: 'xenserver', id: `id-${address}`, attributes: { n: 1 }, dependencies: [], ...extra };
}

function sampleState(serial: number, addresses: string[] = ['xen_vm.a']): State {
  return { ...emptyState('0.1.0'), serial, resources: addresses.map((a) => res(a)) };
}

test('write is atomic, 0600, leaves no temp files, and keeps the previous state as .backup', async () => {
  const dir = tempDir();
  const b = backendIn(dir);
  assert.equal(await b.read(), undefined, 'missing file reads as undefined');
  const oldUmask = process.umask(0o000); // must not widen the mode
  try {
    const s1 = sampleState(1);
    await b.write(s1);
    assert.deepEqual(fs.readdirSync(dir), ['poolform.state.json']);
    assert.equal(mode(b.path), 0o600);
    const s2 = { ...sampleState(2, ['xen_vm.a', 'xen_vm.b']), lineage: s1.lineage };
    await b.write(s2);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['poolform.state.json', 'poolform.state.json.backup']);
    assert.equal(mode(b.path), 0o600);
    assert.equal(mode(b.backupPath), 0o600);
    const backup = JSON.parse(fs.readFileSync(b.backupPath, 'utf8')) as State;
    assert.equal(backup.serial, 1);
    assert.equal(backup.resources.length, 1);
    const cur = await b.read();
    assert.equal(cur!.serial, 2);
    assert.deepEqual(cur, s2);
  } finally {
    process.umask(oldUmask);
  }
});

test('a hand-made 0644 state is replaced by a 0600 one and its backup is 0600', async () => {
  const b = tempBackend();
  const path = b.path;
  fs.writeFileSync(path, JSON.stringify(sampleState(4)), { mode: 0o644 });
  fs.chmodSync(path, 0o644);
  await b.write(sampleState(5));
  assert.equal(mode(path), 0o600);
  assert.equal(mode(b.backupPath), 0o600);
  assert.equal((JSON.parse(fs.readFileSync(b.backupPath, 'utf8')) as State).serial, 4);
});

test('resources are written sorted by address, outputs by name, with a stable key order', async () => {
  const dir = tempDir();
  const b = backendIn(dir);
  const s: State = {
    ...sampleState(1, ['xen_vm.z', 'module.a.xen_vm.m', 'xen_net.b']),
    outputs: { zeta: { value: 1, sensitive: false }, alpha: { value: 'x', sensitive: true } },
  };
  await b.write(s);
  const text = fs.readFileSync(b.path, 'utf8');
  const parsed = JSON.parse(text) as State;
  assert.deepEqual(parsed.resources.map((r) => r.address), ['module.a.xen_vm.m', 'xen_net.b', 'xen_vm.z']);
  assert.deepEqual(Object.keys(parsed.outputs), ['alpha', 'zeta']);
  assert.deepEqual(Object.keys(parsed), ['format_version', 'poolform_version', 'serial', 'lineage', 'outputs', 'resources']);
  assert.deepEqual(s.resources.map((r) => r.address), ['xen_vm.z', 'module.a.xen_vm.m', 'xen_net.b'], 'caller array untouched');
});

test('instance keys are written in numeric order, as plans list them', () => {
  const text = serializeState(sampleState(1, ['xen_vm.v[10]', 'xen_vm.v[2]', 'xen_vm.v[1]']));
  assert.deepEqual((JSON.parse(text) as State).resources.map((r) => r.address), ['xen_vm.v[1]', 'xen_vm.v[2]', 'xen_vm.v[10]']);
});

test('writeFileAtomic cleans up its temp file when the rename fails', () => {
  const dir = tempDir();
  const target = join(dir, 'sub');
  fs.mkdirSync(target); // renaming a file over a directory fails
  assert.throws(() => writeFileAtomic(target, 'x'), (e: unknown) => e instanceof StateError && /cannot write/.test(e.message));
  assert.deepEqual(fs.readdirSync(dir), ['sub']);
});

test('refuses to write a state it could not read back', async () => {
  const dir = tempDir();
  const b = backendIn(dir);
  const bad = { ...sampleState(1), resources: [res('xen_vm.a', { id: 42 as unknown as string })] };
  await assert.rejects(b.write(bad), /resources\[0\]\.id \(xen_vm\.a\): must be string/);
  assert.deepEqual(fs.readdirSync(dir), []);
});

function writeRaw(text: string): LocalBackend {
  const b = tempBackend();
  fs.writeFileSync(b.path, text);
  return b;
}

test('a JSON syntax error names the file and line:col', async () => {
  let b = writeRaw('{\n  "format_version": 1,\n  "serial": tru\n}\n');
  await assert.rejects(b.read(), (e: unknown) => {
    assert.ok(e instanceof StateError);
    assert.ok(e.message.startsWith(`${b.path}:3:`), e.message);
    assert.match(e.message, /invalid JSON/);
    return true;
  });
  b = writeRaw('{\n  "a": 1,\n}');
  await assert.rejects(b.read(), (e: unknown) => e instanceof StateError && e.message.startsWith(`${b.path}:3:1: invalid JSON`));
  b = writeRaw('{"a": ');
  await assert.rejects(b.read(), (e: unknown) => e instanceof StateError && e.message.startsWith(`${b.path}:1:7: invalid JSON`));
});

test('missing fields and wrong types are listed, naming the resource', async () => {
  const s = sampleState(1, ['xen_vm.a', 'xen_vm.b']) as unknown as Record<string, unknown>;
  delete s.lineage;
  (s.resources as Record<string, unknown>[])[1].dependencies = 'nope';
  (s.resources as Record<string, unknown>[])[0].mode = 'weird';
  const b = writeRaw(JSON.stringify(s));
  await assert.rejects(b.read(), (e: unknown) => {
    assert.ok(e instanceof StateError);
    assert.match(e.message, /is not a valid poolform state file/);
    assert.ok(e.message.includes(b.path));
    assert.match(e.message, /missing required field "lineage"/);
    assert.match(e.message, /resources\[1\]\.dependencies \(xen_vm\.b\): must be array/);
    assert.match(e.message, /resources\[0\]\.mode \(xen_vm\.a\): must be one of "managed", "data"/);
    return true;
  });
  await assert.rejects(writeRaw('[1,2]').read(), /expected a JSON object at the top level/);
  const dup = sampleState(1, ['xen_vm.a', 'xen_vm.a']);
  await assert.rejects(writeRaw(JSON.stringify(dup)).read(), /address listed more than once: xen_vm\.a/);
});

test('a state from a newer poolform is refused with the version named', async () => {
  const newerFormat = { ...sampleState(1), format_version: 2, poolform_version: '3.0.0', resources: 'new shape' };
  await assert.rejects(writeRaw(JSON.stringify(newerFormat)).read(), (e: unknown) => {
    assert.ok(e instanceof StateError);
    assert.match(e.message, /written by a newer poolform 3\.0\.0/);
    assert.match(e.message, /Upgrade poolform/);
    return true;
  });
  const newerTool = { ...sampleState(1), poolform_version: '0.2.0-beta.1' };
  await assert.rejects(writeRaw(JSON.stringify(newerTool)).read(), /written by a newer poolform 0\.2\.0-beta\.1 \(this is poolform 0\.1\.0\)/);
  const older = { ...sampleState(1), poolform_version: '0.0.9' };
  assert.equal((await writeRaw(JSON.stringify(older)).read())!.serial, 1);
});

test('compareVersions follows semver precedence', () => {
  assert.equal(compareVersions('1.2.3', '1.2.3'), 0);
  assert.equal(compareVersions('1.10.0', '1.9.9'), 1);
  assert.equal(compareVersions('0.1.0', '0.1.1'), -1);
  assert.equal(compareVersions('1.0.0-rc.1', '1.0.0'), -1);
  assert.equal(compareVersions('1.0.0-alpha.10', '1.0.0-alpha.9'), 1);
  assert.equal(compareVersions('1.0.0-alpha', '1.0.0-alpha.1'), -1);
  assert.equal(compareVersions('1.0.0+build5', '1.0.0'), 0);
  assert.equal(compareVersions('dev', '1.0.0'), undefined);
});

test('jsonErrorOffset finds the first syntax error', () => {
  const cases: [string, number][] = [
    ['{"a": tru}', 6 + 3],
    ['{"a": 1,}', 8],
    ['[1 2]', 3],
    ["{'a': 1}", 1],
    ['{"a": 01}', 7],
    ['{"a": "x\ny"}', 8],
    ['{"a": [1, {"b": null}]} x', 24],
    ['{"a": "\\q"}', 8],
    ['', 0],
    ['[[[', 3],
  ];
  for (const [text, offset] of cases) {
    assert.throws(() => JSON.parse(text));
    assert.equal(jsonErrorOffset(text), offset, text);
  }
  assert.equal(jsonErrorOffset('{"a": [1, -2.5e3, true, false, null, "\\u00e9"]}'), -1);
  assert.deepEqual(lineCol('ab\ncd\nef', 4), { line: 2, col: 2 });
  assert.throws(() => parseJsonText('{\n "x": nope}', 'f.json'), /f\.json:2:8: invalid JSON: Unexpected token/);
});

test('50,000 resources read and write quickly (timing printed, not asserted)', async (t) => {
  const dir = tempDir();
  const b = backendIn(dir);
  const resources: ResourceInstanceState[] = [];
  for (let i = 0; i < 50_000; i++) {
    resources.push(
      res(`xen_vm.vm[${i}]`, {
        attributes: { name_label: `vm-${i}`, memory: 4096, vcpus: 2, tags: ['a', 'b'], network: { id: `net-${i % 7}` } },
        dependencies: ['xen_net.n', 'xen_sr.s'],
      }),
    );
  }
  const s: State = { ...emptyState('0.1.0'), serial: 1, resources };
  let t0 = performance.now();
  await b.write(s);
  const coldWriteMs = performance.now() - t0;
  t0 = performance.now();
  await b.write({ ...s, serial: 2 });
  const writeMs = performance.now() - t0;
  t0 = performance.now();
  const back = await b.read();
  const readMs = performance.now() - t0;
  assert.equal(back!.resources.length, 50_000);
  assert.equal(back!.serial, 2);
  assert.deepEqual(back!.resources.find((r) => r.address === 'xen_vm.vm[123]'), s.resources.find((r) => r.address === 'xen_vm.vm[123]'));
  const size = fs.statSync(b.path).size;
  t.diagnostic(`50k resources (${(size / 1e6).toFixed(1)} MB): first write ${coldWriteMs.toFixed(0)} ms, write ${writeMs.toFixed(0)} ms, read ${readMs.toFixed(0)} ms`);
});
