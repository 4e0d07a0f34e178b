// The human plan, laid out like `terraform plan` (administrators already read that layout), plus
// `state show` and `output`. The attribute diffs come from diff.ts; this file owns the headers,
// reason lines, drift section, summary and colour.

import type { Plan, ResourceChange, OutputChange } from '../plan/types.js';
import type { ResourceInstanceState } from '../state/types.js';
import { compareAddresses } from '../state/address-order.js';
import { type Palette, colorMarker, palette } from './color.js';
import {
  type BlockMode,
  type DiffLine,
  blockBodyLines,
  driftObjects,
  makeContext,
  namedValueLines,
  shapeFromPaths,
  withSensitivePaths,
} from './diff.js';
import { compareKeys, formatKey, quoteString, renderAttributeLines, renderValue } from './value.js';

export interface TextOptions {
  color: boolean;
}

// ---------------------------------------------------------------------------------------------
// Line layout

/** Lay out one diff line: the marker right-aligned in a 3-column gutter at 4 spaces per level. */
const PADS: string[] = [];
const spaces = (n: number) => PADS[n] ?? (PADS[n] = ' '.repeat(n));

export function formatLine(l: DiffLine, p: Palette): string {
  const pad = Math.max(0, 4 * l.depth + 3 - l.mark.length);
  let s = spaces(pad) + colorMarker(l.mark, p) + ' ' + l.text;
  if (l.forces) s += ' ' + p.red('# forces replacement');
  return s;
}

// ---------------------------------------------------------------------------------------------
// Addresses

