// connectPve against a scripted Proxmox-shaped HTTPS server on loopback (pve-client-harness.ts):
// what goes on the wire (paths, query vs form body, 0/1 booleans, repeated keys, token header,
// ticket cookie and CSRF header, the step header), envelope decoding, retries (config locks, 595,
// resets) and their limits, ticket renewal and re-login, task waiting, and errors that name the
// node, carry the API's message and a remedy, and never a secret.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectPve } from '../../providers/proxmox/client/api.js';
import { PveApiError, PveTaskError, PveTransportError, type PveAuth, type PveEndpoint } from '../../providers/proxmox/client/types.js';
import { clock, param, startFakePve, type FakePve, type SeenRequest } from './pve-client-harness.js';
import { closedPort, SeenMessages, tempDir, withSilentServer, writeTemp } from './xen-client-harness.js';

const SECRET = '3f1c2b9e-5d7a-4c11-9e0b-a1b2c3d4e5f6';
const PASSWORD = 'pve-Secret-pw';
const TOKEN: PveAuth = { kind: 'token', tokenId: 'root@pam!poolform', secret: SECRET };
const LOGIN: PveAuth = { kind: 'password', username: 'root@pam', password: PASSWORD };
const UPID = 'UPID:pve2:0000A1B2:00C0FFEE:6740F00D:qmcreate:100:root@pam!poolform:';

const messages = new SeenMessages();
messages.checkAfterAll([SECRET, PASSWORD, 'PVE:root@pam:', 'cloud-Pa55'], 10);
const apiError = (p: Promise<unknown>) => messages.rejectsWith(p, PveApiError);
const transportError = (p: Promise<unknown>) => messages.rejectsWith(p, PveTransportError);

function endpoint(s: FakePve, extra: Partial<PveEndpoint> = {}): PveEndpoint {
  return { node: 'pve1', url: s.url, fingerprints: [s.cert.fingerprint], timeoutMs: 5000, ...extra };
}

/** A ticket-issuing handler wrapped around `inner` (tickets numbered, so renewals are visible). */
function withTickets(inner: (r: SeenRequest) => ReturnType<FakePve['handler']>, valid: Set<string> = new Set()) {
  let n = 0;
  return (r: SeenRequest) => {
    if (r.path === '/access/ticket' && r.method === 'POST') {
      if (param(r.form, 'password') !== PASSWORD) return { status: 401, message: 'authentication failure' };
      const ticket = `PVE:root@pam:6740000${++n}::sig${n}`;
      valid.add(ticket);
      return { data: { username: 'root@pam', ticket, CSRFPreventionToken: `6740000${n}:csrf${n}` } };
    }
    const cookie = /PVEAuthCookie=([^;]+)/.exec(r.headers.cookie ?? '')?.[1];
    if (!cookie || !valid.has(cookie)) return { status: 401, message: 'permission denied - invalid PVE ticket' };
    if (r.method !== 'GET' && r.headers.csrfpreventiontoken !== `${cookie.split(':')[2]}:csrf${cookie.slice(-1)}`) {
      return { status: 401, message: 'Permission denied - invalid csrf token' };
    }
    return inner(r);
  };
}

