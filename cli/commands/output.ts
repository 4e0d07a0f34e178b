// `poolform output [NAME]`: the root outputs recorded in state. Sensitive ones are stored as digests only.

import { renderOutputs } from '../../engine/render/text.js';
import { LocalBackend } from '../../engine/state/local.js';
import { statePathFor } from '../../engine/workspace.js';
import { nearestName } from '../../engine/diagnostics.js';
import { parseArgs } from '../args.js';
import { useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { json: 'bool', raw: 'bool', 'no-color': 'bool', state: 'string' });
  const color = useColor(p.flags);
  const state = await new LocalBackend(statePathFor(ctx.dir, p.flags.state as string | undefined)).read();
  const outputs = state?.outputs ?? {};
  const name = p.positional[0];
  if (name) {
    const o = outputs[name];
    if (!o) {
      const near = nearestName(name, Object.keys(outputs));
      process.stderr.write(`Error: Output "${name}" not found${near ? `; did you mean "${near}"?` : ''}\n\nThe state has ${Object.keys(outputs).length ? `the outputs ${Object.keys(outputs).join(', ')}` : 'no outputs'}. Apply the configuration to record them.\n`);
      return 1;
    }
    if (o.sensitive) {
      if (p.flags.json || p.flags.raw) {
        process.stderr.write(`Error: Output "${name}" is sensitive\n\npoolform never stores secrets, so the value is not in the state. Read it from where it comes from (its variable or the platform).\n`);
        return 1;
      }
      process.stdout.write('(sensitive value)\n');
      return 0;
    }
    if (p.flags.raw) {
      if (typeof o.value === 'object' && o.value !== null) {
        process.stderr.write(`Error: Output "${name}" is not a string, number or bool; use -json.\n`);
        return 1;
      }
      process.stdout.write(String(o.value));
      return 0;
    }
    process.stdout.write((p.flags.json ? JSON.stringify(o.value) : renderOutputs({ [name]: o }, { color }).replace(/^\S+\s*=\s*/, '')) + '\n');
    return 0;
  }
  if (p.flags.json) {
    const out: Record<string, unknown> = {};
    for (const [k, o] of Object.entries(outputs)) out[k] = { sensitive: o.sensitive, value: o.sensitive ? null : o.value };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  }
  if (!Object.keys(outputs).length) {
    process.stderr.write('Warning: No outputs found in the state.\n');
    return 0;
  }
  process.stdout.write(renderOutputs(outputs, { color }) + '\n');
  return 0;
}
