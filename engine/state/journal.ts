// The apply journal: `poolform.state.json.journal`, one fsync'ed JSON line per applied step, so a
// killed apply loses nothing it did and never rewrites the (possibly large) state per step.
// Line 1 is a header naming the state it was based on (lineage + serial); replay refuses any
// other base. A torn last line (crash mid-write) is ignored; damage anywhere else is an error.

import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { ValidateFunction } from 'ajv';
import type { Journal, JournalEntry, JournalStep, OutputState, ResourceInstanceState, State } from './types.js';
import { STATE_FORMAT_VERSION } from './types.js';
import {
  OUTPUTS_SCHEMA,
  RESOURCE_INSTANCE_SCHEMA,
  StateError,
  describeSchemaErrors,
  fsyncDir,
  readTextIfExists,
  sharedAjv,
} from './file.js';
import { compareAddresses } from './address-order.js';

export const JOURNAL_FORMAT_VERSION = 1;

export interface JournalHeader {
  poolform_journal: number;
  lineage: string;
  base_serial: number;
  poolform_version: string;
  created: string;
}

const ENTRY_SCHEMA = {
  oneOf: [
    {
      type: 'object',
      required: ['op', 'seq', 'at', 'resource'],
      properties: { op: { const: 'put' }, seq: { type: 'integer' }, at: { type: 'string' }, resource: RESOURCE_INSTANCE_SCHEMA },
    },
    {
      type: 'object',
      required: ['op', 'seq', 'at', 'address'],
      properties: {
        op: { const: 'delete' },
        seq: { type: 'integer' },
        at: { type: 'string' },
        address: { type: 'string', minLength: 1 },
        task: { type: 'string' },
      },
    },
    {
      type: 'object',
      required: ['op', 'seq', 'at', 'outputs'],
      properties: { op: { const: 'outputs' }, seq: { type: 'integer' }, at: { type: 'string' }, outputs: OUTPUTS_SCHEMA },
    },
    {
      type: 'object',
      required: ['op', 'seq', 'at', 'address', 'task'],
      properties: {
        op: { const: 'task' },
        seq: { type: 'integer' },
        at: { type: 'string' },
        address: { type: 'string', minLength: 1 },
        task: { type: 'string', minLength: 1 },
      },
    },
  ],
} as const;

let entryValidator: ValidateFunction | undefined;

/** Checks one entry's shape; returns a message or undefined. */
function entryProblem(entry: unknown): string | undefined {
  entryValidator ??= sharedAjv().compile(ENTRY_SCHEMA);
  if (entryValidator(entry)) return undefined;
  const op = (entry as { op?: unknown } | null)?.op;
  const branch = ['put', 'delete', 'outputs', 'task'].indexOf(op as string);
  if (branch < 0) return `unknown op ${JSON.stringify(op)}`;
  // oneOf reports every branch; keep the errors of the branch named by `op`.
  const errs = (entryValidator.errors ?? []).filter((e) => e.schemaPath.startsWith(`#/oneOf/${branch}/`));
  return describeSchemaErrors(errs, entry).join('; ') || 'invalid entry';
}

// ---------------------------------------------------------------------------------------------
// Applying entries

/** The state with `entries` applied, resources sorted by address. Does not change `base`. */
export function applyEntries(base: State, entries: Iterable<JournalEntry>): State {
  const folder = new Folder(base);
  for (const e of entries) folder.apply(e);
  return folder.state();
}

/** A platform task a step started and never saw finish (its step has no put/delete after it). */
export interface UnfinishedTask {
  address: string;
  task: string;
}

/** Tasks recorded in `entries` whose steps did not complete: they may still run on the platform. */
export function unfinishedTasks(entries: Iterable<JournalEntry>): UnfinishedTask[] {
  const open = new Map<string, string[]>();
  for (const e of entries) {
    if (e.op === 'task') open.set(e.address, [...(open.get(e.address) ?? []), e.task]);
    else if (e.op === 'put') open.delete(e.resource.address);
    else if (e.op === 'delete') open.delete(e.address);
  }
  return [...open].flatMap(([address, tasks]) => tasks.map((task) => ({ address, task })));
}

