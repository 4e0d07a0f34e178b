// The pull-request comment: summary heading, escaped table, collapsed diff blocks, warnings,
// drift, and staying under the forge's size limit.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceChange } from '../../engine/plan/types.js';
import { codeCell, escapeCell, renderPlanMarkdown } from '../../engine/render/markdown.js';
import { ac, planOf, rc } from './render-fixtures.js';

test('heading, table and a diff block per change', () => {
  const plan = planOf(
    [
      rc({ address: 'poolform_data.a', action: 'create', after: { input: 'x', pw: 'hunter2' }, afterSensitive: { pw: true }, beforeSensitive: false }),
      rc({
        address: 'poolform_sr.s',
        action: 'replace',
        id: 'sr-1',
        impact: 'pool-outage',
        reason: 'device_config changed',
        before: { device_config: { server: 'a' } },
        after: { device_config: { server: 'b' } },
        replacePaths: [['device_config']],
      }),
    ],
    [],
    {
      diagnostics: [
        {
          severity: 'warning',
          summary: 'HA quorum at risk',
          detail: 'Only <2> hosts remain.',
          range: { file: 'pool.hcl', start: { line: 3, col: 5, byte: 0 }, end: { line: 3, col: 9, byte: 4 } },
        },
        { severity: 'warning', summary: 'Disks in use', address: 'poolform_sr.s' },
      ],
    },
  );
  const md = renderPlanMarkdown(plan, { title: 'Plan for prod' });
  assert.ok(md.startsWith('## Plan for prod\n\n### Plan: 2 to add, 0 to change, 1 to destroy.\n\n'), md);
  assert.ok(md.includes('| Action | Resource | Impact | Reason |\n|:---:|---|---|---|\n'));
  assert.ok(md.includes('| `+` | `poolform_data.a` |  |  |'), md);
  assert.ok(md.includes('| `-/+` | `poolform_sr.s` | pool-outage | replace because device\\_config changed |'), md);
  assert.ok(md.includes('- **Warning:** HA quorum at risk (`pool.hcl:3:5`)\n  Only &lt;2&gt; hosts remain.'), md);
  assert.ok(md.includes('- **Warning:** Disks in use (`poolform_sr.s`)'), md);
  assert.ok(md.includes('<details><summary><code>-/+</code> poolform_sr.s must be replaced</summary>'), md);
  assert.ok(
    md.includes(
      [
        '```diff',
        '! resource "poolform_sr" "s" {',
        '!     device_config = { # forces replacement',
        '-         server = "a"',
        '+         server = "b"',
        '      }',
        '-     id            = "sr-1"',
        '+     id            = (known after apply)',
        '  }',
        '```',
      ].join('\n'),
    ),
    md,
  );
  assert.ok(md.includes('+     pw    = (sensitive value)'), md);
  assert.ok(!md.includes('hunter2'));
  // Every <details> is closed and every fence is paired.
  assert.equal(md.split('<details>').length, md.split('</details>').length);
  assert.equal(md.split('\n').filter((l) => l.startsWith('```')).length % 2, 0);
});

test('table cells escape pipes and backticks', () => {
  assert.equal(escapeCell('a|b `c` <d>'), 'a\\|b \\`c\\` &lt;d&gt;');
  assert.equal(codeCell('x["a|b"]'), '`x["a\\|b"]`');
  assert.equal(codeCell('x["`"]'), '`` x["`"] ``');
  const md = renderPlanMarkdown(planOf([rc({ address: 'poolform_data.x["a|b`c"]', action: 'delete', reason: 'pipe | and `tick`', before: { a: 1 } })]), {});
  const row = md.split('\n').find((l) => l.startsWith('| `-`'))!;
  assert.ok(row, md);
  // Exactly the five unescaped pipes of a four-column row.
  assert.equal(row.replace(/\\\|/g, '').split('|').length - 1, 5, row);
  assert.ok(row.includes('\\`tick\\`'));
});

test('a fence is longer than any backtick run inside it', () => {
  const md = renderPlanMarkdown(planOf([rc({ address: 'poolform_data.f', action: 'create', after: { s: 'has ``` inside' }, beforeSensitive: false })]), {});
  assert.ok(md.includes('````diff\n'), md);
  assert.ok(md.includes('\n````\n'), md);
});

test('no changes, and drift', () => {
  assert.ok(renderPlanMarkdown(planOf([]), {}).startsWith('### No changes. Your infrastructure matches the configuration.'));
  const md = renderPlanMarkdown(
    planOf([
      rc({
        address: 'poolform_vlan.v',
        action: 'noop',
        before: { tag: 20 },
        after: { tag: 20 },
        drift: [ac(['tag'], 10, 20)],
      }),
    ]),
    {},
  );
  assert.ok(md.includes('#### Objects changed outside of Poolform'), md);
  assert.ok(md.includes('<summary>poolform_vlan.v has changed</summary>'), md);
  assert.ok(md.includes('-     tag = 10\n+     tag = 20'), md);
});

test('stays under the size limit and says what it left out', () => {
  const changes: ResourceChange[] = [];
  for (let i = 0; i < 3000; i++) changes.push(rc({ address: `poolform_data.x[${i}]`, index: i, action: 'create', after: { input: 'x'.repeat(50) }, beforeSensitive: false }));
  const md = renderPlanMarkdown(planOf(changes), { maxLength: 20_000 });
  assert.ok(md.length <= 20_000, String(md.length));
  assert.match(md, /more changes; see the full plan in the job log/);
  assert.match(md, /more changes? not shown in detail/);
  assert.ok(md.startsWith('### Plan: 3000 to add, 0 to change, 0 to destroy.'));
});
