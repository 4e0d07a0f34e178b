// The simulated Proxmox API over real HTTPS (sim/server.ts + auth.ts + params.ts in front of the
// real model), spoken to with plain node:https trusting nothing but the pinned certificate
// fingerprint: paths and formats (501s), envelopes and reason phrases, 400 parameter errors,
// tickets with CSRF, API tokens, delayed 401s, nodes that are off resetting connections, wire
// faults, the request counter and the step header.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { startPveLab, type LabNode, type PveLab } from '../../providers/proxmox/sim/lab.js';
import { PveHttpsServer } from '../../providers/proxmox/sim/server.js';
import { generateHostCertificate } from '../../providers/common/certs.js';
import type { ApiRequest } from '../../providers/proxmox/sim/backend.js';

const AUTH_DELAY_MS = 150;

interface Reply {
  status: number;
  reason: string;
  contentType?: string;
  body: { data?: unknown; message?: string; errors?: Record<string, string>; success?: number; [k: string]: unknown };
  fingerprint: string;
}

interface Call {
  method?: string;
  path: string;
  query?: Record<string, string>;
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
}

/** One request, trusting the certificate only when its SHA-256 matches the node's pin. */
function call(n: LabNode, c: Call): Promise<Reply> {
  const qs = c.query ? `?${new URLSearchParams(c.query)}` : '';
  const body = c.form ? new URLSearchParams(c.form).toString() : c.json !== undefined ? JSON.stringify(c.json) : undefined;
  const headers: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.form) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  if (c.json !== undefined) headers['Content-Type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: n.port,
        method: c.method ?? 'GET',
        path: c.path + qs,
        agent: false,
        headers,
        // The pin replaces CA verification, as poolform's client does: checked before any byte is sent.
        rejectUnauthorized: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            reason: res.statusMessage ?? '',
            contentType: res.headers['content-type'],
            body: text ? JSON.parse(text) : {},
            fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256,
          }),
        );
      },
    );
    req.on('socket', (s) => {
      (s as TLSSocket).once('secureConnect', () => {
        const fp = (s as TLSSocket).getPeerCertificate().fingerprint256;
        if (fp !== n.fingerprint) req.destroy(new Error(`certificate ${fp} is not the pinned ${n.fingerprint}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

let lab: PveLab;
let pve1: LabNode;
let pve2: LabNode;
let token: string;

async function login(n: LabNode): Promise<{ ticket: string; csrf: string }> {
  const r = await call(n, { method: 'POST', path: '/api2/json/access/ticket', form: { username: 'root@pam', password: lab.password } });
  assert.equal(r.status, 200, r.reason);
  const d = r.body.data as { ticket: string; CSRFPreventionToken: string; username: string };
  assert.equal(d.username, 'root@pam');
  return { ticket: d.ticket, csrf: d.CSRFPreventionToken };
}

before(async () => {
  lab = await startPveLab({ nodes: 2, latencyScale: 0, authFailDelayMs: AUTH_DELAY_MS });
  [pve1, pve2] = lab.nodes as [LabNode, LabNode];
  token = `PVEAPIToken=${lab.tokenId}=${lab.tokenSecret}`;
});

after(async () => {
  await lab?.stop();
});

test('GET /api2/json/version with the token: the envelope, PVE’s content type, the pinned certificate', async () => {
  const r = await call(pve1, { path: '/api2/json/version', headers: { Authorization: token } });
  assert.equal(r.status, 200);
  assert.equal(r.fingerprint, pve1.fingerprint);
  assert.equal(r.contentType, 'application/json;charset=UTF-8');
  const v = r.body.data as { version: string; release: string };
  assert.match(v.version, /^\d+\.\d+/);
  assert.deepEqual(Object.keys(r.body), ['data']);
});

test('unknown paths, methods and formats answer 501 with PVE’s messages', async () => {
  const auth = { Authorization: token };
  const path = await call(pve1, { path: '/api2/json/nosuch/thing', headers: auth });
  assert.equal(path.status, 501);
  assert.equal(path.reason, "Method 'GET /nosuch/thing' not implemented");
  assert.deepEqual(path.body, { data: null, message: "Method 'GET /nosuch/thing' not implemented" });
  const method = await call(pve1, { method: 'DELETE', path: '/api2/json/version', headers: auth });
  assert.equal(method.status, 501);
  assert.equal(method.body.message, "Method 'DELETE /version' not implemented");
  const format = await call(pve1, { path: '/api2/yaml/version', headers: auth });
  assert.equal(format.status, 501);
  assert.equal(format.body.message, 'no such uri');
  // extjs: the same data, success flags in a 200 answer.
  const ext = await call(pve1, { path: '/api2/extjs/version', headers: auth });
  assert.equal(ext.status, 200);
  assert.equal(ext.body.success, 1);
  const extFail = await call(pve1, { path: '/api2/extjs/nosuch', headers: auth });
  assert.equal(extFail.status, 200);
  assert.equal(extFail.body.success, 0);
  assert.match(String(extFail.body.message), /not implemented/);
});

test('parameter errors: 400 "Parameter verification failed." with errors per parameter, from query and body alike', async () => {
  const auth = { Authorization: token };
  const post = await call(pve1, { method: 'POST', path: '/api2/json/cluster/config', form: { link0: 'address=10.20.10.11,priority=999', votes: 'x' }, headers: auth });
  assert.equal(post.status, 400);
  assert.equal(post.reason, 'Parameter verification failed.');
  assert.equal(post.body.message, 'Parameter verification failed.');
  assert.equal(post.body.errors?.clustername, 'property is missing and it is not optional');
  assert.match(post.body.errors!.link0!, /priority: value must have a maximum value of 255/);
  assert.equal(post.body.errors?.votes, "type check ('integer') failed - got 'x'");
  // A JSON body is read the same way (booleans as true/false).
  const json = await call(pve1, { method: 'POST', path: '/api2/json/nodes/pve1/network', json: { iface: 'vmbr9', type: 'bridge', autostart: 'maybe' }, headers: auth });
  assert.equal(json.status, 400);
  assert.equal(json.body.errors?.autostart, "type check ('boolean') failed - got 'maybe'");
  const query = await call(pve1, { path: '/api2/json/cluster/resources', query: { type: 'nodes' }, headers: auth });
  assert.equal(query.status, 400);
  assert.match(query.body.errors!.type!, /does not have a value in the enumeration/);
});

test('tickets: login, GET with the cookie, non-GET needs the CSRF token, a forged ticket is refused', async () => {
  const { ticket, csrf } = await login(pve1);
  assert.match(ticket, /^PVE:root@pam:[0-9A-F]{8}::\S+$/);
  assert.match(csrf, /^[0-9A-F]{8}:\S+$/);
  const cookie = `PVEAuthCookie=${encodeURIComponent(ticket)}`;
  const get = await call(pve1, { path: '/api2/json/nodes', headers: { Cookie: cookie } });
  assert.equal(get.status, 200);
  assert.ok((get.body.data as { node: string }[]).some((n) => n.node === 'pve1'));

  const noCsrf = await call(pve1, { method: 'POST', path: '/api2/json/nodes/pve1/network', form: { iface: 'vmbr9', type: 'bridge' }, headers: { Cookie: cookie } });
  assert.equal(noCsrf.status, 401);
  assert.equal(noCsrf.reason, 'Permission denied - invalid csrf token');
  const withCsrf = await call(pve1, { method: 'POST', path: '/api2/json/nodes/pve1/network', form: { iface: 'vmbr9', type: 'bridge' }, headers: { Cookie: cookie, CSRFPreventionToken: csrf } });
  assert.equal(withCsrf.status, 200, withCsrf.reason);
  // Revert the staged edit (tidy for the other tests).
  assert.equal((await call(pve1, { method: 'DELETE', path: '/api2/json/nodes/pve1/network', headers: { Cookie: cookie, CSRFPreventionToken: csrf } })).status, 200);

  const forged = ticket.replace(/::.*$/, '::AAAA');
  const bad = await call(pve1, { path: '/api2/json/nodes', headers: { Cookie: `PVEAuthCookie=${forged}` } });
  assert.equal(bad.status, 401);
  assert.equal(bad.reason, 'permission denied - invalid PVE ticket');
  // Standalone nodes sign with their own keys: pve1's ticket means nothing to pve2.
  const elsewhere = await call(pve2, { path: '/api2/json/nodes', headers: { Cookie: cookie } });
  assert.equal(elsewhere.status, 401);
  // Renewal: the ticket as password gives a new ticket.
  const renewed = await call(pve1, { method: 'POST', path: '/api2/json/access/ticket', form: { username: 'root@pam', password: ticket } });
  assert.equal(renewed.status, 200);
});

test('authentication failures answer 401 only after the delay, with PVE’s reasons', async () => {
  const cases: [Call, string][] = [
    [{ path: '/api2/json/nodes' }, 'No ticket'],
    [{ path: '/api2/json/nodes', headers: { Authorization: `PVEAPIToken=${lab.tokenId}=00000000-0000-0000-0000-000000000000` } }, 'permission denied - invalid API token'],
    [{ method: 'POST', path: '/api2/json/access/ticket', form: { username: 'root@pam', password: 'wrong' } }, 'authentication failure'],
  ];
  for (const [c, reason] of cases) {
    const t0 = Date.now();
    const r = await call(pve1, c);
    assert.equal(r.status, 401, reason);
    assert.equal(r.reason, reason);
    assert.equal(r.body.message, reason);
    // A lower bound only: the answer is held back at least this long (timers never fire early).
    assert.ok(Date.now() - t0 >= AUTH_DELAY_MS - 5, `${reason} was delayed`);
  }
  const missing = await call(pve1, { method: 'POST', path: '/api2/json/access/ticket', form: { username: 'root@pam' } });
  assert.equal(missing.status, 400, 'a missing password is a parameter error, not a login failure');
  assert.equal(missing.body.errors?.password, 'property is missing and it is not optional');
});

test('a powered-off node resets connections; powered on, it answers again', async () => {
  lab.sim.powerOff('pve2');
  try {
    await assert.rejects(call(pve2, { path: '/api2/json/version', headers: { Authorization: token } }), (e: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /socket hang up|disconnected/i.test(e.message));
  } finally {
    lab.sim.powerOn('pve2');
  }
  assert.equal((await call(pve2, { path: '/api2/json/version', headers: { Authorization: token } })).status, 200);
});

test('wire faults: a dropped request resets, extra latency delays; the request counter counts every request', async () => {
  const before = lab.requests();
  lab.wire.drops.set('pve1', 1);
  await assert.rejects(call(pve1, { path: '/api2/json/version', headers: { Authorization: token } }));
  assert.equal((await call(pve1, { path: '/api2/json/version', headers: { Authorization: token } })).status, 200, 'only one dropped');
  lab.wire.delayMs.set('pve1', 60);
  const t0 = Date.now();
  await call(pve1, { path: '/api2/json/version', headers: { Authorization: token } });
  assert.ok(Date.now() - t0 >= 55);
  lab.wire.delayMs.delete('pve1');
  assert.equal(lab.requests() - before, 3);
});

test('X-Poolform-Step reaches the model as req.step; the user is the token id', async () => {
  const seen: ApiRequest[] = [];
  const cert = await generateHostCertificate('pve1');
  const server = new PveHttpsServer({ cert: cert.cert, key: cert.key, authFailDelayMs: 10 });
  await server.start();
  // The real model behind a recorder: the same seam the lab binds.
  const sim = lab.sim;
  server.bind(
    {
      nodes: () => sim.nodes(),
      handle: (req) => {
        seen.push(req);
        return sim.handle(req);
      },
      checkPassword: (n, u, p) => sim.checkPassword(n, u, p),
      checkToken: (n, t, s) => sim.checkToken(n, t, s),
      authKey: (n) => sim.authKey(n),
      clusterName: (n) => sim.clusterName(n),
      shell: (n, c) => sim.shell(n, c),
    },
    'pve1',
  );
  try {
    const n = { ...pve1, port: server.port, fingerprint: cert.fingerprint };
    const r = await call(n, { path: '/api2/json/cluster/status', headers: { Authorization: token, 'X-Poolform-Step': 'proxmox_cluster.lab' } });
    assert.equal(r.status, 200);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.step, 'proxmox_cluster.lab');
    assert.equal(seen[0]!.user, lab.tokenId);
    assert.equal(seen[0]!.path, '/cluster/status');
    assert.equal(server.requests, 1);
  } finally {
    await server.stop();
  }
});

test('once clustered (over the API), a ticket from one node is good on every node, and names the cluster', async () => {
  const auth = { Authorization: token };
  const task = async (n: LabNode, c: Call) => {
    const r = await call(n, { ...c, headers: auth });
    assert.equal(r.status, 200, `${c.path}: ${r.reason}`);
    const upid = String(r.body.data);
    for (let i = 0; i < 200; i++) {
      const st = await call(n, { path: `/api2/json/nodes/${n.name}/tasks/${encodeURIComponent(upid)}/status`, headers: auth });
      const d = st.body.data as { status: string; exitstatus?: string };
      if (d.status === 'stopped') return assert.equal(d.exitstatus, 'OK');
      await new Promise((res) => setTimeout(res, 10));
    }
    assert.fail(`${upid} did not stop`);
  };
  await task(pve1, { method: 'POST', path: '/api2/json/cluster/config', form: { clustername: 'wire', link0: '10.20.10.11' } });
  await task(pve2, { method: 'POST', path: '/api2/json/cluster/config/join', form: { hostname: pve1.ip, fingerprint: pve1.fingerprint, password: lab.password, link0: '10.20.10.12' } });

  const t = await call(pve1, { method: 'POST', path: '/api2/json/access/ticket', form: { username: 'root@pam', password: lab.password } });
  assert.equal((t.body.data as { clustername?: string }).clustername, 'wire');
  const cookie = `PVEAuthCookie=${encodeURIComponent((t.body.data as { ticket: string }).ticket)}`;
  const other = await call(pve2, { path: '/api2/json/cluster/status', headers: { Cookie: cookie } });
  assert.equal(other.status, 200, other.reason);
  const names = (other.body.data as { type: string; name: string }[]).filter((i) => i.type === 'node').map((i) => i.name).sort();
  assert.deepEqual(names, ['pve1', 'pve2']);
});