/** Keeps resources in a Map while entries apply, so each step is O(1). */
class Folder {
  private readonly resources = new Map<string, ResourceInstanceState>();
  private outputs: Record<string, OutputState>;
  private cached: State | undefined;
  constructor(private readonly base: State) {
    for (const r of base.resources) this.resources.set(r.address, r);
    this.outputs = base.outputs;
    this.cached = base;
  }
  apply(e: JournalEntry): void {
    if (e.op === 'put') this.resources.set(e.resource.address, e.resource);
    else if (e.op === 'delete') this.resources.delete(e.address);
    else if (e.op === 'outputs') this.outputs = e.outputs;
    else return; // a task record changes no state
    this.cached = undefined;
  }
  state(): State {
    if (this.cached) return this.cached;
    const resources = Array.from(this.resources.values());
    resources.sort((a, b) => compareAddresses(a.address, b.address));
    this.cached = { ...this.base, resources, outputs: this.outputs };
    return this.cached;
  }
}

// ---------------------------------------------------------------------------------------------
// Reading a journal left behind

export interface JournalContents {
  /** Undefined when even the header line was torn (the apply died before its first step). */
  header?: JournalHeader;
  entries: JournalEntry[];
  /** A last line was incomplete and ignored. */
  tornTail: boolean;
}

/** Reads a journal file; undefined if there is none. Throws StateError when it is damaged. */
export function readJournalFile(path: string): JournalContents | undefined {
  const text = readTextIfExists(path);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  // A complete file ends with "\n", leaving one empty string last.
  if (lines[lines.length - 1] === '') lines.pop();
  const parsed: unknown[] = [];
  let tornTail = false;
  for (let i = 0; i < lines.length; i++) {
    try {
      parsed.push(JSON.parse(lines[i]));
    } catch {
      if (i === lines.length - 1) {
        tornTail = true; // the step being written when the process died: it never completed
        break;
      }
      throw new StateError(`${path}:${i + 1}: damaged journal line (not JSON); the journal cannot be replayed`);
    }
  }
  if (parsed.length === 0) return { entries: [], tornTail };
  const h = parsed[0] as Partial<JournalHeader> | null;
  if (
    !h ||
    typeof h !== 'object' ||
    typeof h.poolform_journal !== 'number' ||
    typeof h.lineage !== 'string' ||
    typeof h.base_serial !== 'number'
  ) {
    throw new StateError(`${path}:1: not a poolform journal (bad header line)`);
  }
  if (h.poolform_journal > JOURNAL_FORMAT_VERSION) {
    throw new StateError(
      `${path} was written by a newer poolform ${h.poolform_version ?? ''} (journal format ${h.poolform_journal}). ` +
        `Upgrade poolform to recover it.`,
    );
  }
  const entries: JournalEntry[] = [];
  for (let i = 1; i < parsed.length; i++) {
    const e = parsed[i] as JournalEntry;
    const problem = entryProblem(e);
    if (problem) throw new StateError(`${path}:${i + 1}: invalid journal entry: ${problem}`);
    if (e.seq !== i) throw new StateError(`${path}:${i + 1}: journal entry has seq ${e.seq}, expected ${i}`);
    entries.push(e);
  }
  return { header: h as JournalHeader, entries, tornTail };
}

export interface Replayed {
  /** The state to plan against: the base with every complete entry applied. */
  state: State | undefined;
  /** Entries applied (0 when the journal had none or was already committed). */
  applied: number;
  /** The journal was already folded into the state (a crash came between commit and unlink). */
  alreadyCommitted: boolean;
  tornTail: boolean;
  /** Platform tasks the interrupted apply started and never saw finish (none once committed). */
  unfinishedTasks: UnfinishedTask[];
}

/**
 * Replays a journal onto the state file it was based on. `state` is the state file (undefined if
 * there is none; then the journal must be based on serial 0, a first apply).
 */
export function replayJournal(
  state: State | undefined,
  journal: JournalContents,
  statePath: string,
  journalPath: string,
): Replayed {
  const h = journal.header;
  if (!h) return { state, applied: 0, alreadyCommitted: false, tornTail: journal.tornTail, unfinishedTasks: [] };
  let base: State;
  if (!state) {
    if (h.base_serial !== 0) {
      throw new StateError(
        `${journalPath} continues state serial ${h.base_serial} (lineage ${h.lineage}), but ${statePath} ` +
          `does not exist. Restore ${statePath} (or its .backup) before running poolform again.`,
      );
    }
    base = {
      format_version: STATE_FORMAT_VERSION,
      poolform_version: h.poolform_version,
      serial: 0,
      lineage: h.lineage,
      resources: [],
      outputs: {},
    };
  } else {
    if (state.lineage !== h.lineage) {
      throw new StateError(
        `${journalPath} belongs to another state (lineage ${h.lineage}) than ${statePath} ` +
          `(lineage ${state.lineage}); it cannot be replayed. Move the journal aside if this state is the right one.`,
      );
    }
    // Commit writes the new state (serial + 1) and then deletes the journal; a crash between
    // the two leaves a journal that is already folded in.
    if (state.serial === h.base_serial + 1) {
      return { state, applied: 0, alreadyCommitted: true, tornTail: journal.tornTail, unfinishedTasks: [] };
    }
    if (state.serial !== h.base_serial) {
      throw new StateError(
        `${journalPath} continues state serial ${h.base_serial}, but ${statePath} is at serial ${state.serial}; ` +
          `it cannot be replayed. Move the journal aside if this state is the right one.`,
      );
    }
    base = state;
  }
  return {
    state: applyEntries(base, journal.entries),
    applied: journal.entries.length,
    alreadyCommitted: false,
    tornTail: journal.tornTail,
    unfinishedTasks: unfinishedTasks(journal.entries),
  };
}

