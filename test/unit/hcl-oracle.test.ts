// Oracle tests of the HCL parser and formatter against HashiCorp's own implementation:
// - every file under test/fixtures/hcl/valid is parsed by us and by @cdktf/hcl2json (HCL's Go
//   parser compiled to wasm); both are reduced to the same JSON shape (blocks nested by type and
//   labels, literal values, other expressions as "${source}") and must agree. hcl2-parser (a
//   GopherJS build of the same parser) must accept the file too.
// - every file under test/fixtures/hcl/invalid must be rejected by us (with a line number) and
//   by both oracles.
// - when `terraform` is on PATH, `terraform fmt -` of each valid file must equal formatHCL's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { parseHCL } from '../../engine/config/hcl/parser.js';
import { formatHCL } from '../../engine/config/hcl/format.js';
import type { Body, Expr, TemplatePart } from '../../engine/config/hcl/ast.js';
import { Diagnostics } from '../../engine/diagnostics.js';

const require = createRequire(import.meta.url);
const hcl2json = require('@cdktf/hcl2json') as { parse(file: string, src: string): Promise<Record<string, unknown>> };
const hcl2parser = require('hcl2-parser') as { parseToObject(src: string): [unknown, unknown] };

function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}
const FIXTURES = path.join(repoRoot(), 'test', 'fixtures', 'hcl');

