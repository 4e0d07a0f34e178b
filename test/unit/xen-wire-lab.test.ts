// The lab as a whole (sim/lab.ts) and its command (`poolform lab xenserver`): what it reports is
// what is on the wire (certificate fingerprints, SSH host keys in known_hosts), hosts that go down
// stop answering both protocols, a lab kept in a directory comes back as the same pool with the same
// pins, and the variables it hands to a configuration parse as typed poolform variables.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { spawnSync } from 'node:child_process';
import type { ConnectConfig } from 'ssh2';
import { startLab, labEnv, writeLabEnv, type Lab, type LabHost } from '../../providers/xenserver/sim/lab.js';
import { SSH_ALGORITHMS_CLIENT } from '../../providers/xenserver/crypto-policy.js';
import { CLI, applyWithEnv, sshExec } from './sim-wire-harness.js';

/** JSON-RPC over HTTPS trusting nothing but a matching fingerprint (what a pin does). */
function call(h: LabHost, method: string, params: unknown[]): Promise<{ fingerprint: string; body: { result?: unknown; error?: { message: string; data: string[] } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: h.port,
        method: 'POST',
        path: '/jsonrpc',
        agent: false,
        rejectUnauthorized: false,
        headers: { 'Content-Type': 'application/json' },
        checkServerIdentity: () => undefined,
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ fingerprint, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }));
  });
}

/** SSH with a strict known_hosts check: the offered key must be listed for [127.0.0.1]:port. */
function sshRun(h: LabHost, knownHostsFile: string, password: string, command: string): Promise<{ ok: boolean; stdout?: string; error?: string }> {
  const listed = fs
    .readFileSync(knownHostsFile, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`[127.0.0.1]:${h.sshPort} `))
    .map((l) => Buffer.from(l.split(' ')[2]!, 'base64'));
  return sshExec(command, { host: '127.0.0.1', port: h.sshPort, username: 'root', password, algorithms: SSH_ALGORITHMS_CLIENT as ConnectConfig['algorithms'], hostVerifier: (key: Buffer) => listed.some((k) => k.equals(key)) }).then((r) => ({
    ok: r.ok,
    stdout: r.stdout,
    error: r.error?.message,
  }));
}

async function login(lab: Lab, i: number): Promise<string> {
  const r = await call(lab.hosts[i]!, 'session.login_with_password', ['root', lab.password, '1.0', 'test']);
  assert.equal(typeof r.body.result, 'string', JSON.stringify(r.body));
  return r.body.result as string;
}

