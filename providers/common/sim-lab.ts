// The housekeeping both simulated labs (XenServer's and Proxmox's sim/lab.ts) share: the lab
// directory (a temporary one unless given), reading saved JSON, a listen that explains a busy
// port, writing the world atomically and soon after each change, the lab.env file of
// POOLFORM_VAR_* variables, and the table of hosts the lab command prints.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const LOOPBACK = '127.0.0.1';
/** How long after a change the world is saved (changes meanwhile are saved with it). */
const SAVE_DELAY_MS = 300;

/** The lab's directory: `dir` (created if missing), or a fresh temporary one (temp: removed on stop). */
export function labDir(dir: string | undefined, tempPrefix: string): { dir: string; temp: boolean } {
  const temp = dir === undefined;
  const resolved = temp ? fs.mkdtempSync(path.join(os.tmpdir(), tempPrefix)) : path.resolve(dir);
  fs.mkdirSync(resolved, { recursive: true });
  return { dir: resolved, temp };
}

/** A JSON file's content, or undefined when it is missing or unreadable. */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Starts one of a host's listeners, saying which port is busy when it is. */
export async function listenForLab(what: string, name: string, start: () => Promise<number>, port: number | undefined): Promise<number> {
  try {
    return await start();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`cannot start the lab: ${name}'s ${what} port ${port} on ${LOOPBACK} is in use (another lab running? choose --base-port, or another --dir)`);
    throw e;
  }
}

/** Writes `text` aside and renames it over `file`, so an interrupted save never leaves half a world. */
export function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

/** Saves soon after a change (so a lab killed without stop() keeps its world); cancel() on stop. */
export function autosaver(save: () => void): { changed(): void; cancel(): void } {
  let pending: NodeJS.Timeout | undefined;
  return {
    changed() {
      if (pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        try {
          save();
        } catch {
          // stop() saves again and reports what keeps failing
        }
      }, SAVE_DELAY_MS);
      pending.unref();
    },
    cancel() {
      clearTimeout(pending);
    },
  };
}

/** Writes DIR/lab.env (shell- and dotenv-readable: NAME='value', owner-only); returns its path. */
export function writeEnvFile(dir: string, platform: string, env: Record<string, string>): string {
  const file = path.join(dir, 'lab.env');
  const lines = Object.entries(env).map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`);
  fs.writeFileSync(file, `# poolform lab ${platform}: load with  set -a; . ${file}; set +a\n${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** Rows as aligned columns (two spaces apart; the last column unpadded). */
export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n');
}
