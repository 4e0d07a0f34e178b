// bench/xen-apply: applies examples/xenserver-pool from nothing to a 3-host simulated lab with the
// simulator's default operation latencies, through the real CLI over HTTPS, and compares the time
// the apply took on the platform with the critical path of those latencies (target ≤ 1.2×).
//
// The critical path is the longest dependency chain of the plan's steps, each weighted by the
// latency its own XAPI operations waited (the simulator accounts it per X-Poolform-Step header,
// counting parallel operations once). The apply's platform time runs from the first call that
// changes something to the end of the last one; the whole command's wall time is printed too.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labEnv, startLab } from '../providers/xenserver/sim/lab.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'cli', 'poolform.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-xen-apply-'));
fs.cpSync(path.join(root, 'examples', 'xenserver-pool'), dir, { recursive: true });
fs.rmSync(path.join(dir, 'poolform.state.json'), { force: true });

const lab = await startLab({ hosts: 3 });
// The apply's platform time: from the first call that changes something (reads, logins, events
// and task look-ups excluded) to the end of the last call any step made (a step's last call is
// the look-up that sees its last task finish, or its last change).
const READ = /^(session\.|event\.|task\.|.*\.get_)/;
let first = Infinity;
let last = 0;
const call = lab.sim.call.bind(lab.sim);
lab.sim.call = async (host, method, params, meta) => {
  if (meta?.step && !READ.test(method.replace(/^Async\./, ''))) first = Math.min(first, performance.now());
  try {
    return await call(host, method, params, meta);
  } finally {
    if (meta?.step) last = Math.max(last, performance.now());
  }
};

try {
  const t0 = performance.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [cli, 'apply', '-auto-approve', '-no-color'], { cwd: dir, env: { ...process.env, ...labEnv(lab) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (c) => {
      if (c !== 0) console.error(out.slice(-3000));
      resolve(c ?? 1);
    });
  });
  const wall = performance.now() - t0;
  if (code !== 0) process.exit(1);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'poolform.state.json'), 'utf8')) as { resources: { address: string; dependencies?: string[] }[] };
  const weights = lab.sim.stats().stepLatencyMs;
  const addrs = state.resources.map((r) => r.address);
  const depsOf = new Map(state.resources.map((r) => [r.address, (r.dependencies ?? []).flatMap((d) => addrs.filter((a) => a === d || a.startsWith(`${d}[`)))]));
  const memo = new Map<string, number>();
  const longest = (a: string): number => {
    const m = memo.get(a);
    if (m !== undefined) return m;
    const v = (weights[a] ?? 0) + Math.max(0, ...(depsOf.get(a) ?? []).map(longest));
    memo.set(a, v);
    return v;
  };
  const critical = Math.max(...addrs.map(longest));
  const serial = Object.values(weights).reduce((a, b) => a + b, 0);
  const platform = last - first;
  console.log(`apply examples/xenserver-pool on a 3-host lab (default latencies), ${addrs.length} resources:`);
  console.log(`  critical path of the operation latencies: ${critical.toFixed(0)} ms (all latencies end to end: ${serial.toFixed(0)} ms)`);
  console.log(`  platform time of the apply: ${platform.toFixed(0)} ms = ${(platform / critical).toFixed(2)}× the critical path (target ≤ 1.2×)`);
  console.log(`  whole command, start to exit (process start, login, observation, plan included): ${wall.toFixed(0)} ms`);
} finally {
  await lab.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
