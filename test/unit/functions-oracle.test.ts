// Oracle test: the same calls evaluated by a real `terraform` (outputs only, no providers) and by
// our library must give the same values. Skipped when terraform is not on PATH.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Value } from '../../engine/lang/value.js';
import { call, makeContext, makeFixtureTree } from './functions-harness.js';

type Call = [name: string, ...args: Value[]];

// Literal calls whose results are deterministic and non-null (terraform drops null outputs).
const CALLS: Call[] = [
  ['chomp', 'a\n\r\n'],
  ['format', '%5s|%-5s|%05d|%.2f|%x|%o|%b|%e|%g', 'a', 'b', 42, 3.14159, 255, 8, 5, 1234.5, 0.000012],
  ['format', '%v|%v|%v|%#v|%q', 1000000, 0.0001, ['a', 1, true], { b: 1, a: 'x' }, 'é<>'],
  ['format', '%.0f|%.1f|%.2f|%+d|%8.3f|%[1]s', 2.5, 0.25, 1.005, 5, 3.14159],
  ['formatlist', '%s=%d', ['a', 'b'], [1, 2]],
  ['indent', 2, 'a\nb\n'],
  ['join', '-', ['a', 'b'], ['c']],
  ['lower', 'ÀBC'],
  ['upper', 'straße'],
  ['title', 'hello wORLD foo_bar x-y'],
  ['regex', '(?P<x>\\d+)-(?P<y>\\d+)', 'a12-34b'],
  ['regexall', '(\\d)(x)?', 'a1b2x'],
  ['regexall', 'a*', 'baaac'],
  ['replace', 'hello world', '/(o)/', '[$1]'],
  ['replace', 'baaac', '/a*/', '-'],
  ['replace', 'abc', '', '-'],
  ['split', '', 'abc'],
  ['strrev', 'héllo👍🏽'],
  ['substr', 'hello world', -5, -1],
  ['substr', 'hello', -10, 2],
  ['trim', '?!hello?!', '!?'],
  ['trimspace', '  \n a b \t '],
  ['trimprefix', 'foobar', 'foo'],
  ['trimsuffix', 'foobar', 'bar'],
  ['startswith', 'hello', 'he'],
  ['endswith', 'hello', 'he'],
  ['strcontains', 'hello', 'll'],
  ['alltrue', [true, 'true']],
  ['anytrue', [false, null]],
  ['chunklist', [1, 2, 3, 4, 5], 2],
  ['coalesce', '', 'b'],
  ['coalesce', 1, 'a'],
  ['coalescelist', [], [1]],
  ['compact', ['a', '', null, 'b']],
  ['concat', [1], ['a'], []],
  ['contains', [1, 2], '1'],
  ['distinct', [1, 2, 1, '1']],
  ['element', [1, 2, 3], 4],
  ['flatten', [[1, [2, []]], 3, [[['a']]]]],
  ['index', ['a', 'b'], 'b'],
  ['keys', { b: 1, a: 2, B: 3, '10': 1, '9': 1 }],
  ['length', 'héllo👍🏽'],
  ['lookup', { a: 'x' }, 'b', 'd'],
  ['matchkeys', ['a', 'b', 'c'], ['x', 'y', 'z'], ['z', 'x']],
  ['merge', { a: 1 }, { b: 2 }, null, { a: 3 }],
  ['range', 5, 1, -2],
  ['range', 0.5, 3],
  ['reverse', [1, 'a']],
  ['setintersection', ['a', 'b'], ['b', 'c']],
  ['setproduct', ['a', 'b'], [1, 2]],
  ['setsubtract', [1, 2, 3], [2]],
  ['setunion', [3, 1], [2, '1']],
  ['slice', [1, 2, 3, 4], 1, 3],
  ['sort', ['b', 'a', '10', '9']],
  ['sum', [1, 2.5, '3']],
  ['transpose', { a: ['1', '2'], b: ['2', '3'] }],
  ['values', { b: 2, a: 1 }],
  ['zipmap', ['a', 'b'], [1, 2]],
  ['abs', -1.5],
  ['ceil', 1.2],
  ['floor', -1.2],
  ['log', 8, 2],
  ['max', 1, 5, '3'],
  ['min', 3, 2],
  ['parseint', 'Zz', 62],
  ['parseint', '-101', 2],
  ['pow', 2, 10],
  ['signum', -3],
  ['tobool', 'true'],
  ['tobool', '1'],
  ['alltrue', ['1', true]],
  ['tonumber', '1.5e3'],
  ['tostring', 1.5],
  ['tolist', ['a', 1]],
  ['tomap', { a: 1, b: 'x' }],
  ['toset', [3, 1, 3, 2]],
  ['base64decode', 'aGVsbG8='],
  ['base64encode', 'héllo'],
  ['csvdecode', 'a,"b c"\n"x,y","q""r"\n'],
  ['jsondecode', '{"a":[1,2.5,null,true],"b":{}}'],
  ['jsonencode', [1.5, 1e21, 1e-7, 'a\u2028&<', null, true, { b: 1, a: [] }]],
  ['textencodebase64', 'hé', 'UTF-16LE'],
  ['textdecodebase64', '6Q==', 'windows-1252'],
  ['urlencode', 'a b&c=d/é~_-.*'],
  ['yamldecode', 'a: 1\nb: [x, 2.5, true, null, yes, 0x10]\nc: {d: e}'],
  ['yamlencode', { a: 'x\ny\n\n', b: ' lead\nx', c: [[1, 2], {}, [], 'x', 1.5, true, null], d: { e: [{ f: 1, g: [] }] } }],
  ['yamlencode', 'a very long string a very long string a very long string a very long string a very long string'],
  ['yamlencode', { k: 'a  very long string a very long string a very long string a very long string a very long  string', 'a\nb': 1 }],
  ['yamlencode', ['é\t\u0001', '\u0085\u00a0\u2028\ufeff😀', 'x \ny', 'x\n y', '\n', '']],
  ['yamlencode', 1e21],
  ['basename', '/a/b/'],
  ['dirname', 'a//b/../c'],
  ['file', 'fs/a.txt'],
  ['filebase64', 'fs/bin.dat'],
  ['fileexists', 'fs/a.txt'],
  ['fileset', 'fs', '**'],
  ['fileset', 'fs', '{a,b}.txt'],
  ['fileset', 'fs', 'sub/[a-c].*'],
  ['fileset', 'fs/sub', '**/*.md'],
  ['templatefile', 'fs/t.tpl', { name: 'w' }],
  ['filemd5', 'fs/a.txt'],
  ['filesha1', 'fs/a.txt'],
  ['filesha256', 'fs/a.txt'],
  ['filesha512', 'fs/a.txt'],
  ['filebase64sha256', 'fs/a.txt'],
  ['filebase64sha512', 'fs/a.txt'],
  ['md5', 'hello'],
  ['sha1', 'hello'],
  ['sha256', 'hello'],
  ['sha512', 'hello'],
  ['base64sha256', 'hello'],
  ['base64sha512', 'hello'],
  ['uuidv5', 'dns', 'example.com'],
  ['uuidv5', '{6ba7b811-9dad-11d1-80b4-00c04fd430c8}', 'x'],
  ['cidrhost', '10.12.112.0/20', 268],
  ['cidrhost', '10.12.112.0/20', -1],
  ['cidrhost', 'fd00:fd12:3456:7890::/56', 16],
  ['cidrhost', '::/0', -1],
  ['cidrnetmask', '172.16.0.0/12'],
  ['cidrsubnet', '10.1.2.0/24', 4, 15],
  ['cidrsubnet', 'fd00:fd12:3456:7890::/56', 16, 162],
  ['cidrsubnet', '::/0', 64, 1],
  ['cidrsubnets', '10.1.0.0/16', 4, 4, 8, 4],
  ['cidrsubnets', 'fd00:fd12:3456:7890::/56', 16, 16, 16, 32],
  ['formatdate', 'EEEE, DD-MMM-YY hh:mm:ss ZZZ', '2018-01-02T23:12:01-08:00'],
  ['formatdate', "HH:mm AA aa h H M D YY Z ZZZZ ZZZZZ 'lit' ''", '2018-01-02T03:04:05+05:30'],
  ['timeadd', '2017-11-22T00:00:00.5+01:00', '-1.5h'],
  ['timeadd', '2017-11-22T00:00:00Z', '1h30m10s500ms'],
  ['timecmp', '2017-11-22T00:00:00Z', '2017-11-22T01:00:00+01:00'],
  ['title', "don't stop ǆemal"],
  ['lower', 'İSTANBUL'],
  ['format', '%v|%s|%d', [1e21, 0.1], 1e-7, 1e20],
  ['format', '%g|%G|%.3g|%10.4f|%-10.2e|', 123456789, 1e-10, 0.000123456, -3.14159, 6.02e23],
  ['regex', '^(?:[a-z]+)\\.(\\w+)$', 'file.txt'],
  ['regexall', '[[:upper:]][[:lower:]]*', 'HelloWorld Foo'],
  ['replace', 'a.b.c', '.', '-'],
  ['replace', 'x1y22z', '/\\d+/', '<$0>'],
  ['tolist', [[1], ['a']]],
  ['tolist', [[1, true], ['a']]],
  ['tomap', { a: [1], b: ['x', true] }],
  ['toset', ['b', 'a', 'b']],
  ['setunion', [1], ['a', true]],
  ['jsonencode', { 'é': '\u0000\b\f', z: [0.5, -0] }],
  ['yamlencode', { list: [{ a: 'x\ny', b: [[]] }], 'quoted "key"': 'v' }],
  ['yamldecode', '- 2001-12-14\n- !!str 5\n- 010\n- 0o10\n- ~'],
  ['cidrsubnets', '10.0.0.0/8', 1, 1],
  ['cidrhost', '2001:db8:0:0:1::/96', 0],
  ['formatdate', 'MMMM EEEE H AA', '2024-02-29T00:30:00Z'],
  ['timeadd', '2018-01-02T03:04:05.999999999Z', '1ns'],
  ['textencodebase64', '日本', 'Shift_JIS'],
  ['textencodebase64', 'x', 'UTF-16'],
  ['csvdecode', 'a,b\r\n1,2\r\n\r\n3,4'],
];

