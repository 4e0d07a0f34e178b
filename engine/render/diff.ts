// Structural attribute diffs, as marked lines. Shared by the text plan (text.ts) and the Markdown
// PR comment (markdown.ts), which only differ in how a line is laid out and coloured.
//
// The layout is hand-written because it must follow Terraform's plan rendering closely (markers,
// `=` alignment, hidden-unchanged counts, one element of list context, heredoc line diffs), which
// no generic diff library produces; aligning list elements and heredoc lines is left to the
// `diff` package. Secrets never leave here: a value marked by a sensitive shape, or flagged
// sensitive in the plan's changes, prints only as "(sensitive value)".

import { diffArrays } from 'diff';
import type { AttributeChange, ResourceChange } from '../plan/types.js';
import { Sensitive, Unknown, valuesEqual, type Value } from '../lang/value.js';
import { isSecretDigest } from '../plan/secrets.js';
import {
  SENSITIVE_TEXT,
  UNKNOWN_TEXT,
  formatKey,
  heredocDelimiter,
  heredocLines,
  renderScalar,
  renderValue,
  shapeAt,
  sortedKeys,
} from './value.js';

/**
 * One line of a rendered diff. `mark` is '+', '-', '~', ' ', a block marker ('-/+', '<=', ...),
 * or '#' for a warning comment that sits in the marker column.
 */
export interface DiffLine {
  depth: number;
  mark: string;
  text: string;
  /** The line carries a "# forces replacement" note. */
  forces?: boolean;
  /** A "# (...)" comment line rather than a value. */
  note?: boolean;
  /** For a single-line in-place update: the parts, so Markdown can show old and new on two lines. */
  split?: { head: string; before: string; after: string; tail: string };
}

/** What the diff needs to know besides the two values. */
export interface DiffContext {
  unknown: unknown; // after_unknown shape of the whole object
  beforeSensitive: unknown;
  afterSensitive: unknown;
  /** Paths (joined by pathKey) whose change forces replacement. */
  forces: Set<string>;
  /** Paths the planner reported changed, and all their prefixes: sensitive leaves compare as null. */
  changedExact: Set<string>;
  changedPrefixes: Set<string>;
  /**
   * When set, only these top-level attributes (plus unknown and replacement-forcing ones) count
   * as changed: the planner's `changes` are authoritative, because its `after` leaves attributes
   * it does not manage (runtime values absent from the configuration) null, which a structural
   * diff alone would misread as removals.
   */
  onlyTop?: Set<string>;
}

/** Attributes always shown in an update even when unchanged, as Terraform does. */
const IMPORTANT = new Set(['id', 'name', 'name_label']);

const SEP = '\u0000';
function pathKey(path: readonly (string | number)[]): string {
  return path.map(String).join(SEP);
}
const childKey = (parent: string, seg: string | number) => parent + SEP + String(seg);

const NONE: Set<string> = new Set();

export function makeContext(
  unknown: unknown,
  beforeSensitive: unknown,
  afterSensitive: unknown,
  replacePaths: readonly (readonly (string | number)[])[],
  changes: readonly AttributeChange[],
  authoritative = false,
): DiffContext {
  let onlyTop: Set<string> | undefined;
  if (authoritative && !changes.some((c) => c.path.length === 0)) {
    onlyTop = new Set();
    for (const c of changes) onlyTop.add(String(c.path[0]));
    for (const p of replacePaths) if (p.length) onlyTop.add(String(p[0]));
  }
  if (replacePaths.length === 0 && changes.length === 0) return { unknown, beforeSensitive, afterSensitive, forces: NONE, changedExact: NONE, changedPrefixes: NONE, onlyTop };
  const forces = new Set<string>();
  for (const p of replacePaths) forces.add(pathKey(p));
  const changedExact = new Set<string>();
  const changedPrefixes = new Set<string>();
  for (const c of changes) {
    if (c.forcesReplacement) forces.add(pathKey(c.path));
    changedExact.add(pathKey(c.path));
    for (let i = 1; i < c.path.length; i++) changedPrefixes.add(pathKey(c.path.slice(0, i)));
  }
  return { unknown, beforeSensitive, afterSensitive, forces, changedExact, changedPrefixes, onlyTop };
}

