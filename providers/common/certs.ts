// TLS identities of simulated hosts: a self-signed RSA-2048 / SHA-256 certificate per host (what a
// fresh XenServer or Proxmox install generates), made with the `selfsigned` package, and the SHA-256
// fingerprint clients pin. Certificates can be kept in a directory so a lab restarted from it keeps
// the same pins.

import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generate } from 'selfsigned';

export interface HostCertificate {
  /** PEM certificate. */
  cert: string;
  /** PEM private key. */
  key: string;
  /** SHA-256 of the DER certificate, upper-case hex pairs joined by colons. */
  fingerprint: string;
}

/** The SHA-256 fingerprint of a PEM certificate ("AB:CD:..."), the form XenCenter shows. */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** Lower-case hex without separators, for comparing fingerprints written in different styles. */
export function normalizeFingerprint(fp: string): string {
  return fp.replace(/^sha256:/i, '').replace(/[:\s]/g, '').toLowerCase();
}

/** A new self-signed certificate for a host named `name`, valid for `ips` and `name`. */
export async function generateHostCertificate(name: string, ips: string[] = ['127.0.0.1']): Promise<HostCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: name }, { type: 2, value: 'localhost' }, ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { cert: pems.cert, key: pems.private, fingerprint: certificateFingerprint(pems.cert) };
}

/** The certificate kept as `<dir>/<name>.crt` + `<name>.key`, generated and written on first use. */
export async function loadOrCreateHostCertificate(dir: string, name: string, ips?: string[]): Promise<HostCertificate> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    const cert = fs.readFileSync(certFile, 'utf8');
    return { cert, key: fs.readFileSync(keyFile, 'utf8'), fingerprint: certificateFingerprint(cert) };
  }
  const c = await generateHostCertificate(name, ips);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(keyFile, c.key, { mode: 0o600 });
  fs.writeFileSync(certFile, c.cert);
  return c;
}
