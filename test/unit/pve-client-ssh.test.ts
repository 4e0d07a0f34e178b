// pveSsh (over providers/common/ssh.ts) against a real ssh2 server on loopback offering what a
// Debian OpenSSH offers: strict known_hosts (unknown and changed keys refused before credentials),
// exit codes, errors as PveTransportError naming the node and host:port and the provider block's
// SSH attributes; and the common layer's platform hooks (label, error class, product name).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ssh2 from 'ssh2';
import { sshExec, type SshPlatform } from '../../providers/common/ssh.js';
import { pveSsh, PVE_SSH_ALGORITHMS } from '../../providers/proxmox/client/ssh.js';
import { PveTransportError, type PveSshEndpoint } from '../../providers/proxmox/client/types.js';
import { closedPort, knownHostsEndpoints, SeenMessages, startSshServer, tempDir, writeTemp, type SshTestServer } from './xen-client-harness.js';

const PASSWORD = 'node-Root-pw';
const messages = new SeenMessages();
messages.checkAfterAll([PASSWORD, 'Wr0ng-pw'], 4);
const refused = (p: Promise<unknown>) => messages.rejectsWith(p, PveTransportError);
const keyText = (line: string): string => line.split(/\s+/).slice(0, 2).join(' ');

/** Debian 12's OpenSSH defaults, as far as ssh2 speaks them (what a PVE 8 node offers). */
const DEBIAN_SSHD = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256'],
  cipher: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
  serverHostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'],
  compress: ['none', 'zlib@openssh.com'],
};

const PVECM_STATUS = 'Cluster information\n-------------------\nName:             lab\nConfig Version:   3\n\nVotequorum information\n----------------------\nExpected votes:   3\nTotal votes:      3\nQuorum:           2\nFlags:            Quorate\n';

describe('pveSsh', () => {
  let server: SshTestServer;
  let ep: (knownHosts: string, extra?: Partial<PveSshEndpoint>) => PveSshEndpoint;

  before(async () => {
    server = await startSshServer({
      algorithms: DEBIAN_SSHD,
      password: PASSWORD,
      run: (cmd) => (cmd === 'pvecm status' ? { stdout: PVECM_STATUS, code: 0 } : { stderr: `bash: ${cmd.split(' ')[0]}: command not found\n`, code: 127 }),
    });
    ({ ep } = knownHostsEndpoints<PveSshEndpoint>(server, PASSWORD, { node: 'pve2' }));
  });
  after(() => server.close());

  it('runs pvecm status on a known host with strong algorithms', async () => {
    const out = await pveSsh(ep(`[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`), 'pvecm status');
    assert.equal(out.code, 0);
    assert.match(out.stdout, /Flags:\s+Quorate/);
    const n = server.negotiated!;
    assert.equal(n.kex, 'curve25519-sha256');
    assert.ok(PVE_SSH_ALGORITHMS.cipher.includes(n.cs!.cipher!));
    assert.ok(!n.cs!.mac || !n.cs!.mac.includes('sha1'), 'no SHA-1 MAC');
  });

  it('passes a failing command back as its exit status', async () => {
    const out = await pveSsh(ep(`[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`), 'omping -c 3 10.20.10.12');
    assert.deepEqual(out, { stdout: '', stderr: 'bash: omping: command not found\n', code: 127 });
  });

  it('refuses an unknown host key before offering the password, naming the node', async () => {
    const before = server.authAttempts;
    const e = await refused(pveSsh(ep(''), 'pvecm status'));
    assert.equal(e.kind, 'host-key');
    assert.equal(e.node, 'pve2');
    assert.match(e.message, new RegExp(`the SSH host key of pve2 \\(127\\.0\\.0\\.1:${server.port}\\) is unknown`));
    assert.match(e.message, /ssh-keyscan -p \d+ -t ed25519 127\.0\.0\.1 >> /);
    assert.equal(server.authAttempts, before);
  });

  it('refuses a changed host key', async () => {
    const other = ssh2.utils.generateKeyPairSync('ed25519').public;
    const e = await refused(pveSsh(ep(`[127.0.0.1]:${server.port} ${keyText(other)}\n`), 'pvecm status'));
    assert.equal(e.kind, 'host-key');
    assert.match(e.message, /HAS CHANGED/);
  });

  it('names the provider block attributes when the login is refused', async () => {
    const e = await refused(pveSsh(ep(`[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`, { password: 'Wr0ng-pw' }), 'pvecm status'));
    assert.equal(e.kind, 'auth');
    assert.match(e.message, /SSH login as root on pve2 \(127\.0\.0\.1:\d+\) was refused: check ssh_username and ssh_password or ssh_private_key/);
  });

  it('an unreachable node is named', async () => {
    const port = await closedPort();
    const e = await refused(pveSsh({ ...ep(''), port }, 'pvecm status'));
    assert.equal(e.kind, 'unreachable');
    assert.equal(e.node, 'pve2');
    assert.ok(e.message.includes(`pve2 (127.0.0.1:${port})`));
  });
});

describe('common sshExec platform hooks', () => {
  it('uses the platform error class, label and product name', async () => {
    const server = await startSshServer({ algorithms: { ...DEBIAN_SSHD, cipher: ['aes128-cbc'] }, password: PASSWORD });
    try {
      class Mine extends Error {
        constructor(
          m: string,
          readonly label: string,
          readonly kind: string,
        ) {
          super(m);
        }
      }
      const platform: SshPlatform = { product: 'DemoOS', algorithms: PVE_SSH_ALGORITHMS, credentialsHint: 'x', makeError: (m, l, k) => new Mine(m, l, k) };
      const file = writeTemp(tempDir(), 'kh', `[127.0.0.1]:${server.port} ${keyText(server.publicKeys.ed25519)}\n`);
      const e = await sshExec({ host: '127.0.0.1', port: server.port, username: 'root', password: PASSWORD, knownHostsFile: file }, 'true', platform, { label: 'box-1' }).catch((x: unknown) => x);
      assert.ok(e instanceof Mine);
      assert.equal(e.label, 'box-1');
      assert.equal(e.kind, 'protocol');
      assert.match(e.message, /SSH handshake with box-1 failed .*none of the algorithms DemoOS uses; is this a DemoOS host's SSH port\?/);
    } finally {
      await server.close();
    }
  });
});
