// Body content: checks a body (native or JSON syntax) against a schema of expected arguments and
// block types, and hands back what it found. This is where "Unsupported argument", "Missing
// required argument", wrong label counts and duplicate arguments are reported. For JSON bodies
// it is also where a property becomes either an attribute or blocks, since only the schema
// knows which one a property name means.

import { type Diagnostics, type Range, nearestName } from '../../diagnostics.js';
import type { Attribute, Block, Body, JsonValue } from './ast.js';
import { jsonBodyWithProps, jsonObjectAsBody, jsonValueToExpr } from './json.js';

export interface BlockHeaderSchema {
  type: string;
  labelNames: string[];
}

/** Treated as immutable once it has been used: its lookup tables are built once and cached. */
export interface BodySchema {
  attributes: { name: string; required?: boolean }[];
  blocks: BlockHeaderSchema[];
}

interface SchemaIndex {
  attrNames: Set<string>;
  blockTypes: Map<string, BlockHeaderSchema>;
}

// Every resource block is decoded with the same few schemas: index each one once, not per body.
const schemaIndexes = new WeakMap<BodySchema, SchemaIndex>();

function indexSchema(schema: BodySchema): SchemaIndex {
  let ix = schemaIndexes.get(schema);
  if (!ix) {
    ix = { attrNames: new Set(schema.attributes.map((a) => a.name)), blockTypes: new Map(schema.blocks.map((b) => [b.type, b])) };
    schemaIndexes.set(schema, ix);
  }
  return ix;
}

export interface BodyContent {
  attributes: Map<string, Attribute>;
  blocks: Block[];
}

/** Everything in the body must be named by the schema. */
export function bodyContent(body: Body, schema: BodySchema, diags: Diagnostics): BodyContent {
  return decode(body, schema, diags, null);
}

/** Takes what the schema names; everything else is left, unchecked, in `remain`. */
export function partialContent(body: Body, schema: BodySchema, diags: Diagnostics): BodyContent & { remain: Body } {
  const remain: Body = body.json
    ? jsonBodyWithProps(body.range, [])
    : { kind: 'Body', attributes: [], blocks: [], range: body.range };
  const { attributes, blocks } = decode(body, schema, diags, remain);
  return { attributes, blocks, remain };
}

/** Every item is an argument (`locals`, provider-free maps); blocks are errors. */
export function justAttributes(body: Body, diags: Diagnostics): Map<string, Attribute> {
  const out = new Map<string, Attribute>();
  if (body.json) {
    for (const p of body.json.props) {
      if (p.name === '//') continue;
      addAttr(out, jsonAttribute(p, body.range.file, diags), diags);
    }
    return out;
  }
  for (const a of body.attributes) addAttr(out, a, diags);
  for (const b of body.blocks)
    diags.error(
      `Unexpected "${b.type}" block`,
      b.typeRange,
      'Blocks are not allowed here; only arguments (name = value) may appear in this body.',
    );
  return out;
}

function addAttr(into: Map<string, Attribute>, a: Attribute, diags: Diagnostics): void {
  const prev = into.get(a.name);
  if (prev) {
    const at = `${prev.nameRange.file}:${prev.nameRange.start.line},${prev.nameRange.start.col}`;
    diags.error(
      'Duplicate argument',
      a.nameRange,
      `The argument "${a.name}" was already set at ${at}. Each argument may be set only once.`,
    );
    return;
  }
  into.set(a.name, a);
}

/** Decodes `body`; what the schema does not name is an error, or with `remain`, is moved there. */
function decode(body: Body, schema: BodySchema, diags: Diagnostics, remain: Body | null): BodyContent {
  const { attrNames, blockTypes } = indexSchema(schema);
  const attributes = new Map<string, Attribute>();
  const blocks: Block[] = [];

  if (body.json) {
    const file = body.range.file;
    for (const p of body.json.props) {
      if (p.name === '//') continue;
      const hdr = blockTypes.get(p.name);
      if (hdr) {
        jsonBlocks(p.value, hdr, p.nameRange, [], [], file, blocks, diags);
        continue;
      }
      if (attrNames.has(p.name)) {
        addAttr(attributes, jsonAttribute(p, file, diags), diags);
        continue;
      }
      if (remain) {
        remain.json!.props.push(p);
        continue;
      }
      // JSON can't tell an argument from a block here, so the nearest name may be either.
      const suggestion = nearestName(p.name, [...attrNames, ...blockTypes.keys()]);
      diags.error(
        'Unsupported argument',
        p.nameRange,
        `An argument or block named "${p.name}" is not expected here.`,
        suggestion,
      );
    }
  } else {
    for (const a of body.attributes) {
      if (attrNames.has(a.name)) {
        addAttr(attributes, a, diags);
        continue;
      }
      if (remain) {
        remain.attributes.push(a);
        continue;
      }
      let detail = `An argument named "${a.name}" is not expected here.`;
      if (blockTypes.has(a.name)) detail += ` Did you mean to define a block of type "${a.name}"?`;
      diags.error('Unsupported argument', a.nameRange, detail, blockTypes.has(a.name) ? undefined : nearestName(a.name, attrNames));
    }
    for (const b of body.blocks) {
      const hdr = blockTypes.get(b.type);
      if (hdr) {
        if (checkLabels(b, hdr, diags)) blocks.push(b);
        continue;
      }
      if (remain) {
        remain.blocks.push(b);
        continue;
      }
      let detail = `Blocks of type "${b.type}" are not expected here.`;
      if (attrNames.has(b.type))
        detail += ` Did you mean to define argument "${b.type}"? If so, use the equals sign to assign it a value.`;
      diags.error('Unsupported block type', b.typeRange, detail, attrNames.has(b.type) ? undefined : nearestName(b.type, blockTypes.keys()));
    }
  }

  for (const a of schema.attributes) {
    if (a.required && !attributes.has(a.name))
      diags.error(
        'Missing required argument',
        missingItemRange(body),
        `The argument "${a.name}" is required, but no definition was found.`,
      );
  }
  return { attributes, blocks };
}

