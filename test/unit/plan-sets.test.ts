// Sets (x-set): configuration, state and observation in one canonical order before they are
// compared, so the order a list is written or reported in never plans a change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalSets, hasSets } from '../../engine/plan/sets.js';
import { diffInstance } from '../../engine/plan/diff.js';
import { Sensitive, Unknown } from '../../engine/lang/value.js';
import type { AttributeMeta, ResourceSchema } from '../../engine/schema/types.js';

function meta(name: string, extra: Partial<AttributeMeta> = {}): AttributeMeta {
  return { name, required: false, computed: false, optional: true, sensitive: false, replaceOnChange: false, drift: 'desired', writeOnly: false, ...extra };
}

const attrs: Record<string, AttributeMeta> = {
  content: meta('content', { set: true }),
  order: meta('order'), // a plain list: order kept
  bridge: meta('bridge', { set: true, nesting: 'list', nested: { name: meta('name'), ports: meta('ports', { set: true }) } }),
};

test('set attributes are sorted, plain lists are not, nested blocks by name then their own sets', () => {
  const out = canonicalSets(attrs, {
    content: ['iso', 'backup', 'images'],
    order: ['b', 'a'],
    bridge: [
      { name: 'vmbr10', ports: ['eno2', 'eno1'] },
      { name: 'vmbr2', ports: [] },
    ],
  });
  assert.deepEqual(out, {
    content: ['backup', 'images', 'iso'],
    order: ['b', 'a'],
    bridge: [
      { name: 'vmbr2', ports: [] },
      { name: 'vmbr10', ports: ['eno1', 'eno2'] },
    ],
  });
  assert.ok(hasSets(attrs));
  assert.ok(!hasSets({ order: meta('order') }));
});

test('a list with an element not known yet is left as written; sensitive marks do not change order', () => {
  const unknown = new Unknown();
  const v = canonicalSets(attrs, { content: ['iso', unknown] });
  assert.deepEqual(v.content, ['iso', unknown]);
  const secret = new Sensitive('a');
  assert.deepEqual(canonicalSets(attrs, { content: ['b', secret] }).content, [secret, 'b']);
});

test('a plan compares sets without order: reordered config and platform order plan no change', () => {
  const schema: ResourceSchema = { type: 't_x', kind: 'resource', provider: 't', jsonSchema: {}, attributes: { id: meta('id', { computed: true, optional: false }), ...attrs } };
  const d = diffInstance({
    schema,
    config: { content: ['iso', 'images'], order: ['a'], bridge: [{ name: 'vmbr1', ports: ['eno2', 'eno1'] }] },
    prior: { address: 't_x.a', mode: 'managed', type: 't_x', provider: 'provider.t', id: '1', attributes: { id: '1', content: ['images', 'iso'], order: ['a'], bridge: [{ name: 'vmbr1', ports: ['eno1', 'eno2'] }] }, dependencies: [] },
    observed: { id: '1', content: ['iso', 'images'], order: ['a'], bridge: [{ name: 'vmbr1', ports: ['eno2', 'eno1'] }] },
    salt: 's',
    ignoreChanges: { all: false, paths: [] },
  });
  assert.equal(d.action, 'noop');
  // A real difference in a set still shows.
  const changed = diffInstance({
    schema,
    config: { content: ['iso', 'backup'], order: ['a'], bridge: [] },
    prior: { address: 't_x.a', mode: 'managed', type: 't_x', provider: 'provider.t', id: '1', attributes: { id: '1', content: ['images', 'iso'], order: ['a'], bridge: [] }, dependencies: [] },
    observed: { id: '1', content: ['iso', 'images'], order: ['a'], bridge: [] },
    salt: 's',
    ignoreChanges: { all: false, paths: [] },
  });
  assert.equal(changed.action, 'update');
});
