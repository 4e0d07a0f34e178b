// Hash and UUID functions: digests of UTF-8 text, uuidv5 namespaces, uuid() unknown at plan.

import { test } from 'node:test';
import { callUnknown, failed, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const cases: Case[] = [
  ['md5', ['hello'], '5d41402abc4b2a76b9719d911017c592'],
  ['md5', [''], 'd41d8cd98f00b204e9800998ecf8427e'],
  ['md5', ['é'], '66ddcd97cfdeabb2f6fb8a999b4bc76f'],
  ['sha1', ['hello'], 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'],
  ['sha1', [''], 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
  ['sha1', [1], '356a192b7913b04c54574d18c28d46e6395428ab'],
  ['sha256', ['hello'], '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'],
  ['sha256', [''], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['sha256', [true], 'b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b'],
  ['sha512', ['hello'], '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043'],
  ['sha512', [''], 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'],
  ['sha512', ['abc'], 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
  ['base64sha256', ['hello'], 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ='],
  ['base64sha256', [''], '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='],
  ['base64sha256', ['abc'], 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='],
  ['base64sha512', ['hello'], 'm3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw=='],
  ['base64sha512', [''], 'z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=='],
  ['base64sha512', ['abc'], '3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=='],
  ['uuidv5', ['dns', 'example.com'], 'cfbff0d1-9375-5685-968c-48ce8b15ae17'],
  ['uuidv5', ['url', 'x'], '4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4'],
  ['uuidv5', ['oid', 'x'], '8558d34a-d3c6-5881-a6e3-bf8f3e6110ea'],
  ['uuidv5', ['x500', 'x'], '456e503f-63e3-56c1-b807-4cd79bf8cc22'],
  ['uuidv5', ['6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'x'], '4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4'],
  ['uuidv5', ['{6ba7b811-9dad-11d1-80b4-00c04fd430c8}', 'x'], '4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4'],
  ['uuidv5', ['6ba7b8119dad11d180b400c04fd430c8', 'x'], '4cd605e7-afa2-5360-b5b9-c5e9fb5c76f4'],
  ['uuidv5', ['nope', 'x'], failed('uuidv5', "uuidv5() doesn't support namespace nope (invalid UUID length: 4).")],
  ['uuidv5', ['6ba7b811-9dad-11d1-80b4-00c04fd430cz', 'x'], failed('uuidv5', "uuidv5() doesn't support namespace 6ba7b811-9dad-11d1-80b4-00c04fd430cz (invalid UUID format).")],
];

runCases('hashing', cases);

test('uuid() is unknown until apply, as in Terraform', () => {
  callUnknown('uuid', [], 'string');
});
