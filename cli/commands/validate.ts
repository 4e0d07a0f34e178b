// `poolform validate`: syntax, references, types and schemas; no platform, no state.

import { Diagnostics } from '../../engine/diagnostics.js';
import { EvalContext } from '../../engine/desired/context.js';
import { evaluateInstance, initRegistry, registerInstance } from '../../engine/desired/instance.js';
import { Unknown } from '../../engine/lang/value.js';
import { parseArgs } from '../args.js';
import { open, reportAndFail } from '../common.js';
import { useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { json: 'bool', 'no-color': 'bool', var: 'multi', 'var-file': 'multi' });
  const color = useColor(p.flags);
  const diags = new Diagnostics();
  const ws = await open(ctx, p, diags, color, true);
  if (ws && !diags.hasErrors) {
    // Evaluate every resource body once with unknown variables: checks names and static types.
    const vars: Record<string, Unknown> = {};
    for (const v of ws.config.root.variables.keys()) vars[v] = new Unknown();
    const ectx = new EvalContext(ws.config.root, vars, diags, 'plan', ws.cwd);
    for (const id of ws.graph.order) {
      const n = ws.graph.nodes.get(id);
      if (n?.kind !== 'resource') continue;
      const schema = ws.registry.schema(n.res.type);
      if (!schema || (schema.kind === 'data') !== (n.res.mode === 'data')) {
        ws.registry.unknownType(n.res.type, n.res.mode, n.res.range, diags);
        continue;
      }
      const mi = ectx.instancesOf(n.mod)[0] ?? ectx.root;
      initRegistry(mi, n.res, 'single');
      const exp = { kind: 'single' as const, keys: [undefined] };
      const scope = n.res.count ? { ...exp, kind: 'count' as const, keys: [0] } : n.res.forEach ? { kind: 'each' as const, keys: ['k'], eachValues: new Map([['k', new Unknown()]]) } : exp;
      const v = evaluateInstance(ectx, mi, n.res, schema, scope, scope.keys[0], true, diags);
      registerInstance(mi, n.res, 'single', undefined, n.res.count ? [new Unknown()] : n.res.forEach ? new Unknown() : { ...v, ...Object.fromEntries(Object.keys(schema.attributes).filter((k) => !(k in v)).map((k) => [k, new Unknown()])) });
    }
  }
  if (p.flags.json) {
    const errs = diags.list.filter((d) => d.severity === 'error');
    process.stdout.write(JSON.stringify({ format_version: '1.0', valid: errs.length === 0, error_count: errs.length, warning_count: diags.list.length - errs.length, diagnostics: diags.list }, null, 2) + '\n');
    return errs.length ? 1 : 0;
  }
  if (reportAndFail(diags, ws, color)) return 1;
  process.stdout.write('Success! The configuration is valid.\n');
  return 0;
}
