// bench/plan: parse + evaluate + graph + plan times and peak memory for 1,000, 10,000 and 50,000
// poolform_data instances with references between them; each size runs in its own process so
// memory figures don't mix. With `terraform` on PATH, the same shape written with terraform_data
// is planned (`terraform plan -refresh=false`) in the same run, and the ratio printed.
// Environment: BENCH_SIZES=1000,10000,50000  BENCH_TF_MAX=10000 (largest size given to terraform).

import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writeShape } from './shape.js';

const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const tfMax = Number(process.env.BENCH_TF_MAX ?? 10000);

interface Phase {
  n: number;
  parseMs: number;
  graphMs: number;
  planMs: number;
  totalMs: number;
  peakRssMB: number;
  peakHeapMB: number;
  changes: number;
}

async function measure(n: number): Promise<Phase> {
  const { Diagnostics } = await import('../engine/diagnostics.js');
  const { loadConfig } = await import('../engine/config/load.js');
  const { buildConfigGraph } = await import('../engine/desired/graph.js');
  const { ProviderRegistry } = await import('../engine/registry.js');
  const { EvalContext } = await import('../engine/desired/context.js');
  const { SessionPool } = await import('../engine/sessions.js');
  const { makePlan } = await import('../engine/plan/planner.js');
  const { emptyState } = await import('../engine/state/ops.js');
  const dir = writeShape(n, 'poolform');
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 5);
  const diags = new Diagnostics();
  const t0 = performance.now();
  const config = loadConfig(dir, diags);
  const t1 = performance.now();
  sample();
  const graph = buildConfigGraph(config, diags);
  const t2 = performance.now();
  sample();
  const registry = new ProviderRegistry();
  await registry.load(config.root, [{ type: 'poolform_data' }], diags);
  const ctx = new EvalContext(config.root, {}, diags, 'plan', dir);
  const pctx = { rootDir: dir, signal: new AbortController().signal, log: () => {} };
  const sessions = new SessionPool(ctx, pctx);
  const plan = await makePlan(
    { config, graph, state: emptyState('0.0.0'), rootVars: {}, registry, sessions, ctx, pctx, options: { destroy: false, refresh: false, targets: [], replace: [] }, version: '0', diags },
    { byAddress: new Map(), requests: 0 },
  );
  const t3 = performance.now();
  sample();
  clearInterval(timer);
  if (diags.hasErrors) throw new Error(diags.errors.map((d) => d.summary).join('; '));
  fs.rmSync(dir, { recursive: true, force: true });
  return { n, parseMs: t1 - t0, graphMs: t2 - t1, planMs: t3 - t2, totalMs: t3 - t0, peakRssMB: peakRss / 2 ** 20, peakHeapMB: peakHeap / 2 ** 20, changes: plan.changes.length };
}

function terraformAvailable(): boolean {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function terraformPlan(n: number): { ms: number; peakMB?: number } {
  const dir = writeShape(n, 'terraform');
  const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  spawnSync('terraform', ['init', '-input=false'], { cwd: dir, env, stdio: 'ignore' });
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'terraform', 'plan', '-refresh=false', '-input=false', '-lock=false'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  const kb = Number((r.stderr ?? '').trim().split('\n').pop());
  fs.rmSync(dir, { recursive: true, force: true });
  return { ms, peakMB: Number.isFinite(kb) ? kb / 1024 : undefined };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--one') {
    const r = await measure(Number(process.argv[3]));
    process.stdout.write(JSON.stringify(r));
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const results: Phase[] = [];
  console.log(`bench/plan on ${process.version}, ${(await import('node:os')).cpus().length} cores`);
  console.log('instances  parse(ms)  graph(ms)  eval+plan(ms)  total(ms)  peak RSS(MB)  peak heap(MB)');
  for (const n of sizes) {
    const r = spawnSync(process.execPath, [self, '--one', String(n)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      console.log(`${n}: failed\n${r.stderr}`);
      continue;
    }
    const p = JSON.parse(r.stdout) as Phase;
    results.push(p);
    console.log(`${String(n).padStart(9)}  ${p.parseMs.toFixed(0).padStart(9)}  ${p.graphMs.toFixed(0).padStart(9)}  ${p.planMs.toFixed(0).padStart(13)}  ${p.totalMs.toFixed(0).padStart(9)}  ${p.peakRssMB.toFixed(0).padStart(12)}  ${p.peakHeapMB.toFixed(0).padStart(13)}`);
  }
  const r10 = results.find((r) => r.n === 10000);
  const r50 = results.find((r) => r.n === 50000);
  if (r10) console.log(`10,000 instances: ${(r10.totalMs / 1000).toFixed(2)} s (target ≤ 2 s), peak RSS ${r10.peakRssMB.toFixed(0)} MB (target ≤ 400 MB)`);
  if (r10 && r50) console.log(`50,000 / 10,000 time ratio: ${(r50.totalMs / r10.totalMs).toFixed(2)} (target ≤ 6)`);
  if (terraformAvailable()) {
    for (const n of sizes.filter((s) => s <= tfMax)) {
      const tf = terraformPlan(n);
      const ours = results.find((r) => r.n === n);
      console.log(`terraform plan -refresh=false, ${n} terraform_data: ${(tf.ms / 1000).toFixed(2)} s${tf.peakMB ? `, peak ${tf.peakMB.toFixed(0)} MB` : ''}${ours ? `; poolform is ${(tf.ms / ours.totalMs).toFixed(1)}x faster (terraform's time includes its process start)` : ''}`);
    }
  } else console.log('terraform not on PATH: no comparison');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