/** True when a shape marks anything inside as true. */
function anyTrue(shape: unknown): boolean {
  if (shape === true) return true;
  if (shape === null || typeof shape !== 'object') return false;
  for (const k in shape as Record<string, unknown>) if (anyTrue((shape as Record<string, unknown>)[k])) return true;
  return false;
}

type Op = '+' | '-' | '~' | ' ';

/** A diff tree node, laid out into lines by `emit`. */
interface Node {
  op: Op;
  kind: 'leaf' | 'object' | 'list' | 'lines';
  /** leaf: the rendered value (or "old -> new"). */
  text?: string;
  split?: { before: string; after: string };
  /** object: entries by key; list and lines: entries in order (key undefined) or hidden runs. */
  entries?: Entry[];
  /** Unchanged entries not shown (objects). */
  hidden?: number;
  /** Appended to the closing line: " -> null", " -> (known after apply)". */
  close?: string;
  /** Put before the opening bracket: '"old" -> ' when a scalar became a list or object. */
  open?: string;
  /** lines: the heredoc delimiter. */
  delim?: string;
  forces?: boolean;
  /** Comment lines shown above the node (sensitivity changes). */
  warn?: readonly string[];
  /** True when the node is a change (or contains one). */
  changed: boolean;
}
type Entry = { key?: string; node: Node } | { hiddenRun: number; noun: string } | { hiddenKey: string };

// ---------------------------------------------------------------------------------------------
// Equality and classification of plain JSON values

function isContainer(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object' && !(v instanceof Unknown) && !(v instanceof Sensitive);
}

/** Structural equality of plain values (Sensitive wrappers compared by their content). */
const jsonEqual = (a: unknown, b: unknown): boolean => valuesEqual(a as Value, b as Value);

// Shown in the marker column with '#' as the marker, where Terraform puts them.
const SENSITIVE_ON = [
  'Warning: this attribute value will be marked as sensitive and will not',
  'display in UI output after applying this change.',
];
const SENSITIVE_OFF = ['Warning: this attribute value will no longer be marked as sensitive', 'after applying this change.'];

const absent = (v: unknown) => v === null || v === undefined;
const isPlainObject = (v: unknown) => isContainer(v) && !Array.isArray(v);

/**
 * The keys of an object plus those only its unknown shape names: a plan may omit unknown
 * attributes from `after` entirely (Terraform's JSON does), and they must still be shown.
 */
function unionKeys(o: Record<string, unknown>, unk: unknown, extra?: Record<string, unknown>): string[] {
  const isShape = unk !== null && typeof unk === 'object' && !Array.isArray(unk);
  if (!isShape && !extra) return sortedKeys(o);
  const all: Record<string, unknown> = { ...o };
  if (extra) for (const k in extra) all[k] = true;
  if (isShape) for (const k in unk as Record<string, unknown>) if ((unk as Record<string, unknown>)[k] === true) all[k] = true;
  return sortedKeys(all);
}

// ---------------------------------------------------------------------------------------------
// Building nodes

/** A whole value shown with one marker throughout (created, deleted or unchanged). */
function wholeNode(v: unknown, op: Op, unk: unknown, sens: unknown, changed: boolean): Node {
  if (sens === true || v instanceof Sensitive) return { op, kind: 'leaf', text: SENSITIVE_TEXT, changed };
  if (unk === true || v instanceof Unknown) return { op, kind: 'leaf', text: UNKNOWN_TEXT, changed };
  const s = renderScalar(v);
  if (s !== undefined) return { op, kind: 'leaf', text: s, changed };
  if (typeof v === 'string') {
    const lines = heredocLines(v);
    return {
      op,
      kind: 'lines',
      delim: heredocDelimiter(lines),
      // Heredoc content carries no markers of its own; the attribute line says what happens.
      entries: lines.map((l) => ({ node: { op: ' ', kind: 'leaf', text: l, changed } as Node })),
      changed,
    };
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return { op, kind: 'leaf', text: '[]', changed };
    return {
      op,
      kind: 'list',
      entries: v.map((e, i) => ({ node: wholeNode(e, op, shapeAt(unk, i), shapeAt(sens, i), changed) })),
      changed,
    };
  }
  const o = v as Record<string, unknown>;
  const keys = unionKeys(o, unk);
  if (keys.length === 0) return { op, kind: 'leaf', text: '{}', changed };
  const entries: Entry[] = [];
  for (const k of keys) {
    // Nulls inside a created or deleted object say nothing; Terraform leaves them out too.
    if (absent(o[k]) && shapeAt(unk, k) !== true && shapeAt(sens, k) !== true) continue;
    entries.push({ key: k, node: wholeNode(o[k], op, shapeAt(unk, k), shapeAt(sens, k), changed) });
  }
  if (entries.length === 0) return { op, kind: 'leaf', text: '{}', changed };
  return { op, kind: 'object', entries, changed };
}

