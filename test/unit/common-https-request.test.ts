// providers/common/https-request.ts on a real loopback HTTPS server with a pinned certificate: the
// whole answer whatever its status, the step header, one onSend per request sent, timeout and
// abort as the caller's errors, and which failures are ConnectionResets (stale keep-alive socket
// or reset mid-request) as opposed to connect failures; plus the socket-error classification.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { ConnectionReset, HttpsOrigin, socketFailure, type HttpsRequest } from '../../providers/common/https-request.js';
import { pemFingerprint, trustPolicy, type TlsPlatform, type TrustPolicy } from '../../providers/common/tls.js';
import { closedPort, selfSignedCert } from './xen-client-harness.js';

class DemoError extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message);
  }
}

const PLATFORM: TlsPlatform = {
  fingerprintHint: 'demo-cert --show',
  pinsAttribute: 'demo_pins',
  caAttribute: 'demo_ca',
  urlAttribute: 'demo_url',
  makeError: (message, _label, kind) => new DemoError(message, kind),
};

type Act = 'answer' | 'destroy' | 'silent';

describe('HttpsOrigin', () => {
  let server: https.Server;
  let port: number;
  let policy: TrustPolicy;
  const sockets = new Set<Socket>();
  const seen: { path: string; step: string | undefined; socket: Socket }[] = [];
  let next: Act[] = [];

  before(async () => {
    const pem = await selfSignedCert();
    server = https.createServer({ key: pem.key, cert: pem.cert, keepAliveTimeout: 60_000 }, (req, res) => {
      seen.push({ path: req.url ?? '', step: req.headers['x-poolform-step'] as string | undefined, socket: req.socket });
      req.resume();
      const act = next.shift() ?? 'answer';
      if (act === 'destroy') req.socket.destroy();
      else if (act === 'answer') res.writeHead(418, 'Teapot', { 'content-type': 'text/plain' }).end(`you asked ${req.method} ${req.url}`);
    });
    server.on('secureConnection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    policy = trustPolicy({ url: `https://127.0.0.1:${port}`, fingerprints: [pemFingerprint(pem.cert)] }, PLATFORM);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const request = (extra: Partial<HttpsRequest> = {}): HttpsRequest => ({
    method: 'GET',
    path: '/x',
    headers: {},
    timeoutMs: 5000,
    timeoutError: () => new DemoError('no answer in time', 'timeout'),
    describeError: (err) => new DemoError(`described ${err.code ?? err.message}`, 'unreachable'),
    ...extra,
  });

  it('collects the answer whatever its status, sends the step header and counts each request sent', async () => {
    const origin = new HttpsOrigin('127.0.0.1', port, policy, 'demo');
    let sent = 0;
    try {
      const ans = await origin.request(request({ path: '/a?b=1', step: 'vm["web é"]', onSend: () => sent++ }));
      assert.deepEqual(ans, { status: 418, reason: 'Teapot', body: 'you asked GET /a?b=1' });
      assert.equal(seen.at(-1)?.step, encodeURIComponent('vm["web é"]'));
      await origin.request(request({ step: 'vm["web"]', onSend: () => sent++ }));
      assert.equal(seen.at(-1)?.step, 'vm["web"]');
      assert.equal(seen.at(-1)?.socket, seen.at(-2)?.socket, 'the keep-alive socket is reused');
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(origin.request(request({ signal: ac.signal, onSend: () => sent++ })), (e: Error) => e.name === 'AbortError');
      assert.equal(sent, 2, 'an already aborted request is not sent');
    } finally {
      origin.close();
    }
  });

  it('a reset on a reused socket is a stale ConnectionReset; on a fresh one it is not stale', async () => {
    const origin = new HttpsOrigin('127.0.0.1', port, policy, 'demo');
    try {
      await origin.request(request());
      next = ['destroy'];
      const stale = await origin.request(request()).catch((e: unknown) => e);
      assert.ok(stale instanceof ConnectionReset, String(stale));
      assert.equal(stale.stale, true);
      assert.match(stale.error.message, /^described ECONNRESET$/);
      next = ['destroy'];
      const fresh = await origin.request(request()).catch((e: unknown) => e);
      assert.ok(fresh instanceof ConnectionReset, String(fresh));
      assert.equal(fresh.stale, false);
    } finally {
      next = [];
      origin.close();
    }
  });

  it('a connect failure is the described error; silence is the timeout error; abort is the signal reason', async () => {
    const closed = await closedPort();
    const refused = new HttpsOrigin('127.0.0.1', closed, policy, 'demo');
    const e = await refused.request(request()).catch((x: unknown) => x);
    assert.ok(e instanceof DemoError && !(e instanceof ConnectionReset));
    assert.equal(e.message, 'described ECONNREFUSED');
    refused.close();

    const origin = new HttpsOrigin('127.0.0.1', port, policy, 'demo');
    try {
      next = ['silent'];
      await assert.rejects(origin.request(request({ timeoutMs: 50 })), (x: Error) => x instanceof DemoError && x.kind === 'timeout');
      next = ['silent'];
      const ac = new AbortController();
      const p = origin.request(request({ signal: ac.signal }));
      setTimeout(() => ac.abort(new Error('stop now')), 30);
      await assert.rejects(p, /^Error: stop now$/);
    } finally {
      next = [];
      origin.close();
    }
  });

  it('an untrusted certificate is the judgement of common/tls.ts, not a reset', async () => {
    const wrong = trustPolicy({ url: 'x', fingerprints: ['00'.repeat(32)] }, PLATFORM);
    const origin = new HttpsOrigin('127.0.0.1', port, wrong, 'demo');
    const before = seen.length;
    try {
      const e = await origin.request(request()).catch((x: unknown) => x);
      assert.ok(e instanceof DemoError, String(e));
      assert.equal(e.kind, 'unreachable', 'passed to describeError, which the clients use to pass it through');
      assert.equal(seen.length, before, 'nothing reached the server');
    } finally {
      origin.close();
    }
  });
});

describe('socketFailure', () => {
  it('classifies socket errors by code, and TLS failures by code or message', () => {
    const err = (code: string | undefined, message = 'x'): NodeJS.ErrnoException => Object.assign(new Error(message), { code });
    assert.equal(socketFailure(err('ECONNREFUSED')), 'refused');
    assert.equal(socketFailure(err('EAI_AGAIN')), 'unresolved');
    assert.equal(socketFailure(err('EHOSTDOWN')), 'no-route');
    assert.equal(socketFailure(err('ETIMEDOUT')), 'timeout');
    assert.equal(socketFailure(err('EPIPE')), 'reset');
    assert.equal(socketFailure(err('ERR_SSL_WRONG_VERSION_NUMBER')), 'tls');
    assert.equal(socketFailure(err(undefined, 'tlsv1 alert protocol version')), 'tls');
    assert.equal(socketFailure(err('EMFILE', 'too many open files')), 'other');
  });
});
