// A Plan is plain serializable data: what apply will do, and why. It is written to disk by
// `plan -out`, rendered as text / Markdown / Terraform JSON, and executed by apply.

import type { Diagnostic } from '../diagnostics.js';

export const PLAN_FORMAT_VERSION = 1;

export type Action = 'create' | 'update' | 'replace' | 'delete' | 'read' | 'noop';

export type ActionReason =
  | 'replace_because_cannot_update' // an x-replace-on-change attribute changed
  | 'replace_by_request' // -replace=ADDRESS
  | 'replace_by_triggers' // replace_triggered_by / triggers_replace
  | 'replace_because_tainted'
  | 'delete_because_no_resource_config'
  | 'delete_because_count_index'
  | 'delete_because_each_key'
  | 'delete_because_no_module'
  | 'read_because_config_unknown'
  | 'read_because_dependency_pending';

export interface AttributeChange {
  path: (string | number)[];
  before: unknown;
  after: unknown;
  afterUnknown: boolean;
  sensitive: boolean;
  forcesReplacement: boolean;
}

export interface ResourceChange {
  address: string;
  moduleAddress?: string; // "module.net"
  mode: 'managed' | 'data';
  type: string;
  name: string;
  index?: string | number; // count index or for_each key
  provider: string; // provider configuration address
  action: Action;
  /** For replace: delete first (default) or create first (create_before_destroy). */
  replaceOrder?: 'delete-first' | 'create-first';
  actionReason?: ActionReason;
  /** Human words for the reason ("device_config changed; it can only be set at creation"). */
  reason?: string;
  /** Platform id before the change (update, delete, replace). */
  id?: string;
  before: Record<string, unknown> | null;
  /** Known values; unknown leaves are null here and true in afterUnknown. */
  after: Record<string, unknown> | null;
  afterUnknown: Record<string, unknown>;
  beforeSensitive: Record<string, unknown> | boolean;
  afterSensitive: Record<string, unknown> | boolean;
  /** Attribute paths whose change forces replacement. */
  replacePaths: (string | number)[][];
  /** The changed attributes (for update and replace). */
  changes: AttributeChange[];
  impact?: string;
  /** Addresses of the instances that must be applied before this one. */
  dependsOn: string[];
  /** The addresses (no instance keys) this instance depends on, recorded in state for destroy ordering. */
  configDependencies: string[];
  /** Set for an import: the platform id being adopted. */
  importingId?: string;
  /** Set when this instance was moved from another address (moved blocks, state mv). */
  previousAddress?: string;
  /** Drift detected during refresh: the observed object differs from what state recorded. */
  drift?: AttributeChange[];
}

export interface OutputChange {
  name: string;
  action: Action;
  before: unknown;
  after: unknown;
  afterUnknown: boolean;
  sensitive: boolean;
}

export interface Plan {
  format_version: number;
  poolform_version: string;
  created: string;
  /** Hash of every configuration file's content: apply refuses a plan made from other files. */
  config_hash: string;
  /** The configuration directory the plan was made from (absolute), for messages. */
  config_dir: string;
  /** State this plan was made against: apply refuses if it has moved. */
  state_lineage: string;
  state_serial: number;
  /** Per managed instance: a digest of what was observed; apply re-observes and compares. */
  observed_digests: Record<string, string>;
  variables: Record<string, { value: unknown; sensitive: boolean }>;
  destroy: boolean;
  targets: string[];
  replace: string[];
  refresh: boolean;
  changes: ResourceChange[];
  outputs: OutputChange[];
  /** Preflight and planning warnings. Errors stop planning, so a saved plan has none. */
  diagnostics: Diagnostic[];
  /** True when refresh found drift (objects changed outside poolform). */
  drift_detected: boolean;
}

/** Whether applying this change alters state: an action, or a no-op that adopts (import) or renames (moved) an object. */
export function changesState(c: ResourceChange): boolean {
  return (c.action !== 'noop' && c.action !== 'read') || c.importingId !== undefined || c.previousAddress !== undefined;
}

export function planHasChanges(plan: Plan): boolean {
  return plan.changes.some(changesState) || plan.outputs.some((o) => o.action !== 'noop');
}