function hclString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  // Template sequences are literal text in our calls.
  return out.replaceAll('${', '$${').replaceAll('%{', '%%{') + '"';
}

function hcl(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return hclString(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[' + v.map(hcl).join(', ') + ']';
  return '{' + Object.entries(v).map(([k, x]) => `${hclString(k)} = ${hcl(x as Value)}`).join(', ') + '}';
}

function terraformAvailable(): boolean {
  const r = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

test('built-in functions agree with terraform', { skip: !terraformAvailable() && 'terraform is not on PATH' }, () => {
  const dir = makeFixtureTree('poolform-fn-oracle-');
  try {
    writeFileSync(join(dir, 'main.tf'), CALLS.map(([fn, ...args], i) => `output "o${i}" {\n  value = ${fn}(${args.map(hcl).join(', ')})\n}\n`).join(''));
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };
    const run = (...args: string[]) => {
      const r = spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      assert.equal(r.status, 0, `terraform ${args.join(' ')} failed:\n${r.stderr}\n${r.stdout}`);
      return r.stdout;
    };
    run('init', '-input=false', '-no-color');
    run('apply', '-auto-approve', '-input=false', '-no-color');
    const outputs = JSON.parse(run('output', '-json')) as Record<string, { value: unknown }>;
    const ctx = makeContext(dir);
    const mismatches: string[] = [];
    CALLS.forEach(([fn, ...args], i) => {
      const expected = outputs[`o${i}`]?.value;
      let actual: unknown;
      try {
        actual = JSON.parse(JSON.stringify(call(fn, args, ctx)));
      } catch (e) {
        actual = `ERROR ${(e as Error).message}`;
      }
      try {
        assert.deepStrictEqual(actual, expected);
      } catch {
        mismatches.push(`${fn}(${args.map(hcl).join(', ')}):\n  terraform: ${JSON.stringify(expected)}\n  poolform:  ${JSON.stringify(actual)}`);
      }
    });
    assert.deepStrictEqual(mismatches, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
