// Diagnostics: every error or warning poolform reports, with the source range it is about.
// Collected, never thrown one at a time, so a run reports all of its errors at once.

export interface Pos {
  line: number; // 1-based
  col: number; // 1-based, in characters (UTF-16 code units)
  byte: number; // 0-based offset into the source string
}

export interface Range {
  file: string;
  start: Pos;
  end: Pos;
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  summary: string; // one line: what is wrong
  detail?: string; // why, and what to do
  range?: Range; // where
  suggestion?: string; // the nearest valid name, rendered as "did you mean `x`?"
  address?: string; // the resource instance it concerns: rendered as "with ADDRESS"; the planner fills `range` from it
}

export class Diagnostics {
  readonly list: Diagnostic[] = [];
  error(summary: string, range?: Range, detail?: string, suggestion?: string): void {
    this.list.push({ severity: 'error', summary, range, detail, suggestion });
  }
  warning(summary: string, range?: Range, detail?: string): void {
    this.list.push({ severity: 'warning', summary, range, detail });
  }
  add(d: Diagnostic | Diagnostic[] | Diagnostics): void {
    if (d instanceof Diagnostics) this.list.push(...d.list);
    else if (Array.isArray(d)) this.list.push(...d);
    else this.list.push(d);
  }
  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }
  get errors(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'error');
  }
}

/** Thrown only at the edges (CLI) to carry a batch of diagnostics out of deep code. */
export class DiagnosticsError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.summary).join('; '));
  }
}

export function rangeFrom(file: string, start: Pos, end: Pos): Range {
  return { file, start, end };
}

export function formatRange(r: Range): string {
  return `${r.file}:${r.start.line}:${r.start.col}`;
}

/** Levenshtein distance, bounded: names further than `max` apart are not suggestions. */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (cur[j] < rowMin) rowMin = cur[j];
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** The candidate nearest to `name`, if it is close enough to be what the user meant. */
export function nearestName(name: string, candidates: Iterable<string>): string | undefined {
  const max = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name.toLowerCase(), c.toLowerCase(), max);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
