// The plan as a pull-request comment (GitHub and GitLab Markdown): the summary as a heading, a
// table of changes, warnings, then one collapsed ```diff block per change so reviewers can open
// only what they care about. The attribute diffs are the text plan's (diff.ts), laid out with
// the diff marker in column 0 so the forges colour added and removed lines.

import { formatRange, type Diagnostic } from '../diagnostics.js';
import type { Plan, ResourceChange } from '../plan/types.js';
import type { DiffLine } from './diff.js';
import { changeBlockLines, changeHeadlines, driftBlockLines, driftedChanges, headerMark, outputChangeLines, summaryLine, visibleChanges } from './text.js';

export interface MarkdownOptions {
  /** A heading above the summary, e.g. "poolform plan for `prod`". */
  title?: string;
  /** Forges cap comment size (GitHub at 65,536 characters): stay under this. */
  maxLength?: number;
}

const DEFAULT_MAX = 60_000;

// ---------------------------------------------------------------------------------------------
// Escaping

/** Text for a table cell: pipes, backticks and Markdown/HTML punctuation escaped, one line. */
export function escapeCell(s: string): string {
  return s
    .replace(/[\\`*_[\]|]/g, (c) => '\\' + c)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>');
}

/** A code span for a table cell; pipes stay escaped (GFM splits cells on them even in code). */
export function codeCell(s: string): string {
  const body = s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  if (!body.includes('`')) return '`' + body + '`';
  // A run of backticks inside: fence with a longer run, padded so edge backticks survive.
  let fence = '``';
  while (body.includes(fence)) fence += '`';
  return `${fence} ${body} ${fence}`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Text outside tables: HTML and emphasis markers escaped so user strings render literally. */
function escapeText(s: string): string {
  return s.replace(/[\\`*_[\]]/g, (c) => '\\' + c).replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A fenced block whose fence is longer than any backtick run in the content. */
function fenced(lang: string, body: string): string {
  let fence = '```';
  while (body.includes(fence)) fence += '`';
  return `${fence}${lang}\n${body}\n${fence}`;
}

// ---------------------------------------------------------------------------------------------
// Diff lines for ```diff

function diffChar(mark: string): string {
  switch (mark) {
    case '+':
      return '+';
    case '-':
      return '-';
    case '~':
    case '-/+':
    case '+/-':
      return '!';
    default:
      return ' ';
  }
}

/** Lay out diff lines for a ```diff block: marker in column 0, in-place leaf updates as -/+ pairs. */
export function diffBlockText(lines: readonly DiffLine[]): string {
  const out: string[] = [];
  for (const l of lines) {
    const indent = '    '.repeat(l.depth);
    const forces = l.forces ? ' # forces replacement' : '';
    if (l.split) {
      out.push(`- ${indent}${l.split.head}${l.split.before}${l.split.tail}`);
      out.push(`+ ${indent}${l.split.head}${l.split.after}${l.split.tail}${forces}`);
      continue;
    }
    const text = l.mark === '#' ? `# ${l.text}` : l.text;
    out.push(`${diffChar(l.mark)} ${indent}${text}${forces}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The comment

/** The text plan's action marker; a no-op in the list is there because it is imported or moved. */
function tableSymbol(c: ResourceChange): string {
  if (c.action !== 'noop') return headerMark(c);
  return c.importingId !== undefined ? 'import' : 'moved';
}

function reasonCell(comments: string[]): string {
  // The text plan's reason lines, minus the impact (it has its own column).
  const parts = comments.slice(1).filter((x) => !x.startsWith('impact: '));
  return parts.map((x) => x.replace(/^\((.*)\)$/, '$1')).join('; ');
}

function diagnosticsSection(ds: readonly Diagnostic[]): string {
  if (ds.length === 0) return '';
  const errors = ds.filter((d) => d.severity === 'error');
  const warnings = ds.filter((d) => d.severity !== 'error');
  const item = (d: Diagnostic) => {
    const where = [d.address, d.range && formatRange(d.range)].filter((x): x is string => !!x).map(codeCell);
    let s = `- **${d.severity === 'error' ? 'Error' : 'Warning'}:** ${escapeText(d.summary)}${where.length ? ` (${where.join(', ')})` : ''}`;
    const lines = d.detail ? d.detail.split('\n').map(escapeText) : [];
    if (d.suggestion) lines.push(`Did you mean ${codeCell(d.suggestion)}?`);
    if (lines.length) s += '\n' + lines.map((l) => (l ? `  ${l}` : '')).join('\n');
    return s;
  };
  const parts: string[] = [];
  if (errors.length) parts.push(`#### Errors\n\n${errors.map(item).join('\n')}`);
  if (warnings.length) parts.push(`#### Warnings\n\n${warnings.map(item).join('\n')}`);
  return parts.join('\n\n');
}

function detailsBlock(summaryHtml: string, lines: readonly DiffLine[]): string {
  return `<details><summary>${summaryHtml}</summary>\n\n${fenced('diff', diffBlockText(lines))}\n\n</details>`;
}

export function renderPlanMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const max = opts.maxLength ?? DEFAULT_MAX;
  const parts: string[] = [];
  let size = 0;
  const add = (s: string) => {
    parts.push(s);
    size += s.length + 2;
  };

  if (opts.title) add(`## ${escapeText(opts.title)}`);
  const changes = visibleChanges(plan);
  const outputLines = outputChangeLines(plan.outputs);
  if (changes.length === 0 && outputLines.length === 0) add('### No changes. Your infrastructure matches the configuration.');
  else if (changes.length === 0) add('### No resource changes. Output values will change.');
  else add(`### ${summaryLine(plan)}`);

  const diags = diagnosticsSection(plan.diagnostics);
  const drifted = driftedChanges(plan);
  // Keep room for the sections after the per-change detail.
  const reserve = diags.length + 200;

  if (changes.length > 0) {
    // Block lines are built only for the changes that fit the comment.
    const blocks = changes.map((c) => ({ c, comments: changeHeadlines(c) }));
    const rows = ['| Action | Resource | Impact | Reason |', '|:---:|---|---|---|'];
    let tableSize = 0;
    let shownRows = 0;
    for (const { c, comments } of blocks) {
      const row = `| ${codeCell(tableSymbol(c))} | ${codeCell(c.address)} | ${c.impact && c.impact !== 'none' ? escapeCell(c.impact) : ''} | ${escapeCell(reasonCell(comments))} |`;
      if (size + tableSize + row.length + reserve > max / 2) break;
      rows.push(row);
      tableSize += row.length + 1;
      shownRows++;
    }
    let table = rows.join('\n');
    if (shownRows < blocks.length) table += `\n\n_…and ${blocks.length - shownRows} more changes; see the full plan in the job log._`;
    add(table);
    if (diags) add(diags);

    let omitted = 0;
    const details: string[] = [];
    for (const { c, comments } of blocks) {
      if (omitted > 0) {
        omitted++;
        continue;
      }
      const summaryHtml = `<code>${escapeHtml(tableSymbol(c))}</code> ${escapeHtml(comments[0])}`;
      const block = detailsBlock(summaryHtml, changeBlockLines(c).lines);
      if (size + block.length + reserve > max) {
        omitted++;
        continue;
      }
      details.push(block);
      size += block.length + 2;
    }
    if (details.length) parts.push(details.join('\n\n'));
    if (omitted) add(`_${omitted} more change${omitted === 1 ? '' : 's'} not shown in detail; see the full plan in the job log._`);
  } else if (diags) add(diags);

  if (outputLines.length > 0) add(`#### Changes to Outputs\n\n${fenced('diff', diffBlockText(outputLines))}`);

  if (drifted.length > 0) {
    const blocks: string[] = [];
    let left = 0;
    for (const c of drifted) {
      const d = driftBlockLines(c)!;
      const block = detailsBlock(escapeHtml(d.comments[0]), d.lines);
      if (left > 0 || size + block.length > max) {
        left++;
        continue;
      }
      blocks.push(block);
      size += block.length + 2;
    }
    let section = `#### Objects changed outside of Poolform\n\n${drifted.length} object${drifted.length === 1 ? '' : 's'} changed outside of Poolform since the last apply; the plan above may undo or respond to these changes.`;
    if (blocks.length) section += '\n\n' + blocks.join('\n\n');
    if (left) section += `\n\n_${left} more not shown._`;
    parts.push(section);
  }
  return parts.join('\n\n') + '\n';
}
