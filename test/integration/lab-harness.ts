// What the lab integration harnesses share, whatever the platform: a ProviderContext that records
// what a step journals, planned changes as the engine hands them over, schemas and their defaults,
// the engine's plan of one instance (to check that observation after apply plans nothing), and
// the cache of lab keys between runs (key generation is most of a lab's start-up time).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../engine/provider.js';
import { attrsForState, diffInstance } from '../../engine/plan/diff.js';
import type { ValueObject } from '../../engine/lang/value.js';
import { loadSchemaFile, schemaDir } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';

const KEY_CACHE_MAX_AGE_MS = 7 * 24 * 3600_000;

/** A lab's key cache: `cache` (a name under the temporary directory) holds what a lab keeps in `subdir`. */
export function keyCache(cache: string, subdir: string) {
  const cacheDir = path.join(os.tmpdir(), cache);
  return {
    /** A fresh lab directory holding only cached keys (the lab generates and writes missing ones). */
    labDir(prefix: string): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      try {
        if (Date.now() - fs.statSync(cacheDir).mtimeMs < KEY_CACHE_MAX_AGE_MS) fs.cpSync(cacheDir, path.join(dir, subdir), { recursive: true });
      } catch {
        // no cache yet
      }
      return dir;
    },
    /** How many key files the directory holds (to tell whether the lab made new ones). */
    count(dir: string): number {
      const d = path.join(dir, subdir);
      return fs.existsSync(d) ? fs.readdirSync(d).length : 0;
    },
    /** Publishes the lab's keys as the cache: copied aside, then renamed in one step (parallel test files). */
    refresh(dir: string): void {
      const src = path.join(dir, subdir);
      if (!fs.existsSync(src)) return;
      const tmp = `${cacheDir}.${process.pid}.${Date.now()}`;
      try {
        fs.cpSync(src, tmp, { recursive: true });
        const old = `${tmp}.old`;
        if (fs.existsSync(cacheDir)) fs.renameSync(cacheDir, old);
        fs.renameSync(tmp, cacheDir);
        fs.rmSync(old, { recursive: true, force: true });
      } catch {
        fs.rmSync(tmp, { recursive: true, force: true }); // another file won the race: fine
      }
    },
  };
}

export interface RecordingContext extends ProviderContext {
  /** Task handles the step journalled, in order. */
  tasks: string[];
  logs: string[];
}

/** A ProviderContext for one step (`step` is its address), recording tasks and log lines. */
export function providerCtx(step = 'test.step', signal: AbortSignal = new AbortController().signal): RecordingContext {
  const tasks: string[] = [];
  const logs: string[] = [];
  return { rootDir: process.cwd(), signal, step, tasks, logs, log: (m) => void logs.push(m), task: (t) => void tasks.push(t) };
}

/** A planned change as the engine hands it to the provider; the type is the address's first part. */
export function change(address: string, action: PlannedChange['action'], after: Attrs | null, before: Attrs | null = null, changed: string[] = []): PlannedChange {
  return { address, type: address.split('.')[0]!, action, before, after, changedPaths: changed.map((c) => [c]) };
}

/** Every attribute observation reports equals what create/update returned for it. */
export function assertObservedMatches(observed: Observed | undefined, returned: Attrs): void {
  assert.ok(observed, 'observed');
  for (const [k, v] of Object.entries(observed.attrs)) assert.deepEqual(v, returned[k], `attribute ${k}`);
}

const schemas = new Map<string, ResourceSchema>();

/** A resource type's schema, loaded once. */
export function schemaOf(type: string): ResourceSchema {
  let schema = schemas.get(type);
  if (!schema) schemas.set(type, (schema = loadSchemaFile(path.join(schemaDir(), `${type}.json`))));
  return schema;
}

/** What apply hands the provider: the configuration with the schema's defaults filled in. */
export function withDefaults(type: string, config: Attrs): Attrs {
  const out: Attrs = { ...config };
  for (const [k, m] of Object.entries(schemaOf(type).attributes)) if (out[k] === undefined && m.default !== undefined) out[k] = m.default;
  return out;
}

/**
 * The engine's plan of one instance given what apply stored and what observation sees now;
 * `applied` is the configuration the stored result was applied with (default: `config`).
 */
export function planOf(type: string, config: Attrs, stored: { id: string; attrs: Attrs }, observed: Attrs | null, applied: Attrs = config) {
  const schema = schemaOf(type);
  return diffInstance({
    schema,
    config: config as ValueObject,
    prior: { address: `${type}.t`, mode: 'managed', type, provider: `provider.${type.split('_')[0]}`, id: stored.id, attributes: attrsForState(schema, stored.attrs, applied as ValueObject, 's').attributes, dependencies: [] },
    observed,
    salt: 's',
    ignoreChanges: { all: false, paths: [] },
  });
}
