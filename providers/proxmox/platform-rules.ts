// The platform rules the provider's checks apply, as Proxmox VE itself states them: which options
// each storage type takes (and which of them are fixed after creation), which content types it
// holds, which types are always shared, and which bond modes Linux and Open vSwitch bonds accept.
// Read from platform-rules.json, a verbatim subset of the shared reference (pve-api.json) kept
// beside the code so the provider needs nothing outside the repository;
// test/unit/pve-platform-rules.test.ts checks it still matches the reference.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../engine/schema/load.js';

export interface StorageTypeRules {
  /** option → "required" | "optional" | "fixed required" | "fixed optional" (PVE's option names, with dashes). */
  options: Record<string, string>;
  content_allowed: string[];
  content_default: string[];
}

interface RulesFile {
  storage_types: {
    shared_storage_types: string[];
    types: Record<string, StorageTypeRules>;
  };
  bond_mode_applicability: Record<string, string[]>;
}

let loaded: RulesFile | undefined;

function rules(): RulesFile {
  return (loaded ??= JSON.parse(readFileSync(join(repoRoot(), 'providers', 'proxmox', 'platform-rules.json'), 'utf8')) as RulesFile);
}

/** Every storage type the API knows, with its options and content types. */
export function storageTypes(): Record<string, StorageTypeRules> {
  return rules().storage_types.types;
}

/** Types storage.cfg always marks shared (network storage every node reaches the same way). */
export function alwaysSharedTypes(): string[] {
  return rules().storage_types.shared_storage_types;
}

/**
 * How a type relates to `shared`: always shared (nfs, cifs, ...), the administrator's assertion
 * (dir, lvm, btrfs: an option), or never (lvmthin, zfspool: local to each node, no such option).
 */
export function sharedKind(type: string): 'always' | 'assertion' | 'never' {
  if (alwaysSharedTypes().includes(type)) return 'always';
  return storageTypes()[type]?.options.shared ? 'assertion' : 'never';
}

/** Bond modes per implementation: `linux` (type bond) and `ovs` (OVSBond). */
export function bondModes(): { linux: string[]; ovs: string[] } {
  const b = rules().bond_mode_applicability;
  const linux = Object.entries(b).find(([k]) => /linux/i.test(k))?.[1] ?? [];
  const ovs = Object.entries(b).find(([k]) => /ovs/i.test(k))?.[1] ?? [];
  return { linux, ovs };
}
