// Canonical formatting of native-syntax files, reproducing `terraform fmt` output.
//
// Hand-written (no npm formatter exists for HCL). It works on the token stream, not the tree,
// so comments, blank lines and heredoc bodies survive untouched: each line's indentation comes
// from bracket nesting, spacing between tokens from a small table of rules, `=` signs of
// consecutive single-line arguments are aligned, and so are trailing comments. Like terraform
// it also unwraps "${expr}" into expr, rewrites legacy variable types ("string" -> string,
// list -> list(any)) and quotes unquoted block labels. Files with syntax errors come back as
// they were, with the errors.

import { Diagnostics } from '../../diagnostics.js';
import type { Body } from './ast.js';
import { parseHCL } from './parser.js';
import { Tok, bracketChange, scan, type TokType } from './scanner.js';

interface FTok {
  type: TokType;
  text: string;
  sp: number; // spaces before
  nl: boolean; // a line comment that carries its line's newline
}

interface Line {
  lead: FTok[];
  assign: FTok[] | null;
  comment: FTok[] | null;
}

export function formatHCL(source: string, filename: string): { output: string; diags: Diagnostics } {
  const diags = new Diagnostics();
  const file = parseHCL(source, filename, diags);
  if (diags.hasErrors) return { output: source, diags };

  const ts = scan(source, filename, new Diagnostics(), { keepComments: true });
  const toks: FTok[] = [];
  const starts: number[] = []; // source offset of each token, to map tree ranges onto tokens
  const ends: number[] = [];
  for (let i = 0; i < ts.n; i++) {
    const type = ts.type[i] as TokType;
    if (type === Tok.EOF) break;
    const text = source.slice(ts.start[i], ts.end[i]);
    if (type === Tok.Newline && toks.length > 0) {
      const prev = toks[toks.length - 1];
      if (prev.type === Tok.Comment && !prev.nl && isLineComment(prev.text)) {
        prev.text += text; // like HCL, a line comment owns the newline that ends it
        prev.nl = true;
        ends[ends.length - 1] = ts.end[i];
        continue;
      }
    }
    toks.push({ type, text, sp: 0, nl: false });
    starts.push(ts.start[i]);
    ends.push(ts.end[i]);
  }

  const edits: Edit[] = [];
  collectEdits(file.body, 'file', toks, starts, ends, edits);
  const edited = applyEdits(toks, edits);

  const lines = splitLines(edited);
  formatIndent(lines);
  formatSpaces(lines);
  formatCells(lines);

  let text = '';
  for (const t of edited) text += (t.sp > 0 ? ' '.repeat(t.sp) : '') + t.text;
  if (!text.endsWith('\n')) text += '\n';
  return { output: text, diags };
}

function isLineComment(text: string): boolean {
  return text.startsWith('#') || text.startsWith('//');
}

// ------------------------------------------------------------------- terraform's rewrites

interface Edit {
  from: number;
  to: number;
  tokens: FTok[];
}

function tok(type: TokType, text: string): FTok {
  return { type, text, sp: 0, nl: false };
}