test('what the lab reports is what the wire presents: fingerprints, SSH host keys, addresses', async () => {
  const lab = await startLab({ hosts: 2, latencyScale: 0, password: 'lab-pw-1' });
  try {
    assert.deepEqual(lab.hosts.map((h) => h.name), ['xs1', 'xs2']);
    for (const h of lab.hosts) {
      assert.equal(h.address, `127.0.0.1:${h.port}`);
      assert.equal(h.url, `https://127.0.0.1:${h.port}`);
      const r = await call(h, 'session.login_with_password', ['root', 'lab-pw-1']);
      assert.equal(r.fingerprint, h.fingerprint);
      assert.match(h.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      const ssh = await sshRun(h, lab.knownHostsFile, 'lab-pw-1', 'date +%s.%N');
      assert.equal(ssh.ok, true, ssh.error);
      assert.match(ssh.stdout!, /^\d+\.\d+\n$/);
      assert.equal((await sshRun(h, lab.knownHostsFile, 'poolform-lab', 'date +%s.%N')).ok, false, 'the lab password, not the default');
    }
    assert.notEqual(lab.hosts[0]!.fingerprint, lab.hosts[1]!.fingerprint);
    assert.equal(fs.readFileSync(lab.knownHostsFile, 'utf8').trim().split('\n').length, 4, 'ed25519 + ecdsa per host');
    const s = await login(lab, 0);
    const hosts = (await call(lab.hosts[0]!, 'host.get_all_records', [s])).body.result as Record<string, { uuid: string; address: string }>;
    assert.deepEqual(Object.values(hosts).map((h) => [h.uuid, h.address]), [[lab.hosts[0]!.uuid, lab.hosts[0]!.address]]);
  } finally {
    await lab.stop();
  }
  assert.equal(fs.existsSync(lab.dir), false, 'a temporary lab leaves nothing behind');
});

test('a host that is down answers neither XAPI nor SSH; the wire can drop requests', async () => {
  const lab = await startLab({ hosts: 2, latencyScale: 0 });
  try {
    lab.sim.faults.setHostDown('xs2');
    await assert.rejects(call(lab.hosts[1]!, 'session.login_with_password', ['root', lab.password]), /socket hang up|ECONNRESET|disconnected/);
    assert.equal((await sshRun(lab.hosts[1]!, lab.knownHostsFile, lab.password, 'date +%s.%N')).ok, false);
    lab.sim.faults.setHostDown('xs2', false);
    await login(lab, 1);
    lab.wire.drops.set(lab.hosts[0]!.uuid, 1);
    await assert.rejects(login(lab, 0), /socket hang up|ECONNRESET|disconnected/);
    await login(lab, 0);
  } finally {
    await lab.stop();
  }
});

/** How many pools the world saved in `dir` has (a join makes two hosts one pool). */
function savedPools(dir: string): number {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'world.json'), 'utf8')) as { dbs: unknown[] }).dbs.length;
}

test('a lab kept in a directory restarts as the same pool, with the same ports and pins, even when killed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-labdir-'));
  const killed = `${dir}-killed`;
  try {
    const first = await startLab({ hosts: 2, dir, latencyScale: 0 });
    const before = first.hosts;
    assert.equal(savedPools(dir), 2);
    const joiner = await login(first, 1);
    const join = await call(first.hosts[1]!, 'pool.join', [joiner, first.hosts[0]!.address, 'root', first.password]);
    assert.equal(join.body.result, '', JSON.stringify(join.body));
    // the running lab saves the change by itself: a copy of the directory now is what a killed lab leaves
    for (let i = 0; i < 200 && savedPools(dir) !== 1; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(savedPools(dir), 1, 'the join was saved without stop()');
    fs.cpSync(dir, killed, { recursive: true });
    await first.stop();
    for (const f of ['lab.json', 'world.json', 'known_hosts', 'hosts/xs1.crt', 'hosts/xs1.key', 'hosts/xs2.ssh_host_ed25519_key']) assert.ok(fs.existsSync(path.join(dir, f)), f);

    await assert.rejects(startLab({ hosts: 3, dir }), /has 2 hosts, not 3/);
    const second = await startLab({ dir: killed, latencyScale: 0 });
    try {
      assert.deepEqual(second.hosts, before, 'same names, uuids, ports, certificate and host-key fingerprints');
      const slave = await call(second.hosts[1]!, 'session.login_with_password', ['root', second.password]);
      assert.deepEqual(slave.body.error, { code: 1, message: 'HOST_IS_SLAVE', data: [before[0]!.address] });
      const s = await login(second, 0);
      const hosts = (await call(second.hosts[0]!, 'host.get_all_records', [s])).body.result as Record<string, { name_label: string }>;
      assert.deepEqual(Object.values(hosts).map((h) => h.name_label).sort(), ['xs1', 'xs2']);
      const ssh = await sshRun(second.hosts[1]!, path.join(killed, 'known_hosts'), second.password, 'date +%s.%N');
      assert.equal(ssh.ok, true, ssh.error);
    } finally {
      await second.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(killed, { recursive: true, force: true });
  }
});

