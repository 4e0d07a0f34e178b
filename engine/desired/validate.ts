// `validate` without values: every variable unknown, every resource evaluated once (an unknown
// count or for_each stands for one instance), so expression and type errors are found without a
// platform, a state or variable values.

import type { Diagnostics } from '../diagnostics.js';
import type { Workspace } from '../workspace.js';
import { Unknown, type ValueObject } from '../lang/value.js';
import { EvalContext } from './context.js';
import { evaluateInstance, expansions, registerInstance, resourceNodes } from './instance.js';

export function validateWorkspace(ws: Workspace, diags: Diagnostics): void {
  const vars: Record<string, Unknown> = {};
  for (const v of ws.config.root.variables.keys()) vars[v] = new Unknown();
  const ctx = new EvalContext(ws.config.root, vars, diags, 'validate', ws.cwd);
  for (const { mod, r } of resourceNodes(ws.graph)) {
    const schema = ws.registry.schema(r.type);
    if (!schema) continue; // reported when the workspace was opened
    for (const { mi, exp } of expansions(ctx, mod, r)) {
      for (const key of exp.keys) {
        const value = evaluateInstance(ctx, mi, r, schema, exp, key, diags);
        // What other resources see: the configured values, the rest unknown.
        const seen: ValueObject = {};
        for (const name in schema.attributes) seen[name] = name in value ? value[name] : new Unknown();
        registerInstance(mi, r, exp.kind, key, seen);
      }
    }
  }
}
