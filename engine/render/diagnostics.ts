// How every diagnostic is printed: Terraform's box (administrators know it) with the source line
// and the span marked, plus a compact `file:line:col:` location right under the summary so
// editors, CI log parsers and tests can find it with a plain pattern.

import { formatRange, type Diagnostic } from '../diagnostics.js';
import { type Palette, palette } from './color.js';

export interface DiagnosticRenderOptions {
  color: boolean;
}

/** Source text split into lines once per render call (many diagnostics share a file). */
type LineCache = Map<string, string[]>;

function linesOf(file: string, sources: Map<string, string>, cache: LineCache): string[] | undefined {
  let lines = cache.get(file);
  if (lines) return lines;
  const src = sources.get(file);
  if (src === undefined) return undefined;
  lines = src.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  cache.set(file, lines);
  return lines;
}

const HEADER = /^([A-Za-z_][\w-]*)((?:[ \t]+(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*))*)[ \t]*\{[ \t]*(?:(?:#|\/\/).*)?$/;

/**
 * The top-level block a line sits in (`resource "t" "n"`), found by scanning up for an
 * unindented block header; a closing brace in column 1 first means the line is between blocks.
 * A heuristic on the text (the AST is not at hand here), right for formatted HCL.
 */
export function enclosingBlock(lines: readonly string[], line: number): string | undefined {
  for (let i = line - 2; i >= 0 && i >= line - 2000; i--) {
    const l = lines[i];
    if (l.startsWith('}')) return undefined;
    const m = HEADER.exec(l);
    if (m) {
      const labels = m[2].match(/"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*/g) ?? [];
      return [m[1], ...labels].join(' ');
    }
  }
  return undefined;
}

/** The caret line under a source line: tabs kept so the carets line up however tabs display. */
function caretLine(src: string, startCol: number, endCol: number): string {
  const start = Math.min(Math.max(1, startCol), src.length + 1);
  const end = Math.max(start + 1, Math.min(endCol, src.length + 1));
  const lead = src.slice(0, start - 1).replace(/[^\t]/g, ' ');
  return lead + '^'.repeat(end - start);
}

function detailWithSuggestion(d: Diagnostic): string | undefined {
  const hint = d.suggestion !== undefined ? `Did you mean \`${d.suggestion}\`?` : undefined;
  if (!d.detail) return hint;
  if (!hint) return d.detail;
  return `${d.detail.replace(/\s+$/, '')} ${hint}`;
}

function renderOne(d: Diagnostic, sources: Map<string, string>, p: Palette, cache: LineCache): string {
  const isError = d.severity === 'error';
  const tint = isError ? p.red : p.yellow;
  const bar = tint('│');
  const body: string[] = [];
  body.push(`${p.bold(tint(isError ? 'Error:' : 'Warning:'))} ${p.bold(d.summary)}`);
  const r = d.range;
  if (r) {
    body.push(`${formatRange(r)}:`);
    body.push('');
    // Which instance, as the block's source line cannot say (count and for_each share it).
    if (d.address) body.push(`  with ${d.address},`);
    const lines = linesOf(r.file, sources, cache);
    const src = lines?.[r.start.line - 1];
    const block = lines && src !== undefined ? enclosingBlock(lines, r.start.line) : undefined;
    body.push(`  on ${r.file} line ${r.start.line}${block ? `, in ${block}` : ''}:`);
    if (src !== undefined) {
      const num = `${r.start.line}:`;
      const sameLine = r.end.line === r.start.line;
      const endCol = sameLine ? r.end.col : src.length + 1;
      let shown = src;
      if (p.enabled) {
        const a = Math.min(Math.max(0, r.start.col - 1), src.length);
        const b = Math.max(a, Math.min(endCol - 1, src.length));
        shown = src.slice(0, a) + p.underline(p.bold(src.slice(a, b))) + src.slice(b);
      }
      body.push(`  ${num} ${shown}`);
      body.push(`  ${' '.repeat(num.length)} ${caretLine(src, r.start.col, endCol)}`);
      if (!sameLine) body.push(`  ${' '.repeat(num.length)} (the range continues to line ${r.end.line})`);
    }
  } else if (d.address) {
    body.push('', `  with ${d.address}`); // no longer in the configuration, so no source to show
  }
  const detail = detailWithSuggestion(d);
  if (detail) {
    body.push('');
    for (const l of detail.split('\n')) body.push(l);
  }
  const out = [tint('╷')];
  for (const l of body) out.push(l === '' ? bar : `${bar} ${l}`);
  out.push(tint('╵'));
  return out.join('\n');
}

/** One diagnostic as a box (no final newline). `sources` maps file names to their text. */
export function renderDiagnostic(d: Diagnostic, sources: Map<string, string>, opts: DiagnosticRenderOptions): string {
  return renderOne(d, sources, palette(opts.color), new Map());
}

/** Every diagnostic, errors and warnings, in the order reported (no final newline). */
export function renderDiagnostics(ds: readonly Diagnostic[], sources: Map<string, string>, opts: DiagnosticRenderOptions): string {
  const p = palette(opts.color);
  const cache: LineCache = new Map();
  return ds.map((d) => renderOne(d, sources, p, cache)).join('\n');
}

/** One line per diagnostic: `file:line:col: error: summary`, for logs and machine consumers. */
export function formatDiagnosticsCompact(ds: readonly Diagnostic[]): string {
  return ds
    .map((d) => {
      const loc = d.range ? `${formatRange(d.range)}: ` : '';
      const hint = d.suggestion !== undefined ? ` (did you mean \`${d.suggestion}\`?)` : '';
      return `${loc}${d.severity}: ${d.address ? `${d.address}: ` : ''}${d.summary}${hint}`;
    })
    .join('\n');
}
