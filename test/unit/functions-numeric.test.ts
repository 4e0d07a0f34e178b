// Numeric functions: values and error texts as Terraform 1.11 gives them.

import { failed, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const cases: Case[] = [
  ['abs', [-1.5], 1.5],
  ['abs', [3], 3],
  ['abs', ['-2'], 2],
  ['abs', ['x'], invalid('num', 'a number is required.', 0)],
  ['ceil', [1.2], 2],
  ['ceil', [-1.2], -1],
  ['ceil', [5], 5],
  ['floor', [-1.2], -2],
  ['floor', [1.8], 1],
  ['floor', [Infinity], Infinity],
  ['log', [8, 2], 3],
  ['log', [1000, 10], 3],
  ['log', [0, 10], -Infinity],
  ['log', [50, 10], Math.log(50) / Math.log(10)],
  ['log', [-1, 10], failed('log', 'cannot compute the logarithm of -1 in base 10.')],
  ['max', [1, 5, '3'], 5],
  ['max', [-1], -1],
  ['max', [1.5, 1.25], 1.5],
  ['max', [], failed('max', 'must pass at least one number.')],
  ['min', [3, 2], 2],
  ['min', [1, -5, '3'], -5],
  ['min', [0], 0],
  ['min', [], failed('min', 'must pass at least one number.')],
  ['parseint', ['FF', 16], 255],
  ['parseint', ['-101', 2], -5],
  ['parseint', ['zz', 36], 1295],
  ['parseint', ['Zz', 62], 3817],
  ['parseint', ['+12', 10], 12],
  ['parseint', ['12', 1], invalid('base', 'base must be a whole number between 2 and 62 inclusive.', 1)],
  ['parseint', ['12', 63], invalid('base', 'base must be a whole number between 2 and 62 inclusive.', 1)],
  ['parseint', ['1.5', 10], invalid('number', 'cannot parse "1.5" as a base 10 integer.', 0)],
  ['parseint', ['', 10], invalid('number', 'cannot parse "" as a base 10 integer.', 0)],
  ['parseint', ['0x1f', 16], invalid('number', 'cannot parse "0x1f" as a base 16 integer.', 0)],
  ['pow', [2, 10], 1024],
  ['pow', [2, 0.5], 1.4142135623730951],
  ['pow', [5, 0], 1],
  ['signum', [-3], -1],
  ['signum', [0], 0],
  ['signum', [0.1], 1],
];

runCases('numeric', cases);
