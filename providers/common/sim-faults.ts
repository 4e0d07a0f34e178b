// Fault bookkeeping both simulators share: faults of the network rather than of the platform
// (extra latency, dropped requests, keyed by host), which the HTTPS endpoints apply since the
// models know nothing of sockets; and the counted one-shot queues ("the next 2 calls of X fail")
// the models' fault tables keep per method or task type.

/** Faults of the network, keyed by host (a XenServer host's uuid, a Proxmox node's name). */
export class WireFaults {
  /** Extra delay (ms) before each request of a host is handled. */
  readonly delayMs = new Map<string, number>();
  /** How many of a host's next requests are dropped (connection destroyed, no answer). */
  readonly drops = new Map<string, number>();

  /** True (and counts it) when this request must be dropped. */
  takeDrop(host: string): boolean {
    const n = this.drops.get(host) ?? 0;
    if (n <= 0) return false;
    this.drops.set(host, n - 1);
    return true;
  }

  /** Waits out a host's extra delay, if it has one. */
  async delay(host: string): Promise<void> {
    const ms = this.delayMs.get(host) ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/** A fault that applies `left` more times. */
export interface Counted {
  left: number;
}

/** Adds `fault` behind the ones already queued under `key`. */
export function queueCounted<F extends Counted>(queues: Map<string, F[]>, key: string, fault: F): void {
  queues.set(key, [...(queues.get(key) ?? []), fault]);
}

/** Uses up one application of the first fault queued under `key` and returns it (undefined: none). */
export function takeCounted<F extends Counted>(queues: Map<string, F[]>, key: string): F | undefined {
  const list = queues.get(key);
  const f = list?.[0];
  if (!list || !f) return undefined;
  if (--f.left <= 0) list.shift();
  if (!list.length) queues.delete(key);
  return f;
}
