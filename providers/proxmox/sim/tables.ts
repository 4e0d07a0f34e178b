// The platform tables the simulator enforces: per-storage-type options, content types and shared
// semantics; which bond modes Linux and Open vSwitch bonds accept; the datacenter.cfg option
// schema; the types of VM config keys. Read from pve-tables.json, a verbatim subset of the shared
// reference (pve-api.json) kept beside the code so the lab runs without the reference present;
// test/unit/pve-sim-tables.test.ts re-derives it from the reference.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../../engine/schema/load.js';

export interface StorageTypeInfo {
  plugin: string;
  /** option -> "required" | "optional" | "fixed required" | "fixed optional" */
  options: Record<string, string>;
  content_allowed: string[];
  content_default: string[];
  format_allowed?: string[];
  format_default?: string;
  select_existing?: boolean;
  sensitive_properties?: string[];
}

export interface ParamSchema {
  type?: string;
  optional?: number;
  enum?: string[];
  default?: unknown;
  default_key?: number;
  format?: string;
  sub?: Record<string, ParamSchema>;
  requires?: string;
  minimum?: number | string;
  maximum?: number | string;
  alias?: string;
}

interface Tables {
  storage_types: {
    shared_storage_types: string[];
    types: Record<string, StorageTypeInfo>;
  };
  bond_mode_applicability: Record<string, string[]>;
  cluster_options: Record<string, ParamSchema>;
  qemu_types: Record<string, string>;
}

const tables = JSON.parse(readFileSync(join(repoRoot(), 'providers', 'proxmox', 'sim', 'pve-tables.json'), 'utf8')) as Tables;

export const STORAGE_TYPES: Readonly<Record<string, StorageTypeInfo>> = tables.storage_types.types;
export const SHARED_STORAGE_TYPES: ReadonlySet<string> = new Set(tables.storage_types.shared_storage_types);
export const LINUX_BOND_MODES: readonly string[] = tables.bond_mode_applicability['linux bond (type=bond)'] ?? [];
export const OVS_BOND_MODES: readonly string[] = tables.bond_mode_applicability['OVSBond'] ?? [];
export const CLUSTER_OPTIONS: Readonly<Record<string, ParamSchema>> = tables.cluster_options;

/** The schema type of a VM config key ("net3" -> the "net[n]" entry). */
export function qemuKeyType(key: string): string | undefined {
  return tables.qemu_types[key] ?? tables.qemu_types[key.replace(/\d+$/, '[n]')];
}
