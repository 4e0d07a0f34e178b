// The HCL syntax tree. Both syntaxes (native `.hcl`/`.tf`-style and `.hcl.json`) produce it, and
// every node carries the source range it came from, so every later diagnostic can point at text.

import type { Range } from '../../diagnostics.js';

export interface File {
  filename: string;
  source: string;
  body: Body;
}

export interface Body {
  kind: 'Body';
  attributes: Attribute[]; // in source order
  blocks: Block[]; // in source order
  range: Range;
  /** HCL JSON bodies can't tell attributes from blocks until a schema says which it is. */
  json?: JsonBodyInfo;
}

/** For bodies read from JSON: the raw properties, so the loader can reinterpret them as blocks. */
export interface JsonBodyInfo {
  // property name -> the JSON value node (see JsonValue) and its name's range
  props: { name: string; nameRange: Range; value: JsonValue }[];
}

export type JsonValue =
  | { kind: 'jnull'; range: Range }
  | { kind: 'jbool'; value: boolean; range: Range }
  | { kind: 'jnumber'; value: number; range: Range }
  | { kind: 'jstring'; value: string; range: Range }
  | { kind: 'jarray'; items: JsonValue[]; range: Range }
  | { kind: 'jobject'; props: { name: string; nameRange: Range; value: JsonValue }[]; range: Range };

export interface Attribute {
  kind: 'Attribute';
  name: string;
  nameRange: Range;
  expr: Expr;
  range: Range; // whole `name = expr`
}

export interface Block {
  kind: 'Block';
  type: string;
  typeRange: Range;
  labels: string[];
  labelRanges: Range[];
  body: Body;
  range: Range; // from the type to the closing brace
  openBraceRange?: Range;
}

// ---------------------------------------------------------------------------------- expressions

export type Expr =
  | LiteralExpr
  | TemplateExpr
  | ScopeTraversalExpr
  | GetAttrExpr
  | IndexExpr
  | SplatExpr
  | AnonSymbolExpr
  | FunctionCallExpr
  | ConditionalExpr
  | BinaryExpr
  | UnaryExpr
  | TupleExpr
  | ObjectExpr
  | ForExpr
  | ParenExpr;

export interface LiteralExpr {
  kind: 'Literal';
  value: null | boolean | number | string;
  range: Range;
}

/**
 * A quoted string or heredoc. `parts` alternate literal text and interpolations/directives.
 * A template that is exactly one interpolation and nothing else ("${x}") yields x's value
 * unconverted (HCL's "template wrap"): the evaluator checks `parts.length === 1 && kind === 'Interp'`.
 */
export interface TemplateExpr {
  kind: 'Template';
  parts: TemplatePart[];
  heredoc?: boolean;
  range: Range;
}

export type TemplatePart =
  | { kind: 'Text'; value: string; range: Range }
  | { kind: 'Interp'; expr: Expr; stripLeft: boolean; stripRight: boolean; range: Range }
  | {
      kind: 'If';
      cond: Expr;
      then: TemplatePart[];
      else?: TemplatePart[];
      range: Range;
    }
  | {
      kind: 'For';
      keyVar?: string;
      valVar: string;
      coll: Expr;
      body: TemplatePart[];
      range: Range;
    };

/** A traversal rooted at a variable-like name: `var.x`, `aws_instance.a[0].id`, `each.key`. */
export interface ScopeTraversalExpr {
  kind: 'ScopeTraversal';
  root: string;
  rootRange: Range;
  steps: TraversalStep[]; // only attribute names and literal keys; dynamic keys become IndexExpr
  range: Range;
}

export type TraversalStep =
  | { kind: 'attr'; name: string; range: Range }
  | { kind: 'index'; key: string | number; range: Range };

export interface GetAttrExpr {
  kind: 'GetAttr';
  object: Expr;
  name: string;
  nameRange: Range;
  range: Range;
}

export interface IndexExpr {
  kind: 'Index';
  collection: Expr;
  key: Expr;
  range: Range;
}

/**
 * `source[*].each` (full splat) or `source.*.each` (attribute-only splat). `each` is an
 * expression over the AnonSymbol, evaluated once per element.
 */
export interface SplatExpr {
  kind: 'Splat';
  source: Expr;
  each: Expr;
  full: boolean;
  range: Range;
}

export interface AnonSymbolExpr {
  kind: 'AnonSymbol';
  range: Range;
}

export interface FunctionCallExpr {
  kind: 'FunctionCall';
  name: string;
  nameRange: Range;
  args: Expr[];
  expandFinal: boolean; // f(a, b...)
  range: Range;
}

export interface ConditionalExpr {
  kind: 'Conditional';
  cond: Expr;
  then: Expr;
  else: Expr;
  range: Range;
}

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface BinaryExpr {
  kind: 'Binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  opRange: Range;
  range: Range;
}

export interface UnaryExpr {
  kind: 'Unary';
  op: '!' | '-';
  operand: Expr;
  range: Range;
}

export interface TupleExpr {
  kind: 'Tuple';
  items: Expr[];
  range: Range;
}

export interface ObjectItem {
  key: Expr; // a bare identifier key is a LiteralExpr string with `bareKey` set on the item
  bareKey?: boolean;
  value: Expr;
  range: Range;
}

export interface ObjectExpr {
  kind: 'Object';
  items: ObjectItem[];
  range: Range;
}

export interface ForExpr {
  kind: 'For';
  keyVar?: string;
  valVar: string;
  coll: Expr;
  keyExpr?: Expr; // present for object `for` ({for k, v in x : k => v})
  valExpr: Expr;
  cond?: Expr;
  grouping: boolean; // `...` after the value in an object for
  isObject: boolean;
  range: Range;
}

export interface ParenExpr {
  kind: 'Paren';
  expr: Expr;
  range: Range;
}
