// known_hosts parsing and the strict host-key verdict: plain names, comma lists, wildcards and
// negation, [host]:port, hashed |1|salt|hash names (checked against an independent HMAC and, when
// installed, against ssh-keygen itself), markers, comments and malformed lines.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import {
  checkHostKey,
  entryMatches,
  hashHostName,
  knownHostName,
  knownKeyTypes,
  parseKnownHosts,
  sshFingerprint,
} from '../../providers/common/known-hosts.js';
import { tempDir, writeTemp } from './xen-client-harness.js';

const ed = (): string => ssh2.utils.generateKeyPairSync('ed25519').public.trim();
const ec = (): string => ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 }).public.trim();
/** "type base64 comment" → "type base64" and the blob. */
const keyOf = (line: string): { text: string; blob: Buffer; type: string } => {
  const [type, b64] = line.split(/\s+/);
  return { text: `${type} ${b64}`, blob: Buffer.from(b64, 'base64'), type };
};
const hasSshKeygen = (() => {
  try {
    execFileSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as { status?: number }).status !== undefined && (e as { code?: string }).code !== 'ENOENT';
  }
})();

describe('known_hosts parsing', () => {
  const a = keyOf(ed());
  const b = keyOf(ec());
  const c = keyOf(ed());
  const salt = randomBytes(20);
  const independentHash = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.9]:2222').digest('base64')}`;
  const text = [
    '# lab hosts',
    '',
    `xs1,10.0.0.1 ${a.text} root@xs1`,
    `  [10.0.0.2]:2222 ${b.text}`,
    `${independentHash} ${c.text}`,
    `*.lab,!xs3.lab ${a.text}`,
    `@revoked * ${b.text}`,
    `@cert-authority *.example ${c.text}`,
    `@bogus xs9 ${a.text}`,
    `xs8 ssh-ed25519`,
    `xs7 ssh-ed25519 ${b.text.split(' ')[1]}`, // key type field disagrees with the blob
    `|1|bad|hash ${a.text}`,
  ].join('\n');
  const parsed = parseKnownHosts(text);

  it('reads entries with their line numbers and markers, and reports what it skipped', () => {
    assert.deepEqual(
      parsed.entries.map((e) => [e.line, e.marker ?? '', e.keyType]),
      [
        [3, '', 'ssh-ed25519'],
        [4, '', 'ecdsa-sha2-nistp256'],
        [5, '', 'ssh-ed25519'],
        [6, '', 'ssh-ed25519'],
        [7, 'revoked', 'ecdsa-sha2-nistp256'],
        [8, 'cert-authority', 'ssh-ed25519'],
      ],
    );
    assert.deepEqual(
      parsed.problems.map((p) => p.line),
      [9, 10, 11, 12],
    );
    assert.match(parsed.problems[0].message, /unknown marker @bogus/);
  });

  it('matches plain names, comma lists and [host]:port only on their port', () => {
    const [plain, bracketed] = parsed.entries;
    assert.ok(entryMatches(plain, 'xs1', 22));
    assert.ok(entryMatches(plain, '10.0.0.1', 22));
    assert.ok(entryMatches(plain, 'XS1', 22), 'host names are case-insensitive');
    assert.ok(!entryMatches(plain, '10.0.0.1', 2222), 'a plain name means port 22');
    assert.ok(entryMatches(bracketed, '10.0.0.2', 2222));
    assert.ok(!entryMatches(bracketed, '10.0.0.2', 22));
    assert.equal(knownHostName('10.0.0.2', 2222), '[10.0.0.2]:2222');
    assert.equal(knownHostName('Xs1', 22), 'xs1');
  });

  it('matches hashed names by HMAC-SHA1 of the looked-up name', () => {
    const hashed = parsed.entries[2];
    assert.ok(hashed.hashed && !hashed.patterns);
    assert.ok(entryMatches(hashed, '10.0.0.9', 2222));
    assert.ok(!entryMatches(hashed, '10.0.0.9', 22));
    assert.ok(!entryMatches(hashed, '10.0.0.19', 2222));
    const mine = parseKnownHosts(`${hashHostName('xs4')} ${a.text}`).entries[0];
    assert.ok(entryMatches(mine, 'xs4', 22) && !entryMatches(mine, 'xs5', 22));
  });

  it('honours wildcards and negation', () => {
    const wild = parsed.entries[3];
    assert.ok(entryMatches(wild, 'xs2.lab', 22));
    assert.ok(!entryMatches(wild, 'xs3.lab', 22), 'a negated pattern excludes the host');
    assert.ok(!entryMatches(wild, 'lab', 22));
  });

  it('judges keys strictly: ok, changed, unknown, revoked; cert-authority lines are not host keys', () => {
    const { entries } = parsed;
    assert.equal(checkHostKey(entries, 'xs1', 22, a.blob).status, 'ok');
    const changed = checkHostKey(entries, 'xs1', 22, c.blob);
    assert.equal(changed.status, 'changed');
    assert.deepEqual(changed.status === 'changed' && changed.known.map((e) => e.line), [3]);
    assert.equal(checkHostKey(entries, 'nowhere', 22, a.blob).status, 'unknown');
    assert.equal(checkHostKey(entries, 'xs.example', 22, c.blob).status, 'unknown', '@cert-authority does not vouch for a plain key');
    const revoked = checkHostKey(entries, '10.0.0.2', 2222, b.blob);
    assert.equal(revoked.status, 'revoked', 'a revoked key is refused even where it is listed');
    assert.deepEqual(knownKeyTypes(entries, '10.0.0.2', 2222), ['ecdsa-sha2-nistp256']);
  });

  it('prints fingerprints as OpenSSH does (SHA256:unpadded base64)', () => {
    const expected = 'SHA256:' + createHash('sha256').update(a.blob).digest('base64').replace(/=+$/, '');
    assert.equal(sshFingerprint(a.blob), expected);
    assert.equal(sshFingerprint(a.blob).length, 'SHA256:'.length + 43);
  });
});

describe('known_hosts against ssh-keygen', { skip: !hasSshKeygen && 'ssh-keygen not installed' }, () => {
  it('understands the hashed entries ssh-keygen -H writes, for port 22 and [host]:port', () => {
    const dir = tempDir();
    const k1 = keyOf(ed());
    const k2 = keyOf(ec());
    const file = writeTemp(dir, 'known_hosts', `xs1.lab ${k1.text}\n[127.0.0.1]:2200 ${k2.text}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
    const { entries, problems } = parseKnownHosts(readFileSync(file, 'utf8'));
    assert.equal(problems.length, 0);
    assert.ok(entries.every((e) => e.hashed));
    assert.equal(checkHostKey(entries, 'xs1.lab', 22, k1.blob).status, 'ok');
    assert.equal(checkHostKey(entries, '127.0.0.1', 2200, k2.blob).status, 'ok');
    assert.equal(checkHostKey(entries, '127.0.0.1', 22, k2.blob).status, 'unknown');
  });

  it('computes the fingerprint ssh-keygen -l prints', () => {
    const dir = tempDir();
    const k = keyOf(ed());
    const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', writeTemp(dir, 'k.pub', `${k.text} test\n`)], { encoding: 'utf8' });
    assert.equal(out.split(/\s+/)[1], sshFingerprint(k.blob));
  });
});
