// `poolform apply [PLANFILE]` and `poolform destroy`. With a saved plan, applies exactly that plan
// or refuses, naming what moved since it was made: configuration files, state, observed objects.

import { Diagnostics } from '../../engine/diagnostics.js';
import { changesState, planHasChanges, type Plan } from '../../engine/plan/types.js';
import { planWorkspace, type Workspace } from '../../engine/workspace.js';
import { EvalContext } from '../../engine/desired/context.js';
import { SessionPool } from '../../engine/sessions.js';
import { observeState } from '../../engine/plan/planner.js';
import { digestOf } from '../../engine/plan/digest.js';
import { secretDigest } from '../../engine/plan/secrets.js';
import { applyPlan } from '../../engine/apply/apply.js';
import { createProgress } from '../../engine/apply/progress.js';
import { renderPlanText } from '../../engine/render/text.js';
import { deepUnmark, unmark } from '../../engine/lang/value.js';
import type { State } from '../../engine/state/types.js';
import { parseArgs } from '../args.js';
import { PLAN_FLAGS, currentState, interruptible, open, providerContext, reportAndFail, withLock } from '../common.js';
import { confirm, useColor } from '../io.js';
import { changedFiles, configFileDigests, readPlanFile } from '../planfile.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { ...PLAN_FLAGS, 'auto-approve': 'bool' });
  const color = useColor(p.flags);
  const destroy = ctx.name === 'destroy' || !!p.flags.destroy;
  const planPath = p.positional[0];
  if (p.positional.length > 1) throw new Error(`apply takes at most one saved plan file; got ${p.positional.join(' ')}`);
  const diags = new Diagnostics();
  let saved: ReturnType<typeof readPlanFile> | undefined;
  if (planPath) {
    saved = readPlanFile(planPath);
    if (p.ordered.some((o) => o.name === 'var')) throw new Error('-var cannot be used with a saved plan: the plan holds the values it was made with.');
  }
  const preset: Record<string, unknown> = {};
  if (saved) for (const [name, v] of Object.entries(saved.plan.variables)) if (!v.sensitive) preset[name] = v.value;
  const ws = await open(ctx, p, diags, false, preset);
  if (!ws) {
    reportAndFail(diags, ws, color);
    return 1;
  }
  const intr = interruptible();
  try {
    return await withLock(ws, p, destroy ? 'destroy' : 'apply', async () => {
      const state = await currentState(ws, true, saved?.plan.state_lineage);
      const pctx = providerContext(ws.dir, intr.abort);
      let plan: Plan;
      if (saved) {
        const refusal = await checkSavedPlan(ws, saved, state, pctx, diags);
        if (reportAndFail(diags, ws, color)) return 1;
        if (refusal.length) {
          process.stderr.write(`\nError: Saved plan is stale\n\nThe saved plan ${planPath} no longer matches what is there, so applying it would not do what was reviewed:\n${refusal.map((r) => `  - ${r}`).join('\n')}\n\nMake a new plan.\n`);
          return 1;
        }
        plan = saved.plan;
      } else {
        const planned = await planWorkspace(
          ws,
          state,
          { destroy, refresh: p.flags.refresh !== false, targets: (p.flags.target as string[]) ?? [], replace: (p.flags.replace as string[]) ?? [] },
          pctx,
          diags,
        );
        await planned.sessions.closeAll();
        if (reportAndFail(diags, ws, color)) return 1;
        plan = planned.plan;
        process.stdout.write(renderPlanText(plan, { color }));
        if (!planHasChanges(plan)) return 0;
        if (!p.flags['auto-approve']) {
          const q = destroy ? '\nDo you really want to destroy all resources?\n  Only \'yes\' will be accepted to confirm.\n\n  Enter a value: ' : '\nDo you want to perform these actions?\n  Only \'yes\' will be accepted to approve.\n\n  Enter a value: ';
          const yes = await confirm(q);
          if (yes === undefined) {
            process.stderr.write('\nError: No confirmation possible\n\nThere is no terminal to ask for confirmation. Run with -auto-approve, or apply a saved plan.\n');
            return 1;
          }
          if (!yes) {
            process.stderr.write('\nApply cancelled.\n');
            return 1;
          }
        }
      }
      return execute(ws, plan, state, p.flags.parallelism as number | undefined, intr, color, diags);
    });
  } finally {
    intr.dispose();
  }
}

