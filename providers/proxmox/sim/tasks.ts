// Worker tasks as Proxmox runs them: a UPID names the task (node, pid, process start, start time,
// type, id, user), the API call returns it at once, and the work's effect lands when the task
// ends, after its latency (the lab's cost table, scaled). Even at latency 0 the task is still
// running when its UPID is returned, so a client must poll it like on a real node.

import type { PveFailure } from './backend.js';
import { formatUpid, type Upid } from '../upid.js';

/** Default task latencies in ms (multiplied by faults.latencyScale). Unlisted types: 0. */
export const DEFAULT_LATENCIES: Readonly<Record<string, number>> = Object.freeze({
  clustercreate: 300,
  clusterjoin: 500,
  srvreload: 200,
  qmcreate: 150,
  qmclone: 200,
  qmtemplate: 100,
  qmdestroy: 100,
  qmstart: 100,
  qmstop: 80,
});

export interface SimTask extends Upid {
  status: 'running' | 'stopped';
  exitstatus?: string;
  endtime?: number;
}

export interface TaskSpec {
  node: string;
  type: string;
  id: string;
  user: string;
  /** How long the task runs before its effect applies (ms, already scaled). */
  ms: number;
  /** A failure found before the work starts: the task ends with it at once. */
  failure?: string;
  /** The effect; throwing fails the task with the error's message. */
  run?: () => void | Promise<void>;
  /** Called when the task ends, whatever the outcome (releases locks). */
  finally?: () => void;
}

export class TaskTable {
  private readonly tasks = new Map<string, SimTask>();
  private readonly pids = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(
    private readonly bootTime: (node: string) => number,
    /** Told after every task end (the lab saves, the wire drops nodes that went away). */
    private readonly ended: (t: SimTask) => void,
  ) {}

  start(spec: TaskSpec): string {
    const now = Date.now();
    const pid = (this.pids.get(spec.node) ?? 0x1000 + Math.floor(Math.random() * 0x40000)) + 1 + Math.floor(Math.random() * 7);
    this.pids.set(spec.node, pid);
    const task: SimTask = {
      upid: '',
      node: spec.node,
      pid,
      pstart: Math.max(1, Math.floor((now - this.bootTime(spec.node)) / 10)),
      starttime: Math.floor(now / 1000),
      type: spec.type,
      id: spec.id,
      user: spec.user,
      status: 'running',
    };
    task.upid = formatUpid(task);
    this.tasks.set(task.upid, task);
    const done = new Promise<void>((resolve) => {
      const finish = async () => {
        let exit = 'OK';
        if (spec.failure !== undefined) exit = spec.failure;
        else {
          try {
            await spec.run?.();
          } catch (e) {
            exit = taskError(e);
          }
        }
        try {
          spec.finally?.();
        } finally {
          task.status = 'stopped';
          task.exitstatus = exit;
          task.endtime = Math.floor(Date.now() / 1000);
          resolve();
          this.ended(task);
        }
      };
      const ms = spec.failure !== undefined ? 0 : Math.max(0, spec.ms);
      if (ms > 0) setTimeout(() => void finish(), ms);
      else setImmediate(() => void finish());
    });
    this.inflight.add(done);
    void done.then(() => this.inflight.delete(done));
    return task.upid;
  }

  get(upid: string): SimTask | undefined {
    return this.tasks.get(upid);
  }

  all(): SimTask[] {
    return [...this.tasks.values()];
  }

  /** Resolves once every task started so far has ended (tests, lab stop). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.all([...this.inflight]);
  }

  /** Restores finished tasks from a saved world (running ones are lost with the process). */
  restore(tasks: SimTask[]): void {
    for (const t of tasks) this.tasks.set(t.upid, t.status === 'running' ? { ...t, status: 'stopped', exitstatus: 'unexpected status' } : t);
  }
}

/** A task's exit status from an error: Proxmox keeps the die message (newline trimmed). */
export function taskError(e: unknown): string {
  const msg = e instanceof Error ? (e as PveFailure | Error).message : String(e);
  return msg.replace(/\n+$/, '') || 'unknown error';
}
