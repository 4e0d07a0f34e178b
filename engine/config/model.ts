// The configuration model: what a directory of files declares, after syntax and before evaluation.
// Expressions stay unevaluated (they need values only a plan has); everything keeps its range.

import type { Range } from '../diagnostics.js';
import type { Body, Expr, File } from './hcl/ast.js';
import type { TypeConstraint } from '../lang/types.js';

export interface Variable {
  name: string;
  type?: TypeConstraint;
  default?: Expr;
  description?: string;
  sensitive: boolean;
  nullable: boolean;
  validations: { condition: Expr; errorMessage?: Expr; range: Range }[];
  range: Range;
}

export interface Local {
  name: string;
  expr: Expr;
  range: Range;
}

export interface Output {
  name: string;
  expr: Expr;
  description?: string;
  sensitive: boolean;
  dependsOn: Traversal[];
  preconditions: { condition: Expr; errorMessage?: Expr; range: Range }[];
  range: Range;
}

/** A static reference such as `poolform_data.a` in depends_on, replace_triggered_by, moved, import. */
export interface Traversal {
  /** Dotted text as written, e.g. `poolform_data.a[0]`. */
  text: string;
  expr: Expr;
  range: Range;
}

export interface Lifecycle {
  preventDestroy?: Expr;
  createBeforeDestroy?: Expr;
  ignoreChanges: { all: boolean; paths: { path: (string | number)[]; range: Range }[] };
  replaceTriggeredBy: Traversal[];
  preconditions: { condition: Expr; errorMessage?: Expr; range: Range }[];
  postconditions: { condition: Expr; errorMessage?: Expr; range: Range }[];
}

export interface Resource {
  mode: 'managed' | 'data';
  type: string;
  name: string;
  /** `type.name` or `data.type.name`. */
  key: string;
  providerRef?: { name: string; alias?: string; range: Range };
  count?: Expr;
  forEach?: Expr;
  dependsOn: Traversal[];
  lifecycle: Lifecycle;
  /** What remains of the body after meta-arguments: the resource's own attributes and blocks. */
  body: Body;
  range: Range; // the block header (type + labels), where errors about the resource point
  declRange: Range;
}

export interface ProviderConfig {
  name: string;
  alias?: string;
  /** `name` or `name.alias`. */
  key: string;
  body: Body;
  range: Range;
}

export interface ModuleCall {
  name: string;
  source: string;
  sourceRange: Range;
  count?: Expr;
  forEach?: Expr;
  dependsOn: Traversal[];
  /** Input variables: attribute name → expression. */
  inputs: Map<string, { expr: Expr; range: Range; nameRange: Range }>;
  providers: Map<string, { expr: Expr; range: Range }>;
  range: Range;
  module?: Module; // loaded child
}

export interface ImportBlock {
  to: Traversal;
  id: Expr;
  providerRef?: { name: string; alias?: string; range: Range };
  range: Range;
}

export interface MovedBlock {
  from: Traversal;
  to: Traversal;
  range: Range;
}

export interface Module {
  /** Directory the module's files live in (absolute). */
  dir: string;
  /** Module path from the root, e.g. [] or ["net", "vlans"] (call names). */
  path: string[];
  /** The module that calls this one (undefined for the root). */
  parent?: Module;
  files: File[];
  variables: Map<string, Variable>;
  locals: Map<string, Local>;
  outputs: Map<string, Output>;
  /** Keyed by `type.name` / `data.type.name`. */
  resources: Map<string, Resource>;
  providers: Map<string, ProviderConfig>;
  moduleCalls: Map<string, ModuleCall>;
  imports: ImportBlock[];
  moved: MovedBlock[];
  /** From `poolform { required_providers { name = { source = "./path" } } }`. */
  requiredProviders: Map<string, { source: string; range: Range }>;
}

export interface Config {
  root: Module;
  /** Every file's text by name, for diagnostics excerpts. */
  sources: Map<string, string>;
  /** Stable hash of every configuration file (saved plans refuse other configurations). */
  hash: string;
}

/** The root and every module below it, parents before children. */
export function allModules(root: Module): Module[] {
  const out: Module[] = [root];
  for (let i = 0; i < out.length; i++) for (const c of out[i].moduleCalls.values()) if (c.module) out.push(c.module);
  return out;
}

/** Every resource and data source type the configuration uses, with where it is declared. */
export function resourceTypes(root: Module): { type: string; range: Range }[] {
  return allModules(root).flatMap((m) => [...m.resources.values()].map((r) => ({ type: r.type, range: r.range })));
}
