// HCL native-syntax parser: tokens from scanner.ts -> the syntax tree in ast.ts, with precise
// ranges on every node, and diagnostics (never exceptions) for bad input.
//
// Hand-written rather than taken from npm: no JavaScript HCL parser keeps source positions, and
// every poolform diagnostic must point at file:line:col. Recursive descent for structure,
// precedence climbing for operators, loops for traversal chains (so long `a.b.c[0]...` chains and
// `x + y + z + ...` don't recurse). After an error it skips to the end of the line (or to the
// matching bracket) and goes on, so one run reports several independent errors.

import { Diagnostics, type Pos, type Range } from '../../diagnostics.js';
import type {
  Attribute,
  BinaryOp,
  Block,
  Body,
  Expr,
  File,
  ForExpr,
  FunctionCallExpr,
  ObjectExpr,
  ObjectItem,
  TemplateExpr,
  TemplatePart,
  TupleExpr,
} from './ast.js';
import { Tok, bracketChange, scan, type Tokens, type TokType } from './scanner.js';

/** Parses a whole native-syntax file (`.hcl`, `.tf`-style). */
export function parseHCL(source: string, filename: string, diags: Diagnostics): File {
  const local = new Diagnostics();
  const toks = scan(source, filename, local);
  const p = new Parser(source, filename, local, toks);
  const body = p.parseFile();
  addSorted(diags, local);
  return { filename, source, body };
}

/** Scanner and parser errors interleave by position, so report them in source order. */
function addSorted(into: Diagnostics, local: Diagnostics): void {
  if (local.list.length === 0) return;
  const list = local.list.slice();
  list.sort((a, b) => (a.range?.start.byte ?? 0) - (b.range?.start.byte ?? 0));
  into.add(list);
}

/**
 * Parses one expression (a `-var` value, a JSON-syntax string holding an expression, a console
 * line). Newlines are insignificant; anything after the expression is an error.
 */
export function parseExpression(source: string, filename: string, diags: Diagnostics, start?: Pos): Expr {
  const local = new Diagnostics();
  const toks = scan(source, filename, local, { start });
  const p = new Parser(source, filename, local, toks);
  const e = p.parseStandaloneExpression();
  addSorted(diags, local);
  return e;
}

/**
 * Parses bare template text (no surrounding quotes, no backslash escapes): the contents of a
 * templatefile() file or of a JSON-syntax string. `$${` and `%%{` are still escapes.
 */
export function parseTemplate(source: string, filename: string, diags: Diagnostics, start?: Pos): TemplateExpr {
  const local = new Diagnostics();
  const toks = scan(source, filename, local, { start, mode: 'template' });
  const p = new Parser(source, filename, local, toks);
  const t = p.parseBareTemplate(start ?? { line: 1, col: 1, byte: 0 });
  addSorted(diags, local);
  return t;
}

// Binary operator precedence, by token type (0 = not a binary operator).
const PREC: number[] = [];
const OPS: BinaryOp[] = [];
function defOp(t: TokType, level: number, op: BinaryOp): void {
  PREC[t] = level;
  OPS[t] = op;
}
defOp(Tok.Or, 1, '||');
defOp(Tok.And, 2, '&&');
defOp(Tok.EqualOp, 3, '==');
defOp(Tok.NotEqual, 3, '!=');
defOp(Tok.LessThan, 4, '<');
defOp(Tok.LessThanEq, 4, '<=');
defOp(Tok.GreaterThan, 4, '>');
defOp(Tok.GreaterThanEq, 4, '>=');
defOp(Tok.Plus, 5, '+');
defOp(Tok.Minus, 5, '-');
defOp(Tok.Star, 6, '*');
defOp(Tok.Slash, 6, '/');
defOp(Tok.Percent, 6, '%');

// Flat template items, before strip markers, heredoc flushing and nesting are applied.
const F_TEXT = 0;
const F_INTERP = 1;
const F_IF = 2;
const F_ELSE = 3;
const F_ENDIF = 4;
const F_FOR = 5;
const F_ENDFOR = 6;
const F_BAD = 7; // an unparseable directive; skipped when nesting
/** The items that end an if/for body. */
const CLOSERS = (1 << F_ELSE) | (1 << F_ENDIF) | (1 << F_ENDFOR);

interface FlatItem {
  k: number;
  range: Range;
  value?: string; // text
  expr?: Expr; // interp / if condition / for collection
  keyVar?: string;
  valVar?: string;
  sl: boolean; // strip whitespace to the left (`${~`)
  sr: boolean; // strip whitespace to the right (`~}`)
}

const MAX_DEPTH = 1000;

const DIRECTIVE_NAMES = ['', '', 'if', 'else', 'endif', 'for', 'endfor', '?'];

