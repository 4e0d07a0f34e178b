// bench/pve-apply: the Proxmox example applied from nothing through the real CLI over HTTPS to a
// simulated cluster with the simulator's default task latencies, then the two figures the issue
// asks for:
//   1. a change touching networking on every node (each bridge's comment and each VLAN's MTU)
//      causes exactly one network reload per node: the reloads the simulator counted are printed;
//   2. 20 VMs cloned from the template in one apply at -parallelism=10 all succeed, each with its
//      own VMID, with no lock or VMID failure (the clones contend for the template's config lock).
// Wall times are printed for each apply.

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { labEnv, startPveLab } from '../providers/proxmox/sim/lab.js';

const NODES = Number(process.env.BENCH_PVE_NODES ?? 3);
const CLONES = 20;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'cli', 'poolform.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-pve-apply-'));
const main = path.join(dir, 'main.hcl');
fs.copyFileSync(path.join(root, 'examples', 'proxmox-cluster', 'main.hcl'), main);

const lab = await startPveLab({ nodes: NODES, authFailDelayMs: 3000 });
const env = { ...process.env, ...labEnv(lab) };

async function poolform(args: string[]): Promise<{ code: number; out: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, '-no-color'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (c) => resolve({ code: c ?? 1, out, ms: performance.now() - t0 }));
  });
}

function must(r: { code: number; out: string }, what: string): void {
  if (r.code === 0) return;
  console.error(`${what} failed:\n${r.out.slice(-4000)}`);
  process.exitCode = 1;
  throw new Error(what);
}

const reloads = () => lab.nodes.map((n) => lab.sim.reloadCount(n.name));

try {
  const first = await poolform(['apply', '-auto-approve']);
  must(first, 'the first apply');
  console.log(`example on ${NODES} nodes from nothing: ${(first.ms / 1000).toFixed(1)} s (${/Resources: [^\n]*/.exec(first.out)?.[0] ?? ''})`);

  // 1. One reload per node for a change on every node's networking.
  const before = reloads();
  const hcl = fs.readFileSync(main, 'utf8');
  const edited = hcl.replace('comments   = "VM traffic"', 'comments   = "VM traffic (LACP)"').replace(/(tag        = 30\n)/, '$1    mtu        = 9000\n');
  if (edited === hcl) throw new Error('the networking edit did not apply to the example');
  fs.writeFileSync(main, edited);
  const net = await poolform(['apply', '-auto-approve']);
  must(net, 'the networking apply');
  const after = reloads();
  const perNode = lab.nodes.map((n, i) => `${n.name} ${after[i]! - before[i]!}`);
  const exact = after.every((a, i) => a - before[i]! === 1);
  console.log(`networking change on every node: reloads per node: ${perNode.join(', ')} (target: exactly 1 each)${exact ? '' : '  NOT MET'}; ${(net.ms / 1000).toFixed(1)} s`);
  if (!exact) process.exitCode = 1;

  // 2. 20 clones of the template in one apply at -parallelism=10.
  fs.appendFileSync(
    main,
    `\nresource "proxmox_vm" "bulk" {\n  for_each   = toset([for i in range(${CLONES}) : format("bulk%02d", i)])\n  node       = local.first\n  name       = each.key\n  clone_from = proxmox_vm_template.debian.vmid\n}\n`,
  );
  const bulk = await poolform(['apply', '-auto-approve', '-parallelism=10']);
  must(bulk, 'the clone apply');
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'poolform.state.json'), 'utf8')) as { resources: { address: string; id: string }[] };
  const ids = state.resources.filter((r) => r.address.startsWith('proxmox_vm.bulk[')).map((r) => r.id);
  const lockErrors = (bulk.out.match(/can't lock file/g) ?? []).length;
  const vmidErrors = (bulk.out.match(/already exists/g) ?? []).length;
  console.log(
    `${CLONES} VMs cloned from one template at -parallelism=10: ${ids.length} created, ${new Set(ids).size} distinct VMIDs, ` +
      `${lockErrors} lock failures, ${vmidErrors} VMID failures; ${(bulk.ms / 1000).toFixed(1)} s (${/Resources: [^\n]*/.exec(bulk.out)?.[0] ?? ''})`,
  );
  if (ids.length !== CLONES || new Set(ids).size !== CLONES || lockErrors || vmidErrors) process.exitCode = 1;
} finally {
  await lab.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