/** A value rendered plainly on one logical line (for type changes). */
function plain(v: unknown, unk: unknown, sens: unknown): string {
  return renderValue(v, { unknown: unk, sensitive: sens });
}

interface Side {
  v: unknown;
  unk: unknown; // only meaningful after
  sens: unknown;
}

/**
 * Diff two values at one path. `top` marks a resource's own attribute (deletions there end with
 * "-> null", as Terraform prints them). Returns undefined when both sides are null.
 */
function diffNode(b: Side, a: Side, path: string, top: boolean, ctx: DiffContext): Node | undefined {
  const forces = ctx.forces.has(path);
  const bSens = b.sens === true || b.v instanceof Sensitive;
  const aSens = a.sens === true || a.v instanceof Sensitive;
  const aUnk = a.unk === true || a.v instanceof Unknown;
  const bAbsent = absent(b.v) && !bSens;
  const aAbsent = absent(a.v) && !aSens && !aUnk;
  if (bAbsent && aAbsent) return undefined;

  if (bSens || aSens) {
    const reported = ctx.changedExact.has(path) || ctx.changedPrefixes.has(path) || ancestorReported(path, ctx);
    if (bAbsent) return { op: '+', kind: 'leaf', text: aUnk && !aSens ? UNKNOWN_TEXT : SENSITIVE_TEXT, changed: true, forces };
    if (aAbsent) return { op: '-', kind: 'leaf', text: SENSITIVE_TEXT + (top ? ' -> null' : ''), changed: true, forces };
    const changed = reported || bSens !== aSens || aUnk || !jsonEqual(b.v, a.v);
    // An unknown result has no sensitivity yet: nothing to warn about.
    const warn = aUnk ? undefined : !bSens ? SENSITIVE_ON : !aSens ? SENSITIVE_OFF : undefined;
    if (aUnk && !aSens) return { op: '~', kind: 'leaf', text: `${SENSITIVE_TEXT} -> ${UNKNOWN_TEXT}`, changed: true, forces, warn };
    return { op: changed ? '~' : ' ', kind: 'leaf', text: SENSITIVE_TEXT, changed, forces: forces && changed, warn };
  }

  if (aUnk) {
    if (bAbsent) return { op: '+', kind: 'leaf', text: UNKNOWN_TEXT, changed: true, forces };
    return changedTo(wholeNode(b.v, '-', undefined, b.sens, true), UNKNOWN_TEXT, forces);
  }

  if (bAbsent) return { ...wholeNode(a.v, '+', a.unk, a.sens, true), forces };
  if (aAbsent) {
    const n = wholeNode(b.v, '-', undefined, b.sens, true);
    if (top) {
      if (n.kind === 'leaf') n.text += ' -> null';
      else n.close = ' -> null';
    }
    n.forces = forces;
    return n;
  }

  const bv = b.v;
  const av = a.v;
  // Two strings, at least one spanning lines: a line diff inside a heredoc.
  if (typeof bv === 'string' && typeof av === 'string' && (bv.includes('\n') || av.includes('\n'))) {
    if (bv === av) return { ...wholeNode(bv, ' ', undefined, undefined, false), forces: false };
    const bl = heredocLines(bv);
    const al = heredocLines(av);
    const entries = listEntries(
      bl,
      al,
      (x, y) => x === y,
      (bi, ai, op) => ({ op, kind: 'leaf', text: op === '-' ? bl[bi] : al[ai], changed: op !== ' ' }),
      undefined,
      'line',
    );
    return { op: '~', kind: 'lines', delim: heredocDelimiter([...bl, ...al]), entries, changed: true, forces };
  }

  const bScalar = !isContainer(bv);
  const aScalar = !isContainer(av);
  if (bScalar && aScalar) {
    if (bv === av) return { op: ' ', kind: 'leaf', text: renderScalar(bv)!, changed: false };
    const bt = renderScalar(bv)!;
    const at = renderScalar(av)!;
    return { op: '~', kind: 'leaf', text: `${bt} -> ${at}`, split: { before: bt, after: at }, changed: true, forces };
  }

  if (Array.isArray(bv) && Array.isArray(av)) {
    const entries = listEntries(
      bv,
      av,
      (x, y) => jsonEqual(x, y),
      (bi, ai, op) => {
        if (op === '-') return wholeNode(bv[bi], '-', undefined, shapeAt(b.sens, bi), true);
        if (op === '+') return wholeNode(av[ai], '+', shapeAt(a.unk, ai), shapeAt(a.sens, ai), true);
        if (op === ' ') return wholeNode(av[ai], ' ', shapeAt(a.unk, ai), shapeAt(a.sens, ai), false);
        return (
          diffNode(
            { v: bv[bi], unk: undefined, sens: shapeAt(b.sens, bi) },
            { v: av[ai], unk: shapeAt(a.unk, ai), sens: shapeAt(a.sens, ai) },
            childKey(path, ai),
            false,
            ctx,
          ) ?? { op: ' ', kind: 'leaf', text: 'null', changed: false }
        );
      },
      // Like Terraform's list diff: a removed object followed by an added one is one object
      // changed in place; removed and added primitives stay a removal and an addition.
      (bi, ai) => isPlainObject(bv[bi]) && isPlainObject(av[ai]),
      'element',
    );
    const changed = entries.some((e) => 'node' in e && e.node.changed);
    if (!changed) return { ...wholeNode(av, ' ', a.unk, a.sens, false), forces: false };
    return { op: '~', kind: 'list', entries, changed: true, forces };
  }

  if (isContainer(bv) && isContainer(av) && !Array.isArray(bv) && !Array.isArray(av)) {
    const bo = bv as Record<string, unknown>;
    const ao = av as Record<string, unknown>;
    const keys = unionKeys(ao, a.unk, bo);
    const entries: Entry[] = [];
    let hidden = 0;
    for (const k of keys) {
      const n = diffNode(
        { v: bo[k], unk: undefined, sens: shapeAt(b.sens, k) },
        { v: ao[k], unk: shapeAt(a.unk, k), sens: shapeAt(a.sens, k) },
        childKey(path, k),
        false,
        ctx,
      );
      if (!n) continue;
      if (n.changed || (IMPORTANT.has(k) && n.kind === 'leaf')) entries.push({ key: k, node: n });
      else {
        hidden++;
        entries.push({ hiddenKey: k });
      }
    }
    const changed = entries.some((e) => 'node' in e && e.node.changed);
    if (!changed) return { ...wholeNode(av, ' ', a.unk, a.sens, false), forces: false };
    return { op: '~', kind: 'object', entries, hidden, changed: true, forces };
  }

  // The type changed (say a list became a string): the old value, then what replaces it.
  if (aScalar) return changedTo(wholeNode(bv, '-', undefined, b.sens, true), plain(av, a.unk, a.sens), forces);
  return { ...wholeNode(av, '+', a.unk, a.sens, true), op: '~', open: `${plain(bv, undefined, b.sens)} -> `, forces };
}