describe('connectPve: requests on the wire', () => {
  let s: FakePve;
  before(async () => {
    s = await startFakePve();
  });
  after(() => s.close());

  it('sends the token header, GET params in the query and returns data', async () => {
    s.handler = (r) => ({ data: r.path === '/cluster/resources' ? [{ type: 'node', node: 'pve1' }] : null });
    const c = await connectPve(endpoint(s), TOKEN);
    assert.equal(c.requests, 0, 'a token client sends nothing until the first call');
    const out = await c.get('/cluster/resources', { type: 'vm', full: true, absent: undefined });
    assert.deepEqual(out, [{ type: 'node', node: 'pve1' }]);
    const r = s.seen.at(-1)!;
    assert.equal(r.method, 'GET');
    assert.equal(r.rawUrl, '/api2/json/cluster/resources?type=vm&full=1');
    assert.equal(r.headers.authorization, `PVEAPIToken=root@pam!poolform=${SECRET}`);
    assert.equal(r.headers.cookie, undefined);
    assert.equal(r.headers.csrfpreventiontoken, undefined);
    assert.equal(c.requests, 1);
    c.close();
  });

  it('form-encodes POST/PUT bodies: booleans 0/1, arrays repeated, spaces as %20, the step header', async () => {
    s.handler = () => ({ data: null });
    const c = await connectPve(endpoint(s), TOKEN);
    await c.post('/nodes/pve1/network', { iface: 'vmbr1', type: 'bridge', autostart: true, vlan_aware: false, comments: 'a b+c&d', mtu: 9000, link: ['x', 'y'] }, { step: 'proxmox_node_network.pve1' });
    const r = s.seen.at(-1)!;
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(r.rawBody, 'iface=vmbr1&type=bridge&autostart=1&vlan_aware=0&comments=a%20b%2Bc%26d&mtu=9000&link=x&link=y');
    assert.deepEqual(r.form.filter(([k]) => k === 'link'), [['link', 'x'], ['link', 'y']]);
    assert.equal(param(r.form, 'comments'), 'a b+c&d');
    assert.equal(r.headers['x-poolform-step'], 'proxmox_node_network.pve1');
    assert.equal(r.rawUrl, '/api2/json/nodes/pve1/network');
    await c.put('/cluster/options', { delete: 'migration' });
    assert.equal(s.seen.at(-1)!.method, 'PUT');
    assert.equal(s.seen.at(-1)!.rawBody, 'delete=migration');
    await c.delete('/storage/nfs1', { force: true });
    assert.equal(s.seen.at(-1)!.rawUrl, '/api2/json/storage/nfs1?force=1', 'DELETE params go in the query');
    assert.equal(s.seen.at(-1)!.rawBody, '');
    c.close();
  });

  it('getEnvelope keeps the keys beside data (the staged network diff)', async () => {
    s.handler = () => ({ data: [{ iface: 'vmbr0' }], extra: { changes: '--- /etc/network/interfaces\n+++ new\n' } });
    const c = await connectPve(endpoint(s), TOKEN);
    const env = await c.getEnvelope<{ iface: string }[]>('/nodes/pve1/network');
    assert.deepEqual(env.data, [{ iface: 'vmbr0' }]);
    assert.match(String(env.changes), /^--- \/etc\/network\/interfaces/);
    assert.deepEqual(await c.get('/nodes/pve1/network'), [{ iface: 'vmbr0' }]);
    c.close();
  });

  it('accepts the endpoint url with /api2/json and pins written in other styles', async () => {
    s.handler = () => ({ data: { version: '9.1.1' } });
    const hex = s.cert.fingerprint.replace(/:/g, '').toLowerCase();
    const c = await connectPve(endpoint(s, { url: `${s.url}/api2/json/`, fingerprints: [`sha256:${hex}`] }), TOKEN);
    assert.deepEqual(await c.get('/version'), { version: '9.1.1' });
    assert.equal(s.seen.at(-1)!.rawUrl, '/api2/json/version');
    c.close();
  });

  it('reuses one keep-alive connection per node', async () => {
    s.handler = () => ({ data: 1 });
    const c = await connectPve(endpoint(s), TOKEN);
    for (let i = 0; i < 4; i++) await c.get('/cluster/nextid');
    const remotePorts = new Set(s.seen.slice(-4).map((r) => r.remotePort));
    assert.equal(remotePorts.size, 1);
    assert.equal(c.requests, 4);
    c.close();
  });
});

