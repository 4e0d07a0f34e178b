// Parameters on the Proxmox wire: GET/DELETE carry them in the query string, POST/PUT as an
// application/x-www-form-urlencoded body; booleans travel as 0/1, an array repeats its key, an
// undefined value is left out. Hand-written rather than URLSearchParams because that encodes a
// space as "+", which a decoder that does not treat "+" specially would keep; %20 is read the same
// by every decoder.

import type { Params } from './types.js';

/** "a=1&b=x%20y&c=1&c=2" for { a: true, b: 'x y', c: ['1', '2'] }; '' when nothing is set. */
export function encodeParams(params: Params | undefined): string {
  if (!params) return '';
  const parts: string[] = [];
  const add = (k: string, v: string): void => {
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  };
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) add(key, v);
    else if (typeof value === 'boolean') add(key, value ? '1' : '0');
    else add(key, String(value));
  }
  return parts.join('&');
}

/** The values of parameters that must never appear in a message (passwords, secrets, keys). */
export function secretValues(params: Params | undefined): string[] {
  if (!params) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (!/pass|secret|keyring|token|^key$|private/i.test(key) || value === undefined || typeof value === 'boolean') continue;
    for (const v of Array.isArray(value) ? value : [String(value)]) if (v.length >= 3) out.push(v);
  }
  return out;
}
