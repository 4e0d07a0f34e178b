// The digest of an observed object, recorded in a saved plan so apply can tell whether anything
// moved since. Canonical text is Terraform's jsonencode form (sorted keys), from the function library.

import { createHash } from 'node:crypto';
import { jsonEncode } from '../lang/functions/json.js';
import type { Value } from '../lang/value.js';

export function digestOf(v: unknown): string {
  return createHash('sha256').update(jsonEncode(v as Value)).digest('hex').slice(0, 32);
}
