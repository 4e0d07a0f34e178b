// The Proxmox client against the simulated lab (sim/lab.ts: the model behind real HTTPS and SSH
// servers on loopback): token and ticket logins, a wrong token refused after the lab's short 401
// delay, a certificate pin mismatch refused before any request reaches the node, a cluster
// created as a task (UPID reported before the wait), a join failure with its remedies, pvecm over
// SSH with strict known_hosts, and a powered-off node reported as unreachable.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectPve } from '../../providers/proxmox/client/api.js';
import { pveSsh } from '../../providers/proxmox/client/ssh.js';
import { PveApiError, PveTaskError, PveTransportError, type PveAuth, type PveEndpoint, type PveSshEndpoint } from '../../providers/proxmox/client/types.js';
import { parseUpid } from '../../providers/proxmox/upid.js';
import { startPveLab, type LabNode, type PveLab } from '../../providers/proxmox/sim/lab.js';
import { SeenMessages } from './xen-client-harness.js';

describe('the Proxmox client against the lab', () => {
  let lab: PveLab;
  let token: PveAuth;
  let login: PveAuth;
  const messages = new SeenMessages();
  const secrets: string[] = []; // filled once the lab has made them
  messages.checkAfterAll(secrets, 4);
  const ep = (n: LabNode, extra: Partial<PveEndpoint> = {}): PveEndpoint => ({ node: n.name, url: n.url, fingerprints: [n.fingerprint], timeoutMs: 5000, ...extra });
  const sshEp = (n: LabNode, extra: Partial<PveSshEndpoint> = {}): PveSshEndpoint => ({
    node: n.name,
    host: '127.0.0.1',
    port: n.sshPort,
    username: 'root',
    password: lab.password,
    knownHostsFile: lab.knownHostsFile,
    timeoutMs: 5000,
    ...extra,
  });

  before(async () => {
    lab = await startPveLab({ nodes: 3, latencyScale: 0.5, authFailDelayMs: 50 });
    token = { kind: 'token', tokenId: lab.tokenId, secret: lab.tokenSecret };
    login = { kind: 'password', username: 'root@pam', password: lab.password };
    secrets.push(lab.tokenSecret, lab.password);
  });
  after(() => lab?.stop());

  it('reads with an API token, every request counted on both sides', async () => {
    const c = await connectPve(ep(lab.nodes[0]), token);
    const before = lab.requests();
    const version = await c.get<{ version: string; release: string }>('/version');
    assert.equal(version.version, '9.1.1');
    const nodes = await c.get<{ node: string }[]>('/nodes');
    assert.deepEqual(
      nodes.map((n) => n.node),
      ['pve1'],
      'a standalone node knows itself only',
    );
    assert.equal(c.requests, 2);
    assert.equal(lab.requests() - before, 2);
    c.close();
  });

  it('logs in with the password and writes with ticket + CSRF (staged network edit, then revert)', async () => {
    const c = await connectPve(ep(lab.nodes[1]), login);
    assert.equal(c.requests, 1, 'the login');
    await c.post('/nodes/pve2/network', { iface: 'vmbr7', type: 'bridge', autostart: true, comments: 'client test' });
    const env = await c.getEnvelope<{ iface: string }[]>('/nodes/pve2/network');
    assert.ok(env.data.some((i) => i.iface === 'vmbr7'));
    assert.match(String(env.changes), /vmbr7/);
    await c.delete('/nodes/pve2/network');
    const after = await c.getEnvelope<{ iface: string }[]>('/nodes/pve2/network');
    assert.ok(!after.data.some((i) => i.iface === 'vmbr7'));
    c.close();
  });

  it('a wrong token is refused (401) as kind auth naming the node, without the secret', async () => {
    const c = await connectPve(ep(lab.nodes[0]), { kind: 'token', tokenId: lab.tokenId, secret: '00000000-0000-4000-8000-000000000000' });
    const e = await messages.rejectsWith(c.get('/cluster/status'), PveTransportError);
    assert.equal(e.kind, 'auth');
    assert.equal(e.node, 'pve1');
    assert.match(e.message, /refused the API token root@pam!poolform/);
    assert.match(e.message, /USER@REALM!TOKENID=SECRET/);
    c.close();
    const e2 = await messages.rejectsWith(connectPve(ep(lab.nodes[0]), { kind: 'password', username: 'root@pam', password: 'not-the-password' }), PveTransportError);
    assert.equal(e2.kind, 'auth');
    assert.match(e2.message, /refused the login of root@pam/);
  });

  it('refuses a node whose certificate does not match its pin before any request reaches it', async () => {
    const before = lab.requests();
    const c = await connectPve(ep(lab.nodes[0], { fingerprints: [lab.nodes[1].fingerprint] }), token);
    const e = await messages.rejectsWith(c.get('/version'), PveTransportError);
    assert.equal(e.kind, 'tls');
    assert.ok(e.message.includes(lab.nodes[0].fingerprint), 'the presented fingerprint');
    assert.ok(e.message.includes(lab.nodes[1].fingerprint), 'the expected one');
    assert.match(e.message, /pvenode cert info/);
    await messages.rejectsWith(connectPve(ep(lab.nodes[0], { fingerprints: [lab.nodes[1].fingerprint] }), login), PveTransportError);
    assert.equal(lab.requests(), before, 'neither the token nor the password was sent');
    c.close();
  });

  it('creates a cluster as a task: the UPID is reported before the wait ends', async () => {
    const c = await connectPve(ep(lab.nodes[0]), token);
    let reported: string | undefined;
    let requestsAtReport = -1;
    const st = await c.task('POST', '/cluster/config', { clustername: 'lab', link0: '10.20.10.11' }, {
      step: 'proxmox_cluster.lab',
      pollMs: 20,
      onTask: (upid) => {
        reported = upid;
        requestsAtReport = c.requests;
      },
    });
    assert.equal(st.upid, reported);
    assert.equal(st.exitstatus, 'OK');
    assert.equal(parseUpid(st.upid)?.type, 'clustercreate');
    assert.equal(st.node, 'pve1');
    assert.ok(c.requests > requestsAtReport, 'status polls came after onTask');
    const status = await c.get<{ type: string; name: string; quorate?: number }[]>('/cluster/status');
    assert.ok(status.some((s) => s.type === 'cluster' && s.name === 'lab'));
    c.close();
  });

  it('a join that cannot work fails with the platform message and one remedy per error', async () => {
    const c = await connectPve(ep(lab.nodes[2]), token);
    const wrongFp = lab.nodes[1].fingerprint; // not pve1's
    const p = c.task('POST', '/cluster/config/join', { hostname: lab.nodes[0].ip, fingerprint: wrongFp, password: lab.password, link0: '10.20.99.13' }, { pollMs: 20 });
    let e: PveApiError | PveTaskError;
    try {
      await p;
      assert.fail('the join should fail');
    } catch (x) {
      assert.ok(x instanceof PveApiError || x instanceof PveTaskError, String(x));
      e = x;
      messages.list.push(x.message);
    }
    assert.match(e.message, /detected the following error\(s\)/);
    assert.match(e.remedy ?? '', /pvenode cert info/);
    assert.match(e.remedy ?? '', /address configured on one of the joining node's interfaces/);
    assert.ok(!e.message.includes(lab.password));
    c.close();
  });

  it('runs pvecm status over SSH with strict known_hosts, and refuses an unknown host key', async () => {
    const out = await pveSsh(sshEp(lab.nodes[0]), 'pvecm status');
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /Quorate/);
    const standalone = await pveSsh(sshEp(lab.nodes[2], { password: undefined, privateKey: lab.sshPrivateKey }), 'pvecm status');
    assert.equal(standalone.code, 2);
    assert.match(standalone.stderr + standalone.stdout, /does not exist - is this node part of a cluster\?/);
    const empty = join(lab.dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const e = await messages.rejectsWith(pveSsh(sshEp(lab.nodes[0], { knownHostsFile: empty }), 'pvecm status'), PveTransportError);
    assert.equal(e.kind, 'host-key');
    assert.equal(e.node, 'pve1');
    assert.match(e.message, /is unknown/);
  });

  it('a powered-off node is unreachable, named with its URL', async () => {
    const n = lab.nodes[2];
    const c = await connectPve(ep(n), token);
    assert.ok(await c.get('/version'));
    lab.sim.powerOff(n.name);
    try {
      const e = await messages.rejectsWith(c.get('/version'), PveTransportError);
      assert.equal(e.kind, 'unreachable');
      assert.equal(e.node, n.name);
      assert.ok(e.message.includes(n.url));
    } finally {
      lab.sim.powerOn(n.name);
      c.close();
    }
  });
});
