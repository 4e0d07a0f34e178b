// The dependency graph of a configuration: which objects depend on which, with the source range of the
// reference that makes each dependency, so a cycle can be reported as the real loop with file:line:col.
//
// Direction: an edge goes from the DEPENDENT to its DEPENDENCY (`addDependency(a, b)` = "a depends on
// b", drawn a -> b, as `terraform graph` does). Dependencies come first in topoOrder; reverse() gives
// the destroy order.
//
// Storage (nodes, edges, predecessors, successors, edge labels) is @dagrejs/graphlib. Its algorithms
// (alg.tarjan, alg.findCycles, alg.topsort) recurse once per node and overflow the stack on a chain a
// few thousand deep, so the traversals here (Tarjan, Kahn, BFS) are hand-written and iterative, over a
// compact integer index of the graph that is built once and reused until the graph changes.

import { Graph } from '@dagrejs/graphlib';
import { DiagnosticsError, formatRange, type Diagnostic, type Range } from '../diagnostics.js';

export interface NodeInfo {
  id: string;
  label?: string;
  range?: Range; // where the node is declared
}

export interface Cycle {
  /** The loop as a path that returns to its start: [a, b, c, a]. Each node depends on the next. */
  path: string[];
  /** ranges[i] is the reference that makes path[i] depend on path[i + 1]. */
  ranges: (Range | undefined)[];
}

/** The graph as integer arrays (CSR), for hot loops: node i's dependencies are
 *  deps[depStart[i] .. depStart[i+1]), its dependents are dependents[dependentStart[i] .. ]. */
export interface CompactDag {
  ids: string[];
  index: Map<string, number>;
  depStart: Int32Array;
  deps: Int32Array;
  dependentStart: Int32Array;
  dependents: Int32Array;
}

export class Dag {
  private readonly g = new Graph<unknown, NodeInfo, Range | undefined>({ directed: true });
  private compactCache: CompactDag | undefined;

  addNode(id: string, info?: NodeInfo): void {
    const cur = this.g.hasNode(id) ? this.g.node(id) : undefined;
    // Keep what is already known (e.g. a node first created implicitly by an edge, declared later).
    this.g.setNode(id, info ? { ...cur, ...info, id } : (cur ?? { id }));
    this.compactCache = undefined;
  }

  /** `dependent` depends on `dependency`; `refRange` is the reference that says so. Missing nodes are
   *  created. A repeated edge keeps the first range that was given for it. */
  addDependency(dependent: string, dependency: string, refRange?: Range): void {
    if (!this.g.hasNode(dependent)) this.g.setNode(dependent, { id: dependent });
    if (!this.g.hasNode(dependency)) this.g.setNode(dependency, { id: dependency });
    if (this.g.hasEdge(dependent, dependency)) {
      if (refRange && !this.g.edge(dependent, dependency)) this.g.setEdge(dependent, dependency, refRange);
      return;
    }
    this.g.setEdge(dependent, dependency, refRange);
    this.compactCache = undefined;
  }

  hasNode(id: string): boolean {
    return this.g.hasNode(id);
  }
  hasDependency(dependent: string, dependency: string): boolean {
    return this.g.hasEdge(dependent, dependency);
  }
  node(id: string): NodeInfo | undefined {
    return this.g.hasNode(id) ? this.g.node(id) : undefined;
  }
  /** The range of the reference that makes `dependent` depend on `dependency`. */
  edgeRange(dependent: string, dependency: string): Range | undefined {
    return this.g.hasEdge(dependent, dependency) ? this.g.edge(dependent, dependency) : undefined;
  }
  nodes(): string[] {
    return this.g.nodes();
  }
  get size(): number {
    return this.g.nodeCount();
  }
  edgeCount(): number {
    return this.g.edgeCount();
  }
  /** All edges as [dependent, dependency]. */
  edges(): [string, string][] {
    return this.g.edges().map((e) => [e.v, e.w]);
  }
  /** Direct dependencies of `id` (what it needs first). */
  dependenciesOf(id: string): string[] {
    return this.g.successors(id) ?? [];
  }
  /** Direct dependents of `id` (what needs it). */
  dependentsOf(id: string): string[] {
    return this.g.predecessors(id) ?? [];
  }

