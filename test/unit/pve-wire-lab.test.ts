// The Proxmox lab as a whole (sim/lab.ts) and its command (`poolform lab proxmox`): what it reports
// is what is on the wire (certificate fingerprints, SSH host keys in known_hosts), a lab kept in a
// directory comes back with the same ports, pins, secrets and world, and the variables it hands to
// a configuration parse as the typed poolform variables the example declares.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { spawnSync } from 'node:child_process';
import { startPveLab, labEnv, writeLabEnv, type LabNode, type PveLab } from '../../providers/proxmox/sim/lab.js';
import { parseKnownHosts } from '../../providers/common/known-hosts.js';
import { publicKeyBlob } from '../../providers/common/ssh-keys.js';
import { CLI, applyWithEnv } from './sim-wire-harness.js';

function get(lab: PveLab, n: LabNode, p: string): Promise<{ status: number; fingerprint: string; data: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port: n.port, path: `/api2/json${p}`, agent: false, rejectUnauthorized: false, headers: { Authorization: `PVEAPIToken=${lab.tokenId}=${lab.tokenSecret}` } },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, fingerprint, data: (JSON.parse(text) as { data: unknown }).data }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('a new lab: standalone nodes pve1..pveN with lab addresses, pins that match the wire, SSH keys in known_hosts', async () => {
  const lab = await startPveLab({ nodes: 3, latencyScale: 0, authFailDelayMs: 20 });
  try {
    assert.deepEqual(
      lab.nodes.map((n) => [n.name, n.ip]),
      [
        ['pve1', '10.20.0.11'],
        ['pve2', '10.20.0.12'],
        ['pve3', '10.20.0.13'],
      ],
    );
    assert.equal(lab.tokenId, 'root@pam!poolform');
    assert.match(lab.tokenSecret, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const known = parseKnownHosts(fs.readFileSync(lab.knownHostsFile, 'utf8')).entries;
    for (const n of lab.nodes) {
      assert.equal(n.url, `https://127.0.0.1:${n.port}`);
      assert.equal(n.sshAddress, `127.0.0.1:${n.sshPort}`);
      const r = await get(lab, n, '/cluster/status');
      assert.equal(r.status, 200);
      assert.equal(r.fingerprint, n.fingerprint, 'the reported pin is the served certificate');
      // Standalone: the status lists the node alone, no cluster entry.
      const items = r.data as { type: string; name: string }[];
      assert.deepEqual(items.filter((i) => i.type === 'node').map((i) => i.name), [n.name]);
      assert.equal(items.filter((i) => i.type === 'cluster').length, 0);
      const mine = known.filter((e) => e.patterns?.[0] === `[127.0.0.1]:${n.sshPort}`).map((e) => e.keyType).sort();
      assert.deepEqual(mine, ['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    }
  } finally {
    await lab.stop();
  }
  assert.equal(fs.existsSync(lab.dir), false, 'a temporary lab removes its directory');
});

test('a lab kept in a directory comes back with the same ports, pins, secrets and world', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-pve-lab-'));
  try {
    const first = await startPveLab({ nodes: 2, dir, latencyScale: 0, authFailDelayMs: 20, guests: 3 });
    const seen = first.nodes.map((n) => ({ ...n }));
    const secret = first.tokenSecret;
    const resources = (await get(first, first.nodes[0]!, '/cluster/resources')).data as { type: string }[];
    assert.equal(resources.filter((r) => r.type === 'qemu').length, 2, 'pve1 holds 2 of the 3 guests (spread evenly)');
    await first.stop();
    assert.ok(fs.existsSync(path.join(dir, 'world.json')));
    assert.equal(fs.statSync(path.join(dir, 'lab.json')).mode & 0o077, 0, 'lab.json (secrets) is private');

    await assert.rejects(startPveLab({ nodes: 3, dir, latencyScale: 0 }), /has 2 nodes, not 3/);
    const again = await startPveLab({ dir, latencyScale: 0, authFailDelayMs: 20 });
    try {
      assert.deepEqual(again.nodes, seen);
      assert.equal(again.tokenSecret, secret);
      const r = await get(again, again.nodes[1]!, '/cluster/resources');
      assert.equal(r.status, 200, 'the kept token still works');
      assert.equal((r.data as { type: string }[]).filter((x) => x.type === 'qemu').length, 1);
    } finally {
      await again.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('lab.env and the child environment: every POOLFORM_VAR_* parses as the typed variable it is for', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-pve-labenv-'));
  const cfg = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-pve-labcfg-'));
  try {
    const lab = await startPveLab({ nodes: 2, dir, latencyScale: 0, password: `it's "quoted" \${x}` });
    const env = labEnv(lab);
    const file = writeLabEnv(lab);
    await lab.stop();
    assert.deepEqual(Object.keys(env).sort(), ['POOLFORM_VAR_known_hosts_file', 'POOLFORM_VAR_pve_api_token', 'POOLFORM_VAR_pve_nodes', 'POOLFORM_VAR_pve_password', 'POOLFORM_VAR_pve_ssh_private_key']);
    assert.equal(fs.statSync(file).mode & 0o077, 0, 'lab.env holds secrets');
    const dumped = spawnSync('sh', ['-c', `set -a; . "${file}"; set +a; env -0`], { encoding: 'utf8' });
    const vars = new Map(dumped.stdout.split('\0').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const [k, v] of Object.entries(env)) assert.equal(vars.get(k), v, k);
    assert.equal(publicKeyBlob(env.POOLFORM_VAR_pve_ssh_private_key!).length > 0, true);

    const all = applyWithEnv(
      cfg,
      `variable "pve_nodes" {
  type = map(object({ api_url = string, tls_fingerprint = string, ssh_address = string }))
}
variable "pve_api_token" { type = string }
variable "pve_password" { type = string }
variable "known_hosts_file" { type = string }
output "all" {
  value = { nodes = var.pve_nodes, token = var.pve_api_token, password = var.pve_password, known_hosts_file = var.known_hosts_file }
}
`,
      env,
    );
    assert.deepEqual(all, {
      nodes: Object.fromEntries(lab.nodes.map((n) => [n.name, { api_url: n.url, tls_fingerprint: n.fingerprint, ssh_address: n.sshAddress }])),
      token: `root@pam!poolform=${lab.tokenSecret}`,
      password: `it's "quoted" \${x}`,
      known_hosts_file: lab.knownHostsFile,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cfg, { recursive: true, force: true });
  }
});

test('poolform lab proxmox --nodes 2 -- version: prints the nodes, runs the command, stops; usage errors', () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-pve-labcli-'));
  try {
    const r = spawnSync(process.execPath, [CLI, 'lab', 'proxmox', '--nodes', '2', '--latency-scale', '0', '--', 'version'], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /NODE\s+API URL\s+TLS FINGERPRINT \(SHA-256\)\s+SSH\s+ADDRESS/);
    assert.match(r.stdout, /^pve1\s+https:\/\/127\.0\.0\.1:\d+\s+([0-9A-F]{2}:){31}[0-9A-F]{2}\s+127\.0\.0\.1:\d+\s+10\.20\.0\.11$/m);
    assert.match(r.stdout, /^pve2\s+https:\/\/127\.0\.0\.1:\d+/m);
    assert.match(r.stdout, /poolform v\d+\.\d+\.\d+/, 'the child ran');
    assert.doesNotMatch(r.stdout, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/, 'the token secret is not printed');
    const labDir = path.join(cwd, '.poolform-lab', 'proxmox');
    assert.match(fs.readFileSync(path.join(labDir, 'lab.env'), 'utf8'), /^POOLFORM_VAR_pve_api_token='root@pam!poolform=[0-9a-f-]{36}'$/m);
    assert.ok(fs.existsSync(path.join(labDir, 'world.json')), 'the world is kept in the lab directory');

    const reused = spawnSync(process.execPath, [CLI, 'lab', 'proxmox', '--latency-scale', '0', '--', 'no-such-command'], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
    assert.equal(reused.status, 1, 'the child exit code is passed on');
    assert.match(reused.stdout, /^pve2\s/m, 'the kept lab (2 nodes) is reused when --nodes is not given');

    const hosts = spawnSync(process.execPath, [CLI, 'lab', 'proxmox', '--hosts', '2'], { cwd, encoding: 'utf8' });
    assert.equal(hosts.status, 1);
    assert.match(hosts.stderr, /use --nodes N/);
    const typo = spawnSync(process.execPath, [CLI, 'lab', 'proxmx'], { cwd, encoding: 'utf8' });
    assert.equal(typo.status, 1);
    assert.match(typo.stderr, /did you mean "proxmox"/);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
