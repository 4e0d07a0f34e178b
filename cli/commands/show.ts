// `poolform show [PLANFILE]`: a saved plan, or the state.

import * as path from 'node:path';
import { renderPlanText, renderStateResource, renderOutputs } from '../../engine/render/text.js';
import { renderPlanJSON } from '../../engine/render/json.js';
import { renderPlanMarkdown } from '../../engine/render/markdown.js';
import { LocalBackend } from '../../engine/state/local.js';
import { statePathFor } from '../../engine/workspace.js';
import { parseArgs } from '../args.js';
import { useColor } from '../io.js';
import { readPlanFile } from '../planfile.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { json: 'bool', markdown: 'bool', 'no-color': 'bool', state: 'string' });
  const color = useColor(p.flags);
  if (p.positional[0]) {
    const saved = readPlanFile(path.resolve(ctx.cwd, p.positional[0]));
    if (p.flags.json) process.stdout.write(JSON.stringify(renderPlanJSON(saved.plan, {})) + '\n');
    else if (p.flags.markdown) process.stdout.write(renderPlanMarkdown(saved.plan, {}));
    else process.stdout.write(renderPlanText(saved.plan, { color }));
    return 0;
  }
  const backend = new LocalBackend(statePathFor(ctx.dir, p.flags.state as string | undefined));
  const state = await backend.read();
  if (p.flags.json) {
    process.stdout.write(JSON.stringify(state ? { format_version: '1.0', poolform_version: state.poolform_version, values: { outputs: state.outputs, root_module: { resources: state.resources.map((r) => ({ address: r.address, mode: r.mode, type: r.type, provider_name: r.provider, values: r.attributes, sensitive_values: Object.fromEntries((r.sensitivePaths ?? []).map((sp) => [String(sp[0]), true])) })) } } } : { format_version: '1.0' }) + '\n');
    return 0;
  }
  if (!state || state.resources.length === 0) {
    process.stdout.write('The state is empty: poolform manages nothing here yet.\n');
    return 0;
  }
  for (const r of state.resources) process.stdout.write(renderStateResource(r, { color }) + '\n');
  if (Object.keys(state.outputs).length) process.stdout.write('\nOutputs:\n\n' + renderOutputs(state.outputs, { color }) + '\n');
  return 0;
}
