// Live progress for apply (and refresh/destroy): what is running, what finished, what failed.
//
// Without a terminal it prints plain lines in Terraform's style, so logs and CI output read the same:
//   poolform_data.a: Creating...
//   poolform_data.a: Still creating... [10s elapsed]
//   poolform_data.a: Creation complete after 12s [id=abc]
// On a terminal it shows one ora spinner summing up the running steps and prints a permanent line
// above it for each finished step. ora is imported lazily so the CLI starts fast when it is not
// needed, and it is handed a view of the stream that never reports 0 columns (ora divides by the
// column count, and 0 would make it loop forever clearing lines).

import { type Palette, palette } from '../render/color.js';

export interface Progress {
  /** A step began; `what` is the verb: "Creating", "Modifying", "Destroying", "Reading". */
  start(id: string, what: string): void;
  /** A step finished after `ms`; `resultId` is shown as `[id=...]`. */
  done(id: string, what: string, ms: number, resultId?: string): void;
  failed(id: string, what: string, err: string): void;
  skipped(id: string, because: string): void;
  log(id: string, msg: string): void;
  /** Re-check the clocks now ("Still creating..." lines, spinner text). A 1 s timer calls it. */
  tick(): void;
  /** Stop timers and the spinner; print `summary` if given. */
  stop(summary?: string): void;
}

export interface ProgressOptions {
  stream: NodeJS.WriteStream | NodeJS.WritableStream;
  color: boolean;
  /** Only errors and the summary. */
  quiet?: boolean;
  /** Spinner heading (default "Applying"). */
  title?: string;
  /** Number of steps expected, for "12/40 done". */
  total?: number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** How often a long step reports that it is still running (default 10 s, as Terraform). */
  stillEveryMs?: number;
}

const NOUNS: Record<string, string> = {
  Creating: 'Creation',
  Modifying: 'Modifications',
  Updating: 'Modifications',
  Destroying: 'Destruction',
  Reading: 'Read',
  Importing: 'Import',
  Refreshing: 'Refresh',
};

/** "Creation complete" for "Creating"; unknown verbs read "<Verb> complete". */
function completeNoun(what: string): string {
  return NOUNS[what] ?? what;
}