describe('connectPve: API errors', () => {
  let s: FakePve;
  let c: Awaited<ReturnType<typeof connectPve>>;
  before(async () => {
    s = await startFakePve();
    c = await connectPve(endpoint(s), TOKEN);
  });
  after(async () => {
    c.close();
    await s.close();
  });

  it('a parameter error carries the per-parameter messages, with secrets of the call scrubbed', async () => {
    s.handler = () => ({ status: 400, message: 'Parameter verification failed.', errors: { cores: 'value must have a minimum value of 1', cipassword: "value 'cloud-Pa55' too short" } });
    const e = await apiError(c.post('/nodes/pve1/qemu', { vmid: 100, cores: 0, cipassword: 'cloud-Pa55' }));
    assert.equal(e.status, 400);
    assert.equal(e.node, 'pve1');
    assert.equal(e.method, 'POST');
    assert.equal(e.path, '/nodes/pve1/qemu');
    assert.equal(e.errors?.cores, 'value must have a minimum value of 1');
    assert.ok(!e.errors?.cipassword.includes('cloud-Pa55'));
    assert.match(e.message, /POST \/nodes\/pve1\/qemu on pve1 failed \(400\): Parameter verification failed\. \(cores: value must/);
    assert.match(e.message, /fix the parameters listed/);
  });

  it('a handler error keeps the API message and adds the remedy', async () => {
    s.handler = () => ({ status: 500, message: "unable to create VM 100 - VM 100 already exists on node 'pve3'" });
    const e = await apiError(c.post('/nodes/pve1/qemu', { vmid: 100 }));
    assert.equal(e.apiMessage, "unable to create VM 100 - VM 100 already exists on node 'pve3'");
    assert.match(e.remedy ?? '', /VMID 100 is already in use \(on node pve3\)/);
  });

  it('a quorum loss is not retried and says what to do', async () => {
    const before = s.seen.length;
    s.handler = () => ({ status: 500, message: 'cluster not ready - no quorum? (500)' });
    const e = await apiError(c.put('/cluster/options', { migration: 'secure' }));
    assert.equal(s.seen.length - before, 1);
    assert.match(e.message, /no quorum/);
    assert.match(e.message, /pvecm status/);
  });

  it('a 501 says the node version lacks the call', async () => {
    s.handler = (r) => ({ status: 501, message: `Method '${r.method} /cluster/ha/rules' not implemented` });
    const e = await apiError(c.get('/cluster/ha/rules'));
    assert.equal(e.status, 501);
    assert.match(e.message, /HA rules need PVE 9/);
  });

  it('an answer that is not the envelope is a protocol error naming node and URL', async () => {
    s.handler = () => ({ raw: '<html><body>Welcome to nginx</body></html>', status: 200 });
    const e = await transportError(c.get('/version'));
    assert.equal(e.kind, 'protocol');
    assert.match(e.message, /pve1 \(https:\/\/127\.0\.0\.1:\d+\) answered GET \/version with something that is not the API's JSON envelope \("<html><body>Welcome to nginx/);
    s.handler = () => ({ raw: '<html>Bad Gateway</html>', status: 502 });
    const e2 = await apiError(c.get('/version'));
    assert.equal(e2.status, 502);
  });
});

describe('connectPve: retries', () => {
  let s: FakePve;
  before(async () => {
    s = await startFakePve();
  });
  after(() => s.close());
  const LOCK = "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout";

  it('retries a config-lock timeout with backoff until the lock is free', async () => {
    let left = 3;
    s.handler = () => (left-- > 0 ? { status: 500, message: LOCK } : { data: 'done' });
    const c = await connectPve(endpoint(s), TOKEN);
    const t0 = Date.now();
    assert.equal(await c.put('/nodes/pve1/qemu/100/config', { cores: 2 }), 'done');
    assert.equal(c.requests, 4);
    assert.ok(Date.now() - t0 >= 100 + 200 + 400 - 20, 'pauses of 100, 200, 400 ms');
    c.close();
  });

  it('reports the lock when it stays held past the budget, or at once with retryLocks false', async () => {
    s.handler = () => ({ status: 500, message: LOCK });
    const c = await connectPve(endpoint(s), TOKEN, { lockRetryBudgetMs: 350 });
    const e = await apiError(c.post('/nodes/pve1/qemu/100/clone', { newid: 101 }));
    assert.equal(c.requests, 3, 'tries at 0, 100, 300 ms; the next pause would pass 350 ms');
    assert.match(e.message, /another operation holds the lock \/var\/lock\/qemu-server\/lock-100\.conf/);
    const before = c.requests;
    await apiError(c.post('/nodes/pve1/qemu/100/clone', { newid: 101 }, { retryLocks: false }));
    assert.equal(c.requests - before, 1);
    c.close();
  });

  it('retries a GET answered 595, but not a POST', async () => {
    let left = 2;
    s.handler = (r) => (r.method === 'GET' && left-- > 0 ? { status: 595, message: 'Connection refused' } : r.method === 'POST' ? { status: 595, message: 'No route to host' } : { data: [] });
    const c = await connectPve(endpoint(s), TOKEN);
    assert.deepEqual(await c.get('/nodes/pve2/network'), []);
    assert.equal(c.requests, 3);
    const e = await apiError(c.post('/nodes/pve2/network', { iface: 'vmbr9', type: 'bridge' }));
    assert.equal(e.status, 595);
    assert.equal(c.requests, 4);
    assert.match(e.message, /could not forward the request/);
    c.close();
  });

  it('retries a GET whose connection is reset mid-request, but not a POST (it may have run)', async () => {
    let left = 1;
    s.handler = (r) => (r.method === 'GET' && left-- > 0 ? 'reset' : r.method === 'POST' ? 'reset' : { data: 'ok' });
    const c = await connectPve(endpoint(s), TOKEN);
    assert.equal(await c.get('/cluster/status'), 'ok');
    assert.equal(c.requests, 2);
    const n = s.seen.length;
    const e = await transportError(c.post('/cluster/config', { clustername: 'lab' }));
    assert.equal(s.seen.length - n, 1, 'the POST reached the server once');
    assert.equal(e.kind, 'unreachable');
    assert.equal(e.node, 'pve1');
    assert.match(e.message, /reset during POST \/cluster\/config/);
    c.close();
  });

  it('gives up on GETs after four retries', async () => {
    s.handler = () => ({ status: 595, message: 'Connection timed out' });
    const c = await connectPve(endpoint(s), TOKEN);
    await apiError(c.get('/nodes/pve3/status'));
    assert.equal(c.requests, 5);
    c.close();
  });
});

describe('connectPve: authentication', () => {
  let s: FakePve;
  before(async () => {
    s = await startFakePve();
  });
  after(() => s.close());

  it('logs in with a password: ticket cookie on every call, CSRF header on non-GET only', async () => {
    s.handler = withTickets(() => ({ data: 'fine' }));
    const c = await connectPve(endpoint(s), LOGIN);
    const login = s.on('POST', '/access/ticket').at(-1)!;
    assert.deepEqual(login.form, [['username', 'root@pam'], ['password', PASSWORD]]);
    assert.equal(login.headers.authorization, undefined);
    assert.equal(c.requests, 1, 'the login counts');
    await c.get('/cluster/status');
    const g = s.seen.at(-1)!;
    assert.match(g.headers.cookie ?? '', /^PVEAuthCookie=PVE:root@pam:/);
    assert.equal(g.headers.csrfpreventiontoken, undefined);
    for (const call of [() => c.post('/storage', { storage: 'x' }), () => c.put('/cluster/options', {}), () => c.delete('/storage/x')]) {
      assert.equal(await call(), 'fine');
      assert.match(String(s.seen.at(-1)!.headers.csrfpreventiontoken), /^67400\d+:csrf\d$/);
    }
    c.close();
  });

  it('renews the ticket once it is older than the renewal age, once for concurrent calls', async () => {
    s.handler = withTickets(() => ({ data: 'fine' }));
    const c = await connectPve(endpoint(s), LOGIN, { ticketRenewMs: 80 });
    const logins = () => s.on('POST', '/access/ticket').length;
    const first = logins();
    await c.get('/version');
    assert.equal(logins(), first);
    await new Promise((r) => setTimeout(r, 100));
    await Promise.all([c.get('/version'), c.post('/storage', { storage: 'a' }), c.get('/nodes')]);
    assert.equal(logins(), first + 1);
    const cookies = new Set(s.seen.slice(-3).map((r) => r.headers.cookie));
    assert.equal(cookies.size, 1, 'all three used the new ticket');
    c.close();
  });

  it('logs in again once when the node refuses the ticket (its auth key changed after a join)', async () => {
    const valid = new Set<string>();
    s.handler = withTickets(() => ({ data: 'fine' }), valid);
    const c = await connectPve(endpoint(s), LOGIN);
    valid.clear();
    assert.equal(await c.post('/cluster/config/join', { hostname: '10.20.0.11' }), 'fine');
    assert.equal(c.requests, 4, 'login, refused call, login, call');
    c.close();
  });

  it('a wrong password fails at connect as kind auth naming node and user, without the password', async () => {
    s.handler = withTickets(() => ({ data: 'fine' }));
    const e = await transportError(connectPve(endpoint(s), { kind: 'password', username: 'root@pam', password: 'nope-Wrong-1' }));
    assert.equal(e.kind, 'auth');
    assert.equal(e.node, 'pve1');
    assert.match(e.message, /pve1 \(https:\/\/127\.0\.0\.1:\d+\) refused the login of root@pam: authentication failure/);
    assert.match(e.message, /realm/);
    assert.ok(!e.message.includes('nope-Wrong-1'));
  });

  it('a refused token is kind auth with the token format and privilege hints, not the secret', async () => {
    s.handler = () => ({ status: 401, message: 'permission denied - invalid API token' });
    const c = await connectPve(endpoint(s), { kind: 'token', tokenId: 'root@pam!poolform', secret: SECRET });
    const e = await transportError(c.get('/cluster/status'));
    assert.equal(e.kind, 'auth');
    assert.match(e.message, /refused the API token root@pam!poolform for GET \/cluster\/status \(401 permission denied - invalid API token\)/);
    assert.match(e.message, /USER@REALM!TOKENID=SECRET/);
    assert.match(e.message, /privilege separation/);
    assert.equal(c.requests, 1, 'a 401 with a token is not retried');
    c.close();
  });

  it('a malformed token id is refused before any request', async () => {
    const n = s.seen.length;
    const e = await transportError(connectPve(endpoint(s), { kind: 'token', tokenId: 'root-poolform', secret: SECRET }));
    assert.equal(e.kind, 'auth');
    assert.match(e.message, /"root-poolform" is malformed/);
    assert.equal(s.seen.length, n);
  });

  it('a 403 names the privilege problem', async () => {
    s.handler = () => ({ status: 403, message: "Permission check failed (/nodes/pve1, Sys.Modify)" });
    const c = await connectPve(endpoint(s), TOKEN);
    const e = await apiError(c.put('/nodes/pve1/network'));
    assert.equal(e.status, 403);
    assert.match(e.message, /pveum acl modify/);
    c.close();
  });
});

describe('connectPve: TLS and reachability', () => {
  let s: FakePve;
  before(async () => {
    s = await startFakePve(() => ({ data: 'ok' }));
  });
  after(() => s.close());

  it('refuses a certificate that does not match the pin before sending any request', async () => {
    const wrong = 'AA:'.repeat(31) + 'AA';
    const n = s.seen.length;
    const c = await connectPve(endpoint(s, { fingerprints: [wrong] }), TOKEN);
    const e = await transportError(c.get('/version'));
    assert.equal(e.kind, 'tls');
    assert.equal(e.node, 'pve1');
    assert.ok(e.message.includes(s.cert.fingerprint), 'shows the presented fingerprint');
    assert.ok(e.message.includes(wrong), 'and the expected one');
    assert.match(e.message, /pvenode cert info/);
    assert.match(e.message, /tls_fingerprint/);
    assert.equal(s.seen.length, n, 'no request reached the server');
    // with a password: the login (carrying the password) is never sent either
    await transportError(connectPve(endpoint(s, { fingerprints: [wrong] }), LOGIN));
    assert.equal(s.seen.length, n);
    c.close();
  });

  it('refuses a malformed pin at connect', async () => {
    const e = await transportError(connectPve(endpoint(s, { fingerprints: ['12:34'] }), TOKEN));
    assert.equal(e.kind, 'tls');
    assert.match(e.message, /tls_fingerprint entry "12:34" is not a SHA-256/);
  });

  it('without a pin verifies against the CA store or ca_file', async () => {
    const c = await connectPve(endpoint(s, { fingerprints: [] }), TOKEN);
    const e = await transportError(c.get('/version'));
    assert.equal(e.kind, 'tls');
    assert.match(e.message, /not trusted \(self-signed certificate/);
    assert.ok(e.message.includes(s.cert.fingerprint));
    c.close();
    const ca = writeTemp(tempDir(), 'pve-root-ca.pem', s.cert.cert);
    const c2 = await connectPve(endpoint(s, { fingerprints: [], caFile: ca }), TOKEN);
    assert.equal(await c2.get('/version'), 'ok');
    c2.close();
    const e3 = await transportError(connectPve(endpoint(s, { fingerprints: [], caFile: '/nonexistent/ca.pem' }), TOKEN));
    assert.match(e3.message, /cannot read ca_file \/nonexistent\/ca\.pem/);
  });

  it('a closed port is unreachable, naming node and URL', async () => {
    const port = await closedPort();
    const c = await connectPve({ node: 'pve7', url: `https://127.0.0.1:${port}`, fingerprints: [s.cert.fingerprint] }, TOKEN);
    const e = await transportError(c.get('/version'));
    assert.equal(e.kind, 'unreachable');
    assert.equal(e.node, 'pve7');
    assert.ok(e.message.includes(`pve7 (https://127.0.0.1:${port})`));
    assert.match(e.message, /connection refused/);
    c.close();
    const e2 = await transportError(connectPve({ node: 'pve7', url: `https://127.0.0.1:${port}`, fingerprints: [s.cert.fingerprint] }, LOGIN));
    assert.equal(e2.kind, 'unreachable');
  });

  it('a node that never answers times out', () =>
    withSilentServer(async (port) => {
      const c = await connectPve({ node: 'pve8', url: `https://127.0.0.1:${port}`, fingerprints: [s.cert.fingerprint], timeoutMs: 200 }, TOKEN);
      const e = await transportError(c.get('/version'));
      assert.equal(e.kind, 'timeout');
      assert.ok(e.message.includes(`pve8 (https://127.0.0.1:${port}) did not answer GET /version within 0.2 s`));
      c.close();
    }));

  it('an abort rejects with an AbortError', () =>
    withSilentServer(async (port) => {
      const c = await connectPve({ node: 'pve8', url: `https://127.0.0.1:${port}`, fingerprints: [s.cert.fingerprint] }, TOKEN);
      const ac = new AbortController();
      const p = c.get('/version', undefined, { signal: ac.signal });
      setTimeout(() => ac.abort(), 30);
      await assert.rejects(p, (e: Error) => e.name === 'AbortError');
      c.close();
    }));

  it('an http:// url is refused', async () => {
    const e = await transportError(connectPve({ node: 'pve1', url: 'http://127.0.0.1:8006' }, TOKEN));
    assert.equal(e.kind, 'protocol');
    assert.match(e.message, /must use https/);
  });
});

describe('connectPve: tasks', () => {
  let s: FakePve;
  /** Status polls seen, by UPID (each test's UPIDs are fresh). */
  const polls = new Map<string, number>();
  /** UPID -> [running polls before stopping, exitstatus] */
  let script: Map<string, [number, string]>;
  const submits = new Map<string | undefined, number>();
  before(async () => {
    s = await startFakePve();
    s.handler = (r) => {
      if (r.method === 'POST' && r.path === '/nodes/pve1/qemu') {
        // several upid params: each submission answers the next one
        const ups = r.form.filter(([k]) => k === 'upid').map(([, v]) => v);
        const i = submits.get(ups[0]) ?? 0;
        submits.set(ups[0], i + 1);
        return { data: ups[Math.min(i, ups.length - 1)] ?? UPID };
      }
      if (r.method === 'POST' && r.path === '/nodes/pve1/qemu/100/config') return { data: null };
      const m = /^\/nodes\/([^/]+)\/tasks\/(.+)\/status$/.exec(r.path);
      if (r.method === 'GET' && m) {
        const upid = m[2];
        const n = (polls.get(upid) ?? 0) + 1;
        polls.set(upid, n);
        const [running, exit] = script.get(upid) ?? [0, 'OK'];
        const base = { upid, node: m[1], pid: 1, pstart: 1, starttime: 1, type: 'qmcreate', id: '100', user: 'root@pam!poolform' };
        return { data: n <= running ? { ...base, status: 'running' } : { ...base, status: 'stopped', exitstatus: exit } };
      }
      return { status: 501, message: `Method '${r.method} ${r.path}' not implemented` };
    };
  });
  after(() => s.close());

  const fresh = (type: string, id: string): string => `UPID:pve2:0000A1B2:00C0FFEE:${(0x6740f00d + ++clock.n).toString(16).toUpperCase()}:${type}:${id}:root@pam!poolform:`;

  it('reports the UPID before waiting, then polls the UPID node with the UPID encoded until OK', async () => {
    const upid = fresh('qmcreate', '100');
    script = new Map([[upid, [2, 'OK']]]);
    const c = await connectPve(endpoint(s), TOKEN);
    let seenAt = -1;
    const logs: string[] = [];
    const st = await c.task('POST', '/nodes/pve1/qemu', { vmid: 100, upid }, { pollMs: 5, onTask: (u) => ((seenAt = clock.n), assert.equal(u, upid)), log: (l) => logs.push(l) });
    assert.deepEqual(st, { upid, node: 'pve2', type: 'qmcreate', id: '100', status: 'stopped', exitstatus: 'OK' });
    const statusReqs = s.seen.filter((r) => r.path.endsWith('/status') && r.path.includes(upid));
    assert.equal(statusReqs.length, 3);
    assert.ok(seenAt >= 0 && statusReqs.every((r) => r.seq > seenAt), 'onTask ran before the first poll');
    assert.equal(statusReqs[0].rawUrl, `/api2/json/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`);
    assert.ok(statusReqs[0].rawUrl.includes('UPID%3Apve2%3A'));
    assert.ok(logs.some((l) => /creating VM 100 on pve2/.test(l)));
    c.close();
  });

  it('accepts WARNINGS, rejects another exitstatus with PveTaskError and its remedy', async () => {
    const warn = fresh('qmcreate', '100');
    const bad = fresh('qmcreate', '101');
    script = new Map([
      [warn, [0, 'WARNINGS: 2']],
      [bad, [1, "storage 'nfs1' is not online"]],
    ]);
    const c = await connectPve(endpoint(s), TOKEN);
    assert.equal((await c.task('POST', '/nodes/pve1/qemu', { upid: warn }, { pollMs: 5 })).exitstatus, 'WARNINGS: 2');
    const e = await messages.rejectsWith(c.task('POST', '/nodes/pve1/qemu', { upid: bad }, { pollMs: 5 }), PveTaskError);
    assert.equal(e.upid, bad);
    assert.equal(e.node, 'pve2');
    assert.equal(e.exitstatus, "storage 'nfs1' is not online");
    assert.match(e.message, /^creating VM 101 on pve2 failed: storage 'nfs1' is not online \(task UPID:pve2:/);
    assert.match(e.remedy ?? '', /not reachable from node pve2/);
    c.close();
  });

  it('submits again when the task could not take its config lock, reporting each UPID', async () => {
    const busy = fresh('qmclone', '100');
    const ok = fresh('qmclone', '100');
    script = new Map([
      [busy, [0, "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"]],
      [ok, [0, 'OK']],
    ]);
    const c = await connectPve(endpoint(s), TOKEN);
    const reported: string[] = [];
    const st = await c.task('POST', '/nodes/pve1/qemu', { upid: [busy, ok] }, { pollMs: 5, onTask: (u) => reported.push(u) });
    assert.equal(st.upid, ok);
    assert.deepEqual(reported, [busy, ok]);
    c.close();
  });

  it('an abort stops waiting (AbortError) and leaves the task alone', async () => {
    const upid = fresh('qmclone', '102');
    script = new Map([[upid, [1_000_000, 'OK']]]);
    const c = await connectPve(endpoint(s), TOKEN);
    const ac = new AbortController();
    const p = c.task('POST', '/nodes/pve1/qemu', { upid }, { pollMs: 5, signal: ac.signal, onTask: () => setTimeout(() => ac.abort(), 40) });
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    assert.ok((polls.get(upid) ?? 0) >= 1);
    assert.ok(!s.seen.some((r) => r.method === 'DELETE'), 'the task was not stopped');
    c.close();
  });

  it('gives up waiting after timeoutMs with kind timeout naming the task', async () => {
    const upid = fresh('srvreload', '');
    script = new Map([[upid, [1_000_000, 'OK']]]);
    const c = await connectPve(endpoint(s), TOKEN);
    const e = await transportError(c.waitTask(upid, { pollMs: 10, timeoutMs: 120 }));
    assert.equal(e.kind, 'timeout');
    assert.equal(e.node, 'pve2');
    assert.match(e.message, /applying the network configuration on pve2 was still running after 0 s/);
    assert.match(e.message, /keeps running on the node/);
    c.close();
  });

  it('a call that answers no UPID is a protocol error', async () => {
    const c = await connectPve(endpoint(s), TOKEN);
    const e = await transportError(c.task('POST', '/nodes/pve1/qemu/100/config', { cores: 2 }));
    assert.equal(e.kind, 'protocol');
    assert.match(e.message, /instead of a task id/);
    await transportError(c.waitTask('not-a-upid'));
    c.close();
  });
});
