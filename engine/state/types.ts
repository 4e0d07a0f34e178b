// The state: what poolform last applied, by address. Plain JSON on disk.

export const STATE_FORMAT_VERSION = 1;

export interface ResourceInstanceState {
  /** Full instance address, e.g. module.net.xenserver_vlan.storage["host1"]. */
  address: string;
  mode: 'managed' | 'data';
  type: string;
  provider: string; // provider configuration address: "xenserver" or "xenserver.dc2"
  /** The platform's id (UUID, storage id, ...). */
  id: string;
  /** Attributes as last applied / observed. Sensitive and write-only values are never here. */
  attributes: Record<string, unknown>;
  /** Paths of attributes that are sensitive (their values are stored; they are never printed). */
  sensitivePaths?: (string | number)[][];
  /** Addresses (without instance keys) this instance depended on when applied: for destroy order. */
  dependencies: string[];
  /** Set when a create succeeded only partly: the next plan replaces it. */
  tainted?: boolean;
  /** The last platform task that touched it (for audits of the journal). */
  task?: string;
}

export interface OutputState {
  value: unknown;
  sensitive: boolean;
}

export interface State {
  format_version: number;
  poolform_version: string;
  serial: number;
  lineage: string;
  resources: ResourceInstanceState[];
  outputs: Record<string, OutputState>;
}

/** One journal record: the effect of one applied step, appended as a JSON line. */
export type JournalEntry =
  | { op: 'put'; seq: number; resource: ResourceInstanceState; at: string }
  | { op: 'delete'; seq: number; address: string; task?: string; at: string }
  | { op: 'outputs'; seq: number; outputs: Record<string, OutputState>; at: string }
  /** A platform task a step started (recorded before waiting on it); cleared by the step's put/delete. */
  | { op: 'task'; seq: number; address: string; task: string; at: string };

export interface LockInfo {
  id: string;
  operation: string; // plan, apply, destroy, state mv, ...
  who: string; // user@host
  user: string;
  host: string;
  pid: number;
  created: string; // ISO time
  version: string;
  path: string;
}

/**
 * What Journal.append takes: one entry without the `seq` and `at` the journal fills in.
 * Distributive over the union (a plain Omit of a union would keep only the common `op`, and
 * object literals with `resource`/`address`/`outputs` would not type-check).
 */
export type JournalStep = JournalEntry extends infer E
  ? E extends JournalEntry
    ? Omit<E, 'seq' | 'at'> & { at?: string }
    : never
  : never;

/** A state backend: local file today, PostgreSQL for teams. */
export interface StateBackend {
  readonly description: string; // "local file ./poolform.state.json"
  /** Read current state (with any journal of an interrupted apply replayed). undefined if none. */
  read(): Promise<State | undefined>;
  /** Replace the whole state atomically (serial bumped by the caller). */
  write(state: State): Promise<void>;
  /** Begin journalling an apply on top of `base`. */
  openJournal(base: State): Promise<Journal>;
  lock(info: Omit<LockInfo, 'id' | 'path'>, timeoutMs: number): Promise<LockInfo>;
  unlock(lockId: string): Promise<void>;
  forceUnlock(lockId: string): Promise<void>;
  /** The lock holder, if any. */
  lockHolder(): Promise<LockInfo | undefined>;
}

export interface Journal {
  /** Durably record one step's effect (fsync'd) without rewriting the state. */
  append(entry: JournalStep): Promise<void>;
  /** Fold the journal into a new state snapshot (serial + 1), keep a backup, remove the journal. */
  commit(): Promise<State>;
  /** The state as it stands with the journal applied so far. */
  current(): State;
}
