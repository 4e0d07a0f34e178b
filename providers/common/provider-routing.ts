// The engine-facing Provider object of a platform, built from its tables: both platforms route the
// engine's calls the same way (schemas loaded once by provider name, the session checked to be the
// platform's own, a type name looked up with a clear error, every change marking the snapshot
// stale, preflight skipped for plans that change nothing and grouped by type, queues from
// max_concurrency). What differs — how a snapshot is read, the platform-wide preflight rules, a
// type's own import, the default queue — comes in as hooks, so the resource modules keep their
// platform's own signatures.

import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, Impact, Observed, OperationResult, PlannedChange, PreflightContext, Provider, ProviderContext, Session } from '../../engine/provider.js';
import { loadSchemaDir, schemaDir } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';
import { maxConcurrency } from './provider-config.js';

/** A platform session that keeps a snapshot, which a change makes stale. */
export interface PlatformSession extends Session {
  invalidate(): void;
}

type Op = 'create' | 'update' | 'delete';
type Queue = { key: string; max: number };

/** What the routing calls on a resource type (a platform's type may take fewer arguments). */
export interface RoutedResourceType<S, Snap> {
  observe(snap: Snap, ids: string[], s: S, signal?: AbortSignal): Observed[] | Promise<Observed[]>;
  create(s: S, attrs: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  update(s: S, id: string, before: Attrs, after: Attrs, ctx: ProviderContext): Promise<OperationResult>;
  delete(s: S, id: string, attrs: Attrs, ctx: ProviderContext): Promise<{ task?: string }>;
  impact?(change: PlannedChange): Impact;
  /** A queue stricter than the platform's default; `max` is the block's max_concurrency. */
  limit?(attrs: Attrs | null, op: Op | undefined, max: number): Queue | undefined;
}

/** What the routing calls on a data source. */
export interface RoutedDataSource<S, Snap> {
  read(snap: Snap, args: Attrs, s: S): Attrs | Promise<Attrs>;
}

export interface PlatformRouting<S extends PlatformSession, Snap, T extends RoutedResourceType<S, Snap>, D extends RoutedDataSource<S, Snap>> {
  /** The provider name: the prefix of its types and the name of its schema files. */
  name: string;
  /** The platform's session class; a session of any other class is refused. */
  session: abstract new (...args: never[]) => S;
  connect(config: Attrs, ctx: ProviderContext): Promise<S>;
  resourceTypes: Record<string, T>;
  dataSources: Record<string, D>;
  /** The snapshot that serves these resource types and data sources. */
  snapshot(s: S, readers: (T | D)[], signal?: AbortSignal): Promise<Snap>;
  /**
   * Checks of a plan that changes something: the platform-wide rules and each type's own, given
   * the plan's changes grouped by type (types in the order they first appear).
   */
  preflight(changes: PlannedChange[], byType: [T, PlannedChange[]][], s: S, ctx: PreflightContext): Promise<Diagnostic[]>;
  /** A type's own import by id, when it has one; otherwise import observes that one id. */
  importer(t: T): ((s: S, id: string, ctx: ProviderContext) => Promise<Observed | undefined>) | undefined;
  /** The queue of a step whose type asks for none of its own. */
  defaultLimit(attrs: Attrs | null, max: number): Queue;
}

export function routedProvider<S extends PlatformSession, Snap, T extends RoutedResourceType<S, Snap>, D extends RoutedDataSource<S, Snap>>(
  p: PlatformRouting<S, Snap, T, D>,
): Provider {
  let loaded: { schemas: ResourceSchema[]; config?: ResourceSchema } | undefined;
  function schemaSet(): { schemas: ResourceSchema[]; config?: ResourceSchema } {
    if (!loaded) {
      const all = loadSchemaDir(schemaDir(), p.name);
      loaded = { schemas: all.filter((s) => s.kind !== 'provider'), config: all.find((s) => s.kind === 'provider') };
    }
    return loaded;
  }

  function own(session: Session): S {
    if (!(session instanceof p.session)) throw new Error(`not a ${p.name} session`);
    return session;
  }

  /** Runs a step that changes the platform; whatever it did, even half-way, the snapshot is then stale. */
  async function changing<R>(session: Session, step: (s: S) => Promise<R>): Promise<R> {
    const s = own(session);
    try {
      return await step(s);
    } finally {
      s.invalidate();
    }
  }

  function typeOf(type: string): T {
    const t = p.resourceTypes[type];
    if (!t) throw new Error(`the ${p.name} provider has no resource type "${type}"`);
    return t;
  }

  return {
    name: p.name,
    get schemas(): ResourceSchema[] {
      return schemaSet().schemas;
    },
    get configSchema(): ResourceSchema | undefined {
      return schemaSet().config;
    },

    connect: (config, ctx) => p.connect(config, ctx),

    async observe(session, requests, ctx) {
      const s = own(session);
      const wanted = requests.flatMap((r) => {
        const t = p.resourceTypes[r.type];
        return t ? [{ type: r.type, t, ids: r.ids }] : [];
      });
      const snap = await p.snapshot(
        s,
        wanted.map((w) => w.t),
        ctx.signal,
      );
      const out = new Map<string, Observed[]>();
      await Promise.all(
        wanted.map(async (w) => {
          out.set(w.type, await w.t.observe(snap, w.ids, s, ctx.signal));
        }),
      );
      return out;
    },

    async preflight(changes, _observed, ctx) {
      if (!changes.some((c) => c.action !== 'noop' && c.action !== 'read')) return [];
      const s = own(await ctx.session());
      const byName = new Map<string, PlannedChange[]>();
      for (const c of changes) byName.set(c.type, [...(byName.get(c.type) ?? []), c]);
      const byType: [T, PlannedChange[]][] = [];
      for (const [type, list] of byName) {
        const t = p.resourceTypes[type];
        if (t) byType.push([t, list]);
      }
      return p.preflight(changes, byType, s, ctx);
    },

    impact: (change) => p.resourceTypes[change.type]?.impact?.(change) ?? 'none',

    create: (session, type, attrs, ctx) => changing(session, (s) => typeOf(type).create(s, attrs, ctx)),
    update: (session, type, id, before, after, ctx) => changing(session, (s) => typeOf(type).update(s, id, before, after, ctx)),
    delete: (session, type, id, attrs, ctx) => changing(session, (s) => typeOf(type).delete(s, id, attrs, ctx)),

    async read(session, type, args, ctx) {
      const d = p.dataSources[type];
      if (!d) throw new Error(`the ${p.name} provider has no data source "${type}"`);
      const s = own(session);
      return d.read(await p.snapshot(s, [d], ctx.signal), args, s);
    },

    async importObject(session, type, id, ctx) {
      const t = typeOf(type);
      const s = own(session);
      const custom = p.importer(t);
      if (custom) return custom(s, id, ctx);
      return (await t.observe(await p.snapshot(s, [t], ctx.signal), [id], s, ctx.signal))[0];
    },

    limit(type, attrs, op, config) {
      const max = maxConcurrency(config);
      return p.resourceTypes[type]?.limit?.(attrs, op, max) ?? p.defaultLimit(attrs, max);
    },
  };
}
