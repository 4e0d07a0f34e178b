// The Terraform-format JSON plan: an exact small document, then the structural guarantees that
// policy tools (OPA/conftest, PR bots) rely on, and the no-secrets rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OutputChange, Plan, ResourceChange } from '../../engine/plan/types.js';
import type { State } from '../../engine/state/types.js';
import { providerName, renderPlanJSON, stateToJSON, terraformActions } from '../../engine/render/json.js';
import { ac, planOf } from './render-fixtures.js';

const base = {
  mode: 'managed' as const,
  provider: 'xenserver',
  dependsOn: [],
  configDependencies: [],
  replacePaths: [],
  changes: [],
  afterUnknown: {},
  beforeSensitive: {},
  afterSensitive: {},
};

// Secrets deliberately left in the plan ("leak-N"): the renderer must not pass them on.
function samplePlan(): Plan {
  const changes: ResourceChange[] = [
    {
      ...base,
      address: 'poolform_vlan.v["h1"]',
      type: 'poolform_vlan',
      name: 'v',
      index: 'h1',
      provider: 'xenserver.dc2',
      action: 'create',
      before: null,
      after: { tag: 10, uuid: null, secret: 'leak-1' },
      afterUnknown: { uuid: true },
      beforeSensitive: false,
      afterSensitive: { secret: true },
    },
    {
      ...base,
      address: 'module.net.poolform_bond.b',
      moduleAddress: 'module.net',
      type: 'poolform_bond',
      name: 'b',
      action: 'update',
      id: 'bond-1',
      before: { mode: 'active-backup', mtu: 1500, password: 'leak-2' },
      after: { mode: 'lacp', mtu: 1500, password: 'leak-3' },
      beforeSensitive: { password: true },
      afterSensitive: { password: true },
      changes: [ac(['mode'], 'active-backup', 'lacp'), ac(['password'], null, null, { sensitive: true })],
      impact: 'network-blip',
    },
    {
      ...base,
      address: 'poolform_sr.s',
      type: 'poolform_sr',
      name: 's',
      action: 'replace',
      replaceOrder: 'create-first',
      id: 'sr-1',
      actionReason: 'replace_because_cannot_update',
      before: { device_config: { server: 'a' } },
      after: { device_config: { server: 'b' } },
      replacePaths: [['device_config']],
    },
    {
      ...base,
      address: 'poolform_data.d[3]',
      type: 'poolform_data',
      name: 'd',
      index: 3,
      action: 'delete',
      id: 'd-3',
      actionReason: 'delete_because_count_index',
      before: { x: 1 },
      after: null,
      afterSensitive: false,
    },
    { ...base, address: 'poolform_data.i', type: 'poolform_data', name: 'i', action: 'noop', importingId: 'imp-1', id: 'imp-1', before: { x: 1 }, after: { x: 1 } },
  ];
  const outputs: OutputChange[] = [
    { name: 'o', action: 'create', before: null, after: 'v', afterUnknown: false, sensitive: false },
    { name: 's', action: 'update', before: 'leak-4', after: 'leak-5', afterUnknown: false, sensitive: true },
  ];
  return planOf(changes, outputs, {
    created: '2025-01-02T03:04:05Z',
    config_dir: '/c',
    state_lineage: 'l',
    variables: { pool: { value: 'prod', sensitive: false }, root_password: { value: 'leak-0', sensitive: true } },
  });
}

const res = (address: string, type: string, name: string, extra: Record<string, unknown> = {}) => ({
  address,
  mode: 'managed',
  type,
  name,
  ...extra,
});

