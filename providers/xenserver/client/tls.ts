// TLS for the XAPI client: XenServer's protocol policy (crypto-policy.ts), and the two ways to trust
// a host: a pinned certificate fingerprint (how self-signed hosts are trusted) or ordinary CA
// verification. Node's `checkServerIdentity` runs only after a chain verified, so it cannot accept a
// self-signed pinned certificate; instead the socket is opened with `rejectUnauthorized: false` and
// the decision is taken in `secureConnect`, which Node emits synchronously at the end of the
// handshake, before any queued request byte (the login password) is written.

import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { TLS_CIPHERS, TLS_MAX_VERSION, TLS_MIN_VERSION } from '../crypto-policy.js';
import { TransportError } from './types.js';

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

/** "AB:CD:..." (the way `openssl x509 -fingerprint -sha256` prints it). */
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

/** How a host's certificate is trusted. */
export interface TrustPolicy {
  /** Canonical pinned fingerprints; empty = CA verification. */
  pins: string[];
  /** CA bundle (PEM) replacing the system store, when given. */
  ca?: string;
  caFile?: string;
}

/** Builds the trust policy of an endpoint; a malformed fingerprint or unreadable CA file is refused here. */
export function trustPolicy(endpoint: { url: string; fingerprints?: string[]; caFile?: string }): TrustPolicy {
  const pins: string[] = [];
  for (const fp of endpoint.fingerprints ?? []) {
    const hex = normaliseFingerprint(fp);
    if (!hex) {
      throw new TransportError(
        `tls_fingerprints entry "${fp}" is not a SHA-256 certificate fingerprint (64 hex digits, colons optional); ` +
          `read it on the host with: openssl x509 -in /etc/xensource/xapi-ssl.pem -noout -fingerprint -sha256`,
        endpoint.url,
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
      throw new TransportError(`cannot read ca_file ${endpoint.caFile}: ${(e as Error).message}`, endpoint.url, 'tls');
    }
  }
  return { pins, ca, caFile: endpoint.caFile };
}

/**
 * Opens a TLS connection to host:port over a TCP socket with TCP_NODELAY, offering only XenServer's
 * protocol and suites, and enforcing `policy`: the socket is destroyed with a TransportError (kind
 * 'tls') when the certificate is not trusted. `label` names the host in messages (its URL).
 */
export function connectTls(host: string, port: number, policy: TrustPolicy, label: string): tls.TLSSocket {
  const raw = net.connect({ host, port });
  raw.setNoDelay(true); // XAPI calls are small request/answer pairs: Nagle only adds latency
  const sock = tls.connect({
    socket: raw,
    host, // checkServerIdentity checks the certificate against this name
    servername: net.isIP(host) ? undefined : host, // SNI does not carry IP addresses
    minVersion: TLS_MIN_VERSION,
    maxVersion: TLS_MAX_VERSION,
    ciphers: TLS_CIPHERS,
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

function judgeCertificate(sock: tls.TLSSocket, policy: TrustPolicy, label: string): TransportError | undefined {
  const cert = sock.getPeerCertificate(false);
  const seen = cert && cert.raw ? certificateFingerprint(cert.raw) : undefined;
  const seenText = seen ? formatFingerprint(seen) : '(no certificate)';
  if (policy.pins.length) {
    if (seen && policy.pins.includes(seen)) return undefined;
    return new TransportError(
      `TLS certificate of ${label} does not match tls_fingerprints: the host presented SHA-256 ${seenText}, ` +
        `expected one of ${policy.pins.map(formatFingerprint).join(', ')}. Do not proceed unless you know why it changed: ` +
        `if the host's certificate was renewed, verify the new fingerprint on the host ` +
        `(openssl x509 -in /etc/xensource/xapi-ssl.pem -noout -fingerprint -sha256) and update tls_fingerprints`,
      label,
      'tls',
    );
  }
  if (sock.authorized) return undefined;
  const reason = String(sock.authorizationError ?? 'unknown verification error');
  const trustHint = policy.caFile ? `the CA bundle ${policy.caFile}` : 'the system CA store';
  return new TransportError(
    `TLS certificate of ${label} is not trusted (${describeVerifyError(reason)}; checked against ${trustHint}). ` +
      `Its SHA-256 fingerprint is ${seenText}: if the host uses a self-signed certificate, verify that fingerprint on the host ` +
      `(openssl x509 -in /etc/xensource/xapi-ssl.pem -noout -fingerprint -sha256) and add it to tls_fingerprints, ` +
      `or give ca_file with the CA that signed it${reason === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ' (or use in url the name the certificate was issued for)' : ''}`,
    label,
    'tls',
  );
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