class Parser {
  private i = 0;
  private ignoreNL = false;
  private readonly nlStack: boolean[] = [false];
  /** Errors this parser reported: lets callers tell whether a sub-parse failed. */
  private nerr = 0;
  /** How many block bodies enclose the current position (a stray `}` at top level is skipped). */
  private blockDepth = 0;
  private depth = 0;
  private abandoned = false;
  /** Set by exprList: whether the list's last item was followed by `...`. */
  private listExpanded = false;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly diags: Diagnostics,
    private readonly ts: Tokens,
  ) {}

  // ------------------------------------------------------------------------------ helpers

  private ty(i: number): TokType {
    return this.ts.type[i] as TokType;
  }

  // Small direct-mapped cache of Pos objects by token edge, so that nodes sharing a token edge
  // (a name and the attribute it starts) share one Pos instead of each allocating their own.
  private readonly pcKey = new Int32Array(256).fill(-1);
  private readonly pcPos: Pos[] = new Array<Pos>(256);

  /** Pos of token edge `k`: token `k >> 1`, its start (low bit 0) or its end (low bit 1). */
  private edge(k: number): Pos {
    const slot = k & 255;
    if (this.pcKey[slot] === k) return this.pcPos[slot];
    const p = k & 1 ? this.ts.endPos(k >> 1) : this.ts.startPos(k >> 1);
    this.pcKey[slot] = k;
    this.pcPos[slot] = p;
    return p;
  }

  private sp(i: number): Pos {
    return this.edge(i << 1);
  }

  private ep(i: number): Pos {
    return this.edge((i << 1) | 1);
  }

  private text(i: number): string {
    return this.src.slice(this.ts.start[i], this.ts.end[i]);
  }

  private r(start: Pos, end: Pos): Range {
    return { file: this.file, start, end };
  }

  private err(summary: string, start: Pos, end: Pos, detail?: string): void {
    this.nerr++;
    if (this.abandoned) return; // the cause was reported; what follows is noise
    this.diags.error(summary, { file: this.file, start, end }, detail);
  }

  /**
   * Guards recursion: absurdly deep nesting (thousands of brackets or blocks) would overflow the
   * stack, so past MAX_DEPTH the rest of the input is skipped with one error.
   */
  private enter(t: number): boolean {
    if (++this.depth <= MAX_DEPTH) return true;
    if (!this.abandoned) {
      this.err('Nesting too deep', this.sp(t), this.ep(t), `Expressions and blocks may be nested at most ${MAX_DEPTH} levels deep.`);
      this.abandoned = true;
    }
    this.i = this.ts.n - 1; // EOF
    return false;
  }

  private pushNL(ignore: boolean): void {
    this.nlStack.push(ignore);
    this.ignoreNL = ignore;
  }

  private popNL(): void {
    this.nlStack.pop();
    this.ignoreNL = this.nlStack[this.nlStack.length - 1];
  }

  /** Index of the next token (skipping newlines where they are insignificant). */
  private peek(): number {
    const type = this.ts.type;
    let i = this.i;
    if (this.ignoreNL) while (type[i] === Tok.Newline) i++;
    return i;
  }

  /** The k-th token after the next one (k=0 is peek()). */
  private peekN(k: number): number {
    const type = this.ts.type;
    let i = this.i;
    for (let n = 0; ; n++) {
      if (this.ignoreNL) while (type[i] === Tok.Newline) i++;
      if (n === k || type[i] === Tok.EOF) return i;
      i++;
    }
  }

  private next(): number {
    const type = this.ts.type;
    if (this.ignoreNL) while (type[this.i] === Tok.Newline) this.i++;
    const t = this.i;
    if (type[t] !== Tok.EOF) this.i++;
    return t;
  }

  private isKeyword(t: number, kw: string): boolean {
    const ts = this.ts;
    return ts.type[t] === Tok.Ident && ts.end[t] - ts.start[t] === kw.length && this.src.startsWith(kw, ts.start[t]);
  }

  /** Placeholder for an expression that could not be parsed. */
  private bad(at: number): Expr {
    return { kind: 'Literal', value: null, range: this.r(this.sp(at), this.sp(at)) };
  }

  private expressionStartError(t: number): void {
    if (this.ty(t) === Tok.EOF)
      this.err('Missing expression', this.sp(t), this.ep(t), 'Expected the start of an expression, but found the end of the file.');
    else
      this.err(
        'Invalid expression',
        this.sp(t),
        this.ep(t),
        'Expected the start of an expression, but found an invalid expression token.',
      );
  }

  /**
   * Skips tokens up to and including the end of the current line (newline at bracket depth 0).
   * Stops before a `}` that would close the enclosing block.
   */
  private recoverLine(): void {
    let depth = 0;
    for (;;) {
      const t = this.i;
      if (this.ty(t) === Tok.EOF) return;
      if (this.ty(t) === Tok.Newline && depth === 0) {
        this.i++;
        return;
      }
      const d = bracketChange(this.ty(t));
      if (d < 0 && depth === 0 && this.ty(t) === Tok.CBrace && this.blockDepth > 0) return;
      depth = Math.max(0, depth + d);
      this.i++;
    }
  }

  /**
   * Skips balanced tokens until `close` at depth 0, which is consumed and its index returned.
   * Gives up (returns -1) at EOF, or before a `}` at depth 0 when looking for something else.
   */
  private skipTo(close: TokType): number {
    let depth = 0;
    for (;;) {
      const t = this.i;
      if (this.ty(t) === Tok.EOF) return -1;
      if (depth === 0 && this.ty(t) === close) {
        this.i++;
        return t;
      }
      const d = bracketChange(this.ty(t));
      if (d < 0 && depth === 0) {
        if (this.ty(t) === Tok.CBrace || close === Tok.TemplateSeqEnd) return -1;
        this.i++;
        continue;
      }
      depth += d;
      this.i++;
    }
  }

  // ---------------------------------------------------------------------------- structure

  parseFile(): Body {
    const { attributes, blocks } = this.parseBodyItems(-1);
    const eof = this.ts.n - 1;
    return { kind: 'Body', attributes, blocks, range: this.r({ line: 1, col: 1, byte: 0 }, this.ep(eof)) };
  }

  /** Attributes and blocks up to EOF (top level) or to the `}` closing `open` (not consumed). */
  private parseBodyItems(open: number): { attributes: Attribute[]; blocks: Block[] } {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    for (;;) {
      const t = this.i;
      switch (this.ty(t)) {
        case Tok.Newline:
          this.i++;
          continue;
        case Tok.EOF:
          // A string or comment that ran to the end already explains the missing brace.
          if (open >= 0 && !this.ts.unterminated)
            this.err(
              'Unclosed configuration block',
              this.sp(open),
              this.ep(open),
              'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
            );
          return { attributes, blocks };
        case Tok.CBrace:
          if (open >= 0) return { attributes, blocks };
          this.err(
            'Argument or block definition required',
            this.sp(t),
            this.ep(t),
            'An argument or block definition is required here; this closing brace has no matching opening brace.',
          );
          this.i++;
          continue;
        case Tok.Ident: {
          const nt = this.ty(this.i + 1);
          if (nt === Tok.Equal) {
            const before = this.nerr;
            const attr = this.parseAttribute();
            attributes.push(attr);
            const end = this.i;
            if (this.ty(end) === Tok.Newline) this.i++;
            else if (this.ty(end) !== Tok.EOF) {
              if (this.nerr === before)
                this.err(
                  'Missing newline after argument',
                  this.sp(end),
                  this.ep(end),
                  'An argument definition must end with a newline.',
                );
              this.recoverLine();
            }
            continue;
          }
          if (nt === Tok.Ident || nt === Tok.OQuote || nt === Tok.OBrace) {
            const b = this.parseBlock();
            if (b) blocks.push(b);
            continue;
          }
          const n = this.i + 1;
          if (nt === Tok.Newline || nt === Tok.EOF)
            this.err(
              'Argument or block definition required',
              this.sp(t),
              this.ep(t),
              'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
            );
          else
            this.err(
              'Invalid block definition',
              this.sp(n),
              this.ep(n),
              'Either a quoted string block label or an opening brace ("{") is expected here.',
            );
          this.recoverLine();
          continue;
        }
        default:
          this.err(
            'Argument or block definition required',
            this.sp(t),
            this.ep(t),
            'An argument or block definition is required here.',
          );
          this.recoverLine();
          continue;
      }
    }
  }

  private parseAttribute(): Attribute {
    const nameTok = this.i++;
    this.i++; // =
    this.pushNL(false);
    const expr = this.parseExpr();
    this.popNL();
    return {
      kind: 'Attribute',
      name: this.text(nameTok),
      nameRange: this.r(this.sp(nameTok), this.ep(nameTok)),
      expr,
      range: this.r(this.sp(nameTok), expr.range.end),
    };
  }

  private parseBlock(): Block | null {
    if (!this.enter(this.i)) {
      this.depth--;
      return null;
    }
    const b = this.parseBlockInner();
    this.depth--;
    return b;
  }

  private parseBlockInner(): Block | null {
    const typeTok = this.i++;
    const labels: string[] = [];
    const labelRanges: Range[] = [];
    for (;;) {
      const t = this.i;
      if (this.ty(t) === Tok.Ident) {
        labels.push(this.text(t));
        labelRanges.push(this.r(this.sp(t), this.ep(t)));
        this.i++;
      } else if (this.ty(t) === Tok.OQuote) {
        const plain = this.plainQuoted(t);
        if (plain !== null) {
          // Plain quoted label: no template machinery needed.
          labels.push(plain);
          labelRanges.push(this.r(this.sp(t), this.ep(t + 2)));
          this.i += 3;
          continue;
        }
        const before = this.nerr;
        const tmpl = this.parseQuotedTemplate();
        let s = '';
        let literal = true;
        for (const p of tmpl.parts) {
          if (p.kind === 'Text') s += p.value;
          else literal = false;
        }
        if (!literal && this.nerr === before)
          this.err(
            'Invalid string literal',
            tmpl.range.start,
            tmpl.range.end,
            'Template sequences are not allowed in a block label. To include a literal "$", double it (as "$$") to escape it.',
          );
        labels.push(s);
        labelRanges.push(tmpl.range);
      } else break;
    }
    const open = this.i;
    if (this.ty(open) !== Tok.OBrace) {
      this.err(
        'Invalid block definition',
        this.sp(open),
        this.ep(open),
        'Either a quoted string block label or an opening brace ("{") is expected here.',
      );
      this.recoverLine();
      return null;
    }
    this.i++;
    let attributes: Attribute[] = [];
    let blocks: Block[] = [];
    let close: number;
    if (this.ty(this.i) === Tok.Newline || this.ty(this.i) === Tok.EOF) {
      this.blockDepth++;
      ({ attributes, blocks } = this.parseBodyItems(open));
      this.blockDepth--;
      close = this.i;
      if (this.ty(close) === Tok.CBrace) this.i++;
    } else {
      // Single-line block: `name { }` or `name { arg = value }`.
      const t = this.i;
      if (this.ty(t) === Tok.Ident && this.ty(this.i + 1) === Tok.Equal) {
        const before = this.nerr;
        attributes.push(this.parseAttribute());
        close = this.i;
        if (this.ty(close) === Tok.CBrace) this.i++;
        else {
          if (this.nerr === before)
            this.err(
              'Invalid single-argument block definition',
              this.sp(close),
              this.ep(close),
              'A single-line block definition must end with a closing brace immediately after its single argument definition.',
            );
          close = orElse(this.skipTo(Tok.CBrace), this.i);
        }
      } else if (this.ty(t) === Tok.CBrace) {
        close = t;
        this.i++;
      } else {
        this.err(
          'Invalid single-argument block definition',
          this.sp(t),
          this.ep(t),
          this.ty(t) === Tok.Ident
            ? 'A single-line block definition can contain only a single argument. To define a nested block, place it on a line of its own within its parent block.'
            : 'An argument definition or a closing brace is expected here.',
        );
        close = orElse(this.skipTo(Tok.CBrace), this.i);
      }
    }
    const endTok = this.i;
    if (this.ty(close) === Tok.CBrace && this.ty(endTok) !== Tok.Newline && this.ty(endTok) !== Tok.EOF) {
      this.err('Missing newline after block definition', this.sp(endTok), this.ep(endTok), 'A block definition must end with a newline.');
      this.recoverLine();
    }
    const end = this.ty(close) === Tok.CBrace ? this.ep(close) : this.sp(close);
    return {
      kind: 'Block',
      type: this.text(typeTok),
      typeRange: this.r(this.sp(typeTok), this.ep(typeTok)),
      labels,
      labelRanges,
      body: { kind: 'Body', attributes, blocks, range: this.r(this.sp(open), end) },
      range: this.r(this.sp(typeTok), end),
      openBraceRange: this.r(this.sp(open), this.ep(open)),
    };
  }

  // --------------------------------------------------------------------------- expressions

  parseStandaloneExpression(): Expr {
    this.pushNL(true);
    const e = this.parseExpr();
    const t = this.peek();
    if (this.ty(t) !== Tok.EOF && this.nerr === 0)
      this.err(
        'Extra characters after expression',
        this.sp(t),
        this.ep(t),
        'An expression was successfully parsed, but extra characters were found after it.',
      );
    this.popNL();
    return e;
  }

  private parseExpr(): Expr {
    const t = this.peek();
    if (!this.enter(t)) {
      this.depth--;
      return this.bad(t);
    }
    const e = this.parseConditional();
    this.depth--;
    return e;
  }

  private parseConditional(): Expr {
    const cond = this.parseBinary(1);
    if (this.ty(this.peek()) !== Tok.Question) return cond;
    this.next();
    const before = this.nerr;
    const then = this.parseExpr();
    const colon = this.peek();
    if (this.ty(colon) !== Tok.Colon) {
      if (this.nerr === before)
        this.err(
          'Missing false expression in conditional',
          this.sp(colon),
          this.ep(colon),
          'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
        );
      return { kind: 'Conditional', cond, then, else: this.bad(colon), range: this.r(cond.range.start, then.range.end) };
    }
    this.next();
    const els = this.parseExpr();
    return { kind: 'Conditional', cond, then, else: els, range: this.r(cond.range.start, els.range.end) };
  }

  private parseBinary(minLevel: number): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const level = PREC[this.ty(t)] ?? 0;
      if (level === 0 || level < minLevel) return left;
      this.next();
      const right = this.parseBinary(level + 1);
      left = {
        kind: 'Binary',
        op: OPS[this.ty(t)],
        left,
        right,
        opRange: this.r(this.sp(t), this.ep(t)),
        range: this.r(left.range.start, right.range.end),
      };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (!this.enter(t)) {
      this.depth--;
      return this.bad(t);
    }
    const e = this.parseUnaryInner(t);
    this.depth--;
    return e;
  }

  private parseUnaryInner(t: number): Expr {
    if (this.ty(t) === Tok.Bang || this.ty(t) === Tok.Minus) {
      this.next();
      const operand = this.parseUnary();
      const range = this.r(this.sp(t), operand.range.end);
      // `-1` is a negative number literal, as HCL folds it.
      if (this.ty(t) === Tok.Minus && operand.kind === 'Literal' && typeof operand.value === 'number')
        return { kind: 'Literal', value: -operand.value, range };
      return { kind: 'Unary', op: this.ty(t) === Tok.Bang ? '!' : '-', operand, range };
    }
    return this.parsePostfix(this.parseTerm());
  }

  private parseTerm(): Expr {
    const t = this.peek();
    switch (this.ty(t)) {
      case Tok.Number: {
        this.next();
        return { kind: 'Literal', value: Number(this.text(t)), range: this.r(this.sp(t), this.ep(t)) };
      }
      case Tok.Ident: {
        const n = this.peekN(1);
        if (this.ty(n) === Tok.OParen || this.ty(n) === Tok.DoubleColon) return this.parseCall();
        this.next();
        const name = this.text(t);
        const range = this.r(this.sp(t), this.ep(t));
        if (name === 'true') return { kind: 'Literal', value: true, range };
        if (name === 'false') return { kind: 'Literal', value: false, range };
        if (name === 'null') return { kind: 'Literal', value: null, range };
        return { kind: 'ScopeTraversal', root: name, rootRange: range, steps: [], range };
      }
      case Tok.OQuote:
        return this.parseQuotedTemplate();
      case Tok.OHeredoc:
        return this.parseHeredoc();
      case Tok.OParen: {
        this.next();
        this.pushNL(true);
        const inner = this.parseExpr();
        let close = this.peek();
        if (this.ty(close) === Tok.CParen) this.next();
        else {
          this.err(
            'Unbalanced parentheses',
            this.sp(close),
            this.ep(close),
            'Expected a closing parenthesis to terminate the expression.',
          );
          close = orElse(this.skipTo(Tok.CParen), close);
        }
        this.popNL();
        return { kind: 'Paren', expr: inner, range: this.r(this.sp(t), this.ep(close)) };
      }
      case Tok.OBrack:
        return this.parseTuple();
      case Tok.OBrace:
        return this.parseObject();
      default:
        this.expressionStartError(t);
        return this.bad(t);
    }
  }

  private parseCall(): FunctionCallExpr {
    let nameTok = this.next();
    const start = this.sp(nameTok);
    let name = this.text(nameTok);
    // Provider-defined functions: provider::name::function(...)
    while (this.ty(this.peek()) === Tok.DoubleColon) {
      this.next();
      const part = this.peek();
      if (this.ty(part) !== Tok.Ident) {
        this.err('Missing function name', this.sp(part), this.ep(part), 'A function name is required after "::".');
        break;
      }
      this.next();
      name += '::' + this.text(part);
      nameTok = part;
    }
    const nameRange = this.r(start, this.ep(nameTok));
    const open = this.peek();
    if (this.ty(open) !== Tok.OParen) {
      this.err('Missing function argument list', this.sp(open), this.ep(open), 'A function call requires an argument list in parentheses.');
      return { kind: 'FunctionCall', name, nameRange, args: [], expandFinal: false, range: nameRange };
    }
    this.next();
    this.pushNL(true);
    const args: Expr[] = [];
    const close = this.exprList(args, Tok.CParen, true);
    const expandFinal = this.listExpanded;
    this.popNL();
    const end = this.listEnd(close, args, open);
    return { kind: 'FunctionCall', name, nameRange, args, expandFinal, range: this.r(start, end) };
  }

  /**
   * Comma-separated expressions (a trailing comma allowed) up to `closeType`, which is consumed
   * and returned (-1 if recovery did not find it). With `expand`, the last item may be followed
   * by `...` (a call's expanded final argument), reported in `listExpanded`.
   */
  private exprList(items: Expr[], closeType: TokType, expand: boolean): number {
    let expanded = false;
    let close = -1;
    for (;;) {
      let t = this.peek();
      if (this.ty(t) === closeType) {
        close = this.next();
        break;
      }
      const before = this.nerr;
      items.push(this.parseExpr());
      t = this.peek();
      if (expand && this.ty(t) === Tok.Ellipsis) {
        this.next();
        expanded = true;
        t = this.peek();
        if (this.ty(t) === closeType) {
          close = this.next();
          break;
        }
        this.err(
          'Missing closing parenthesis',
          this.sp(t),
          this.ep(t),
          'An expanded function argument (with ...) must be immediately followed by closing parentheses.',
        );
        close = this.skipTo(closeType);
        break;
      }
      if (this.ty(t) === Tok.Comma) {
        this.next();
        continue;
      }
      if (this.ty(t) === closeType) {
        close = this.next();
        break;
      }
      if (this.nerr === before) {
        if (expand)
          this.err('Missing argument separator', this.sp(t), this.ep(t), 'A comma is required to separate each function argument from the next.');
        else this.err('Missing item separator', this.sp(t), this.ep(t), 'Expected a comma to mark the beginning of the next item.');
      }
      close = this.skipTo(closeType);
      break;
    }
    this.listExpanded = expanded; // after the items: a nested call's list has already finished
    return close;
  }

  /** Where a bracketed list ends: its closer, else (after an error) its last item, else its opener. */
  private listEnd(close: number, items: { range: Range }[], open: number): Pos {
    if (close >= 0) return this.ep(close);
    return items.length ? items[items.length - 1].range.end : this.ep(open);
  }

  private parseTuple(): Expr {
    const open = this.next();
    this.pushNL(true);
    if (this.isKeyword(this.peek(), 'for') && this.ty(this.peekN(1)) === Tok.Ident) {
      const f = this.parseFor(open, false);
      this.popNL();
      return f;
    }
    const items: Expr[] = [];
    const close = this.exprList(items, Tok.CBrack, false);
    this.popNL();
    const end = this.listEnd(close, items, open);
    const tuple: TupleExpr = { kind: 'Tuple', items, range: this.r(this.sp(open), end) };
    return tuple;
  }

  private parseObject(): Expr {
    const open = this.next();
    this.pushNL(true);
    if (this.isKeyword(this.peek(), 'for') && this.ty(this.peekN(1)) === Tok.Ident) {
      const f = this.parseFor(open, true);
      this.popNL();
      return f;
    }
    this.popNL();
    this.pushNL(false); // newlines separate object items
    const items: ObjectItem[] = [];
    let close = -1;
    for (;;) {
      while (this.ty(this.i) === Tok.Newline) this.i++;
      const t = this.i;
      if (this.ty(t) === Tok.CBrace) {
        close = t;
        this.i++;
        break;
      }
      if (this.ty(t) === Tok.EOF) {
        this.err('Unterminated object constructor', this.sp(open), this.ep(open), 'There is no closing brace for this object.');
        break;
      }
      const before = this.nerr;
      let key: Expr;
      let bareKey = false;
      const nt = this.ty(this.i + 1);
      if (this.ty(t) === Tok.Ident && (nt === Tok.Equal || nt === Tok.Colon)) {
        this.i++;
        key = { kind: 'Literal', value: this.text(t), range: this.r(this.sp(t), this.ep(t)) };
        bareKey = true;
      } else key = this.parseExpr();
      const sep = this.i;
      if (this.ty(sep) !== Tok.Equal && this.ty(sep) !== Tok.Colon) {
        if (this.nerr === before)
          this.err(
            'Missing key/value separator',
            this.sp(sep),
            this.ep(sep),
            'Expected an equals sign ("=") to mark the beginning of the attribute value.',
          );
        close = this.skipTo(Tok.CBrace);
        break;
      }
      this.i++;
      const value = this.parseExpr();
      const item: ObjectItem = { key, value, range: this.r(key.range.start, value.range.end) };
      if (bareKey) item.bareKey = true;
      items.push(item);
      const end = this.i;
      if (this.ty(end) === Tok.Comma || this.ty(end) === Tok.Newline) {
        this.i++;
        continue;
      }
      if (this.ty(end) === Tok.CBrace) continue;
      if (this.nerr === before)
        this.err(
          'Missing attribute separator',
          this.sp(end),
          this.ep(end),
          'Expected a newline or comma to mark the beginning of the next attribute.',
        );
      close = this.skipTo(Tok.CBrace);
      break;
    }
    this.popNL();
    const end = this.listEnd(close, items, open);
    const obj: ObjectExpr = { kind: 'Object', items, range: this.r(this.sp(open), end) };
    return obj;
  }

  /** `[for ...]` / `{for ...}`; the caller has consumed the bracket and set newline mode. */
  private parseFor(open: number, isObject: boolean): Expr {
    const closeType = isObject ? Tok.CBrace : Tok.CBrack;
    this.next(); // for
    const fail = (t: number, detail: string): Expr => {
      this.err("Invalid 'for' expression", this.sp(t), this.ep(t), detail);
      const close = this.skipTo(closeType);
      const end = close >= 0 ? this.ep(close) : this.ep(t);
      return {
        kind: 'For',
        valVar: '',
        coll: this.bad(t),
        valExpr: this.bad(t),
        grouping: false,
        isObject,
        range: this.r(this.sp(open), end),
      };
    };
    let t = this.next();
    if (this.ty(t) !== Tok.Ident) return fail(t, "For expression requires variable name after 'for'.");
    let keyVar: string | undefined;
    let valVar = this.text(t);
    if (this.ty(this.peek()) === Tok.Comma) {
      this.next();
      t = this.next();
      if (this.ty(t) !== Tok.Ident) return fail(t, 'For expression requires value variable name after comma.');
      keyVar = valVar;
      valVar = this.text(t);
    }
    t = this.next();
    if (!this.isKeyword(t, 'in')) return fail(t, "For expression requires the 'in' keyword after its name declarations.");
    const coll = this.parseExpr();
    t = this.peek();
    if (this.ty(t) !== Tok.Colon) return fail(t, 'For expression requires a colon after the collection expression.');
    this.next();
    let keyExpr: Expr | undefined;
    if (isObject) {
      keyExpr = this.parseExpr();
      t = this.peek();
      if (this.ty(t) !== Tok.FatArrow)
        return fail(t, 'Key expression in an object for expression must be followed by "=>" and the value expression.');
      this.next();
    }
    const valExpr = this.parseExpr();
    let grouping = false;
    if (isObject && this.ty(this.peek()) === Tok.Ellipsis) {
      this.next();
      grouping = true;
    }
    let cond: Expr | undefined;
    if (this.isKeyword(this.peek(), 'if')) {
      this.next();
      cond = this.parseExpr();
    }
    t = this.peek();
    let end: Pos;
    if (this.ty(t) === closeType) {
      this.next();
      end = this.ep(t);
    } else {
      this.err("Invalid 'for' expression", this.sp(t), this.ep(t), "Extra characters after the end of the 'for' expression.");
      const close = this.skipTo(closeType);
      end = close >= 0 ? this.ep(close) : this.sp(t);
    }
    const f: ForExpr = { kind: 'For', valVar, coll, valExpr, grouping, isObject, range: this.r(this.sp(open), end) };
    if (keyVar !== undefined) f.keyVar = keyVar;
    if (keyExpr) f.keyExpr = keyExpr;
    if (cond) f.cond = cond;
    return f;
  }

  // ---------------------------------------------------------------------------- traversals

  /** Attribute access, indexing and splats after a term, in a loop. */
  private parsePostfix(e: Expr): Expr {
    for (;;) {
      const t = this.peek();
      if (this.ty(t) === Tok.Dot) {
        const n = this.peekN(1);
        const stepped = this.dotStep(e, n);
        if (stepped) e = stepped;
        else if (this.ty(n) === Tok.Star) {
          this.next();
          this.next();
          e = this.parseAttrSplat(e, t, n);
        } else {
          this.next();
          this.err('Invalid attribute name', this.sp(n), this.ep(n), 'An attribute name is required after a dot.');
          return e;
        }
      } else if (this.ty(t) === Tok.OBrack) {
        const n = this.peekN(1);
        if (this.ty(n) === Tok.Star && this.ty(this.peekN(2)) === Tok.CBrack) {
          this.next();
          this.next();
          const close = this.next();
          return this.parseFullSplat(e, t, close);
        }
        e = this.parseIndex(e);
      } else return e;
    }
  }

  /**
   * `.name` or legacy `.0` after `e`, where `n` is the token after the dot: consumes both and
   * returns the extended expression; null (nothing consumed) when `n` is neither.
   */
  private dotStep(e: Expr, n: number): Expr | null {
    const type = this.ty(n);
    if (type !== Tok.Ident && type !== Tok.Number) return null;
    this.next();
    this.next();
    return type === Tok.Ident ? this.addAttr(e, this.text(n), n) : this.addLegacyIndex(e, n);
  }

  private addAttr(e: Expr, name: string, nameTok: number): Expr {
    const nameRange = this.r(this.sp(nameTok), this.ep(nameTok));
    if (e.kind === 'ScopeTraversal') {
      e.steps.push({ kind: 'attr', name, range: nameRange });
      e.range = this.r(e.range.start, this.ep(nameTok));
      return e;
    }
    return { kind: 'GetAttr', object: e, name, nameRange, range: this.r(e.range.start, this.ep(nameTok)) };
  }

  private addLegacyIndex(e: Expr, n: number): Expr {
    const txt = this.text(n);
    if (!/^[0-9]+$/.test(txt))
      this.err(
        'Invalid legacy index syntax',
        this.sp(n),
        this.ep(n),
        'When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [0][1].',
      );
    const key = parseInt(txt, 10);
    const range = this.r(this.sp(n), this.ep(n));
    if (e.kind === 'ScopeTraversal') {
      e.steps.push({ kind: 'index', key, range });
      e.range = this.r(e.range.start, this.ep(n));
      return e;
    }
    return { kind: 'Index', collection: e, key: { kind: 'Literal', value: key, range }, range: this.r(e.range.start, this.ep(n)) };
  }

  private parseIndex(e: Expr): Expr {
    const open = this.next();
    this.pushNL(true);
    const key = this.parseExpr();
    let close = this.peek();
    if (this.ty(close) === Tok.CBrack) this.next();
    else {
      this.err('Missing close bracket on index', this.sp(close), this.ep(close), 'The index operator must end with a closing bracket ("]").');
      close = orElse(this.skipTo(Tok.CBrack), close);
    }
    this.popNL();
    const end = this.ty(close) === Tok.CBrack ? this.ep(close) : key.range.end;
    if (e.kind === 'ScopeTraversal') {
      let lit: string | number | undefined;
      if (key.kind === 'Literal' && (typeof key.value === 'number' || typeof key.value === 'string')) lit = key.value;
      else if (key.kind === 'Template' && !key.heredoc && key.parts.every((p) => p.kind === 'Text'))
        lit = key.parts.map((p) => (p.kind === 'Text' ? p.value : '')).join('');
      if (lit !== undefined) {
        e.steps.push({ kind: 'index', key: lit, range: this.r(this.sp(open), end) });
        e.range = this.r(e.range.start, end);
        return e;
      }
    }
    return { kind: 'Index', collection: e, key, range: this.r(e.range.start, end) };
  }

  /** `source[*]...`: every traversal step that follows applies to each element. */
  private parseFullSplat(source: Expr, open: number, close: number): Expr {
    const anon: Expr = { kind: 'AnonSymbol', range: this.r(this.sp(open), this.ep(close)) };
    const each = this.parsePostfix(anon);
    return { kind: 'Splat', source, each, full: true, range: this.r(source.range.start, each.range.end) };
  }

  /** `source.*.a.b`: only attribute steps belong to the splat; an index applies to the result. */
  private parseAttrSplat(source: Expr, dot: number, star: number): Expr {
    let each: Expr = { kind: 'AnonSymbol', range: this.r(this.sp(dot), this.ep(star)) };
    for (;;) {
      if (this.ty(this.peek()) !== Tok.Dot) break;
      const n = this.peekN(1);
      const stepped = this.dotStep(each, n);
      if (stepped) each = stepped;
      else if (this.ty(n) === Tok.Star) {
        this.next();
        this.next();
        this.err(
          'Nested splat expression not allowed',
          this.sp(n),
          this.ep(n),
          'A splat expression (*) cannot be used inside another attribute-only splat expression.',
        );
      } else break;
    }
    return { kind: 'Splat', source, each, full: false, range: this.r(source.range.start, each.range.end) };
  }

  // ----------------------------------------------------------------------------- templates

  /** The text of `"text"` starting at `open` when there is nothing in it to unescape, else null. */
  private plainQuoted(open: number): string | null {
    const type = this.ts.type;
    if (type[open + 1] !== Tok.QuotedLit || type[open + 2] !== Tok.CQuote) return null;
    const raw = this.text(open + 1);
    return isPlainLiteral(raw) ? raw : null;
  }

  parseQuotedTemplate(): TemplateExpr {
    const open = this.i++;
    // Fast path for the common plain string: "text" with nothing to unescape.
    const plain = this.plainQuoted(open);
    if (plain !== null) {
      this.i += 2;
      return {
        kind: 'Template',
        parts: [{ kind: 'Text', value: plain, range: this.r(this.sp(open + 1), this.ep(open + 1)) }],
        range: this.r(this.sp(open), this.ep(open + 2)),
      };
    }
    const items = this.templateItems(Tok.CQuote);
    const close = this.i;
    if (this.ty(close) === Tok.CQuote) this.i++;
    const parts = this.buildTemplate(items);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.r(this.ep(open), this.ep(open)) });
    return { kind: 'Template', parts, range: this.r(this.sp(open), this.ep(close)) };
  }

  private parseHeredoc(): TemplateExpr {
    const open = this.i++;
    const flush = this.src.charCodeAt(this.ts.start[open] + 2) === 45; // <<-
    const items = this.templateItems(Tok.CHeredoc);
    const close = this.i;
    if (this.ty(close) === Tok.CHeredoc) this.i++;
    const parts = this.buildTemplate(items, flush);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.r(this.ep(open), this.ep(open)) });
    return { kind: 'Template', parts, heredoc: true, range: this.r(this.sp(open), this.ep(close)) };
  }

  parseBareTemplate(start: Pos): TemplateExpr {
    const items = this.templateItems(Tok.EOF);
    const eof = this.ts.n - 1;
    const parts = this.buildTemplate(items);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.r(start, start) });
    return { kind: 'Template', parts, range: this.r(start, this.ep(eof)) };
  }

  /** Reads template tokens up to (not including) `closeType` into flat items. */
  private templateItems(closeType: TokType): FlatItem[] {
    const items: FlatItem[] = [];
    for (;;) {
      const t = this.i;
      if (this.ty(t) === closeType || this.ty(t) === Tok.EOF) return items;
      if (this.ty(t) === Tok.QuotedLit) {
        this.i++;
        const value = this.unescapeQuoted(this.text(t), this.sp(t));
        items.push({ k: F_TEXT, value, range: this.r(this.sp(t), this.ep(t)), sl: false, sr: false });
        continue;
      }
      if (this.ty(t) === Tok.StringLit) {
        // Heredoc and bare template text is one item per line, as in HCL: strip markers and
        // heredoc indentation work line by line.
        this.i++;
        const raw = this.text(t);
        const base = this.ts.base + this.ts.start[t];
        let line = this.ts.sLine[t];
        let col = this.ts.sCol[t];
        let off = 0;
        while (off < raw.length) {
          const nl = raw.indexOf('\n', off);
          const end = nl < 0 ? raw.length : nl + 1;
          const start: Pos = { line, col, byte: base + off };
          const endPos: Pos = nl < 0 ? { line, col: col + (end - off), byte: base + end } : { line: line + 1, col: 1, byte: base + end };
          items.push({ k: F_TEXT, value: unescapeTemplateOnly(raw.slice(off, end)), range: this.r(start, endPos), sl: false, sr: false });
          if (nl >= 0) {
            line++;
            col = 1;
          }
          off = end;
        }
        continue;
      }
      if (this.ty(t) === Tok.TemplateInterp || this.ty(t) === Tok.TemplateControl) {
        items.push(this.templateSequence(t));
        continue;
      }
      // Anything else means the template structure is broken; the scanner has reported it.
      this.i++;
    }
  }

  /** One `${ expr }` or `%{ directive }` sequence. */
  private templateSequence(open: number): FlatItem {
    this.i++;
    const sl = this.ts.end[open] - this.ts.start[open] === 3; // ${~ / %{~
    this.pushNL(true);
    const before = this.nerr;
    let item: FlatItem;
    if (this.ty(open) === Tok.TemplateInterp) {
      const expr = this.parseExpr();
      item = { k: F_INTERP, expr, range: this.r(this.sp(open), expr.range.end), sl, sr: false };
    } else {
      item = this.directive(open, sl);
    }
    const end = this.peek();
    if (this.ty(end) === Tok.TemplateSeqEnd) {
      this.next();
      item.sr = this.src.charCodeAt(this.ts.start[end]) === 126; // ~}
      item.range = this.r(this.sp(open), this.ep(end));
    } else {
      if (this.nerr === before)
        this.err(
          this.ty(open) === Tok.TemplateInterp ? 'Extra characters after interpolation expression' : 'Extra characters in template directive',
          this.sp(end),
          this.ep(end),
          this.ty(end) === Tok.EOF || this.ty(end) === Tok.CQuote || this.ty(end) === Tok.CHeredoc
            ? 'Expected a closing brace to end the sequence, but the template ended first.'
            : 'Expected a closing brace to end the sequence, but found extra characters.',
        );
      const close = this.skipTo(Tok.TemplateSeqEnd);
      if (close >= 0) item.range = this.r(this.sp(open), this.ep(close));
    }
    this.popNL();
    return item;
  }

  private directive(open: number, sl: boolean): FlatItem {
    const kw = this.peek();
    const name = this.ty(kw) === Tok.Ident ? this.text(kw) : '';
    const range = this.r(this.sp(open), this.ep(kw));
    switch (name) {
      case 'if': {
        this.next();
        const cond = this.parseExpr();
        return { k: F_IF, expr: cond, range, sl, sr: false };
      }
      case 'else':
        this.next();
        return { k: F_ELSE, range, sl, sr: false };
      case 'endif':
        this.next();
        return { k: F_ENDIF, range, sl, sr: false };
      case 'endfor':
        this.next();
        return { k: F_ENDFOR, range, sl, sr: false };
      case 'for': {
        this.next();
        let t = this.next();
        let keyVar: string | undefined;
        let valVar = '';
        if (this.ty(t) !== Tok.Ident) {
          this.err("Invalid 'for' directive", this.sp(t), this.ep(t), "For directive requires variable name after 'for'.");
          return { k: F_FOR, expr: this.bad(t), valVar, range, sl, sr: false };
        }
        valVar = this.text(t);
        if (this.ty(this.peek()) === Tok.Comma) {
          this.next();
          t = this.next();
          if (this.ty(t) !== Tok.Ident) {
            this.err("Invalid 'for' directive", this.sp(t), this.ep(t), 'For directive requires value variable name after comma.');
            return { k: F_FOR, expr: this.bad(t), valVar, range, sl, sr: false };
          }
          keyVar = valVar;
          valVar = this.text(t);
        }
        t = this.next();
        if (!this.isKeyword(t, 'in')) {
          this.err("Invalid 'for' directive", this.sp(t), this.ep(t), "For directive requires 'in' keyword after names.");
          return { k: F_FOR, expr: this.bad(t), keyVar, valVar, range, sl, sr: false };
        }
        const coll = this.parseExpr();
        return { k: F_FOR, expr: coll, keyVar, valVar, range, sl, sr: false };
      }
      default:
        this.err(
          'Invalid template directive',
          this.sp(kw),
          this.ep(kw),
          'A template directive keyword ("if", "for", etc) is expected at the beginning of a %{ sequence.',
        );
        return { k: F_BAD, range, sl, sr: false };
    }
  }

  /** Applies strip markers (and heredoc flushing), then nests if/for directives into TemplateParts. */
  private buildTemplate(items: FlatItem[], flush = false): TemplatePart[] {
    applyStripMarkers(items);
    if (flush) flushHeredoc(items);
    return this.nest(items, { j: 0 }, 0);
  }

  /**
   * Builds parts up to the end or, inside an if/for (level > 0), up to an else/endif/endfor item,
   * which is left unconsumed for the enclosing directive.
   */
  private nest(items: FlatItem[], pos: { j: number }, level: number): TemplatePart[] {
    const parts: TemplatePart[] = [];
    if (level > MAX_DEPTH) {
      const it = items[pos.j];
      this.err('Nesting too deep', it.range.start, it.range.end, `Template directives may be nested at most ${MAX_DEPTH} levels deep.`);
      this.abandoned = true;
      pos.j = items.length;
      return parts;
    }
    while (pos.j < items.length) {
      const it = items[pos.j];
      if (level > 0 && (CLOSERS & (1 << it.k)) !== 0) return parts;
      pos.j++;
      switch (it.k) {
        case F_TEXT: {
          if (it.value === '') break;
          const last = parts.length > 0 ? parts[parts.length - 1] : undefined;
          if (last && last.kind === 'Text') {
            // consecutive literal lines become one Text part
            parts[parts.length - 1] = { kind: 'Text', value: last.value + it.value!, range: this.r(last.range.start, it.range.end) };
          } else parts.push({ kind: 'Text', value: it.value!, range: it.range });
          break;
        }
        case F_INTERP:
          parts.push({ kind: 'Interp', expr: it.expr!, stripLeft: it.sl, stripRight: it.sr, range: it.range });
          break;
        case F_IF: {
          const then = this.nest(items, pos, level + 1);
          let els: TemplatePart[] | undefined;
          let end = items[pos.j];
          if (end && end.k === F_ELSE) {
            pos.j++;
            els = this.nest(items, pos, level + 1);
            end = items[pos.j];
          }
          let endPos = (els && els.length ? els[els.length - 1] : then.length ? then[then.length - 1] : it).range.end;
          if (end && end.k === F_ENDIF) {
            pos.j++;
            endPos = end.range.end;
          } else
            this.err(
              'Unterminated template directive',
              it.range.start,
              it.range.end,
              end
                ? `Expected "%{ endif }" to close this "if", but found "%{ ${DIRECTIVE_NAMES[end.k]} }".`
                : 'There is no "%{ endif }" for this "if" directive.',
            );
          const part: TemplatePart = { kind: 'If', cond: it.expr!, then, range: this.r(it.range.start, endPos) };
          if (els) part.else = els;
          parts.push(part);
          break;
        }
        case F_FOR: {
          const body = this.nest(items, pos, level + 1);
          const end = items[pos.j];
          let endPos = body.length ? body[body.length - 1].range.end : it.range.end;
          if (end && end.k === F_ENDFOR) {
            pos.j++;
            endPos = end.range.end;
          } else
            this.err(
              'Unterminated template directive',
              it.range.start,
              it.range.end,
              end
                ? `Expected "%{ endfor }" to close this "for", but found "%{ ${DIRECTIVE_NAMES[end.k]} }".`
                : 'There is no "%{ endfor }" for this "for" directive.',
            );
          const part: TemplatePart = { kind: 'For', valVar: it.valVar!, coll: it.expr!, body, range: this.r(it.range.start, endPos) };
          if (it.keyVar !== undefined) part.keyVar = it.keyVar;
          parts.push(part);
          break;
        }
        case F_BAD:
          break;
        default:
          // else/endif/endfor outside any if/for (inside one, they ended the loop above)
          this.err(
            'Unexpected template directive',
            it.range.start,
            it.range.end,
            `"%{ ${DIRECTIVE_NAMES[it.k]} }" has no matching opening directive.`,
          );
      }
    }
    return parts;
  }

  /** Decodes the escapes of a quoted-string literal; reports invalid ones at their position. */
  private unescapeQuoted(raw: string, start: Pos): string {
    if (raw.indexOf('\\') < 0 && raw.indexOf('$${') < 0 && raw.indexOf('%%{') < 0) return raw;
    let out = '';
    let i = 0;
    const n = raw.length;
    while (i < n) {
      const c = raw.charCodeAt(i);
      if (c === 92) {
        const e = raw[i + 1];
        switch (e) {
          case 'n':
            out += '\n';
            i += 2;
            continue;
          case 'r':
            out += '\r';
            i += 2;
            continue;
          case 't':
            out += '\t';
            i += 2;
            continue;
          case '"':
            out += '"';
            i += 2;
            continue;
          case '\\':
            out += '\\';
            i += 2;
            continue;
          case 'u':
          case 'U': {
            const len = e === 'u' ? 4 : 8;
            const hex = raw.slice(i + 2, i + 2 + len);
            if (hex.length === len && /^[0-9A-Fa-f]+$/.test(hex)) {
              const cp = parseInt(hex, 16);
              if (cp <= 0x10ffff) {
                out += String.fromCodePoint(cp);
                i += 2 + len;
                continue;
              }
            }
            this.escapeError(start, i, 2 + hex.length, `The escape sequence "\\${e}" must be followed by ${len} hexadecimal digits.`);
            i += 2;
            continue;
          }
          default:
            this.escapeError(
              start,
              i,
              e === undefined ? 1 : 2,
              e === undefined ? 'A backslash must be followed by an escape sequence selector.' : `The symbol "${e}" is not a valid escape sequence selector.`,
            );
            i += e === undefined ? 1 : 2;
            continue;
        }
      }
      if ((c === 36 || c === 37) && raw.charCodeAt(i + 1) === c && raw.charCodeAt(i + 2) === 123) {
        out += raw[i] + '{';
        i += 3;
        continue;
      }
      out += raw[i];
      i++;
    }
    return out;
  }

  private escapeError(start: Pos, offset: number, len: number, detail: string): void {
    // A quoted literal never spans lines, so columns are a plain offset from its start.
    const s: Pos = { line: start.line, col: start.col + offset, byte: start.byte + offset };
    const e: Pos = { line: start.line, col: s.col + len, byte: s.byte + len };
    this.err('Invalid escape sequence', s, e, detail);
  }
}