test('the document for a small plan', () => {
  const doc = renderPlanJSON(samplePlan(), {});
  assert.deepEqual(doc, {
    format_version: '1.2',
    terraform_version: '0.1.0',
    poolform_version: '0.1.0',
    variables: { pool: { value: 'prod' }, root_password: {} },
    planned_values: {
      outputs: { o: { sensitive: false, value: 'v' }, s: { sensitive: true } },
      root_module: {
        resources: [
          { ...res('poolform_data.i', 'poolform_data', 'i'), provider_name: 'xenserver', schema_version: 0, values: { id: 'imp-1', x: 1 }, sensitive_values: {} },
          { ...res('poolform_sr.s', 'poolform_sr', 's'), provider_name: 'xenserver', schema_version: 0, values: { device_config: { server: 'b' } }, sensitive_values: {} },
          {
            ...res('poolform_vlan.v["h1"]', 'poolform_vlan', 'v'),
            index: 'h1',
            provider_name: 'xenserver',
            schema_version: 0,
            values: { secret: null, tag: 10 },
            sensitive_values: { secret: true },
          },
        ],
        child_modules: [
          {
            address: 'module.net',
            resources: [
              {
                ...res('module.net.poolform_bond.b', 'poolform_bond', 'b'),
                provider_name: 'xenserver',
                schema_version: 0,
                values: { id: 'bond-1', mode: 'lacp', mtu: 1500, password: null },
                sensitive_values: { password: true },
              },
            ],
          },
        ],
      },
    },
    resource_drift: [],
    resource_changes: [
      {
        address: 'module.net.poolform_bond.b',
        module_address: 'module.net',
        mode: 'managed',
        type: 'poolform_bond',
        name: 'b',
        provider_name: 'xenserver',
        change: {
          actions: ['update'],
          before: { id: 'bond-1', mode: 'active-backup', mtu: 1500, password: null },
          after: { id: 'bond-1', mode: 'lacp', mtu: 1500, password: null },
          after_unknown: {},
          before_sensitive: { password: true },
          after_sensitive: { password: true },
        },
      },
      {
        ...res('poolform_data.d[3]', 'poolform_data', 'd'),
        index: 3,
        provider_name: 'xenserver',
        change: { actions: ['delete'], before: { id: 'd-3', x: 1 }, after: null, after_unknown: {}, before_sensitive: {}, after_sensitive: false },
        action_reason: 'delete_because_count_index',
      },
      {
        ...res('poolform_data.i', 'poolform_data', 'i'),
        provider_name: 'xenserver',
        change: {
          actions: ['no-op'],
          before: { id: 'imp-1', x: 1 },
          after: { id: 'imp-1', x: 1 },
          after_unknown: {},
          before_sensitive: {},
          after_sensitive: {},
          importing: { id: 'imp-1' },
        },
      },
      {
        ...res('poolform_sr.s', 'poolform_sr', 's'),
        provider_name: 'xenserver',
        change: {
          actions: ['create', 'delete'],
          before: { device_config: { server: 'a' }, id: 'sr-1' },
          after: { device_config: { server: 'b' } },
          after_unknown: { id: true },
          before_sensitive: {},
          after_sensitive: {},
          replace_paths: [['device_config']],
        },
        action_reason: 'replace_because_cannot_update',
      },
      {
        ...res('poolform_vlan.v["h1"]', 'poolform_vlan', 'v'),
        index: 'h1',
        provider_name: 'xenserver',
        change: {
          actions: ['create'],
          before: null,
          after: { secret: null, tag: 10 },
          after_unknown: { uuid: true, id: true },
          before_sensitive: false,
          after_sensitive: { secret: true },
        },
      },
    ],
    output_changes: {
      o: { actions: ['create'], before: null, after: 'v', after_unknown: false, before_sensitive: false, after_sensitive: false },
      s: { actions: ['update'], before: null, after: null, after_unknown: false, before_sensitive: true, after_sensitive: true },
    },
    relevant_attributes: [],
    timestamp: '2025-01-02T03:04:05Z',
    applyable: true,
    complete: true,
    errored: false,
  });
});

test('no secret reaches the document, wherever the plan carried it', () => {
  const text = JSON.stringify(renderPlanJSON(samplePlan(), {}));
  for (let i = 0; i <= 5; i++) assert.ok(!text.includes(`leak-${i}`), `leak-${i} in ${text}`);
});

