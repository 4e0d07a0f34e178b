// Filesystem functions against a fixture tree in a temporary directory; errors as Terraform
// 1.11 words them (paths are shown as given).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { call, failed, invalid, makeContext, makeFixtureTree, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';
import type { FunctionContext } from '../../engine/lang/functions/types.js';

let dir = '';
let ctx: FunctionContext;

before(() => {
  dir = makeFixtureTree('poolform-fn-fs-');
  ctx = makeContext(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const NO_FILE = (p: string) =>
  `no file exists at "${p}"; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource.`;

const cases: Case[] = [
  ['basename', ['/a/b/'], 'b'],
  ['basename', ['a/b.txt'], 'b.txt'],
  ['basename', [''], '.'],
  ['basename', ['/'], '/'],
  ['dirname', ['a'], '.'],
  ['dirname', ['/a/b/'], '/a/b'],
  ['dirname', ['a//b/../c'], 'a'],
  ['dirname', ['/'], '/'],
  ['dirname', [''], '.'],
  ['pathexpand', ['~/x'], homedir() + '/x'],
  ['pathexpand', ['~'], homedir()],
  ['pathexpand', ['a/~'], 'a/~'],
  ['pathexpand', ['~user/x'], failed('pathexpand', 'cannot expand user-specific home dir.')],

  ['file', ['fs/a.txt'], 'hi\n'],
  ['file', ['fs/sub/../t.tpl'], 'Hello ${name}\n'],
  ['file', ['fs/nope.txt'], invalid('path', NO_FILE('fs/nope.txt'), 0)],
  ['file', ['fs'], invalid('path', 'failed to read file: read fs: is a directory.', 0)],
  ['file', ['fs/bin.dat'], failed('file', 'contents of "fs/bin.dat" are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead.')],
  ['filebase64', ['fs/bin.dat'], '//4='],
  ['filebase64', ['fs/a.txt'], 'aGkK'],
  ['filebase64', ['fs'], invalid('path', 'failed to read file: read fs: is a directory.', 0)],
  ['fileexists', ['fs/a.txt'], true],
  ['fileexists', ['fs/nope'], false],
  ['fileexists', ['fs/a.txt/x'], false],
  ['fileexists', ['fs'], failed('fileexists', '"fs" is a directory, not a file.')],

  ['fileset', ['fs', '**'], ['.hidden/h.txt', 'a.txt', 'bin.dat', 'sub/b.txt', 'sub/deep/c.md', 'sub/x[1].txt', 't.tpl']],
  ['fileset', ['fs', '*'], ['a.txt', 'bin.dat', 't.tpl']],
  ['fileset', ['fs', '**/*.txt'], ['.hidden/h.txt', 'a.txt', 'sub/b.txt', 'sub/x[1].txt']],
  ['fileset', ['fs', '*/*.txt'], ['.hidden/h.txt', 'sub/b.txt', 'sub/x[1].txt']],
  ['fileset', ['fs', 'sub/**'], ['sub/b.txt', 'sub/deep/c.md', 'sub/x[1].txt']],
  ['fileset', ['fs', 's*/**/*.md'], ['sub/deep/c.md']],
  ['fileset', ['fs', 'sub/x\\[1\\].txt'], ['sub/x[1].txt']],
  ['fileset', ['fs', '{a,b}.txt'], ['a.txt']],
  ['fileset', ['fs', '?.txt'], ['a.txt']],
  ['fileset', ['fs', '[!a]*'], ['a.txt']],
  ['fileset', ['fs', 'sub/[^b]*'], ['sub/x[1].txt']],
  ['fileset', ['fs', './a.txt'], ['a.txt']],
  ['fileset', ['fs', 'sub'], []],
  ['fileset', ['fs', '**/'], ['.hidden/h.txt', 'a.txt', 'bin.dat', 'sub/b.txt', 'sub/deep/c.md', 'sub/x[1].txt', 't.tpl']],
  ['fileset', ['fs/sub', '**/*'], ['b.txt', 'deep/c.md', 'x[1].txt']],
  ['fileset', ['.', 'fs/sub/*.txt'], ['fs/sub/b.txt', 'fs/sub/x[1].txt']],
  ['fileset', ['nope', '*'], []],
  ['fileset', ['fs', '['], failed('fileset', 'failed to glob pattern "fs/[": syntax error in pattern.')],
  ['fileset', ['fs', '{'], failed('fileset', 'failed to glob pattern "fs/{": syntax error in pattern.')],
  ['fileset', ['fs', '{sub/b,a}.txt'], failed('fileset', 'failed to glob pattern "fs/{sub/b,a}.txt": syntax error in pattern.')],

  ['templatefile', ['fs/t.tpl', { name: 'w' }], 'Hello w\n'],
  ['templatefile', ['fs/t.tpl', { name: 1 }], 'Hello 1\n'],
  ['templatefile', ['fs/t.tpl', ['x']], invalid('vars', 'invalid vars value: must be a map.', 1)],
  ['templatefile', ['fs/nope.tpl', {}], invalid('path', NO_FILE('fs/nope.tpl'), 0)],

  ['filemd5', ['fs/a.txt'], '764efa883dda1e11db47671c4a3bbd9e'],
  ['filemd5', ['fs/bin.dat'], 'f3b25701fe362ec84616a93a45ce9998'],
  ['filesha1', ['fs/a.txt'], '55ca6286e3e4f4fba5d0448333fa99fc5a404a73'],
  ['filesha256', ['fs/a.txt'], '98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4'],
  ['filesha512', ['fs/a.txt'], 'd78abb0542736865f94704521609c230dac03a2f369d043ac212d6933b91410e06399e37f9c5cc88436a31737330c1c8eccb2c2f9f374d62f716432a32d50fac'],
  ['filebase64sha256', ['fs/a.txt'], 'mOpuTyFvL7S2n/+bOkSELDhobKaF8/VdxIxdP7EQe+Q='],
  ['filebase64sha512', ['fs/a.txt'], '14q7BUJzaGX5RwRSFgnCMNrAOi82nQQ6whLWkzuRQQ4GOZ43+cXMiENqMXNzMMHI7MssL583TWL3FkMqMtUPrA=='],
  ['filemd5', ['fs/nope'], failed('filemd5', 'open fs/nope: no such file or directory.')],
  ['filesha256', ['fs'], failed('filesha256', 'read fs: is a directory.')],  ['filesha1', ['fs/bin.dat'], 'd62636d8caec13f04e28442a0a6fa1afeb024bbb'],
  ['filesha1', ['fs/nope'], failed('filesha1', 'open fs/nope: no such file or directory.')],
  ['filesha256', ['fs/bin.dat'], 'b3d510ef04275ca8e698e5b3cbb0ece3949ef9252f0cdc839e9ee347409a2209'],
  ['filesha256', ['fs/nope'], failed('filesha256', 'open fs/nope: no such file or directory.')],
  ['filesha512', ['fs/bin.dat'], '98c5f56f3de340690c139e58eb7dac111979f0d4dffe9c4b24ff849510f4b6ffa9fd608c0a3de9ac3c9fd2190f0efaf715309061490f9755a9bfdf1c54ca0d84'],
  ['filesha512', ['fs/nope'], failed('filesha512', 'open fs/nope: no such file or directory.')],
  ['filebase64sha256', ['fs/bin.dat'], 's9UQ7wQnXKjmmOWzy7Ds45Se+SUvDNyDnp7jR0CaIgk='],
  ['filebase64sha256', ['fs/nope'], failed('filebase64sha256', 'open fs/nope: no such file or directory.')],
  ['filebase64sha512', ['fs/bin.dat'], 'mMX1bz3jQGkME55Y632sERl58NTf/pxLJP+ElRD0tv+p/WCMCj3prDyf0hkPDvr3FTCQYUkPl1Wpv98cVMoNhA=='],
  ['filebase64sha512', ['fs/nope'], failed('filebase64sha512', 'open fs/nope: no such file or directory.')],
];

runCases('filesystem', cases, () => ctx);

test('abspath resolves against the working directory, not the configuration directory', () => {
  assert.equal(call('abspath', ['fs/../x'], ctx), resolve('x'));
  assert.equal(call('abspath', ['/a/./b/../c'], ctx), '/a/c');
  assert.equal(call('abspath', [''], ctx), process.cwd());
});

test('file() sees a changed file on the next call', () => {
  writeFileSync(join(dir, 'fs/changing.txt'), 'one');
  assert.equal(call('file', ['fs/changing.txt'], ctx), 'one');
  writeFileSync(join(dir, 'fs/changing.txt'), 'two!');
  assert.equal(call('file', ['fs/changing.txt'], ctx), 'two!');
});

test('templatefile passes the text, a file name and the vars to the renderer', () => {
  const seen: unknown[] = [];
  const spy: FunctionContext = { baseDir: dir, renderTemplate: (src, filename, vars) => (seen.push(src, filename, vars), 'rendered') };
  assert.equal(call('templatefile', ['fs/t.tpl', { name: 'w' }], spy), 'rendered');
  assert.equal(seen[0], 'Hello ${name}\n');
  assert.match(String(seen[1]), /fs\/t\.tpl$/);
  assert.deepEqual(seen[2], { name: 'w' });
});