/** Where to point when something is missing from a body: its opening brace (or file start). */
function missingItemRange(body: Body): Range {
  const s = body.range.start;
  if (s.byte === 0 && s.line === 1 && s.col === 1 && !body.json) return { file: body.range.file, start: s, end: s };
  return { file: body.range.file, start: s, end: { line: s.line, col: s.col + 1, byte: s.byte + 1 } };
}

function labelList(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}

function checkLabels(b: Block, hdr: BlockHeaderSchema, diags: Diagnostics): boolean {
  const want = hdr.labelNames.length;
  const got = b.labels.length;
  if (got < want) {
    const missing = hdr.labelNames[got];
    diags.error(
      `Missing ${missing} for ${b.type}`,
      b.openBraceRange ?? b.typeRange,
      `All ${b.type} blocks must have ${want} label${want === 1 ? '' : 's'} (${labelList(hdr.labelNames)}).`,
    );
    return false;
  }
  if (got > want) {
    diags.error(
      `Extraneous label for ${b.type}`,
      b.labelRanges[want],
      want === 0
        ? `No labels are expected for ${b.type} blocks.`
        : `Only ${want} label${want === 1 ? '' : 's'} (${labelList(hdr.labelNames)}) ${want === 1 ? 'is' : 'are'} expected for ${b.type} blocks.`,
    );
    return false;
  }
  return true;
}

function jsonAttribute(p: { name: string; nameRange: Range; value: JsonValue }, file: string, diags: Diagnostics): Attribute {
  return {
    kind: 'Attribute',
    name: p.name,
    nameRange: p.nameRange,
    expr: jsonValueToExpr(p.value, file, diags),
    range: { file, start: p.nameRange.start, end: p.value.range.end },
  };
}

/**
 * Expands a JSON property named as a block type: each label is one object level, the object at
 * the last level is the block body; an array at any level means several blocks.
 */
function jsonBlocks(
  v: JsonValue,
  hdr: BlockHeaderSchema,
  typeRange: Range,
  labels: string[],
  labelRanges: Range[],
  file: string,
  out: Block[],
  diags: Diagnostics,
): void {
  if (v.kind === 'jarray') {
    for (const item of v.items) jsonBlocks(item, hdr, typeRange, labels, labelRanges, file, out, diags);
    return;
  }
  if (v.kind === 'jnull') return; // an explicit null means no blocks of this type
  const depth = labels.length;
  if (v.kind !== 'jobject') {
    const what =
      depth < hdr.labelNames.length ? `whose properties are the ${hdr.labelNames[depth]}s` : 'holding the block body';
    diags.error(
      'Incorrect JSON value type',
      v.range,
      `A JSON object ${what} is required here, for a "${hdr.type}" block.`,
    );
    return;
  }
  if (depth === hdr.labelNames.length) {
    out.push({
      kind: 'Block',
      type: hdr.type,
      typeRange,
      labels,
      labelRanges,
      body: jsonObjectAsBody(v, file),
      range: { file, start: (labelRanges.length ? labelRanges[labelRanges.length - 1] : typeRange).start, end: v.range.end },
      openBraceRange: { file, start: v.range.start, end: { line: v.range.start.line, col: v.range.start.col + 1, byte: v.range.start.byte + 1 } },
    });
    return;
  }
  for (const p of v.props) {
    if (p.name === '//') continue;
    jsonBlocks(p.value, hdr, typeRange, [...labels, p.name], [...labelRanges, p.nameRange], file, out, diags);
  }
}