/** `old` replaced by the one-line value `after`: "old -> after" for a leaf, the old block closed with "] -> after" otherwise. */
function changedTo(old: Node, after: string, forces: boolean | undefined): Node {
  if (old.kind === 'leaf') return { op: '~', kind: 'leaf', text: `${old.text} -> ${after}`, split: { before: old.text!, after }, changed: true, forces };
  return { ...old, op: '~', close: ` -> ${after}`, forces };
}

function ancestorReported(path: string, ctx: DiffContext): boolean {
  let i = path.lastIndexOf(SEP);
  while (i > 0) {
    if (ctx.changedExact.has(path.slice(0, i))) return true;
    i = path.lastIndexOf(SEP, i - 1);
  }
  return false;
}

/**
 * Diff two sequences: longest common subsequence, then in each gap each removed item that
 * `pair` accepts together with the next added one becomes an in-place change, the other removed
 * items removals, and the remaining added items additions (Terraform's order). Unchanged items
 * next to a change are shown for context; the others collapse into "# (N unchanged ... hidden)".
 */
function listEntries<T>(
  before: readonly T[],
  after: readonly T[],
  eq: (x: T, y: T) => boolean,
  make: (bi: number, ai: number, op: Op) => Node,
  pair: ((bi: number, ai: number) => boolean) | undefined,
  noun: string,
): Entry[] {
  type Step = { op: Op; bi: number; ai: number };
  const steps: Step[] = [];
  // The alignment itself (a longest common subsequence) is the `diff` package's.
  const mid: Step[] = [];
  let b = 0;
  let a = 0;
  for (const part of diffArrays(before as T[], after as T[], { comparator: eq })) {
    for (let n = 0; n < part.value.length; n++) {
      if (part.removed) mid.push({ op: '-', bi: b++, ai: -1 });
      else if (part.added) mid.push({ op: '+', bi: -1, ai: a++ });
      else mid.push({ op: ' ', bi: b++, ai: a++ });
    }
  }
  // In each gap between common items: pair removals with additions, then the leftovers.
  for (let k = 0; k < mid.length; ) {
    if (mid[k].op === ' ') {
      steps.push(mid[k++]);
      continue;
    }
    const dels: number[] = [];
    const adds: number[] = [];
    while (k < mid.length && mid[k].op !== ' ') {
      if (mid[k].op === '-') dels.push(mid[k].bi);
      else adds.push(mid[k].ai);
      k++;
    }
    let ai = 0;
    for (const bi of dels) {
      if (pair && ai < adds.length && pair(bi, adds[ai])) steps.push({ op: '~', bi, ai: adds[ai++] });
      else steps.push({ op: '-', bi, ai: -1 });
    }
    for (; ai < adds.length; ai++) steps.push({ op: '+', bi: -1, ai: adds[ai] });
  }

  const entries: Entry[] = [];
  let run = 0;
  for (let s = 0; s < steps.length; s++) {
    const st = steps[s];
    const context = st.op === ' ' && !((s > 0 && steps[s - 1].op !== ' ') || (s + 1 < steps.length && steps[s + 1].op !== ' '));
    if (context) {
      run++;
      continue;
    }
    if (run > 0) {
      entries.push({ hiddenRun: run, noun });
      run = 0;
    }
    entries.push({ node: make(st.bi, st.ai, st.op) });
  }
  if (run > 0) entries.push({ hiddenRun: run, noun });
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Laying nodes out as lines

const plural = (n: number, noun: string) => `${n} unchanged ${noun}${n === 1 ? '' : 's'} hidden`;

function emit(node: Node, head: string, trail: string, depth: number, out: DiffLine[]): void {
  const forces = node.forces || undefined;
  if (node.warn) for (const w of node.warn) out.push({ depth, mark: '#', text: w, note: true });
  switch (node.kind) {
    case 'leaf': {
      const line: DiffLine = { depth, mark: node.op, text: head + node.text + trail, forces };
      if (node.split) line.split = { head, before: node.split.before, after: node.split.after, tail: trail };
      out.push(line);
      return;
    }
    case 'lines': {
      out.push({ depth, mark: node.op, text: `${head}<<-${node.delim}`, forces });
      for (const e of node.entries!) {
        if ('hiddenRun' in e) out.push({ depth: depth + 1, mark: ' ', text: `# (${plural(e.hiddenRun, e.noun)})`, note: true });
        else if ('node' in e) out.push({ depth: depth + 1, mark: e.node.op, text: e.node.text! });
      }
      out.push({ depth, mark: ' ', text: node.delim! + (node.close ?? '') + trail });
      return;
    }
    case 'list': {
      out.push({ depth, mark: node.op, text: `${head}${node.open ?? ''}[`, forces });
      for (const e of node.entries!) {
        if ('hiddenRun' in e) out.push({ depth: depth + 1, mark: ' ', text: `# (${plural(e.hiddenRun, e.noun)})`, note: true });
        else if ('node' in e) emit(e.node, '', ',', depth + 1, out);
      }
      out.push({ depth, mark: ' ', text: ']' + (node.close ?? '') + trail });
      return;
    }
    case 'object': {
      out.push({ depth, mark: node.op, text: `${head}${node.open ?? ''}{`, forces });
      emitEntries(node, depth + 1, out);
      out.push({ depth, mark: ' ', text: '}' + (node.close ?? '') + trail });
      return;
    }
  }
}

/** An object's entries, `=` aligned over every key the object has (shown or hidden). */
function emitEntries(node: Node, depth: number, out: DiffLine[]): void {
  let width = 0;
  for (const e of node.entries!) {
    const k = 'hiddenKey' in e ? e.hiddenKey : 'node' in e ? e.key : undefined;
    if (k !== undefined) width = Math.max(width, formatKey(k).length);
  }
  for (const e of node.entries!) {
    if (!('node' in e)) continue;
    emit(e.node, `${formatKey(e.key!).padEnd(width)} = `, '', depth, out);
  }
  if (node.hidden) out.push({ depth, mark: ' ', text: `# (${plural(node.hidden, 'attribute')})`, note: true });
}

// ---------------------------------------------------------------------------------------------
// Public entry points

export type BlockMode = 'create' | 'delete' | 'update' | 'noop';

/**
 * The body lines of a resource block (between `{` and `}`), at depth 1. `mode` decides the
 * markers: create/read show every non-null attribute as added, delete every one as removed, and
 * update/replace/noop only the changed ones plus `id`, with a count of the hidden rest.
 */
export function blockBodyLines(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  mode: BlockMode,
  ctx: DiffContext,
  depth = 1,
): DiffLine[] {
  let node: Node | undefined;
  if (mode === 'create') node = wholeNode(after ?? {}, '+', ctx.unknown, ctx.afterSensitive, true);
  else if (mode === 'delete') {
    // Every attribute is top-level here, so each ends in "-> null".
    const b = before ?? {};
    const entries: Entry[] = [];
    for (const k of sortedKeys(b)) {
      const n = diffNode({ v: b[k], unk: undefined, sens: shapeAt(ctx.beforeSensitive, k) }, { v: null, unk: undefined, sens: undefined }, k, true, ctx);
      if (n) entries.push({ key: k, node: n });
    }
    node = { op: '-', kind: 'object', entries, changed: true };
  } else {
    const b = before ?? {};
    const a = after ?? {};
    const entries: Entry[] = [];
    let hidden = 0;
    for (const k of unionKeys(a, ctx.unknown, b)) {
      const n = diffNode(
        { v: b[k], unk: undefined, sens: shapeAt(ctx.beforeSensitive, k) },
        { v: a[k], unk: shapeAt(ctx.unknown, k), sens: shapeAt(ctx.afterSensitive, k) },
        k,
        true,
        ctx,
      );
      if (!n) continue;
      let shown: Node | undefined = n;
      if (n.changed && ctx.onlyTop && !ctx.onlyTop.has(k) && !anyTrue(shapeAt(ctx.unknown, k))) {
        // Not a change the planner reports: show the current value as unchanged, if anything.
        const cur = absent(b[k]) ? a[k] : b[k];
        shown = absent(cur) ? undefined : wholeNode(cur, ' ', undefined, shapeAt(ctx.beforeSensitive, k), false);
      }
      if (shown && (shown.changed || (IMPORTANT.has(k) && shown.kind === 'leaf'))) entries.push({ key: k, node: shown });
      else {
        hidden++;
        entries.push({ hiddenKey: k });
      }
    }
    node = { op: '~', kind: 'object', entries, hidden, changed: true };
  }
  const out: DiffLine[] = [];
  if (node.kind === 'object') emitEntries(node, depth, out);
  return out;
}

/** One named value (an output) as diff lines at `depth`, its name padded to `width`. */
export function namedValueLines(
  name: string,
  width: number,
  before: Side | null,
  after: Side | null,
  depth: number,
  reportedChange: boolean,
): DiffLine[] {
  const ctx = makeContext(undefined, undefined, undefined, [], reportedChange ? [{ path: [name], before: null, after: null, afterUnknown: false, sensitive: true, forcesReplacement: false }] : []);
  const n = diffNode(before ?? { v: null, unk: undefined, sens: undefined }, after ?? { v: null, unk: undefined, sens: undefined }, name, true, ctx);
  const out: DiffLine[] = [];
  if (n) emit(n, `${formatKey(name).padEnd(width)} = `, '', depth, out);
  return out;
}

/**
 * Apply a list of attribute changes to a copy of `base` (copying only along the changed paths),
 * taking each change's `before` or `after` side. Used to reconstruct drift: the object state
 * recorded, and the object observed.
 */
function applyChanges(base: Record<string, unknown> | null, changes: readonly AttributeChange[], side: 'before' | 'after'): Record<string, unknown> {
  let root: Record<string, unknown> = { ...(base ?? {}) };
  for (const c of changes) {
    if (c.path.length === 0) {
      // The whole object (say, one that vanished): that side replaces everything.
      const v = side === 'before' ? c.before : c.after;
      root = v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
      continue;
    }
    let cur: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < c.path.length - 1; i++) {
      const seg = c.path[i];
      const next: unknown = (cur as Record<string, unknown>)[seg as string];
      const copy: Record<string, unknown> | unknown[] = Array.isArray(next)
        ? [...next]
        : isContainer(next)
          ? { ...(next as Record<string, unknown>) }
          : typeof c.path[i + 1] === 'number'
            ? []
            : {};
      (cur as Record<string, unknown>)[seg as string] = copy;
      cur = copy;
    }
    (cur as Record<string, unknown>)[c.path[c.path.length - 1] as string] = side === 'before' ? c.before : c.after;
  }
  return root;
}

