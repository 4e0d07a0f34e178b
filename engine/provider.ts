// The provider contract: what the engine asks of every platform. The engine knows no platform;
// it only calls these functions and reads the schemas they serve.

import type { Diagnostic } from './diagnostics.js';
import type { ResourceSchema } from './schema/types.js';

/** Plain attribute data as stored in state and plans (no unknown or sensitive wrappers). */
export type Attrs = Record<string, unknown>;

export interface ProviderContext {
  /** Directory of the root configuration (for providers that keep files beside it). */
  rootDir: string;
  /** Report progress of a long step (shown by the apply progress display). */
  log(message: string): void;
  /** Aborted when the user interrupts: providers stop polling and give up cleanly. */
  signal: AbortSignal;
  /**
   * Records a platform task (XAPI task ref, Proxmox UPID, oVirt job) the current step started, in
   * the apply journal, before waiting for it: a killed apply then names the tasks still running.
   * Present only while a step runs.
   */
  task?(handle: string): void;
  /** The address of the step being applied (for platform-side audit trails). */
  step?: string;
}

export interface PreflightContext extends ProviderContext {
  /** The session of the provider configuration the changes run under, opened on first use. */
  session(): Promise<Session>;
}

export interface Session {
  /** A short name for messages: the pool coordinator, the node, the engine URL. */
  readonly target: string;
  close(): Promise<void>;
}

/** One observed object: its platform id and attributes as the platform reports them. */
export interface Observed {
  id: string;
  attrs: Attrs;
}

export interface ObserveRequest {
  type: string;
  ids: string[]; // the ids state knows for this type (observation is bulk; ids are for filtering)
}

export interface OperationResult {
  id: string;
  /** Attributes after the operation, including computed ones. Secrets omitted. */
  attrs: Attrs;
  /**
   * The platform task that ran it (XAPI task ref, Proxmox UPID, oVirt job id), for the journal.
   * Needed only to name another than the last one reported through ctx.task(), which is the default.
   */
  task?: string;
}

export interface PlannedChange {
  address: string;
  /** The provider configuration it runs under ("provider.xenserver", "module.a.provider.xenserver.dc2"). */
  provider?: string;
  type: string;
  action: 'create' | 'update' | 'replace' | 'delete' | 'read' | 'noop';
  before: Attrs | null;
  after: Attrs | null; // unknown values appear as { "(known after apply)": true } placeholders; see UNKNOWN_MARK
  changedPaths: string[][];
}

export type Impact = 'none' | 'live' | 'host-reboot' | 'vm-restart' | 'network-blip' | 'pool-outage';

export interface Provider {
  /** The prefix of its resource types: `xenserver` serves `xenserver_*`. */
  readonly name: string;
  /** The resource and data-source types it serves, from `schemas/`. */
  readonly schemas: ResourceSchema[];
  /** Objects live only in poolform's state (poolform_data): never observed, never drifting. */
  readonly stateOnly?: boolean;
  /** The schema of the provider's own configuration block (connection settings). */
  readonly configSchema?: ResourceSchema;

  connect(config: Attrs, ctx: ProviderContext): Promise<Session>;

  /** Live objects of the given types, in bulk: one request per class per target. */
  observe(session: Session, requests: ObserveRequest[], ctx: ProviderContext): Promise<Map<string, Observed[]>>;

  /**
   * What the platform would refuse, or what would hurt, before anything runs. Called once per
   * provider configuration with that configuration's changes. It may probe the platform (read-only)
   * through `ctx.session()`. A diagnostic that names an `address` gets that resource's source
   * range, and is shown with the address (so its summary need not repeat it).
   */
  preflight?(changes: PlannedChange[], observed: Map<string, Observed[]>, ctx: PreflightContext): Diagnostic[] | Promise<Diagnostic[]>;

  /** How disruptive a change is; defaults to 'none' for create/delete of standalone objects. */
  impact?(change: PlannedChange): Impact;

  create(session: Session, type: string, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  /**
   * `before` (and delete's `attrs`) is the object as the plan saw it: state refreshed with what
   * observation found, so values changed behind poolform's back are current; sensitive and
   * write-only attributes are null (state keeps only digests of them).
   */
  update(session: Session, type: string, id: string, before: Attrs, after: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  delete(session: Session, type: string, id: string, attrs: Attrs, ctx: ProviderContext): Promise<{ task?: string }>;
  /** Data sources: read by arguments. */
  read?(session: Session, type: string, args: Attrs, ctx: ProviderContext): Promise<Attrs>;
  /** Adopt an existing object by its platform id (import blocks, `poolform import`). */
  importObject?(session: Session, type: string, id: string, ctx: ProviderContext): Promise<Observed | undefined>;

  /**
   * Concurrency limits beyond -parallelism: the key a step queues on (e.g. the pool coordinator)
   * and how many steps may run on that key at once. Keys are per provider configuration; `config`
   * is that configuration's block (e.g. a max_concurrency setting).
   */
  limit?(type: string, attrs: Attrs | null, op?: 'create' | 'update' | 'delete', config?: Attrs): { key: string; max: number } | undefined;
}

/** The JSON placeholder for an unknown value inside plain attribute data. */
export const UNKNOWN_MARK = '(known after apply)';
