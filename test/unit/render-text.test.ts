// The text plan (Terraform layout), `state show` and `output` rendering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plan } from '../../engine/plan/types.js';
import { renderOutputs, renderPlanText, renderStateResource, summaryLine } from '../../engine/render/text.js';
import { stripAnsi } from '../../engine/render/color.js';
import { compareAddresses } from '../../engine/state/address-order.js';
import { ac, planOf, rc } from './render-fixtures.js';

const text = (plan: Plan) => renderPlanText(plan, { color: false });

test('a create renders exactly like terraform plan', () => {
  const plan = planOf([
    rc({
      address: 'poolform_data.a',
      action: 'create',
      after: { input: 'hello', output: null, tags: { env: 'prod', 'cost.center': 'x' }, ports: [80, 443], none: null },
      afterUnknown: { output: true },
      beforeSensitive: false,
    }),
  ]);
  assert.equal(
    text(plan),
    [
      'Poolform used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:',
      '  + create',
      '',
      'Poolform will perform the following actions:',
      '',
      '  # poolform_data.a will be created',
      '  + resource "poolform_data" "a" {',
      '      + id     = (known after apply)',
      '      + input  = "hello"',
      '      + output = (known after apply)',
      '      + ports  = [',
      '          + 80,',
      '          + 443,',
      '        ]',
      '      + tags   = {',
      '          + "cost.center" = "x"',
      '          + env           = "prod"',
      '        }',
      '    }',
      '',
      'Plan: 1 to add, 0 to change, 0 to destroy.',
      '',
    ].join('\n'),
  );
});

test('an update shows only changed attributes, id, and a hidden count', () => {
  const plan = planOf([
    rc({
      address: 'poolform_data.b',
      action: 'update',
      id: 'uuid-b',
      before: { input: 'old', keep: 1, also: 'same', tags: { a: '1', b: '2', c: '3' } },
      after: { input: 'new', keep: 1, also: 'same', tags: { a: '1', b: '9', c: '3' } },
      impact: 'network-blip',
    }),
  ]);
  const out = text(plan);
  assert.ok(
    out.includes(
      [
        '  # poolform_data.b will be updated in-place',
        '  # impact: network-blip',
        '  ~ resource "poolform_data" "b" {',
        '        id    = "uuid-b"',
        '      ~ input = "old" -> "new"',
        '      ~ tags  = {',
        '          ~ b = "2" -> "9"',
        '            # (2 unchanged attributes hidden)',
        '        }',
        '        # (2 unchanged attributes hidden)',
        '    }',
      ].join('\n'),
    ),
    out,
  );
  assert.match(out, /^Plan: 0 to add, 1 to change, 0 to destroy\.$/m);
  assert.ok(!out.includes('keep'), 'unchanged attributes are hidden');
});

test("the planner's changes decide what an update shows; other differences stay hidden", () => {
  const out = text(
    planOf([
      rc({
        address: 'poolform_host.h',
        action: 'update',
        id: 'h-1',
        // power_state is observed at runtime and not in the configuration: after leaves it null.
        before: { name_label: 'h1', power_state: 'running', memory: 8, tags: ['a'] },
        after: { name_label: 'h1', power_state: null, memory: 16, tags: ['a'], uuid: null },
        afterUnknown: { uuid: true },
        changes: [ac(['memory'], 8, 16)],
      }),
    ]),
  );
  assert.ok(
    out.includes(
      [
        '  ~ resource "poolform_host" "h" {',
        '        id          = "h-1"',
        '      ~ memory      = 8 -> 16',
        '        name_label  = "h1"',
        '      + uuid        = (known after apply)',
        '        # (2 unchanged attributes hidden)',
        '    }',
      ].join('\n'),
    ),
    out,
  );
  assert.ok(!out.includes('power_state = '), 'no spurious removal');
});

