// The simulator's HTTPS wire, spoken to with Node's own https and tls modules over loopback: the
// JSON-RPC 1.0/2.0, legacy /json and XML-RPC envelopes of xapi-wire.json, the TLS policy (1.2 only,
// two ECDHE-RSA-GCM suites), the certificate clients pin, and a host that does not answer. Behind the
// wire is the real model (a pool of two), seen through a spy that records what the wire hands it and
// adds the one thing the model cannot do on purpose: fail with a bug of its own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import type { CallMeta, XapiBackend } from '../../providers/xenserver/sim/backend.js';
import { XapiHttpsServer, WireFaults } from '../../providers/xenserver/sim/server.js';
import { generateHostCertificate, normalizeFingerprint, type HostCertificate } from '../../providers/common/certs.js';
import { parseMethodCall, encodeValue } from '../../providers/xenserver/sim/rpc-xml.js';
import { XapiSim } from '../../providers/xenserver/sim/xapi.js';
import { TLS_CIPHERS } from '../../providers/xenserver/crypto-policy.js';
import { PASSWORD, jsonRpc, rawRequest } from './xen-wire-harness.js';

const REF = process.env.POOLFORM_REFERENCE_DIR ?? '/work/shared/reference';
const haveRef = fs.existsSync(`${REF}/xapi-wire.json`);
const OPAQUE = /^OpaqueRef:[0-9a-f-]{36}$/;

let certs: HostCertificate[];
let servers: XapiHttpsServer[];
let sim: XapiSim;
const calls: { host: string; method: string; params: unknown[]; meta?: CallMeta }[] = [];
const wire = new WireFaults();
let coord: string;
let member: string;
let uuids: string[];
/** A session of the pool and a template, made in-process (what the wire serves is what is tested). */
let session: string;
let template: string;