// ---------------------------------------------------------------------------------------------
// Writing a journal during apply

/** Removes the journal file durably (the unlink is fsync'ed through the directory). */
export function removeJournalFile(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StateError(`cannot remove ${path}: ${(err as Error).message}`);
    }
  }
  fsyncDir(dirname(path));
}

function writeAllSync(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

export class FileJournal implements Journal {
  private fd: number | undefined;
  private seq = 0;
  private readonly folder: Folder;
  private committed = false;

  private constructor(
    readonly path: string,
    private readonly base: State,
    private readonly version: string,
    private readonly writeState: (state: State) => void,
    fd: number,
  ) {
    this.fd = fd;
    this.folder = new Folder(base);
  }

  /**
   * Creates the journal (0600; fails if one exists) and durably writes its header.
   * `writeState` is how commit replaces the state file (atomically, with backup).
   */
  static create(path: string, base: State, version: string, writeState: (state: State) => void): FileJournal {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new StateError(
          `${path} exists: an earlier apply was interrupted. Its steps must be recovered into the state first ` +
            `(the next apply does this under the lock).`,
        );
      }
      throw new StateError(`cannot create ${path}: ${(err as Error).message}`);
    }
    try {
      fs.fchmodSync(fd, 0o600);
      const header: JournalHeader = {
        poolform_journal: JOURNAL_FORMAT_VERSION,
        lineage: base.lineage,
        base_serial: base.serial,
        poolform_version: version,
        created: new Date().toISOString(),
      };
      writeAllSync(fd, JSON.stringify(header) + '\n');
      fs.fsyncSync(fd);
      fsyncDir(dirname(path));
    } catch (err) {
      fs.closeSync(fd);
      try {
        fs.unlinkSync(path);
      } catch {
        // nothing to clean
      }
      throw new StateError(`cannot write ${path}: ${(err as Error).message}`);
    }
    return new FileJournal(path, base, version, writeState, fd);
  }

  /** Durable once this resolves: the line is written and fdatasync'ed. */
  async append(step: JournalStep): Promise<void> {
    this.appendSync(step);
  }

  appendSync(step: JournalStep): void {
    if (this.fd === undefined) throw new StateError(`${this.path}: journal is ${this.committed ? 'committed' : 'closed'}`);
    const { at, ...rest } = step as JournalStep & { at?: string };
    const entry = { ...rest, seq: this.seq + 1, at: at ?? new Date().toISOString() } as JournalEntry;
    const problem = entryProblem(entry);
    if (problem) throw new StateError(`refusing to journal an invalid ${entry.op} step: ${problem}`);
    const line = JSON.stringify(entry) + '\n';
    writeAllSync(this.fd, line);
    // fdatasync: the data and the file size are what replay needs; mtime is not.
    fs.fdatasyncSync(this.fd);
    this.seq++;
    // Apply what was written (not the caller's object, which it may still change), so current()
    // is exactly what a replay would produce.
    this.folder.apply(JSON.parse(line) as JournalEntry);
  }

  current(): State {
    return this.folder.state();
  }

  /** Entries appended so far. */
  get length(): number {
    return this.seq;
  }

  async commit(): Promise<State> {
    if (this.fd === undefined) throw new StateError(`${this.path}: journal is ${this.committed ? 'committed' : 'closed'}`);
    const next: State = { ...this.current(), serial: this.base.serial + 1, poolform_version: this.version };
    this.writeState(next); // on failure the journal stays, and the next run recovers from it
    fs.closeSync(this.fd);
    this.fd = undefined;
    this.committed = true;
    removeJournalFile(this.path);
    return next;
  }

  /** Closes without committing: the journal stays on disk for recovery (as after a crash). */
  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
