// The built-in function library: every category's functions under Terraform's names.
//
// Errors: an impl throws FunctionError(reason, arg). With `arg` it is Terraform's "Invalid
// function argument" (`Invalid value for "<param>" parameter: <reason>.`, underlining that
// argument); without, "Error in function call" (`Call to function "<name>" failed: <reason>.`).
// The evaluator words both (describeFunctionError in ../eval.ts). `try` and `can` are not here:
// they take unevaluated expressions, so the evaluator implements them itself.

import type { FunctionDef } from './types.js';
import { STRING_FUNCTIONS } from './strings.js';
import { COLLECTION_FUNCTIONS } from './collections.js';
import { NUMERIC_FUNCTIONS } from './numeric.js';
import { CONVERSION_FUNCTIONS } from './conversion.js';
import { ENCODING_FUNCTIONS } from './encoding.js';
import { FILESYSTEM_FUNCTIONS } from './filesystem.js';
import { HASHING_FUNCTIONS } from './hashing.js';
import { NETWORK_FUNCTIONS } from './network.js';
import { DATETIME_FUNCTIONS } from './datetime.js';

function assemble(): Record<string, FunctionDef> {
  // No prototype: a configuration calling "toString" or "constructor" must not find anything.
  const all = Object.create(null) as Record<string, FunctionDef>;
  const groups = [
    STRING_FUNCTIONS,
    COLLECTION_FUNCTIONS,
    NUMERIC_FUNCTIONS,
    CONVERSION_FUNCTIONS,
    ENCODING_FUNCTIONS,
    FILESYSTEM_FUNCTIONS,
    HASHING_FUNCTIONS,
    NETWORK_FUNCTIONS,
    DATETIME_FUNCTIONS,
  ];
  for (const group of groups) {
    for (const name of Object.keys(group)) {
      if (name in all) throw new Error(`function ${name} defined twice`);
      all[name] = group[name];
    }
  }
  return all;
}

export const FUNCTIONS: Record<string, FunctionDef> = assemble();
