// The parts of a `dynamic "name" { for_each, iterator, content { ... } }` block, decoded in one
// place for the static checks, the reference analysis and the evaluation.

import { Diagnostics } from '../diagnostics.js';
import type { Block, Body, Expr } from '../config/hcl/ast.js';
import { bodyContent, type BodySchema } from '../config/hcl/content.js';

const DYNAMIC_SCHEMA: BodySchema = {
  attributes: [{ name: 'for_each', required: true }, { name: 'iterator' }, { name: 'labels' }],
  blocks: [{ type: 'content', labelNames: [] }],
};

export interface DynamicBlock {
  /** The block type it generates. */
  name: string;
  forEach?: Expr;
  /** The name each element is bound to inside content (default: the block type). */
  iterator: string;
  content?: Body;
}

/** Decodes a dynamic block; problems with its shape go to `diags` (pass a scratch one to ignore them). */
export function decodeDynamic(b: Block, diags: Diagnostics): DynamicBlock {
  const name = b.labels[0] ?? '';
  const c = bodyContent(b.body, DYNAMIC_SCHEMA, diags);
  const content = c.blocks.filter((x) => x.type === 'content');
  if (content.length !== 1) diags.error('Invalid dynamic block', b.typeRange, `A dynamic "${name}" block needs exactly one content block.`);
  let iterator = name;
  const iterAttr = c.attributes.get('iterator');
  if (iterAttr) {
    if (iterAttr.expr.kind === 'ScopeTraversal' && iterAttr.expr.steps.length === 0) iterator = iterAttr.expr.root;
    else diags.error('Invalid dynamic iterator name', iterAttr.expr.range, 'iterator must be a single name, such as iterator = nic.');
  }
  return { name, forEach: c.attributes.get('for_each')?.expr, iterator, content: content[0]?.body };
}
