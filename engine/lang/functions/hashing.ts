// Hash and UUID functions. Hashes are of the string's UTF-8 bytes, hex or base64 as Terraform
// prints them. uuid() is random, so like Terraform (which leaves it unknown until apply) it
// returns an unknown string; uuidv5() is deterministic and computed here.

import { createHash } from 'node:crypto';
import type { FunctionDef } from './types.js';
import { Unknown } from '../value.js';
import { callError, str, toStr } from './args.js';

function hash(algorithm: string, encoding: 'hex' | 'base64'): FunctionDef {
  return {
    params: [str('str')],
    impl: ([s]) => createHash(algorithm).update(toStr(s, 0, 'str'), 'utf8').digest(encoding),
  };
}

const NAMESPACES: Record<string, string> = {
  dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
  url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
  oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
  x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
};

/** The 16 bytes of a UUID in any of the forms Go's uuid.Parse accepts, or an error reason. */
function parseUuid(s: string): Buffer | string {
  let t = s;
  switch (t.length) {
    case 36:
      break;
    case 38:
      if (t[0] !== '{' || t[37] !== '}') return 'invalid UUID format';
      t = t.slice(1, 37);
      break;
    case 45:
      if (t.slice(0, 9).toLowerCase() !== 'urn:uuid:') return 'invalid UUID format';
      t = t.slice(9);
      break;
    case 32:
      if (!/^[0-9a-fA-F]{32}$/.test(t)) return 'invalid UUID format';
      return Buffer.from(t, 'hex');
    default:
      return `invalid UUID length: ${s.length}`;
  }
  if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(t)) return 'invalid UUID format';
  return Buffer.from(t.replace(/-/g, ''), 'hex');
}

export function uuidV5(namespace: Buffer, name: string): string {
  const d = createHash('sha1').update(namespace).update(name, 'utf8').digest().subarray(0, 16);
  d[6] = (d[6] & 0x0f) | 0x50;
  d[8] = (d[8] & 0x3f) | 0x80;
  const h = d.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const HASHING_FUNCTIONS: Record<string, FunctionDef> = {
  md5: hash('md5', 'hex'),
  sha1: hash('sha1', 'hex'),
  sha256: hash('sha256', 'hex'),
  sha512: hash('sha512', 'hex'),
  base64sha256: hash('sha256', 'base64'),
  base64sha512: hash('sha512', 'base64'),
  // A fresh random value on every call: Terraform shows it as known only after apply.
  uuid: { params: [], impl: () => new Unknown('string') },
  uuidv5: {
    params: [str('namespace'), str('name')],
    impl: ([nsV, nameV]) => {
      const ns = toStr(nsV, 0, 'namespace');
      const parsed = parseUuid(NAMESPACES[ns] ?? ns);
      if (typeof parsed === 'string') throw callError(`uuidv5() doesn't support namespace ${ns} (${parsed})`);
      return uuidV5(parsed, toStr(nameV, 1, 'name'));
    },
  },
};
