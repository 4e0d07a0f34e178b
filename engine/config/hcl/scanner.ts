// HCL native-syntax scanner: source text -> flat token array, every token with exact positions.
//
// Hand-written rather than taken from npm: no JavaScript HCL parser keeps source positions, and
// every poolform diagnostic must point at file:line:col. It walks char codes (no regex per char,
// no string slicing per token) and keeps two small stacks so it can switch between expression
// mode and template mode: quoted strings, heredocs and `${ }` / `%{ }` sequences nest freely.

import type { Diagnostics, Pos } from '../../diagnostics.js';

/** Token kinds. Numbers, not strings, so the parser's comparisons stay cheap. */
export const Tok = {
  EOF: 0,
  Newline: 1,
  Ident: 2,
  Number: 3,
  OQuote: 4, // "
  CQuote: 5, // "
  QuotedLit: 6, // literal text inside a quoted template (escapes still raw)
  StringLit: 7, // literal text inside a heredoc or a bare template
  OHeredoc: 8, // <<EOT or <<-EOT, including the newline that ends the marker line
  CHeredoc: 9, // the closing marker line's indentation and name
  TemplateInterp: 10, // ${ or ${~
  TemplateControl: 11, // %{ or %{~
  TemplateSeqEnd: 12, // } or ~} closing an interpolation or directive
  OBrace: 13,
  CBrace: 14,
  OBrack: 15,
  CBrack: 16,
  OParen: 17,
  CParen: 18,
  Comma: 19,
  Dot: 20,
  Ellipsis: 21,
  Colon: 22,
  DoubleColon: 23,
  Question: 24,
  Equal: 25, // =
  FatArrow: 26,
  EqualOp: 27, // ==
  NotEqual: 28,
  LessThan: 29,
  LessThanEq: 30,
  GreaterThan: 31,
  GreaterThanEq: 32,
  And: 33,
  Or: 34,
  Bang: 35,
  Plus: 36,
  Minus: 37,
  Star: 38,
  Slash: 39,
  Percent: 40,
  Comment: 41,
  Invalid: 42,
} as const;
export type TokType = (typeof Tok)[keyof typeof Tok];

/**
 * How a token changes bracket depth: +1 for an opener (including `${` and `%{`), -1 for a closer.
 * The parser uses it to skip balanced runs while recovering, the formatter to indent.
 */
export function bracketChange(t: TokType): number {
  switch (t) {
    case Tok.OBrace:
    case Tok.OBrack:
    case Tok.OParen:
    case Tok.TemplateInterp:
    case Tok.TemplateControl:
      return 1;
    case Tok.CBrace:
    case Tok.CBrack:
    case Tok.CParen:
    case Tok.TemplateSeqEnd:
      return -1;
    default:
      return 0;
  }
}

/**
 * The token stream, as parallel typed arrays (token i is `type[i]`, `start[i]`..`end[i]`, ...):
 * a 2 MB file has about a million tokens, and one object per token would mostly feed the GC.
 * Offsets are indexes into the scanned string; Pos objects are made only when a node needs one.
 */
export class Tokens {
  n = 0;
  /** A string, heredoc or comment ran to the end of the input (and was reported). */
  unterminated = false;
  type: Uint8Array;
  start: Int32Array; // string index of the first char
  end: Int32Array; // string index after the last char
  sLine: Int32Array;
  sCol: Int32Array;
  eLine: Int32Array;
  eCol: Int32Array;

  constructor(
    cap: number,
    readonly base: number, // byte offset of the scanned string within its file
  ) {
    this.type = new Uint8Array(cap);
    this.start = new Int32Array(cap);
    this.end = new Int32Array(cap);
    this.sLine = new Int32Array(cap);
    this.sCol = new Int32Array(cap);
    this.eLine = new Int32Array(cap);
    this.eCol = new Int32Array(cap);
  }

  push(type: TokType, start: number, sLine: number, sCol: number, end: number, eLine: number, eCol: number): void {
    if (this.n === this.type.length) this.grow();
    const i = this.n++;
    this.type[i] = type;
    this.start[i] = start;
    this.end[i] = end;
    this.sLine[i] = sLine;
    this.sCol[i] = sCol;
    this.eLine[i] = eLine;
    this.eCol[i] = eCol;
  }