test('structure a policy tool relies on', () => {
  const doc = renderPlanJSON(samplePlan(), {}) as Record<string, any>;
  const allowed = new Set(['["create"]', '["update"]', '["delete"]', '["no-op"]', '["read"]', '["delete","create"]', '["create","delete"]']);
  for (const rc of doc.resource_changes) {
    // conftest-style: input.resource_changes[_].change.actions[_] == "delete"
    assert.ok(allowed.has(JSON.stringify(rc.change.actions)), rc.address);
    for (const k of ['address', 'mode', 'type', 'name', 'provider_name', 'change']) assert.ok(k in rc, `${rc.address} has ${k}`);
    for (const k of ['before', 'after', 'after_unknown', 'before_sensitive', 'after_sensitive']) assert.ok(k in rc.change, `${rc.address} change.${k}`);
    // The address is made of its parts.
    const key = rc.index === undefined ? '' : typeof rc.index === 'number' ? `[${rc.index}]` : `[${JSON.stringify(rc.index)}]`;
    const own = `${rc.mode === 'data' ? 'data.' : ''}${rc.type}.${rc.name}${key}`;
    assert.equal(rc.address, rc.module_address ? `${rc.module_address}.${own}` : own);
    // Whatever is unknown is absent from `after`; a deleted object has no after.
    if (rc.change.after === null) assert.equal(rc.change.actions.includes('delete') && rc.change.actions.length === 1, true);
    else for (const [k, v] of Object.entries(rc.change.after_unknown)) if (v === true) assert.ok(!(k in rc.change.after), `${rc.address}.${k}`);
    // Every sensitive path reads as null.
    for (const side of ['before', 'after'] as const) {
      const shape = rc.change[`${side}_sensitive`];
      if (shape && typeof shape === 'object') for (const [k, v] of Object.entries(shape)) if (v === true) assert.equal(rc.change[side][k], null);
    }
  }
  // Planned values hold what exists after apply: nothing being deleted.
  const planned: string[] = [];
  const walk = (m: any) => {
    for (const r of m.resources ?? []) planned.push(r.address);
    for (const c of m.child_modules ?? []) {
      assert.ok(c.address.startsWith('module.'));
      walk(c);
    }
  };
  walk(doc.planned_values.root_module);
  assert.ok(!planned.includes('poolform_data.d[3]'));
  assert.equal(planned.length, 4);
  assert.equal(doc.applyable, true);
});

test('provider_name is the provider, without module path or alias', () => {
  for (const a of ['xenserver', 'xenserver.dc2', 'provider.xenserver', 'provider.xenserver.dc2', 'module.net.provider.xenserver']) assert.equal(providerName(a), 'xenserver', a);
});

test('actions and applyable for the edge cases', () => {
  assert.deepEqual(terraformActions('replace'), ['delete', 'create']);
  assert.deepEqual(terraformActions('replace', 'create-first'), ['create', 'delete']);
  assert.deepEqual(terraformActions('read'), ['read']);
  const plan = samplePlan();
  plan.outputs = [];
  // Only the import is left: adopting an object changes state, so the plan is applyable.
  plan.changes = plan.changes.filter((c) => c.action === 'noop');
  assert.equal((renderPlanJSON(plan, {}) as Record<string, any>).applyable, true);
  // Without it nothing would change.
  plan.changes = plan.changes.map((c) => ({ ...c, importingId: undefined }));
  const doc = renderPlanJSON(plan, {}) as Record<string, any>;
  assert.equal(doc.applyable, false);
});