/**
 * The two objects drift compares: as state recorded it and as it was observed (null when it
 * vanished), with the platform id folded in, plus the sensitive shape for both.
 */
export function driftObjects(c: ResourceChange): {
  recorded: Record<string, unknown>;
  observed: Record<string, unknown> | null;
  deleted: boolean;
  sensitive: unknown;
} {
  const drift = c.drift ?? [];
  const deleted = c.before === null || drift.some((d) => d.path.length === 0 && d.after === null);
  const recorded = applyChanges(c.before, drift, 'before');
  const observed = deleted ? null : applyChanges(c.before, drift, 'after');
  if (c.mode === 'managed' && c.id !== undefined && !('id' in recorded)) {
    recorded.id = c.id;
    if (observed) observed.id = c.id;
  }
  return { recorded, observed, deleted, sensitive: withSensitivePaths(c.beforeSensitive, drift) };
}

/**
 * A sensitive shape with `true` at each of the given paths (as state records them), and at any
 * top-level attribute holding a secret digest, should a state lack the path for it.
 */
export function shapeFromPaths(paths: readonly (readonly (string | number)[])[] | undefined, attrs?: Record<string, unknown>): unknown {
  let root: unknown = {};
  for (const p of paths ?? []) {
    if (p.length === 0) return true;
    root = setShape(root, p, 0);
  }
  if (attrs) for (const k in attrs) if (isSecretDigest(attrs[k])) root = setShape(root, [k], 0);
  return root;
}

/** Mark the paths of sensitive attribute changes in a sensitive shape (copying as needed). */
export function withSensitivePaths(shape: unknown, changes: readonly AttributeChange[]): unknown {
  let root = shape;
  for (const c of changes) {
    if (!c.sensitive) continue;
    if (c.path.length === 0) return true;
    if (root === true) return true;
    root = setShape(root, c.path, 0);
  }
  return root;
}

function setShape(shape: unknown, path: readonly (string | number)[], i: number): unknown {
  if (shape === true) return true;
  if (i === path.length) return true;
  const seg = path[i];
  const base: Record<string, unknown> | unknown[] =
    Array.isArray(shape) ? [...shape] : shape !== null && typeof shape === 'object' ? { ...(shape as Record<string, unknown>) } : typeof seg === 'number' ? [] : {};
  const cur = (base as Record<string, unknown>)[seg as string];
  (base as Record<string, unknown>)[seg as string] = setShape(cur, path, i + 1);
  if (Array.isArray(base)) for (let k = 0; k < base.length; k++) if (base[k] === undefined) base[k] = false;
  return base;
}