before(async () => {
  certs = await Promise.all(['xs1', 'xs2'].map((n) => generateHostCertificate(n)));
  servers = certs.map((c, i) => new XapiHttpsServer({ cert: c.cert, key: c.key, wire, name: `xs${i + 1}` }));
  const ports = await Promise.all(servers.map((s) => s.start()));
  sim = new XapiSim({ hosts: ports.map((p, i) => ({ name: `xs${i + 1}`, address: `127.0.0.1:${p}` })), password: PASSWORD, latencyScale: 0 });
  sim.populate({}); // xs2 joins xs1's pool
  const spy: XapiBackend = {
    hosts: () => sim.hosts(),
    reachable: (h) => sim.reachable(h),
    shell: (h, command) => sim.shell(h, command),
    call: (host, method, params, meta) => {
      calls.push({ host, method, params, meta });
      return method === 'crash' ? Promise.reject(new Error('model bug')) : sim.call(host, method, params, meta);
    },
  };
  uuids = sim.hosts().map((h) => h.uuid);
  servers.forEach((s, i) => s.bind(spy, uuids[i]!));
  coord = servers[0].url;
  member = servers[1].url;
  session = (await sim.call(uuids[0]!, 'session.login_with_password', ['root', PASSWORD])) as string;
  template = ((await sim.call(uuids[0]!, 'VM.get_by_name_label', [session, 'Other install media'])) as string[])[0]!;
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

const login = (v2 = true) => ({ ...(v2 ? { jsonrpc: '2.0' } : {}), method: 'session.login_with_password', params: ['root', PASSWORD, '1.0', 'test'], id: 'a1' });

test('JSON-RPC 2.0: success envelope, exact content type, step header reaches the model', async () => {
  const r = await jsonRpc(coord, certs[0].cert, login(), { 'X-Poolform-Step': 'xenserver_pool.main:create' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/json');
  const body = JSON.parse(r.body);
  assert.deepEqual(Object.keys(body).sort(), ['id', 'jsonrpc', 'result']);
  assert.deepEqual([body.jsonrpc, body.id], ['2.0', 'a1']);
  assert.match(body.result, OPAQUE);
  const last = calls.at(-1)!;
  assert.equal(last.method, 'session.login_with_password');
  assert.equal(last.host, uuids[0]);
  assert.deepEqual(last.params, ['root', PASSWORD, '1.0', 'test']);
  assert.equal(last.meta?.step, 'xenserver_pool.main:create');
});

test('JSON-RPC 2.0: an API error is {code: 1, message: CODE, data: params}, HTTP 200', async () => {
  const r = await jsonRpc(coord, certs[0].cert, { jsonrpc: '2.0', method: 'session.login_with_password', params: ['root', 'nope'], id: 7 });
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { jsonrpc: '2.0', error: { code: 1, message: 'SESSION_AUTHENTICATION_FAILED', data: ['root', 'Authentication failure'] }, id: 7 });
  const slave = await jsonRpc(member, certs[1].cert, login());
  const body = JSON.parse(slave.body);
  assert.equal(body.error.message, 'HOST_IS_SLAVE');
  assert.deepEqual(body.error.data, [sim.host('xs1').address], 'a member names the coordinator address');
});

test('JSON-RPC 1.0: {result, error: null, id} and {result: null, error: [CODE, ...], id}', async () => {
  const ok = JSON.parse((await jsonRpc(coord, certs[0].cert, login(false))).body);
  assert.deepEqual([Object.keys(ok).sort(), ok.error, ok.id], [['error', 'id', 'result'], null, 'a1']);
  assert.match(ok.result, OPAQUE);
  const bad = JSON.parse((await jsonRpc(coord, certs[0].cert, { method: 'VM.start', params: [session, template, false, false], id: 3 })).body);
  assert.deepEqual(bad, { result: null, error: ['VM_IS_TEMPLATE', template, 'start'], id: 3 });
});

test('JSON-RPC: void is "", numbers stay numbers, a model bug is INTERNAL_ERROR, malformed is HTTP 500 HTML', async () => {
  const pool = ((await sim.call(uuids[0]!, 'pool.get_all', [session])) as string[])[0];
  const rpc = async (method: string, params: unknown[]) => JSON.parse((await jsonRpc(coord, certs[0].cert, { jsonrpc: '2.0', method, params, id: 1 })).body);
  assert.deepEqual(await rpc('pool.set_name_description', [session, pool, 'wire']), { jsonrpc: '2.0', result: '', id: 1 });
  const metrics = Object.values((await rpc('host_metrics.get_all_records', [session])).result) as { memory_total: unknown }[];
  assert.deepEqual(metrics.map((m) => m.memory_total), [256 * 1024 ** 3, 256 * 1024 ** 3], '64-bit ints as JSON numbers');
  const hosts = Object.values((await rpc('host.get_all_records', [session])).result) as { enabled: unknown }[];
  assert.deepEqual(hosts.map((h) => h.enabled), [true, true]);
  const crash = JSON.parse((await jsonRpc(coord, certs[0].cert, { jsonrpc: '2.0', method: 'crash', params: [], id: 3 })).body);
  assert.deepEqual(crash.error, { code: 1, message: 'INTERNAL_ERROR', data: ['model bug'] });
  for (const body of [{ jsonrpc: '2.0', method: 'x', id: 1 }, { jsonrpc: '2.0', method: 'x', params: [] }, 'not json']) {
    const r = await rawRequest(coord, { path: '/jsonrpc', body: typeof body === 'string' ? body : JSON.stringify(body), ca: certs[0].cert });
    assert.equal(r.status, 500, JSON.stringify(body));
    assert.match(String(r.headers['content-type']), /text\/html/);
  }
});

test('legacy POST /json answers the XML-RPC style Status/Value envelope in JSON', async () => {
  const r = await rawRequest(coord, { path: '/json', body: JSON.stringify({ method: 'session.login_with_password', params: ['root', 'bad'], id: 1 }), ca: certs[0].cert });
  assert.deepEqual(JSON.parse(r.body), { Status: 'Failure', ErrorDescription: ['SESSION_AUTHENTICATION_FAILED', 'root', 'Authentication failure'] });
  const ok = await rawRequest(coord, { path: '/json', body: JSON.stringify({ method: 'session.login_with_password', params: ['root', PASSWORD], id: 1 }), ca: certs[0].cert });
  const okBody = JSON.parse(ok.body);
  assert.deepEqual(Object.keys(okBody).sort(), ['Status', 'Value']);
  assert.equal(okBody.Status, 'Success');
  assert.match(okBody.Value, OPAQUE);
});

const xmlCall = (method: string, params: string[]) =>
  `<?xml version="1.0"?>\n<methodCall>\n  <methodName>${method}</methodName>\n  <params>${params.map((p) => `<param>${p}</param>`).join('\n')}</params>\n</methodCall>`;

test('XML-RPC at / and /RPC2: XAPI encodings (untyped strings and ints, boolean 0/1, doubles), Failure struct not <fault>', async () => {
  for (const path of ['/', '/RPC2']) {
    const r = await rawRequest(coord, { path, body: xmlCall('session.login_with_password', ['<value><string>root</string></value>', `<value>${PASSWORD}</value>`]), headers: { 'Content-Type': 'text/xml' }, ca: certs[0].cert });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/xml');
    assert.match(r.body, /^<\?xml version="1\.0"\?><methodResponse><params><param><value><struct><member><name>Status<\/name><value>Success<\/value><\/member><member><name>Value<\/name><value>OpaqueRef:[0-9a-f-]{36}<\/value><\/member><\/struct><\/value><\/param><\/params><\/methodResponse>$/);
  }
  const xml = (method: string, ...params: string[]) => rawRequest(coord, { path: '/', body: xmlCall(method, [`<value>${session}</value>`, ...params.map((p) => `<value>${p}</value>`)]), ca: certs[0].cert });
  const metrics = await xml('host_metrics.get_all_records');
  assert.match(metrics.body, /<name>memory_total<\/name><value>274877906944<\/value>/, '64-bit int as untyped value');
  const hosts = await xml('host.get_all_records');
  assert.match(hosts.body, /<name>enabled<\/name><value><boolean>1<\/boolean><\/value>/);
  assert.match(hosts.body, /<name>other_config<\/name><value><struct>(<member><name>[a-z_]+<\/name><value>[^<]*<\/value><\/member>)*<member><name>iscsi_iqn<\/name><value>iqn\.2026-11\.lab\.poolform:xs1<\/value><\/member>/);
  assert.match(hosts.body, /<name>PIFs<\/name><value><array><data>(<value>OpaqueRef:[0-9a-f-]{36}<\/value>){4}<\/data><\/array><\/value>/);
  assert.match(hosts.body, /<name>tags<\/name><value><array><data><\/data><\/array><\/value>/);
  assert.doesNotMatch(hosts.body, /<string>|<int>|<i4>/);
  const task = (await sim.call(uuids[0]!, 'task.create', [session, 'progress', ''])) as string;
  await sim.call(uuids[0]!, 'task.set_progress', [session, task, 0.25]);
  assert.match((await xml('task.get_progress', task)).body, /<name>Value<\/name><value><double>0.25<\/double><\/value>/);
  const fail = await rawRequest(coord, { path: '/RPC2', body: xmlCall('VM.start', [`<value>${session}</value>`, '<value>OpaqueRef:vm&amp;1</value>', '<value><boolean>0</boolean></value>', '<value><boolean>0</boolean></value>']), ca: certs[0].cert });
  assert.doesNotMatch(fail.body, /<fault>/);
  assert.match(fail.body, /<name>Status<\/name><value>Failure<\/value><\/member><member><name>ErrorDescription<\/name><value><array><data><value>HANDLE_INVALID<\/value><value>VM<\/value><value>OpaqueRef:vm&amp;1<\/value><\/data><\/array><\/value>/);
  const bad = await rawRequest(coord, { path: '/', body: '<methodCall><methodName>x</methodName><params><param><value><wat>1</wat></value></param></params></methodCall>', ca: certs[0].cert });
  assert.equal(bad.status, 500);
});

test('XML-RPC decoding: every value tag, entities, empty values, layout whitespace', () => {
  const call = parseMethodCall(
    xmlCall('echo', [
      '<value><int>42</int></value>',
      '<value><i8>-9007199254740991</i8></value>',
      '<value>  spaced &lt;text&gt; &#38; &#x41; </value>',
      '<value/>',
      '<value><boolean>0</boolean></value>',
      '<value><double>1.5</double></value>',
      '<value><array><data><value>a</value><value><string></string></value></data></array></value>',
      '<value><struct>\n <member><name>k</name><value><nil/></value></member>\n</struct></value>',
      '<value><base64>aGk=</base64></value>',
      '<value><dateTime.iso8601>20240102T03:04:05Z</dateTime.iso8601></value>',
    ]),
  );
  assert.equal(call.method, 'echo');
  assert.deepEqual(call.params, [42, -9007199254740991, '  spaced <text> & A ', '', false, 1.5, ['a', ''], { k: null }, 'hi', '20240102T03:04:05Z']);
  assert.equal(encodeValue({ a: [1, 'x<y', true, null] }), '<value><struct><member><name>a</name><value><array><data><value>1</value><value>x&lt;y</value><value><boolean>1</boolean></value><value><nil/></value></data></array></value></member></struct></value>');
  assert.equal(encodeValue(new Date('2024-01-02T03:04:05.678Z')), '<value><dateTime.iso8601>20240102T03:04:05Z</dateTime.iso8601></value>');
});

test('the wire matches the reference: endpoints and error envelopes of xapi-wire.json, codes of xapi-errors.json', { skip: !haveRef && 'reference data not present' }, async () => {
  const ref = JSON.parse(fs.readFileSync(`${REF}/xapi-wire.json`, 'utf8'));
  const errors = JSON.parse(fs.readFileSync(`${REF}/xapi-errors.json`, 'utf8')).errors as Record<string, { params: string[] }>;
  assert.deepEqual(Object.keys(ref.jsonrpc.v2_response_error).sort(), ['error', 'id', 'jsonrpc']);
  assert.equal(ref.jsonrpc.v2_response_error.error.code, 1);
  for (const code of ['SESSION_AUTHENTICATION_FAILED', 'HOST_IS_SLAVE', 'VM_IS_TEMPLATE', 'INTERNAL_ERROR', 'SESSION_INVALID']) assert.ok(errors[code], code);
  assert.equal(errors.HOST_IS_SLAVE.params.length, 1);
  // Every POST endpoint the reference lists answers a call (not 404), and CORS pre-flight is answered.
  for (const ep of Object.keys(ref.endpoints).filter((e) => e.startsWith('POST /') && e !== 'POST /cli')) {
    const path = ep.slice(5);
    const body = path === '/jsonrpc' || path === '/json' ? JSON.stringify(login()) : xmlCall('session.login_with_password', ['<value>root</value>', `<value>${PASSWORD}</value>`]);
    const r = await rawRequest(coord, { path, body, ca: certs[0].cert });
    assert.equal(r.status, 200, ep);
    assert.match(r.body, /OpaqueRef:[0-9a-f-]{36}/, ep);
  }
  for (const path of ref.endpoints['OPTIONS /, /json, /jsonrpc'] ? ['/', '/json', '/jsonrpc'] : []) {
    const r = await rawRequest(coord, { method: 'OPTIONS', path, ca: certs[0].cert });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], '*');
    assert.match(String(r.headers['access-control-allow-methods']), /POST/);
  }
});

test('GET / is harmless, unknown paths 404, wrong method 405', async () => {
  const home = await rawRequest(coord, { method: 'GET', path: '/', ca: certs[0].cert });
  assert.equal(home.status, 200);
  assert.match(home.body, /xs1/);
  assert.equal((await rawRequest(coord, { path: '/nope', body: '{}', ca: certs[0].cert })).status, 404);
  assert.equal((await rawRequest(coord, { method: 'GET', path: '/jsonrpc', ca: certs[0].cert })).status, 405);
});

test('TLS: 1.2 with a listed suite, and the certificate is the one whose fingerprint is pinned', async () => {
  const r = await jsonRpc(coord, certs[0].cert, login());
  assert.equal(r.protocol, 'TLSv1.2');
  assert.equal(r.peerFingerprint, certs[0].fingerprint);
  // the reported fingerprint is SHA-256 of the DER certificate in XenCenter's "AB:CD:..." form
  const der = createHash('sha256').update(new X509Certificate(certs[0].cert).raw).digest('hex').toUpperCase();
  assert.equal(certs[0].fingerprint, der.match(/../g)!.join(':'));
  assert.notEqual(normalizeFingerprint(certs[0].fingerprint), normalizeFingerprint(certs[1].fingerprint));
  assert.equal(normalizeFingerprint(`sha256:${certs[0].fingerprint.toLowerCase()}`), certs[0].fingerprint.replace(/:/g, '').toLowerCase());
  for (const cipher of TLS_CIPHERS.split(':')) {
    const got = await handshake(servers[0].port, { ciphers: cipher, maxVersion: 'TLSv1.2' });
    assert.deepEqual(got, { ok: true, cipher }, cipher);
  }
});

test('TLS: a TLS 1.3-only client and a client with only unlisted suites are refused', async () => {
  assert.equal((await handshake(servers[0].port, { minVersion: 'TLSv1.3' })).ok, false);
  assert.equal((await handshake(servers[0].port, { ciphers: 'ECDHE-RSA-CHACHA20-POLY1305:AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256', maxVersion: 'TLSv1.2' })).ok, false);
  assert.equal((await handshake(servers[0].port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).ok, false);
});

test('a host that is down or dropped by the wire does not answer; it answers again afterwards', async () => {
  sim.faults.setHostDown('xs2');
  await assert.rejects(jsonRpc(member, certs[1].cert, login()), (e: NodeJS.ErrnoException) => ['ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /socket hang up|disconnected/.test(e.message));
  sim.faults.setHostDown('xs2', false);
  assert.equal(JSON.parse((await jsonRpc(member, certs[1].cert, login())).body).error.message, 'HOST_IS_SLAVE');
  wire.drops.set(uuids[0]!, 1);
  await assert.rejects(jsonRpc(coord, certs[0].cert, login()), /socket hang up|ECONNRESET/);
  wire.delayMs.set(uuids[0]!, 5);
  assert.match(JSON.parse((await jsonRpc(coord, certs[0].cert, login())).body).result, OPAQUE);
  wire.delayMs.delete(uuids[0]!);
});

function handshake(port: number, opts: tls.ConnectionOptions): Promise<{ ok: boolean; cipher?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const cipher = s.getCipher().name; // OpenSSL name, as TLS_CIPHERS spells them
      s.end();
      resolve({ ok: true, cipher });
    });
    s.on('error', () => resolve({ ok: false }));
  });
}