/** Split an address on the dots that separate its parts (not those inside `["a.b"]`). */
export function addressParts(address: string): string[] {
  // Slices, not per-character concatenation: state rendering splits tens of thousands of addresses.
  const parts: string[] = [];
  let start = 0;
  let bracket = 0;
  let quoted = false;
  for (let i = 0; i < address.length; i++) {
    const ch = address[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '[') bracket++;
    else if (ch === ']') bracket--;
    else if (ch === '.' && bracket === 0) {
      parts.push(address.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(address.slice(start));
  return parts;
}

/** The resource name in an instance address: `module.m.t.n["k"]` gives `n`. */
export function resourceNameOf(address: string): string {
  const parts = addressParts(address);
  const last = parts[parts.length - 1];
  const b = last.indexOf('[');
  return b < 0 ? last : last.slice(0, b);
}

/** The resource address without its instance key, for "is not in configuration" lines. */
function withoutKey(address: string): string {
  const parts = addressParts(address);
  const last = parts[parts.length - 1];
  const b = last.indexOf('[');
  if (b >= 0) parts[parts.length - 1] = last.slice(0, b);
  return parts.join('.');
}

function indexText(index: string | number | undefined): string {
  if (index === undefined) return '';
  return typeof index === 'number' ? `[${index}]` : `[${quoteString(index)}]`;
}

// ---------------------------------------------------------------------------------------------
// One resource change

/** The action marker of a change's block header (and the plan legend): `+`, `-/+`, `<=`, ... */
export function headerMark(c: ResourceChange): string {
  switch (c.action) {
    case 'create':
      return '+';
    case 'update':
      return '~';
    case 'delete':
      return '-';
    case 'read':
      return '<=';
    case 'replace':
      return c.replaceOrder === 'create-first' ? '+/-' : '-/+';
    default:
      return ' ';
  }
}

/** The comment lines above a change's block: what happens, then why (reasons, impact). */
export function changeHeadlines(c: ResourceChange): string[] {
  const a = c.address;
  const reasons: string[] = [];
  let head: string;
  switch (c.action) {
    case 'create':
      head = `${a} will be created`;
      break;
    case 'update':
      head = `${a} will be updated in-place`;
      break;
    case 'read':
      head = `${a} will be read during apply`;
      if (c.actionReason === 'read_because_config_unknown') reasons.push('(config refers to values not yet known)');
      else if (c.actionReason === 'read_because_dependency_pending') reasons.push('(depends on a resource or a module with changes pending)');
      break;
    case 'delete':
      head = `${a} will be destroyed`;
      switch (c.actionReason) {
        case 'delete_because_no_resource_config':
          reasons.push(`(because ${withoutKey(a)} is not in configuration)`);
          break;
        case 'delete_because_count_index':
          reasons.push(`(because index ${indexText(c.index)} is out of range for count)`);
          break;
        case 'delete_because_each_key':
          reasons.push(`(because key ${indexText(c.index)} is not in for_each map)`);
          break;
        case 'delete_because_no_module':
          reasons.push(`(because ${c.moduleAddress ?? 'its module'} is not in configuration)`);
          break;
      }
      break;
    case 'replace':
      head =
        c.actionReason === 'replace_because_tainted'
          ? `${a} is tainted, so must be replaced`
          : c.actionReason === 'replace_by_request'
            ? `${a} will be replaced, as requested`
            : c.actionReason === 'replace_by_triggers'
              ? `${a} will be replaced due to changes in replace_triggered_by`
              : `${a} must be replaced`;
      break;
    default:
      head =
        c.importingId !== undefined
          ? `${a} will be imported`
          : c.previousAddress !== undefined
            ? `${c.previousAddress} has moved to ${a}`
            : `${a} has no changes`;
  }
  if (c.reason) {
    // The planner's own words, when it gave some, say it best: they replace the stock line.
    const r = c.reason.trim().replace(/^\((.*)\)$/, '$1');
    const line = c.action === 'replace' ? `(replace because ${r})` : /^because\b/.test(r) ? `(${r})` : `(because ${r})`;
    reasons.length = 0;
    reasons.push(line);
  }
  if (c.previousAddress !== undefined && c.action !== 'noop') reasons.push(`(moved from ${c.previousAddress})`);
  if (c.importingId !== undefined && c.action !== 'noop') reasons.push(`(imported from ${quoteString(c.importingId)})`);
  if (c.impact && c.impact !== 'none') reasons.push(`impact: ${c.impact}`);
  return [head, ...reasons];
}

function blockKeyword(c: { mode: 'managed' | 'data'; type: string; name: string }): string {
  return `${c.mode === 'data' ? 'data' : 'resource'} ${quoteString(c.type)} ${quoteString(c.name)}`;
}

function bodyMode(c: ResourceChange): BlockMode {
  switch (c.action) {
    case 'create':
    case 'read':
      return 'create';
    case 'delete':
      return 'delete';
    case 'noop':
      return 'noop';
    default:
      return 'update';
  }
}

/**
 * The before/after objects of a change with the platform id folded in as an `id` attribute
 * when the attributes do not carry one, so every block shows which object it is about.
 */
function withId(c: ResourceChange): { before: Record<string, unknown> | null; after: Record<string, unknown> | null; unknown: unknown } {
  let before = c.before;
  let after = c.after;
  let unknown: unknown = c.afterUnknown;
  if (c.mode !== 'managed') return { before, after, unknown };
  if (c.id !== undefined && (before === null || !('id' in before))) before = { ...(before ?? {}), id: c.id };
  if (after !== null && !('id' in after)) {
    if (c.action === 'create' || c.action === 'replace') unknown = { ...(isObj(unknown) ? unknown : {}), id: true };
    else if (before !== null && 'id' in before) after = { ...after, id: before.id };
  }
  return { before, after, unknown };
}
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The lines of one resource change: comment header, reasons, and the block. */
export function changeBlockLines(c: ResourceChange): { comments: string[]; lines: DiffLine[] } {
  const { before, after, unknown } = withId(c);
  const ctx = makeContext(
    unknown,
    withSensitivePaths(c.beforeSensitive, c.changes),
    withSensitivePaths(c.afterSensitive, c.changes),
    c.replacePaths,
    c.changes,
    // An update always lists its changes; for the rest an empty list means "none besides the
    // unknowns", so the planner's list decides what shows unless it is an update without one.
    c.action !== 'update' || c.changes.length > 0,
  );
  const lines: DiffLine[] = [{ depth: 0, mark: headerMark(c), text: `${blockKeyword(c)} {` }];
  lines.push(...blockBodyLines(before, after, bodyMode(c), ctx));
  lines.push({ depth: 0, mark: ' ', text: '}' });
  return { comments: changeHeadlines(c), lines };
}

/** Drift of one instance: what state recorded versus what was observed. */
export function driftBlockLines(c: ResourceChange): { comments: string[]; lines: DiffLine[] } | undefined {
  const drift = c.drift;
  if (!drift || drift.length === 0) return undefined;
  const { recorded, observed, deleted, sensitive } = driftObjects(c);
  const ctx = makeContext({}, sensitive, sensitive, [], drift, true);
  const lines: DiffLine[] = [{ depth: 0, mark: deleted ? '-' : '~', text: `${blockKeyword(c)} {` }];
  lines.push(...blockBodyLines(recorded, observed, deleted ? 'delete' : 'update', ctx));
  lines.push({ depth: 0, mark: ' ', text: '}' });
  return { comments: [deleted ? `${c.address} has been deleted` : `${c.address} has changed`], lines };
}

/** The "Changes to Outputs" lines (depth 0), names aligned. */
export function outputChangeLines(outputs: readonly OutputChange[]): DiffLine[] {
  const shown = outputs.filter((o) => o.action !== 'noop').sort((x, y) => compareKeys(x.name, y.name));
  let width = 0;
  for (const o of shown) width = Math.max(width, formatKey(o.name).length);
  const lines: DiffLine[] = [];
  for (const o of shown) {
    const before = o.action === 'create' ? null : { v: o.before, unk: undefined, sens: o.sensitive };
    const after = o.action === 'delete' ? null : { v: o.after, unk: o.afterUnknown, sens: o.sensitive };
    lines.push(...namedValueLines(o.name, width, before, after, 0, o.action === 'update'));
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// The whole plan

export interface PlanCounts {
  import: number;
  add: number;
  change: number;
  destroy: number;
}

export function planCounts(plan: Plan): PlanCounts {
  const n: PlanCounts = { import: 0, add: 0, change: 0, destroy: 0 };
  for (const c of plan.changes) {
    if (c.importingId !== undefined) n.import++;
    if (c.action === 'create') n.add++;
    else if (c.action === 'update') n.change++;
    else if (c.action === 'delete') n.destroy++;
    else if (c.action === 'replace') {
      n.add++;
      n.destroy++;
    }
  }
  return n;
}

/** "Plan: 1 to import, 2 to add, 1 to change, 1 to destroy." (the import part only when any). */
export function summaryLine(plan: Plan): string {
  const n = planCounts(plan);
  return `Plan: ${n.import > 0 ? `${n.import} to import, ` : ''}${n.add} to add, ${n.change} to change, ${n.destroy} to destroy.`;
}

/** Changes that appear in the plan's action list (no-ops only when moved or imported). */
export function visibleChanges(plan: Plan): ResourceChange[] {
  return plan.changes
    .filter((c) => c.action !== 'noop' || c.previousAddress !== undefined || c.importingId !== undefined)
    .sort((a, b) => compareAddresses(a.address, b.address));
}

/** Changes whose objects drifted since the last apply, in address order. */
export function driftedChanges(plan: Plan): ResourceChange[] {
  return plan.changes.filter((c) => c.drift && c.drift.length > 0).sort((a, b) => compareAddresses(a.address, b.address));
}

const RULE = '─'.repeat(77);

const LEGEND: [string, string][] = [
  ['+', 'create'],
  ['~', 'update in-place'],
  ['-', 'destroy'],
  ['-/+', 'destroy and then create replacement'],
  ['+/-', 'create replacement and then destroy'],
  ['<=', 'read (data resources)'],
];

export function renderPlanText(plan: Plan, opts: TextOptions): string {
  const p = palette(opts.color);
  const out: string[] = [];
  const push = (...s: string[]) => out.push(...s);
  /** A block with its comment lines above it (the first one bold) and a blank line after. */
  const pushBlock = (b: { comments: string[]; lines: DiffLine[] }) => {
    for (const [i, cm] of b.comments.entries()) push(i === 0 ? p.bold(`  # ${cm}`) : `  # ${cm}`);
    for (const l of b.lines) push(formatLine(l, p));
    push('');
  };

  // Drift first: it explains changes that follow.
  const drifted = driftedChanges(plan);
  if (drifted.length > 0) {
    push(p.bold('Note: Objects have changed outside of Poolform'), '');
    push('Poolform detected the following changes made outside of Poolform since the last "poolform apply" which may have affected this plan:', '');
    for (const c of drifted) pushBlock(driftBlockLines(c)!);
    push(
      'Unless you have made equivalent changes to your configuration, or ignored the relevant attributes using ignore_changes, the following plan may include actions to undo or respond to these changes.',
      '',
      RULE,
      '',
    );
  }

  const changes = visibleChanges(plan);
  const outputs = outputChangeLines(plan.outputs);
  if (changes.length === 0 && outputs.length === 0) {
    if (plan.destroy) {
      push(`${p.bold(p.green('No changes.'))}${p.bold(' No objects need to be destroyed.')}`, '');
      push('Either you have not created any objects yet or the existing objects were already deleted outside of Poolform.');
    } else {
      push(`${p.bold(p.green('No changes.'))}${p.bold(' Your infrastructure matches the configuration.')}`, '');
      push(
        drifted.length > 0
          ? 'Your configuration already matches the changes detected above.'
          : 'Poolform has compared your real infrastructure against your configuration and found no differences, so no changes are needed.',
      );
    }
    return out.join('\n') + '\n';
  }

  if (changes.length > 0) {
    const used = new Set<string>();
    for (const c of changes) used.add(headerMark(c));
    const legend = LEGEND.filter(([mark]) => used.has(mark));
    // Only moves and imports: no action symbols to explain.
    if (legend.length > 0) {
      push('Poolform used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:');
      for (const [mark, words] of legend) push(`${' '.repeat(3 - mark.length)}${colorMarker(mark, p)} ${words}`);
      push('');
    }
    push('Poolform will perform the following actions:', '');
    for (const c of changes) pushBlock(changeBlockLines(c));
    push(`${p.bold('Plan:')} ${summaryLine(plan).slice('Plan: '.length)}`);
  }

  if (outputs.length > 0) {
    if (changes.length > 0) push('');
    push(p.bold('Changes to Outputs:'));
    for (const l of outputs) push(formatLine(l, p));
    if (changes.length === 0) {
      push('', 'You can apply this plan to save these new output values to the Poolform state, without changing any real infrastructure.');
    }
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// state show, output

/** One instance as `poolform state show` prints it: a block of its recorded attributes (no final newline). */
export function renderStateResource(r: ResourceInstanceState, opts: TextOptions): string {
  const p = palette(opts.color);
  const attrs: Record<string, unknown> = 'id' in r.attributes || !r.id ? r.attributes : { ...r.attributes, id: r.id };
  const head = `${r.mode === 'data' ? 'data' : 'resource'} ${quoteString(r.type)} ${quoteString(resourceNameOf(r.address))} {`;
  const body = renderAttributeLines(attrs, { indent: '    ', unit: '    ', sensitive: shapeFromPaths(r.sensitivePaths, r.attributes) });
  return [p.bold(`# ${r.address}:${r.tainted ? ' (tainted)' : ''}`), head, ...body, '}'].join('\n');
}

/**
 * All outputs as `poolform output` prints them: `name = value`, sensitive ones as <sensitive>,
 * one per line, no final newline (callers add it).
 */
export function renderOutputs(outputs: Record<string, { value: unknown; sensitive: boolean }>, opts: TextOptions): string {
  void opts; // no colour in output values: they are often piped
  const names = Object.keys(outputs).sort();
  const lines: string[] = [];
  for (const n of names) {
    const o = outputs[n];
    lines.push(`${n} = ${o.sensitive ? '<sensitive>' : renderValue(o.value, { unit: '  ' })}`);
  }
  return lines.join('\n');
}
