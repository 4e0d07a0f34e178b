// The XenServer / XCP-ng provider: XAPI over HTTPS to the pool coordinator. This file only routes
// the engine's calls to the resource modules (resources/), the pool snapshot (snapshot.ts) and the
// preflight rules (preflight/); the platform knowledge lives there.

import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, Impact, ObserveRequest, Observed, OperationResult, PlannedChange, PreflightContext, Provider, ProviderContext, Session } from '../../engine/provider.js';
import { loadSchemaDir, schemaDir } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';
import { maxConcurrency, readConfig } from './config.js';
import { poolPreflight } from './preflight/pool.js';
import { DATA_SOURCES, RESOURCE_TYPES } from './resources/index.js';
import type { ResourceType } from './resources/types.js';
import { XenSession, openSession } from './session.js';

let loaded: { schemas: ResourceSchema[]; config?: ResourceSchema } | undefined;
function schemaSet(): { schemas: ResourceSchema[]; config?: ResourceSchema } {
  if (!loaded) {
    const all = loadSchemaDir(schemaDir(), 'xenserver');
    loaded = { schemas: all.filter((s) => s.kind !== 'provider'), config: all.find((s) => s.kind === 'provider') };
  }
  return loaded;
}

function asXen(session: Session): XenSession {
  if (!(session instanceof XenSession)) throw new Error('not a xenserver session');
  return session;
}

/**
 * Runs a step that changes the pool. Whatever it did (even when it failed half-way), the session's
 * snapshot is then out of date: the next look brings it up to date from the change feed.
 */
async function changing<T>(session: Session, step: (s: XenSession) => Promise<T>): Promise<T> {
  const s = asXen(session);
  try {
    return await step(s);
  } finally {
    s.invalidate();
  }
}

function typeOf(type: string): ResourceType {
  const t = RESOURCE_TYPES[type];
  if (!t) throw new Error(`the xenserver provider has no resource type "${type}"`);
  return t;
}

export const providerXenserver: Provider = {
  name: 'xenserver',
  get schemas(): ResourceSchema[] {
    return schemaSet().schemas;
  },
  get configSchema(): ResourceSchema | undefined {
    return schemaSet().config;
  },

  async connect(config: Attrs, ctx: ProviderContext): Promise<Session> {
    return openSession(readConfig(config), ctx.signal);
  },

  async observe(session: Session, requests: ObserveRequest[], ctx: ProviderContext): Promise<Map<string, Observed[]>> {
    const snap = await asXen(session).snapshot(false, ctx.signal);
    const out = new Map<string, Observed[]>();
    for (const r of requests) {
      const t = RESOURCE_TYPES[r.type];
      if (t) out.set(r.type, t.observe(snap, r.ids));
    }
    return out;
  },

  async preflight(changes: PlannedChange[], _observed: Map<string, Observed[]>, ctx: PreflightContext): Promise<Diagnostic[]> {
    if (!changes.some((c) => c.action !== 'noop' && c.action !== 'read')) return [];
    const s = asXen(await ctx.session());
    const snap = await s.snapshot(false, ctx.signal);
    const out: Diagnostic[] = await poolPreflight(changes, snap, s, ctx);
    const byType = new Map<string, PlannedChange[]>();
    for (const c of changes) byType.set(c.type, [...(byType.get(c.type) ?? []), c]);
    for (const [type, list] of byType) {
      const t = RESOURCE_TYPES[type];
      if (t?.preflight) out.push(...(await t.preflight(list, snap, s, ctx, changes)));
    }
    return out;
  },

  impact(change: PlannedChange): Impact {
    return RESOURCE_TYPES[change.type]?.impact?.(change) ?? 'none';
  },

  create(session: Session, type: string, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult> {
    return changing(session, (s) => typeOf(type).create(s, attrs, ctx));
  },

  update(session: Session, type: string, id: string, before: Attrs, after: Attrs, ctx: ProviderContext): Promise<OperationResult> {
    return changing(session, (s) => typeOf(type).update(s, id, before, after, ctx));
  },

  delete(session: Session, type: string, id: string, attrs: Attrs, ctx: ProviderContext): Promise<{ task?: string }> {
    return changing(session, (s) => typeOf(type).delete(s, id, attrs, ctx));
  },

  async read(session: Session, type: string, args: Attrs, ctx: ProviderContext): Promise<Attrs> {
    const d = DATA_SOURCES[type];
    if (!d) throw new Error(`the xenserver provider has no data source "${type}"`);
    return d.read(await asXen(session).snapshot(false, ctx.signal), args);
  },

  async importObject(session: Session, type: string, id: string, ctx: ProviderContext): Promise<Observed | undefined> {
    const t = typeOf(type);
    const snap = await asXen(session).snapshot(false, ctx.signal);
    return t.importObject ? t.importObject(snap, id) : t.observe(snap, [id])[0];
  },

  limit(type: string, attrs: Attrs | null, op?: 'create' | 'update' | 'delete', config?: Attrs): { key: string; max: number } | undefined {
    return RESOURCE_TYPES[type]?.limit?.(attrs, op) ?? { key: 'coordinator', max: maxConcurrency(config) };
  },
};

export default providerXenserver;
