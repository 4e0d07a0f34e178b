// Bad input through the real CLI: wrong password, a certificate that does not match its pin, a
// host that is not listening, and hosts that fail join preconditions. Each stops the plan with a
// message naming the host and what to do, and leaves no state behind. One lab whose second and
// third hosts cannot join (clock skew, another CPU vendor); the connection failures come first.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { diagnosticBoxes, startXenE2e, type CliRun, type XenE2e } from './xen-harness.js';

let e: XenE2e;
before(async () => {
  e = await startXenE2e({ hosts: 3, hostSpecs: [{}, { clockSkewMs: 10_000 }, { cpuVendor: 'AuthenticAMD' }] });
});
after(async () => {
  await e?.stop();
});

/** The plan failed, and nothing but the configuration is in its directory (no state, journal or lock). */
function assertRefused(r: CliRun): void {
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /Plan: /);
  assert.deepEqual(fs.readdirSync(e.dir), ['main.hcl']);
}

test('a wrong password: SESSION_AUTHENTICATION_FAILED, naming the host, saying to check the password', async () => {
  const r = await e.run(['plan'], { POOLFORM_VAR_xen_password: 'not-the-password' });
  assertRefused(r);
  const coord = e.lab.hosts[0]!.url;
  assert.ok(r.stderr.includes(`session.login_with_password on ${coord} failed: SESSION_AUTHENTICATION_FAILED`), r.stderr);
  assert.match(r.stderr, /Check username\/password of the provider block/);
  assert.ok(!r.stderr.includes('not-the-password'), 'the password never appears');
});

test('a certificate that does not match its pin: the seen fingerprint, and no password sent', async () => {
  e.lab.sim.resetStats();
  const wrongPin = e.lab.hosts[1]!.fingerprint; // a real fingerprint, of another host
  const r = await e.run(['plan'], { POOLFORM_VAR_xen_fingerprints: `["${wrongPin}"]` });
  assertRefused(r);
  const coord = e.lab.hosts[0]!;
  assert.ok(r.stderr.includes(`TLS certificate of ${coord.url} does not match tls_fingerprints: the host presented SHA-256 ${coord.fingerprint}`), r.stderr);
  assert.ok(r.stderr.includes(`expected ${wrongPin}.`), r.stderr);
  assert.match(r.stderr, /update tls_fingerprints/);
  // The handshake failed before any request: the simulated hosts saw no call at all, no login.
  assert.deepEqual(e.lab.sim.stats().calls, {});
});

test('a host that is not listening: names the address and what to check', async () => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const r = await e.run(['plan'], { POOLFORM_VAR_xen_url: `https://127.0.0.1:${port}` });
  assertRefused(r);
  assert.ok(r.stderr.includes(`cannot connect to XAPI at https://127.0.0.1:${port}: connection refused`), r.stderr);
  assert.match(r.stderr, /Is the host up and the port reachable\?/);
});

test('join preconditions: each failing host named with its rule, remedy and source line', async () => {
  const r = await e.run(['plan']);
  assertRefused(r);
  const [, xs2, xs3] = e.lab.hosts;
  // Both problems in one run (all errors are collected), each naming the host, the rule, the
  // member resource's block and the remedy.
  const boxes = diagnosticBoxes(r.stderr);
  assert.equal(boxes.length, 2, r.stderr);
  const box = (host: string) => boxes.find((b) => b.startsWith(`Error: host ${host} `)) ?? assert.fail(`no error for ${host}:\n${r.stderr}`);
  for (const [host, url, rule, remedy] of [
    ['xs2', xs2!.url, "clock in sync with the coordinator: its clock is 10.0 s ahead of the coordinator's", 'synchronise both clocks (NTP) before joining'],
    ['xs3', xs3!.url, "same CPU vendor: CPU vendor AuthenticAMD, the pool's is GenuineIntel", 'pick a host with the same CPU vendor; even a forced join cannot mix vendors'],
  ] as const) {
    const b = box(host);
    assert.ok(b.startsWith(`Error: host ${host} (${url}): ${rule}\nmain.hcl:63:1:\n`), b);
    assert.ok(b.trimEnd().endsWith(remedy), b);
  }
  // Preflight only looked: both hosts are still standalone.
  assert.notEqual(e.db('xs2'), e.db('xs1'));
  assert.notEqual(e.db('xs3'), e.db('xs1'));
});
