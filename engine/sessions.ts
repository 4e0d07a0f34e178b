// Connections to platforms, one per provider configuration, opened on first use and closed at the
// end of a command. Provider blocks are evaluated here (they usually read variables).

import type { Diagnostics } from './diagnostics.js';
import { allModules, type Module } from './config/model.js';
import type { Attrs, Provider, ProviderContext, Session } from './provider.js';
import type { EvalContext } from './desired/context.js';
import { evaluateBody } from './desired/body.js';
import { justAttributes } from './config/hcl/content.js';
import { evaluate } from './lang/eval.js';
import { isWhollyKnown, deepUnmark, type ValueObject } from './lang/value.js';
import { modulePrefix, providerModule } from './desired/graph.js';

export class SessionPool {
  private readonly sessions = new Map<string, Promise<Session>>();

  constructor(
    private readonly ctx: EvalContext,
    readonly pctx: ProviderContext,
  ) {}

  /** The provider configuration address a resource in `mod` with provider key `key` uses ("module.a.provider.test" or "provider.test"). */
  configAddress(mod: Module, key: string): string {
    const decl = providerModule(mod, key);
    return `${decl ? modulePrefix(decl) : ''}provider.${key}`;
  }

  /** Opens (once) the session for a provider configuration address. Errors are thrown with the provider's message. */
  session(provider: Provider, address: string, diags: Diagnostics): Promise<Session> {
    let s = this.sessions.get(address);
    if (!s) {
      s = this.open(provider, address, diags);
      this.sessions.set(address, s);
    }
    return s;
  }

  private async open(provider: Provider, address: string, diags: Diagnostics): Promise<Session> {
    const attrs = this.providerConfig(provider, address, diags);
    return provider.connect(attrs, this.pctx);
  }

  /** Evaluates the provider block at `address` (or {} when there is none). */
  providerConfig(provider: Provider, address: string, diags: Diagnostics): Attrs {
    const m = /^(.*?)provider\.(.+)$/.exec(address)!;
    const mod = allModules(this.ctx.rootModule).find((x) => modulePrefix(x) === m[1]);
    const pc = mod?.providers.get(m[2]);
    if (!mod || !pc) return {};
    const mi = this.ctx.instancesOf(mod)[0];
    if (!mi) return {};
    let value: ValueObject;
    if (provider.configSchema) {
      value = evaluateBody(pc.body, provider.configSchema.attributes, mi.scope, diags).value;
    } else {
      value = {};
      for (const a of justAttributes(pc.body, diags).values()) value[a.name] = evaluate(a.expr, mi.scope, diags);
    }
    if (!isWhollyKnown(value)) {
      diags.error('Provider configuration depends on unknown values', pc.range, `provider "${pc.key}" refers to values known only after apply; its settings must come from variables, locals or literals.`);
    }
    return deepUnmark(value).value as Attrs;
  }

  async closeAll(): Promise<void> {
    for (const s of this.sessions.values()) {
      try {
        await (await s).close();
      } catch {
        // a session that failed to open has nothing to close
      }
    }
    this.sessions.clear();
  }
}

