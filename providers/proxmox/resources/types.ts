// What each Proxmox resource type implements: one module per type under resources/, registered in
// resources/index.ts. Observation reads the parts of the cluster snapshot the type declares (and,
// for the few guests poolform manages, their configurations); operations talk to the API through
// the session.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Impact, Observed, OperationResult, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { PveSession } from '../session.js';
import type { Part, Snapshot } from '../snapshot.js';

export interface PveResourceType {
  /** The snapshot parts observe() reads (the session fetches their union once per plan). */
  parts: Part[];
  /** Objects of this type among `ids` (the ids state knows) as they are now; absent ids are gone. */
  observe(snap: Snapshot, ids: string[], s: PveSession, signal?: AbortSignal): Observed[] | Promise<Observed[]>;
  create(s: PveSession, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  update(s: PveSession, id: string, before: Attrs, after: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  delete(s: PveSession, id: string, attrs: Attrs, ctx: ProviderContext): Promise<{ task?: string }>;
  /** Adopts an existing object by its id; undefined when there is none. Defaults to observe of [id]. */
  importObject?(s: PveSession, id: string, ctx: ProviderContext): Promise<Observed | undefined>;
  /** Checks for this type's changes before anything runs; `all` is every change of the plan for this provider. */
  preflight?(changes: PlannedChange[], s: PveSession, ctx: ProviderContext, all: PlannedChange[]): Promise<Diagnostic[]>;
  impact?(change: PlannedChange): Impact;
  /** A queue stricter than the per-node default (e.g. joins one at a time). */
  limit?(attrs: Attrs | null, op: 'create' | 'update' | 'delete' | undefined, maxPerNode: number): { key: string; max: number } | undefined;
}

/** Data sources: read by their arguments. */
export interface PveDataSourceType {
  parts: Part[];
  read(snap: Snapshot, args: Attrs, s: PveSession): Attrs | Promise<Attrs>;
}
