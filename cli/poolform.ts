#!/usr/bin/env node
// The `poolform` command. Thin: finds the command, parses flags and hands over to the engine.
// Commands are imported only when run, so `poolform version` and `--help` stay fast.

import { MAIN_HELP, COMMAND_HELP } from './help.js';
import { UsageError } from './args.js';

const COMMANDS: Record<string, string> = {
  validate: './commands/validate.js',
  fmt: './commands/fmt.js',
  plan: './commands/plan.js',
  apply: './commands/apply.js',
  destroy: './commands/apply.js',
  show: './commands/show.js',
  output: './commands/output.js',
  graph: './commands/graph.js',
  state: './commands/state.js',
  import: './commands/import.js',
  'force-unlock': './commands/unlock.js',
  providers: './commands/providers.js',
  version: './commands/version.js',
  lab: './commands/lab.js',
};

export interface CommandContext {
  name: string;
  args: string[];
  /** The configuration directory (after -chdir). */
  dir: string;
  /** Where the user ran poolform (file names in messages are relative to it). */
  cwd: string;
}

async function main(argv: string[]): Promise<number> {
  let chdir: string | undefined;
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (/^--?chdir=/.test(a)) chdir = a.slice(a.indexOf('=') + 1);
    else if (a === '-chdir' || a === '--chdir') chdir = argv[++i];
    else break;
  }
  rest.push(...argv.slice(i));
  const [name, ...args] = rest;
  if (!name || name === '-help' || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(MAIN_HELP);
    return name ? 0 : 1;
  }
  if (name === '-version' || name === '--version' || name === '-v') return runCommand('version', [], chdir);
  if (!COMMANDS[name]) {
    const { nearestName } = await import('../engine/diagnostics.js');
    const near = nearestName(name, Object.keys(COMMANDS));
    process.stderr.write(`poolform: unknown command "${name}"${near ? `; did you mean "${near}"?` : ''}\nRun poolform -help for the list of commands.\n`);
    return 1;
  }
  // Flags end at `--` (parseArgs stops there too): what follows is positional, e.g. the command
  // `lab ... -- plan -help` runs, whose own -help is not the lab's.
  const flags = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (flags.some((a) => a === '-help' || a === '--help' || a === '-h')) {
    process.stdout.write(COMMAND_HELP[name] ?? MAIN_HELP);
    return 0;
  }
  return runCommand(name, args, chdir);
}

async function runCommand(name: string, args: string[], chdir: string | undefined): Promise<number> {
  const cwd = process.cwd();
  let dir = cwd;
  if (chdir !== undefined) {
    const path = await import('node:path');
    const fs = await import('node:fs');
    dir = path.resolve(cwd, chdir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      process.stderr.write(`poolform: -chdir: ${chdir} is not a directory\n`);
      return 1;
    }
  }
  const mod = (await import(COMMANDS[name])) as { run(ctx: CommandContext): Promise<number> };
  try {
    return await mod.run({ name, args, dir, cwd });
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`poolform ${name}: ${e.message}\nRun poolform ${name} -help for usage.\n`);
      return 1;
    }
    const err = e as Error & { diagnostics?: unknown };
    process.stderr.write(`\nError: ${err.message}\n`);
    if (process.env.POOLFORM_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`poolform: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
