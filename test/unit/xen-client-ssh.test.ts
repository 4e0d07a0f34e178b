// sshExec against a real ssh2 server on loopback: XenServer's algorithm lists, strict
// known_hosts (unknown, changed, revoked, hashed, [host]:port), credentials never sent to an
// unverified host, exit codes and stderr, and failures that name the host.

import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import assert from 'node:assert/strict';
import { sshExec } from '../../providers/xenserver/client/ssh.js';
import { hashHostName, sshFingerprint } from '../../providers/common/known-hosts.js';
import { TransportError, type SshEndpoint } from '../../providers/xenserver/client/types.js';
import { SSH_ALGORITHMS_CH82, SSH_ALGORITHMS_CLIENT, SSH_ALGORITHMS_XS8 } from '../../providers/xenserver/crypto-policy.js';
import { assertAbortWhileSilent, closedPort, knownHostsEndpoints, SeenMessages, startSshServer, tempDir, withSilentServer, writeTemp, type SshTestServer } from './xen-client-harness.js';

const PASSWORD = 'ssh-secret';
const messages = new SeenMessages();
messages.checkAfterAll([PASSWORD, 'N0t-The-Pa55']);
const refused = (p: Promise<unknown>): Promise<TransportError> => messages.rejectsWith(p, TransportError);

const blobOf = (publicLine: string): Buffer => Buffer.from(publicLine.split(/\s+/)[1], 'base64');
const keyText = (publicLine: string): string => publicLine.split(/\s+/).slice(0, 2).join(' ');

describe('sshExec against a XenServer 8 sshd', () => {
  let server: SshTestServer;
  let dir: string;
  let ep: (knownHosts: string, extra?: Partial<SshEndpoint>) => SshEndpoint;

  before(async () => {
    server = await startSshServer({
      algorithms: SSH_ALGORITHMS_XS8,
      password: PASSWORD,
      run: (cmd) => (cmd === 'date +%s.%N' ? { stdout: '1767225600.123456789\n', code: 0 } : { stdout: 'partial\n', stderr: `${cmd}: not found\n`, code: 127 }),
    });
    ({ dir, ep } = knownHostsEndpoints<SshEndpoint>(server, PASSWORD, {}));
  });
  after(() => server.close());

  it('runs a command with a [host]:port entry, negotiating algorithms of the XenServer 8 list', async () => {
    const out = await sshExec(ep(`# lab\n[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`), 'date +%s.%N');
    assert.deepEqual(out, { stdout: '1767225600.123456789\n', stderr: '', code: 0 });
    const n = server.negotiated!;
    assert.ok(SSH_ALGORITHMS_XS8.kex.includes(n.kex!) && SSH_ALGORITHMS_CLIENT.kex.includes(n.kex!), n.kex);
    assert.ok(SSH_ALGORITHMS_XS8.cipher.includes(n.cs!.cipher!), n.cs!.cipher);
    assert.equal(n.kex, 'curve25519-sha256', 'the strongest common kex');
  });

  it('returns stdout, stderr and a non-zero exit code', async () => {
    const out = await sshExec(ep(`[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`), 'frobnicate');
    assert.deepEqual(out, { stdout: 'partial\n', stderr: 'frobnicate: not found\n', code: 127 });
  });

  it('accepts a hashed entry', async () => {
    const line = `${hashHostName(`[127.0.0.1]:${server.port}`)} ${keyText(server.publicKeys.ed25519)}\n`;
    assert.equal((await sshExec(ep(line), 'date +%s.%N')).code, 0);
  });

  it('refuses an unknown host before sending credentials, saying how to add it', async () => {
    const before = server.authAttempts;
    const other = ssh2.utils.generateKeyPairSync('ed25519').public;
    // A port-22 entry for the same address does not cover another port.
    const e = await refused(sshExec(ep(`127.0.0.1 ${keyText(server.publicKeys.ed25519)}\nxs9 ${keyText(other)}\n`), 'date'));
    assert.equal(e.kind, 'host-key');
    assert.ok(e.message.includes(`127.0.0.1:${server.port}`));
    assert.ok(e.message.includes(`[127.0.0.1]:${server.port}`));
    assert.ok(e.message.includes(sshFingerprint(blobOf(server.publicKeys.ed25519))));
    assert.match(e.message, new RegExp(`ssh-keyscan -p ${server.port} -t ed25519 127\\.0\\.0\\.1 >> `));
    assert.match(e.message, /out of band/);
    assert.equal(server.authAttempts, before, 'no password was offered to an unverified host');
  });

  it('refuses a changed key loudly, with both fingerprints', async () => {
    const before = server.authAttempts;
    const old = ssh2.utils.generateKeyPairSync('ed25519').public;
    const e = await refused(sshExec(ep(`[127.0.0.1]:${server.port} ${keyText(old)}\n`), 'date'));
    assert.equal(e.kind, 'host-key');
    assert.match(e.message, /HAS CHANGED/);
    assert.ok(e.message.includes(sshFingerprint(blobOf(server.publicKeys.ed25519))));
    assert.ok(e.message.includes(sshFingerprint(blobOf(old))));
    assert.match(e.message, /man-in-the-middle/);
    assert.match(e.message, /ssh-keygen -R/);
    assert.equal(server.authAttempts, before);
  });

  it('refuses a revoked key even when it is also listed for the host', async () => {
    const k = keyText(server.publicKeys.ed25519);
    const e = await refused(sshExec(ep(`[127.0.0.1]:${server.port} ${k}\n@revoked * ${k}\n`), 'date'));
    assert.equal(e.kind, 'host-key');
    assert.match(e.message, /@revoked.*line 2/);
  });

  it('reports a missing known_hosts file as a host-key problem', async () => {
    const e = await refused(sshExec({ ...ep(''), knownHostsFile: `${dir}/absent` }, 'date'));
    assert.equal(e.kind, 'host-key');
    assert.match(e.message, /cannot read the known_hosts file .*absent \(ENOENT\)/);
  });

  it('reports wrong credentials without echoing them', async () => {
    const e = await refused(sshExec(ep(`[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`, { password: 'N0t-The-Pa55' }), 'date'));
    assert.equal(e.kind, 'auth');
    assert.match(e.message, /login as root on 127\.0\.0\.1:\d+ was refused/);
    assert.ok(!e.message.includes('N0t-The-Pa55'));
  });

  it('is aborted by the signal', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(sshExec(ep(''), 'date', { signal: ac.signal }), (e: Error) => e.name === 'AbortError');
  });
});

