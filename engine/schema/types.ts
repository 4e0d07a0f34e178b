// Attribute metadata read from a resource type's JSON Schema (`schemas/<type>.json`). The JSON
// Schema is the single source: these records are derived from it, never written by hand.

export type DriftClass = 'desired' | 'runtime' | 'ignore';

export interface AttributeMeta {
  name: string;
  /** JSON Schema type(s); undefined means any. */
  jsonType?: string | string[];
  required: boolean;
  /** Set by the platform (may also be set by the user when `optional` is true too). */
  computed: boolean;
  /** With computed: the user may set it; otherwise the platform chooses. */
  optional: boolean;
  sensitive: boolean;
  replaceOnChange: boolean;
  drift: DriftClass;
  /** Write-only: sent to the platform, never stored in state (e.g. a DRAC password). */
  writeOnly: boolean;
  default?: unknown;
  description?: string;
  /** For object-typed attributes written as nested blocks. */
  nested?: Record<string, AttributeMeta>;
  /** How nested blocks map onto the value: one object, or a list of objects. */
  nesting?: 'single' | 'list';
  /** An array whose order carries no meaning (x-set): compared, planned and stored in canonical order. */
  set?: boolean;
  enum?: unknown[];
  /** A computed attribute the platform recomputes when any of these attributes change (x-derived-from). */
  derivedFrom?: string[];
}

export interface ResourceSchema {
  type: string; // e.g. poolform_data
  kind: 'resource' | 'data' | 'provider';
  provider: string;
  description?: string;
  attributes: Record<string, AttributeMeta>;
  /** The JSON Schema itself, for ajv. */
  jsonSchema: Record<string, unknown>;
  /** Source file, for messages. */
  file?: string;
}
