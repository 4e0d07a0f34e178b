// The XenServer / XCP-ng provider: XAPI over HTTPS to the pool coordinator. This file only gives the
// shared routing (common/provider-routing.ts) its tables and hooks: the resource modules
// (resources/), the pool snapshot (snapshot.ts) and the preflight rules (preflight/); the platform
// knowledge lives there.

import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Provider } from '../../engine/provider.js';
import { routedProvider } from '../common/provider-routing.js';
import { readConfig } from './config.js';
import { poolPreflight } from './preflight/pool.js';
import { DATA_SOURCES, RESOURCE_TYPES } from './resources/index.js';
import { XenSession, openSession } from './session.js';

export const providerXenserver: Provider = routedProvider({
  name: 'xenserver',
  session: XenSession,
  connect: (config, ctx) => openSession(readConfig(config), ctx.signal),
  resourceTypes: RESOURCE_TYPES,
  dataSources: DATA_SOURCES,
  // One snapshot of the whole pool serves every type (brought up to date from the change feed).
  snapshot: (s, _readers, signal) => s.snapshot(false, signal),

  async preflight(changes, byType, s, ctx) {
    const snap = await s.snapshot(false, ctx.signal);
    const out: Diagnostic[] = await poolPreflight(changes, snap, s, ctx);
    for (const [t, list] of byType) if (t.preflight) out.push(...(await t.preflight(list, snap, s, ctx, changes)));
    return out;
  },

  importer: (t) => t.importObject && (async (s, id, ctx) => t.importObject!(await s.snapshot(false, ctx.signal), id)),

  // Every step queues on the pool coordinator unless its type asks for a stricter queue.
  defaultLimit: (_attrs, max) => ({ key: 'coordinator', max }),
});

export default providerXenserver;
