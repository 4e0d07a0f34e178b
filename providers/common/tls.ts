// TLS to a platform's management API, shared by the XenServer and Proxmox clients: the two ways to
// trust a host (a pinned SHA-256 certificate fingerprint, how self-signed hosts are trusted, or
// ordinary CA verification, optionally against a ca_file bundle) and the socket that enforces them.
// Node's `checkServerIdentity` runs only after a chain verified, so it cannot accept a self-signed
// pinned certificate; instead the socket is opened with `rejectUnauthorized: false` and the
// decision is taken in `secureConnect`, which Node emits synchronously at the end of the
// handshake, before any queued request byte (a password, a token) is written.
// What differs per platform (protocol versions and suites, where an administrator reads the
// fingerprint, the attribute names of the configuration, the error class) is a `TlsPlatform`.

import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

export type TransportKind = 'unreachable' | 'timeout' | 'tls' | 'host-key' | 'auth' | 'protocol';

/** Builds the platform's transport error; `label` is the text naming the host in messages. */
export type MakeTransportError = (message: string, label: string, kind: TransportKind) => Error;

/** What a platform contributes to TLS connections and their messages. */
export interface TlsPlatform {
  /** The shell command an administrator runs on the host to read its certificate fingerprint. */
  fingerprintHint: string;
  /** The configuration attribute holding pins ("tls_fingerprints"), and the one holding a CA bundle ("ca_file"). */
  pinsAttribute: string;
  caAttribute: string;
  /** The configuration attribute holding the address (for the certificate-name hint), e.g. "url". */
  urlAttribute: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** OpenSSL cipher list; Node's default when absent. */
  ciphers?: string;
  makeError: MakeTransportError;
}

/**
 * The canonical form of a SHA-256 certificate fingerprint (64 lower-case hex digits), accepting an
 * optional "sha256:"/"SHA256 Fingerprint=" prefix, colons, spaces and any case; undefined when the
 * text is not a SHA-256 fingerprint.
 */