/** Index of the first token starting at or after `offset` (tokens are in source order). */
function lowerBound(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Which body collectEdits is in: legacy `type` rewrites apply only in top-level variable blocks. */
type Where = 'file' | 'variable' | 'other';

function collectEdits(body: Body, where: Where, toks: FTok[], starts: number[], ends: number[], edits: Edit[]): void {
  for (const a of body.attributes) {
    const from = lowerBound(starts, a.expr.range.start.byte);
    let to = from;
    while (to < toks.length && ends[to] <= a.expr.range.end.byte) to++;
    if (to <= from) continue;
    const orig = toks.slice(from, to);
    const repl = where === 'variable' && a.name === 'type' ? formatTypeExpr(orig) : formatValueExpr(orig);
    if (repl !== orig) edits.push({ from, to, tokens: repl });
  }
  for (const b of body.blocks) {
    for (const r of b.labelRanges) {
      const i = lowerBound(starts, r.start.byte);
      if (i < toks.length && toks[i].type === Tok.Ident)
        edits.push({ from: i, to: i + 1, tokens: [tok(Tok.OQuote, '"'), tok(Tok.QuotedLit, toks[i].text), tok(Tok.CQuote, '"')] });
    }
    collectEdits(b.body, where === 'file' && b.type === 'variable' ? 'variable' : 'other', toks, starts, ends, edits);
  }
}

/** `toks` with each edit's range replaced by its tokens, in one pass (edits never overlap). */
function applyEdits(toks: FTok[], edits: Edit[]): FTok[] {
  if (edits.length === 0) return toks;
  edits.sort((a, b) => a.from - b.from);
  const out: FTok[] = [];
  let k = 0;
  for (const e of edits) {
    while (k < e.from) out.push(toks[k++]);
    for (const t of e.tokens) out.push(t);
    k = e.to;
  }
  while (k < toks.length) out.push(toks[k++]);
  return out;
}

/** "${expr}" as a whole argument value becomes expr (parenthesized if it spans lines). */
function formatValueExpr(tokens: FTok[]): FTok[] {
  const n = tokens.length;
  if (n < 5) return tokens;
  if (
    tokens[0].type !== Tok.OQuote ||
    tokens[1].type !== Tok.TemplateInterp ||
    tokens[n - 2].type !== Tok.TemplateSeqEnd ||
    tokens[n - 1].type !== Tok.CQuote
  )
    return tokens;
  const inside = tokens.slice(2, n - 2);
  let quotes = 0;
  for (const t of inside) {
    if (t.type === Tok.OQuote) quotes++;
    else if (t.type === Tok.CQuote) quotes--;
    else if (quotes > 0) continue;
    else if (t.type === Tok.TemplateInterp || t.type === Tok.TemplateSeqEnd || t.type === Tok.QuotedLit) return tokens;
  }
  let s = 0;
  let e = inside.length;
  while (s < e && inside[s].type === Tok.Newline) s++;
  while (e > s && inside[e - 1].type === Tok.Newline) e--;
  const trimmed = inside.slice(s, e);
  let multiLine = false;
  for (const t of trimmed) if (t.type === Tok.Newline) multiLine = true;
  const parens =
    trimmed.length > 0 && trimmed[0].type === Tok.OParen && trimmed[trimmed.length - 1].type === Tok.CParen;
  if (multiLine && !parens) return [tok(Tok.OParen, '('), ...trimmed, tok(Tok.CParen, ')')];
  return trimmed;
}

/** Variable `type`: bare collection keywords get `(any)`; pre-0.12 quoted types lose quotes. */
function formatTypeExpr(tokens: FTok[]): FTok[] {
  if (tokens.length === 1 && tokens[0].type === Tok.Ident) {
    const kw = tokens[0].text;
    if (kw === 'list' || kw === 'map' || kw === 'set')
      return [tokens[0], tok(Tok.OParen, '('), tok(Tok.Ident, 'any'), tok(Tok.CParen, ')')];
    return tokens;
  }
  if (
    tokens.length === 3 &&
    tokens[0].type === Tok.OQuote &&
    tokens[1].type === Tok.QuotedLit &&
    tokens[2].type === Tok.CQuote
  ) {
    switch (tokens[1].text) {
      case 'string':
        return [tok(Tok.Ident, 'string')];
      case 'list':
      case 'map':
        return [tok(Tok.Ident, tokens[1].text), tok(Tok.OParen, '('), tok(Tok.Ident, 'string'), tok(Tok.CParen, ')')];
      default:
        return tokens;
    }
  }
  return tokens;
}

// ----------------------------------------------------------------------------- layout

function isNewline(t: FTok): boolean {
  return t.type === Tok.Newline || (t.type === Tok.Comment && t.nl);
}

/** Net bracket change over tokens, not looking inside a heredoc. */
function netBrackets(tokens: FTok[], from = 0): number {
  let net = 0;
  for (let i = from; i < tokens.length; i++) {
    net += bracketChange(tokens[i].type);
    if (tokens[i].type === Tok.OHeredoc) break;
  }
  return net;
}

/** Lines of tokens, each split into lead / assignment (`= value`) / trailing comment cells. */
function splitLines(toks: FTok[]): Line[] {
  const lines: Line[] = [];
  let cur: FTok[] = [];
  for (const t of toks) {
    cur.push(t);
    if (isNewline(t)) {
      lines.push({ lead: cur, assign: null, comment: null });
      cur = [];
    }
  }
  lines.push({ lead: cur, assign: null, comment: null });
  for (const line of lines) {
    const lead = line.lead;
    if (lead.length === 0) continue;
    if (lead.length > 1 && lead[lead.length - 1].type === Tok.Comment) {
      line.comment = lead.slice(lead.length - 1);
      line.lead = lead.slice(0, lead.length - 1);
    }
    for (let i = 1; i < line.lead.length; i++) {
      if (line.lead[i].type !== Tok.Equal) continue;
      // Only a value that closes on this line is an alignable assignment.
      if (netBrackets(line.lead, i) === 0) {
        line.assign = line.lead.slice(i);
        line.lead = line.lead.slice(0, i);
      }
      break;
    }
  }
  return lines;
}

/** Two spaces per open bracket carried over from previous lines. */
function formatIndent(lines: Line[]): void {
  const indents: number[] = [];
  for (const line of lines) {
    if (line.lead.length === 0) continue;
    const first = line.lead[0];
    if (first.type === Tok.Newline) {
      first.sp = 0;
      continue;
    }
    let net = netBrackets(line.lead);
    if (line.assign) {
      // netBrackets stops at a heredoc; the lead has none before an `=`.
      net += netBrackets(line.assign);
    }
    if (net > 0) {
      first.sp = 2 * indents.length;
      indents.push(net);
      continue;
    }
    // Closers pop whole indents, or take part of the innermost one.
    let closed = -net;
    while (closed > 0 && indents.length > 0) {
      const top = indents.pop()!;
      if (closed < top) indents.push(top - closed);
      closed -= top;
    }
    first.sp = 2 * indents.length;
  }
}

function formatSpaces(lines: Line[]): void {
  for (const line of lines) {
    spaceCell(line.lead, false);
    if (line.assign) spaceCell(line.assign, true);
  }
}

function spaceCell(cell: FTok[], isAssign: boolean): void {
  for (let i = 0; i < cell.length; i++) {
    if (i === 0 && isAssign) cell[0].sp = 1;
    if (i + 1 >= cell.length) continue;
    const before = i > 0 ? cell[i - 1] : null;
    cell[i + 1].sp = spaceAfter(cell[i], before, cell[i + 1]) ? 1 : 0;
  }
}

function spaceAfter(subject: FTok, before: FTok | null, after: FTok): boolean {
  const s = subject.type;
  const a = after.type;
  if (a === Tok.Newline) return false;
  if (s === Tok.Ident && a === Tok.OParen) return false; // f(x)
  if ((s === Tok.Ident && a === Tok.DoubleColon) || (s === Tok.DoubleColon && a === Tok.Ident)) return false;
  if (s === Tok.Dot || a === Tok.Dot) return false;
  if (a === Tok.Comma || a === Tok.Ellipsis) return false;
  if (s === Tok.Comma) return true;
  if (
    s === Tok.QuotedLit ||
    s === Tok.StringLit ||
    s === Tok.OQuote ||
    s === Tok.OHeredoc ||
    a === Tok.QuotedLit ||
    a === Tok.StringLit ||
    a === Tok.CQuote ||
    a === Tok.CHeredoc
  )
    return false; // inside templates, text is as written
  if (s === Tok.Ident && subject.text === 'in' && before && before.type === Tok.Ident) return true; // [for x in [y] : x]
  if (s === Tok.Bang) return false;
  if (a === Tok.OBrack && (s === Tok.Ident || s === Tok.Number || bracketChange(s) < 0)) return false; // a[0]
  if (s === Tok.Minus) {
    // Negation hugs its operand; subtraction is spaced. Negation is when the minus can't follow
    // the end of an operand.
    if (!before) return false;
    switch (before.type) {
      case Tok.OParen:
      case Tok.OBrace:
      case Tok.OBrack:
      case Tok.Equal:
      case Tok.Colon:
      case Tok.Comma:
      case Tok.Question:
      case Tok.Plus:
      case Tok.Star:
      case Tok.Slash:
      case Tok.Percent:
      case Tok.Minus:
      case Tok.EqualOp:
      case Tok.NotEqual:
      case Tok.GreaterThan:
      case Tok.GreaterThanEq:
      case Tok.LessThan:
      case Tok.LessThanEq:
      case Tok.And:
      case Tok.Or:
      case Tok.Bang:
        return false;
      default:
        return true;
    }
  }
  if (s === Tok.OBrace || a === Tok.CBrace) return !(s === Tok.OBrace && a === Tok.CBrace); // { a = 1 }, {}
  if ((s === Tok.TemplateInterp || s === Tok.TemplateControl) && a === Tok.OBrace) return true;
  if (s === Tok.CBrace && a === Tok.TemplateSeqEnd) return true;
  if (s === Tok.TemplateSeqEnd && (a === Tok.TemplateInterp || a === Tok.TemplateControl)) return false;
  if (bracketChange(s) > 0) return false; // no space after an opener
  if (bracketChange(a) < 0) return false; // nor before a closer
  return true;
}

function columns(cell: FTok[] | null): number {
  if (!cell) return 0;
  let n = 0;
  for (const t of cell) n += t.sp + charCount(t.text);
  return n;
}

function charCount(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--; // low surrogate: half of one character
  }
  return n;
}

/** Aligns `=` across runs of assignment lines, then trailing comments across runs of commented lines. */
function formatCells(lines: Line[]): void {
  alignRuns(lines, (l) => l.assign, (l) => columns(l.lead));
  alignRuns(lines, (l) => l.comment, (l) => columns(l.lead) + columns(l.assign));
}

/**
 * In each run of consecutive lines that have the cell `cellOf` picks, pads the cell's first token
 * so that all of the run's cells start one column after the widest `widthBefore`.
 */
function alignRuns(lines: Line[], cellOf: (l: Line) => FTok[] | null, widthBefore: (l: Line) => number): void {
  let runStart = -1;
  let max = 0;
  for (let i = 0; i <= lines.length; i++) {
    const cell = i < lines.length ? cellOf(lines[i]) : null;
    if (cell) {
      if (runStart < 0) runStart = i;
      max = Math.max(max, widthBefore(lines[i]));
      continue;
    }
    if (runStart < 0) continue;
    for (let j = runStart; j < i; j++) cellOf(lines[j])![0].sp = max - widthBefore(lines[j]) + 1;
    runStart = -1;
    max = 0;
  }
}
