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
import { Tok, scan, type Token, type TokType } from './scanner.js';

/** Parses a whole native-syntax file (`.hcl`, `.tf`-style). */
export function parseHCL(source: string, filename: string, diags: Diagnostics): File {
  const local = new Diagnostics();
  const toks = scan(source, filename, local);
  const p = new Parser(source, filename, local, toks, 0);
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
  const p = new Parser(source, filename, local, toks, start ? start.byte : 0);
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
  const p = new Parser(source, filename, local, toks, start ? start.byte : 0);
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

// Bracket depth change of a token, for skipping balanced token runs during recovery.
function bracketChange(t: TokType): number {
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

// Flat template items, before strip markers, heredoc flushing and nesting are applied.
const F_TEXT = 0;
const F_INTERP = 1;
const F_IF = 2;
const F_ELSE = 3;
const F_ENDIF = 4;
const F_FOR = 5;
const F_ENDFOR = 6;
const F_BAD = 7; // an unparseable directive; skipped when nesting

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

const DIRECTIVE_NAMES = ['', '', 'if', 'else', 'endif', 'for', 'endfor', '?'];

class Parser {
  private i = 0;
  private ignoreNL = false;
  private readonly nlStack: boolean[] = [false];
  /** Errors this parser reported: lets callers tell whether a sub-parse failed. */
  private nerr = 0;
  /** How many block bodies enclose the current position (a stray `}` at top level is skipped). */
  private blockDepth = 0;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly diags: Diagnostics,
    private readonly toks: Token[],
    private readonly base: number,
  ) {}

  // ------------------------------------------------------------------------------ helpers

  private text(t: Token): string {
    return this.src.slice(t.start.byte - this.base, t.end.byte - this.base);
  }

  private charAt(p: Pos): number {
    return this.src.charCodeAt(p.byte - this.base);
  }

  private r(start: Pos, end: Pos): Range {
    return { file: this.file, start, end };
  }

  private err(summary: string, start: Pos, end: Pos, detail?: string): void {
    this.nerr++;
    this.diags.error(summary, { file: this.file, start, end }, detail);
  }

  private pushNL(ignore: boolean): void {
    this.nlStack.push(ignore);
    this.ignoreNL = ignore;
  }

  private popNL(): void {
    this.nlStack.pop();
    this.ignoreNL = this.nlStack[this.nlStack.length - 1];
  }

  private peek(): Token {
    const toks = this.toks;
    let i = this.i;
    if (this.ignoreNL) while (toks[i].type === Tok.Newline) i++;
    return toks[i];
  }

  /** The k-th token after the next one (k=0 is peek()). */
  private peekN(k: number): Token {
    const toks = this.toks;
    let i = this.i;
    for (let n = 0; ; n++) {
      if (this.ignoreNL) while (toks[i].type === Tok.Newline) i++;
      if (n === k || toks[i].type === Tok.EOF) return toks[i];
      i++;
    }
  }

  private next(): Token {
    const toks = this.toks;
    if (this.ignoreNL) while (toks[this.i].type === Tok.Newline) this.i++;
    const t = toks[this.i];
    if (t.type !== Tok.EOF) this.i++;
    return t;
  }

  private isKeyword(t: Token, kw: string): boolean {
    return t.type === Tok.Ident && t.end.byte - t.start.byte === kw.length && this.text(t) === kw;
  }

  /** Placeholder for an expression that could not be parsed. */
  private bad(at: Token): Expr {
    return { kind: 'Literal', value: null, range: this.r(at.start, at.start) };
  }

  private expressionStartError(t: Token): void {
    if (t.type === Tok.EOF)
      this.err('Missing expression', t.start, t.end, 'Expected the start of an expression, but found the end of the file.');
    else
      this.err(
        'Invalid expression',
        t.start,
        t.end,
        'Expected the start of an expression, but found an invalid expression token.',
      );
  }

  /**
   * Skips tokens up to and including the end of the current line (newline at bracket depth 0).
   * Stops before a `}` that would close the enclosing block.
   */
  private recoverLine(): void {
    const toks = this.toks;
    let depth = 0;
    for (;;) {
      const t = toks[this.i];
      if (t.type === Tok.EOF) return;
      if (t.type === Tok.Newline && depth === 0) {
        this.i++;
        return;
      }
      const d = bracketChange(t.type);
      if (d < 0 && depth === 0 && t.type === Tok.CBrace && this.blockDepth > 0) return;
      depth = Math.max(0, depth + d);
      this.i++;
    }
  }

  /**
   * Skips balanced tokens until `close` at depth 0, which is consumed and returned. Gives up
   * (returns null) at EOF, or before a `}` at depth 0 when looking for something else.
   */
  private skipTo(close: TokType): Token | null {
    const toks = this.toks;
    let depth = 0;
    for (;;) {
      const t = toks[this.i];
      if (t.type === Tok.EOF) return null;
      if (depth === 0 && t.type === close) {
        this.i++;
        return t;
      }
      const d = bracketChange(t.type);
      if (d < 0 && depth === 0) {
        if (t.type === Tok.CBrace || close === Tok.TemplateSeqEnd) return null;
        this.i++;
        continue;
      }
      depth += d;
      this.i++;
    }
  }

  // ---------------------------------------------------------------------------- structure

  parseFile(): Body {
    const { attributes, blocks } = this.parseBodyItems(null);
    const eof = this.toks[this.toks.length - 1];
    return { kind: 'Body', attributes, blocks, range: this.r({ line: 1, col: 1, byte: 0 }, eof.end) };
  }

  /** Attributes and blocks up to EOF (top level) or to the `}` closing `open` (not consumed). */
  private parseBodyItems(open: Token | null): { attributes: Attribute[]; blocks: Block[] } {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const toks = this.toks;
    for (;;) {
      const t = toks[this.i];
      switch (t.type) {
        case Tok.Newline:
          this.i++;
          continue;
        case Tok.EOF:
          if (open)
            this.err(
              'Unclosed configuration block',
              open.start,
              open.end,
              'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
            );
          return { attributes, blocks };
        case Tok.CBrace:
          if (open) return { attributes, blocks };
          this.err(
            'Argument or block definition required',
            t.start,
            t.end,
            'An argument or block definition is required here; this closing brace has no matching opening brace.',
          );
          this.i++;
          continue;
        case Tok.Ident: {
          const nt = toks[this.i + 1].type;
          if (nt === Tok.Equal) {
            const before = this.nerr;
            const attr = this.parseAttribute();
            attributes.push(attr);
            const end = toks[this.i];
            if (end.type === Tok.Newline) this.i++;
            else if (end.type !== Tok.EOF) {
              if (this.nerr === before)
                this.err(
                  'Missing newline after argument',
                  end.start,
                  end.end,
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
          const n = toks[this.i + 1];
          if (nt === Tok.Newline || nt === Tok.EOF)
            this.err(
              'Argument or block definition required',
              t.start,
              t.end,
              'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
            );
          else
            this.err(
              'Invalid block definition',
              n.start,
              n.end,
              'Either a quoted string block label or an opening brace ("{") is expected here.',
            );
          this.recoverLine();
          continue;
        }
        default:
          this.err(
            'Argument or block definition required',
            t.start,
            t.end,
            'An argument or block definition is required here.',
          );
          this.recoverLine();
          continue;
      }
    }
  }

  private parseAttribute(): Attribute {
    const nameTok = this.toks[this.i++];
    this.i++; // =
    this.pushNL(false);
    const expr = this.parseExpr();
    this.popNL();
    return {
      kind: 'Attribute',
      name: this.text(nameTok),
      nameRange: this.r(nameTok.start, nameTok.end),
      expr,
      range: this.r(nameTok.start, expr.range.end),
    };
  }

  private parseBlock(): Block | null {
    const toks = this.toks;
    const typeTok = toks[this.i++];
    const labels: string[] = [];
    const labelRanges: Range[] = [];
    for (;;) {
      const t = toks[this.i];
      if (t.type === Tok.Ident) {
        labels.push(this.text(t));
        labelRanges.push(this.r(t.start, t.end));
        this.i++;
      } else if (t.type === Tok.OQuote) {
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
    const open = toks[this.i];
    if (open.type !== Tok.OBrace) {
      this.err(
        'Invalid block definition',
        open.start,
        open.end,
        'Either a quoted string block label or an opening brace ("{") is expected here.',
      );
      this.recoverLine();
      return null;
    }
    this.i++;
    let attributes: Attribute[] = [];
    let blocks: Block[] = [];
    let close: Token;
    if (toks[this.i].type === Tok.Newline) {
      this.blockDepth++;
      ({ attributes, blocks } = this.parseBodyItems(open));
      this.blockDepth--;
      close = toks[this.i];
      if (close.type === Tok.CBrace) this.i++;
    } else {
      // Single-line block: `name { }` or `name { arg = value }`.
      const t = toks[this.i];
      if (t.type === Tok.Ident && toks[this.i + 1].type === Tok.Equal) {
        const before = this.nerr;
        attributes.push(this.parseAttribute());
        close = toks[this.i];
        if (close.type === Tok.CBrace) this.i++;
        else {
          if (this.nerr === before)
            this.err(
              'Invalid single-argument block definition',
              close.start,
              close.end,
              'A single-line block definition must end with a closing brace immediately after its single argument definition.',
            );
          close = this.skipTo(Tok.CBrace) ?? toks[this.i];
        }
      } else if (t.type === Tok.CBrace) {
        close = t;
        this.i++;
      } else {
        this.err(
          'Invalid single-argument block definition',
          t.start,
          t.end,
          t.type === Tok.Ident
            ? 'A single-line block definition can contain only a single argument. To define a nested block, place it on a line of its own within its parent block.'
            : 'An argument definition or a closing brace is expected here.',
        );
        close = this.skipTo(Tok.CBrace) ?? toks[this.i];
      }
    }
    const endTok = toks[this.i];
    if (close.type === Tok.CBrace && endTok.type !== Tok.Newline && endTok.type !== Tok.EOF) {
      this.err('Missing newline after block definition', endTok.start, endTok.end, 'A block definition must end with a newline.');
      this.recoverLine();
    }
    const end = close.type === Tok.CBrace ? close.end : close.start;
    return {
      kind: 'Block',
      type: this.text(typeTok),
      typeRange: this.r(typeTok.start, typeTok.end),
      labels,
      labelRanges,
      body: { kind: 'Body', attributes, blocks, range: this.r(open.start, end) },
      range: this.r(typeTok.start, end),
      openBraceRange: this.r(open.start, open.end),
    };
  }

  // --------------------------------------------------------------------------- expressions

  parseStandaloneExpression(): Expr {
    this.pushNL(true);
    const e = this.parseExpr();
    const t = this.peek();
    if (t.type !== Tok.EOF && this.nerr === 0)
      this.err(
        'Extra characters after expression',
        t.start,
        t.end,
        'An expression was successfully parsed, but extra characters were found after it.',
      );
    this.popNL();
    return e;
  }

  private parseExpr(): Expr {
    const cond = this.parseBinary(1);
    if (this.peek().type !== Tok.Question) return cond;
    this.next();
    const before = this.nerr;
    const then = this.parseExpr();
    const colon = this.peek();
    if (colon.type !== Tok.Colon) {
      if (this.nerr === before)
        this.err(
          'Missing false expression in conditional',
          colon.start,
          colon.end,
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
      const level = PREC[t.type] ?? 0;
      if (level === 0 || level < minLevel) return left;
      this.next();
      const right = this.parseBinary(level + 1);
      left = {
        kind: 'Binary',
        op: OPS[t.type],
        left,
        right,
        opRange: this.r(t.start, t.end),
        range: this.r(left.range.start, right.range.end),
      };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t.type === Tok.Bang || t.type === Tok.Minus) {
      this.next();
      const operand = this.parseUnary();
      const range = this.r(t.start, operand.range.end);
      // `-1` is a negative number literal, as HCL folds it.
      if (t.type === Tok.Minus && operand.kind === 'Literal' && typeof operand.value === 'number')
        return { kind: 'Literal', value: -operand.value, range };
      return { kind: 'Unary', op: t.type === Tok.Bang ? '!' : '-', operand, range };
    }
    return this.parsePostfix(this.parseTerm());
  }

  private parseTerm(): Expr {
    const t = this.peek();
    switch (t.type) {
      case Tok.Number: {
        this.next();
        return { kind: 'Literal', value: Number(this.text(t)), range: this.r(t.start, t.end) };
      }
      case Tok.Ident: {
        const n = this.peekN(1);
        if (n.type === Tok.OParen || n.type === Tok.DoubleColon) return this.parseCall();
        this.next();
        const name = this.text(t);
        const range = this.r(t.start, t.end);
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
        if (close.type === Tok.CParen) this.next();
        else {
          this.err(
            'Unbalanced parentheses',
            close.start,
            close.end,
            'Expected a closing parenthesis to terminate the expression.',
          );
          close = this.skipTo(Tok.CParen) ?? close;
        }
        this.popNL();
        return { kind: 'Paren', expr: inner, range: this.r(t.start, close.end) };
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
    const start = nameTok.start;
    let name = this.text(nameTok);
    // Provider-defined functions: provider::name::function(...)
    while (this.peek().type === Tok.DoubleColon) {
      this.next();
      const part = this.peek();
      if (part.type !== Tok.Ident) {
        this.err('Missing function name', part.start, part.end, 'A function name is required after "::".');
        break;
      }
      this.next();
      name += '::' + this.text(part);
      nameTok = part;
    }
    const nameRange = this.r(start, nameTok.end);
    const open = this.peek();
    if (open.type !== Tok.OParen) {
      this.err('Missing function argument list', open.start, open.end, 'A function call requires an argument list in parentheses.');
      return { kind: 'FunctionCall', name, nameRange, args: [], expandFinal: false, range: nameRange };
    }
    this.next();
    this.pushNL(true);
    const args: Expr[] = [];
    let expandFinal = false;
    let close: Token | null = null;
    for (;;) {
      let t = this.peek();
      if (t.type === Tok.CParen) {
        close = this.next();
        break;
      }
      const before = this.nerr;
      args.push(this.parseExpr());
      t = this.peek();
      if (t.type === Tok.Ellipsis) {
        this.next();
        expandFinal = true;
        t = this.peek();
        if (t.type === Tok.CParen) {
          close = this.next();
          break;
        }
        this.err(
          'Missing closing parenthesis',
          t.start,
          t.end,
          'An expanded function argument (with ...) must be immediately followed by closing parentheses.',
        );
        close = this.skipTo(Tok.CParen);
        break;
      }
      if (t.type === Tok.Comma) {
        this.next();
        continue;
      }
      if (t.type === Tok.CParen) {
        close = this.next();
        break;
      }
      if (this.nerr === before)
        this.err(
          'Missing argument separator',
          t.start,
          t.end,
          'A comma is required to separate each function argument from the next.',
        );
      close = this.skipTo(Tok.CParen);
      break;
    }
    this.popNL();
    const end = close ? close.end : args.length ? args[args.length - 1].range.end : open.end;
    return { kind: 'FunctionCall', name, nameRange, args, expandFinal, range: this.r(start, end) };
  }

  private parseTuple(): Expr {
    const open = this.next();
    this.pushNL(true);
    if (this.isKeyword(this.peek(), 'for') && this.peekN(1).type === Tok.Ident) {
      const f = this.parseFor(open, false);
      this.popNL();
      return f;
    }
    const items: Expr[] = [];
    let close: Token | null = null;
    for (;;) {
      let t = this.peek();
      if (t.type === Tok.CBrack) {
        close = this.next();
        break;
      }
      const before = this.nerr;
      items.push(this.parseExpr());
      t = this.peek();
      if (t.type === Tok.Comma) {
        this.next();
        continue;
      }
      if (t.type === Tok.CBrack) {
        close = this.next();
        break;
      }
      if (this.nerr === before)
        this.err('Missing item separator', t.start, t.end, 'Expected a comma to mark the beginning of the next item.');
      close = this.skipTo(Tok.CBrack);
      break;
    }
    this.popNL();
    const end = close ? close.end : items.length ? items[items.length - 1].range.end : open.end;
    const tuple: TupleExpr = { kind: 'Tuple', items, range: this.r(open.start, end) };
    return tuple;
  }

  private parseObject(): Expr {
    const open = this.next();
    this.pushNL(true);
    if (this.isKeyword(this.peek(), 'for') && this.peekN(1).type === Tok.Ident) {
      const f = this.parseFor(open, true);
      this.popNL();
      return f;
    }
    this.popNL();
    this.pushNL(false); // newlines separate object items
    const toks = this.toks;
    const items: ObjectItem[] = [];
    let close: Token | null = null;
    for (;;) {
      while (toks[this.i].type === Tok.Newline) this.i++;
      const t = toks[this.i];
      if (t.type === Tok.CBrace) {
        close = t;
        this.i++;
        break;
      }
      if (t.type === Tok.EOF) {
        this.err('Unterminated object constructor', open.start, open.end, 'There is no closing brace for this object.');
        break;
      }
      const before = this.nerr;
      let key: Expr;
      let bareKey = false;
      const nt = toks[this.i + 1].type;
      if (t.type === Tok.Ident && (nt === Tok.Equal || nt === Tok.Colon)) {
        this.i++;
        key = { kind: 'Literal', value: this.text(t), range: this.r(t.start, t.end) };
        bareKey = true;
      } else key = this.parseExpr();
      const sep = toks[this.i];
      if (sep.type !== Tok.Equal && sep.type !== Tok.Colon) {
        if (this.nerr === before)
          this.err(
            'Missing key/value separator',
            sep.start,
            sep.end,
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
      const end = toks[this.i];
      if (end.type === Tok.Comma || end.type === Tok.Newline) {
        this.i++;
        continue;
      }
      if (end.type === Tok.CBrace) continue;
      if (this.nerr === before)
        this.err(
          'Missing attribute separator',
          end.start,
          end.end,
          'Expected a newline or comma to mark the beginning of the next attribute.',
        );
      close = this.skipTo(Tok.CBrace);
      break;
    }
    this.popNL();
    const end = close ? close.end : items.length ? items[items.length - 1].range.end : open.end;
    const obj: ObjectExpr = { kind: 'Object', items, range: this.r(open.start, end) };
    return obj;
  }

  /** `[for ...]` / `{for ...}`; the caller has consumed the bracket and set newline mode. */
  private parseFor(open: Token, isObject: boolean): Expr {
    const closeType = isObject ? Tok.CBrace : Tok.CBrack;
    this.next(); // for
    const fail = (t: Token, detail: string): Expr => {
      this.err("Invalid 'for' expression", t.start, t.end, detail);
      const close = this.skipTo(closeType);
      const end = close ? close.end : t.end;
      return {
        kind: 'For',
        valVar: '',
        coll: this.bad(t),
        valExpr: this.bad(t),
        grouping: false,
        isObject,
        range: this.r(open.start, end),
      };
    };
    let t = this.next();
    if (t.type !== Tok.Ident) return fail(t, "For expression requires variable name after 'for'.");
    let keyVar: string | undefined;
    let valVar = this.text(t);
    if (this.peek().type === Tok.Comma) {
      this.next();
      t = this.next();
      if (t.type !== Tok.Ident) return fail(t, 'For expression requires value variable name after comma.');
      keyVar = valVar;
      valVar = this.text(t);
    }
    t = this.next();
    if (!this.isKeyword(t, 'in')) return fail(t, "For expression requires the 'in' keyword after its name declarations.");
    const coll = this.parseExpr();
    t = this.peek();
    if (t.type !== Tok.Colon) return fail(t, 'For expression requires a colon after the collection expression.');
    this.next();
    let keyExpr: Expr | undefined;
    if (isObject) {
      keyExpr = this.parseExpr();
      t = this.peek();
      if (t.type !== Tok.FatArrow)
        return fail(t, 'Key expression in an object for expression must be followed by "=>" and the value expression.');
      this.next();
    }
    const valExpr = this.parseExpr();
    let grouping = false;
    if (isObject && this.peek().type === Tok.Ellipsis) {
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
    if (t.type === closeType) {
      this.next();
      end = t.end;
    } else {
      this.err("Invalid 'for' expression", t.start, t.end, "Extra characters after the end of the 'for' expression.");
      const close = this.skipTo(closeType);
      end = close ? close.end : t.start;
    }
    const f: ForExpr = { kind: 'For', valVar, coll, valExpr, grouping, isObject, range: this.r(open.start, end) };
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
      if (t.type === Tok.Dot) {
        const n = this.peekN(1);
        if (n.type === Tok.Ident) {
          this.next();
          this.next();
          e = this.addAttr(e, this.text(n), n);
        } else if (n.type === Tok.Number) {
          this.next();
          this.next();
          e = this.addLegacyIndex(e, n);
        } else if (n.type === Tok.Star) {
          this.next();
          this.next();
          e = this.parseAttrSplat(e, t, n);
        } else {
          this.next();
          this.err('Invalid attribute name', n.start, n.end, 'An attribute name is required after a dot.');
          return e;
        }
      } else if (t.type === Tok.OBrack) {
        const n = this.peekN(1);
        if (n.type === Tok.Star && this.peekN(2).type === Tok.CBrack) {
          this.next();
          this.next();
          const close = this.next();
          return this.parseFullSplat(e, t, close);
        }
        e = this.parseIndex(e);
      } else return e;
    }
  }

  private addAttr(e: Expr, name: string, nameTok: Token): Expr {
    const nameRange = this.r(nameTok.start, nameTok.end);
    if (e.kind === 'ScopeTraversal') {
      e.steps.push({ kind: 'attr', name, range: nameRange });
      e.range = this.r(e.range.start, nameTok.end);
      return e;
    }
    return { kind: 'GetAttr', object: e, name, nameRange, range: this.r(e.range.start, nameTok.end) };
  }

  private addLegacyIndex(e: Expr, n: Token): Expr {
    const txt = this.text(n);
    if (!/^[0-9]+$/.test(txt))
      this.err(
        'Invalid legacy index syntax',
        n.start,
        n.end,
        'When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [0][1].',
      );
    const key = parseInt(txt, 10);
    const range = this.r(n.start, n.end);
    if (e.kind === 'ScopeTraversal') {
      e.steps.push({ kind: 'index', key, range });
      e.range = this.r(e.range.start, n.end);
      return e;
    }
    return { kind: 'Index', collection: e, key: { kind: 'Literal', value: key, range }, range: this.r(e.range.start, n.end) };
  }

  private parseIndex(e: Expr): Expr {
    const open = this.next();
    this.pushNL(true);
    const key = this.parseExpr();
    let close = this.peek();
    if (close.type === Tok.CBrack) this.next();
    else {
      this.err('Missing close bracket on index', close.start, close.end, 'The index operator must end with a closing bracket ("]").');
      close = this.skipTo(Tok.CBrack) ?? close;
    }
    this.popNL();
    const end = close.type === Tok.CBrack ? close.end : key.range.end;
    if (e.kind === 'ScopeTraversal') {
      let lit: string | number | undefined;
      if (key.kind === 'Literal' && (typeof key.value === 'number' || typeof key.value === 'string')) lit = key.value;
      else if (key.kind === 'Template' && !key.heredoc && key.parts.every((p) => p.kind === 'Text'))
        lit = key.parts.map((p) => (p.kind === 'Text' ? p.value : '')).join('');
      if (lit !== undefined) {
        e.steps.push({ kind: 'index', key: lit, range: this.r(open.start, end) });
        e.range = this.r(e.range.start, end);
        return e;
      }
    }
    return { kind: 'Index', collection: e, key, range: this.r(e.range.start, end) };
  }

  /** `source[*]...`: every traversal step that follows applies to each element. */
  private parseFullSplat(source: Expr, open: Token, close: Token): Expr {
    const anon: Expr = { kind: 'AnonSymbol', range: this.r(open.start, close.end) };
    const each = this.parsePostfix(anon);
    return { kind: 'Splat', source, each, full: true, range: this.r(source.range.start, each.range.end) };
  }

  /** `source.*.a.b`: only attribute steps belong to the splat; an index applies to the result. */
  private parseAttrSplat(source: Expr, dot: Token, star: Token): Expr {
    let each: Expr = { kind: 'AnonSymbol', range: this.r(dot.start, star.end) };
    for (;;) {
      if (this.peek().type !== Tok.Dot) break;
      const n = this.peekN(1);
      if (n.type === Tok.Ident) {
        this.next();
        this.next();
        each = this.addAttr(each, this.text(n), n);
      } else if (n.type === Tok.Number) {
        this.next();
        this.next();
        each = this.addLegacyIndex(each, n);
      } else if (n.type === Tok.Star) {
        this.next();
        this.next();
        this.err(
          'Nested splat expression not allowed',
          n.start,
          n.end,
          'A splat expression (*) cannot be used inside another attribute-only splat expression.',
        );
      } else break;
    }
    return { kind: 'Splat', source, each, full: false, range: this.r(source.range.start, each.range.end) };
  }

  // ----------------------------------------------------------------------------- templates

  parseQuotedTemplate(): TemplateExpr {
    const open = this.toks[this.i++];
    const items = this.templateItems(Tok.CQuote, true);
    const close = this.toks[this.i];
    if (close.type === Tok.CQuote) this.i++;
    const parts = this.buildTemplate(items);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.r(open.end, open.end) });
    return { kind: 'Template', parts, range: this.r(open.start, close.end) };
  }

  private parseHeredoc(): TemplateExpr {
    const open = this.toks[this.i++];
    const flush = this.src.charCodeAt(open.start.byte - this.base + 2) === 45; // <<-
    const items = this.templateItems(Tok.CHeredoc, false);
    const close = this.toks[this.i];
    if (close.type === Tok.CHeredoc) this.i++;
    const parts = this.buildTemplate(items, flush);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.r(open.end, open.end) });
    return { kind: 'Template', parts, heredoc: true, range: this.r(open.start, close.end) };
  }

  parseBareTemplate(start: Pos): TemplateExpr {
    const items = this.templateItems(Tok.EOF, false);
    const eof = this.toks[this.toks.length - 1];
    const parts = this.buildTemplate(items);
    if (parts.length === 0) parts.push({ kind: 'Text', value: '', range: this.r(start, start) });
    return { kind: 'Template', parts, range: this.r(start, eof.end) };
  }

  /** Reads template tokens up to (not including) `closeType` into flat items. */
  private templateItems(closeType: TokType, quoted: boolean): FlatItem[] {
    const toks = this.toks;
    const items: FlatItem[] = [];
    for (;;) {
      const t = toks[this.i];
      if (t.type === closeType || t.type === Tok.EOF) return items;
      if (t.type === Tok.QuotedLit || t.type === Tok.StringLit) {
        this.i++;
        const raw = this.text(t);
        const value = quoted ? this.unescapeQuoted(raw, t.start) : unescapeTemplateOnly(raw);
        items.push({ k: F_TEXT, value, range: this.r(t.start, t.end), sl: false, sr: false });
        continue;
      }
      if (t.type === Tok.TemplateInterp || t.type === Tok.TemplateControl) {
        items.push(this.templateSequence(t));
        continue;
      }
      // Anything else means the template structure is broken; the scanner has reported it.
      this.i++;
    }
  }

  /** One `${ expr }` or `%{ directive }` sequence. */
  private templateSequence(open: Token): FlatItem {
    this.i++;
    const sl = open.end.byte - open.start.byte === 3; // ${~ / %{~
    this.pushNL(true);
    const before = this.nerr;
    let item: FlatItem;
    if (open.type === Tok.TemplateInterp) {
      const expr = this.parseExpr();
      item = { k: F_INTERP, expr, range: this.r(open.start, expr.range.end), sl, sr: false };
    } else {
      item = this.directive(open, sl);
    }
    const end = this.peek();
    if (end.type === Tok.TemplateSeqEnd) {
      this.next();
      item.sr = this.charAt(end.start) === 126; // ~}
      item.range = this.r(open.start, end.end);
    } else {
      if (this.nerr === before)
        this.err(
          open.type === Tok.TemplateInterp ? 'Extra characters after interpolation expression' : 'Extra characters in template directive',
          end.start,
          end.end,
          end.type === Tok.EOF || end.type === Tok.CQuote || end.type === Tok.CHeredoc
            ? 'Expected a closing brace to end the sequence, but the template ended first.'
            : 'Expected a closing brace to end the sequence, but found extra characters.',
        );
      const close = this.skipTo(Tok.TemplateSeqEnd);
      if (close) item.range = this.r(open.start, close.end);
    }
    this.popNL();
    return item;
  }

  private directive(open: Token, sl: boolean): FlatItem {
    const kw = this.peek();
    const name = kw.type === Tok.Ident ? this.text(kw) : '';
    const range = this.r(open.start, kw.end);
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
        if (t.type !== Tok.Ident) {
          this.err("Invalid 'for' directive", t.start, t.end, "For directive requires variable name after 'for'.");
          return { k: F_FOR, expr: this.bad(t), valVar, range, sl, sr: false };
        }
        valVar = this.text(t);
        if (this.peek().type === Tok.Comma) {
          this.next();
          t = this.next();
          if (t.type !== Tok.Ident) {
            this.err("Invalid 'for' directive", t.start, t.end, 'For directive requires value variable name after comma.');
            return { k: F_FOR, expr: this.bad(t), valVar, range, sl, sr: false };
          }
          keyVar = valVar;
          valVar = this.text(t);
        }
        t = this.next();
        if (!this.isKeyword(t, 'in')) {
          this.err("Invalid 'for' directive", t.start, t.end, "For directive requires 'in' keyword after names.");
          return { k: F_FOR, expr: this.bad(t), keyVar, valVar, range, sl, sr: false };
        }
        const coll = this.parseExpr();
        return { k: F_FOR, expr: coll, keyVar, valVar, range, sl, sr: false };
      }
      default:
        this.err(
          'Invalid template directive',
          kw.start,
          kw.end,
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

  /** Builds parts until an item of kind `stop1`/`stop2` (left unconsumed) or the end. */
  private nest(items: FlatItem[], pos: { j: number }, stopMask: number): TemplatePart[] {
    const parts: TemplatePart[] = [];
    while (pos.j < items.length) {
      const it = items[pos.j];
      if (stopMask & (1 << it.k)) return parts;
      pos.j++;
      switch (it.k) {
        case F_TEXT:
          if (it.value !== '') parts.push({ kind: 'Text', value: it.value!, range: it.range });
          break;
        case F_INTERP:
          parts.push({ kind: 'Interp', expr: it.expr!, stripLeft: it.sl, stripRight: it.sr, range: it.range });
          break;
        case F_IF: {
          const then = this.nest(items, pos, (1 << F_ELSE) | (1 << F_ENDIF) | (1 << F_ENDFOR));
          let els: TemplatePart[] | undefined;
          let end = items[pos.j];
          if (end && end.k === F_ELSE) {
            pos.j++;
            els = this.nest(items, pos, (1 << F_ELSE) | (1 << F_ENDIF) | (1 << F_ENDFOR));
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
          const body = this.nest(items, pos, (1 << F_ELSE) | (1 << F_ENDIF) | (1 << F_ENDFOR));
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
          // else/endif/endfor with no opening directive at this level
          if (stopMask === 0)
            this.err(
              'Unexpected template directive',
              it.range.start,
              it.range.end,
              `"%{ ${DIRECTIVE_NAMES[it.k]} }" has no matching opening directive.`,
            );
          else return parts;
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
              2,
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

function unescapeTemplateOnly(raw: string): string {
  if (raw.indexOf('$${') < 0 && raw.indexOf('%%{') < 0) return raw;
  return raw.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 11 || c === 12 || c === 13 || c === 0xa0 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

/**
 * `<<-` heredocs: find the smallest indentation over the lines (ignoring whitespace-only lines)
 * and remove that many characters from each line's start. Works on the literal text as written,
 * so interpolated values cannot change the chosen width. A line that starts with an interpolation
 * counts as unindented.
 */
function flushHeredoc(items: FlatItem[]): void {
  const starts: { j: number; off: number }[] = []; // line starts to trim: item index, offset
  let min = Infinity;
  let atLineStart = true;
  for (let j = 0; j < items.length; j++) {
    const it = items[j];
    if (it.k !== F_TEXT) {
      if (atLineStart) min = 0;
      atLineStart = false;
      continue;
    }
    const v = it.value!;
    let off = 0;
    while (off < v.length) {
      const nl = v.indexOf('\n', off);
      if (atLineStart) {
        let k = off;
        while (k < v.length && v.charCodeAt(k) !== 10 && isSpaceCode(v.charCodeAt(k))) k++;
        if (!(nl >= 0 && k === nl)) {
          if (k - off < min) min = k - off;
          starts.push({ j, off });
        }
      }
      atLineStart = nl >= 0;
      off = nl < 0 ? v.length : nl + 1;
    }
  }
  if (min === Infinity || min === 0) return;
  // Trim from the end backwards so earlier offsets in the same text stay valid.
  for (let s = starts.length - 1; s >= 0; s--) {
    const { j, off } = starts[s];
    const v = items[j].value!;
    items[j].value = v.slice(0, off) + v.slice(off + min);
  }
}

/** Strip markers: `${~` trims whitespace before the sequence, `~}` after it. */
function applyStripMarkers(items: FlatItem[]): void {
  for (let j = 0; j < items.length; j++) {
    const it = items[j];
    if (it.k !== F_TEXT) continue;
    if (j > 0 && items[j - 1].sr) it.value = it.value!.replace(/^\s+/, '');
    if (j + 1 < items.length && items[j + 1].sl) it.value = it.value!.replace(/\s+$/, '');
  }
}
