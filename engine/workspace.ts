// A workspace is one configuration directory with its variables, providers and state: what every
// command that plans or applies starts from. Loading stops at the first phase with errors, so a
// broken file reports its syntax errors without a cascade of follow-on reference errors.

import * as path from 'node:path';
import { Diagnostics } from './diagnostics.js';
import { resourceTypes, type Config } from './config/model.js';
import { loadConfig } from './config/load.js';
import { collectVariables, type VarArg } from './config/vars.js';
import { buildConfigGraph, type ConfigGraph } from './desired/graph.js';
import { ProviderRegistry } from './registry.js';
import { LocalBackend, STATE_FILE_NAME } from './state/local.js';
import { poolformVersion } from './version.js';
import type { State } from './state/types.js';
import type { Value } from './lang/value.js';
import { EvalContext } from './desired/context.js';
import { checkBodies } from './desired/check.js';
import { SessionPool } from './sessions.js';
import type { ProviderContext } from './provider.js';
import { makePlan, observeState, type Observation, type PlanOptions } from './plan/planner.js';
import type { Plan } from './plan/types.js';

export interface WorkspaceOptions {
  dir: string;
  cwd: string;
  vars: VarArg[];
  env: NodeJS.ProcessEnv;
  /** Skip variables (commands that need no values: graph, state, fmt). */
  noVars?: boolean;
  statePath?: string;
  /** Values that win over every other source (a saved plan's variables). */
  preset?: Record<string, unknown>;
}

export interface Workspace {
  dir: string;
  cwd: string;
  config: Config;
  graph: ConfigGraph;
  rootVars: Record<string, Value>;
  registry: ProviderRegistry;
  backend: LocalBackend;
  version: string;
}

export function statePathFor(dir: string, override?: string): string {
  return override ? path.resolve(override) : path.join(dir, STATE_FILE_NAME);
}

/**
 * Loads a workspace. `sources` receives every file's text (also when loading fails) so errors can
 * show source excerpts.
 */
export async function openWorkspace(opts: WorkspaceOptions, diags: Diagnostics, sources?: Map<string, string>): Promise<Workspace | undefined> {
  const dir = path.resolve(opts.cwd, opts.dir);
  const config = loadConfig(dir, diags, opts.cwd);
  const share = () => {
    if (sources) for (const [k, v] of config.sources) sources.set(k, v);
  };
  if (diags.hasErrors) {
    share();
    return undefined;
  }
  const graph = buildConfigGraph(config, diags);
  const rootVars = opts.noVars ? {} : collectVariables(config.root, opts.vars, opts.env, opts.cwd, diags, config.sources, opts.preset);
  share();
  const registry = new ProviderRegistry();
  await registry.load(config.root, resourceTypes(config.root), diags);
  checkBodies(config.root, registry, diags);
  share();
  if (diags.hasErrors) return undefined;
  return {
    dir,
    cwd: opts.cwd,
    config,
    graph,
    rootVars,
    registry,
    backend: new LocalBackend(statePathFor(dir, opts.statePath)),
    version: poolformVersion(),
  };
}


export interface Planned {
  plan: Plan;
  ctx: EvalContext;
  sessions: SessionPool;
  observation: Observation;
}

/** Observes and plans. Errors are in `diags`; the plan is still returned for inspection. */
export async function planWorkspace(
  ws: Workspace,
  state: State,
  options: PlanOptions,
  pctx: ProviderContext,
  diags: Diagnostics,
): Promise<Planned> {
  // Make sure providers of objects only state knows (removed from the configuration) are loaded.
  await ws.registry.load(ws.config.root, state.resources.map((r) => ({ type: r.type })), diags);
  const ctx = new EvalContext(ws.config.root, ws.rootVars, diags, 'plan', ws.cwd);
  const sessions = new SessionPool(ctx, pctx);
  const observation = options.refresh
    ? await observeState(state, { registry: ws.registry, sessions, pctx, diags, config: ws.config })
    : { byAddress: new Map(), requests: 0 };
  const plan = await makePlan(
    { config: ws.config, graph: ws.graph, state, rootVars: ws.rootVars, registry: ws.registry, sessions, ctx, pctx, options, version: ws.version, diags },
    observation,
  );
  return { plan, ctx, sessions, observation };
}
