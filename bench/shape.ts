// The benchmark configurations: N poolform_data (or Terraform's terraform_data) instances, each
// referring to an earlier one, so the graph has real edges and depth.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function writeShape(n: number, kind: 'poolform' | 'terraform'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${kind}-${n}-`));
  const type = kind === 'poolform' ? 'poolform_data' : 'terraform_data';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    // Every instance refers to the one before it and to one far back: a deep chain plus cross links.
    const refs = i === 0 ? '"root"' : `"\${${type}.n${i - 1}.id}-\${${type}.n${Math.floor(i / 2)}.id}"`;
    parts.push(`resource "${type}" "n${i}" {\n  input = {\n    index = ${i}\n    ref   = ${refs}\n  }\n}\n`);
  }
  fs.writeFileSync(path.join(dir, kind === 'poolform' ? 'main.hcl' : 'main.tf'), parts.join('\n'));
  return dir;
}

/** A flat shape for apply benchmarks: N independent instances (apply is about the journal, not depth). */
export function writeFlat(n: number, kind: 'poolform' | 'terraform'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-flat-${kind}-${n}-`));
  const type = kind === 'poolform' ? 'poolform_data' : 'terraform_data';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`resource "${type}" "n${i}" {\n  input = ${i}\n}\n`);
  fs.writeFileSync(path.join(dir, kind === 'poolform' ? 'main.hcl' : 'main.tf'), parts.join('\n'));
  return dir;
}
