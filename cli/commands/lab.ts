// `poolform lab xenserver|proxmox`: runs a simulated lab on loopback (per host or node one HTTPS
// API endpoint and one SSH daemon) so configurations can be planned and applied without hardware.
// Prints where the hosts/nodes are and writes DIR/lab.env with POOLFORM_VAR_* lines. With
// `-- COMMAND...` it runs that poolform command against the lab (same CLI, variables in its
// environment), then stops.

import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { CommandContext } from '../poolform.js';
import { parseArgs, UsageError } from '../args.js';
import { nearestName } from '../../engine/diagnostics.js';

const PLATFORMS = ['xenserver', 'proxmox'];

/** What a started lab offers the command, whichever platform it simulates. */
interface RunningLab {
  env: Record<string, string>;
  description: string;
  stop(): Promise<void>;
}

export async function run(ctx: CommandContext): Promise<number> {
  const dd = ctx.args.indexOf('--');
  const own = dd >= 0 ? ctx.args.slice(0, dd) : ctx.args;
  const child = dd >= 0 ? ctx.args.slice(dd + 1) : undefined;
  const p = parseArgs(own, { hosts: 'int', nodes: 'int', dir: 'string', password: 'string', 'latency-scale': 'string', 'base-port': 'int' });

  const [platform, ...extra] = p.positional;
  if (!platform) throw new UsageError('which platform? (poolform lab xenserver, or poolform lab proxmox)');
  if (!PLATFORMS.includes(platform)) {
    const near = nearestName(platform, PLATFORMS);
    throw new UsageError(`no simulated lab for "${platform}"${near ? `; did you mean "${near}"?` : ` (available: ${PLATFORMS.join(', ')})`}`);
  }
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}" (a command to run goes after --)`);
  if (child && child.length === 0) throw new UsageError('nothing after -- (give a poolform command, e.g. -- plan)');
  const hosts = p.flags.hosts as number | undefined;
  const nodes = p.flags.nodes as number | undefined;
  if (platform === 'xenserver') {
    if (nodes !== undefined) throw new UsageError('a XenServer lab counts hosts: use --hosts N');
    if (hosts !== undefined && (hosts < 1 || hosts > 64)) throw new UsageError('--hosts takes 1 to 64 (a XenServer pool holds at most 64 hosts)');
  } else {
    if (hosts !== undefined) throw new UsageError('a Proxmox lab counts nodes: use --nodes N');
    if (nodes !== undefined && (nodes < 1 || nodes > 32)) throw new UsageError('--nodes takes 1 to 32 (a Proxmox VE cluster is supported up to 32 nodes)');
  }
  let latencyScale: number | undefined;
  if (p.flags['latency-scale'] !== undefined) {
    latencyScale = Number(p.flags['latency-scale']);
    if (!Number.isFinite(latencyScale) || latencyScale < 0) throw new UsageError(`--latency-scale takes a number >= 0 (0 = instant), got "${p.flags['latency-scale']}"`);
  }
  const basePort = p.flags['base-port'] as number | undefined;
  if (basePort !== undefined && (basePort < 1024 || basePort > 65000)) throw new UsageError('--base-port takes a port between 1024 and 65000');
  const dir = p.flags.dir !== undefined ? path.resolve(ctx.cwd, p.flags.dir as string) : path.join(ctx.dir, '.poolform-lab', platform);
  const shownDir = path.relative(ctx.cwd, dir) || '.';
  const password = p.flags.password as string | undefined;

  let lab: RunningLab;
  if (platform === 'xenserver') {
    const { startLab, labEnv, writeLabEnv, describeLab } = await import('../../providers/xenserver/sim/lab.js');
    const x = await startLab({ hosts, dir, password, latencyScale, basePort });
    const envFile = writeLabEnv(x);
    lab = { env: labEnv(x), description: describeLab(x, envFile, shownDir), stop: () => x.stop() };
  } else {
    const { startPveLab, labEnv, writeLabEnv, describeLab } = await import('../../providers/proxmox/sim/lab.js');
    const x = await startPveLab({ nodes, dir, password, latencyScale, basePort });
    const envFile = writeLabEnv(x);
    lab = { env: labEnv(x), description: describeLab(x, envFile, shownDir), stop: () => x.stop() };
  }
  process.stdout.write(lab.description);

  if (child) {
    process.stdout.write(`\nRunning: poolform ${child.join(' ')}\n\n`);
    // `poolform -chdir=DIR lab ... -- plan` runs the plan in DIR too, unless the command names its own.
    const inherit = ctx.dir !== ctx.cwd && !child.some((a) => /^--?chdir(=|$)/.test(a)) ? [`-chdir=${ctx.dir}`] : [];
    const code = await runChild([...inherit, ...child], { ...process.env, ...lab.env }, ctx.cwd);
    await lab.stop();
    return code;
  }

  process.stdout.write('\nThe lab is running; press Ctrl-C to stop it (its state is kept in the directory above).\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('\nStopping the lab...\n');
  await lab.stop();
  return 0;
}

/** Runs this same CLI with `args`; resolves to its exit code. Ctrl-C goes to the child (same terminal group), not to us. */
function runChild(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  return new Promise((resolve) => {
    const ignore = () => {};
    process.on('SIGINT', ignore);
    const c = spawn(process.execPath, [process.argv[1], ...args], { env, cwd, stdio: 'inherit' });
    const forwardTerm = () => c.kill('SIGTERM');
    process.on('SIGTERM', forwardTerm);
    const done = (code: number) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forwardTerm);
      resolve(code);
    };
    c.on('error', (e) => {
      process.stderr.write(`poolform lab: cannot run the command: ${e.message}\n`);
      done(1);
    });
    c.on('exit', (code, signal) => done(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}
