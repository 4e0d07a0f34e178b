// The `test` provider: a small but real provider for engine and CLI tests. Its platform is a JSON
// file (store.ts) beside the root module, so tests exercise real I/O, can create drift by editing
// the file, and can inject faults through the provider block or the environment:
//   fail_on    names of objects whose create/update fails (also env POOLFORM_TEST_FAIL_ON, comma list)
//   fail_after the Nth create/update/delete of a session fails, counting from 1 (also env POOLFORM_TEST_FAIL_AFTER)
//   delay_ms   delay before each create/update/delete/read (abortable by ctx.signal), run as a
//              platform task reported through ctx.task
//   fail_connect  connecting fails (an unreachable platform)
// Types: test_object, test_group (resources) and test_lookup (data source); schemas in ./schemas/.

import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Attrs, ObserveRequest, Observed, OperationResult, PlannedChange, Provider, ProviderContext, Session } from '../../engine/provider.js';
import { UNKNOWN_MARK } from '../../engine/provider.js';
import { loadSchemaDir, repoRoot } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';
import { readStore, stats, withStore } from './store.js';

export { stats, resetStats, readStoreSync, writeStoreSync } from './store.js';
export type { StoreData } from './store.js';

export const DEFAULT_STORE = 'test-platform.json';
/** preflight refuses a test_object larger than this (a stand-in for a platform's capacity check). */
export const MAX_SIZE = 1000;

class TestSession implements Session {
  /** Operations started in this session, for fail_after. */
  ops = 0;
  constructor(
    readonly target: string,
    readonly path: string,
    readonly failOn: Set<string>,
    readonly delayMs: number,
    readonly failAfter: number | undefined,
  ) {}
  async close(): Promise<void> {}
}

let loaded: { schemas: ResourceSchema[]; config?: ResourceSchema } | undefined;
function schemaSet(): { schemas: ResourceSchema[]; config?: ResourceSchema } {
  if (!loaded) {
    const all = loadSchemaDir(join(repoRoot(), 'test', 'provider', 'schemas'), 'test');
    loaded = { schemas: all.filter((s) => s.kind !== 'provider'), config: all.find((s) => s.kind === 'provider') };
  }
  return loaded;
}
function schemaOf(type: string): ResourceSchema {
  const s = schemaSet().schemas.find((x) => x.type === type);
  if (!s) throw new Error(`the test provider has no type "${type}"`);
  return s;
}

function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string') return v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  return [];
}

function isSet(v: unknown): boolean {
  return v !== undefined && v !== null && !(typeof v === 'object' && (v as Record<string, unknown>)[UNKNOWN_MARK] === true);
}

/** Write-only values in `attrs`, which the platform receives but poolform never stores. */
function writeOnlyAttrs(schema: ResourceSchema, attrs: Attrs): Attrs | undefined {
  let out: Attrs | undefined;
  for (const [name, meta] of Object.entries(schema.attributes)) {
    if (meta.writeOnly && isSet(attrs[name])) (out ??= {})[name] = attrs[name];
  }
  return out;
}

/** What the platform keeps of the attributes it was sent: known schema attributes, defaults filled, write-only dropped. */
function storedAttrs(schema: ResourceSchema, attrs: Attrs): Attrs {
  for (const k of Object.keys(attrs)) {
    if (!(k in schema.attributes)) throw new Error(`${schema.type}: unknown attribute "${k}"`);
  }
  const out: Attrs = {};
  for (const [name, meta] of Object.entries(schema.attributes)) {
    if (meta.writeOnly || (meta.computed && !meta.optional)) continue;
    const v = attrs[name];
    if (isSet(v)) out[name] = v;
    else if (meta.default !== undefined) out[name] = meta.default;
  }
  return out;
}

async function operation<T>(s: TestSession, ctx: ProviderContext, failName: string | undefined, fn: () => Promise<T>, counted = true): Promise<T> {
  const n = counted ? ++s.ops : 0;
  stats.inFlight++;
  if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight;
  try {
    ctx.signal.throwIfAborted();
    if (s.delayMs > 0) {
      // A slow operation runs as a platform task, whose handle goes to the journal before the wait.
      ctx.task?.(`test-task:${randomUUID()}`);
      await sleep(s.delayMs, undefined, { signal: ctx.signal });
    }
    if (counted && s.failAfter !== undefined && n === s.failAfter) throw new Error(`injected failure: operation ${n} of this session (fail_after = ${s.failAfter})`);
    if (failName !== undefined && s.failOn.has(failName)) throw new Error(`injected failure for "${failName}" (fail_on)`);
    return await fn();
  } finally {
    stats.inFlight--;
  }
}

function asSession(session: Session): TestSession {
  if (!(session instanceof TestSession)) throw new Error('not a test provider session');
  return session;
}

