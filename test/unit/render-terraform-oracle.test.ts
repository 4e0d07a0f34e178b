// Oracle check: Terraform itself renders a real plan (built-in terraform_data resources, no
// provider download); the same plan, converted to poolform's Plan, must render identically
// apart from the product name, and its JSON must carry the same resource_changes. Skipped when
// the terraform binary is absent or cannot run here. (Same-length primitive lists are avoided:
// terraform_data's values are tuples, which Terraform diffs by position; typed lists, which our
// schemas have, it diffs as we do.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Action, AttributeChange, OutputChange, Plan, ResourceChange } from '../../engine/plan/types.js';
import { renderPlanText } from '../../engine/render/text.js';
import { renderPlanJSON } from '../../engine/render/json.js';
import { ac, planOf } from './render-fixtures.js';

const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' });
const skip = probe.error || probe.status !== 0 ? 'terraform is not on PATH' : false;

type TfDoc = {
  resource_changes: Array<Record<string, any>>;
  output_changes?: Record<string, Record<string, any>>;
};

function toAction(a: string[]): Action {
  if (a.length === 2) return 'replace';
  return a[0] === 'no-op' ? 'noop' : (a[0] as Action);
}

/** What poolform's planner lists as `changes`: the top-level attributes whose value differs. */
function topLevelChanges(ch: Record<string, any>): AttributeChange[] {
  if (!ch.before || !ch.after || ch.actions.length === 1 && ch.actions[0] !== 'update') return [];
  const out: AttributeChange[] = [];
  for (const k of new Set([...Object.keys(ch.before), ...Object.keys(ch.after)])) {
    if (ch.after_unknown?.[k] === true) continue;
    if (JSON.stringify(ch.before[k] ?? null) === JSON.stringify(ch.after[k] ?? null)) continue;
    out.push(ac([k], ch.before[k] ?? null, ch.after[k] ?? null));
  }
  return out;
}

/** Terraform's JSON plan as a poolform Plan (the inverse of json.ts, for the fields we use). */
function fromTerraform(doc: TfDoc): Plan {
  const changes: ResourceChange[] = doc.resource_changes.map((r) => ({
    address: r.address,
    moduleAddress: r.module_address,
    mode: r.mode,
    type: r.type,
    name: r.name,
    index: r.index,
    provider: 'terraform',
    action: toAction(r.change.actions),
    replaceOrder: r.change.actions.length === 2 ? (r.change.actions[0] === 'create' ? 'create-first' : 'delete-first') : undefined,
    actionReason: r.action_reason,
    before: r.change.before,
    after: r.change.after,
    afterUnknown: r.change.after_unknown,
    beforeSensitive: r.change.before_sensitive,
    afterSensitive: r.change.after_sensitive,
    replacePaths: r.change.replace_paths ?? [],
    changes: topLevelChanges(r.change),
    dependsOn: [],
    configDependencies: [],
    importingId: r.change.importing?.id,
    previousAddress: r.previous_address,
  }));
  const outputs: OutputChange[] = Object.entries(doc.output_changes ?? {}).map(([name, o]) => ({
    name,
    action: toAction(o.actions),
    before: o.before,
    after: o.after ?? null,
    afterUnknown: o.after_unknown === true,
    sensitive: o.before_sensitive === true || o.after_sensitive === true,
  }));
  return planOf(changes, outputs);
}

const V1 = `
resource "terraform_data" "upd" {
  input = { name = "x", list = ["a", "b", "c", "d", "e", "f"], script = "l1\\nl2\\nl3\\n", objs = [{ k = 1, v = "one" }, { k = 2, v = "two" }], gone = "bye" }
}
resource "terraform_data" "rep" {
  input            = "same"
  triggers_replace = ["v1"]
}
resource "terraform_data" "cnt" {
  count = 2
  input = "c\${count.index}"
}
resource "terraform_data" "old" {
  input = "moving"
}
output "o" { value = "one" }
output "gone" { value = { a = [1] } }
`;

const V2 = `
resource "terraform_data" "upd" {
  input = { name = "y", list = ["a", "b", "X", "d", "e", "f", "g"], script = "l1\\nl2 changed\\nl3\\n", objs = [{ k = 1, v = "uno" }, { k = 2, v = "two" }], added = { deep = true } }
}
resource "terraform_data" "rep" {
  input            = "same"
  triggers_replace = ["v0", "v1"]
}
resource "terraform_data" "cnt" {
  count = 1
  input = "c\${count.index}"
}
moved {
  from = terraform_data.old
  to   = terraform_data.new
}
resource "terraform_data" "new" {
  input = "moving"
}
resource "terraform_data" "fresh" {
  input = { when = terraform_data.rep.id, list = [] }
}
import {
  to = terraform_data.imp
  id = "imported-id"
}
resource "terraform_data" "imp" {}
output "o" { value = "two" }
output "n" { value = terraform_data.rep.id }
`;

test('text and JSON renderings match terraform for the same plan', { skip, timeout: 120_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'poolform-tf-oracle-'));
  try {
    const rc = join(dir, 'cli.tfrc');
    writeFileSync(rc, '');
    const env = { ...process.env, TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
    const tf = (...args: string[]) => {
      const r = spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
      if (r.status !== 0) throw new Error(`terraform ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    writeFileSync(join(dir, 'main.tf'), V1);
    try {
      tf('init', '-no-color', '-input=false');
      tf('apply', '-no-color', '-auto-approve', '-input=false');
    } catch (e) {
      t.skip(`terraform cannot run here: ${(e as Error).message.split('\n')[0]}`);
      return;
    }
    writeFileSync(join(dir, 'main.tf'), V2);
    tf('plan', '-no-color', '-input=false', '-out=plan.bin');
    const doc = JSON.parse(tf('show', '-json', 'plan.bin')) as TfDoc & Record<string, any>;
    const theirs = tf('show', '-no-color', 'plan.bin');

    const plan = fromTerraform(doc);
    // Terraform wraps its first paragraph to 78 columns; ours is one line. Otherwise identical.
    const normalized = theirs
      .replace(/Terraform/g, 'Poolform')
      .replace(/^\n+/, '')
      .replace(/^Poolform used[\s\S]*?symbols:\n/, (m) => m.replace(/\n(?!$)/g, ' '));
    // terraform_data's attributes are dynamically typed, and for those Terraform drops the
    // "# forces replacement" note that it prints for typed attributes; we always print it.
    const mine = renderPlanText(plan, { color: false }).replace(/ # forces replacement/g, '');
    assert.equal(mine.trimEnd(), normalized.trimEnd());

    const ours = renderPlanJSON(plan, {}) as Record<string, any>;
    assert.equal(ours.format_version, doc.format_version);
    const byAddr = new Map<string, Record<string, any>>(ours.resource_changes.map((r: Record<string, any>) => [r.address, r]));
    assert.equal(byAddr.size, doc.resource_changes.length);
    for (const want of doc.resource_changes) {
      const got = byAddr.get(want.address)!;
      assert.ok(got, want.address);
      const { provider_name: _a, ...gotRest } = got;
      const { provider_name: _b, ...wantRest } = want;
      assert.deepEqual(gotRest, wantRest, want.address);
    }
    assert.deepEqual(ours.output_changes, doc.output_changes);
    for (const k of ['planned_values', 'resource_changes', 'output_changes', 'relevant_attributes', 'timestamp', 'applyable', 'complete', 'errored']) {
      assert.ok(k in ours, `top-level ${k}`);
    }
    assert.equal(ours.applyable, doc.applyable);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
