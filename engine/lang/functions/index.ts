// The built-in function library: every category's functions under Terraform's names.
//
// Errors: an impl throws FunctionError(reason, arg). With `arg` it is Terraform's "Invalid
// function argument" (`Invalid value for "<param>" parameter: <reason>.`, underlining that
// argument); without, "Error in function call" (`Call to function "<name>" failed: <reason>.`).
// describeFunctionError() spells out both. `try` and `can` are special forms the evaluator
// implements (they need unevaluated expressions); FUNCTION_NAMES lists them for suggestions.

import type { FunctionDef } from './types.js';
import { FunctionError } from './types.js';
import { withPeriod } from './args.js';
import { STRING_FUNCTIONS } from './strings.js';
import { COLLECTION_FUNCTIONS } from './collections.js';
import { NUMERIC_FUNCTIONS } from './numeric.js';
import { CONVERSION_FUNCTIONS } from './conversion.js';
import { ENCODING_FUNCTIONS } from './encoding.js';
import { FILESYSTEM_FUNCTIONS } from './filesystem.js';
import { HASHING_FUNCTIONS } from './hashing.js';
import { NETWORK_FUNCTIONS } from './network.js';
import { DATETIME_FUNCTIONS } from './datetime.js';

export const SPECIAL_FORMS: readonly string[] = ['try', 'can'];

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

/** Every callable name, sorted, including the special forms, for "did you mean" suggestions. */
export const FUNCTION_NAMES: string[] = [...Object.keys(FUNCTIONS), ...SPECIAL_FORMS].sort();

/** A function by name; Terraform 1.8+ also accepts built-ins as `core::name`. */
export function lookupFunction(name: string): FunctionDef | undefined {
  return FUNCTIONS[name.startsWith('core::') ? name.slice(6) : name];
}

/** Terraform's diagnostic summary and detail for a FunctionError thrown by FUNCTIONS[name].impl. */
export function describeFunctionError(name: string, def: FunctionDef, err: FunctionError): { summary: string; detail: string } {
  if (err.arg !== undefined) {
    const spec = err.arg < def.params.length ? def.params[err.arg] : def.variadic;
    return { summary: 'Invalid function argument', detail: `Invalid value for "${spec?.name ?? 'args'}" parameter: ${withPeriod(err.message)}` };
  }
  return { summary: 'Error in function call', detail: `Call to function "${name}" failed: ${withPeriod(err.message)}` };
}