  /** Integer view of the graph, cached until the next change. */
  compact(): CompactDag {
    if (this.compactCache) return this.compactCache;
    const ids = this.g.nodes();
    const n = ids.length;
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) index.set(ids[i], i);
    // One pass over graphlib's edge list (cheaper than a successors() array per node), then
    // counting sort into both directions; edge order within a node follows insertion order.
    const edges = this.g.edges();
    const e = edges.length;
    const from = new Int32Array(e);
    const to = new Int32Array(e);
    const depStart = new Int32Array(n + 1);
    const dependentStart = new Int32Array(n + 1);
    for (let k = 0; k < e; k++) {
      const f = index.get(edges[k].v)!;
      const t = index.get(edges[k].w)!;
      from[k] = f;
      to[k] = t;
      depStart[f + 1]++;
      dependentStart[t + 1]++;
    }
    for (let i = 0; i < n; i++) {
      depStart[i + 1] += depStart[i];
      dependentStart[i + 1] += dependentStart[i];
    }
    const depFill = depStart.slice(0, n);
    const dependentFill = dependentStart.slice(0, n);
    const deps = new Int32Array(e);
    const dependents = new Int32Array(e);
    for (let k = 0; k < e; k++) {
      deps[depFill[from[k]]++] = to[k];
      dependents[dependentFill[to[k]]++] = from[k];
    }
    this.compactCache = { ids, index, depStart, deps, dependentStart, dependents };
    return this.compactCache;
  }

  /** Topological order, dependencies first (Kahn, iterative). Ties keep node insertion order.
   *  Throws a DiagnosticsError naming the cycles if the graph has any: check findCycles() first. */
  topoOrder(): string[] {
    const c = this.compact();
    const n = c.ids.length;
    const remaining = new Int32Array(n);
    for (let i = 0; i < n; i++) remaining[i] = c.depStart[i + 1] - c.depStart[i];
    const queue = new Int32Array(n);
    let tail = 0;
    for (let i = 0; i < n; i++) if (remaining[i] === 0) queue[tail++] = i;
    for (let head = 0; head < tail; head++) {
      const v = queue[head];
      for (let k = c.dependentStart[v]; k < c.dependentStart[v + 1]; k++) {
        const u = c.dependents[k];
        if (--remaining[u] === 0) queue[tail++] = u;
      }
    }
    if (tail !== n) throw new DiagnosticsError(cycleDiagnostics(this, this.findCycles()));
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = c.ids[queue[i]];
    return out;
  }

  /** A new graph with every edge turned round: the destroy order (dependents first). */
  reverse(): Dag {
    const r = new Dag();
    for (const id of this.g.nodes()) r.g.setNode(id, this.g.node(id));
    for (const e of this.g.edges()) r.g.setEdge(e.w, e.v, this.g.edge(e.v, e.w));
    return r;
  }

  /** Everything that depends on `id`, directly or not (what a failure of `id` blocks). */
  ancestors(id: string): Set<string> {
    return this.reach(id, false);
  }
  /** Everything `id` depends on, directly or not (what `-target=id` must also include). */
  descendants(id: string): Set<string> {
    return this.reach(id, true);
  }

  private reach(id: string, towardDependencies: boolean): Set<string> {
    const out = new Set<string>();
    const c = this.compact();
    const start = c.index.get(id);
    if (start === undefined) return out;
    const startArr = towardDependencies ? c.depStart : c.dependentStart;
    const adj = towardDependencies ? c.deps : c.dependents;
    const seen = new Uint8Array(c.ids.length);
    const stack: number[] = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (let k = startArr[v]; k < startArr[v + 1]; k++) {
        const u = adj[k];
        if (seen[u]) continue;
        seen[u] = 1;
        out.add(c.ids[u]);
        stack.push(u);
      }
    }
    // A node on a cycle through itself reaches itself; that is still a true statement, so keep it.
    return out;
  }

  /** One cycle per strongly connected component that loops (self-loops included), each as the
   *  shortest loop through the component's first node, in node order. */
  findCycles(): Cycle[] {
    const c = this.compact();
    const sccs = stronglyConnected(c);
    const cycles: Cycle[] = [];
    const inScc = new Int32Array(c.ids.length).fill(-1);
    for (let s = 0; s < sccs.length; s++) for (const v of sccs[s]) inScc[v] = s;
    for (let s = 0; s < sccs.length; s++) {
      const comp = sccs[s];
      let first = comp[0];
      for (const v of comp) if (v < first) first = v;
      const loop = shortestLoop(c, first, inScc, s);
      const path = loop.map((v) => c.ids[v]);
      const ranges: (Range | undefined)[] = [];
      for (let i = 0; i + 1 < path.length; i++) ranges.push(this.g.edge(path[i], path[i + 1]));
      cycles.push({ path, ranges });
    }
    cycles.sort((a, b) => c.index.get(a.path[0])! - c.index.get(b.path[0])!);
    return cycles;
  }
}