test('lab.env and the child environment: every POOLFORM_VAR_* parses as the typed variable it is for', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-labenv-'));
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-labcfg-'));
  try {
    const lab = await startLab({ hosts: 2, dir, latencyScale: 0, password: `it's "quoted" \${x}` });
    const env = labEnv(lab);
    const file = writeLabEnv(lab);
    await lab.stop();
    // The file is shell-readable and gives back exactly the same values.
    const dumped = spawnSync('sh', ['-c', `set -a; . "${file}"; set +a; env`], { encoding: 'utf8' });
    for (const [k, v] of Object.entries(env)) assert.ok(dumped.stdout.split('\n').includes(`${k}=${v}`), k);
    assert.deepEqual(Object.keys(env).sort(), ['POOLFORM_VAR_known_hosts_file', 'POOLFORM_VAR_xen_fingerprints', 'POOLFORM_VAR_xen_hosts', 'POOLFORM_VAR_xen_password', 'POOLFORM_VAR_xen_ssh_port', 'POOLFORM_VAR_xen_url']);

    const all = applyWithEnv(
      cfg,
      `variable "xen_url" { type = string }
variable "xen_password" { type = string }
variable "xen_fingerprints" { type = list(string) }
variable "xen_hosts" { type = list(object({ name = string, url = string, fingerprint = string, ssh_port = number })) }
variable "known_hosts_file" { type = string }
variable "xen_ssh_port" { type = number }
output "all" {
  value = {
    url = var.xen_url, password = var.xen_password, fingerprints = var.xen_fingerprints,
    hosts = var.xen_hosts, known_hosts_file = var.known_hosts_file, ssh_port = var.xen_ssh_port
  }
}
`,
      env,
    );
    assert.deepEqual(all, {
      url: lab.hosts[0]!.url,
      password: `it's "quoted" \${x}`,
      fingerprints: lab.hosts.map((h) => h.fingerprint),
      hosts: lab.hosts.map((h) => ({ name: h.name, url: h.url, fingerprint: h.fingerprint, ssh_port: h.sshPort })),
      known_hosts_file: lab.knownHostsFile,
      ssh_port: lab.hosts[0]!.sshPort,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cfg, { recursive: true, force: true });
  }
});

test('poolform lab xenserver --hosts 2 -- version: prints the hosts, runs the command, stops, exits with its code', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-labcli-'));
  try {
    const r = spawnSync(process.execPath, [CLI, 'lab', 'xenserver', '--hosts', '2', '--latency-scale', '0', '--', 'version'], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /NAME\s+URL\s+TLS FINGERPRINT \(SHA-256\)\s+SSH PORT/);
    assert.match(r.stdout, /^xs1\s+https:\/\/127\.0\.0\.1:\d+\s+([0-9A-F]{2}:){31}[0-9A-F]{2}\s+\d+$/m);
    assert.match(r.stdout, /^xs2\s+https:\/\/127\.0\.0\.1:\d+/m);
    assert.match(r.stdout, /poolform v\d+\.\d+\.\d+/, 'the child ran');
    const envFile = path.join(cwd, '.poolform-lab', 'xenserver', 'lab.env');
    const text = fs.readFileSync(envFile, 'utf8');
    assert.match(text, /^POOLFORM_VAR_xen_url='https:\/\/127\.0\.0\.1:\d+'$/m);
    assert.ok(fs.existsSync(path.join(cwd, '.poolform-lab', 'xenserver', 'world.json')), 'the world is kept in the lab directory');

    const failing = spawnSync(process.execPath, [CLI, 'lab', 'xenserver', '--latency-scale', '0', '--', 'no-such-command'], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    assert.equal(failing.status, 1, 'the child exit code is passed on');
    assert.match(failing.stdout, /^xs2\s/m, 'the kept lab (2 hosts) is reused when --hosts is not given');

    const typo = spawnSync(process.execPath, [CLI, 'lab', 'xenservr'], { cwd, encoding: 'utf8' });
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /did you mean "xenserver"/);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
