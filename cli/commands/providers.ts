// `poolform providers schema -json`: schemas of the providers a configuration uses, or all built-in ones.

import * as fs from 'node:fs';
import { Diagnostics } from '../../engine/diagnostics.js';
import { ProviderRegistry, builtinProviderNames } from '../../engine/registry.js';
import { loadConfig, isConfigFile } from '../../engine/config/load.js';
import { resourceTypes } from '../../engine/config/model.js';
import { providerSchemasJSON } from '../../engine/schema/terraform.js';
import { parseArgs, UsageError } from '../args.js';
import { printDiagnostics } from '../io.js';
import type { CommandContext } from '../poolform.js';

export async function run(ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = ctx.args;
  const p = parseArgs(rest, { json: 'bool' });
  if (sub !== 'schema') throw new UsageError('usage: poolform providers schema -json');
  if (!p.flags.json) throw new UsageError('providers schema needs -json');
  const diags = new Diagnostics();
  const registry = new ProviderRegistry();
  const hasConfig = fs.readdirSync(ctx.dir).some(isConfigFile);
  const types = builtinProviderNames().map((n) => ({ type: `${n}_x` }));
  if (hasConfig) {
    const config = loadConfig(ctx.dir, diags, ctx.cwd);
    if (!diags.hasErrors) types.push(...resourceTypes(config.root));
    await registry.load(config.root, types, diags);
    if (printDiagnostics(diags.list, config.sources, false)) return 1;
  } else await registry.load(undefined, types, diags);
  process.stdout.write(JSON.stringify(providerSchemasJSON(registry.providers().map((pr) => ({ name: pr.name, schemas: pr.schemas, configSchema: pr.configSchema })))) + '\n');
  return 0;
}
