// Shared pieces of the simulators' wire tests (pve-wire-*, xen-wire-*): one SSH exec over loopback
// with ssh2's Client reporting everything that happened (the host key offered included), and a
// configuration applied with a lab's POOLFORM_VAR_* environment through the CLI, giving back its
// `all` output, to show the variables parse as the typed variables they are for.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'poolform.js');

export interface SshOutcome {
  ok: boolean;
  error?: Error & { level?: string };
  stdout?: string;
  stderr?: string;
  code?: number | null;
  /** The host key the server offered (before the verifier judged it). */
  hostKey?: Buffer;
}

/**
 * Connects with `cfg` (host, port, credentials; its hostVerifier, a boolean function, decides; none
 * accepts any key), runs one command and waits for its exit status.
 */
export function sshExec(command: string, cfg: ConnectConfig): Promise<SshOutcome> {
  const verify = cfg.hostVerifier as ((key: Buffer) => boolean) | undefined;
  return new Promise((resolve) => {
    const c = new ssh2.Client();
    let hostKey: Buffer | undefined;
    let settled = false;
    const done = (o: SshOutcome) => {
      if (settled) return;
      settled = true;
      c.end();
      resolve({ ...o, hostKey });
    };
    c.on('ready', () => {
      c.exec(command, (err, stream) => {
        if (err) return done({ ok: false, error: err });
        let stdout = '';
        let stderr = '';
        stream.on('data', (d: Buffer) => (stdout += d));
        stream.stderr.on('data', (d: Buffer) => (stderr += d));
        stream.on('exit', (code: number | null) => stream.on('close', () => done({ ok: true, stdout, stderr, code })));
      });
    });
    c.on('error', (error) => done({ ok: false, error }));
    c.on('close', () => done({ ok: false, error: new Error('closed') }));
    c.connect({
      readyTimeout: 5000,
      ...cfg,
      hostVerifier: (key: Buffer) => {
        hostKey = key;
        return verify?.(key) ?? true;
      },
    });
  });
}

/** Writes `hcl` as cfgDir/main.hcl, applies it with `env` through the CLI, and returns output "all". */
export function applyWithEnv(cfgDir: string, hcl: string, env: Record<string, string>): unknown {
  fs.writeFileSync(path.join(cfgDir, 'main.hcl'), hcl);
  const r = spawnSync(process.execPath, [CLI, `-chdir=${cfgDir}`, 'apply', '-auto-approve'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const o = spawnSync(process.execPath, [CLI, `-chdir=${cfgDir}`, 'output', '-json'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(o.status, 0, o.stderr);
  return (JSON.parse(o.stdout) as { all: { value: unknown } }).all.value;
}