test('drift becomes resource_drift with the recorded and observed objects', () => {
  const plan = samplePlan();
  plan.changes = [
    {
      ...base,
      address: 'poolform_vlan.w',
      type: 'poolform_vlan',
      name: 'w',
      action: 'update',
      id: 'w-1',
      before: { tag: 20, mtu: 1500 },
      after: { tag: 10, mtu: 1500 },
      drift: [ac(['tag'], 10, 20)],
    },
  ];
  const doc = renderPlanJSON(plan, {}) as Record<string, any>;
  assert.deepEqual(doc.resource_drift, [
    {
      address: 'poolform_vlan.w',
      mode: 'managed',
      type: 'poolform_vlan',
      name: 'w',
      provider_name: 'xenserver',
      change: {
        actions: ['update'],
        before: { id: 'w-1', mtu: 1500, tag: 10 },
        after: { id: 'w-1', mtu: 1500, tag: 20 },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
      },
    },
  ]);
});

test('prior state and configuration: poolform state is converted, anything else passes through', () => {
  const state: State = {
    format_version: 1,
    poolform_version: '0.1.0',
    serial: 4,
    lineage: 'lin',
    resources: [
      {
        address: 'module.net.poolform_vlan.v["a.b"]',
        mode: 'managed',
        type: 'poolform_vlan',
        provider: 'xenserver.dc2',
        id: 'v-1',
        attributes: { tag: 10, key: 'leak-9' },
        sensitivePaths: [['key']],
        dependencies: ['poolform_network.n'],
        tainted: true,
      },
      { address: 'data.poolform_host.h[0]', mode: 'data', type: 'poolform_host', provider: 'xenserver', id: 'h', attributes: { name: 'h1' }, dependencies: [] },
    ],
    outputs: { url: { value: 'http://x', sensitive: false }, pw: { value: 'leak-8', sensitive: true } },
  };
  assert.deepEqual(stateToJSON(state), {
    format_version: '1.0',
    terraform_version: '0.1.0',
    values: {
      outputs: { pw: { sensitive: true }, url: { sensitive: false, value: 'http://x' } },
      root_module: {
        resources: [
          {
            address: 'data.poolform_host.h[0]',
            mode: 'data',
            type: 'poolform_host',
            name: 'h',
            index: 0,
            provider_name: 'xenserver',
            schema_version: 0,
            values: { name: 'h1' },
            sensitive_values: {},
          },
        ],
        child_modules: [
          {
            address: 'module.net',
            resources: [
              {
                address: 'module.net.poolform_vlan.v["a.b"]',
                mode: 'managed',
                type: 'poolform_vlan',
                name: 'v',
                index: 'a.b',
                provider_name: 'xenserver',
                schema_version: 0,
                values: { id: 'v-1', key: null, tag: 10 },
                sensitive_values: { key: true },
                depends_on: ['poolform_network.n'],
                tainted: true,
              },
            ],
          },
        ],
      },
    },
  });
  const doc = renderPlanJSON(samplePlan(), { priorState: state, configuration: { root_module: {} } }) as Record<string, any>;
  assert.equal(doc.prior_state.format_version, '1.0');
  assert.deepEqual(doc.configuration, { root_module: {} });
  assert.ok(!JSON.stringify(doc).includes('leak-'));
  const passthrough = renderPlanJSON(samplePlan(), { priorState: { format_version: '1.0', values: {} } }) as Record<string, any>;
  assert.deepEqual(passthrough.prior_state, { format_version: '1.0', values: {} });
});

test("attributes the planner does not report changed keep their value in after", () => {
  const plan = samplePlan();
  plan.changes = [
    {
      ...base,
      address: 'poolform_host.h',
      type: 'poolform_host',
      name: 'h',
      action: 'update',
      id: 'h-1',
      before: { memory: 8, power_state: 'running' },
      after: { memory: 16, power_state: null },
      changes: [ac(['memory'], 8, 16)],
    },
  ];
  const doc = renderPlanJSON(plan, {}) as Record<string, any>;
  assert.deepEqual(doc.resource_changes[0].change.after, { id: 'h-1', memory: 16, power_state: 'running' });
  assert.deepEqual(plan.changes[0].after, { memory: 16, power_state: null }, 'the plan itself is not modified');
});