function fixtures(kind: 'valid' | 'invalid'): { name: string; src: string }[] {
  const dir = path.join(FIXTURES, kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.hcl'))
    .sort()
    .map((name) => ({ name, src: fs.readFileSync(path.join(dir, name), 'utf8') }));
}

// ---------------------------------------------------------------- our tree -> oracle shape

type Shape = unknown;

/** Literal text as Terraform JSON writes it: template sequences are escaped. */
function escapeText(s: string): string {
  return s.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

// @cdktf/hcl2json writes a literal string in Terraform JSON form ("${" escaped as "$${");
// hcl2-parser writes its plain value.
let escapeLiterals = true;

function bodyShape(body: Body, src: string): Record<string, Shape> {
  const out: Record<string, Shape> = {};
  for (const a of body.attributes) out[a.name] = exprShape(a.expr, src);
  for (const b of body.blocks) {
    let node = out;
    let key = b.type;
    for (const l of b.labels) {
      node[key] ??= {};
      node = node[key] as Record<string, Shape>;
      key = l;
    }
    ((node[key] ??= []) as Shape[]).push(bodyShape(b.body, src));
  }
  return out;
}

function source(e: Expr, src: string): string {
  return src.slice(e.range.start.byte, e.range.end.byte);
}

function exprShape(e: Expr, src: string): Shape {
  switch (e.kind) {
    case 'Literal':
      return e.value;
    case 'Template':
      if (e.parts.every((p) => p.kind === 'Text')) {
        const text = e.parts.map((p) => (p.kind === 'Text' ? p.value : '')).join('');
        return escapeLiterals ? escapeText(text) : text;
      }
      return partsShape(e.parts, src);
    case 'Tuple':
      return e.items.map((i) => exprShape(i, src));
    case 'Object': {
      const o: Record<string, Shape> = {};
      for (const it of e.items) {
        let key: string;
        if (it.bareKey && it.key.kind === 'Literal') key = String(it.key.value);
        else if (it.key.kind === 'Template') key = partsShape(it.key.parts, src);
        else key = `\${${source(it.key, src)}}`;
        o[key] = exprShape(it.value, src);
      }
      return o;
    }
    default:
      return `\${${source(e, src)}}`;
  }
}

function partsShape(parts: TemplatePart[], src: string): string {
  let s = '';
  for (const p of parts) {
    switch (p.kind) {
      case 'Text':
        s += escapeText(p.value);
        break;
      case 'Interp':
        s += p.expr.kind === 'Template' ? partsShape(p.expr.parts, src) : `\${${source(p.expr, src)}}`;
        break;
      case 'If':
        s += `%{if ${source(p.cond, src)}}${partsShape(p.then, src)}`;
        if (p.else) s += `%{else}${partsShape(p.else, src)}`;
        s += '%{endif}';
        break;
      case 'For':
        s += `%{for ${p.keyVar !== undefined ? `${p.keyVar}, ` : ''}${p.valVar} in ${source(p.coll, src)}}${partsShape(p.body, src)}%{endfor}`;
        break;
    }
  }
  return s;
}

/** Sorts object keys so that comparison ignores order (the oracle's maps are unordered). */
function canonical(v: Shape): Shape {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const o: Record<string, Shape> = {};
    for (const k of Object.keys(v).sort()) o[k] = canonical((v as Record<string, Shape>)[k]);
    return o;
  }
  return v;
}

// ------------------------------------------------------------------------------- tests

const valid = fixtures('valid');
const invalid = fixtures('invalid');

test('the fixture corpus is large enough', () => {
  assert.ok(valid.length >= 15, `${valid.length} valid fixtures`);
  assert.ok(invalid.length >= 10, `${invalid.length} invalid fixtures`);
});

// hcl2-parser bundles an older HCL: it predates provider-defined functions (`provider::p::f()`).
const NEWER_THAN_HCL2_PARSER = new Set(['11-functions.hcl']);

test('valid files: our parse agrees with @cdktf/hcl2json and with hcl2-parser', async () => {
  const disagree: string[] = [];
  let agreeOld = 0;
  let checkedOld = 0;
  for (const { name, src } of valid) {
    const diags = new Diagnostics();
    const file = parseHCL(src, name, diags);
    assert.deepEqual(diags.list, [], `${name}: we report errors`);
    escapeLiterals = true;
    const ours = canonical(bodyShape(file.body, src));
    const theirs = canonical(await hcl2json.parse(name, src));
    try {
      assert.deepEqual(ours, theirs);
    } catch (e) {
      disagree.push(`${name}: ${(e as Error).message.slice(0, 2000)}`);
    }
    if (NEWER_THAN_HCL2_PARSER.has(name)) continue;
    checkedOld++;
    const [obj, err] = hcl2parser.parseToObject(src);
    assert.equal(err, null, `${name}: hcl2-parser rejects it`);
    escapeLiterals = false;
    try {
      assert.deepEqual(canonical(bodyShape(file.body, src)), canonical(obj));
      agreeOld++;
    } catch (e) {
      disagree.push(`${name} (hcl2-parser): ${(e as Error).message.slice(0, 2000)}`);
    }
  }
  const agree = valid.length - disagree.filter((d) => !d.includes('(hcl2-parser)')).length;
  console.log(`# hcl oracle: ${agree} of ${valid.length} valid files agree with @cdktf/hcl2json`);
  console.log(`# hcl oracle: ${agreeOld} of ${checkedOld} valid files agree with hcl2-parser`);
  assert.deepEqual(disagree, []);
});

test('invalid files: we and both oracles reject them, and we say where', async () => {
  for (const { name, src } of invalid) {
    const diags = new Diagnostics();
    parseHCL(src, name, diags);
    assert.ok(diags.hasErrors, `${name}: we accept it`);
    for (const d of diags.errors) {
      assert.ok(d.range && d.range.start.line >= 1 && d.range.start.col >= 1, `${name}: "${d.summary}" has no position`);
      assert.equal(d.range!.file, name);
    }
    await assert.rejects(hcl2json.parse(name, src), `${name}: @cdktf/hcl2json accepts it`);
    const [, err] = hcl2parser.parseToObject(src);
    assert.notEqual(err, null, `${name}: hcl2-parser accepts it`);
  }
  console.log(`# hcl oracle: ${invalid.length} of ${invalid.length} invalid files rejected by us and by both oracles`);
});

test('invalid files: the first error is on the line the fixture names', () => {
  // Each invalid fixture starts with "# error: <line>: <summary>".
  for (const { name, src } of invalid) {
    const m = /^# error: (\d+): (.+)$/m.exec(src);
    assert.ok(m, `${name} has no "# error: <line>: <summary>" header`);
    const diags = new Diagnostics();
    parseHCL(src, name, diags);
    const first = diags.errors[0];
    assert.equal(first.summary, m[2], `${name}: first error`);
    assert.equal(first.range!.start.line, Number(m[1]), `${name}: line of "${first.summary}"`);
  }
});

const terraform = spawnSync('terraform', ['version'], { stdio: 'ignore' }).status === 0;

test('formatHCL matches `terraform fmt` on every valid file', { skip: terraform ? false : 'terraform is not on PATH' }, () => {
  let same = 0;
  const diffs: string[] = [];
  for (const { name, src } of valid) {
    const want = execFileSync('terraform', ['fmt', '-'], {
      input: src,
      env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' },
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString();
    const got = formatHCL(src, name);
    assert.equal(got.diags.hasErrors, false, name);
    if (got.output === want) same++;
    else diffs.push(`${name}:\n--- terraform\n${want}\n--- ours\n${got.output}`);
    assert.equal(formatHCL(got.output, name).output, got.output, `${name}: formatting is not idempotent`);
  }
  console.log(`# hcl oracle: formatHCL equals terraform fmt on ${same} of ${valid.length} files`);
  assert.deepEqual(diffs, []);
});