function hasSelfLoop(c: CompactDag, v: number): boolean {
  for (let k = c.depStart[v]; k < c.depStart[v + 1]; k++) if (c.deps[k] === v) return true;
  return false;
}

/** Tarjan's strongly connected components with an explicit stack (no recursion); only the
 *  components that loop (more than one node, or a self-loop) are returned. */
function stronglyConnected(c: CompactDag): number[][] {
  const n = c.ids.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const sccStack: number[] = [];
  const callStack: number[] = []; // node ids
  const edgePos = new Int32Array(n); // next dependency to look at, per node on the call stack
  const out: number[][] = [];
  let counter = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    index[root] = low[root] = counter++;
    edgePos[root] = c.depStart[root];
    sccStack.push(root);
    onStack[root] = 1;
    callStack.push(root);
    while (callStack.length > 0) {
      const v = callStack[callStack.length - 1];
      if (edgePos[v] < c.depStart[v + 1]) {
        const w = c.deps[edgePos[v]++];
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          edgePos[w] = c.depStart[w];
          sccStack.push(w);
          onStack[w] = 1;
          callStack.push(w);
        } else if (onStack[w] && index[w] < low[v]) {
          low[v] = index[w];
        }
        continue;
      }
      callStack.pop();
      if (callStack.length > 0) {
        const parent = callStack[callStack.length - 1];
        if (low[v] < low[parent]) low[parent] = low[v];
      }
      if (low[v] === index[v]) {
        if (sccStack[sccStack.length - 1] === v && !hasSelfLoop(c, v)) {
          sccStack.pop(); // a lone node without a self-loop: not a cycle, nothing to keep
          onStack[v] = 0;
          continue;
        }
        const comp: number[] = [];
        let w: number;
        do {
          w = sccStack.pop()!;
          onStack[w] = 0;
          comp.push(w);
        } while (w !== v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** Shortest path start -> ... -> start inside one strongly connected component (BFS). */
function shortestLoop(c: CompactDag, start: number, inScc: Int32Array, scc: number): number[] {
  const parent = new Map<number, number>();
  const queue: number[] = [start];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (let k = c.depStart[v]; k < c.depStart[v + 1]; k++) {
      const w = c.deps[k];
      if (inScc[w] !== scc) continue;
      if (w === start) {
        const back: number[] = [start];
        for (let x = v; x !== start; x = parent.get(x)!) back.push(x);
        back.push(start);
        return back.reverse();
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start]; // unreachable for a real component; kept total
}

/** One error per cycle: "Cycle: a → b → c → a", with each edge and the reference that makes it. */
export function cycleDiagnostics(
  dag: Dag,
  cycles: Cycle[],
  describe: (id: string) => string = (id) => dag.node(id)?.label ?? id,
): Diagnostic[] {
  return cycles.map((cy) => {
    const names = cy.path.map(describe);
    const lines: string[] = [];
    for (let i = 0; i + 1 < cy.path.length; i++) {
      const r = cy.ranges[i] ?? dag.node(cy.path[i])?.range;
      lines.push(`  ${names[i]} depends on ${names[i + 1]}${r ? ` (${formatRange(r)})` : ''}`);
    }
    const range = cy.ranges.find((r) => r !== undefined) ?? dag.node(cy.path[0])?.range;
    return {
      severity: 'error' as const,
      summary: `Cycle: ${names.join(' → ')}`,
      detail:
        (cy.path.length === 2
          ? `${names[0]} refers to itself:\n`
          : 'Each of these depends on the next, so none of them can be created first:\n') +
        lines.join('\n') +
        '\nRemove one of these references to break the cycle.',
      range,
    };
  });
}
