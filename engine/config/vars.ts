// Input variables of the root module: gathered from every source in Terraform's order of
// precedence (later wins): POOLFORM_VAR_<name> environment variables, *.auto.vars.hcl files (in
// name order), then -var-file and -var options as given on the command line. Then converted to
// their declared types, defaulted, and validated.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Diagnostics, nearestName, type Range } from '../diagnostics.js';
import type { Module } from './model.js';
import { parseExpression } from './hcl/parser.js';
import { justAttributes } from './hcl/content.js';
import { parseFile } from './load.js';
import { evaluate } from '../lang/eval.js';
import { valuesScope, NO_FUNCTION_CONTEXT } from '../lang/scope.js';
import { convert } from '../lang/convert.js';
import { typeConstraintString } from '../lang/types.js';
import { FUNCTIONS } from '../lang/functions/index.js';
import { Unknown, isUnknown, markSensitive, unmark, type Value } from '../lang/value.js';
import type { Expr } from './hcl/ast.js';

export type VarArg = { kind: 'var'; text: string } | { kind: 'file'; path: string };

interface Raw {
  value?: Value; // already a value (typed source)
  text?: string; // a -var / env string, interpreted by the declared type
  expr?: Expr;
  range?: Range;
  source: string; // for messages
}

const EMPTY_SCOPE = valuesScope({}, {}, NO_FUNCTION_CONTEXT);

export function collectVariables(
  root: Module,
  args: VarArg[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  diags: Diagnostics,
  sources: Map<string, string>,
  preset: Record<string, unknown> = {},
): Record<string, Value> {
  const raw = new Map<string, Raw>();
  const declared = root.variables;

  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('POOLFORM_VAR_') || v === undefined) continue;
    const name = k.slice('POOLFORM_VAR_'.length);
    if (declared.has(name)) raw.set(name, { text: v, source: `environment variable ${k}` });
  }

  const readVarFile = (file: string, display: string, undeclared: 'warning' | 'error') => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      diags.error(`Cannot read variables file ${display}`, undefined, (e as Error).message);
      return;
    }
    sources.set(display, text);
    const local = new Diagnostics();
    const f = parseFile(display, text, local);
    if (!local.hasErrors) {
      for (const attr of justAttributes(f.body, local).values()) {
        if (!declared.has(attr.name)) {
          const msg = `A variable named "${attr.name}" is set in ${display} but not declared in the configuration.`;
          const near = nearestName(attr.name, declared.keys());
          if (undeclared === 'error') local.error('Value for undeclared variable', attr.nameRange, msg, near);
          else local.list.push({ severity: 'warning', summary: 'Value for undeclared variable', detail: msg, range: attr.nameRange, suggestion: near });
          continue;
        }
        raw.set(attr.name, { expr: attr.expr, range: attr.expr.range, source: display });
      }
    }
    diags.add(local);
  };

  let autos: string[] = [];
  try {
    autos = fs.readdirSync(root.dir).filter((n) => /\.auto\.vars\.hcl(\.json)?$/.test(n)).sort();
  } catch {
    // the directory was reported already
  }
  for (const n of autos) readVarFile(path.join(root.dir, n), path.relative(cwd, path.join(root.dir, n)) || n, 'warning');

  for (const a of args) {
    if (a.kind === 'file') {
      const full = path.resolve(cwd, a.path);
      readVarFile(full, a.path, 'warning');
      continue;
    }
    const eq = a.text.indexOf('=');
    if (eq <= 0) {
      diags.error('Invalid -var option', undefined, `The option -var="${a.text}" must be in the form -var='NAME=VALUE'.`);
      continue;
    }
    const name = a.text.slice(0, eq);
    if (!declared.has(name)) {
      diags.error('Value for undeclared variable', undefined, `A variable named "${name}" was given with -var, but no such variable is declared in the root module.`, nearestName(name, declared.keys()));
      continue;
    }
    raw.set(name, { text: a.text.slice(eq + 1), source: `-var "${name}"` });
  }

  for (const [name, value] of Object.entries(preset)) if (declared.has(name)) raw.set(name, { value: value as Value, source: 'the saved plan' });

  const values: Record<string, Value> = {};
  for (const v of declared.values()) {
    const r = raw.get(v.name);
    let value: Value;
    let where: Range | undefined = r?.range;
    if (r) {
      if (r.expr) value = evaluate(r.expr, EMPTY_SCOPE, diags);
      else if (r.text !== undefined) {
        // As Terraform: an untyped or string variable takes the text as it is; any other type constraint parses it as an expression.
        if (!v.type || v.type.kind === 'string') value = r.text;
        else {
          const local = new Diagnostics();
          const e = parseExpression(r.text, r.source, local);
          value = local.hasErrors ? new Unknown() : evaluate(e, valuesScope({}, FUNCTIONS, NO_FUNCTION_CONTEXT), local);
          if (local.hasErrors) diags.error(`Invalid value for variable "${v.name}"`, v.range, `The value from ${r.source} is not a valid expression: ${local.errors[0].summary}${local.errors[0].detail ? ` (${local.errors[0].detail})` : ''}.`);
        }
      } else value = r.value ?? null;
    } else if (v.default) {
      value = evaluate(v.default, EMPTY_SCOPE, diags);
      where = v.default.range;
    } else {
      diags.error('No value for required variable', v.range, `The root module variable "${v.name}" has no default, so it must be set: with -var '${v.name}=...', a -var-file, a *.auto.vars.hcl file, or the environment variable POOLFORM_VAR_${v.name}.`);
      continue;
    }
    if (value === null && !v.nullable) {
      if (v.default) value = evaluate(v.default, EMPTY_SCOPE, diags);
      else diags.error('Required variable not set', where ?? v.range, `Variable "${v.name}" is not nullable, and null was given${r ? ` by ${r.source}` : ''}.`);
    }
    if (v.type && !isUnknown(value)) {
      const c = convert(value, v.type);
      if ('error' in c) {
        diags.error(`Invalid value for variable "${v.name}"`, where ?? v.range, `The value${r ? ` from ${r.source}` : ''} is not a ${typeConstraintString(v.type)}: ${c.error}${c.path.length ? ` (at ${c.path.join('.')})` : ''}.`);
        continue;
      }
      value = c.value;
    }
    for (const val of v.validations) {
      const scope = valuesScope({ var: { [v.name]: value } }, FUNCTIONS, NO_FUNCTION_CONTEXT);
      const ok = unmark(evaluate(val.condition, scope, diags)).value;
      if (ok === false) {
        const msg = val.errorMessage ? unmark(evaluate(val.errorMessage, scope, diags)).value : undefined;
        diags.error('Invalid value for variable', where ?? v.range, `${typeof msg === 'string' ? msg : `The validation of variable "${v.name}" failed.`}\n\nThis was checked by the validation rule at ${val.range.file}:${val.range.start.line}.`);
      }
    }
    values[v.name] = v.sensitive ? markSensitive(value) : value;
  }
  return values;
}
