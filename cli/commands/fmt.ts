// `poolform fmt`: canonical formatting of .hcl files (JSON files are left alone).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { formatHCL } from '../../engine/config/hcl/format.js';
import { parseArgs } from '../args.js';
import { printDiagnostics, useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';

function listFiles(target: string, recursive: boolean): string[] {
  const st = fs.statSync(target);
  if (st.isFile()) return [target];
  const out: string[] = [];
  for (const e of fs.readdirSync(target, { withFileTypes: true })) {
    const full = path.join(target, e.name);
    if (e.isDirectory() && recursive && !e.name.startsWith('.') && e.name !== 'node_modules') out.push(...listFiles(full, true));
    else if (e.isFile() && e.name.endsWith('.hcl')) out.push(full);
  }
  return out.sort();
}

/** A unified diff, as `terraform fmt -diff` prints it (the `diff` package does the work). */
function unifiedDiff(file: string, a: string, b: string): string {
  return createTwoFilesPatch(`old/${file}`, `new/${file}`, a, b, '', '').replace(/^=+\n/, '');
}

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { check: 'bool', diff: 'bool', list: 'bool', recursive: 'bool', write: 'bool', 'no-color': 'bool' });
  const color = useColor(p.flags);
  const targets = p.positional.length ? p.positional.map((t) => path.resolve(ctx.dir, t)) : [ctx.dir];
  const write = p.flags.write !== false && !p.flags.check;
  let unformatted = 0;
  let errors = false;
  for (const t of targets) {
    if (!fs.existsSync(t)) {
      process.stderr.write(`poolform fmt: ${t} does not exist\n`);
      return 1;
    }
    for (const file of listFiles(t, !!p.flags.recursive)) {
      const display = path.relative(ctx.cwd, file) || file;
      const src = fs.readFileSync(file, 'utf8');
      const { output, diags } = formatHCL(src, display);
      if (diags.hasErrors) {
        printDiagnostics(diags.list, new Map([[display, src]]), color);
        errors = true;
        continue;
      }
      if (output === src) continue;
      unformatted++;
      if (p.flags.list !== false) process.stdout.write(`${display}\n`);
      if (p.flags.diff) process.stdout.write(unifiedDiff(display, src, output));
      if (write) fs.writeFileSync(file, output);
    }
  }
  if (errors) return 2;
  if (p.flags.check && unformatted) return 3;
  return 0;
}
