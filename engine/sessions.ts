// Connections to platforms, one per provider configuration, opened on first use and closed at the
// end of a command. Provider blocks are evaluated here, once each (they usually read variables).

import type { Diagnostics, Range } from './diagnostics.js';
import { allModules, type Module } from './config/model.js';
import type { Attrs, Provider, ProviderContext, Session } from './provider.js';
import type { EvalContext } from './desired/context.js';
import { evaluateBody } from './desired/body.js';
import { justAttributes } from './config/hcl/content.js';
import { evaluate } from './lang/eval.js';
import { isWhollyKnown, deepUnmark, type ValueObject } from './lang/value.js';
import { modulePrefix, providerModule } from './desired/graph.js';

/** A session that could not be opened. SessionPool has reported it once already; callers need not. */
export class ConnectError extends Error {}

export class SessionPool {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly configs = new Map<string, { attrs: Attrs; range?: Range }>();

  constructor(
    private readonly ctx: EvalContext,
    readonly pctx: ProviderContext,
  ) {}

  /** The provider configuration address a resource in `mod` with provider key `key` uses ("module.a.provider.test" or "provider.test"). */
  configAddress(mod: Module, key: string): string {
    const decl = providerModule(mod, key);
    return `${decl ? modulePrefix(decl) : ''}provider.${key}`;
  }

  /**
   * Opens (once) the session for a provider configuration address. A failure is reported in
   * `diags` once, at the provider block, and thrown as a ConnectError with the provider's message.
   */
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
    try {
      return await provider.connect(attrs, this.pctx);
    } catch (e) {
      diags.error(`Cannot connect to ${address}`, this.configs.get(address)?.range, (e as Error).message);
      throw new ConnectError((e as Error).message, { cause: e });
    }
  }

  /**
   * The provider block at `address`, evaluated once per command (or {} when there is none); its
   * errors go to the `diags` of the first caller.
   */
  providerConfig(provider: Provider, address: string, diags: Diagnostics): Attrs {
    let c = this.configs.get(address);
    if (!c) this.configs.set(address, (c = this.evaluate(provider, address, diags)));
    return c.attrs;
  }

  private evaluate(provider: Provider, address: string, diags: Diagnostics): { attrs: Attrs; range?: Range } {
    const m = /^(.*?)provider\.(.+)$/.exec(address)!;
    const mod = allModules(this.ctx.rootModule).find((x) => modulePrefix(x) === m[1]);
    const pc = mod?.providers.get(m[2]);
    if (!mod || !pc) return { attrs: {} };
    const mi = this.ctx.instancesOf(mod)[0];
    if (!mi) return { attrs: {}, range: pc.range };
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
    return { attrs: deepUnmark(value).value as Attrs, range: pc.range };
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

