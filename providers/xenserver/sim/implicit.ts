// The messages XAPI generates for every class rather than declaring them: get_all,
// get_all_records, get_record, get_by_uuid, get_by_name_label, get_all_records_where, and per
// field get_<f>, set_<f> (RW), add_to_<f>/remove_from_<f> (RW maps), add_<f>/remove_<f> (RW sets).
// Built from the data model so every field of every class answers without a hand-written case.

import type { Rec } from './db.js';
import type { Ctx, Handler } from './handler.js';
import { type ClassMeta, type FieldMeta, type MessageMeta, parseType, type XType } from './model.js';
import { fail } from './world.js';

export interface ImplicitMessage {
  meta: MessageMeta;
  handler: Handler;
}

function meta(name: string, params: [string, string][], result: string): MessageMeta {
  return { name, params: params.map(([typeText, n]) => ({ name: n, typeText, type: parseType(typeText) })), result, async: false };
}

/** `get_all_records_where` expressions as xe and clients send them: true/false, field "f"="v", and/or. */
function whereFilter(expr: string): (r: Rec) => boolean {
  const tokens = expr.match(/\(|\)|"(?:[^"\\]|\\.)*"|=|[A-Za-z_]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const take = () => tokens[i++];
  const unq = (s: string | undefined) => (s ?? '').slice(1, -1).replace(/\\(.)/g, '$1');
  type F = (r: Rec) => boolean;
  const atom = (): F => {
    const t = take();
    if (t === '(') {
      const f = or();
      take();
      return f;
    }
    if (t === 'true') return () => true;
    if (t === 'false') return () => false;
    if (t === 'not') {
      const f = atom();
      return (r) => !f(r);
    }
    if (t === 'field') {
      const name = unq(take()).replace(/__/g, '_');
      if (take() !== '=') fail('INVALID_VALUE', 'expr', expr);
      const value = unq(take());
      return (r) => String(r[name]) === value;
    }
    fail('INVALID_VALUE', 'expr', expr);
  };
  // operands joined by `op`, left to right ("and" binds tighter: its operands are atoms)
  const chain = (op: 'and' | 'or', operand: () => F): F => {
    let f = operand();
    while (peek() === op) {
      take();
      const g = operand();
      const h = f;
      f = op === 'and' ? (r) => h(r) && g(r) : (r) => h(r) || g(r);
    }
    return f;
  };
  const and = () => chain('and', atom);
  const or = (): F => chain('or', and);
  return or();
}

