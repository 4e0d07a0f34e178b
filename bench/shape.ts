// The benchmark configurations: N poolform_data (or Terraform's terraform_data) instances. Linked,
// each refers to the one before it and to one far back, so the graph has real edges and depth
// (for plan); flat, they are independent (for apply, which is about the journal, not depth).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function writeShape(n: number, kind: 'poolform' | 'terraform', linked = true): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${linked ? 'linked' : 'flat'}-${kind}-${n}-`));
  const type = kind === 'poolform' ? 'poolform_data' : 'terraform_data';
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    if (!linked) parts.push(`resource "${type}" "n${i}" {\n  input = ${i}\n}\n`);
    else {
      const ref = i === 0 ? '"root"' : `"\${${type}.n${i - 1}.id}-\${${type}.n${Math.floor(i / 2)}.id}"`;
      parts.push(`resource "${type}" "n${i}" {\n  input = {\n    index = ${i}\n    ref   = ${ref}\n  }\n}\n`);
    }
  }
  fs.writeFileSync(path.join(dir, kind === 'poolform' ? 'main.hcl' : 'main.tf'), parts.join('\n'));
  return dir;
}
