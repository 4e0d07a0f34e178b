// `poolform force-unlock LOCK_ID`: removes a lock left by a poolform that died.

import { LocalBackend } from '../../engine/state/local.js';
import { statePathFor } from '../../engine/workspace.js';
import { parseArgs, UsageError } from '../args.js';
import { confirm } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { force: 'bool', state: 'string' });
  const id = p.positional[0];
  if (!id) throw new UsageError('force-unlock needs the LOCK_ID (shown in the lock error)');
  const backend = new LocalBackend(statePathFor(ctx.dir, p.flags.state as string | undefined));
  const holder = await backend.lockHolder();
  if (holder && !p.flags.force) {
    if ((await confirm(`The state is locked by ${holder.who} (pid ${holder.pid}, ${holder.operation} since ${holder.created}).\nOnly unlock it if that poolform is no longer running. Type 'yes' to unlock: `)) !== true) {
      process.stderr.write('Unlock cancelled (use -force to skip this question).\n');
      return 1;
    }
  }
  await backend.forceUnlock(id);
  process.stdout.write('The state has been unlocked.\n');
  return 0;
}
