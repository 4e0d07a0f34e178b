// HCL JSON syntax (`*.hcl.json`), following Terraform's JSON configuration conventions.
//
// Hand-written JSON reader rather than JSON.parse: every value needs its source range so that
// diagnostics can point at file:line:col. JSON cannot tell a block from an attribute on its own,
// so bodies keep their raw properties (`Body.json`) and content.ts decides with a schema; this
// file also turns a JSON value into an expression (strings are templates: "${var.x}").

import type { Diagnostics, Pos, Range } from '../../diagnostics.js';
import type { Body, Expr, File, JsonValue, ObjectItem } from './ast.js';
import { parseExpression, parseTemplate } from './parser.js';

type JsonProp = { name: string; nameRange: Range; value: JsonValue };

/** Parses a `.hcl.json` file; its root must be an object. */
export function parseHCLJSON(source: string, filename: string, diags: Diagnostics): File {
  const r = new JsonReader(source, filename, diags);
  const value = r.parseDocument();
  if (value && value.kind !== 'jobject') {
    diags.error(
      'Root value must be object',
      value.range,
      'The root value in a JSON-based configuration must be a JSON object, whose properties are the top-level arguments and blocks.',
    );
  }
  const body =
    value && value.kind === 'jobject'
      ? jsonObjectAsBody(value, filename)
      : emptyBody(filename, value ? value.range : pointRange(filename, { line: 1, col: 1, byte: 0 }));
  return { filename, source, body };
}

/** A Body over a JSON object's properties (for nested blocks found in an attribute's value). */
export function jsonObjectAsBody(value: JsonValue, filename: string): Body {
  if (value.kind !== 'jobject') return emptyBody(filename, value.range);
  return { kind: 'Body', attributes: [], blocks: [], range: value.range, json: { props: value.props } };
}

/** A JSON body holding just the given properties (partialContent's `remain`). */
export function jsonBodyWithProps(range: Range, props: JsonProp[]): Body {
  return { kind: 'Body', attributes: [], blocks: [], range, json: { props } };
}

function emptyBody(filename: string, range: Range): Body {
  return { kind: 'Body', attributes: [], blocks: [], range: { ...range, file: filename }, json: { props: [] } };
}

function pointRange(file: string, p: Pos): Range {
  return { file, start: p, end: p };
}

/**
 * The expression a JSON value stands for in an attribute: strings are templates, arrays tuples,
 * objects object constructors (keys are templates too), other values literals.
 */
export function jsonValueToExpr(v: JsonValue, filename: string, diags: Diagnostics): Expr {
  switch (v.kind) {
    case 'jnull':
      return { kind: 'Literal', value: null, range: v.range };
    case 'jbool':
      return { kind: 'Literal', value: v.value, range: v.range };
    case 'jnumber':
      return { kind: 'Literal', value: v.value, range: v.range };
    case 'jstring':
      return jsonStringTemplate(v.value, v.range, filename, diags);
    case 'jarray':
      return { kind: 'Tuple', items: v.items.map((i) => jsonValueToExpr(i, filename, diags)), range: v.range };
    case 'jobject': {
      const items: ObjectItem[] = v.props.map((p) => {
        const key = jsonStringTemplate(p.name, p.nameRange, filename, diags);
        const value = jsonValueToExpr(p.value, filename, diags);
        return { key, value, range: { file: filename, start: p.nameRange.start, end: p.value.range.end } };
      });
      return { kind: 'Object', items, range: v.range };
    }
  }
}

/**
 * A JSON string holding an expression rather than a template (Terraform's JSON syntax does this
 * for e.g. `depends_on`, `provider`, variable `type`): "aws_instance.a" -> a traversal.
 */
export function jsonStringAsExpression(e: Expr, filename: string, diags: Diagnostics): Expr {
  if (e.kind !== 'Template' || !e.parts.every((p) => p.kind === 'Text')) return e;
  const text = e.parts.map((p) => (p.kind === 'Text' ? p.value : '')).join('');
  return parseExpression(text, filename, diags, contentStart(e.range));
}

