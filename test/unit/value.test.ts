// Unit tests of runtime values (engine/lang/value.ts): the marks-and-unknowns walks the planner
// and apply run on every instance, and the shapes they give Terraform's plan JSON.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Sensitive,
  UNKNOWN,
  containsSensitive,
  deepUnmark,
  isWhollyKnown,
  sensitiveShape,
  setKey,
  unknownShape,
  type Value,
  type ValueObject,
} from '../../engine/lang/value.js';

const secret = new Sensitive('pw');
const VALUE: Value = { name: 'web', disks: [{ size: 10, key: secret }, { size: UNKNOWN }], auth: new Sensitive({ user: 'u', token: UNKNOWN }) };

test('isWhollyKnown and containsSensitive look everywhere, through marks', () => {
  assert.equal(isWhollyKnown(VALUE), false);
  assert.equal(isWhollyKnown({ a: [1, { b: 'x' }], c: secret }), true);
  assert.equal(isWhollyKnown(new Sensitive([UNKNOWN])), false);
  assert.equal(containsSensitive(VALUE), true);
  assert.equal(containsSensitive({ a: [1, { b: UNKNOWN }] }), false);
  assert.equal(containsSensitive([[[secret]]]), true);
});

test('deepUnmark: a plain copy, and the paths that were marked', () => {
  const { value, paths } = deepUnmark(VALUE);
  assert.deepEqual(value, { name: 'web', disks: [{ size: 10, key: 'pw' }, { size: UNKNOWN }], auth: { user: 'u', token: UNKNOWN } });
  assert.deepEqual(paths, [['disks', 0, 'key'], ['auth']]);
  assert.notEqual((value as ValueObject).disks, (VALUE as ValueObject).disks, 'a copy, not the original');
  assert.deepEqual(deepUnmark(secret, ['root']).paths, [['root']]);
  assert.equal(deepUnmark('x').value, 'x');
  // a "__proto__" key stays data
  const o: ValueObject = {};
  setKey(o, '__proto__', secret);
  const u = deepUnmark(o).value as ValueObject;
  assert.deepEqual(Object.keys(u), ['__proto__']);
  assert.equal(Object.getPrototypeOf(u), Object.prototype);
  assert.equal(u['__proto__'], 'pw');
});

test('unknownShape and sensitiveShape: Terraform plan JSON marks', () => {
  assert.deepEqual(unknownShape(VALUE), { disks: [{}, { size: true }], auth: { token: true } });
  assert.deepEqual(sensitiveShape(VALUE), { disks: [{ key: true }, {}], auth: true });
  assert.equal(unknownShape(UNKNOWN), true);
  assert.equal(sensitiveShape(UNKNOWN), false);
  assert.deepEqual(unknownShape([1, UNKNOWN]), [false, true]);
  assert.equal(unknownShape('x'), false);
});