/** get_/set_/add_to_/... on one field; `anyField` allows the explicit setters XAPI declares for RO fields. */
export function fieldMessage(cls: ClassMeta, name: string, anyField = false): ImplicitMessage | undefined {
  const self: [string, string] = [`${cls.name} ref`, 'self'];
  const m = /^(get|set|add_to|remove_from|add|remove)_(.+)$/.exec(name);
  if (!m) return undefined;
  const [, op, fname] = m as unknown as [string, string, string];
  const f: FieldMeta | undefined = cls.fields.get(fname);
  if (!f) return undefined;
  const writable = anyField || f.q === 'RW';
  const mapOf = f.type.k === 'map' ? f.type : undefined;
  const setOf = f.type.k === 'set' ? f.type : undefined;
  switch (op) {
    case 'get':
      return { meta: meta(name, [self], f.typeText), handler: (ctx: Ctx, ref: string) => ctx.db.get(cls.name, ref)[fname] };
    case 'set':
      if (!writable) return undefined;
      return { meta: meta(name, [self, [f.typeText, 'value']], 'void'), handler: (ctx: Ctx, ref: string, v: unknown) => void ctx.db.update(cls.name, ref, { [fname]: v }) };
    case 'add_to':
      if (!writable || !mapOf) return undefined;
      return {
        meta: meta(name, [self, [textOf(mapOf.key), 'key'], [textOf(mapOf.val), 'value']], 'void'),
        handler: (ctx: Ctx, ref: string, k: string, v: unknown) => {
          const r = ctx.db.get(cls.name, ref);
          const cur = r[fname] as Record<string, unknown>;
          if (k in cur) fail('MAP_DUPLICATE_KEY', cls.name, fname, r.uuid, k);
          ctx.db.update(cls.name, ref, { [fname]: { ...cur, [k]: v } });
        },
      };
    case 'remove_from':
      if (!writable || !mapOf) return undefined;
      return {
        meta: meta(name, [self, [textOf(mapOf.key), 'key']], 'void'),
        handler: (ctx: Ctx, ref: string, k: string) => {
          const cur = { ...(ctx.db.get(cls.name, ref)[fname] as Record<string, unknown>) };
          delete cur[k];
          ctx.db.update(cls.name, ref, { [fname]: cur });
        },
      };
    case 'add':
      if (!writable || !setOf) return undefined;
      return {
        meta: meta(name, [self, [textOf(setOf.of), 'value']], 'void'),
        handler: (ctx: Ctx, ref: string, v: unknown) => {
          const cur = ctx.db.get(cls.name, ref)[fname] as unknown[];
          if (!cur.includes(v)) ctx.db.update(cls.name, ref, { [fname]: [...cur, v] });
        },
      };
    case 'remove':
      if (!writable || !setOf) return undefined;
      return {
        meta: meta(name, [self, [textOf(setOf.of), 'value']], 'void'),
        handler: (ctx: Ctx, ref: string, v: unknown) => void ctx.db.update(cls.name, ref, { [fname]: (ctx.db.get(cls.name, ref)[fname] as unknown[]).filter((x) => x !== v) }),
      };
  }
  return undefined;
}

// Type texts for the synthetic signatures of map/set element params.
function textOf(t: XType): string {
  switch (t.k) {
    case 'ref':
      return `${t.cls} ref`;
    case 'enum':
      return `enum ${t.name}`;
    case 'set':
      return `${textOf(t.of)} set`;
    case 'map':
      return `(${textOf(t.key)} -> ${textOf(t.val)}) map`;
    case 'record':
      return `${t.cls} record`;
    default:
      return t.k;
  }
}

/** The implicit message `name` of `cls`, or undefined when XAPI would not generate it. */
export function implicitMessage(cls: ClassMeta, name: string): ImplicitMessage | undefined {
  const c = cls.name;
  switch (name) {
    case 'get_all':
      return { meta: meta(name, [], `${c} ref set`), handler: (ctx: Ctx) => [...ctx.db.all(c)].map(([ref]) => ref) };
    case 'get_all_records':
      return { meta: meta(name, [], `(${c} ref -> ${c} record) map`), handler: (ctx: Ctx) => Object.fromEntries(ctx.db.all(c)) };
    case 'get_all_records_where':
      return {
        meta: meta(name, [['string', 'expr']], `(${c} ref -> ${c} record) map`),
        handler: (ctx: Ctx, expr: string) => {
          const f = whereFilter(expr);
          return Object.fromEntries(ctx.db.filter(c, (r) => f(r)));
        },
      };
    case 'get_record':
      return { meta: meta(name, [[`${c} ref`, 'self']], `${c} record`), handler: (ctx: Ctx, ref: string) => ctx.db.get(c, ref) };
    case 'get_by_uuid':
      return {
        meta: meta(name, [['string', 'uuid']], `${c} ref`),
        handler: (ctx: Ctx, uuid: string) => {
          const ref = ctx.db.refByUuid(uuid);
          if (!ref || ctx.db.classOf(ref) !== c) fail('UUID_INVALID', c, uuid);
          return ref;
        },
      };
    case 'get_by_name_label':
      if (!cls.hasNameLabel) return undefined;
      return { meta: meta(name, [['string', 'label']], `${c} ref set`), handler: (ctx: Ctx, label: string) => ctx.db.filter(c, (r) => r.name_label === label).map(([ref]) => ref) };
  }
  return fieldMessage(cls, name);
}
