// What plan, apply, destroy and import share: their flags, opening the workspace, holding the
// state lock, and the provider context (progress log and Ctrl-C).

import { setMaxListeners } from 'node:events';
import { Diagnostics } from '../engine/diagnostics.js';
import { openWorkspace, type Workspace } from '../engine/workspace.js';
import { lockInfoFor } from '../engine/state/lock.js';
import { emptyState } from '../engine/state/ops.js';
import type { VarArg } from '../engine/config/vars.js';
import type { ProviderContext } from '../engine/provider.js';
import type { State } from '../engine/state/types.js';
import { parseDuration, type FlagSpec, type Parsed } from './args.js';
import { printDiagnostics } from './io.js';
import type { CommandContext } from './poolform.js';

export const VAR_FLAGS: FlagSpec = { var: 'multi', 'var-file': 'multi' };
export const LOCK_FLAGS: FlagSpec = { lock: 'bool', 'lock-timeout': 'string', state: 'string' };
export const PLAN_FLAGS: FlagSpec = {
  ...VAR_FLAGS,
  ...LOCK_FLAGS,
  destroy: 'bool',
  refresh: 'bool',
  target: 'multi',
  replace: 'multi',
  'no-color': 'bool',
  parallelism: 'int',
  input: 'bool',
  compact: 'bool',
};

export function varArgs(p: Parsed): VarArg[] {
  return p.ordered.filter((o) => o.name === 'var' || o.name === 'var-file').map((o) => (o.name === 'var' ? { kind: 'var', text: o.value } : { kind: 'file', path: o.value }));
}

/** File texts of the last workspace opened, for source excerpts in errors (also when it failed to load). */
const sources = new Map<string, string>();

export async function open(ctx: CommandContext, p: Parsed, diags: Diagnostics, noVars = false, preset?: Record<string, unknown>): Promise<Workspace | undefined> {
  return openWorkspace({ dir: ctx.dir, cwd: ctx.cwd, vars: varArgs(p), env: process.env, noVars, statePath: p.flags.state as string | undefined, preset }, diags, sources);
}

export function reportAndFail(diags: Diagnostics, ws: Workspace | undefined, color: boolean): boolean {
  return printDiagnostics(diags.list, ws?.config.sources ?? sources, color);
}

/** Runs `fn` holding the state lock (unless -lock=false). */
export async function withLock<T>(ws: Workspace, p: Parsed, operation: string, fn: () => Promise<T>): Promise<T> {
  if (p.flags.lock === false) return fn();
  const timeout = p.flags['lock-timeout'] ? parseDuration(p.flags['lock-timeout'] as string, 'lock-timeout') : 0;
  const lock = await ws.backend.lock(lockInfoFor(operation, ws.version), timeout);
  try {
    return await fn();
  } finally {
    await ws.backend.unlock(lock.id);
  }
}

/**
 * The current state, with a journal left by an interrupted apply folded in first. With no state
 * yet, a new empty one; `lineage` gives it the lineage a saved plan was made with (its secret
 * digests are salted with it).
 */
export async function currentState(ws: Workspace, recover: boolean, lineage?: string): Promise<State> {
  // plan only reads the journal (it never writes); apply folds it into the state file first.
  const r = recover ? await ws.backend.recover() : { ...ws.backend.inspect(), recovered: 0 };
  if (r.recovered > 0) process.stderr.write(`Recovered ${r.recovered} step(s) journalled by an apply that did not finish.\n`);
  if (r.unfinishedTasks.length > 0) {
    process.stderr.write(
      `Warning: the interrupted apply left platform tasks that may still be running:\n` +
        r.unfinishedTasks.map((t) => `  ${t.address}: ${t.task}\n`).join('') +
        `Check them on the platform (for XAPI: xe task-list) before applying again; the plan reflects what the platform reports now.\n`,
    );
  }
  return r.state ?? { ...emptyState(ws.version), ...(lineage ? { lineage } : {}) };
}

export function providerContext(rootDir: string, signal: AbortSignal, log: (m: string) => void = () => {}): ProviderContext {
  // Every request of every step listens on this one signal at once (16 nodes read in parallel is
  // normal): many listeners are the design, not a leak, so Node's warning at 10 is turned off.
  setMaxListeners(0, signal);
  return { rootDir, signal, log };
}

/**
 * First Ctrl-C: `stop` fires — no new steps start, running ones finish, state is saved.
 * Second: `abort` fires (providers give up what they are doing) and poolform leaves; every
 * finished step is already in the journal.
 */
export function interruptible(): { stop: AbortSignal; abort: AbortSignal; dispose(): void } {
  const stop = new AbortController();
  const abort = new AbortController();
  let count = 0;
  const onSig = () => {
    count++;
    if (count === 1) {
      process.stderr.write('\nInterrupt received: no new operations will start; waiting for running ones to finish and saving state...\n');
      stop.abort();
    } else {
      process.stderr.write('\nSecond interrupt: exiting now. Every finished step is in the journal; the next command recovers it.\n');
      abort.abort();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  return {
    stop: stop.signal,
    abort: abort.signal,
    dispose: () => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    },
  };
}
