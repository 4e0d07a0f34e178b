// Collection functions: values and error texts as Terraform 1.11 gives them, plus unknowns.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Unknown } from '../../engine/lang/value.js';
import { call, callUnknown, failed, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const U = new Unknown('string');

const cases: Case[] = [
  ['alltrue', [[]], true],
  ['alltrue', [[true, 'true']], true],
  ['alltrue', [['1', '0']], false],
  ['alltrue', [[true, null]], false],
  ['alltrue', [['x']], invalid('list', 'a bool is required.', 0)],
  ['anytrue', [[false, null]], false],
  ['anytrue', [[false, 'true']], true],
  ['anytrue', [[]], false],
  ['anytrue', [['x']], invalid('list', 'a bool is required.', 0)],

  ['chunklist', [[1, 2, 3, 4, 5], 2], [[1, 2], [3, 4], [5]]],
  ['chunklist', [[1, 2, 3], 0], [[1, 2, 3]]],
  ['chunklist', [[], 2], []],
  ['chunklist', [[1, 2, 3], -1], failed('chunklist', 'the size argument must be positive.')],
  ['chunklist', [[1, 2, 3], 1.5], failed('chunklist', 'invalid size: value must be a whole number, between -9223372036854775808 and 9223372036854775807.')],

  ['coalesce', ['', null, 'b'], 'b'],
  ['coalesce', [1, 'a'], '1'],
  ['coalesce', [[], [1]], []],
  ['coalesce', [null, ''], failed('coalesce', 'no non-null, non-empty-string arguments.')],
  ['coalesce', [1, true], failed('coalesce', 'all arguments must have the same type.')],
  ['coalescelist', [[], [1]], [1]],
  ['coalescelist', [[], ['a'], ['b']], ['a']],
  ['coalescelist', [null, ['a']], failed('coalescelist', 'coalescelist arguments must be lists or tuples.')],
  ['coalescelist', [[], []], failed('coalescelist', 'no non-null arguments.')],
  ['coalescelist', ['a'], failed('coalescelist', 'coalescelist arguments must be lists or tuples.')],

  ['compact', [['a', '', null, 'b']], ['a', 'b']],
  ['compact', [[1, 2]], ['1', '2']],
  ['compact', [[]], []],
  ['compact', [['a', ['b']]], invalid('list', 'element 1: string required.', 0)],

  ['concat', [[1], ['a'], []], [1, 'a']],
  ['concat', [[[1]], [[2]]], [[1], [2]]],
  ['concat', [], []],
  ['concat', [[1], 'a'], invalid('seqs', 'all arguments must be lists or tuples; got string.', 1)],

  ['contains', [['a'], 'a'], true],
  ['contains', [[1, 2], '1'], false],
  ['contains', [[{ a: 1 }], { a: 1 }], true],
  ['contains', ['abc', 'a'], failed('contains', 'argument must be list, tuple, or set.')],

  ['distinct', [[1, 2, 1, '1']], ['1', '2']],
  ['distinct', [['b', 'a', 'b']], ['b', 'a']],
  ['distinct', [[[1], [1], [2]]], [[1], [2]]],
  ['distinct', [[[1], 'a']], invalid('list', 'all list elements must have the same type.', 0)],
  ['distinct', [[[1, 'a'], [true, 'b']]], invalid('list', 'all list elements must have the same type.', 0)],

  ['element', [[1, 2, 3], 4], 2],
  ['element', [['a', 'b'], 0], 'a'],
  ['element', [[], 0], failed('element', 'cannot use element function with an empty list.')],
  ['element', [[1], -1], failed('element', 'cannot use element function with a negative index.')],
  ['element', [{ a: 1 }, 0], failed('element', 'cannot read elements from object.')],
  ['element', [[1], 1.5], failed('element', 'invalid index: value must be a whole number, between -9223372036854775808 and 9223372036854775807.')],

  ['flatten', [[[1, [2, []]], 3, [[['a']]]]], [1, 2, 3, 'a']],
  ['flatten', [[]], []],
  ['flatten', [[{ a: [1] }]], [{ a: [1] }]],
  ['flatten', ['a'], failed('flatten', 'can only flatten lists, sets and tuples.')],

  ['index', [['a', 'b'], 'b'], 1],
  ['index', [[1, 2, 1], 1], 0],
  ['index', [['a', 'b'], 'c'], failed('index', 'item not found.')],
  ['index', ['x', 'x'], failed('index', 'argument must be a list or tuple.')],

  ['keys', [{ b: 1, a: 2, B: 3, '10': 1, '9': 1 }], ['10', '9', 'B', 'a', 'b']],
  ['keys', [{}], []],
  ['keys', [{ 'é': 1, z: 2 }], ['z', 'é']],
  ['keys', [5], invalid('inputMap', 'must have map or object type.', 0)],
  ['values', [{ b: 2, a: 1 }], [1, 2]],
  ['values', [{}], []],
  ['values', [{ x: [1], a: 'q' }], ['q', [1]]],
  ['values', ['x'], failed('values', 'values() requires a map as the first argument.')],

  ['length', ['héllo👍🏽'], 6],
  ['length', ['a\r\nb'], 3],
  ['length', [[1, [2, 3]]], 2],
  ['length', [{ a: 1, b: 2 }], 2],
  ['length', [5], failed('length', 'argument must be a string, a collection type, or a structural type.')],

  ['lookup', [{ a: 'x' }, 'b', 'd'], 'd'],
  ['lookup', [{ a: 'x' }, 'a'], 'x'],
  ['lookup', [{ a: 1, b: 'x' }, 'a', null], 1],
  ['lookup', [{ a: 1 }, 'b'], invalid('inputMap', 'the given object has no attribute "b".', 0)],
  ['lookup', [[1], 'a'], invalid('inputMap', 'lookup() requires a map as the first argument.', 0)],
  ['lookup', [{ a: 1 }, 'a', 1, 2], failed('lookup', 'lookup() takes two or three arguments, got 4.')],

  ['matchkeys', [['a', 'b', 'c'], ['x', 'y', 'z'], ['z', 'x']], ['a', 'c']],
  ['matchkeys', [['a', 'b'], [1, 2], ['2']], ['b']],
  ['matchkeys', [['a'], ['x'], []], []],
  ['matchkeys', [['a', 'b'], ['x'], ['x']], failed('matchkeys', 'length of keys and values should be equal.')],

  ['merge', [{ a: 1 }, { b: 2 }, null, { a: 3 }], { a: 3, b: 2 }],
  ['merge', [], {}],
  ['merge', [{ a: { x: 1 } }, { a: { y: 2 } }], { a: { y: 2 } }],
  ['merge', [{ a: 1 }, [1]], failed('merge', 'arguments must be maps or objects, got "tuple".')],

  ['one', [[]], null],
  ['one', [[1]], 1],
  ['one', [[[1, 2]]], [1, 2]],
  ['one', [[1, 2]], invalid('list', 'must be a list, set, or tuple value with either zero or one elements.', 0)],
  ['one', ['a'], invalid('list', 'must be a list, set, or tuple value with either zero or one elements.', 0)],

  ['range', [3], [0, 1, 2]],
  ['range', [1, 4], [1, 2, 3]],
  ['range', [5, 1], [5, 4, 3, 2]],
  ['range', [5, 1, -2], [5, 3]],
  ['range', [0.5, 3], [0.5, 1.5, 2.5]],
  ['range', [-2], [0, -1]],
  ['range', [1, 1, 0], []],
  ['range', [1, 5, -1], invalid('params', 'end must be less than start when step is negative.', 2)],
  ['range', [5, 1, 1], invalid('params', 'end must be greater than start when step is positive.', 2)],
  ['range', [0, 1, 0], failed('range', 'more than 1024 values were generated; either decrease the difference between start and end or use a smaller step.')],
  ['range', [1025], failed('range', 'more than 1024 values were generated; either decrease the difference between start and end or use a smaller step.')],
  ['range', [1, 2, 3, 4], failed('range', 'must have one, two, or three arguments.')],

  ['reverse', [[1, 'a']], ['a', 1]],
  ['reverse', [[]], []],
  ['reverse', [[[1], [2]]], [[2], [1]]],
  ['reverse', ['abc'], invalid('list', 'can only reverse list or tuple values, not string.', 0)],

  ['setintersection', [['a', 'b'], ['b', 'c'], ['b']], ['b']],
  ['setintersection', [[3, 1, 2], [2, 3]], [2, 3]],
  ['setintersection', [['a'], []], []],
  ['setintersection', [[1], [[1]]], failed('setintersection', 'given sets must all have compatible element types.')],
  ['setproduct', [['a', 'b'], [1, 2]], [['a', 1], ['a', 2], ['b', 1], ['b', 2]]],
  ['setproduct', [['a'], []], []],
  ['setproduct', [['a'], ['b'], ['c', 'd']], [['a', 'b', 'c'], ['a', 'b', 'd']]],
  ['setproduct', [['a']], failed('setproduct', 'at least two arguments are required.')],
  ['setproduct', [['a'], 'b'], invalid('sets', 'a set or a list is required.', 1)],
  ['setsubtract', [[1, 2, 3], [2]], [1, 3]],
  ['setsubtract', [['b', 'a', 'c'], ['x']], ['a', 'b', 'c']],
  ['setsubtract', [[], ['a']], []],
  ['setsubtract', ['a', ['a']], invalid('a', 'set of any single type required.', 0)],
  ['setunion', [[3, 1], [2, '1']], ['1', '2', '3']],
  ['setunion', [['b'], ['a', 'b']], ['a', 'b']],
  ['setunion', [[1], ['a', true]], ['1', 'a', 'true']],
  ['setunion', [[1], [[1]]], failed('setunion', 'given sets must all have compatible element types.')],

  ['slice', [[1, 2, 3, 4], 1, 3], [2, 3]],
  ['slice', [[1, 2, 3], 3, 3], []],
  ['slice', [[1, 2, 3], 0, 3], [1, 2, 3]],
  ['slice', [[1, 2, 3], 2, 1], invalid('start_index', 'start index must not be greater than end index.', 1)],
  ['slice', [[1, 2, 3], -1, 1], invalid('start_index', 'start index must not be less than zero.', 1)],
  ['slice', [[1, 2, 3], 0, 4], invalid('end_index', 'end index must not be greater than the length of the list.', 2)],
  ['slice', ['x', 0, 0], invalid('list', 'must be a list or tuple value.', 0)],

  ['sort', [['b', 'a', '10', '9']], ['10', '9', 'a', 'b']],
  ['sort', [[3, 10, 2]], ['10', '2', '3']],
  ['sort', [[]], []],
  ['sort', [['a', null]], failed('sort', 'given list element 1 is null; a null string cannot be sorted.')],
  ['sort', [[[1]]], invalid('list', 'element 0: string required.', 0)],

  ['sum', [[1, 2.5, '3']], 6.5],
  ['sum', [[-1]], -1],
  ['sum', [[0.1, 0.2]], 0.1 + 0.2],
  ['sum', [[]], invalid('list', 'cannot sum an empty list.', 0)],
  ['sum', [['x']], invalid('list', 'argument must be list, set, or tuple of number values.', 0)],
  ['sum', [[1, null]], invalid('list', 'argument must be list, set, or tuple of number values.', 0)],

  ['transpose', [{ a: ['1', '2'], b: ['2', '3'] }], { '1': ['a'], '2': ['a', 'b'], '3': ['b'] }],
  ['transpose', [{ a: [1] }], { '1': ['a'] }],
  ['transpose', [{}], {}],
  ['transpose', [{ a: [null] }], failed('transpose', 'input list must not contain null string.')],
  ['transpose', [{ a: 'x' }], invalid('values', 'element "a": list of string required.', 0)],

  ['zipmap', [['a', 'b'], [1, 2]], { a: 1, b: 2 }],
  ['zipmap', [['a', 'a'], [1, 2]], { a: 2 }],
  ['zipmap', [[1, 2], ['a', 'b']], { '1': 'a', '2': 'b' }],
  ['zipmap', [['a'], [1, 2]], failed('zipmap', 'number of keys (1) does not match number of values (2).')],
  ['zipmap', [['a', null], [1, 2]], failed('zipmap', 'keys list has null value at index 1.')],
];

runCases('collections', cases);

test('an unknown element that decides the result makes it unknown, of the right type', () => {
  callUnknown('contains', [[U], 'a'], 'bool');
  assert.equal(call('contains', [[U, 'a'], 'a']), true);
  callUnknown('alltrue', [[true, new Unknown('bool')]], 'bool');
  assert.equal(call('alltrue', [[false, new Unknown('bool')]]), false);
  callUnknown('distinct', [['a', U]], 'list');
  callUnknown('sort', [['a', U]], 'list');
  callUnknown('setunion', [['a'], [U]], 'set');
  callUnknown('flatten', [[[U]]], 'list');
  assert.equal(call('length', [[U, U]]), 2);
  callUnknown('coalesce', [null, U, 'x']);
});

test('merge and zipmap keep a "__proto__" key as data', () => {
  const m = call('merge', [JSON.parse('{"__proto__": 1}'), { a: 2 }]) as Record<string, unknown>;
  assert.deepEqual(Object.keys(m).sort(), ['__proto__', 'a']);
  assert.equal(Object.getPrototypeOf(m), Object.prototype);
  const z = call('zipmap', [['__proto__'], [5]]) as Record<string, unknown>;
  assert.deepEqual(Object.keys(z), ['__proto__']);
});