  private grow(): void {
    const cap = this.type.length * 2 + 16;
    const g = <A extends Uint8Array | Int32Array>(a: A, make: (n: number) => A): A => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.type = g(this.type, (k) => new Uint8Array(k));
    this.start = g(this.start, (k) => new Int32Array(k));
    this.end = g(this.end, (k) => new Int32Array(k));
    this.sLine = g(this.sLine, (k) => new Int32Array(k));
    this.sCol = g(this.sCol, (k) => new Int32Array(k));
    this.eLine = g(this.eLine, (k) => new Int32Array(k));
    this.eCol = g(this.eCol, (k) => new Int32Array(k));
  }

  startPos(i: number): Pos {
    return { line: this.sLine[i], col: this.sCol[i], byte: this.base + this.start[i] };
  }

  endPos(i: number): Pos {
    return { line: this.eLine[i], col: this.eCol[i], byte: this.base + this.end[i] };
  }
}

export interface ScanOptions {
  /** Keep comment tokens in the stream (the formatter needs them; the parser does not). */
  keepComments?: boolean;
  /** Position of the first character, when the text is a fragment of a larger file. */
  start?: Pos;
  /** 'template': the whole input is template text with no closing quote (templatefile, JSON strings). */
  mode?: 'config' | 'template';
}

const enum C {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Bang = 33,
  Quote = 34,
  Hash = 35,
  Dollar = 36,
  Percent = 37,
  Amp = 38,
  Apos = 39,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D9 = 57,
  Colon = 58,
  Semi = 59,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  Question = 63,
  UA = 65,
  UE = 69,
  UZ = 90,
  LBrack = 91,
  Backslash = 92,
  RBrack = 93,
  Underscore = 95,
  LA = 97,
  LE = 101,
  LZ = 122,
  LBrace = 123,
  Pipe = 124,
  RBrace = 125,
  Tilde = 126,
  BOM = 0xfeff,
}

// Template contexts on the template stack.
const TQuote = 0;
const THeredoc = 1;
const TBare = 2;

interface TemplateCtx {
  kind: number;
  delim: string; // heredoc closing marker
  openTok: number; // the opening quote/heredoc token, for "unterminated" errors (-1 for TBare)
}

// Entries on the brace stack: a plain `{`, or the opening of a template sequence (`${`/`%{`).
const BracePlain = 0;
const BraceSeq = 1;

// Sticky (`y`): tested at a given index of the source, so no one-character string is made.
const idStartRe = /[\p{L}\p{Nl}]/uy;
const idContinueRe = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]/uy;

export function isIdentStart(c: number): boolean {
  return (c >= C.LA && c <= C.LZ) || (c >= C.UA && c <= C.UZ) || c === C.Underscore;
}
export function isIdentContinue(c: number): boolean {
  return isIdentStart(c) || (c >= C.D0 && c <= C.D9) || c === C.Minus;
}

