// `poolform version`: reads package.json only.

import type { CommandContext } from '../poolform.js';
import { parseArgs } from '../args.js';
import { poolformVersion } from '../../engine/version.js';

export async function run(ctx: CommandContext): Promise<number> {
  const p = parseArgs(ctx.args, { json: 'bool' });
  const v = poolformVersion();
  if (p.flags.json) process.stdout.write(JSON.stringify({ poolform_version: v, platform: `${process.platform}_${process.arch}`, node_version: process.version }, null, 2) + '\n');
  else process.stdout.write(`poolform v${v}\non ${process.platform}_${process.arch} (Node.js ${process.version})\n`);
  return 0;
}
