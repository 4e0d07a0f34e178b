// `poolform graph`: resources and their dependencies in DOT (like `terraform graph`).

import { Diagnostics } from '../../engine/diagnostics.js';
import { loadConfig } from '../../engine/config/load.js';
import { buildConfigGraph } from '../../engine/desired/graph.js';
import { Dag } from '../../engine/graph/dag.js';
import { toDot } from '../../engine/graph/dot.js';
import { parseArgs } from '../args.js';
import { printDiagnostics, useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { type: 'string', 'no-color': 'bool', 'draw-cycles': 'bool' });
  const diags = new Diagnostics();
  const config = loadConfig(ctx.dir, diags, ctx.cwd);
  const g = diags.hasErrors ? undefined : buildConfigGraph(config, diags);
  if (printDiagnostics(diags.list, config.sources, useColor(p.flags)) || !g) return 1;
  const kind = (p.flags.type as string | undefined) ?? 'config';
  const dag = new Dag();
  if (kind === 'full') {
    for (const id of g.dag.nodes()) if (!id.endsWith('#expand')) dag.addNode(id);
    for (const [a, b] of g.dag.edges()) if (!a.endsWith('#expand') && !b.endsWith('#expand')) dag.addDependency(a, b);
  } else {
    for (const [id, n] of g.nodes) if (n.kind === 'resource') dag.addNode(id);
    for (const [id, deps] of g.resourceDeps) for (const d of deps) dag.addDependency(id, d);
  }
  process.stdout.write(toDot(dag, {}));
  return 0;
}
