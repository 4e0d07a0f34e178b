// Injected trouble for tests and the lab: slower or instant operations, transient XAPI errors, a
// host whose API is down, a host that loses its management connection after a management move
// (until rolled back from its own console), and clocks that drift. Everything here is what a real
// lab could do to the provider; nothing bypasses the platform rules.

import { XapiFailure } from './backend.js';
import type { SimHost, World } from './world.js';
import { queueCounted, takeCounted } from '../../common/sim-faults.js';

interface Transient {
  code: string;
  params: string[];
  left: number;
}

export interface FaultsState {
  latencyScale: number;
  latency: Record<string, number>;
  transients: Record<string, Transient[]>;
  lostManagementOn: Record<string, string>;
}

export class Faults {
  /** Multiplies every operation latency; 0 makes the lab instant (tests). */
  latencyScale = 1;
  private readonly latency = new Map<string, number>();
  private readonly transients = new Map<string, Transient[]>();
  /** host uuid → network uuid whose use as management network cuts the host off ("*" = any move). */
  private readonly lostOn = new Map<string, string>();

  constructor(private readonly w: World) {}

  /** Overrides one method's latency in ms (absolute, not scaled; applies to its sync and Async forms). */
  setLatency(method: string, ms: number | undefined): void {
    const m = method.replace(/^Async\./, '');
    if (ms === undefined) this.latency.delete(m);
    else this.latency.set(m, ms);
  }

  latencyOverride(method: string): number | undefined {
    return this.latency.get(method);
  }

  /** The next `count` calls of `method` (sync or Async) fail with [code, ...params]. */
  failNext(method: string, code: string, count = 1, params: string[] = []): void {
    const m = method.replace(/^Async\./, '');
    queueCounted(this.transients, m, { code, params, left: count });
  }

  /** Consumes one pending transient failure of `method`, if any. */
  takeTransient(method: string): XapiFailure | undefined {
    const t = takeCounted(this.transients, method);
    return t && new XapiFailure(t.code, t.params);
  }

  /** Takes a host's API down (connections reset, host_metrics.live false) or brings it back. */
  setHostDown(host: string, down = true): void {
    const h = this.w.hostByUuidOrName(host);
    h.down = down;
    this.w.syncLive(h);
  }

  setClockSkew(host: string, ms: number): void {
    this.w.hostByUuidOrName(host).clockSkewMs = ms;
  }

  /**
   * Arms a lost-management fault: when `host`'s management interface moves onto a PIF of network
   * `networkUuid` (any network when omitted), the host stops answering until its management is
   * moved back from its console (`xe host-management-reconfigure pif-uuid=<old pif>`).
   */
  loseManagementOn(host: string, networkUuid?: string): void {
    this.lostOn.set(this.w.hostByUuidOrName(host).uuid, networkUuid ?? '*');
  }

  /** Called by the management-move rules: cuts the host off or reconnects it. */
  managementMoved(h: SimHost, networkUuid: string): void {
    const armed = this.lostOn.get(h.uuid);
    const lost = armed !== undefined && (armed === '*' || armed === networkUuid);
    if (lost !== h.lostManagement) {
      h.lostManagement = lost;
      this.w.syncLive(h);
    }
  }

  /** Removes every fault (hosts come back, latencies return to the defaults, scale stays). */
  clear(): void {
    this.latency.clear();
    this.transients.clear();
    this.lostOn.clear();
    for (const h of this.w.simHosts.values()) {
      h.clockSkewMs = 0;
      if (h.down || h.lostManagement) {
        h.down = false;
        h.lostManagement = false;
        this.w.syncLive(h);
      }
    }
  }

  toJSON(): FaultsState {
    return {
      latencyScale: this.latencyScale,
      latency: Object.fromEntries(this.latency),
      transients: Object.fromEntries(this.transients),
      lostManagementOn: Object.fromEntries(this.lostOn),
    };
  }

  load(s: FaultsState): void {
    this.latencyScale = s.latencyScale;
    for (const [k, v] of Object.entries(s.latency)) this.latency.set(k, v);
    for (const [k, v] of Object.entries(s.transients)) this.transients.set(k, v);
    for (const [k, v] of Object.entries(s.lostManagementOn)) this.lostOn.set(k, v);
  }
}
