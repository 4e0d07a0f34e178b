// Builders shared by the plan-rendering tests (text, Markdown, JSON, Terraform oracle): a
// ResourceChange, an AttributeChange and a Plan with every field a test does not look at filled in,
// so each test spells out only what it is about.

import type { AttributeChange, OutputChange, Plan, ResourceChange } from '../../engine/plan/types.js';

/** A managed change of the `poolform` provider; type and name come from the address. */
export function rc(p: Partial<ResourceChange> & Pick<ResourceChange, 'address' | 'action'>): ResourceChange {
  const bare = p.address.replace(/^(module\.[^.]+\.)+/, '');
  const [type, nameWithKey] = bare.split('.');
  return {
    mode: 'managed',
    type,
    name: nameWithKey.replace(/\[.*$/, ''),
    provider: 'poolform',
    before: null,
    after: null,
    afterUnknown: {},
    beforeSensitive: {},
    afterSensitive: {},
    replacePaths: [],
    changes: [],
    dependsOn: [],
    configDependencies: [],
    ...p,
  };
}

/** One attribute change: known, not sensitive, not forcing replacement unless `more` says so. */
export function ac(path: (string | number)[], before: unknown, after: unknown, more: Partial<AttributeChange> = {}): AttributeChange {
  return { path, before, after, afterUnknown: false, sensitive: false, forcesReplacement: false, ...more };
}

/** A plan of these changes and outputs; `extra` overrides any other field. */
export function planOf(changes: ResourceChange[], outputs: OutputChange[] = [], extra: Partial<Plan> = {}): Plan {
  return {
    format_version: 1,
    poolform_version: '0.1.0',
    created: '2025-01-01T00:00:00Z',
    config_hash: 'h',
    config_dir: '/cfg',
    state_lineage: 'lin',
    state_serial: 1,
    observed_digests: {},
    variables: {},
    destroy: false,
    targets: [],
    replace: [],
    refresh: true,
    changes,
    outputs,
    diagnostics: [],
    drift_detected: false,
    ...extra,
  };
}
