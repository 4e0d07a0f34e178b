// Runs the real `poolform` command as a subprocess in a temporary configuration directory.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/ root (this file lives in dist/test/e2e). */
export const DIST = path.resolve(here, '..', '..');
export const CLI = path.join(DIST, 'cli', 'poolform.js');
export const TEST_PROVIDER = path.join(DIST, 'test', 'provider', 'index.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function poolform(dir: string, args: string[], env: Record<string, string> = {}, input?: string): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', POOLFORM_TEST_FAIL_ON: '', ...env },
    encoding: 'utf8',
    input,
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tmpConfig(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'poolform-e2e-'));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

export const USE_TEST_PROVIDER = `poolform {
  required_providers {
    test = { source = ${JSON.stringify(TEST_PROVIDER)} }
  }
}
`;

export function readState(dir: string): { serial: number; lineage: string; resources: { address: string; id: string; attributes: Record<string, unknown> }[]; outputs: Record<string, { value: unknown; sensitive: boolean }> } {
  return JSON.parse(fs.readFileSync(path.join(dir, 'poolform.state.json'), 'utf8'));
}
