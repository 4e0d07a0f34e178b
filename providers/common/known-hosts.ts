// OpenSSH known_hosts files: parsing and the strict host-key decision used by client/ssh.ts.
// Hand-written because ssh2 leaves host verification to the caller and the format is small:
// `[marker] patterns keytype base64key [comment]`, patterns being a comma list of names with
// `*`/`?` wildcards and `!` negation, `[host]:port` for ports other than 22, or one hashed name
// `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. Markers: @revoked (the key must never be
// accepted) and @cert-authority (a CA for certificate host keys, which this client does not use:
// skipped).

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  /** 1-based line number in the file. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** Plain patterns (lower-cased), or undefined for a hashed entry. */
  patterns?: string[];
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The key blob (SSH wire format, as the server sends it). */
  key: Buffer;
}

export interface KnownHostsParse {
  entries: KnownHostEntry[];
  /** Lines that could not be understood (skipped, like OpenSSH does). */
  problems: { line: number; message: string }[];
}

export function parseKnownHosts(text: string): KnownHostsParse {
  const entries: KnownHostEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const fields = trimmed.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else {
        problems.push({ line, message: `unknown marker ${m}` });
        return;
      }
    }
    if (fields.length < 3) {
      problems.push({ line, message: 'expected: hosts keytype key' });
      return;
    }
    const [hosts, keyType, b64] = fields;
    const key = decodeBase64Strict(b64);
    if (!key || blobKeyType(key) !== keyType) {
      problems.push({ line, message: `key is not a valid ${keyType} public key` });
      return;
    }
    const entry: KnownHostEntry = { line, marker, keyType, key };
    if (hosts.startsWith('|')) {
      const parts = hosts.split('|'); // ['', '1', salt, hash]
      const salt = parts.length === 4 && parts[1] === '1' ? decodeBase64Strict(parts[2]) : undefined;
      const hash = parts.length === 4 && parts[1] === '1' ? decodeBase64Strict(parts[3]) : undefined;
      if (!salt || !hash || hash.length !== 20) {
        problems.push({ line, message: 'malformed hashed host name (expected |1|salt|hash)' });
        return;
      }
      entry.hashed = { salt, hash };
    } else {
      entry.patterns = hosts.toLowerCase().split(',').filter((s) => s !== '');
    }
    entries.push(entry);
  });
  return { entries, problems };
}

/** The name OpenSSH looks up for a host: "host" on port 22, "[host]:port" otherwise. */
export function knownHostName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** A hashed host field for `name` (as `ssh-keygen -H` writes it); salt random unless given. */
export function hashHostName(name: string, salt: Buffer = randomBytes(20)): string {
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

/** Whether an entry's host field names `host` on `port`. */
export function entryMatches(entry: KnownHostEntry, host: string, port: number): boolean {
  const name = knownHostName(host, port);
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(name).digest();
    return timingSafeEqual(mac, entry.hashed.hash);
  }
  let matched = false;
  for (const pattern of entry.patterns ?? []) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false; // a negated match excludes the entry outright
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return re.test(text);
}

/** OpenSSH's fingerprint form: "SHA256:" + unpadded base64 of SHA-256 over the key blob. */
export function sshFingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** The key type named inside a key blob (its first SSH string), or undefined when malformed. */
export function blobKeyType(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || key.length < 4 + len) return undefined;
  return key.subarray(4, 4 + len).toString('latin1');
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownHostEntry }
  | { status: 'unknown' }
  | { status: 'revoked'; entry: KnownHostEntry }
  /** Known keys exist for the host but not this one: `known` are what the file holds. */
  | { status: 'changed'; known: KnownHostEntry[] };

/**
 * The strict decision for the key a server presented: revoked anywhere in the file → refuse (a
 * revoked key is refused whatever host line carries it); known for this host → accept; keys known
 * for the host but not this one → changed; nothing known → unknown.
 */
export function checkHostKey(entries: KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const known = entries.filter((e) => e.marker === undefined && entryMatches(e, host, port));
  const same = known.find((e) => e.key.equals(key));
  if (same) return { status: 'ok', entry: same };
  if (known.length) return { status: 'changed', known };
  return { status: 'unknown' };
}

/** Key types the file holds for a host (to prefer them in host-key negotiation, as OpenSSH does). */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const types = entries.filter((e) => e.marker === undefined && entryMatches(e, host, port)).map((e) => e.keyType);
  return [...new Set(types)];
}

function decodeBase64Strict(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const buf = Buffer.from(text, 'base64');
  return buf.length ? buf : undefined;
}
