// Secrets never reach state or plans. Where poolform must still tell whether a secret changed,
// it keeps a salted digest instead (salted with the state's lineage, so equal secrets in two
// states don't share a digest).

import { createHash } from 'node:crypto';

const PREFIX = 'sensitive:sha256:';

export function secretDigest(value: unknown, salt: string): string {
  return PREFIX + createHash('sha256').update(salt).update('\0').update(JSON.stringify(value ?? null)).digest('hex');
}

export function isSecretDigest(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(PREFIX);
}
