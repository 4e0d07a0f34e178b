// Fidelity check with a third-party client: the npm package proxmox-api (a devDependency, used only
// here as an oracle) against the lab over real HTTPS. It knows the real API's conventions (token
// header, ticket login + CSRF header on its own, form-encoded bodies, the exact JSON content type,
// errors from status lines), so it passing here means the simulator speaks Proxmox, not just
// poolform's dialect. Its transport is undici's fetch; the lab's self-signed certificates are
// trusted through a pinned-fingerprint connector (undici is proxmox-api's own dependency), rather
// than NODE_TLS_REJECT_UNAUTHORIZED, which would switch verification off for the whole process.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import proxmoxApi, { ProxmoxEngine } from 'proxmox-api';
import { Agent, buildConnector, fetch as undiciFetch, type RequestInit } from 'undici';
import { startPveLab, type LabNode, type PveLab } from '../../providers/proxmox/sim/lab.js';

let lab: PveLab;

before(async () => {
  lab = await startPveLab({ nodes: 2, latencyScale: 0, authFailDelayMs: 30 });
});

after(async () => {
  await lab?.stop();
});

/** A fetch for proxmox-api that accepts the node's certificate only when its SHA-256 is the pin. */
function pinnedFetch(pin: string) {
  // No TLS session cache: a resumed session shows no peer certificate, so every connection must
  // make a full handshake for the pin to be checked.
  const tls = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
  const dispatcher = new Agent({
    connect: (opts, cb) =>
      tls(opts, (err, socket) => {
        if (err || !socket) return cb(err ?? new Error('no socket'), null);
        const fp = (socket as TLSSocket).getPeerCertificate().fingerprint256;
        if (fp !== pin) {
          socket.destroy();
          return cb(new Error(`certificate ${fp} is not the pinned one`), null);
        }
        cb(null, socket);
      }),
  });
  return (url: string | URL, init?: RequestInit) => undiciFetch(url, { ...init, dispatcher });
}

function tokenClient(n: LabNode) {
  return proxmoxApi({ host: '127.0.0.1', port: n.port, tokenID: lab.tokenId, tokenSecret: lab.tokenSecret, fetch: pinnedFetch(n.fingerprint) });
}

function passwordClient(n: LabNode, password = lab.password) {
  const engine = new ProxmoxEngine({ host: '127.0.0.1', port: n.port, username: 'root@pam', password, fetch: pinnedFetch(n.fingerprint) });
  return { engine, api: proxmoxApi(engine) };
}

test('token auth: version, cluster status, a node’s network list', async () => {
  const pve1 = lab.nodes[0]!;
  const px = tokenClient(pve1);
  const version = await px.version.$get();
  assert.match(String(version.version), /^\d+\.\d+/);
  const status = await px.cluster.status.$get();
  assert.ok(status.some((s) => s.type === 'node' && s.name === 'pve1'));
  const net = await px.nodes.$('pve1').network.$get();
  const vmbr0 = net.find((i) => i.iface === 'vmbr0');
  assert.equal(vmbr0?.type, 'bridge');
  assert.equal(vmbr0?.cidr, '10.20.0.11/24');
  assert.ok(net.some((i) => i.iface === 'eno1' && i.type === 'eth'));
});

test('ticket auth: the client logs in and sends CSRF itself; a POST returns a UPID whose status it polls', async () => {
  const pve2 = lab.nodes[1]!;
  const { engine, api } = passwordClient(pve2);
  const nodes = await api.nodes.$get();
  assert.deepEqual(nodes.map((n) => n.node), ['pve2']);
  assert.match(String(engine.ticket), /^PVE:root@pam:/, 'it logged in');
  assert.ok(engine.CSRFPreventionToken);

  // Stage a bridge (a non-GET: needs the CSRF header), then apply: a UPID to poll.
  await api.nodes.$('pve2').network.$post({ iface: 'vmbr7', type: 'bridge', autostart: true, comments: 'fidelity' });
  const upid = await api.nodes.$('pve2').network.$put();
  assert.match(String(upid), /^UPID:pve2:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:srvreload:/);
  let st = await api.nodes.$('pve2').tasks.$(String(upid)).status.$get();
  for (let i = 0; st.status === 'running' && i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    st = await api.nodes.$('pve2').tasks.$(String(upid)).status.$get();
  }
  assert.equal(st.status, 'stopped');
  assert.equal(st.exitstatus, 'OK');
  const applied = await api.nodes.$('pve2').network.$('vmbr7').$get();
  assert.equal(applied.comments?.trim(), 'fidelity');
});

test('errors surface through the client: a 400 with its parameter errors, a failed login', async () => {
  const px = tokenClient(lab.nodes[0]!);
  await assert.rejects(px.cluster.config.$post({ clustername: 'lab', link0: 'address=10.20.10.11,priority=999' }), (e: Error) => {
    assert.match(e.message, /return Error 400 Parameter verification failed\./);
    assert.match(e.message, /link0/);
    assert.match(e.message, /maximum value of 255/);
    return true;
  });
  const { api } = passwordClient(lab.nodes[0]!, 'wrong-password');
  await assert.rejects(api.version.$get(), (e: Error & { cause?: Error }) => {
    assert.match(String(e.cause?.message), /login failed with 401: authentication failure/);
    return true;
  });
});
