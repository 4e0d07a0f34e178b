// Provider schemas in Terraform's `terraform providers schema -json` format, so tools that read
// Terraform's schema JSON (editors, docs generators, linters) can read poolform's.
//
// Source addresses: a provider given no `source` is named `poolform.dev/builtin/<name>` (the shape
// of Terraform's own `terraform.io/builtin/terraform`); a provider with a `source` (e.g. from
// required_providers) is named by it unchanged.
//
// Mapping: each JSON Schema property becomes an attribute whose `type` is Terraform's cty JSON
// type notation; properties with x-nesting become `block_types` (nested blocks) instead.

import { asObject, resolveLocalRef } from './load.js';
import type { AttributeMeta, ResourceSchema } from './types.js';

export const BUILTIN_SOURCE_PREFIX = 'poolform.dev/builtin/';

export type CtyType = string | [string, CtyType] | ['object', Record<string, CtyType>] | ['object', Record<string, CtyType>, string[]];

export interface ProviderSchemaInput {
  name: string;
  source?: string;
  schemas: ResourceSchema[];
  configSchema?: ResourceSchema;
}

interface TfAttribute {
  type: CtyType;
  description?: string;
  description_kind: 'plain';
  required?: true;
  optional?: true;
  computed?: true;
  sensitive?: true;
  write_only?: true;
}

interface TfBlockType {
  nesting_mode: 'single' | 'list';
  block: TfBlock;
  min_items?: number;
}

interface TfBlock {
  attributes?: Record<string, TfAttribute>;
  block_types?: Record<string, TfBlockType>;
  description?: string;
  description_kind: 'plain';
}

/** The cty type of a JSON Schema node ("dynamic" where JSON Schema leaves the type open). */
export function ctyType(rawNode: unknown, root: Record<string, unknown>, depth = 0): CtyType {
  const n0 = asObject(rawNode);
  if (!n0 || depth > 32) return 'dynamic';
  const node = resolveLocalRef(n0, root);
  let types = Array.isArray(node.type) ? (node.type as string[]) : typeof node.type === 'string' ? [node.type] : [];
  types = types.filter((t) => t !== 'null'); // every Terraform attribute may be null
  if (types.length !== 1) {
    // An enum or const without a type still has a clear type when all its values share one.
    const vals = Array.isArray(node.enum) ? node.enum : node.const !== undefined ? [node.const] : [];
    const kinds = new Set(vals.filter((v) => v !== null).map((v) => typeof v));
    if (types.length === 0 && kinds.size === 1) {
      const k = [...kinds][0];
      if (k === 'string') return 'string';
      if (k === 'number') return 'number';
      if (k === 'boolean') return 'bool';
    }
    return 'dynamic';
  }
  switch (types[0]) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'array':
      return [node.uniqueItems === true ? 'set' : 'list', ctyType(node.items, root, depth + 1)];
    case 'object': {
      const props = asObject(node.properties);
      if (props) {
        const attrs: Record<string, CtyType> = {};
        for (const [k, v] of Object.entries(props)) attrs[k] = ctyType(v, root, depth + 1);
        const req = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
        const optional = Object.keys(props).filter((k) => !req.has(k));
        return optional.length > 0 ? ['object', attrs, optional] : ['object', attrs];
      }
      const ap = node.additionalProperties;
      return ['map', asObject(ap) ? ctyType(ap, root, depth + 1) : 'dynamic'];
    }
    default:
      return 'dynamic';
  }
}

function attribute(meta: AttributeMeta, node: unknown, root: Record<string, unknown>): TfAttribute {
  const a = { type: ctyType(node, root) } as TfAttribute;
  if (meta.description) a.description = meta.description;
  a.description_kind = 'plain';
  if (meta.required) a.required = true;
  if (meta.optional) a.optional = true;
  if (meta.computed) a.computed = true;
  if (meta.sensitive) a.sensitive = true;
  if (meta.writeOnly) a.write_only = true;
  return a;
}

/** The properties node of the object a (possibly array-of-object) node describes. */
function propertiesOf(rawNode: unknown, root: Record<string, unknown>): Record<string, unknown> {
  const n0 = asObject(rawNode);
  if (!n0) return {};
  let node = resolveLocalRef(n0, root);
  const items = asObject(node.items);
  if (items) node = resolveLocalRef(items, root);
  return asObject(node.properties) ?? {};
}

function block(attrs: Record<string, AttributeMeta>, props: Record<string, unknown>, root: Record<string, unknown>, description?: string): TfBlock {
  const attributes: Record<string, TfAttribute> = {};
  const blockTypes: Record<string, TfBlockType> = {};
  for (const name of Object.keys(attrs).sort()) {
    const meta = attrs[name];
    if (meta.nesting && meta.nested) {
      const bt: TfBlockType = { nesting_mode: meta.nesting, block: block(meta.nested, propertiesOf(props[name], root), root, meta.description) };
      if (meta.nesting === 'list' && meta.required) bt.min_items = 1;
      blockTypes[name] = bt;
    } else attributes[name] = attribute(meta, props[name], root);
  }
  // Key order as Terraform writes it: attributes, block_types, description, description_kind.
  const b = {} as TfBlock;
  if (Object.keys(attributes).length > 0) b.attributes = attributes;
  if (Object.keys(blockTypes).length > 0) b.block_types = blockTypes;
  if (description) b.description = description;
  b.description_kind = 'plain';
  return b;
}

function schemaBlock(s: ResourceSchema): { version: 0; block: TfBlock } {
  const root = s.jsonSchema;
  return { version: 0, block: block(s.attributes, asObject(root.properties) ?? {}, root, s.description) };
}

/** `terraform providers schema -json` for the given providers. */
export function providerSchemasJSON(providers: ProviderSchemaInput[]): object {
  const out: Record<string, unknown> = {};
  for (const p of providers) {
    const resources: Record<string, unknown> = {};
    const dataSources: Record<string, unknown> = {};
    for (const s of [...p.schemas].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))) {
      if (s.kind === 'resource') resources[s.type] = schemaBlock(s);
      else if (s.kind === 'data') dataSources[s.type] = schemaBlock(s);
    }
    const config = p.configSchema ?? p.schemas.find((s) => s.kind === 'provider');
    const entry: Record<string, unknown> = { provider: config ? schemaBlock(config) : { version: 0 } };
    if (Object.keys(resources).length > 0) entry.resource_schemas = resources;
    if (Object.keys(dataSources).length > 0) entry.data_source_schemas = dataSources;
    out[p.source ?? BUILTIN_SOURCE_PREFIX + p.name] = entry;
  }
  return { format_version: '1.0', provider_schemas: out };
}
