// The simulated Proxmox nodes' SSH daemons (sim/ssh-agent.ts) as the lab runs them, spoken to with
// ssh2's Client over loopback and a strict known_hosts check (providers/common/known-hosts.ts):
// root by password and by the lab's client key, wrong credentials refused, exec answered by the
// model's shell with its exit status, and a powered-off node refusing SSH while a node that only
// lost its API still answers it (the rollback path).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { ConnectConfig } from 'ssh2';
import { startPveLab, type LabNode, type PveLab } from '../../providers/proxmox/sim/lab.js';
import { checkHostKey, parseKnownHosts } from '../../providers/common/known-hosts.js';
import { generateSshClientKey } from '../../providers/common/ssh-keys.js';
import { sshExec, type SshOutcome } from './sim-wire-harness.js';

let lab: PveLab;

before(async () => {
  lab = await startPveLab({ nodes: 2, latencyScale: 0, authFailDelayMs: 20 });
});

after(async () => {
  await lab?.stop();
});

/** Runs one command with the host key checked against the lab's known_hosts, as poolform's client does. */
function run(n: LabNode, command: string, auth: Partial<ConnectConfig>): Promise<SshOutcome> {
  const entries = parseKnownHosts(fs.readFileSync(lab.knownHostsFile, 'utf8')).entries;
  return sshExec(command, {
    host: '127.0.0.1',
    port: n.sshPort,
    username: 'root',
    hostVerifier: (key: Buffer) => checkHostKey(entries, '127.0.0.1', n.sshPort, key).status === 'ok',
    ...auth,
  });
}

test('root by password: the host key is in known_hosts, exec reaches the node’s shell with its exit status', async () => {
  const [pve1] = lab.nodes as [LabNode];
  const v = await run(pve1, 'pveversion', { password: lab.password });
  assert.equal(v.ok, true, v.error?.message);
  assert.equal(v.code, 0);
  assert.match(v.stdout!, /^pve-manager\/\d+\.\d+\.\d+\//);
  // Standalone: pvecm says so, with its exit status.
  const st = await run(pve1, 'pvecm status', { password: lab.password });
  assert.equal(st.ok, true);
  assert.notEqual(st.code, 0);
  assert.match(st.stderr! + st.stdout!, /is this node part of a cluster/);
  const unknown = await run(pve1, 'frobnicate', { password: lab.password });
  assert.equal(unknown.code, 127);
  assert.match(unknown.stderr!, /command not found/);
});

test('root by the lab’s client key; an unknown key and a wrong password are refused', async () => {
  const [pve1, pve2] = lab.nodes as [LabNode, LabNode];
  assert.equal(fs.readFileSync(lab.sshPrivateKeyFile, 'utf8'), lab.sshPrivateKey);
  for (const n of [pve1, pve2]) {
    const r = await run(n, 'date +%s.%N', { privateKey: lab.sshPrivateKey });
    assert.equal(r.ok, true, r.error?.message);
    assert.match(r.stdout!, /^\d+\.\d+/);
  }
  const stranger = await run(pve1, 'date +%s.%N', { privateKey: generateSshClientKey('stranger').privateKey });
  assert.equal(stranger.ok, false);
  assert.match(String(stranger.error?.message), /authentication methods failed/);
  const wrong = await run(pve1, 'date +%s.%N', { password: 'wrong' });
  assert.equal(wrong.ok, false);
});

test('a host key the known_hosts file does not list for that port is refused', async () => {
  const [pve1, pve2] = lab.nodes as [LabNode, LabNode];
  // pve2's entry checked against pve1's port: the strict check fails, so no command runs.
  const entries = parseKnownHosts(fs.readFileSync(lab.knownHostsFile, 'utf8')).entries.filter((e) => e.patterns?.[0] === `[127.0.0.1]:${pve2.sshPort}`);
  const r = await run(pve1, 'pveversion', { password: lab.password, hostVerifier: (key: Buffer) => entries.some((e) => e.key.equals(key)) });
  assert.equal(r.ok, false);
});

test('powered off: SSH refuses; powered on again, it answers', async () => {
  const pve2 = lab.nodes[1]!;
  lab.sim.powerOff(pve2.name);
  try {
    const r = await run(pve2, 'pveversion', { password: lab.password });
    assert.equal(r.ok, false);
  } finally {
    lab.sim.powerOn(pve2.name);
  }
  const back = await run(pve2, 'pveversion', { password: lab.password });
  assert.equal(back.ok, true, back.error?.message);
});

test('a node whose API is down still answers SSH (the way back in); its API resets meanwhile', async () => {
  const pve1 = lab.nodes[0]!;
  lab.sim.faults.setApiDown(pve1.name);
  try {
    const r = await run(pve1, 'pveversion', { password: lab.password });
    assert.equal(r.ok, true, r.error?.message);
    assert.equal(lab.sim.nodes().find((n) => n.name === pve1.name)?.reachable, false);
  } finally {
    lab.sim.faults.setApiDown(pve1.name, false);
  }
});
