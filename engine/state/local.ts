// The local state backend: poolform.state.json beside the configuration, with its .backup,
// .journal (an apply in progress) and .lock files next to it. Ties file.ts, journal.ts and
// lock.ts together behind the StateBackend contract.

import { isAbsolute, relative, resolve, sep } from 'node:path';
import { poolformVersion } from '../version.js';
import type { Journal, LockInfo, State, StateBackend } from './types.js';
import { readStateFile, writeStateFile } from './file.js';
import { FileJournal, readJournalFile, removeJournalFile, replayJournal, type JournalContents, type UnfinishedTask } from './journal.js';
import { acquireLock, forceReleaseLock, lockHolder, releaseLock } from './lock.js';

export const STATE_FILE_NAME = 'poolform.state.json';

export interface LocalBackendOptions {
  /** This poolform's version (default: from package.json): stamped on writes, checked on reads. */
  version?: string;
}

/** The current state, and what an apply that did not finish may have left running. */
export interface Inspected {
  /** The state (undefined if there is none). */
  state: State | undefined;
  /** Platform tasks the interrupted apply started and never saw finish: they may still be running. */
  unfinishedTasks: UnfinishedTask[];
}

/** What recover() did; `state` is the state now on disk. */
export interface RecoverResult extends Inspected {
  /** Journal entries folded into the state file (0 if there was no journal to fold). */
  recovered: number;
  /** A journal file was found and removed. */
  hadJournal: boolean;
}

export class LocalBackend implements StateBackend {
  readonly path: string;
  readonly backupPath: string;
  readonly journalPath: string;
  readonly lockPath: string;
  readonly version: string;

  /** @param statePath the state file, usually `<config dir>/poolform.state.json` */
  constructor(statePath: string, options: LocalBackendOptions = {}) {
    this.path = resolve(statePath);
    this.backupPath = `${this.path}.backup`;
    this.journalPath = `${this.path}.journal`;
    this.lockPath = `${this.path}.lock`;
    this.version = options.version ?? poolformVersion();
  }

  get description(): string {
    const rel = relative(process.cwd(), this.path);
    const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? this.path : `.${sep}${rel}`;
    return `local file ${shown}`;
  }

  /** The state file as written, ignoring any journal. */
  readFile(): State | undefined {
    return readStateFile(this.path, this.version);
  }

  /** The journal an interrupted apply left behind, if any. */
  pendingJournal(): JournalContents | undefined {
    return readJournalFile(this.journalPath);
  }

  /** Current state, with the journal of an interrupted apply replayed in memory (never writes). */
  async read(): Promise<State | undefined> {
    return this.inspect().state;
  }

  /** read(), plus the platform tasks that journal names as unfinished (what plan warns about). */
  inspect(): Inspected {
    const state = this.readFile();
    const journal = this.pendingJournal();
    if (!journal) return { state, unfinishedTasks: [] };
    const r = replayJournal(state, journal, this.path, this.journalPath);
    return { state: r.state, unfinishedTasks: r.unfinishedTasks };
  }

  /** Replaces the state atomically, keeping the previous one as .backup. Serial is the caller's. */
  async write(state: State): Promise<void> {
    this.writeSync(state);
  }

  private writeSync(state: State): void {
    writeStateFile(this.path, this.backupPath, state);
  }

  /**
   * Folds a journal left by an interrupted apply into the state file (serial + 1) and removes it.
   * Call it under the lock, before planning an apply.
   */
  async recover(): Promise<RecoverResult> {
    const state = this.readFile();
    const journal = this.pendingJournal();
    if (!journal) return { state, recovered: 0, hadJournal: false, unfinishedTasks: [] };
    const r = replayJournal(state, journal, this.path, this.journalPath);
    const { unfinishedTasks } = r;
    if (r.applied > 0 && r.state) {
      const next: State = { ...r.state, serial: r.state.serial + 1, poolform_version: this.version };
      this.writeSync(next);
      removeJournalFile(this.journalPath);
      return { state: next, recovered: r.applied, hadJournal: true, unfinishedTasks };
    }
    removeJournalFile(this.journalPath); // empty, or already committed
    return { state, recovered: 0, hadJournal: true, unfinishedTasks };
  }

  async openJournal(base: State): Promise<Journal> {
    return this.openFileJournal(base);
  }

  /** openJournal with the concrete type (adds close(), appendSync(), length). */
  openFileJournal(base: State): FileJournal {
    return FileJournal.create(this.journalPath, base, this.version, (s) => this.writeSync(s));
  }

  lock(info: Omit<LockInfo, 'id' | 'path'>, timeoutMs: number): Promise<LockInfo> {
    return acquireLock(this.lockPath, this.path, info, timeoutMs);
  }

  async unlock(lockId: string): Promise<void> {
    releaseLock(this.lockPath, this.path, lockId);
  }

  async forceUnlock(lockId: string): Promise<void> {
    forceReleaseLock(this.lockPath, this.path, lockId);
  }

  async lockHolder(): Promise<LockInfo | undefined> {
    return lockHolder(this.lockPath);
  }
}
