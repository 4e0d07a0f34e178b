// Encoding functions: values and error texts as Terraform 1.11 gives them, including
// yamlencode's exact layout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { Unknown } from '../../engine/lang/value.js';
import { call, callUnknown, failed, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const LONG = 'a very long string a very long string a very long string a very long string a very long string';

const cases: Case[] = [
  ['base64decode', ['aGVsbG8='], 'hello'],
  ['base64decode', ['aMOp\nbGxv'], 'héllo'],
  ['base64decode', [''], ''],
  ['base64decode', ['aGVsbG8'], failed('base64decode', 'failed to decode base64 data "aGVsbG8".')],
  ['base64decode', ['a b'], failed('base64decode', 'failed to decode base64 data "a b".')],
  ['base64decode', ['//4='], failed('base64decode', 'the result of decoding the provided string is not valid UTF-8.')],
  ['base64encode', ['héllo'], 'aMOpbGxv'],
  ['base64encode', [''], ''],
  ['base64encode', ['hello world'], 'aGVsbG8gd29ybGQ='],

  ['csvdecode', ['a,b\n1,2\n3,4\n'], [{ a: '1', b: '2' }, { a: '3', b: '4' }]],
  ['csvdecode', ['a,"b c"\n"x,y","q""r"'], [{ a: 'x,y', 'b c': 'q"r' }]],
  ['csvdecode', ['a,b\r\n1,2\r\n\r\n3,4'], [{ a: '1', b: '2' }, { a: '3', b: '4' }]],
  ['csvdecode', ['a,b'], []],
  ['csvdecode', ['a\n"multi\nline"\n'], [{ a: 'multi\nline' }]],
  ['csvdecode', [''], failed('csvdecode', 'missing header line.')],
  ['csvdecode', ['a,b\n1\n'], failed('csvdecode', 'CSV parse error on line 2: wrong number of fields.')],
  ['csvdecode', ['a,b\n1,"2\n'], failed('csvdecode', 'CSV parse error on line 2: extraneous or missing " in quoted-field.')],
  ['csvdecode', ['a,b\n1,2"x\n'], failed('csvdecode', 'CSV parse error on line 2: bare " in non-quoted-field.')],
  ['csvdecode', ['a,b\n"1"x,2\n'], failed('csvdecode', 'CSV parse error on line 2: extraneous or missing " in quoted-field.')],

  ['jsondecode', ['{"a":[1,2.5,null,true],"b":{}}'], { a: [1, 2.5, null, true], b: {} }],
  ['jsondecode', ['"x"'], 'x'],
  ['jsondecode', ['null'], null],
  ['jsondecode', ['{bad'], failed('jsondecode', "invalid character 'b'.")],
  ['jsondecode', [''], failed('jsondecode', 'EOF.')],
  ['jsondecode', ['nul'], failed('jsondecode', 'unexpected EOF.')],
  ['jsondecode', ['{"a":1}x'], failed('jsondecode', 'extraneous data after JSON object.')],
  ['jsonencode', [[1.5, 1e21, 1e-7, 100, 'a\u2028&', null, true]], '[1.5,1000000000000000000000,0.0000001,100,"a\\u2028\\u0026",null,true]'],
  ['jsonencode', [{ b: { d: 1, c: 2 }, a: [] }], '{"a":[],"b":{"c":2,"d":1}}'],
  ['jsonencode', [null], 'null'],
  ['jsonencode', ['<x>\n\t"'], '"\\u003cx\\u003e\\n\\t\\""'],
  ['jsonencode', [Infinity], failed('jsonencode', 'cannot serialize infinity as JSON.')],

  ['textencodebase64', ['hé', 'UTF-16LE'], 'aADpAA=='],
  ['textencodebase64', ['hé', 'utf-8'], 'aMOp'],
  ['textencodebase64', ['hé', 'ISO-8859-1'], 'aOk='],
  ['textencodebase64', ['x', 'UTF-16'], '/v8AeA=='],
  ['textencodebase64', ['Ж', 'windows-1251'], 'xg=='],
  ['textencodebase64', ['日本', 'Shift_JIS'], 'k/qWew=='],
  ['textencodebase64', ['hé', 'nope'], invalid('encoding', '"nope" is not a supported IANA encoding name or alias in this Terraform version.', 1)],
  ['textencodebase64', ['h€', 'ISO-8859-1'], invalid('string', 'the given string contains characters that cannot be represented in ISO_8859-1:1987.', 0)],
  ['textencodebase64', ['é', 'US-ASCII'], invalid('string', 'the given string contains characters that cannot be represented in US-ASCII.', 0)],
  ['textencodebase64', ['é', 'windows-1251'], invalid('string', 'the given string contains characters that cannot be represented in windows-1251.', 0)],
  ['textdecodebase64', ['aADpAA==', 'UTF-16LE'], 'hé'],
  ['textdecodebase64', ['6Q==', 'windows-1252'], 'é'],
  ['textdecodebase64', ['xg==', 'windows-1251'], 'Ж'],
  ['textdecodebase64', ['6Q==', 'utf-8'], invalid('source', 'the given string contains symbols that are not defined for UTF-8.', 0)],
  ['textdecodebase64', ['!!', 'UTF-8'], invalid('source', 'the given value is has an invalid base64 symbol at offset 0.', 0)],

  ['urlencode', ['a b&c=d/é~_-.*'], 'a+b%26c%3Dd%2F%C3%A9~_-.%2A'],
  ['urlencode', [''], ''],
  ['urlencode', ["(x)!'"], '%28x%29%21%27'],

  ['yamldecode', ['a: 1\nb: [x, 2.5, true, null]\nc: {d: e}'], { a: 1, b: ['x', 2.5, true, null], c: { d: 'e' } }],
  ['yamldecode', ['- a\n- 0x10\n- yes\n- "1"\n- 010\n- 0o10\n- 1:20'], ['a', 16, true, '1', 10, 8, '1:20']],
  ['yamldecode', ['key: |\n  line1\n  line2\n'], { key: 'line1\nline2\n' }],
  ['yamldecode', ['a: &x {b: 1}\nc: *x'], { a: { b: 1 }, c: { b: 1 } }],
  ['yamldecode', ['- 2001-12-14\n- 2001-12-14t21:59:43.10-05:00\n- 2002-12-14 01:02:03\n- !!str 2001-12-14'], ['2001-12-14T00:00:00Z', '2001-12-14T21:59:43-05:00', '2002-12-14T01:02:03Z', '2001-12-14']],
  ['yamldecode', [''], failed('yamldecode', 'on line 1, column 1: missing start of document.')],
  ['yamldecode', ['{1: a, null: c}'], failed('yamldecode', 'mapping key cannot be null.')],
  ['yamldecode', ['---\na: 1\n---\nb: 2'], failed('yamldecode', 'on line 3, column 1: unexpected extra content after value.')],
  ['yamldecode', ['a: ['], { error: /^Call to function "yamldecode" failed: on line 1, column \d+: / }],

  ['yamlencode', [{ a: 'b', c: ['d', 1, true, null], e: {} }], '"a": "b"\n"c":\n- "d"\n- 1\n- true\n- null\n"e": {}\n'],
  ['yamlencode', ['a\nb'], '|-\n  a\n  b\n'],
  ['yamlencode', ['a\nb\n'], '|\n  a\n  b\n'],
  ['yamlencode', [{ a: 'x\ny\n\n', b: ' lead\nx' }], '"a": |+\n  x\n  y\n\n"b": |2-\n   lead\n  x\n'],
  ['yamlencode', [LONG], '"a very long string a very long string a very long string a very long string a very\n  long string"\n'],
  ['yamlencode', [{ k: LONG }], '"k": "a very long string a very long string a very long string a very long string\n  a very long string"\n'],
  ['yamlencode', [{ a: { b: 'x\ny', c: LONG + ' a very long string' } }], '"a":\n  "b": |-\n    x\n    y\n  "c": "a very long string a very long string a very long string a very long string\n    a very long string a very long string"\n'],
  ['yamlencode', [[['x\ny', LONG]]], '- - |-\n    x\n    y\n  - "a very long string a very long string a very long string a very long string a\n    very long string"\n'],
  ['yamlencode', [[[1, 2], {}, [], 'x', 1.5, true, null]], '- - 1\n  - 2\n- {}\n- []\n- "x"\n- 1.5\n- true\n- null\n'],
  ['yamlencode', [{ a: { b: [{ c: 1, d: [] }] } }], '"a":\n  "b":\n  - "c": 1\n    "d": []\n'],
  ['yamlencode', [1], '1\n...\n'],
  ['yamlencode', [null], 'null\n...\n'],
  ['yamlencode', [''], '""\n'],
  ['yamlencode', ['\n'], '|2+\n\n'],
  ['yamlencode', [{ 'a\nb': 1, '': 2 }], '"": 2\n? |-\n  a\n  b\n: 1\n'],
  ['yamlencode', ['é\t\u0001'], '"é\\t\\x01"\n'],
  ['yamlencode', ['\u0085\u00a0\u2028\ufeff\u{1F600}'], '"\\N\u00a0\\L\\uFEFF\\U0001F600"\n'],
  ['yamlencode', [['x \ny', 'x\n y', 'a\r\nb', '   \n  x']], '- "x \\ny"\n- |-\n  x\n   y\n- "a\\r\\nb"\n- "   \\n  x"\n'],
  ['yamlencode', [[0.1, -5, 1e-7, 123456789, 1e21]], '- 0.1\n- -5\n- 0.0000001\n- 123456789\n- 1000000000000000000000\n'],
];

runCases('encoding', cases);

test('base64gzip output inflates back to the input', () => {
  for (const s of ['hello', '', 'héllo '.repeat(50)]) {
    const gz = Buffer.from(call('base64gzip', [s]) as string, 'base64');
    assert.equal(gz[0], 0x1f);
    assert.equal(gz[1], 0x8b);
    assert.equal(gunzipSync(gz).toString('utf8'), s);
  }
});

test('jsonencode and yamlencode of a value with an unknown inside are unknown strings', () => {
  for (const fn of ['jsonencode', 'yamlencode']) {
    callUnknown(fn, [{ a: [1, new Unknown('number')] }], 'string');
  }
});
