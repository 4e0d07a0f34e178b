// Command-line flags in Terraform's style: `-name=value`, `-name value`, `--name`, and repeatable
// flags (-var, -target). Unknown flags are errors that name the nearest known flag.

import { nearestName } from '../engine/diagnostics.js';

export type FlagKind = 'bool' | 'string' | 'multi' | 'int';
export type FlagSpec = Record<string, FlagKind>;

export interface Parsed {
  flags: Record<string, string | boolean | string[] | number | undefined>;
  /** -var and -var-file in the order given (precedence). */
  ordered: { name: string; value: string }[];
  positional: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], spec: FlagSpec): Parsed {
  const out: Parsed = { flags: {}, ordered: [], positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positional.push(a);
      continue;
    }
    const body = a.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const kind = spec[name];
    if (!kind) {
      const near = nearestName(name, Object.keys(spec));
      throw new UsageError(`unknown flag -${name}${near ? ` (did you mean -${near}?)` : ''}`);
    }
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (kind === 'bool') {
      out.flags[name] = value === undefined ? true : !/^(false|0|no)$/i.test(value);
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`flag -${name} needs a value`);
      value = argv[++i];
    }
    if (kind === 'multi') {
      const list = (out.flags[name] as string[] | undefined) ?? [];
      list.push(value);
      out.flags[name] = list;
      out.ordered.push({ name, value });
    } else if (kind === 'int') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`flag -${name} takes a whole number, got "${value}"`);
      out.flags[name] = n;
    } else out.flags[name] = value;
  }
  return out;
}

/** "10s", "2m", "500ms", "0" → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`flag -${flag} takes a duration such as 10s or 2m, got "${text}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60000 : 3600000));
}
