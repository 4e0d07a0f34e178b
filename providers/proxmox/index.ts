// The Proxmox VE provider: the REST API of every node over HTTPS (each certificate pinned), SSH to
// the nodes for pvecm and probes. This file only routes the engine's calls to the resource modules
// (resources/), the cluster snapshot (snapshot.ts) and the cluster-wide preflight rules
// (preflight/); the platform knowledge lives there.

import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, Impact, ObserveRequest, Observed, OperationResult, PlannedChange, PreflightContext, Provider, ProviderContext, Session } from '../../engine/provider.js';
import { loadSchemaDir, schemaDir } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';
import { maxConcurrency, readConfig } from './config.js';
import { clusterPreflight } from './preflight/cluster.js';
import { DATA_SOURCES, RESOURCE_TYPES } from './resources/index.js';
import type { PveResourceType } from './resources/types.js';
import { PveSession, openSession } from './session.js';
import type { Part } from './snapshot.js';

let loaded: { schemas: ResourceSchema[]; config?: ResourceSchema } | undefined;
function schemaSet(): { schemas: ResourceSchema[]; config?: ResourceSchema } {
  if (!loaded) {
    const all = loadSchemaDir(schemaDir(), 'proxmox');
    loaded = { schemas: all.filter((s) => s.kind !== 'provider'), config: all.find((s) => s.kind === 'provider') };
  }
  return loaded;
}

function asPve(session: Session): PveSession {
  if (!(session instanceof PveSession)) throw new Error('not a proxmox session');
  return session;
}

/** Runs a step that changes the cluster; whatever it did, even half-way, the snapshot is then stale. */
async function changing<T>(session: Session, step: (s: PveSession) => Promise<T>): Promise<T> {
  const s = asPve(session);
  try {
    return await step(s);
  } finally {
    s.invalidate();
  }
}

function typeOf(type: string): PveResourceType {
  const t = RESOURCE_TYPES[type];
  if (!t) throw new Error(`the proxmox provider has no resource type "${type}"`);
  return t;
}

export const providerProxmox: Provider = {
  name: 'proxmox',
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
    const s = asPve(session);
    const parts = new Set<Part>();
    for (const r of requests) for (const p of RESOURCE_TYPES[r.type]?.parts ?? []) parts.add(p);
    const snap = await s.snapshot([...parts], ctx.signal);
    const out = new Map<string, Observed[]>();
    await Promise.all(
      requests.map(async (r) => {
        const t = RESOURCE_TYPES[r.type];
        if (t) out.set(r.type, await t.observe(snap, r.ids, s, ctx.signal));
      }),
    );
    return out;
  },

  async preflight(changes: PlannedChange[], _observed: Map<string, Observed[]>, ctx: PreflightContext): Promise<Diagnostic[]> {
    if (!changes.some((c) => c.action !== 'noop' && c.action !== 'read')) return [];
    const s = asPve(await ctx.session());
    const out: Diagnostic[] = await clusterPreflight(changes, s, ctx);
    const byType = new Map<string, PlannedChange[]>();
    for (const c of changes) byType.set(c.type, [...(byType.get(c.type) ?? []), c]);
    for (const [type, list] of byType) {
      const t = RESOURCE_TYPES[type];
      if (t?.preflight) out.push(...(await t.preflight(list, s, ctx, changes)));
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
    if (!d) throw new Error(`the proxmox provider has no data source "${type}"`);
    const s = asPve(session);
    return d.read(await s.snapshot(d.parts, ctx.signal), args, s);
  },

  async importObject(session: Session, type: string, id: string, ctx: ProviderContext): Promise<Observed | undefined> {
    const t = typeOf(type);
    const s = asPve(session);
    if (t.importObject) return t.importObject(s, id, ctx);
    return (await t.observe(await s.snapshot(t.parts, ctx.signal), [id], s, ctx.signal))[0];
  },

  /** Steps queue per node (max_concurrency each); a type may ask for a stricter queue. */
  limit(type: string, attrs: Attrs | null, op?: 'create' | 'update' | 'delete', config?: Attrs): { key: string; max: number } | undefined {
    const max = maxConcurrency(config);
    const own = RESOURCE_TYPES[type]?.limit?.(attrs, op, max);
    if (own) return own;
    const node = typeof attrs?.node === 'string' ? attrs.node : undefined;
    return { key: node ? `node:${node}` : 'cluster', max };
  },
};

export default providerProxmox;
