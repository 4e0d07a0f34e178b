// Saved plans: what `plan -out` writes and `apply FILE` / `show FILE` read. JSON, mode 0600. A plan
// holds no secrets (sensitive values are digests), but it does describe the infrastructure.

import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import type { Plan } from '../engine/plan/types.js';
import { PLAN_FORMAT_VERSION } from '../engine/plan/types.js';
import type { Config } from '../engine/config/model.js';
import { writeFileAtomic } from '../engine/state/file.js';

export interface PlanFile {
  poolform_plan: number;
  plan: Plan;
  /** Each configuration file's digest, to name what changed when a saved plan is refused. */
  config_files: Record<string, string>;
}

export function configFileDigests(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, src] of config.sources) out[name] = createHash('sha256').update(src).digest('hex').slice(0, 16);
  return out;
}

export function writePlanFile(path: string, plan: Plan, config: Config): void {
  const data: PlanFile = { poolform_plan: PLAN_FORMAT_VERSION, plan, config_files: configFileDigests(config) };
  writeFileAtomic(path, JSON.stringify(data), 0o600);
}

export function readPlanFile(path: string): PlanFile {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read saved plan ${path}: ${(e as Error).message}`);
  }
  let data: PlanFile;
  try {
    data = JSON.parse(text) as PlanFile;
  } catch {
    throw new Error(`${path} is not a saved poolform plan (it is not JSON). Make one with: poolform plan -out=${path}`);
  }
  if (!data || typeof data !== 'object' || typeof data.poolform_plan !== 'number' || !data.plan) {
    throw new Error(`${path} is not a saved poolform plan. Make one with: poolform plan -out=${path}`);
  }
  if (data.poolform_plan > PLAN_FORMAT_VERSION) throw new Error(`${path} was written by a newer poolform (plan format ${data.poolform_plan}); upgrade poolform to apply it.`);
  return data;
}

/** Which files differ between a saved plan and the configuration now. */
export function changedFiles(saved: Record<string, string>, now: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [f, h] of Object.entries(now)) if (saved[f] !== h) out.push(saved[f] ? `${f} (changed)` : `${f} (added)`);
  for (const f of Object.keys(saved)) if (!(f in now)) out.push(`${f} (removed)`);
  return out;
}
