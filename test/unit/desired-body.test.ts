// Resource bodies: nested blocks are whole objects, so what a block leaves out takes its schema
// default (or null), as a top-level attribute does; otherwise a block never compares equal with
// the platform's full answer and every plan shows a change.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHCL } from '../../engine/config/hcl/parser.js';
import { Diagnostics } from '../../engine/diagnostics.js';
import { evaluateBody } from '../../engine/desired/body.js';
import { valuesScope, NO_FUNCTION_CONTEXT } from '../../engine/lang/scope.js';
import type { AttributeMeta } from '../../engine/schema/types.js';

function meta(name: string, extra: Partial<AttributeMeta> = {}): AttributeMeta {
  return { name, required: false, computed: false, optional: true, sensitive: false, replaceOnChange: false, drift: 'desired', writeOnly: false, ...extra };
}

const attrs: Record<string, AttributeMeta> = {
  node: meta('node'),
  bridge: meta('bridge', {
    nesting: 'list',
    nested: { name: meta('name'), mtu: meta('mtu', { default: 1500 }), ports: meta('ports', { default: [] }), comments: meta('comments'), id: meta('id', { computed: true, optional: false }) },
  }),
  single: meta('single', { nesting: 'single', nested: { on: meta('on', { default: false }), note: meta('note') } }),
};

test('a nested block fills what it leaves out with defaults or null, never computed attributes', () => {
  const diags = new Diagnostics();
  const file = parseHCL('node = "pve1"\nbridge {\n  name = "vmbr1"\n}\nbridge {\n  name = "vmbr2"\n  mtu  = 9000\n}\nsingle {\n  note = "x"\n}\n', 'main.hcl', diags);
  assert.equal(diags.hasErrors, false);
  const v = evaluateBody(file.body, attrs, valuesScope({}, {}, NO_FUNCTION_CONTEXT), diags).value;
  assert.equal(diags.hasErrors, false);
  assert.deepEqual(v, {
    node: 'pve1',
    bridge: [
      { name: 'vmbr1', mtu: 1500, ports: [], comments: null },
      { name: 'vmbr2', mtu: 9000, ports: [], comments: null },
    ],
    single: { on: false, note: 'x' },
  });
  // Defaults are copies: one block's list is not another's.
  const [a, b] = v.bridge as { ports: unknown[] }[];
  assert.notEqual(a!.ports, b!.ports);
});
