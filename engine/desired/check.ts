// Static checks of resource bodies against their schemas, before any evaluation: unknown types,
// unknown arguments and block types, computed attributes set by hand. Run at load time so they are
// reported together with syntax and reference errors.

import { Diagnostics, nearestName } from '../diagnostics.js';
import type { Body } from '../config/hcl/ast.js';
import type { Module } from '../config/model.js';
import type { AttributeMeta } from '../schema/types.js';
import type { ProviderRegistry } from '../registry.js';
import { describeResource } from './instance.js';

export function checkResourceBodies(root: Module, registry: ProviderRegistry, diags: Diagnostics): void {
  const stack = [root];
  while (stack.length) {
    const m = stack.pop()!;
    for (const c of m.moduleCalls.values()) if (c.module) stack.push(c.module);
    for (const r of m.resources.values()) {
      const schema = registry.schema(r.type);
      if (!schema || (schema.kind === 'data') !== (r.mode === 'data')) {
        registry.unknownType(r.type, r.mode, r.range, diags);
        continue;
      }
      checkBody(r.body, schema.attributes, describeResource(r), diags);
    }
  }
}

function checkBody(body: Body, attrs: Record<string, AttributeMeta>, what: string, diags: Diagnostics): void {
  if (body.json) return; // JSON bodies are checked as they are decoded
  for (const a of body.attributes) {
    const meta = attrs[a.name];
    if (!meta) diags.error('Unsupported argument', a.nameRange, `An argument named "${a.name}" is not expected in ${what}.`, nearestName(a.name, Object.keys(attrs)));
    else if (meta.computed && !meta.optional) diags.error('Computed attribute cannot be set', a.nameRange, `"${a.name}" is set by the platform and cannot be written in ${what}.`);
  }
  for (const b of body.blocks) {
    if (b.type === 'dynamic') {
      const name = b.labels[0];
      const meta = name ? attrs[name] : undefined;
      if (name && !meta?.nesting) {
        diags.error('Unsupported block type', b.labelRanges[0] ?? b.typeRange, `Blocks of type "${name}" are not expected in ${what}.`, nearestName(name, Object.values(attrs).filter((x) => x.nesting).map((x) => x.name)));
        continue;
      }
      for (const cb of b.body.blocks) if (cb.type === 'content' && meta) checkBody(cb.body, meta.nested ?? {}, `a "${name}" block`, diags);
      continue;
    }
    const meta = attrs[b.type];
    if (!meta?.nesting) {
      const blockNames = Object.values(attrs).filter((x) => x.nesting).map((x) => x.name);
      diags.error('Unsupported block type', b.typeRange, `Blocks of type "${b.type}" are not expected in ${what}.`, nearestName(b.type, blockNames.length ? blockNames : Object.keys(attrs)));
      continue;
    }
    checkBody(b.body, meta.nested ?? {}, `a "${b.type}" block`, diags);
  }
}
