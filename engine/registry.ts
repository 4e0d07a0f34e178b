// Finds the provider that serves each resource type, loading it on first use (so `poolform
// version` never pays for a platform client). Built-in providers are known by name; others come
// from `poolform { required_providers { name = { source = "./path" } } }`, a local module path.

import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Diagnostics, nearestName, type Range } from './diagnostics.js';
import type { Provider } from './provider.js';
import type { ResourceSchema } from './schema/types.js';
import { allModules, type Module } from './config/model.js';
import { providerNameOfType } from './desired/graph.js';

/** Built-in providers: name → module path relative to this file's folder. */
const BUILTIN: Record<string, string> = {
  poolform: '../providers/poolform/index.js',
  xenserver: '../providers/xenserver/index.js',
  proxmox: '../providers/proxmox/index.js',
};

export function builtinProviderNames(): string[] {
  return Object.keys(BUILTIN);
}

export class ProviderRegistry {
  private readonly loaded = new Map<string, Provider>();
  private readonly schemaByType = new Map<string, ResourceSchema>();

  /** Loads every provider the configuration (and the state) names. Errors name the nearest provider. */
  async load(root: Module | undefined, types: { type: string; range?: Range }[], diags: Diagnostics): Promise<void> {
    const sources = new Map<string, { source: string; base: string; range: Range }>();
    for (const m of root ? allModules(root) : []) {
      for (const [name, rp] of m.requiredProviders) sources.set(name, { source: rp.source, base: m.dir, range: rp.range });
    }
    const wanted = new Map<string, Range | undefined>();
    for (const t of types) if (!wanted.has(providerNameOfType(t.type))) wanted.set(providerNameOfType(t.type), t.range);
    for (const [name, range] of wanted) {
      if (this.loaded.has(name)) continue;
      const src = sources.get(name);
      let spec: string | undefined;
      if (src) spec = pathToFileURL(path.resolve(src.base, src.source)).href;
      else if (BUILTIN[name]) spec = new URL(BUILTIN[name], import.meta.url).href;
      if (!spec) {
        diags.error(
          `Unknown provider "${name}"`,
          range,
          `No provider serves resource types starting with "${name}_". Built-in providers: ${builtinProviderNames().join(', ')}. A local provider is declared with poolform { required_providers { ${name} = { source = "./path" } } }.`,
          nearestName(name, [...builtinProviderNames(), ...sources.keys()]),
        );
        continue;
      }
      try {
        const mod = (await import(spec)) as { default?: Provider } & Record<string, unknown>;
        const p = (mod.default ?? Object.values(mod).find((v) => isProvider(v))) as Provider | undefined;
        if (!p || !isProvider(p)) throw new Error('the module exports no provider object');
        this.loaded.set(name, p);
        for (const s of p.schemas) this.schemaByType.set(s.type, s);
      } catch (e) {
        diags.error(`Cannot load provider "${name}"`, src?.range ?? range, `${spec}: ${(e as Error).message}`);
      }
    }
  }

  provider(name: string): Provider | undefined {
    return this.loaded.get(name);
  }

  providers(): Provider[] {
    return [...this.loaded.values()];
  }

  schema(type: string): ResourceSchema | undefined {
    return this.schemaByType.get(type);
  }

  /** "Unknown resource type" with the nearest type the loaded provider has. */
  unknownType(type: string, mode: 'managed' | 'data', range: Range | undefined, diags: Diagnostics): void {
    const p = this.loaded.get(providerNameOfType(type));
    if (!p) return; // already reported as an unknown provider
    const kind = mode === 'data' ? 'data' : 'resource';
    const names = p.schemas.filter((s) => s.kind === kind).map((s) => s.type);
    diags.error(`Invalid ${mode === 'data' ? 'data source' : 'resource type'}`, range, `The provider "${p.name}" has no ${mode === 'data' ? 'data source' : 'resource type'} "${type}". It serves: ${names.join(', ') || 'none'}.`, nearestName(type, names));
  }
}

function isProvider(v: unknown): v is Provider {
  return !!v && typeof v === 'object' && typeof (v as Provider).name === 'string' && typeof (v as Provider).create === 'function';
}
