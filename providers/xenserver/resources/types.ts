// What each resource type implements: one module per type under resources/, registered in
// resources/index.ts. Observation is a pure function of the pool snapshot; operations talk XAPI
// through the session.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Impact, Observed, OperationResult, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { XenSession } from '../session.js';
import type { Snapshot } from '../snapshot.js';

export interface ResourceType {
  /** Objects of this type among `ids` (the ids state knows) as they are now; absent ids are gone. */
  observe(snap: Snapshot, ids: string[]): Observed[];
  create(s: XenSession, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  update(s: XenSession, id: string, before: Attrs, after: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  delete(s: XenSession, id: string, attrs: Attrs, ctx: ProviderContext): Promise<{ task?: string }>;
  /** Adopts an existing object by uuid; undefined when there is none. Defaults to observe([id]). */
  importObject?(snap: Snapshot, id: string): Observed | undefined;
  /**
   * Checks for this type's changes; `snap` is the pool as observed for this plan, `all` every change
   * of the plan (an object created in the same plan counts, e.g. a bond a VLAN goes on).
   */
  preflight?(changes: PlannedChange[], snap: Snapshot, s: XenSession, ctx: ProviderContext, all?: PlannedChange[]): Promise<Diagnostic[]>;
  impact?(change: PlannedChange): Impact;
  /** Steps of this type share a stricter queue than the pool's (e.g. one host in maintenance at a time). */
  limit?(attrs: Attrs | null, op?: 'create' | 'update' | 'delete'): { key: string; max: number } | undefined;
}

/** Data sources: read by their arguments from the snapshot. */
export interface DataSourceType {
  read(snap: Snapshot, args: Attrs): Attrs;
}