/** Is `s` one HCL identifier (what the scanner reads as a name)? For labels, keys and generated names. */
export function isIdentifier(s: string): boolean {
  if (s === '') return false;
  for (let p = 0; p < s.length; ) {
    const c = s.charCodeAt(p);
    if (c < 128) {
      if (!(p === 0 ? isIdentStart(c) : isIdentContinue(c))) return false;
    } else {
      const re = p === 0 ? idStartRe : idContinueRe;
      re.lastIndex = p;
      if (!re.test(s)) return false;
    }
    p += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return true;
}

/** Scans `src` into tokens; the last token is always EOF. Lexical errors go to `diags`. */
export function scan(src: string, filename: string, diags: Diagnostics, opts: ScanOptions = {}): Tokens {
  return new Scanner(src, filename, diags, opts).run();
}

class Scanner {
  private pos = 0;
  private line: number;
  private lineStart: number; // index of the current line's first char (may be negative for fragments)
  private readonly base: number; // byte offset of src[0] in the whole file
  private readonly toks: Tokens;
  private readonly braces: number[] = [];
  private readonly templates: TemplateCtx[] = [];
  private inTemplate = false;
  private readonly keepComments: boolean;
  private readonly n: number;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly diags: Diagnostics,
    private readonly opts: ScanOptions,
  ) {
    this.n = src.length;
    const start = opts.start;
    this.line = start ? start.line : 1;
    this.lineStart = start ? -(start.col - 1) : 0;
    this.base = start ? start.byte : 0;
    this.keepComments = !!opts.keepComments;
    // Configurations run at 0.2-0.38 tokens per char: a third is enough for most without growing.
    this.toks = new Tokens(((src.length / 3) | 0) + 16, this.base);
  }

  private here(): Pos {
    return { line: this.line, col: this.pos - this.lineStart + 1, byte: this.base + this.pos };
  }

  // Start of the token being scanned, kept as numbers so scanning allocates nothing per token.
  private mIdx = 0;
  private mLine = 0;
  private mCol = 0;

  private mark(): void {
    this.mIdx = this.pos;
    this.mLine = this.line;
    this.mCol = this.pos - this.lineStart + 1;
  }

  private markPos(): Pos {
    return { line: this.mLine, col: this.mCol, byte: this.base + this.mIdx };
  }

  /** Emits a token from the mark to the current position. */
  private emit(type: TokType): void {
    this.toks.push(type, this.mIdx, this.mLine, this.mCol, this.pos, this.line, this.pos - this.lineStart + 1);
  }

  private error(summary: string, start: Pos, end: Pos, detail?: string): void {
    this.diags.error(summary, { file: this.file, start, end }, detail);
  }

  run(): Tokens {
    const src = this.src;
    if (this.n > 0 && src.charCodeAt(0) === C.BOM) {
      this.pos = 1;
      this.lineStart = this.opts.start ? this.lineStart : 1;
    }
    if (this.opts.mode === 'template') {
      this.templates.push({ kind: TBare, delim: '', openTok: -1 });
      this.inTemplate = true;
    }
    for (;;) {
      if (this.inTemplate) {
        this.scanTemplate();
        continue;
      }
      if (!this.scanNormal()) break;
    }
    this.mark();
    this.emit(Tok.EOF);
    return this.toks;
  }

  /** One token in expression/structure mode. Returns false at end of input. */
  private scanNormal(): boolean {
    const src = this.src;
    const n = this.n;
    let c = 0;
    // Whitespace (a lone CR counts as whitespace; CRLF is a newline).
    while (this.pos < n) {
      c = src.charCodeAt(this.pos);
      if (c === C.Space || c === C.Tab) this.pos++;
      else if (c === C.CR && src.charCodeAt(this.pos + 1) !== C.LF) this.pos++;
      else break;
    }
    if (this.pos >= n) return false;
    this.mark();
    c = src.charCodeAt(this.pos);
    const next = this.pos + 1 < n ? src.charCodeAt(this.pos + 1) : 0;
    switch (c) {
      case C.CR: // CRLF
      case C.LF: {
        this.pos += c === C.CR ? 2 : 1;
        this.emit(Tok.Newline);
        this.line++;
        this.lineStart = this.pos;
        return true;
      }
      case C.Hash:
        this.lineComment();
        return true;
      case C.Slash:
        if (next === C.Slash) this.lineComment();
        else if (next === C.Star) this.blockComment();
        else this.single(Tok.Slash);
        return true;
      case C.Quote:
        this.pos++;
        this.emit(Tok.OQuote);
        this.templates.push({ kind: TQuote, delim: '', openTok: this.toks.n - 1 });
        this.inTemplate = true;
        return true;
      case C.LBrace:
        this.braces.push(BracePlain);
        this.single(Tok.OBrace);
        return true;
      case C.RBrace:
        if (this.braces.length > 0 && this.braces.pop() === BraceSeq) {
          this.single(Tok.TemplateSeqEnd);
          this.inTemplate = this.templates.length > 0;
        } else this.single(Tok.CBrace);
        return true;
      case C.Tilde:
        if (next === C.RBrace && this.braces.length > 0 && this.braces[this.braces.length - 1] === BraceSeq) {
          this.braces.pop();
          this.pos += 2;
          this.emit(Tok.TemplateSeqEnd);
          this.inTemplate = this.templates.length > 0;
          return true;
        }
        break;
      case C.LBrack:
        this.single(Tok.OBrack);
        return true;
      case C.RBrack:
        this.single(Tok.CBrack);
        return true;
      case C.LParen:
        this.single(Tok.OParen);
        return true;
      case C.RParen:
        this.single(Tok.CParen);
        return true;
      case C.Comma:
        this.single(Tok.Comma);
        return true;
      case C.Question:
        this.single(Tok.Question);
        return true;
      case C.Plus:
        this.single(Tok.Plus);
        return true;
      case C.Minus:
        this.single(Tok.Minus);
        return true;
      case C.Star:
        this.single(Tok.Star);
        return true;
      case C.Percent:
        this.single(Tok.Percent);
        return true;
      case C.Dot:
        if (next === C.Dot && src.charCodeAt(this.pos + 2) === C.Dot) {
          this.pos += 3;
          this.emit(Tok.Ellipsis);
        } else this.single(Tok.Dot);
        return true;
      case C.Colon:
        if (next === C.Colon) this.double(Tok.DoubleColon);
        else this.single(Tok.Colon);
        return true;
      case C.Eq:
        if (next === C.Eq) this.double(Tok.EqualOp);
        else if (next === C.Gt) this.double(Tok.FatArrow);
        else this.single(Tok.Equal);
        return true;
      case C.Bang:
        if (next === C.Eq) this.double(Tok.NotEqual);
        else this.single(Tok.Bang);
        return true;
      case C.Lt:
        if (next === C.Eq) this.double(Tok.LessThanEq);
        else if (next === C.Lt && this.heredocStart()) return true;
        else this.single(Tok.LessThan);
        return true;
      case C.Gt:
        if (next === C.Eq) this.double(Tok.GreaterThanEq);
        else this.single(Tok.GreaterThan);
        return true;
      case C.Amp:
        if (next === C.Amp) {
          this.double(Tok.And);
          return true;
        }
        this.invalid('Bitwise operators are not supported. To combine conditions, use `&&`.');
        return true;
      case C.Pipe:
        if (next === C.Pipe) {
          this.double(Tok.Or);
          return true;
        }
        this.invalid('Bitwise operators are not supported. To combine conditions, use `||`.');
        return true;
      case C.Apos:
        this.invalid('Single quotes are not valid. Use double quotes (") to enclose strings.');
        return true;
      case C.Semi:
        this.invalid(
          'The ";" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values.',
        );
        return true;
      default:
        break;
    }
    if (c >= C.D0 && c <= C.D9) {
      this.number();
      return true;
    }
    if (isIdentStart(c) || (c >= 128 && this.uniIdent(this.pos, true))) {
      this.ident();
      return true;
    }
    this.invalid('This character is not used within the language.');
    return true;
  }

  private single(type: TokType): void {
    this.pos++;
    this.emit(type);
  }

  private double(type: TokType): void {
    this.pos += 2;
    this.emit(type);
  }

  private invalid(detail: string): void {
    const start = this.markPos();
    const cp = this.src.codePointAt(this.pos) ?? 0;
    this.pos += cp > 0xffff ? 2 : 1;
    const end = this.here();
    if (this.keepComments) this.emit(Tok.Invalid);
    this.error('Invalid character', start, end, detail);
  }

  /** Is the (non-ASCII) code point at `p` a letter that may start/continue an identifier? */
  private uniIdent(p: number, startChar: boolean): boolean {
    const re = startChar ? idStartRe : idContinueRe;
    re.lastIndex = p;
    return re.test(this.src);
  }

  private ident(): void {
    const src = this.src;
    const n = this.n;
    let p = this.pos;
    const first = src.codePointAt(p) ?? 0;
    p += first > 0xffff ? 2 : 1;
    while (p < n) {
      const c = src.charCodeAt(p);
      if (isIdentContinue(c)) p++;
      else if (c >= 128 && this.uniIdent(p, false)) p += (src.codePointAt(p) ?? 0) > 0xffff ? 2 : 1;
      else break;
    }
    this.pos = p;
    this.emit(Tok.Ident);
  }

  private number(): void {
    const src = this.src;
    let p = this.pos;
    while (isDigit(src.charCodeAt(p))) p++;
    if (src.charCodeAt(p) === C.Dot && isDigit(src.charCodeAt(p + 1))) {
      p += 2;
      while (isDigit(src.charCodeAt(p))) p++;
    }
    const e = src.charCodeAt(p);
    if (e === C.LE || e === C.UE) {
      let q = p + 1;
      const s = src.charCodeAt(q);
      if (s === C.Plus || s === C.Minus) q++;
      if (isDigit(src.charCodeAt(q))) {
        p = q;
        while (isDigit(src.charCodeAt(p))) p++;
      }
    }
    this.pos = p;
    this.emit(Tok.Number);
  }

  private lineComment(): void {
    const src = this.src;
    let p = this.pos;
    while (p < this.n && src.charCodeAt(p) !== C.LF) p++;
    if (p > this.pos && src.charCodeAt(p - 1) === C.CR) p--;
    this.pos = p;
    if (this.keepComments) this.emit(Tok.Comment);
  }

  private blockComment(): void {
    const src = this.src;
    const start = this.markPos();
    let p = this.pos + 2;
    for (;;) {
      if (p >= this.n) {
        this.pos = p;
        this.toks.unterminated = true;
        this.error(
          'Unterminated comment',
          start,
          { line: start.line, col: start.col + 2, byte: start.byte + 2 },
          'There is no closing "*/" for this multi-line comment.',
        );
        break;
      }
      const c = src.charCodeAt(p);
      if (c === C.Star && src.charCodeAt(p + 1) === C.Slash) {
        this.pos = p + 2;
        break;
      }
      p++;
      if (c === C.LF) {
        this.line++;
        this.lineStart = p;
      }
    }
    if (this.keepComments) this.emit(Tok.Comment);
  }

  /** `<<EOT` / `<<-EOT` followed by a newline opens a heredoc; anything else is two `<`. */
  private heredocStart(): boolean {
    const src = this.src;
    let p = this.pos + 2;
    if (src.charCodeAt(p) === C.Minus) p++;
    const nameStart = p;
    if (!isIdentStart(src.charCodeAt(p))) return false;
    while (p < this.n && isIdentContinue(src.charCodeAt(p))) p++;
    const nameEnd = p;
    if (src.charCodeAt(p) === C.CR) p++;
    if (src.charCodeAt(p) !== C.LF) return false;
    this.pos = p + 1;
    this.emit(Tok.OHeredoc);
    this.line++;
    this.lineStart = this.pos;
    this.templates.push({ kind: THeredoc, delim: src.slice(nameStart, nameEnd), openTok: this.toks.n - 1 });
    this.inTemplate = true;
    return true;
  }

  /** Length of the heredoc closing line at `p` (indentation + marker), or -1 if it isn't one. */
  private heredocCloser(p: number, delim: string): number {
    const src = this.src;
    const begin = p;
    while (src.charCodeAt(p) === C.Space || src.charCodeAt(p) === C.Tab) p++;
    if (!src.startsWith(delim, p)) return -1;
    p += delim.length;
    const c = src.charCodeAt(p);
    if (p < this.n && c !== C.LF && !(c === C.CR && src.charCodeAt(p + 1) === C.LF)) return -1;
    return p - begin;
  }

  /** Emits the literal text from the mark up to `p`, if there is any. */
  private flushLit(p: number, litType: TokType): void {
    if (p > this.pos) {
      this.pos = p;
      this.emit(litType);
    }
  }

  /** Scans literal template text up to the next sequence opener or the end of the template. */
  private scanTemplate(): void {
    const src = this.src;
    const n = this.n;
    const ctx = this.templates[this.templates.length - 1];
    const litType = ctx.kind === TQuote ? Tok.QuotedLit : Tok.StringLit;
    this.mark();
    let p = this.pos;
    if (ctx.kind === THeredoc && p === this.lineStart) {
      const len = this.heredocCloser(p, ctx.delim);
      if (len >= 0) {
        this.pos = p + len;
        this.emit(Tok.CHeredoc);
        this.endTemplate();
        return;
      }
    }
    for (;;) {
      if (p >= n) {
        this.flushLit(p, litType);
        if (ctx.kind !== TBare) {
          this.mark();
          this.toks.unterminated = true;
          const open = this.toks.startPos(ctx.openTok);
          this.error(
            'Unterminated template string',
            open,
            { line: open.line, col: open.col + 1, byte: open.byte + 1 },
            ctx.kind === TQuote
              ? 'No closing quote was found for the string.'
              : `No closing marker "${ctx.delim}" was found for this heredoc.`,
          );
          this.emit(ctx.kind === TQuote ? Tok.CQuote : Tok.CHeredoc);
        }
        this.endTemplate();
        return;
      }
      const c = src.charCodeAt(p);
      if (ctx.kind === TQuote) {
        if (c === C.Quote) {
          this.flushLit(p, litType);
          this.mark();
          this.pos++;
          this.emit(Tok.CQuote);
          this.endTemplate();
          return;
        }
        if (c === C.Backslash) {
          const d = src.charCodeAt(p + 1);
          p += d === C.LF || d === C.CR || p + 1 >= n ? 1 : 2;
          continue;
        }
        if (c === C.LF || (c === C.CR && src.charCodeAt(p + 1) === C.LF)) {
          this.flushLit(p, litType);
          this.mark();
          this.error(
            'Invalid multi-line string',
            this.toks.startPos(ctx.openTok),
            this.markPos(),
            'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the "heredoc" multi-line template syntax.',
          );
          this.emit(Tok.CQuote);
          this.endTemplate();
          this.unwindQuotedInterps();
          return;
        }
      }
      if ((c === C.Dollar || c === C.Percent) && p + 1 < n) {
        const d = src.charCodeAt(p + 1);
        if (d === c && src.charCodeAt(p + 2) === C.LBrace) {
          p += 3; // $${ and %%{ are literal
          continue;
        }
        if (d === C.LBrace) {
          this.flushLit(p, litType);
          this.mark();
          this.pos += src.charCodeAt(this.pos + 2) === C.Tilde ? 3 : 2;
          this.emit(c === C.Dollar ? Tok.TemplateInterp : Tok.TemplateControl);
          this.braces.push(BraceSeq);
          this.inTemplate = false;
          return;
        }
      }
      p++;
      if (c === C.LF) {
        this.line++;
        this.lineStart = p;
        if (ctx.kind === THeredoc) {
          const len = this.heredocCloser(p, ctx.delim);
          if (len >= 0) {
            this.flushLit(p, litType);
            this.mark();
            this.pos = p + len;
            this.emit(Tok.CHeredoc);
            this.endTemplate();
            return;
          }
        }
      }
    }
  }

  /**
   * After a quoted string ran into a newline, any `${` of an enclosing quoted string that is still
   * open was almost certainly meant to close on this line too: close them with zero-width tokens
   * so that the parser's view stays balanced and the following lines parse normally.
   */
  private unwindQuotedInterps(): void {
    const braces = this.braces;
    const templates = this.templates;
    while (
      braces.length > 0 &&
      braces[braces.length - 1] === BraceSeq &&
      templates.length > 0 &&
      templates[templates.length - 1].kind === TQuote
    ) {
      braces.pop();
      this.emit(Tok.TemplateSeqEnd); // zero-width: the mark is still at the newline
      this.emit(Tok.CQuote);
      templates.pop();
    }
    this.inTemplate = false;
  }

  private endTemplate(): void {
    this.templates.pop();
    this.inTemplate = false;
  }
}

function isDigit(c: number): boolean {
  return c >= C.D0 && c <= C.D9;
}