async function execute(ws: Workspace, plan: Plan, state: State, parallelism: number | undefined, intr: { stop: AbortSignal; abort: AbortSignal }, color: boolean, diags: Diagnostics): Promise<number> {
  const actionable = plan.changes.filter((c) => c.action !== 'noop' || changesState(c));
  process.stdout.write('\n');
  const progress = await createProgress({ stream: process.stdout, color, total: actionable.length, title: plan.destroy ? 'Destroying' : 'Applying' });
  const ctx = new EvalContext(ws.config.root, ws.rootVars, diags, 'apply', ws.cwd);
  const pctx = providerContext(ws.dir, intr.abort);
  const sessions = new SessionPool(ctx, pctx);
  const journal = await ws.backend.openJournal(state);
  let result;
  try {
    result = await applyPlan({ plan, config: ws.config, graph: ws.graph, ctx, registry: ws.registry, sessions, pctx, state, journal, parallelism: parallelism ?? 10, signal: intr.stop, progress, diags });
  } finally {
    progress.stop();
    await journal.commit();
    await sessions.closeAll();
  }
  const s = result.summary;
  const { added, changed, destroyed, imported } = result.counts;
  const failed = s.failed.length;
  const errorDiags = diags.list.filter((d) => d.severity === 'error');
  if (errorDiags.length) reportAndFail(diags, ws, color);
  for (const f of result.errors) process.stderr.write(`\nError: ${f.address}: ${f.message}\n`);
  const parts = [`${imported ? `${imported} imported, ` : ''}${added} added, ${changed} changed, ${destroyed} destroyed`];
  if (failed) parts.push(`${failed} failed`);
  if (s.skipped.length) parts.push(`${s.skipped.length} skipped because a dependency failed`);
  if (s.interrupted) parts.push(`${s.notStarted.length} not started (interrupted)`);
  const ok = !failed && !s.interrupted && !errorDiags.length;
  process.stdout.write(`\n${ok ? (plan.destroy ? 'Destroy complete!' : 'Apply complete!') : 'Apply incomplete.'} Resources: ${parts.join('; ')}.\n`);
  if (!ok) process.stdout.write('State holds every step that finished. Run poolform plan to see what remains.\n');
  return ok ? 0 : 1;
}

/** Everything that makes a saved plan stale, in words. Empty when the plan still holds. */
async function checkSavedPlan(ws: Workspace, saved: ReturnType<typeof readPlanFile>, state: State, pctx: ReturnType<typeof providerContext>, diags: Diagnostics): Promise<string[]> {
  const plan = saved.plan;
  const out: string[] = [];
  if (plan.config_hash !== ws.config.hash) {
    const files = changedFiles(saved.config_files ?? {}, configFileDigests(ws.config));
    out.push(`the configuration changed since the plan was made${files.length ? `: ${files.join(', ')}` : ''}`);
  }
  if (plan.state_serial === 0 && state.serial > 0) out.push(`the state changed since the plan was made (serial 0 then, ${state.serial} now)`);
  else if (plan.state_lineage !== state.lineage) out.push(`the state is a different one (lineage ${state.lineage}, the plan was made against ${plan.state_lineage})`);
  else if (plan.state_serial !== state.serial) out.push(`the state changed since the plan was made (serial ${plan.state_serial} then, ${state.serial} now)`);
  for (const [name, v] of Object.entries(plan.variables)) {
    const now = ws.rootVars[name];
    if (now === undefined) continue;
    const plain = deepUnmark(unmark(now).value).value;
    if (v.sensitive) {
      if (v.value !== secretDigest(plain, plan.state_lineage)) out.push(`sensitive variable "${name}" has a different value now than when the plan was made`);
    }
  }
  if (out.length) return out;
  if (plan.refresh) {
    const ctx = new EvalContext(ws.config.root, ws.rootVars, diags, 'plan', ws.cwd);
    const sessions = new SessionPool(ctx, pctx);
    await ws.registry.load(ws.config.root, state.resources.map((r) => ({ type: r.type })), diags);
    const obs = await observeState(state, { registry: ws.registry, sessions, pctx, diags, config: ws.config });
    await sessions.closeAll();
    for (const r of state.resources) {
      const was = plan.observed_digests[r.address];
      if (was === undefined) continue;
      const o = obs.byAddress.get(r.address);
      const now = digestOf(o === undefined ? r.attributes : o);
      if (now !== was) out.push(`${r.address} changed on the platform since the plan was made${o === null ? ' (it is gone)' : ''}`);
    }
  }
  return out;
}
