// The simulated hosts' SSH daemon, spoken to with ssh2's Client over loopback: host-key checks
// against the key the agent reports, exec answered by the model's shell, the XenServer 8 algorithm
// policy enforced, password authentication, and host keys kept on disk.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { SshAgent, generateSshHostKeys, knownHostsLines, loadOrCreateSshHostKeys, sshFingerprint, publicKeyEntry, type SshHostKeys } from '../../providers/xenserver/sim/ssh-agent.js';
import { XapiSim } from '../../providers/xenserver/sim/xapi.js';
import { SSH_ALGORITHMS_CLIENT, SSH_ALGORITHMS_XS8 } from '../../providers/xenserver/crypto-policy.js';
import { PASSWORD } from './xen-wire-harness.js';
import { sshExec, type SshOutcome } from './sim-wire-harness.js';

const { utils } = ssh2;

let keys: SshHostKeys;
let agent: SshAgent;
let sim: XapiSim;

before(async () => {
  keys = generateSshHostKeys('root@xs1');
  sim = new XapiSim({ hosts: [{ name: 'xs1', address: '127.0.0.1:1' }], password: PASSWORD, latencyScale: 0 });
  const host = () => sim.hostByUuidOrName('xs1');
  // as the lab wires it: dom0's root password, no answer while the host is down
  agent = new SshAgent({ hostKeys: keys, checkPassword: (u, p) => u === 'root' && p === host().password, answering: () => !host().down });
  await agent.start();
  agent.bind(sim, host().uuid);
});

after(async () => {
  await agent.stop();
});

/** Connects (XenServer's client algorithms, root's password, any host key unless cfg checks it), runs one command. */
function run(command: string, cfg: Partial<ConnectConfig> = {}): Promise<SshOutcome> {
  return sshExec(command, {
    host: '127.0.0.1',
    port: agent.port,
    username: 'root',
    password: PASSWORD,
    algorithms: SSH_ALGORITHMS_CLIENT as ConnectConfig['algorithms'],
    ...cfg,
  });
}

function keyBlob(privateKey: string): Buffer {
  const k = utils.parseKey(privateKey);
  if (k instanceof Error) throw k;
  return (Array.isArray(k) ? k[0] : k).getPublicSSH();
}

test('the host key the client sees is the one the agent reports; a strict check accepts it and runs the probe', async () => {
  const expected = keyBlob(keys.ed25519);
  const r = await run('date +%s.%N', { hostVerifier: (key: Buffer) => key.equals(expected), algorithms: { ...SSH_ALGORITHMS_CLIENT, serverHostKey: ['ssh-ed25519'] } as ConnectConfig['algorithms'] });
  assert.equal(r.ok, true, r.error?.message);
  assert.match(r.stdout!, /^\d+\.\d{9}\n$/);
  assert.equal(r.code, 0);
  assert.equal(sshFingerprint(keys.ed25519), `SHA256:${createHash('sha256').update(expected).digest('base64').replace(/=+$/, '')}`);
  // The ecdsa key is offered too, and known_hosts carries both in OpenSSH's [host]:port form.
  const ec = await run('hostname', { algorithms: { ...SSH_ALGORITHMS_CLIENT, serverHostKey: ['ecdsa-sha2-nistp256'] } as ConnectConfig['algorithms'] });
  assert.ok(ec.hostKey?.equals(keyBlob(keys.ecdsa)));
  assert.equal(ec.stdout, 'xs1\n');
  const lines = knownHostsLines('127.0.0.1', agent.port, keys);
  assert.deepEqual(lines, [`[127.0.0.1]:${agent.port} ${publicKeyEntry(keys.ed25519)}`, `[127.0.0.1]:${agent.port} ${publicKeyEntry(keys.ecdsa)}`]);
  assert.match(lines[0], / ssh-ed25519 AAAA/);
  assert.match(lines[1], / ecdsa-sha2-nistp256 AAAA/);
});

test('a changed host key is refused by a strict client', async () => {
  const other = keyBlob(generateSshHostKeys().ed25519);
  const r = await run('date +%s.%N', { hostVerifier: (key: Buffer) => key.equals(other) });
  assert.equal(r.ok, false);
});

test('non-zero exit codes and stderr travel back', async () => {
  const r = await run('frobnicate --now');
  assert.equal(r.ok, true);
  assert.equal(r.code, 127);
  assert.match(r.stderr!, /frobnicate: command not found/);
  assert.deepEqual(sim.stats().calls, {}, 'shell commands do not go through the API');
});

test('algorithms outside the XenServer 8 policy are refused', async () => {
  assert.ok(!SSH_ALGORITHMS_XS8.cipher.includes('aes128-cbc'));
  const cbc = await run('date +%s.%N', { algorithms: { cipher: ['aes128-cbc'] } as ConnectConfig['algorithms'] });
  assert.equal(cbc.ok, false);
  assert.match(cbc.error!.message, /no matching|handshake/i);
  const kex = await run('date +%s.%N', { algorithms: { kex: ['diffie-hellman-group-exchange-sha256'] } as ConnectConfig['algorithms'] });
  assert.equal(kex.ok, false);
  const mac = await run('date +%s.%N', { algorithms: { cipher: ['aes128-ctr'], hmac: ['hmac-sha2-256-etm@openssh.com'] } as ConnectConfig['algorithms'] });
  assert.equal(mac.ok, false);
  const chacha = await run('date +%s.%N', { algorithms: { cipher: ['chacha20-poly1305@openssh.com'] } as ConnectConfig['algorithms'] });
  assert.equal(chacha.ok, false, 'chacha20 is a CH 8.2 cipher, not an XS8 one');
});

test('a wrong password or user is refused', async () => {
  const pw = await run('date +%s.%N', { password: 'wrong' });
  assert.equal(pw.ok, false);
  assert.equal(pw.error?.level, 'client-authentication');
  const user = await run('date +%s.%N', { username: 'admin' });
  assert.equal(user.ok, false);
  assert.equal(user.error?.level, 'client-authentication');
});

test('a host that is down drops SSH connections', async () => {
  sim.faults.setHostDown('xs1');
  try {
    assert.equal((await run('date +%s.%N')).ok, false);
  } finally {
    sim.faults.setHostDown('xs1', false);
  }
  assert.equal((await run('date +%s.%N')).ok, true);
});

test('kept host keys are reused, and one ssh2 cannot read (its keygen writes 1 in ~256 malformed) is replaced', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-sshkeys-'));
  try {
    const first = loadOrCreateSshHostKeys(dir, 'xs1');
    assert.deepEqual(loadOrCreateSshHostKeys(dir, 'xs1'), first, 'read back as written');
    // a malformed key as ssh2 1.17 generates them now and then (mscdex/ssh2#1390)
    let malformed: string | undefined;
    for (let i = 0; i < 5000 && !malformed; i++) {
      const k = utils.generateKeyPairSync('ed25519', { comment: 'root@xs1' }).private;
      if (utils.parseKey(k) instanceof Error) malformed = k;
    }
    assert.ok(malformed, 'found a malformed key to plant');
    fs.writeFileSync(path.join(dir, 'xs1.ssh_host_ed25519_key'), malformed);
    const mended = loadOrCreateSshHostKeys(dir, 'xs1');
    assert.notEqual(mended.ed25519, malformed);
    assert.equal(utils.parseKey(mended.ed25519) instanceof Error, false);
    assert.equal(mended.ecdsa, first.ecdsa, 'the readable ecdsa key is kept');
    assert.equal(fs.readFileSync(path.join(dir, 'xs1.ssh_host_ed25519_key'), 'utf8'), mended.ed25519, 'the replacement is kept');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
