// String functions: values and error texts as Terraform 1.11 gives them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Unknown } from '../../engine/lang/value.js';
import type { FunctionError } from '../../engine/lang/functions/types.js';
import { call, callUnknown, failed, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const cases: Case[] = [
  ['chomp', ['a\n\r\n\n'], 'a'],
  ['chomp', ['a\r\r'], 'a'],
  ['chomp', ['a\nb\n'], 'a\nb'],
  ['chomp', ['no newline'], 'no newline'],

  ['endswith', ['hello', 'lo'], true],
  ['endswith', ['hello', 'he'], false],
  ['endswith', ['hello', ''], true],
  ['startswith', ['hello', 'he'], true],
  ['startswith', ['hello', 'lo'], false],
  ['startswith', ['', ''], true],
  ['strcontains', ['hello', 'ell'], true],
  ['strcontains', ['hello', 'x'], false],
  ['strcontains', [5, '5'], true],

  ['format', ['%s %v %t %q %%', 'a', [1, 'b'], true, 'x"y'], 'a [1,"b"] true "x\\"y" %'],
  ['format', ['%5s|%-5s|%05d|%.2f|%x|%X|%o|%b|%e|%g', 'a', 'b', 42, 3.14159, 255, 255, 8, 5, 1234.5, 0.000012], '    a|b    |00042|3.14|ff|FF|10|101|1.234500e+03|1.2e-05'],
  ['format', ['%v|%v|%v|%v', 1000000, 123456, 0.0001, 0.00001], '1e+06|123456|0.0001|1e-05'],
  ['format', ['%v|%s', 1e21, 1e21], '1e+21|1000000000000000000000'],
  ['format', ['%.0f|%.1f|%.1f|%.2f', 2.5, 0.25, 0.35, 1.005], '2|0.2|0.3|1.00'],
  ['format', ['%+d % d %+.1f %8.3f|%-8.3f|', 5, 5, 2.25, 3.14159, 2.5], '+5  5 +2.2    3.142|2.500   |'],
  ['format', ['%6v|%6v|%-6t|%6d|%6s|%6f|%-8q|%8.2e', 5, true, true, 5, 5, 1.5, 'a', 12345.678], '     5|  true|true|     5|     5|1.500000|"a"     |1.23e+04'],
  ['format', ['%10v|%.2v|%010v|', 'abc', 'abc', 'abc'], '       abc|abc|0000000abc|'],
  ['format', ['%e|%E|%g|%G', 0, 1.5e-10, 1e100, 1e-7], '0.000000e+00|1.500000E-10|1e+100|1E-07'],
  ['format', ['%d|%+d|%05d|%-5d|%x|%o|%b', 0, 7, -42, 3, 1e20, 64, 1024], '0|+7|-0042|3    |56bc75e2d63100000|100|10000000000'],
  ['format', ['%#x|%#o|%.3s|%6.2s|', 255, 8, 'abcdef', 'héllo'], '0xff|010|abc|    hé|'],
  ['format', ['%[2]s %[1]s', 'a', 'b'], 'b a'],
  ['format', ['%[2]s %s', 'a', 'b', 'c'], 'b c'],
  ['format', ['%#v|%v', { b: [1, true], a: 'x' }, null], '{"a":"x","b":[1,true]}|null'],
  ['format', ['%q', 'é<>'], '"é\\u003c\\u003e"'],
  ['format', ['%d items', '12'], '12 items'],
  ['format', ['%v|%f|%e', Infinity, -Infinity, Infinity], '+Inf|-Inf|+Inf'],
  ['format', ['%d', 1.5], failed('format', 'unsupported value for "%d" at 0: an integer is required.')],
  ['format', ['%d'], failed('format', 'not enough arguments for "%d" at 0: need index 1 but have 0 total.')],
  ['format', ['%s %s', 'a'], failed('format', 'not enough arguments for "%s" at 3: need index 2 but have 1 total.')],
  ['format', ['%[3]s', 'a'], failed('format', 'not enough arguments for "%[3]s" at 0: need index 3 but have 1 total.')],
  ['format', ['%s', 'a', 'b'], invalid('args', 'too many arguments; only 1 used by format string.', 2)],
  ['format', ['%y', 1], failed('format', 'unsupported format verb \'y\' in "%y" at offset 0.')],
  ['format', ['%!'], failed('format', "unrecognized format character '!' at offset 1.")],
  ['format', ['%*d', 3, 4], failed('format', "unrecognized format character '*' at offset 1.")],
  ['format', ['abc%'], failed('format', 'invalid format string starting at offset 4.')],
  ['format', ['%s', [1]], failed('format', 'unsupported value for "%s" at 0: string required.')],
  ['format', ['%t', 1], failed('format', 'unsupported value for "%t" at 0: bool required.')],
  ['format', ['%x', 'hi'], failed('format', 'unsupported value for "%x" at 0: a number is required.')],
  ['format', ['%s', null], failed('format', 'unsupported value for "%s" at 0: null value cannot be formatted.')],

  ['formatlist', ['%s-%s', ['a', 'b'], 'c'], ['a-c', 'b-c']],
  ['formatlist', ['%s=%d', ['a', 'b'], [1, 2]], ['a=1', 'b=2']],
  ['formatlist', ['%s', []], []],
  ['formatlist', ['a'], ['a']],
  ['formatlist', ['%s-%s', ['a', 'b'], ['c']], invalid('args', 'argument 2 has length 1, which is inconsistent with argument 1 of length 2.', 2)],
  ['formatlist', ['%d', [1, 2.5]], failed('formatlist', 'error on format iteration 1: unsupported value for "%d" at 0: an integer is required.')],

  ['indent', [2, 'a\nb\n\nc\n'], 'a\n  b\n  \n  c\n  '],
  ['indent', [4, 'single'], 'single'],
  ['indent', [0, 'a\nb'], 'a\nb'],
  ['indent', [1.5, 'a'], failed('indent', 'value must be a whole number, between -9223372036854775808 and 9223372036854775807.')],

  ['join', [',', ['a', 'b', 'c']], 'a,b,c'],
  ['join', [',', ['a'], ['b', 'c']], 'a,b,c'],
  ['join', ['-', [1, true]], '1-true'],
  ['join', [',', []], ''],
  ['join', [','], failed('join', 'at least one list is required.')],
  ['join', [',', ['a', null]], invalid('lists', 'element 1 is null; cannot concatenate null values.', 1)],

  ['lower', ['ÀB'], 'àb'],
  ['lower', ['HELLO'], 'hello'],
  ['lower', ['İ'], 'i'],
  ['title', ['ǆemal'], 'ǅemal'],
  ['upper', ['straße'], 'STRAßE'],
  ['upper', ['hello'], 'HELLO'],
  ['upper', ['éa'], 'ÉA'],
  ['title', ['hello wORLD foo_bar x-y 1a'], 'Hello WORLD Foo_bar X-Y 1a'],
  ['title', ['élan vital'], 'Élan Vital'],
  ['title', [''], ''],

  ['regex', ['[a-z]+', '123abc456'], 'abc'],
  ['regex', ['(\\d+)-(\\d+)', 'a12-34b'], ['12', '34']],
  ['regex', ['(?P<x>\\d+)-(?P<y>\\d+)', 'a12-34b'], { x: '12', y: '34' }],
  ['regex', ['(\\d)(x)?', 'a1b'], ['1', null]],
  ['regex', ['(?i)^HELLO\\z', 'hello'], 'hello'],
  ['regex', ['[[:digit:]]+\\.[[:alpha:]]+', 'v12.abc'], '12.abc'],
  ['regex', ['\\pL+', '123héllo'], 'héllo'],
  ['regex', ['a{,2}', 'a{,2}'], 'a{,2}'],
  ['regex', ['[a-z]+', '123'], failed('regex', 'pattern did not match any part of the given string.')],
  ['regex', ['(?P<x>\\d+)-(\\d+)', 'a12-34b'], invalid('pattern', 'invalid regexp pattern: cannot mix both named and unnamed capture groups.', 0)],
  ['regex', ['(', 'a'], invalid('pattern', 'invalid regexp pattern: missing closing ) in (.', 0)],
  ['regex', ['(?=a)', 'a'], invalid('pattern', 'invalid regexp pattern: invalid or unsupported Perl syntax in (?=.', 0)],
  ['regex', ['(a)\\1', 'aa'], invalid('pattern', 'invalid regexp pattern: invalid escape sequence in \\1.', 0)],
  ['regexall', ['\\d', 'a1b2'], ['1', '2']],
  ['regexall', ['(\\d)(x)?', 'a1b2x'], [['1', null], ['2', 'x']]],
  // Go skips an empty match right after a match: no empty string between "aaa" and "c".
  ['regexall', ['a*', 'baaac'], ['', 'aaa', '']],
  ['regexall', ['z', 'abc'], []],
  ['regexall', ['[', 'abc'], invalid('pattern', 'invalid regexp pattern: missing closing ] in [.', 0)],

  ['replace', ['hello world', '/(o)/', '[$1]'], 'hell[o] w[o]rld'],
  ['replace', ['hello', '/l+/', '$0$$'], 'hell$o'],
  ['replace', ['abc', '/(?P<n>b)/', '<$n>'], 'a<b>c'],
  ['replace', ['abc', '/(?P<n>b)/', '<${n}x$nx>'], 'a<bx>c'],
  ['replace', ['baaac', '/a*/', '-'], '-b-c-'],
  ['replace', ['aaa', 'a', 'b'], 'bbb'],
  ['replace', ['abc', '', '-'], '-a-b-c-'],
  ['replace', ['1+1', '+', '$&'], '1$&1'],
  ['replace', ['x', '/(/', 'y'], { error: /^Invalid value for "substr" parameter: invalid regexp pattern/, arg: 1 }],

  ['split', [',', 'a,,b'], ['a', '', 'b']],
  ['split', [',', ''], ['']],
  ['split', ['', 'ab👍'], ['a', 'b', '👍']],

  ['strrev', ['héllo👍🏽'], '👍🏽olléh'],
  ['strrev', ['abc'], 'cba'],
  ['strrev', [''], ''],

  ['substr', ['hello world', 1, 4], 'ello'],
  ['substr', ['hello world', -5, -1], 'world'],
  ['substr', ['hello', 1, 100], 'ello'],
  ['substr', ['hello', -10, 2], 'he'],
  ['substr', ['hello', 10, 2], ''],
  ['substr', ['hello', 1, -2], 'ello'],
  ['substr', ['👍🏽ab', 0, 1], '👍🏽'],
  ['substr', ['hello', 0.5, 1], failed('substr', 'value must be a whole number, between -9223372036854775808 and 9223372036854775807.')],

  ['trim', ['?!hello?!', '!?'], 'hello'],
  ['trim', ['  hello  ', ' '], 'hello'],
  ['trim', ['aaa', 'a'], ''],
  ['trimprefix', ['helloworld', 'hello'], 'world'],
  ['trimprefix', ['helloworld', 'world'], 'helloworld'],
  ['trimprefix', ['hellohello', 'hello'], 'hello'],
  ['trimsuffix', ['helloworld', 'world'], 'hello'],
  ['trimsuffix', ['helloworld', 'hello'], 'helloworld'],
  ['trimsuffix', ['aa', ''], 'aa'],
  ['trimspace', ['  \n a b \t '], 'a b'],
  ['trimspace', ['\u00a0x\u3000'], 'x'],
  ['trimspace', ['\ufeffx'], '\ufeffx'],
];

runCases('strings', cases);

test('format with an unknown argument is an unknown string', () => {
  callUnknown('format', ['%s', new Unknown('string')], 'string');
});

test('templatestring renders through the evaluator-provided renderer and wants a map', () => {
  assert.equal(call('templatestring', ['Hi ${who}', { who: 'you' }]), 'Hi you');
  assert.throws(() => call('templatestring', ['x', ['a']]), (e: FunctionError) => e.arg === 1 && e.message === 'invalid vars value: must be a map');
});
