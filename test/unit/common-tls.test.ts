// providers/common/tls.ts with a made-up platform, on real loopback TLS sockets: the decision is
// taken before any application byte leaves the client, errors are the platform's own (class,
// attribute names, where to read the fingerprint), and the platform's protocol limits are applied.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { generateHostCertificate, type HostCertificate } from '../../providers/common/certs.js';
import {
  connectTls,
  formatFingerprint,
  isTrustError,
  normaliseFingerprint,
  pemFingerprint,
  trustPolicy,
  type TlsPlatform,
  type TransportKind,
} from '../../providers/common/tls.js';

class DemoError extends Error {
  constructor(
    message: string,
    readonly where: string,
    readonly kind: TransportKind,
  ) {
    super(message);
  }
}

const PLATFORM: TlsPlatform = {
  fingerprintHint: 'demo-cert --show',
  pinsAttribute: 'demo_pins',
  caAttribute: 'demo_ca',
  urlAttribute: 'demo_url',
  minVersion: 'TLSv1.2',
  makeError: (message, label, kind) => new DemoError(message, label, kind),
};

interface Server {
  port: number;
  received: number;
  close(): Promise<void>;
}

async function startEcho(cert: HostCertificate, opts: tls.TlsOptions = {}): Promise<Server> {
  const socks = new Set<Socket>();
  const state: Server = { port: 0, received: 0, close: async () => undefined };
  const server = tls.createServer({ key: cert.key, cert: cert.cert, ...opts }, (s) => {
    socks.add(s);
    s.on('data', (d: Buffer) => {
      state.received += d.length;
      s.write(d);
    });
    s.on('error', () => undefined);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of socks) s.destroy();
      server.close(() => r());
    });
  return state;
}

function exchange(sock: tls.TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    sock.write(text); // queued until the handshake ends: must never reach an untrusted server
    sock.once('data', (d: Buffer) => resolve(d.toString()));
    sock.once('error', reject);
  });
}

describe('common/tls', () => {
  let cert: HostCertificate;
  let server: Server;
  before(async () => {
    cert = await generateHostCertificate('demo-host');
    server = await startEcho(cert);
  });
  after(() => server.close());

  it('normalises and formats fingerprints', () => {
    const hex = pemFingerprint(cert.cert);
    assert.equal(formatFingerprint(hex), cert.fingerprint);
    assert.equal(normaliseFingerprint(cert.fingerprint), hex);
    assert.equal(normaliseFingerprint(`SHA256 Fingerprint=${cert.fingerprint.toLowerCase()}`), hex);
    assert.equal(normaliseFingerprint('sha256:' + hex.toUpperCase()), hex);
    assert.equal(normaliseFingerprint('AB:CD'), undefined);
  });

  it('talks to a host whose certificate matches a pin', async () => {
    const sock = connectTls('127.0.0.1', server.port, trustPolicy({ url: 'x', fingerprints: [cert.fingerprint] }, PLATFORM), 'demo1');
    assert.equal(await exchange(sock, 'hello'), 'hello');
    sock.destroy();
  });

  it('refuses a mismatch with the platform error before any byte is written', async () => {
    const before = server.received;
    const other = 'sha256:' + '0'.repeat(64);
    const sock = connectTls('127.0.0.1', server.port, trustPolicy({ url: 'x', fingerprints: [other] }, PLATFORM), 'demo1 (here)');
    const e = await exchange(sock, 'secret-bytes').then(
      () => assert.fail('should be refused'),
      (err: unknown) => err,
    );
    assert.ok(e instanceof DemoError);
    assert.ok(isTrustError(e));
    assert.equal(e.kind, 'tls');
    assert.equal(e.where, 'demo1 (here)');
    assert.match(e.message, /TLS certificate of demo1 \(here\) does not match demo_pins: the host presented SHA-256 /);
    assert.ok(e.message.includes(cert.fingerprint));
    assert.ok(e.message.includes(formatFingerprint('0'.repeat(64))));
    assert.match(e.message, /\(demo-cert --show\) and update demo_pins/);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.received, before, 'nothing reached the server');
  });

  it('without pins verifies with the CA bundle, naming the platform attributes when untrusted', async () => {
    const e = await exchange(connectTls('127.0.0.1', server.port, trustPolicy({ url: 'x' }, PLATFORM), 'demo2'), 'x').catch((err: unknown) => err);
    assert.ok(e instanceof DemoError && isTrustError(e));
    assert.match(e.message, /not trusted \(self-signed certificate; checked against the system CA store\).*add it to demo_pins, or give demo_ca/);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/common-tls-');
    writeFileSync(`${dir}/ca.pem`, cert.cert);
    const ok = connectTls('127.0.0.1', server.port, trustPolicy({ url: 'x', caFile: `${dir}/ca.pem` }, PLATFORM), 'demo2');
    assert.equal(await exchange(ok, 'ca'), 'ca');
    ok.destroy();
  });

  it('refuses malformed pins and unreadable CA files at policy time', () => {
    assert.throws(
      () => trustPolicy({ url: 'x', fingerprints: ['nope'] }, PLATFORM, 'demo3'),
      (e: unknown) => e instanceof DemoError && e.where === 'demo3' && /demo_pins entry "nope" is not a SHA-256.*demo-cert --show/.test(e.message),
    );
    assert.throws(() => trustPolicy({ url: 'x', caFile: '/nonexistent/ca' }, PLATFORM), (e: unknown) => e instanceof DemoError && /cannot read demo_ca \/nonexistent\/ca/.test(e.message));
  });

  it('applies the platform protocol limits (a TLS 1.3-only client and a TLS 1.2-only server do not meet)', async () => {
    const old = await startEcho(cert, { maxVersion: 'TLSv1.2' });
    try {
      const strict: TlsPlatform = { ...PLATFORM, minVersion: 'TLSv1.3' };
      const e = await exchange(connectTls('127.0.0.1', old.port, trustPolicy({ url: 'x', fingerprints: [cert.fingerprint] }, strict), 'demo4'), 'x').catch((err: unknown) => err);
      assert.ok(e instanceof Error);
      assert.ok(!isTrustError(e), 'a handshake failure, not a certificate judgement');
      assert.match(String((e as NodeJS.ErrnoException).code ?? e.message), /SSL|TLS|EPROTO|ECONNRESET/i);
    } finally {
      await old.close();
    }
  });
});
