// Canonical JSON (sorted keys) and its digest: what a saved plan records of each observed object,
// so apply can tell whether anything moved since the plan was made.

import { createHash } from 'node:crypto';

export function canonicalJSON(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJSON).join(',')}]`;
  if (typeof v === 'object') {
    const keys = Object.keys(v as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJSON((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function digestOf(v: unknown): string {
  return createHash('sha256').update(canonicalJSON(v)).digest('hex').slice(0, 32);
}
