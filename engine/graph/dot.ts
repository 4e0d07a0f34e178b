// `poolform graph`: the dependency graph as Graphviz DOT text, laid out like `terraform graph`
// (one quoted node line each, edges dependent -> dependency). Output is sorted so it is stable
// across runs and diffs cleanly. Hand-written: DOT for a plain digraph is a few lines of text.

import type { Dag } from './dag.js';

export interface DotOptions {
  /** Graph layout direction; `terraform graph` uses "RL". Omitted when undefined. */
  rankdir?: 'TB' | 'BT' | 'LR' | 'RL';
  /** Text shown in a node's box; defaults to the node's label, else its id. */
  label?: (id: string) => string;
  /** Graph name after `digraph` (default "G"). */
  name?: string;
}

/** A DOT string literal: quotes and backslashes escaped, newlines as \n. */
export function dotQuote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n') + '"';
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toDot(dag: Dag, opts: DotOptions = {}): string {
  const label = opts.label ?? ((id: string) => dag.node(id)?.label ?? id);
  const name = opts.name ?? 'G';
  const out: string[] = [`digraph ${/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : dotQuote(name)} {`];
  if (opts.rankdir) out.push(`  rankdir = ${dotQuote(opts.rankdir)};`);
  out.push('  node [shape = rect, fontname = "sans-serif"];');
  const ids = dag.nodes().sort(byCodeUnit);
  for (const id of ids) out.push(`  ${dotQuote(id)} [label=${dotQuote(label(id))}];`);
  const edges = dag.edges().sort((a, b) => byCodeUnit(a[0], b[0]) || byCodeUnit(a[1], b[1]));
  for (const [from, to] of edges) out.push(`  ${dotQuote(from)} -> ${dotQuote(to)};`);
  out.push('}');
  return out.join('\n') + '\n';
}
