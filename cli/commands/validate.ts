// `poolform validate`: syntax, references, types and schemas; no platform, no state, no variable values.

import { Diagnostics } from '../../engine/diagnostics.js';
import { validateWorkspace } from '../../engine/desired/validate.js';
import { parseArgs } from '../args.js';
import { open, reportAndFail } from '../common.js';
import { useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { json: 'bool', 'no-color': 'bool', var: 'multi', 'var-file': 'multi' });
  const color = useColor(p.flags);
  const diags = new Diagnostics();
  const ws = await open(ctx, p, diags, true);
  if (ws) validateWorkspace(ws, diags);
  if (p.flags.json) {
    const errs = diags.list.filter((d) => d.severity === 'error');
    process.stdout.write(JSON.stringify({ format_version: '1.0', valid: errs.length === 0, error_count: errs.length, warning_count: diags.list.length - errs.length, diagnostics: diags.list }, null, 2) + '\n');
    return errs.length ? 1 : 0;
  }
  if (reportAndFail(diags, ws, color)) return 1;
  process.stdout.write('Success! The configuration is valid.\n');
  return 0;
}
