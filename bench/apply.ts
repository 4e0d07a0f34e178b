// bench/apply: applies 1,000 poolform_data instances (no I/O in the operations; every step
// journalled with fsync) through the real CLI, and prints the time. With `terraform` on PATH and
// BENCH_TF_APPLY=1, applies the same shape with terraform_data and prints the ratio (Terraform takes
// minutes here, so it is opt-in). BENCH_APPLY_N sets the count. Also times `version` and `--help`.

import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeShape } from './shape.js';

const n = Number(process.env.BENCH_APPLY_N ?? 1000);
const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'poolform.js');

function time(cmd: string, args: string[], cwd: string): { ms: number; code: number | null; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' }, maxBuffer: 1 << 28 });
  return { ms: performance.now() - t0, code: r.status, out: (r.stdout ?? '').slice(-300) + (r.stderr ?? '').slice(-500) };
}

const dir = writeShape(n, 'poolform', false);
const ours = time(process.execPath, [cli, 'apply', '-auto-approve'], dir);
if (ours.code !== 0) {
  console.error(ours.out);
  process.exit(1);
}
const state = JSON.parse(fs.readFileSync(path.join(dir, 'poolform.state.json'), 'utf8')) as { resources: unknown[] };
console.log(`poolform apply, ${n} poolform_data, journalled: ${(ours.ms / 1000).toFixed(2)} s (target ≤ 5 s); state holds ${state.resources.length}`);
const v = [0, 1, 2].map(() => time(process.execPath, [cli, 'version'], dir).ms);
const h = [0, 1, 2].map(() => time(process.execPath, [cli, '--help'], dir).ms);
console.log(`poolform version: ${Math.min(...v).toFixed(0)} ms, --help: ${Math.min(...h).toFixed(0)} ms (best of 3; target ≤ 300 ms)`);
fs.rmSync(dir, { recursive: true, force: true });

let tf = false;
try {
  execFileSync('terraform', ['version'], { stdio: 'ignore' });
  tf = true;
} catch {
  console.log('terraform not on PATH: no comparison');
}
if (tf && process.env.BENCH_TF_APPLY === '1') {
  const tdir = writeShape(n, 'terraform', false);
  time('terraform', ['init', '-input=false'], tdir);
  const t = time('terraform', ['apply', '-auto-approve', '-input=false', '-parallelism=10'], tdir);
  console.log(`terraform apply, ${n} terraform_data: ${(t.ms / 1000).toFixed(2)} s; ratio ${(t.ms / ours.ms).toFixed(1)}x`);
  fs.rmSync(tdir, { recursive: true, force: true });
} else if (tf) console.log('terraform apply comparison skipped (set BENCH_TF_APPLY=1; it takes minutes here)');
