// The shape of one simulated XAPI message: what a rule module receives for a call (the database
// it runs against, the host that received it, the session, the task if it runs asynchronously)
// and how it signals the long part of an operation (`work()`, where the latency is spent).

import type { Db, SessionInfo } from './db.js';
import type { SimHost, World } from './world.js';

export interface Ctx {
  w: World;
  /** The database of the pool the call is served by (a member serves its pool's). */
  db: Db;
  /** The host whose API received the call. */
  host: SimHost;
  session: SessionInfo;
  /** "VM.clone" (without "Async."). */
  method: string;
  /** The task ref when called as Async.<method>. */
  task?: string;
  /**
   * Spends the operation's latency. Rule modules call it after their precondition checks and
   * before changing anything, so failures come fast and a cancelled task changes nothing; when a
   * handler never calls it, the latency is spent after it returns. Rejects with TASK_CANCELLED
   * when the task was cancelled meanwhile.
   */
  work(): Promise<void>;
}

/** Arguments arrive decoded by the message's parameter types (refs checked, ints as numbers); `any` lets each handler name its own. */
export type Handler = (ctx: Ctx, ...args: any[]) => unknown;

export type Handlers = Record<string, Handler>;
