// `poolform import ADDRESS ID`: adopt an existing object into the state, without changing it.

import { Diagnostics } from '../../engine/diagnostics.js';
import { planWorkspace } from '../../engine/workspace.js';
import { providerNameOfType } from '../../engine/desired/graph.js';
import { parseArgs, UsageError } from '../args.js';
import { LOCK_FLAGS, VAR_FLAGS, currentState, open, providerContext, reportAndFail, withLock } from '../common.js';
import { useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';
import { attrsForState } from '../../engine/plan/diff.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { ...VAR_FLAGS, ...LOCK_FLAGS, 'no-color': 'bool', input: 'bool' });
  if (p.positional.length !== 2) throw new UsageError('import needs ADDRESS and ID');
  const [address, id] = p.positional;
  const color = useColor(p.flags);
  const diags = new Diagnostics();
  const ws = await open(ctx, p, diags);
  if (!ws) {
    reportAndFail(diags, ws, color);
    return 1;
  }
  return withLock(ws, p, 'import', async () => {
    const state = await currentState(ws, true);
    if (state.resources.some((r) => r.address === address)) {
      process.stderr.write(`Error: Resource already managed\n\n${address} is already in the state (id ${state.resources.find((r) => r.address === address)!.id}). Remove it with poolform state rm first to import another object there.\n`);
      return 1;
    }
    // Plan without refresh to learn whether the address exists in the configuration and its provider.
    const ac = new AbortController();
    const planned = await planWorkspace(ws, state, { destroy: false, refresh: false, targets: [], replace: [] }, providerContext(ws.dir, ac.signal), diags);
    if (reportAndFail(diags, ws, color)) return 1;
    const change = planned.plan.changes.find((c) => c.address === address);
    if (!change || change.mode !== 'managed') {
      const addrs = planned.plan.changes.map((c) => c.address);
      const { nearestName } = await import('../../engine/diagnostics.js');
      const near = nearestName(address, addrs);
      process.stderr.write(`Error: Configuration for import target does not exist\n\nThe configuration declares no resource instance ${address}${near ? `; did you mean ${near}?` : ''}. Add a resource block for it first.\n`);
      return 1;
    }
    const provider = ws.registry.provider(providerNameOfType(change.type))!;
    if (!provider.importObject) {
      process.stderr.write(`Error: The ${provider.name} provider cannot import ${change.type} objects.\n`);
      return 1;
    }
    const session = await planned.sessions.session(provider, change.provider, diags).catch(() => undefined);
    if (!session) {
      reportAndFail(diags, ws, color); // the pool put why in diags
      return 1;
    }
    const got = await provider.importObject(session, change.type, id, providerContext(ws.dir, ac.signal));
    await planned.sessions.closeAll();
    if (!got) {
      process.stderr.write(`Error: Cannot import non-existent object\n\nNo ${change.type} with id "${id}" exists on ${session.target}.\n`);
      return 1;
    }
    const schema = ws.registry.schema(change.type)!;
    const stored = attrsForState(schema, got.attrs, {}, state.lineage);
    const journal = await ws.backend.openJournal(state);
    await journal.append({ op: 'put', resource: { address, mode: 'managed', type: change.type, provider: change.provider, id: got.id, attributes: stored.attributes, dependencies: change.configDependencies } });
    await journal.commit();
    process.stdout.write(`${address}: Import prepared!\n\nImport successful!\n\nThe object is now managed by poolform. Run poolform plan to see how it differs from the configuration.\n`);
    return 0;
  });
}