export function normaliseFingerprint(text: string): string | undefined {
  const body = text.trim().replace(/^sha-?256(\s+fingerprint)?\s*[:=]\s*/i, '');
  const hex = body.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** "AB:CD:..." (the way `openssl x509 -fingerprint -sha256` and `pvenode cert info` print it). */
export function formatFingerprint(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}

/** SHA-256 of a DER certificate, canonical hex. */
export function certificateFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** SHA-256 fingerprint of the first certificate in a PEM text (for tests and diagnostics). */
export function pemFingerprint(pem: string): string {
  return certificateFingerprint(new X509Certificate(pem).raw);
}

/** How a host's certificate is trusted, and by which platform's rules. */
export interface TrustPolicy {
  /** Canonical pinned fingerprints; empty = CA verification. */
  pins: string[];
  /** CA bundle (PEM) replacing the system store, when given. */
  ca?: string;
  caFile?: string;
  platform: TlsPlatform;
}

/**
 * Builds the trust policy of an endpoint; a malformed fingerprint or an unreadable CA file is
 * refused here (before any connection), as the platform's 'tls' error labelled `label` (default: the url).
 */
export function trustPolicy(
  endpoint: { url: string; fingerprints?: string[]; caFile?: string },
  platform: TlsPlatform,
  label: string = endpoint.url,
): TrustPolicy {
  const pins: string[] = [];
  for (const fp of endpoint.fingerprints ?? []) {
    const hex = normaliseFingerprint(fp);
    if (!hex) {
      throw platform.makeError(
        `${platform.pinsAttribute} entry "${fp}" is not a SHA-256 certificate fingerprint (64 hex digits, colons optional); ` +
          `read it on the host with: ${platform.fingerprintHint}`,
        label,
        'tls',
      );
    }
    pins.push(hex);
  }
  let ca: string | undefined;
  if (endpoint.caFile) {
    try {
      ca = readFileSync(endpoint.caFile, 'utf8');
    } catch (e) {
      throw platform.makeError(`cannot read ${platform.caAttribute} ${endpoint.caFile}: ${(e as Error).message}`, label, 'tls');
    }
  }
  return { pins, ca, caFile: endpoint.caFile, platform };
}

/**
 * Opens a TLS connection to host:port over a TCP socket with TCP_NODELAY, offering the platform's
 * protocols and suites, and enforcing `policy`: the socket is destroyed with the platform's error
 * (kind 'tls') when the certificate is not trusted. `label` names the host in messages.
 */
export function connectTls(host: string, port: number, policy: TrustPolicy, label: string): tls.TLSSocket {
  const { platform } = policy;
  const raw = net.connect({ host, port });
  raw.setNoDelay(true); // API calls are small request/answer pairs: Nagle only adds latency
  const sock = tls.connect({
    socket: raw,
    host, // checkServerIdentity checks the certificate against this name
    servername: net.isIP(host) ? undefined : host, // SNI does not carry IP addresses
    minVersion: platform.minVersion,
    maxVersion: platform.maxVersion,
    ciphers: platform.ciphers,
    ca: policy.ca,
    rejectUnauthorized: false, // decided below, so that pins work and the message can show the fingerprint
  });
  // Errors of the TCP socket before the TLS layer took it over (refused, unreachable) reach the caller too.
  raw.on('error', (err) => sock.destroy(err));
  sock.once('secureConnect', () => {
    const err = judgeCertificate(sock, policy, label);
    if (err) {
      sock.destroy(err);
      raw.destroy();
    }
  });
  return sock;
}

/** Whether `err` is a certificate judgement of connectTls (so callers pass it through unchanged). */
export function isTrustError(err: unknown): boolean {
  return err instanceof Error && judged.has(err);
}

const judged = new WeakSet<Error>();

function judgeCertificate(sock: tls.TLSSocket, policy: TrustPolicy, label: string): Error | undefined {
  const { platform } = policy;
  const cert = sock.getPeerCertificate(false);
  const seen = cert && cert.raw ? certificateFingerprint(cert.raw) : undefined;
  const seenText = seen ? formatFingerprint(seen) : '(no certificate)';
  let err: Error;
  if (policy.pins.length) {
    if (seen && policy.pins.includes(seen)) return undefined;
    err = platform.makeError(
      `TLS certificate of ${label} does not match ${platform.pinsAttribute}: the host presented SHA-256 ${seenText}, ` +
        `expected ${policy.pins.length > 1 ? 'one of ' : ''}${policy.pins.map(formatFingerprint).join(', ')}. Do not proceed unless you know why it changed: ` +
        `if the host's certificate was renewed, verify the new fingerprint on the host ` +
        `(${platform.fingerprintHint}) and update ${platform.pinsAttribute}`,
      label,
      'tls',
    );
  } else {
    if (sock.authorized) return undefined;
    const reason = String(sock.authorizationError ?? 'unknown verification error');
    const trustHint = policy.caFile ? `the CA bundle ${policy.caFile}` : 'the system CA store';
    err = platform.makeError(
      `TLS certificate of ${label} is not trusted (${describeVerifyError(reason)}; checked against ${trustHint}). ` +
        `Its SHA-256 fingerprint is ${seenText}: if the host uses a self-signed certificate, verify that fingerprint on the host ` +
        `(${platform.fingerprintHint}) and add it to ${platform.pinsAttribute}, ` +
        `or give ${platform.caAttribute} with the CA that signed it` +
        `${reason === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ` (or use in ${platform.urlAttribute} the name the certificate was issued for)` : ''}`,
      label,
      'tls',
    );
  }
  judged.add(err);
  return err;
}

function describeVerifyError(code: string): string {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return 'self-signed certificate';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return 'signed by an unknown CA';
    case 'CERT_HAS_EXPIRED':
      return 'certificate expired';
    case 'CERT_NOT_YET_VALID':
      return 'certificate not yet valid';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'certificate issued for another name';
    default:
      return code;
  }
}

/** "…:SSL routines:ssl3_read_bytes:tlsv1 alert protocol version:../deps/…" → "tlsv1 alert protocol version". */
export function opensslReason(message: string): string {
  const m = /SSL routines:[^:]*:([^:]+)/.exec(message);
  return m ? m[1] : message.split('\n')[0];
}