export const providerTest: Provider = {
  name: 'test',
  get schemas(): ResourceSchema[] {
    return schemaSet().schemas;
  },
  get configSchema(): ResourceSchema | undefined {
    return schemaSet().config;
  },

  async connect(config: Attrs, ctx: ProviderContext): Promise<Session> {
    const store = typeof config.store === 'string' && config.store !== '' ? config.store : DEFAULT_STORE;
    if (config.fail_connect === true) throw new Error(`injected failure: store ${store} cannot be reached (fail_connect)`);
    const failOn = new Set([...stringList(config.fail_on), ...stringList(process.env.POOLFORM_TEST_FAIL_ON)]);
    const delay = typeof config.delay_ms === 'number' && config.delay_ms > 0 ? config.delay_ms : 0;
    const envAfter = Number(process.env.POOLFORM_TEST_FAIL_AFTER);
    const failAfter = typeof config.fail_after === 'number' ? config.fail_after : Number.isInteger(envAfter) && envAfter > 0 ? envAfter : undefined;
    return new TestSession(`store ${store}`, resolve(ctx.rootDir, store), failOn, delay, failAfter);
  },

  /** Every object of the requested types, from one read of the store. */
  async observe(session: Session, requests: ObserveRequest[]): Promise<Map<string, Observed[]>> {
    const s = asSession(session);
    const data = await readStore(s.path);
    const out = new Map<string, Observed[]>();
    for (const r of requests) {
      const objs = data.objects[r.type] ?? {};
      out.set(
        r.type,
        Object.entries(objs).map(([id, attrs]) => ({ id, attrs })),
      );
    }
    return out;
  },

  preflight(changes: PlannedChange[]): Diagnostic[] {
    const out: Diagnostic[] = [];
    for (const c of changes) {
      if (c.type !== 'test_object' || !c.after || (c.action !== 'create' && c.action !== 'update' && c.action !== 'replace')) continue;
      const size = c.after.size;
      if (typeof size === 'number' && size > MAX_SIZE) {
        out.push({ severity: 'error', address: c.address, summary: `size ${size} exceeds the store's capacity of ${MAX_SIZE}`, detail: 'The test platform refuses objects larger than its capacity.' });
      }
    }
    return out;
  },

  /** Changing a group's settings briefly interrupts its members' traffic; everything else is live. */
  impact(change: PlannedChange) {
    if (change.type === 'test_group' && change.action === 'update' && change.changedPaths.some((p) => p[0] === 'settings')) return 'network-blip';
    return 'none';
  },

  async create(session, type, attrs, ctx): Promise<OperationResult> {
    const s = asSession(session);
    const schema = schemaOf(type);
    if (schema.kind !== 'resource') throw new Error(`${type} is a data source; it cannot be created`);
    const name = typeof attrs.name === 'string' ? attrs.name : undefined;
    return operation(s, ctx, name, () =>
      withStore(s.path, (data) => {
        const id = randomUUID();
        const stored = storedAttrs(schema, attrs);
        if (type === 'test_object') {
          stored.status = 'running';
          stored.uuid = id;
        }
        (data.objects[type] ??= {})[id] = stored;
        const secrets = writeOnlyAttrs(schema, attrs);
        if (secrets) (data.secrets ??= {})[id] = secrets;
        return { result: { id, attrs: { ...stored } }, changed: true };
      }),
    );
  },

  /**
   * Sends only what differs between `before` and `after`, as providers of real platforms do (one
   * setter call per changed field): so a `before` that is not what the platform holds leaves the
   * object wrong, and the tests see it.
   */
  async update(session, type, id, before, after, ctx): Promise<OperationResult> {
    const s = asSession(session);
    const schema = schemaOf(type);
    const name = typeof after.name === 'string' ? after.name : undefined;
    return operation(s, ctx, name, () =>
      withStore(s.path, (data) => {
        const cur = data.objects[type]?.[id];
        if (!cur) throw new Error(`${type} ${id} does not exist in the store`);
        const want = storedAttrs(schema, after);
        const had = storedAttrs(schema, before);
        const stored: Attrs = { ...cur };
        for (const k of new Set([...Object.keys(want), ...Object.keys(had)])) {
          if (isDeepStrictEqual(want[k], had[k])) continue;
          if (k in want) stored[k] = want[k];
          else delete stored[k];
        }
        // A real platform refuses in-place changes of creation-only settings; so does this one.
        if (type === 'test_object' && (cur.zone ?? null) !== (stored.zone ?? null)) throw new Error(`test_object ${id}: zone cannot change in place`);
        data.objects[type][id] = stored;
        const secrets = writeOnlyAttrs(schema, after);
        if (secrets) (data.secrets ??= {})[id] = secrets;
        return { result: { id, attrs: { ...stored } }, changed: true };
      }),
    );
  },

  async delete(session, type, id, _attrs, ctx) {
    const s = asSession(session);
    schemaOf(type);
    return operation(s, ctx, undefined, () =>
      withStore(s.path, (data) => {
        const objs = data.objects[type];
        // Already gone is success: the desired end state holds.
        if (!objs || !(id in objs)) return { result: {}, changed: false };
        delete objs[id];
        if (data.secrets) delete data.secrets[id];
        return { result: {}, changed: true };
      }),
    );
  },

  async read(session, type, args, ctx): Promise<Attrs> {
    const s = asSession(session);
    if (type !== 'test_lookup') throw new Error(`the test provider has no data source "${type}"`);
    const name = args.name;
    if (typeof name !== 'string') throw new Error('test_lookup: name must be a string');
    return operation(
      s,
      ctx,
      undefined,
      async () => {
        const data = await readStore(s.path);
        let value = data.lookups?.[name];
        if (value === undefined) {
          const hit = Object.entries(data.objects.test_object ?? {}).find(([, a]) => a.name === name);
          if (hit) value = hit[0];
        }
        if (value === undefined) throw new Error(`test_lookup: nothing named "${name}" in the store`);
        return { name, value };
      },
      false,
    );
  },

  async importObject(session, type, id): Promise<Observed | undefined> {
    const s = asSession(session);
    schemaOf(type);
    const data = await readStore(s.path);
    const attrs = data.objects[type]?.[id];
    return attrs ? { id, attrs } : undefined;
  },

  /** One store, at most two operations on it at once: exercises per-target limits. */
  limit() {
    return { key: 'store', max: 2 };
  },
};

export default providerTest;
