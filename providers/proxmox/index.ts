// The Proxmox VE provider: the REST API of every node over HTTPS (each certificate pinned), SSH to
// the nodes for pvecm and probes. This file only gives the shared routing
// (common/provider-routing.ts) its tables and hooks: the resource modules (resources/), the
// cluster snapshot (snapshot.ts) and the cluster-wide preflight rules (preflight/); the platform
// knowledge lives there.

import type { Diagnostic } from '../../engine/diagnostics.js';
import type { Provider } from '../../engine/provider.js';
import { routedProvider } from '../common/provider-routing.js';
import { readConfig } from './config.js';
import { clusterPreflight } from './preflight/cluster.js';
import { DATA_SOURCES, RESOURCE_TYPES } from './resources/index.js';
import { PveSession, openSession } from './session.js';
import type { Part } from './snapshot.js';

export const providerProxmox: Provider = routedProvider({
  name: 'proxmox',
  session: PveSession,
  connect: (config, ctx) => openSession(readConfig(config), ctx.signal),
  resourceTypes: RESOURCE_TYPES,
  dataSources: DATA_SOURCES,
  // Only the parts the asking types read, each once (their union).
  snapshot(s, readers, signal) {
    const parts = new Set<Part>();
    for (const r of readers) for (const part of r.parts) parts.add(part);
    return s.snapshot([...parts], signal);
  },

  async preflight(changes, byType, s, ctx) {
    const out: Diagnostic[] = await clusterPreflight(changes, s, ctx);
    for (const [t, list] of byType) if (t.preflight) out.push(...(await t.preflight(list, s, ctx, changes)));
    return out;
  },

  importer: (t) => t.importObject?.bind(t),

  // Steps queue per node (max_concurrency each), or cluster-wide when they name no node.
  defaultLimit(attrs, max) {
    const node = typeof attrs?.node === 'string' ? attrs.node : undefined;
    return { key: node ? `node:${node}` : 'cluster', max };
  },
});

export default providerProxmox;