test('impact none is not shown; singular hidden count', () => {
  const out = text(planOf([rc({ address: 'poolform_data.b', action: 'update', impact: 'none', before: { a: 1, b: 1 }, after: { a: 2, b: 1 } })]));
  assert.ok(!out.includes('impact'));
  assert.match(out, /# \(1 unchanged attribute hidden\)/);
});

test('sensitive values never print, even if a planner leaked them into the plan', () => {
  const plan = planOf(
    [
      rc({ address: 'poolform_data.c', action: 'create', after: { password: 'hunter2' }, afterSensitive: { password: true }, beforeSensitive: false }),
      rc({
        address: 'poolform_data.u',
        action: 'update',
        before: { password: null, x: 1 },
        after: { password: null, x: 1 },
        beforeSensitive: { password: true },
        afterSensitive: { password: true },
        changes: [ac(['password'], null, null, { sensitive: true })],
      }),
      rc({ address: 'poolform_data.v', action: 'update', before: { token: 'old-secret', n: 1 }, after: { token: 'new-secret', n: 2 }, changes: [ac(['token'], null, null, { sensitive: true })] }),
    ],
    [{ name: 'pw', action: 'create', before: null, after: 'hunter2', afterUnknown: false, sensitive: true }],
  );
  const out = text(plan);
  for (const secret of ['hunter2', 'old-secret', 'new-secret']) assert.ok(!out.includes(secret), `${secret} leaked:\n${out}`);
  assert.match(out, /\+ password = \(sensitive value\)/);
  assert.match(out, /~ password = \(sensitive value\)/, 'a reported change of a nulled secret still shows');
  assert.match(out, /~ token = \(sensitive value\)/);
  assert.match(out, /\+ pw = \(sensitive value\)/);
});

test('replacement: forces replacement marks, reasons, header symbols and legend', () => {
  const plan = planOf([
    rc({
      address: 'poolform_sr.nfs',
      action: 'replace',
      id: 'sr-1',
      actionReason: 'replace_because_cannot_update',
      reason: 'device_config changed; it can only be set at creation',
      before: { device_config: { server: 'a', path: '/x' }, name_label: 'nfs' },
      after: { device_config: { server: 'b', path: '/x' }, name_label: 'nfs' },
      replacePaths: [['device_config']],
    }),
    rc({ address: 'poolform_data.cbd', action: 'replace', replaceOrder: 'create-first', actionReason: 'replace_by_request', before: { a: 1 }, after: { a: 1 } }),
    rc({ address: 'poolform_data.t', action: 'replace', actionReason: 'replace_because_tainted', before: { a: 1 }, after: { a: 1 } }),
    rc({ address: 'poolform_data.tr', action: 'replace', actionReason: 'replace_by_triggers', before: { a: 1 }, after: { a: 2 }, changes: [ac(['a'], 1, 2, { forcesReplacement: true })] }),
  ]);
  const out = text(plan);
  assert.ok(out.includes('-/+ destroy and then create replacement\n+/- create replacement and then destroy\n'), out);
  assert.ok(!out.includes('  + create\n'), 'only the symbols used are in the legend');
  assert.ok(
    out.includes(
      [
        '  # poolform_sr.nfs must be replaced',
        '  # (replace because device_config changed; it can only be set at creation)',
        '-/+ resource "poolform_sr" "nfs" {',
        '      ~ device_config = { # forces replacement',
        '          ~ server = "a" -> "b"',
        '            # (1 unchanged attribute hidden)',
        '        }',
        '      ~ id            = "sr-1" -> (known after apply)',
        '        name_label    = "nfs"',
        '    }',
      ].join('\n'),
    ),
    out,
  );
  assert.match(out, /# poolform_data\.cbd will be replaced, as requested\n\+\/- resource/);
  assert.match(out, /# poolform_data\.t is tainted, so must be replaced\n/);
  assert.match(out, /# poolform_data\.tr will be replaced due to changes in replace_triggered_by\n/);
  assert.match(out, /~ a  = 1 -> 2 # forces replacement/);
  assert.match(out, /^Plan: 4 to add, 0 to change, 4 to destroy\.$/m);
});

test('deletions say why, with -> null on each attribute', () => {
  const plan = planOf([
    rc({ address: 'poolform_data.gone', action: 'delete', id: 'g1', actionReason: 'delete_because_no_resource_config', before: { input: 'x', list: ['a'] } }),
    rc({ address: 'poolform_data.d[2]', index: 2, action: 'delete', actionReason: 'delete_because_count_index', before: { input: 'x' } }),
    rc({ address: 'poolform_data.e["k"]', index: 'k', action: 'delete', actionReason: 'delete_because_each_key', before: { input: 'x' } }),
    rc({ address: 'module.net.poolform_data.m', moduleAddress: 'module.net', action: 'delete', actionReason: 'delete_because_no_module', before: { input: 'x' } }),
  ]);
  const out = text(plan);
  assert.ok(
    out.includes(
      [
        '  # poolform_data.gone will be destroyed',
        '  # (because poolform_data.gone is not in configuration)',
        '  - resource "poolform_data" "gone" {',
        '      - id    = "g1" -> null',
        '      - input = "x" -> null',
        '      - list  = [',
        '          - "a",',
        '        ] -> null',
        '    }',
      ].join('\n'),
    ),
    out,
  );
  assert.match(out, /# \(because index \[2\] is out of range for count\)/);
  assert.match(out, /# \(because key \["k"\] is not in for_each map\)/);
  assert.match(out, /# \(because module\.net is not in configuration\)/);
  assert.match(out, /^Plan: 0 to add, 0 to change, 4 to destroy\.$/m);
});

test('data reads, moves and imports', () => {
  const plan = planOf([
    rc({ address: 'data.poolform_host.h', mode: 'data', type: 'poolform_host', name: 'h', action: 'read', actionReason: 'read_because_config_unknown', after: { name: 'h1', uuid: null }, afterUnknown: { uuid: true } }),
    rc({ address: 'poolform_data.new', action: 'noop', previousAddress: 'poolform_data.old', id: 'i1', before: { a: 1 }, after: { a: 1 } }),
    rc({ address: 'poolform_data.imp', action: 'noop', importingId: 'abc', id: 'abc', before: { a: 1 }, after: { a: 1 } }),
    rc({ address: 'poolform_data.moved_upd', action: 'update', previousAddress: 'poolform_data.was', before: { a: 1 }, after: { a: 2 } }),
    rc({ address: 'poolform_data.quiet', action: 'noop', before: { a: 1 }, after: { a: 1 } }),
  ]);
  const out = text(plan);
  assert.ok(
    out.includes(
      [
        '  # data.poolform_host.h will be read during apply',
        '  # (config refers to values not yet known)',
        ' <= data "poolform_host" "h" {',
        '      + name = "h1"',
        '      + uuid = (known after apply)',
        '    }',
      ].join('\n'),
    ),
    out,
  );
  assert.ok(out.includes(' <= read (data resources)'));
  assert.ok(
    out.includes(['  # poolform_data.old has moved to poolform_data.new', '    resource "poolform_data" "new" {', '        id = "i1"', '        # (1 unchanged attribute hidden)', '    }'].join('\n')),
    out,
  );
  assert.match(out, /# poolform_data\.imp will be imported\n/);
  assert.match(out, /# poolform_data\.moved_upd will be updated in-place\n  # \(moved from poolform_data\.was\)\n/);
  assert.ok(!out.includes('quiet'), 'plain no-ops are not listed');
  assert.match(out, /^Plan: 1 to import, 0 to add, 1 to change, 0 to destroy\.$/m);
});

test('multi-line strings diff line by line inside a heredoc; lists keep one element of context', () => {
  const plan = planOf([
    rc({
      address: 'poolform_data.h',
      action: 'update',
      before: { script: 'l1\nl2\nl3\nl4\nl5\n', list: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
      after: { script: 'l1\nl2\nl3\nl4\nX5\n', list: ['a', 'b', 'c', 'D', 'e', 'f', 'g', 'h'] },
    }),
  ]);
  const out = text(plan);
  assert.ok(
    out.includes(
      [
        '      ~ list   = [',
        '            # (2 unchanged elements hidden)',
        '            "c",',
        '          - "d",',
        '          + "D",',
        '            "e",',
        '            # (1 unchanged element hidden)',
        '            "g",',
        '          + "h",',
        '        ]',
        '      ~ script = <<-EOT',
        '            # (3 unchanged lines hidden)',
        '            l4',
        '          - l5',
        '          + X5',
        '        EOT',
      ].join('\n'),
    ),
    out,
  );
});

test('an attribute that becomes unknown shows the old value -> (known after apply)', () => {
  const out = text(planOf([rc({ address: 'poolform_data.u', action: 'update', before: { out: 'x', obj: { k: 1 } }, after: { out: null, obj: null }, afterUnknown: { out: true, obj: true } })]));
  assert.match(out, /~ out = "x" -> \(known after apply\)/);
  assert.ok(out.includes('      ~ obj = {\n          - k = 1\n        } -> (known after apply)'), out);
});

test('drift section comes first and shows what changed outside', () => {
  const plan = planOf(
    [
      rc({ address: 'poolform_vlan.v', action: 'update', id: 'v1', before: { tag: 20, mtu: 1500 }, after: { tag: 10, mtu: 1500 }, drift: [ac(['tag'], 10, 20)] }),
      rc({ address: 'poolform_vlan.w', action: 'create', before: null, after: { tag: 5 }, beforeSensitive: false, drift: [ac(['tag'], 5, null)] }),
    ],
    [],
    { drift_detected: true },
  );
  const out = text(plan);
  assert.ok(out.startsWith('Note: Objects have changed outside of Poolform\n'), out);
  assert.ok(
    out.includes(['  # poolform_vlan.v has changed', '  ~ resource "poolform_vlan" "v" {', '        id  = "v1"', '      ~ tag = 10 -> 20', '        # (1 unchanged attribute hidden)', '    }'].join('\n')),
    out,
  );
  assert.match(out, /# poolform_vlan\.w has been deleted\n  - resource "poolform_vlan" "w" \{\n      - tag = 5 -> null\n/);
  assert.ok(out.indexOf('has changed') < out.indexOf('Poolform will perform the following actions:'));
});

test('an object that vanished outside poolform, as the planner reports it (whole-object drift)', () => {
  const plan = planOf([
    rc({
      address: 'poolform_vlan.gone',
      action: 'create',
      reason: 'the object was deleted outside poolform',
      after: { tag: 7 },
      beforeSensitive: false,
      drift: [ac([], { tag: 7, uuid: 'u-1' }, null)],
    }),
  ]);
  const out = text(plan);
  assert.ok(
    out.includes(['  # poolform_vlan.gone has been deleted', '  - resource "poolform_vlan" "gone" {', '      - tag  = 7 -> null', '      - uuid = "u-1" -> null', '    }'].join('\n')),
    out,
  );
  assert.match(out, /# poolform_vlan\.gone will be created\n  # \(because the object was deleted outside poolform\)\n/);
});

test("the planner's reason words replace the stock reason line", () => {
  const out = text(
    planOf([
      rc({
        address: 'poolform_data.x',
        action: 'delete',
        actionReason: 'delete_because_no_resource_config',
        reason: 'poolform_data.x is no longer expanded by the configuration',
        before: { a: 1 },
      }),
    ]),
  );
  assert.match(out, /# poolform_data\.x will be destroyed\n  # \(because poolform_data\.x is no longer expanded by the configuration\)\n  - resource/);
});

test('no changes, destroy with nothing, and outputs-only plans', () => {
  assert.equal(
    text(planOf([rc({ address: 'poolform_data.q', action: 'noop', before: { a: 1 }, after: { a: 1 } })])),
    'No changes. Your infrastructure matches the configuration.\n\nPoolform has compared your real infrastructure against your configuration and found no differences, so no changes are needed.\n',
  );
  assert.match(text(planOf([], [], { destroy: true })), /^No changes\. No objects need to be destroyed\./);
  const out = text(
    planOf(
      [],
      [
        { name: 'url', action: 'update', before: 'http://a', after: 'http://b', afterUnknown: false, sensitive: false },
        { name: 'old', action: 'delete', before: 'x', after: null, afterUnknown: false, sensitive: false },
        { name: 'later', action: 'create', before: null, after: null, afterUnknown: true, sensitive: false },
        { name: 'same', action: 'noop', before: 1, after: 1, afterUnknown: false, sensitive: false },
      ],
    ),
  );
  assert.equal(
    out,
    [
      'Changes to Outputs:',
      '  + later = (known after apply)',
      '  - old   = "x" -> null',
      '  ~ url   = "http://a" -> "http://b"',
      '',
      'You can apply this plan to save these new output values to the Poolform state, without changing any real infrastructure.',
      '',
    ].join('\n'),
  );
});

test('summary line', () => {
  const plan = planOf([
    rc({ address: 'a.a', action: 'create' }),
    rc({ address: 'a.b', action: 'create', importingId: 'x' }),
    rc({ address: 'a.c', action: 'replace' }),
    rc({ address: 'a.d', action: 'update' }),
    rc({ address: 'a.e', action: 'delete' }),
    rc({ address: 'a.f', action: 'read' }),
  ]);
  assert.equal(summaryLine(plan), 'Plan: 1 to import, 3 to add, 1 to change, 2 to destroy.');
});

test('colour only when asked, and only as decoration', () => {
  const plan = planOf([
    rc({ address: 'poolform_data.a', action: 'create', after: { x: 1 }, beforeSensitive: false }),
    rc({ address: 'poolform_data.b', action: 'replace', before: { x: 1 }, after: { x: 2 }, replacePaths: [['x']] }),
    rc({ address: 'poolform_data.c', action: 'delete', before: { x: 1 } }),
  ]);
  const plain = renderPlanText(plan, { color: false });
  const colored = renderPlanText(plan, { color: true });
  assert.ok(!plain.includes('\x1b['));
  assert.ok(colored.includes('\x1b[32m+\x1b[39m'), 'green +');
  assert.ok(colored.includes('\x1b[31m-\x1b[39m/\x1b[32m+\x1b[39m'), 'red/green -/+');
  assert.ok(colored.includes('\x1b[31m# forces replacement\x1b[39m'));
  assert.ok(colored.includes('\x1b[1mPlan:\x1b[22m'));
  assert.equal(stripAnsi(colored), plain);
});

test('changes are listed in address order with numeric instance keys', () => {
  const addrs = ['p.x[10]', 'p.x[2]', 'p.a', 'module.m.p.x', 'p.x["b"]'];
  const sorted = [...addrs].sort(compareAddresses);
  assert.deepEqual(sorted, ['module.m.p.x', 'p.a', 'p.x["b"]', 'p.x[2]', 'p.x[10]']);
  const out = text(planOf(addrs.map((a) => rc({ address: a, action: 'create', after: {}, beforeSensitive: false }))));
  const order = [...out.matchAll(/^ {2}# (\S+) will be created$/gm)].map((m) => m[1]);
  assert.deepEqual(order, sorted);
});

test('state show: block with aligned attributes, id, sensitive paths hidden', () => {
  const out = renderStateResource(
    {
      address: 'module.net.poolform_vlan.v["host 1"]',
      mode: 'managed',
      type: 'poolform_vlan',
      provider: 'poolform',
      id: 'uuid-v',
      attributes: { tag: 10, other_config: { a: 'b' }, secret: 'hunter2', gone: null, digest: 'sensitive:sha256:abc' },
      sensitivePaths: [['secret']],
      dependencies: [],
    },
    { color: false },
  );
  assert.equal(
    out,
    [
      '# module.net.poolform_vlan.v["host 1"]:',
      'resource "poolform_vlan" "v" {',
      '    digest       = (sensitive value)',
      '    id           = "uuid-v"',
      '    other_config = {',
      '        a = "b"',
      '    }',
      '    secret       = (sensitive value)',
      '    tag          = 10',
      '}',
    ].join('\n'),
  );
  const data = renderStateResource({ address: 'data.poolform_host.h', mode: 'data', type: 'poolform_host', provider: 'poolform', id: 'h', attributes: {}, dependencies: [], tainted: true }, { color: false });
  assert.match(data, /^# data\.poolform_host\.h: \(tainted\)\ndata "poolform_host" "h" \{/);
});

test('output: name = value, sensitive as <sensitive>, sorted', () => {
  assert.equal(
    renderOutputs({ z: { value: [1, 2], sensitive: false }, a: { value: 'x', sensitive: false }, pw: { value: 'hunter2', sensitive: true } }, { color: false }),
    ['a = "x"', 'pw = <sensitive>', 'z = [', '  1,', '  2,', ']'].join('\n'),
  );
  assert.equal(renderOutputs({}, { color: false }), '');
});

test('a value that changes type keeps the old one indented, then what replaces it', () => {
  const listToString = rc({
    address: 'poolform_data.t',
    action: 'update',
    id: 'i-1',
    before: { id: 'i-1', triggers_replace: ['a', 'b'] },
    after: { id: 'i-1', triggers_replace: 'a,c' },
    changes: [ac(['triggers_replace'], ['a', 'b'], 'a,c')],
  });
  const stringToList = rc({
    address: 'poolform_data.u',
    action: 'update',
    id: 'i-2',
    before: { id: 'i-2', input: 'x' },
    after: { id: 'i-2', input: ['y'] },
    changes: [ac(['input'], 'x', ['y'])],
  });
  const out = renderPlanText(planOf([listToString, stringToList]), { color: false });
  assert.ok(
    out.includes(
      ['      ~ triggers_replace = [', '          - "a",', '          - "b",', '        ] -> "a,c"'].join('\n'),
    ),
    out,
  );
  assert.ok(out.includes(['      ~ input = "x" -> [', '          + "y",', '        ]'].join('\n')), out);
});
