// SSH key material of simulated hosts, shared by the XenServer and Proxmox simulators: host keys
// (ed25519 + ecdsa-nistp256, as an installed host has both) kept in a lab directory so a restarted
// lab keeps its known_hosts pins, the known_hosts lines for them, and a client key pair the labs
// authorise for public-key logins. Keys are made with ssh2's keygen (OpenSSH private-key format).

import ssh2 from 'ssh2'; // CommonJS: named imports do not resolve under ESM
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const { utils } = ssh2;

/** A host's SSH host keys, private, in OpenSSH format. */
export interface SshHostKeys {
  ed25519: string;
  ecdsa: string;
}

/** A client key pair: the OpenSSH private key and its "ssh-ed25519 AAAA... comment" public line. */
export interface SshClientKey {
  privateKey: string;
  publicKey: string;
}

/**
 * Whether ssh2 can read a private key back. ssh2 1.17's keygen strips leading zero bytes of an
 * ed25519 public key, so about 1 key in 256 comes out malformed (mscdex/ssh2#1390) and fails here.
 */
function readable(privateKey: string): boolean {
  return !(utils.parseKey(privateKey) instanceof Error);
}

/** A new key pair's private key, drawn again until ssh2 can read it back. */
function generateKey(type: 'ed25519' | 'ecdsa', comment: string): string {
  for (;;) {
    const key = (type === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256, comment }) : utils.generateKeyPairSync('ed25519', { comment })).private;
    if (readable(key)) return key;
  }
}

export function generateSshHostKeys(comment = 'root@host'): SshHostKeys {
  return { ed25519: generateKey('ed25519', comment), ecdsa: generateKey('ecdsa', comment) };
}

/** The key in `file` when ssh2 can read it; otherwise a new one written there (mode 0600). */
function loadOrCreateKey(file: string, type: 'ed25519' | 'ecdsa', comment: string): string {
  const kept = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (kept !== undefined && readable(kept)) return kept;
  const key = generateKey(type, comment);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, key, { mode: 0o600 });
  return key;
}

/**
 * The keys kept as `<dir>/<name>.ssh_host_{ed25519,ecdsa}_key`, each generated and written when
 * missing, or when ssh2 cannot read it (one written malformed before the check above existed).
 */
export function loadOrCreateSshHostKeys(dir: string, name: string): SshHostKeys {
  const load = (type: 'ed25519' | 'ecdsa') => loadOrCreateKey(path.join(dir, `${name}.ssh_host_${type}_key`), type, `root@${name}`);
  return { ed25519: load('ed25519'), ecdsa: load('ecdsa') };
}

function parsed(privateKey: string) {
  const k = utils.parseKey(privateKey);
  if (k instanceof Error) throw k;
  return Array.isArray(k) ? k[0] : k;
}

/** "ssh-ed25519 AAAA..." for a known_hosts or authorized_keys line. */
export function publicKeyEntry(privateKey: string): string {
  const k = parsed(privateKey);
  return `${k.type} ${k.getPublicSSH().toString('base64')}`;
}

/** The public key blob (SSH wire format) of a private key. */
export function publicKeyBlob(privateKey: string): Buffer {
  return parsed(privateKey).getPublicSSH() as Buffer;
}

/** OpenSSH's fingerprint form of a private key's public half: "SHA256:<base64 without padding>". */
export function privateKeyFingerprint(privateKey: string): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob(privateKey)).digest('base64').replace(/=+$/, '')}`;
}

/** known_hosts lines for one host reached at host:port (OpenSSH writes "[host]:port" for non-22 ports). */
export function knownHostsLines(host: string, port: number, keys: SshHostKeys): string[] {
  const who = port === 22 ? host : `[${host}]:${port}`;
  return [publicKeyEntry(keys.ed25519), publicKeyEntry(keys.ecdsa)].map((e) => `${who} ${e}`);
}

/** An ed25519 client key pair (new). */
export function generateSshClientKey(comment: string): SshClientKey {
  const privateKey = generateKey('ed25519', comment);
  return { privateKey, publicKey: `${publicKeyEntry(privateKey)} ${comment}` };
}

/** The client key kept as `file` (private, 0600) and `file.pub`, generated when missing. */
export function loadOrCreateSshClientKey(file: string, comment: string): SshClientKey {
  const privateKey = loadOrCreateKey(file, 'ed25519', comment);
  const publicKey = `${publicKeyEntry(privateKey)} ${comment}`;
  fs.writeFileSync(`${file}.pub`, publicKey + '\n');
  return { privateKey, publicKey };
}
