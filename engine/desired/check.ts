// Static checks of resource and provider bodies against their schemas, before any evaluation:
// unknown types, unknown arguments and block types (with the nearest valid name), computed
// attributes set by hand, missing required arguments, misplaced labels, repeated single blocks and
// malformed dynamic blocks. Both syntaxes. Run at load time, so they are reported together with
// syntax and reference errors, once per resource rather than once per instance.

import { Diagnostics, nearestName, type Range } from '../diagnostics.js';
import type { Body } from '../config/hcl/ast.js';
import { allModules, type Module } from '../config/model.js';
import type { AttributeMeta } from '../schema/types.js';
import type { ProviderRegistry } from '../registry.js';
import { describeResource } from './instance.js';
import { bodyParts } from './body.js';
import { decodeDynamic } from './dynamic.js';

export function checkBodies(root: Module, registry: ProviderRegistry, diags: Diagnostics): void {
  for (const m of allModules(root)) {
    for (const r of m.resources.values()) {
      const schema = registry.schema(r.type);
      if (!schema || (schema.kind === 'data') !== (r.mode === 'data')) registry.unknownType(r.type, r.mode, r.range, diags);
      else checkBody(r.body, schema.attributes, describeResource(r), r.range, diags);
    }
    for (const p of m.providers.values()) {
      const schema = registry.provider(p.name)?.configSchema;
      if (schema) checkBody(p.body, schema.attributes, `provider "${p.name}"`, p.range, diags);
    }
  }
}

function nestedNames(attrs: Record<string, AttributeMeta>): string[] {
  return Object.values(attrs).filter((x) => x.nesting).map((x) => x.name);
}

function checkBody(body: Body, attrs: Record<string, AttributeMeta>, what: string, where: Range, diags: Diagnostics): void {
  const { attributes, blocks } = bodyParts(body, attrs, diags);
  const present = new Set<string>();
  for (const a of attributes) {
    const meta = attrs[a.name];
    present.add(a.name);
    if (!meta) diags.error('Unsupported argument', a.nameRange, `An argument named "${a.name}" is not expected in ${what}.`, nearestName(a.name, Object.keys(attrs)));
    else if (meta.computed && !meta.optional) diags.error('Computed attribute cannot be set', a.nameRange, `"${a.name}" is set by the platform and cannot be written in ${what}.`);
  }
  const singles = new Set<string>();
  for (const b of blocks) {
    const dynamic = b.type === 'dynamic';
    const type = dynamic ? b.labels[0] : b.type;
    const typeRange = dynamic ? (b.labelRanges[0] ?? b.typeRange) : b.typeRange;
    const meta = type === undefined ? undefined : attrs[type];
    if (!meta?.nesting) {
      const names = nestedNames(attrs);
      diags.error('Unsupported block type', typeRange, `Blocks of type "${type}" are not expected in ${what}.`, type === undefined ? undefined : nearestName(type, names.length ? names : Object.keys(attrs)));
      continue;
    }
    present.add(type!);
    let inner: Body | undefined = b.body;
    if (dynamic) inner = decodeDynamic(b, diags).content;
    else {
      if (b.labels.length) diags.error('Extraneous label', b.labelRanges[0], `A "${b.type}" block takes no labels.`);
      if (meta.nesting === 'single') {
        if (singles.has(type!)) diags.error('Duplicate block', b.typeRange, `Only one "${b.type}" block is allowed in ${what}.`);
        singles.add(type!);
      }
    }
    if (inner) checkBody(inner, meta.nested ?? {}, `a "${type}" block`, typeRange, diags);
  }
  for (const meta of Object.values(attrs)) {
    if (meta.required && !present.has(meta.name)) diags.error('Missing required argument', where, `The argument "${meta.name}" is required in ${what}, but no definition was found.`);
  }
}