function contentStart(r: Range): Pos {
  // the first character inside the quotes
  return { line: r.start.line, col: r.start.col + 1, byte: r.start.byte + 1 };
}

function jsonStringTemplate(value: string, range: Range, filename: string, diags: Diagnostics): Expr {
  // No `${` or `%{` (so no `$${`/`%%{` escapes either): a plain string.
  if (value.indexOf('${') < 0 && value.indexOf('%{') < 0) return { kind: 'Template', parts: [{ kind: 'Text', value, range }], range };
  // Positions inside the template are exact when the JSON string has no escapes, close otherwise.
  const t = parseTemplate(value, filename, diags, contentStart(range));
  t.range = range;
  return t;
}

// ------------------------------------------------------------------------------------ reader

class JsonSyntaxError extends Error {}

/** The single-character escapes of JSON strings and what they stand for. */
const JSON_ESCAPES = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

class JsonReader {
  private pos = 0;
  private line = 1;
  private lineStart = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly diags: Diagnostics,
  ) {
    if (src.charCodeAt(0) === 0xfeff) {
      this.pos = 1;
      this.lineStart = 1;
    }
  }

  private here(): Pos {
    return { line: this.line, col: this.pos - this.lineStart + 1, byte: this.pos };
  }

  private fail(summary: string, detail: string, start?: Pos, end?: Pos): never {
    const s = start ?? this.here();
    const e = end ?? { line: s.line, col: s.col + 1, byte: s.byte + 1 };
    this.diags.error(summary, { file: this.file, start: s, end: e }, detail);
    throw new JsonSyntaxError(summary);
  }

  parseDocument(): JsonValue | null {
    try {
      this.ws();
      if (this.pos >= this.src.length)
        this.fail('Empty JSON file', 'A JSON configuration file must contain an object.');
      const v = this.value();
      this.ws();
      if (this.pos < this.src.length)
        this.fail('Extraneous data after value', 'Extra characters appear after the JSON value.');
      return v;
    } catch (e) {
      if (e instanceof JsonSyntaxError) return null;
      throw e;
    }
  }

  private ws(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 13) this.pos++;
      else if (c === 10) {
        this.pos++;
        this.line++;
        this.lineStart = this.pos;
      } else return;
    }
  }

  private value(): JsonValue {
    const c = this.src.charCodeAt(this.pos);
    const start = this.here();
    switch (c) {
      case 123:
      case 91: {
        // Guards recursion: absurd nesting would overflow the stack.
        if (++this.depth > 1000) this.fail('Nesting too deep', 'JSON values may be nested at most 1000 levels deep.');
        const v = c === 123 ? this.object(start) : this.array(start);
        this.depth--;
        return v;
      }
      case 34: {
        const value = this.string();
        return { kind: 'jstring', value, range: this.range(start) };
      }
      case 116:
        return this.keyword('true', { kind: 'jbool', value: true, range: this.range(start) }, start);
      case 102:
        return this.keyword('false', { kind: 'jbool', value: false, range: this.range(start) }, start);
      case 110:
        return this.keyword('null', { kind: 'jnull', range: this.range(start) }, start);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.number(start);
        if (this.pos >= this.src.length) this.fail('Missing JSON value', 'The file ended where a JSON value was expected.');
        return this.fail('Invalid JSON value', 'Expected a JSON value: an object, array, string, number, true, false or null.');
    }
  }

  private range(start: Pos): Range {
    return { file: this.file, start, end: this.here() };
  }

  private keyword<T extends JsonValue>(word: string, v: T, start: Pos): T {
    if (!this.src.startsWith(word, this.pos)) this.fail('Invalid JSON keyword', `Expected "${word}"; JSON keywords are true, false and null.`);
    this.pos += word.length;
    v.range = this.range(start);
    return v;
  }

  private number(start: Pos): JsonValue {
    const src = this.src;
    let p = this.pos;
    if (src.charCodeAt(p) === 45) p++;
    const digits = (): void => {
      const s = p;
      while (src.charCodeAt(p) >= 48 && src.charCodeAt(p) <= 57) p++;
      if (p === s) {
        this.pos = p;
        this.fail('Invalid JSON number', 'A digit is expected here.');
      }
    };
    digits();
    if (src.charCodeAt(p) === 46) {
      p++;
      digits();
    }
    if (src.charCodeAt(p) === 101 || src.charCodeAt(p) === 69) {
      p++;
      if (src.charCodeAt(p) === 43 || src.charCodeAt(p) === 45) p++;
      digits();
    }
    const value = Number(src.slice(this.pos, p));
    this.pos = p;
    return { kind: 'jnumber', value, range: this.range(start) };
  }

  private string(): string {
    const src = this.src;
    const open = this.here();
    this.pos++; // "
    let out = '';
    let chunk = this.pos;
    for (;;) {
      if (this.pos >= src.length || src.charCodeAt(this.pos) === 10)
        this.fail('Unterminated JSON string', 'There is no closing quote for this string.', open);
      const c = src.charCodeAt(this.pos);
      if (c === 34) {
        out += src.slice(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c === 92) {
        out += src.slice(chunk, this.pos);
        const e = src[this.pos + 1];
        const decoded = JSON_ESCAPES.get(e);
        if (decoded !== undefined) {
          out += decoded;
          this.pos += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(this.pos + 2, this.pos + 6))) {
          out += String.fromCharCode(parseInt(src.slice(this.pos + 2, this.pos + 6), 16));
          this.pos += 6;
        } else this.fail('Invalid JSON escape sequence', `"\\${e ?? ''}" is not a valid escape sequence in a JSON string.`);
        chunk = this.pos;
        continue;
      }
      if (c < 32) this.fail('Invalid character in JSON string', 'Control characters must be escaped in JSON strings.');
      this.pos++;
    }
  }

  private object(start: Pos): JsonValue {
    const props: JsonProp[] = [];
    this.members(125, start, () => {
      if (this.src.charCodeAt(this.pos) !== 34)
        this.fail(
          'Invalid JSON object property name',
          this.src.charCodeAt(this.pos) === 125
            ? 'A trailing comma is not allowed in JSON: remove the comma before "}".'
            : 'A JSON object property name must be a quoted string.',
        );
      const ns = this.here();
      const name = this.string();
      const nameRange = this.range(ns);
      this.ws();
      if (this.src.charCodeAt(this.pos) !== 58)
        this.fail('Missing property value colon', 'A colon must appear between an object property\'s name and its value.');
      this.pos++;
      this.ws();
      props.push({ name, nameRange, value: this.value() });
    });
    return { kind: 'jobject', props, range: this.range(start) };
  }

  private array(start: Pos): JsonValue {
    const items: JsonValue[] = [];
    this.members(93, start, () => {
      if (this.src.charCodeAt(this.pos) === 93)
        this.fail('Invalid JSON array', 'A trailing comma is not allowed in JSON: remove the comma before "]".');
      items.push(this.value());
    });
    return { kind: 'jarray', items, range: this.range(start) };
  }

  /**
   * The members of the object or array opening at the current position, up to and including
   * its `close` char: `member` reads one (after whitespace); commas and errors are handled here.
   */
  private members(close: 125 | 93, start: Pos, member: () => void): void {
    const isObject = close === 125;
    this.pos++; // { or [
    this.ws();
    if (this.src.charCodeAt(this.pos) === close) {
      this.pos++;
      return;
    }
    for (;;) {
      this.ws();
      member();
      this.ws();
      const c = this.src.charCodeAt(this.pos);
      if (c === 44) {
        this.pos++;
        continue;
      }
      if (c === close) {
        this.pos++;
        return;
      }
      if (this.pos >= this.src.length) {
        if (isObject) this.fail('Unclosed JSON object', 'There is no closing brace for this object.', start);
        this.fail('Unclosed JSON array', 'There is no closing bracket for this array.', start);
      }
      if (isObject) this.fail('Missing property separator comma', 'A comma must appear between each property definition in an object.');
      this.fail('Missing array element separator', 'A comma must appear between each element of an array.');
    }
  }
}
