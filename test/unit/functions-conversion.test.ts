// Conversion and sensitivity functions: Terraform's element unification and error texts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sensitive, Unknown, type TypeHint } from '../../engine/lang/value.js';
import { FUNCTIONS } from '../../engine/lang/functions/index.js';
import { call, callUnknown, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const cases: Case[] = [
  ['tobool', ['true'], true],
  ['tobool', [false], false],
  ['tobool', [null], null],
  ['tobool', ['1'], true],
  ['tobool', ['0'], false],
  ['tobool', ['yes'], invalid('v', 'cannot convert "yes" to bool; only the strings "true" or "false" are allowed.', 0)],
  ['tobool', [1], invalid('v', 'cannot convert number to bool.', 0)],
  ['tonumber', ['1.5e3'], 1500],
  ['tonumber', [-2], -2],
  ['tonumber', [null], null],
  ['tonumber', ['x'], invalid('v', 'cannot convert "x" to number; given string must be a decimal representation of a number.', 0)],
  ['tonumber', [' 1'], invalid('v', 'cannot convert " 1" to number; given string must be a decimal representation of a number.', 0)],
  ['tonumber', [true], invalid('v', 'cannot convert bool to number.', 0)],
  ['tostring', [1.5], '1.5'],
  ['tostring', [1e21], '1000000000000000000000'],
  ['tostring', [0.1 + 0.2], '0.3'],
  ['tostring', [1e-7], '0.0000001'],
  ['tostring', [true], 'true'],
  ['tostring', [null], null],
  ['tostring', [[1]], invalid('v', 'cannot convert tuple to string.', 0)],
  ['tolist', [['a', 1]], ['a', '1']],
  ['tolist', [[[1], ['a']]], [['1'], ['a']]],
  ['tolist', [[{ a: 1 }, { a: 'x' }]], [{ a: '1' }, { a: 'x' }]],
  ['tolist', [[{ a: 1 }, { b: 2 }]], [{ a: 1 }, { b: 2 }]],
  ['tolist', [[1, true]], invalid('v', 'cannot convert tuple to list of any single type.', 0)],
  ['tolist', [[[1, 'a'], [true, 'b']]], invalid('v', 'cannot convert tuple to list of any single type.', 0)],
  ['tolist', [[[1, true], ['a']]], [['1', 'true'], ['a']]],
  ['tolist', [{ a: 1 }], invalid('v', 'cannot convert object to list of any single type.', 0)],
  ['toset', [[3, 1, 3, 2]], [1, 2, 3]],
  ['toset', [['b', 'a', 'b']], ['a', 'b']],
  ['toset', [[true, false]], [false, true]],
  ['toset', [[[1], [1], [2]]], [[1], [2]]],
  ['toset', [[1, 'a', 1]], ['1', 'a']],
  ['toset', [['b', null, 'a']], ['a', 'b', null]],
  ['toset', [[1, true]], invalid('v', 'cannot convert tuple to set of any single type.', 0)],
  ['tomap', [{ a: 1, b: 'x' }], { a: '1', b: 'x' }],
  ['tomap', [{ a: [1], b: [2] }], { a: [1], b: [2] }],
  ['tomap', [{}], {}],
  ['tomap', [{ a: 1, b: [1] }], invalid('v', 'cannot convert object to map of any single type.', 0)],
  ['tomap', [['a']], invalid('v', 'cannot convert tuple to map of any single type.', 0)],
];

runCases('conversion', cases);

test('conversions of unknown values are unknowns of the target type', () => {
  const u = new Unknown();
  for (const [fn, type] of [['tobool', 'bool'], ['tonumber', 'number'], ['tostring', 'string'], ['tolist', 'list'], ['toset', 'set'], ['tomap', 'map']]) {
    callUnknown(fn, [u], type as TypeHint);
  }
});

test('sensitive, nonsensitive and issensitive see and change the mark', () => {
  for (const fn of ['sensitive', 'nonsensitive', 'issensitive']) assert.equal(FUNCTIONS[fn].keepsMarks, true, fn);
  const s = call('sensitive', ['secret']);
  assert.ok(s instanceof Sensitive);
  assert.equal(s.value, 'secret');
  assert.equal(call('sensitive', [s]), s, 'no double wrapping');
  assert.equal(call('nonsensitive', [s]), 'secret');
  assert.deepEqual(call('nonsensitive', [{ a: 1 }]), { a: 1 }, 'Terraform >= 1.8 accepts a non-sensitive value');
  assert.equal(call('issensitive', [s]), true);
  assert.equal(call('issensitive', ['x']), false);
  callUnknown('issensitive', [new Unknown()]);
});

test('ephemeralasnull returns its argument: poolform has no ephemeral values', () => {
  assert.equal(call('ephemeralasnull', ['x']), 'x');
  assert.equal(call('ephemeralasnull', [null]), null);
  assert.deepEqual(call('ephemeralasnull', [{ a: [1] }]), { a: [1] });
});