describe('sshExec and host-key algorithms', () => {
  it('prefers the key type known_hosts holds when the server has several (Citrix Hypervisor 8.2 list)', async () => {
    const server = await startSshServer({ algorithms: SSH_ALGORITHMS_CH82, keyTypes: ['ed25519', 'ecdsa'], password: PASSWORD });
    try {
      const file = writeTemp(tempDir(), 'known_hosts', `[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ecdsa)}\n`);
      const out = await sshExec({ host: '127.0.0.1', port: server.port, username: 'root', password: PASSWORD, knownHostsFile: file }, 'uptime');
      assert.equal(out.stdout, 'ran uptime\n');
      assert.equal(server.negotiated!.serverHostKey, 'ecdsa-sha2-nistp256');
    } finally {
      await server.close();
    }
  });

  it('fails the handshake with a server outside the policy (CBC ciphers only)', async () => {
    const server = await startSshServer({ algorithms: { ...SSH_ALGORITHMS_XS8, cipher: ['aes128-cbc'] }, password: PASSWORD });
    try {
      const file = writeTemp(tempDir(), 'known_hosts', `[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`);
      const e = await refused(sshExec({ host: '127.0.0.1', port: server.port, username: 'root', password: PASSWORD, knownHostsFile: file }, 'uptime'));
      assert.equal(e.kind, 'protocol');
      assert.match(e.message, /handshake.*cipher/i);
    } finally {
      await server.close();
    }
  });
});

describe('sshExec transport failures', () => {
  const file = writeTemp(tempDir(), 'known_hosts', '');
  it('names the host when nothing listens', async () => {
    const port = await closedPort();
    const e = await refused(sshExec({ host: '127.0.0.1', port, username: 'root', password: PASSWORD, knownHostsFile: file }, 'date'));
    assert.equal(e.kind, 'unreachable');
    assert.ok(e.message.includes(`127.0.0.1:${port}`));
  });

  it('times out on a host that accepts but never speaks SSH', () =>
    withSilentServer(async (port) => {
      const e = await refused(sshExec({ host: '127.0.0.1', port, username: 'root', password: PASSWORD, knownHostsFile: file, timeoutMs: 200 }, 'date'));
      assert.equal(e.kind, 'timeout');
      assert.ok(e.message.includes(`127.0.0.1:${port}`));
      assert.match(e.message, /host up and the port reachable/);
    }));

  it('an abort during the handshake rejects with an AbortError', () =>
    assertAbortWhileSilent((port, signal) => sshExec({ host: '127.0.0.1', port, username: 'root', password: PASSWORD, knownHostsFile: file }, 'date', { signal })));
});