/** Quoted text with nothing to unescape. */
function isPlainLiteral(raw: string): boolean {
  return raw.indexOf('\\') < 0 && raw.indexOf('$$') < 0 && raw.indexOf('%%') < 0;
}

function orElse(i: number, fallback: number): number {
  return i >= 0 ? i : fallback;
}

function unescapeTemplateOnly(raw: string): string {
  if (raw.indexOf('$${') < 0 && raw.indexOf('%%{') < 0) return raw;
  return raw.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function isSpaceCode(c: number): boolean {
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 0x85 || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/**
 * `<<-` heredocs: the smallest indentation over the lines is removed from every line. Like HCL,
 * this works on the per-line literal items after strip markers were applied: a line whose
 * literal is only whitespace and a newline doesn't count, a line that starts with a template
 * sequence counts as unindented, and a line whose preceding newline was stripped by `~` is not
 * a line start at all.
 */
function flushHeredoc(items: FlatItem[]): void {
  const adjust: FlatItem[] = [];
  let min = Infinity;
  let newline = true;
  for (const it of items) {
    if (newline) {
      newline = false;
      let spaces = 0;
      if (it.k === F_TEXT) {
        const v = it.value!;
        let k = 0;
        while (k < v.length && isSpaceCode(v.charCodeAt(k))) k++;
        if (k === v.length && v.endsWith('\n')) spaces = Infinity; // blank line
        else {
          spaces = k;
          adjust.push(it);
        }
      }
      if (spaces < min) min = spaces;
    }
    if (it.k === F_TEXT && it.value!.endsWith('\n')) newline = true;
  }
  if (min === Infinity || min === 0) return;
  for (const it of adjust) it.value = it.value!.slice(min);
}

/** Strip markers: `${~` trims whitespace from the literal item before the sequence, `~}` after it. */
function applyStripMarkers(items: FlatItem[]): void {
  for (let j = 0; j < items.length; j++) {
    const it = items[j];
    if (it.k !== F_TEXT) continue;
    if (j > 0 && items[j - 1].sr) it.value = it.value!.replace(/^\s+/, '');
    if (j + 1 < items.length && items[j + 1].sl) it.value = it.value!.replace(/\s+$/, '');
  }
}
