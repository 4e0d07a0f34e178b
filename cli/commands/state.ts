// `poolform state list | show | mv | rm`: inspect and edit the state, under its lock.

import { LocalBackend } from '../../engine/state/local.js';
import { listAddresses, moveResource, removeResource, findResource } from '../../engine/state/ops.js';
import { statePathFor } from '../../engine/workspace.js';
import { lockInfoFor } from '../../engine/state/lock.js';
import { poolformVersion } from '../../engine/version.js';
import { renderStateResource } from '../../engine/render/text.js';
import { nearestName } from '../../engine/diagnostics.js';
import { parseArgs, parseDuration, UsageError } from '../args.js';
import { useColor } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const p = parseArgs(rest, { state: 'string', lock: 'bool', 'lock-timeout': 'string', 'no-color': 'bool', 'dry-run': 'bool', id: 'string' });
  const backend = new LocalBackend(statePathFor(ctx.dir, p.flags.state as string | undefined));
  const color = useColor(p.flags);
  const state = await backend.read();
  switch (sub) {
    case 'list': {
      if (!state) return 0;
      const addrs = listAddresses(state, p.positional.length ? p.positional : undefined);
      const withId = p.flags.id ? new Set(state.resources.filter((r) => r.id === p.flags.id).map((r) => r.address)) : undefined;
      const filtered = withId ? addrs.filter((a) => withId.has(a)) : addrs;
      if (filtered.length) process.stdout.write(filtered.join('\n') + '\n');
      return 0;
    }
    case 'show': {
      const addr = p.positional[0];
      if (!addr) throw new UsageError('state show needs an ADDRESS');
      const r = state && findResource(state, addr);
      if (!r) {
        const near = state ? nearestName(addr, state.resources.map((x) => x.address)) : undefined;
        process.stderr.write(`Error: No instance ${addr} in the state${near ? `; did you mean ${near}?` : ''}\n`);
        return 1;
      }
      process.stdout.write(renderStateResource(r, { color }) + '\n');
      return 0;
    }
    case 'mv':
    case 'rm': {
      if (!state) {
        process.stderr.write('Error: There is no state here yet.\n');
        return 1;
      }
      if (sub === 'mv' && p.positional.length !== 2) throw new UsageError('state mv needs SOURCE and DESTINATION');
      if (sub === 'rm' && p.positional.length === 0) throw new UsageError('state rm needs at least one ADDRESS');
      const timeout = p.flags['lock-timeout'] ? parseDuration(p.flags['lock-timeout'] as string, 'lock-timeout') : 0;
      const lock = p.flags.lock === false ? undefined : await backend.lock(lockInfoFor(`state ${sub}`, poolformVersion()), timeout);
      try {
        await backend.recover();
        let cur = (await backend.read())!;
        const lines: string[] = [];
        if (sub === 'mv') {
          const res = moveResource(cur, p.positional[0], p.positional[1]);
          cur = res.state;
          for (const m of res.moved) lines.push(`Move "${m.from}" to "${m.to}"`);
        } else {
          for (const a of p.positional) {
            const res = removeResource(cur, a);
            if (!res.removed.length) {
              const near = nearestName(a, cur.resources.map((x) => x.address));
              throw new Error(`no instance ${a} in the state${near ? `; did you mean ${near}?` : ''}`);
            }
            cur = res.state;
            for (const x of res.removed) lines.push(`Removed ${x}`);
          }
        }
        if (!p.flags['dry-run']) await backend.write({ ...cur, serial: cur.serial + 1 });
        process.stdout.write(lines.join('\n') + `\n${p.flags['dry-run'] ? 'Would have changed' : 'Successfully changed'} ${lines.length} object(s).\n`);
        return 0;
      } finally {
        if (lock) await backend.unlock(lock.id);
      }
    }
    default:
      throw new UsageError(sub ? `unknown state subcommand "${sub}"${nearestName(sub, ['list', 'show', 'mv', 'rm']) ? ` (did you mean ${nearestName(sub, ['list', 'show', 'mv', 'rm'])}?)` : ''}` : 'state needs a subcommand: list, show, mv or rm');
  }
}