/** Whole seconds in Go's duration style, as Terraform prints them: 0s, 59s, 1m0s, 1h2m3s. */
export function formatElapsed(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

interface Running {
  what: string;
  t0: number;
  nextStill: number;
}

type Sink = (line: string) => void;

/** Shared bookkeeping and line texts; the TTY and plain variants differ in where lines go. */
class Tracker {
  readonly running = new Map<string, Running>();
  finished = 0;
  constructor(
    readonly st: Palette,
    readonly now: () => number,
    readonly stillEvery: number,
  ) {}

  begin(id: string, what: string): void {
    const t0 = this.now();
    this.running.set(id, { what, t0, nextStill: t0 + this.stillEvery });
  }
  end(id: string): void {
    if (this.running.delete(id)) this.finished++;
  }
  startLine(id: string, what: string): string {
    return this.st.bold(`${id}: ${what}...`);
  }
  doneLine(id: string, what: string, ms: number, resultId?: string): string {
    const tail = resultId !== undefined && resultId !== '' ? ` [id=${resultId}]` : '';
    return this.st.bold(`${id}: ${completeNoun(what)} complete after ${formatElapsed(ms)}${tail}`);
  }
  failedLine(id: string, what: string, err: string): string {
    return `${this.st.bold(this.st.red('Error:'))} ${what.toLowerCase()} ${id}: ${err}`;
  }
  skippedLine(id: string, because: string): string {
    return `${this.st.bold(id)}: ${this.st.yellow('Skipped')} (${because})`;
  }
  logLine(id: string, msg: string): string {
    return `${this.st.bold(id)}: ${msg}`;
  }
  /** "Still creating..." lines for steps past their next 10 s mark. */
  stillLines(sink: Sink): void {
    const t = this.now();
    for (const [id, r] of this.running) {
      if (t < r.nextStill) continue;
      sink(this.st.bold(`${id}: Still ${r.what.toLowerCase()}... [${formatElapsed(t - r.t0)} elapsed]`));
      while (r.nextStill <= t) r.nextStill += this.stillEvery;
    }
  }
}

function plainProgress(opts: ProgressOptions, tr: Tracker): Progress {
  const sink: Sink = (line) => {
    opts.stream.write(line + '\n');
  };
  const quiet = !!opts.quiet;
  let timer: ReturnType<typeof setInterval> | undefined;
  const p: Progress = {
    start(id, what) {
      tr.begin(id, what);
      if (quiet) return;
      sink(tr.startLine(id, what));
      if (!timer) {
        timer = setInterval(() => p.tick(), 1000);
        timer.unref();
      }
    },
    done(id, what, ms, resultId) {
      tr.end(id);
      if (!quiet) sink(tr.doneLine(id, what, ms, resultId));
    },
    failed(id, what, err) {
      tr.end(id);
      sink(tr.failedLine(id, what, err));
    },
    skipped(id, because) {
      tr.finished++;
      if (!quiet) sink(tr.skippedLine(id, because));
    },
    log(id, msg) {
      if (!quiet) sink(tr.logLine(id, msg));
    },
    tick() {
      if (!quiet) tr.stillLines(sink);
    },
    stop(summary) {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (summary !== undefined) sink(summary);
    },
  };
  return p;
}

type Out = NodeJS.WritableStream & { columns?: number; rows?: number };

/** What ora sees: the real stream, with a sane column count and cursor moves done by escape codes
 *  (so a stream that is a TTY in name only, without cursorTo/clearLine, still works). */
function terminalView(real: Out) {
  const w = (s: string) => real.write(s);
  return {
    isTTY: true as const,
    get columns(): number {
      const c = real.columns;
      return typeof c === 'number' && c > 0 ? c : 80;
    },
    get rows(): number | undefined {
      const r = real.rows;
      return typeof r === 'number' && r > 0 ? r : undefined;
    },
    write(chunk: string | Uint8Array, enc?: unknown, cb?: unknown): boolean {
      return (real.write as (...a: unknown[]) => boolean)(chunk, enc, cb);
    },
    cursorTo(x: number): boolean {
      return w(`\x1b[${x + 1}G`);
    },
    moveCursor(dx: number, dy: number): boolean {
      let s = '';
      if (dx < 0) s += `\x1b[${-dx}D`;
      else if (dx > 0) s += `\x1b[${dx}C`;
      if (dy < 0) s += `\x1b[${-dy}A`;
      else if (dy > 0) s += `\x1b[${dy}B`;
      return s ? w(s) : true;
    },
    clearLine(dir: number): boolean {
      return w(dir < 0 ? '\x1b[1K' : dir > 0 ? '\x1b[0K' : '\x1b[2K');
    },
    once(ev: string, fn: (...a: unknown[]) => void) {
      if (typeof real.once === 'function') real.once(ev, fn);
      return this;
    },
    removeListener(ev: string, fn: (...a: unknown[]) => void) {
      if (typeof real.removeListener === 'function') real.removeListener(ev, fn);
      return this;
    },
  };
}

function truncate(s: string, width: number): string {
  if (width < 4) width = 4;
  return s.length <= width ? s : s.slice(0, width - 1) + '…';
}

async function ttyProgress(opts: ProgressOptions, tr: Tracker): Promise<Progress> {
  const { default: ora } = await import('ora');
  const view = terminalView(opts.stream as Out);
  const spinner = ora({
    stream: view as unknown as NodeJS.WritableStream,
    isEnabled: true,
    discardStdin: false, // leave stdin alone so Ctrl-C reaches the interrupt handler as usual
    color: opts.color ? 'cyan' : false,
  });
  const title = opts.title ?? 'Applying';
  let timer: ReturnType<typeof setInterval> | undefined;

  const text = (): string => {
    const total = opts.total !== undefined ? `${tr.finished}/${opts.total}` : `${tr.finished}`;
    let s = `${title}: ${tr.running.size} running, ${total} done`;
    let oldest: [string, Running] | undefined;
    for (const e of tr.running) if (!oldest || e[1].t0 < oldest[1].t0) oldest = e;
    if (oldest) {
      const [id, r] = oldest;
      s += ` — ${id}: ${r.what.toLowerCase()} (${formatElapsed(tr.now() - r.t0)})`;
    }
    return truncate(s, view.columns - 3); // spinner frame + space, and no wrap
  };
  const refresh = (): void => {
    if (!spinner.isSpinning) return;
    spinner.text = text();
    spinner.render();
  };
  /** A permanent line above the spinner. */
  const persist = (line: string): void => {
    if (spinner.isSpinning) {
      spinner.clear();
      view.write(line + '\n');
      spinner.text = text();
      spinner.render();
    } else {
      view.write(line + '\n');
    }
  };
  const ensureSpinning = (): void => {
    if (spinner.isSpinning) return;
    spinner.start(text());
    if (!timer) {
      timer = setInterval(refresh, 1000);
      timer.unref();
    }
  };

  return {
    start(id, what) {
      tr.begin(id, what);
      ensureSpinning();
      refresh();
    },
    done(id, what, ms, resultId) {
      tr.end(id);
      persist(tr.doneLine(id, what, ms, resultId));
    },
    failed(id, what, err) {
      tr.end(id);
      persist(tr.failedLine(id, what, err));
    },
    skipped(id, because) {
      tr.finished++;
      persist(tr.skippedLine(id, because));
    },
    log(id, msg) {
      persist(tr.logLine(id, msg));
    },
    tick() {
      refresh();
    },
    stop(summary) {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (spinner.isSpinning) spinner.stop();
      if (summary !== undefined) view.write(summary + '\n');
    },
  };
}

export async function createProgress(opts: ProgressOptions): Promise<Progress> {
  const tr = new Tracker(palette(opts.color), opts.now ?? Date.now, opts.stillEveryMs ?? 10_000);
  const isTTY = (opts.stream as { isTTY?: boolean }).isTTY === true;
  if (isTTY && !opts.quiet && process.env.TERM !== 'dumb') return ttyProgress(opts, tr);
  return plainProgress(opts, tr);
}
