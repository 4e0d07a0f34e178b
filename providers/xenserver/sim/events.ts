// event.from: an empty token returns every current object of the subscribed classes as "add"
// events (the provider's one-request snapshot); a token returns what was added, modified or
// deleted since, waiting up to `timeout` seconds when nothing has changed yet.

import type { XapiEvent } from './db.js';
import type { Ctx, Handlers } from './handler.js';
import { allClasses, classMeta } from './model.js';
import { fail } from './world.js';

const TOKEN_WIDTH = 20;

function token(id: number): string {
  return String(id).padStart(TOKEN_WIDTH, '0');
}

function parseToken(t: string): number {
  if (t === '') return -1;
  const m = /^(\d+)(,.*)?$/.exec(t);
  if (!m) fail('EVENT_FROM_TOKEN_PARSE_FAILURE', t);
  return Number(m[1]);
}

/** Subscriptions: lower-case class names, "*" for all, "class/ref" for one object. */
function parseClasses(classes: string[]): { classes: Set<string> | null; refs: Set<string> | null } {
  if (classes.includes('*')) return { classes: null, refs: null };
  const cls = new Set<string>();
  const refs = new Set<string>();
  let anyWhole = false;
  for (const c of classes) {
    const [name, ref] = c.split('/');
    if (!name) fail('EVENT_SUBSCRIPTION_PARSE_FAILURE', c);
    cls.add(name.toLowerCase());
    if (ref) refs.add(ref);
    else anyWhole = true;
  }
  return { classes: cls, refs: anyWhole ? null : refs };
}

async function eventFrom(ctx: Ctx, classes: string[], tok: string, timeout: number): Promise<unknown> {
  const { db } = ctx;
  const sub = parseClasses(classes);
  const since = parseToken(tok);
  const pick = (evs: XapiEvent[]) => (sub.refs ? evs.filter((e) => sub.refs!.has(e.ref)) : evs);
  const counts = () => {
    const out: Record<string, number> = {};
    for (const c of sub.classes ?? new Set(allClasses().map((m) => m.name.toLowerCase()))) {
      const m = classMeta(c);
      if (m) out[c] = ctx.host.db.count(m.name);
    }
    return out;
  };
  if (since < 0) {
    const last = db.currentId - 1;
    return { events: pick(db.snapshotEvents(sub.classes)), valid_ref_counts: counts(), token: token(last) };
  }
  const deadline = Date.now() + Math.max(0, timeout) * 1000;
  for (;;) {
    // The host's database as it is now: a host that joined a pool while the call waited lives in the
    // pool's (its old database wakes its waiters when retired; event ids are world-wide, so the
    // token still holds there).
    const cur = ctx.host.db;
    const last = cur.currentId - 1;
    const events = pick(cur.eventsSince(since, sub.classes));
    const left = deadline - Date.now();
    if (events.length || left <= 0) return { events, valid_ref_counts: counts(), token: token(Math.max(last, since)) };
    const next = cur.nextChange();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([next.promise, new Promise<void>((r) => (timer = setTimeout(r, left)))]);
    clearTimeout(timer);
    next.cancel();
  }
}

export const eventHandlers: Handlers = {
  'event.from': eventFrom,
  'event.get_current_id': (ctx: Ctx) => ctx.db.currentId,
};
