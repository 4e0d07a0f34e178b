// `poolform plan`: observe, diff, print. Writes nothing but the plan file asked for with -out.

import { Diagnostics } from '../../engine/diagnostics.js';
import { planHasChanges } from '../../engine/plan/types.js';
import { planWorkspace } from '../../engine/workspace.js';
import { renderPlanText } from '../../engine/render/text.js';
import { renderPlanJSON } from '../../engine/render/json.js';
import { renderPlanMarkdown } from '../../engine/render/markdown.js';
import { parseArgs } from '../args.js';
import { PLAN_FLAGS, currentState, open, providerContext, reportAndFail, withLock } from '../common.js';
import { useColor } from '../io.js';
import { writePlanFile } from '../planfile.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { ...PLAN_FLAGS, out: 'string', 'detailed-exitcode': 'bool', json: 'bool', markdown: 'bool' });
  const color = useColor(p.flags);
  const diags = new Diagnostics();
  const ws = await open(ctx, p, diags);
  if (!ws) {
    reportAndFail(diags, ws, color);
    return 1;
  }
  const ac = new AbortController();
  const result = await withLock(ws, p, 'plan', async () => {
    const state = await currentState(ws, false);
    const planned = await planWorkspace(
      ws,
      state,
      {
        destroy: !!p.flags.destroy,
        refresh: p.flags.refresh !== false,
        targets: (p.flags.target as string[]) ?? [],
        replace: (p.flags.replace as string[]) ?? [],
      },
      providerContext(ws.dir, ac.signal),
      diags,
    );
    await planned.sessions.closeAll();
    return { planned, state };
  });
  if (reportAndFail(diags, ws, color)) return 1;
  const plan = result.planned.plan;
  if (p.flags.json) process.stdout.write(JSON.stringify(renderPlanJSON(plan, { priorState: result.state })) + '\n');
  else if (p.flags.markdown) process.stdout.write(renderPlanMarkdown(plan, {}));
  else process.stdout.write(renderPlanText(plan, { color }));
  if (p.flags.out) {
    writePlanFile(p.flags.out as string, plan, ws.config);
    if (!p.flags.json) process.stdout.write(`\nSaved the plan to: ${p.flags.out}\n\nTo perform exactly these actions, run:\n    poolform apply ${p.flags.out}\n`);
  }
  if (p.flags['detailed-exitcode']) return planHasChanges(plan) ? 2 : 0;
  return 0;
}
