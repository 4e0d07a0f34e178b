// Setup shared by the state tests (file, journal, lock): temporary directories removed when the
// test file ends, and a local backend in one of them.

import { after } from 'node:test';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBackend, STATE_FILE_NAME } from '../../engine/state/local.js';

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A new empty directory, removed after the test file's tests. */
export function tempDir(prefix = 'pf-state-'): string {
  const dir = fs.mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** A local backend (poolform 0.1.0) for `poolform.state.json` in `dir`. */
export function backendIn(dir: string): LocalBackend {
  return new LocalBackend(join(dir, STATE_FILE_NAME), { version: '0.1.0' });
}

/** A local backend in a new temporary directory. */
export function tempBackend(prefix?: string): LocalBackend {
  return backendIn(tempDir(prefix));
}
