// The XAPI client over real HTTPS on loopback: certificate pinning and CA checks, XenServer's TLS
// policy, HOST_IS_SLAVE redirects, session renewal, transient retries, Async tasks (success,
// failure, abort → cancel), transport failures that name the host, and secrets kept out of errors.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectXapi, decodeTaskResult, redirectUrl } from '../../providers/xenserver/client/xapi.js';
import { formatFingerprint, normaliseFingerprint, pemFingerprint } from '../../providers/common/tls.js';
import { TransportError, XapiError, type XapiEndpoint } from '../../providers/xenserver/client/types.js';
import {
  assertAbortWhileSilent,
  caSignedCert,
  closedPort,
  Fail,
  SeenMessages,
  selfSignedCert,
  startFakeXapi,
  tempDir,
  withSilentServer,
  writeTemp,
  type FakeXapi,
} from './xen-client-harness.js';

const PASSWORD = 'poolform-lab';
/** Every error message the tests saw: none may contain a password (checked at the end). */
const messages = new SeenMessages();
messages.checkAfterAll([PASSWORD, 'J0in-Secret', 'Ch4p-Secret', 'Wr0ng-Pa55'], 11);
const rejectsWith = messages.rejectsWith.bind(messages);

let fp = '';
function endpoint(server: FakeXapi, extra: Partial<XapiEndpoint> = {}): XapiEndpoint {
  return { url: server.url, username: 'root', password: PASSWORD, fingerprints: [fp], timeoutMs: 5000, ...extra };
}

before(async () => {
  fp = pemFingerprint((await selfSignedCert()).cert);
});

describe('fingerprints', () => {
  it('normalises the usual spellings and rejects the rest', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(normaliseFingerprint(hex.toUpperCase()), hex);
    assert.equal(normaliseFingerprint(`sha256:${formatFingerprint(hex)}`), hex);
    assert.equal(normaliseFingerprint(`SHA256 Fingerprint=${formatFingerprint(hex)}`), hex);
    assert.equal(normaliseFingerprint('ab'.repeat(20)), undefined, 'a SHA-1 fingerprint is not accepted');
    assert.equal(normaliseFingerprint('zz'.repeat(32)), undefined);
  });
});

