// The scaffolding the three HA section types (proxmox_ha_group, proxmox_ha_resource, proxmox_ha_rule)
// share: each is one entry of a /cluster/ha/{groups,resources,rules} section, observed from its
// snapshot part, written by the type's own create/update, deleted by id, and checked before apply
// only when the plan writes one. Each type supplies what differs: its observation, its write and its checks.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import type { Attrs, Impact, Observed, OperationResult, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { PveSession } from '../session.js';
import type { Part, Snapshot } from '../snapshot.js';
import { failure } from './cluster-facts.js';
import type { PveResourceType } from './types.js';

export interface HaSectionSpec {
  /** The snapshot part holding the section. */
  part: Part;
  /** The section's path under /cluster/ha. */
  section: 'groups' | 'resources' | 'rules';
  /** How errors name one entry ('HA group "g1"'). */
  label(id: string): string;
  observeOne(snap: Snapshot, id: string): Observed | undefined;
  write(s: PveSession, attrs: Attrs, ctx: ProviderContext, how: 'create' | 'update'): Promise<OperationResult>;
  /** Checks for the plan's creates, updates and replaces of this type (never called with none). */
  check(writes: PlannedChange[], s: PveSession, ctx: ProviderContext, all: PlannedChange[]): Promise<Diagnostic[]>;
  impact?(change: PlannedChange): Impact;
}

export function haSection(spec: HaSectionSpec): PveResourceType {
  return {
    parts: [spec.part],

    observe(snap, ids) {
      return ids.map((id) => spec.observeOne(snap, id)).filter((o): o is Observed => o !== undefined);
    },

    create(s, attrs, ctx) {
      return spec.write(s, attrs, ctx, 'create');
    },

    update(s, _id, _before, after, ctx) {
      return spec.write(s, after, ctx, 'update');
    },

    async delete(s, id, _attrs, ctx) {
      try {
        const { client } = await s.api(ctx.signal);
        await client.delete(`/cluster/ha/${spec.section}/${encodeURIComponent(id)}`, undefined, { signal: ctx.signal, step: ctx.step });
      } catch (e) {
        throw failure(spec.label(id), e);
      }
      return {};
    },

    async preflight(changes, s, ctx, all) {
      const writes = changes.filter((c) => c.action === 'create' || c.action === 'update' || c.action === 'replace');
      return writes.length ? spec.check(writes, s, ctx, all) : [];
    },

    impact: spec.impact ?? (() => 'none'),
  };
}