describe('TLS trust', () => {
  let server: FakeXapi;
  before(async () => {
    server = await startFakeXapi();
    server.methods['host.get_all'] = () => ['OpaqueRef:h1'];
  });
  after(() => server.close());

  it('accepts a self-signed certificate whose fingerprint is pinned (any spelling), sends the step header and counts requests', async () => {
    const client = await connectXapi(endpoint(server, { fingerprints: ['00'.repeat(32), `sha256:${formatFingerprint(fp)}`] }), { followSlave: true });
    assert.equal(client.url, server.url);
    assert.deepEqual(await client.call('host.get_all', [], { step: 'xenserver_pool.main' }), ['OpaqueRef:h1']);
    assert.equal(client.requests, 2);
    const seen = server.calls.at(-1)!;
    assert.equal(seen.headers['x-poolform-step'], 'xenserver_pool.main');
    assert.match(String(seen.params[0]), /^OpaqueRef:session-/, 'the session ref is prepended');
    await client.logout();
    assert.equal(server.sessions.size, 0, 'logout ends the session');
  });

  it('refuses another certificate before sending anything, printing the fingerprint seen and the ones expected', async () => {
    const before = server.httpRequests;
    const wrong = 'ab'.repeat(32);
    const e = await rejectsWith(connectXapi(endpoint(server, { fingerprints: [wrong] }), { followSlave: true }), TransportError);
    assert.equal(e.kind, 'tls');
    assert.ok(e.message.includes(formatFingerprint(fp)), e.message);
    assert.ok(e.message.includes(formatFingerprint(wrong)), e.message);
    assert.match(e.message, /renewed.*tls_fingerprints/);
    assert.ok(e.message.includes(server.url), 'names the host');
    assert.equal(server.httpRequests, before, 'no HTTP request (hence no password) reached the host');
  });

  it('refuses a self-signed certificate without a pin, showing its fingerprint', async () => {
    const e = await rejectsWith(connectXapi(endpoint(server, { fingerprints: [] }), { followSlave: true }), TransportError);
    assert.equal(e.kind, 'tls');
    assert.match(e.message, /self-signed/);
    assert.ok(e.message.includes(formatFingerprint(fp)));
  });

  it('refuses a malformed pin before connecting', async () => {
    const e = await rejectsWith(connectXapi(endpoint(server, { fingerprints: ['not-a-fingerprint'] }), { followSlave: true }), TransportError);
    assert.equal(e.kind, 'tls');
    assert.match(e.message, /not a SHA-256/);
  });

  it('verifies a CA-signed certificate with ca_file (and its name), no pin needed', async () => {
    const { ca, leaf, otherName } = await caSignedCert();
    const signed = await startFakeXapi(leaf);
    const misnamed = await startFakeXapi(otherName);
    try {
      const caFile = writeTemp(tempDir(), 'ca.pem', ca.cert);
      const client = await connectXapi(endpoint(signed, { fingerprints: [], caFile }), { followSlave: true });
      await client.logout();
      // Signed by the same CA but for another name: refused.
      const e = await rejectsWith(connectXapi(endpoint(misnamed, { fingerprints: [], caFile }), { followSlave: true }), TransportError);
      assert.equal(e.kind, 'tls');
      assert.match(e.message, /issued for another name/);
      assert.equal(misnamed.httpRequests, 0);
      // Without the CA: the system store does not know it.
      const e2 = await rejectsWith(connectXapi(endpoint(signed, { fingerprints: [] }), { followSlave: true }), TransportError);
      assert.equal(e2.kind, 'tls');
      assert.match(e2.message, /not trusted \(signed by an unknown CA/);
      // A missing CA file is named.
      const e3 = await rejectsWith(connectXapi(endpoint(signed, { fingerprints: [], caFile: '/nonexistent/ca.pem' }), { followSlave: true }), TransportError);
      assert.match(e3.message, /cannot read ca_file \/nonexistent\/ca.pem/);
    } finally {
      await signed.close();
      await misnamed.close();
    }
  });

  it('speaks only TLS 1.2: a TLS-1.3-only server fails the handshake with a tls error', async () => {
    const modern = await startFakeXapi(undefined, { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
    try {
      const e = await rejectsWith(connectXapi(endpoint(modern), { followSlave: true }), TransportError);
      assert.equal(e.kind, 'tls');
      assert.ok(e.message.includes(modern.url));
      assert.match(e.message, /protocol version.*TLS 1\.2/);
    } finally {
      await modern.close();
    }
  });

  it('refuses a plain http:// url', async () => {
    const e = await rejectsWith(connectXapi(endpoint(server, { url: `http://127.0.0.1:${server.port}` }), { followSlave: true }), TransportError);
    assert.equal(e.kind, 'protocol');
  });
});

describe('login and sessions', () => {
  let coord: FakeXapi;
  let member: FakeXapi;
  before(async () => {
    coord = await startFakeXapi();
    member = await startFakeXapi();
    member.coordinator = `127.0.0.1:${coord.port}`;
    coord.methods['pool.get_all'] = () => ['OpaqueRef:pool'];
  });
  after(async () => {
    await coord.close();
    await member.close();
  });

  it('follows HOST_IS_SLAVE to the coordinator it names', async () => {
    const client = await connectXapi(endpoint(member), { followSlave: true });
    assert.equal(client.url, coord.url);
    assert.deepEqual(await client.call('pool.get_all'), ['OpaqueRef:pool']);
    assert.equal(client.requests, 3, 'login on the member, login on the coordinator, the call');
    await client.logout();
  });

  it('raises HOST_IS_SLAVE with the coordinator and a remedy when not following', async () => {
    const e = await rejectsWith(connectXapi(endpoint(member), { followSlave: false }), XapiError);
    assert.equal(e.code, 'HOST_IS_SLAVE');
    assert.deepEqual(e.params, [`127.0.0.1:${coord.port}`]);
    assert.equal(e.host, member.url);
    assert.equal(e.method, 'session.login_with_password');
    assert.ok(e.remedy && e.remedy.includes(`127.0.0.1:${coord.port}`));
  });

  it('stops on a redirect loop', async () => {
    const a = await startFakeXapi();
    const b = await startFakeXapi();
    try {
      a.coordinator = `127.0.0.1:${b.port}`;
      b.coordinator = `127.0.0.1:${a.port}`;
      const e = await rejectsWith(connectXapi(endpoint(a), { followSlave: true }), TransportError);
      assert.equal(e.kind, 'protocol');
      assert.match(e.message, /HOST_IS_SLAVE/);
      assert.equal(a.logins() + b.logins(), 2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('keeps the URL port when HOST_IS_SLAVE names a bare address; understands IPv6', () => {
    const cur = new URL('https://10.0.0.2:4443');
    assert.equal(redirectUrl(cur, '10.0.0.1').href, 'https://10.0.0.1:4443/');
    assert.equal(redirectUrl(cur, '10.0.0.1:443').href, 'https://10.0.0.1/');
    assert.equal(redirectUrl(cur, 'fd00::1').href, 'https://[fd00::1]:4443/');
    assert.equal(redirectUrl(cur, '[fd00::1]:8443').href, 'https://[fd00::1]:8443/');
    assert.equal(redirectUrl(new URL('https://xs2'), '10.0.0.1').href, 'https://10.0.0.1/');
  });

  it('reports wrong credentials with the remedy and without the password', async () => {
    coord.methods['never'] = () => '';
    const e = await rejectsWith(connectXapi(endpoint(coord, { password: 'Wr0ng-Pa55' }), { followSlave: true }), XapiError);
    assert.equal(e.code, 'SESSION_AUTHENTICATION_FAILED');
    assert.match(e.message, /check username\/password/i);
    assert.ok(!e.message.includes('Wr0ng-Pa55'));
  });

  it('logs in again once when the session expired, shared by concurrent calls', async () => {
    const client = await connectXapi(endpoint(coord), { followSlave: true });
    const logins = coord.logins();
    coord.expireSessions();
    const results = await Promise.all([client.call('pool.get_all'), client.call('pool.get_all'), client.call('pool.get_all')]);
    assert.deepEqual(results, [['OpaqueRef:pool'], ['OpaqueRef:pool'], ['OpaqueRef:pool']]);
    assert.equal(coord.logins(), logins + 1);
    await client.logout();
  });

  it('gives up after one re-login, with the session ref scrubbed from the message', async () => {
    const client = await connectXapi(endpoint(coord), { followSlave: true });
    coord.methods['VM.get_all'] = (_a, s) => {
      const ref = [...s.sessions].at(-1)!;
      s.expireSessions(); // every call finds its session gone
      throw new Fail('SESSION_INVALID', [ref]);
    };
    const logins = coord.logins();
    const e = await rejectsWith(client.call('VM.get_all'), XapiError);
    assert.equal(e.code, 'SESSION_INVALID');
    assert.equal(coord.logins(), logins + 1);
    assert.deepEqual(e.params, ['(session)']);
    assert.ok(!e.message.includes('OpaqueRef:session-'), e.message);
    await client.logout();
  });

  it('retries transient codes with backoff, then succeeds', async () => {
    let n = 0;
    coord.methods['host.get_all'] = () => {
      n++;
      if (n === 1) throw new Fail('TOO_MANY_PENDING_TASKS');
      if (n === 2) throw new Fail('OTHER_OPERATION_IN_PROGRESS', ['host', 'OpaqueRef:h', 'evacuate', 'OpaqueRef:t']);
      return ['OpaqueRef:h'];
    };
    const client = await connectXapi(endpoint(coord), { followSlave: true });
    assert.deepEqual(await client.call('host.get_all'), ['OpaqueRef:h']);
    assert.equal(n, 3);
    await client.logout();
  });

  it('stops retrying when aborted during the backoff', async () => {
    coord.methods['host.get_all'] = () => {
      throw new Fail('HOST_STILL_BOOTING');
    };
    const client = await connectXapi(endpoint(coord), { followSlave: true });
    const ac = new AbortController();
    const p = client.call('host.get_all', [], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    await client.logout();
  });

  it('raises non-transient errors at once with method, host, code, params and remedy', async () => {
    coord.methods['VDI.destroy'] = () => {
      throw new Fail('VDI_IN_USE', ['OpaqueRef:vdi1', 'destroy']);
    };
    const client = await connectXapi(endpoint(coord), { followSlave: true });
    const before = coord.count('VDI.destroy');
    const e = await rejectsWith(client.call('VDI.destroy', ['OpaqueRef:vdi1']), XapiError);
    assert.equal(coord.count('VDI.destroy') - before, 1);
    assert.equal(e.code, 'VDI_IN_USE');
    assert.deepEqual(e.params, ['OpaqueRef:vdi1', 'destroy']);
    assert.ok(e.message.startsWith(`VDI.destroy on ${coord.url} failed: VDI_IN_USE [OpaqueRef:vdi1, destroy]`), e.message);
    assert.match(e.message, /shut the VM down or detach/);
    await client.logout();
  });

  it('keeps passwords carried by a call out of its error, even when the host echoes them', async () => {
    coord.methods['pool.join'] = (args) => {
      throw new Fail('INTERNAL_ERROR', [`join ${String(args[0])} as ${String(args[1])} with ${String(args[2])} failed`]);
    };
    coord.methods['SR.create'] = (args) => {
      const dc = args[1] as Record<string, string>;
      throw new Fail('SR_BACKEND_FAILURE_68', ['', '', `login failed for chap secret ${dc.chappassword}`]);
    };
    const client = await connectXapi(endpoint(coord), { followSlave: true });
    const e = await rejectsWith(client.call('pool.join', ['10.0.0.1', 'root', 'J0in-Secret']), XapiError);
    assert.ok(!e.message.includes('J0in-Secret') && e.message.includes('********'), e.message);
    const e2 = await rejectsWith(client.call('SR.create', ['OpaqueRef:h', { target: '10.10.1.6', chappassword: 'Ch4p-Secret' }]), XapiError);
    assert.ok(!e2.message.includes('Ch4p-Secret'), e2.message);
    assert.match(e2.message, /CHAP/);
    await client.logout();
  });

  it('reports a non-JSON-RPC answer as a protocol error', async () => {
    const e = await rejectsWith(connectXapi(endpoint(coord, { url: `${coord.url}/nowhere` }), { followSlave: true }), TransportError);
    assert.equal(e.kind, 'protocol');
    assert.match(e.message, /HTTP 404/);
  });
});

describe('async tasks', () => {
  let server: FakeXapi;
  before(async () => {
    server = await startFakeXapi();
  });
  after(() => server.close());

  // The fake server knows no event.from (MESSAGE_METHOD_UNKNOWN): these tests run the polling
  // fallback; the lab test (xen-client-lab) runs the event path.
  it('reports the task at once, polls it to success when the host refuses event.from, decodes the result and destroys the task', async () => {
    server.asyncMethods['VM.clone'] = () => ({ polls: 3, result: '<value>OpaqueRef:vm&amp;1</value>' });
    const client = await connectXapi(endpoint(server), { followSlave: true });
    const seen: string[] = [];
    const result = await client.callAsync('VM.clone', ['OpaqueRef:t', 'copy'], {
      pollMs: 5,
      step: 'xenserver_vm_template.t',
      onTask: (ref) => seen.push(`${ref}:${server.tasks.get(ref)?.status}`),
    });
    assert.equal(result, 'OpaqueRef:vm&1');
    assert.equal(seen.length, 1);
    assert.match(seen[0], /^OpaqueRef:task-\d+:pending$/);
    assert.equal(server.count('event.from'), 1, 'tried once, then polled');
    assert.equal(server.count('task.get_record'), 4);
    await client.logout();
    assert.equal(server.count('task.destroy'), 1);
    assert.equal(server.tasks.size, 0);
    assert.ok(server.calls.filter((c) => c.method.startsWith('task.get')).every((c) => c.headers['x-poolform-step'] === 'xenserver_vm_template.t'));
  });

  it('rejects a failed task with its error_info as an XapiError', async () => {
    server.asyncMethods['pool.join'] = () => ({ polls: 1, error: ['JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS'] });
    const client = await connectXapi(endpoint(server), { followSlave: true });
    const e = await rejectsWith(client.callAsync('pool.join', ['10.0.0.1', 'root', 'J0in-Secret'], { pollMs: 5 }), XapiError);
    assert.equal(e.code, 'JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS');
    assert.equal(e.method, 'pool.join');
    assert.equal(e.host, server.url);
    assert.match(e.message, /detach and forget/);
    await client.logout();
  });

  it('retries a task that failed with a transient code', async () => {
    let n = 0;
    server.asyncMethods['host.evacuate'] = () => (++n === 1 ? { error: ['OTHER_OPERATION_IN_PROGRESS', 'host', 'h', 'x', 't'] } : { result: '' });
    const client = await connectXapi(endpoint(server), { followSlave: true });
    const tasks: string[] = [];
    assert.equal(await client.callAsync('host.evacuate', ['OpaqueRef:h'], { pollMs: 5, onTask: (t) => tasks.push(t) }), '');
    assert.equal(tasks.length, 2);
    await client.logout();
  });

  it('cancels the task on abort and rejects with an AbortError', async () => {
    server.asyncMethods['host.reboot'] = () => ({ polls: 1_000 });
    const client = await connectXapi(endpoint(server), { followSlave: true });
    const ac = new AbortController();
    let task = '';
    const p = client.callAsync('host.reboot', ['OpaqueRef:h'], {
      pollMs: 5,
      signal: ac.signal,
      onTask: (t) => {
        task = t;
        setTimeout(() => ac.abort(), 30);
      },
    });
    await assert.rejects(p, (e: Error) => e.name === 'AbortError');
    assert.equal(server.count('task.cancel'), 1);
    assert.equal(server.tasks.get(task)?.status, 'cancelled');
    await client.logout();
  });

  it('decodes task result XML', () => {
    assert.equal(decodeTaskResult(''), '');
    assert.equal(decodeTaskResult('<value/>'), '');
    assert.equal(decodeTaskResult('<value></value>'), '');
    assert.equal(decodeTaskResult('<value>OpaqueRef:1</value>'), 'OpaqueRef:1');
    assert.equal(decodeTaskResult('<value><string>a &lt;b&gt; &quot;c&quot; &#65;&#x42;</string></value>'), 'a <b> "c" AB');
    assert.equal(decodeTaskResult('<value>&amp;lt;</value>'), '&lt;', 'unescapes once');
    assert.equal(decodeTaskResult('<value><int>3</int></value>'), '3');
  });
});

describe('transport failures', () => {
  it('names the host and what to check when nothing listens', async () => {
    const port = await closedPort();
    const url = `https://127.0.0.1:${port}`;
    const e = await rejectsWith(connectXapi({ url, username: 'root', password: PASSWORD, fingerprints: [fp] }, { followSlave: true }), TransportError);
    assert.equal(e.kind, 'unreachable');
    assert.ok(e.message.includes(`127.0.0.1:${port}`));
    assert.match(e.message, /host up and the port reachable/);
  });

  it('times out on a host that accepts but never answers', () =>
    withSilentServer(async (port) => {
      const url = `https://127.0.0.1:${port}`;
      const e = await rejectsWith(connectXapi({ url, username: 'root', password: PASSWORD, fingerprints: [fp], timeoutMs: 200 }, { followSlave: true }), TransportError);
      assert.equal(e.kind, 'timeout');
      assert.ok(e.message.includes(url));
      assert.match(e.message, /session\.login_with_password.*host up and the port reachable/);
    }));

  it('an abort during login rejects with an AbortError', () =>
    assertAbortWhileSilent((port, signal) => connectXapi({ url: `https://127.0.0.1:${port}`, username: 'root', password: PASSWORD, fingerprints: [fp] }, { followSlave: true, signal })));
});
