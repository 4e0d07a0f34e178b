// Dependency graph: order, cycles (with the references that close them), reachability, DOT output,
// and no stack overflow on very long chains.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dag, cycleDiagnostics } from '../../engine/graph/dag.js';
import { toDot } from '../../engine/graph/dot.js';
import { DiagnosticsError, type Range } from '../../engine/diagnostics.js';

function at(line: number, col: number, file = 'main.pf'): Range {
  return { file, start: { line, col, byte: 0 }, end: { line, col: col + 1, byte: 1 } };
}

function chain(n: number): Dag {
  const d = new Dag();
  for (let i = 0; i < n; i++) d.addNode(`n${i}`);
  for (let i = 1; i < n; i++) d.addDependency(`n${i}`, `n${i - 1}`);
  return d;
}

test('topoOrder puts dependencies first and keeps insertion order for ties', () => {
  const d = new Dag();
  for (const id of ['app', 'db', 'net', 'dns']) d.addNode(id);
  d.addDependency('app', 'db');
  d.addDependency('db', 'net');
  d.addDependency('app', 'dns');
  const order = d.topoOrder();
  assert.deepEqual(order, ['net', 'dns', 'db', 'app']);
  assert.deepEqual(d.dependenciesOf('app').sort(), ['db', 'dns']);
  assert.deepEqual(d.dependentsOf('db'), ['app']);
  assert.equal(d.hasNode('dns'), true);
  assert.equal(d.hasNode('nope'), false);
});

test('addDependency: the first depends on the second; edges create missing nodes', () => {
  const d = new Dag();
  d.addDependency('b', 'a', at(3, 7));
  assert.deepEqual(d.nodes(), ['b', 'a']);
  assert.equal(d.hasDependency('b', 'a'), true);
  assert.equal(d.hasDependency('a', 'b'), false);
  assert.deepEqual(d.edgeRange('b', 'a'), at(3, 7));
  assert.deepEqual(d.topoOrder(), ['a', 'b']);
  // Declaring a node after an edge created it keeps the edge and adds the info.
  d.addNode('a', { id: 'a', label: 'resource a', range: at(1, 1) });
  assert.equal(d.node('a')?.label, 'resource a');
  assert.equal(d.edgeCount(), 1);
});

test('reverse gives the destroy order', () => {
  const d = chain(4);
  assert.deepEqual(d.reverse().topoOrder(), ['n3', 'n2', 'n1', 'n0']);
  assert.deepEqual(d.topoOrder(), ['n0', 'n1', 'n2', 'n3']);
});

test('ancestors are transitive dependents, descendants transitive dependencies', () => {
  const d = new Dag();
  d.addDependency('c', 'b');
  d.addDependency('b', 'a');
  d.addDependency('x', 'a');
  d.addNode('lonely');
  assert.deepEqual([...d.ancestors('a')].sort(), ['b', 'c', 'x']);
  assert.deepEqual([...d.descendants('c')].sort(), ['a', 'b']);
  assert.deepEqual([...d.ancestors('lonely')], []);
  assert.deepEqual([...d.descendants('unknown')], []);
});

test('findCycles reports the real loop with the ranges of the references', () => {
  const d = new Dag();
  for (const id of ['ok', 'a', 'b', 'c']) d.addNode(id);
  d.addDependency('a', 'b', at(2, 5));
  d.addDependency('b', 'c', at(6, 5));
  d.addDependency('c', 'a', at(10, 5));
  d.addDependency('a', 'ok', at(3, 5));
  d.addDependency('b', 'ok');
  const cycles = d.findCycles();
  assert.equal(cycles.length, 1);
  assert.deepEqual(cycles[0].path, ['a', 'b', 'c', 'a']);
  assert.deepEqual(cycles[0].ranges, [at(2, 5), at(6, 5), at(10, 5)]);

  const diags = cycleDiagnostics(d, cycles);
  assert.equal(diags.length, 1);
  assert.equal(diags[0].severity, 'error');
  assert.equal(diags[0].summary, 'Cycle: a → b → c → a');
  assert.deepEqual(diags[0].range, at(2, 5));
  assert.match(diags[0].detail!, /a depends on b \(main\.pf:2:5\)/);
  assert.match(diags[0].detail!, /b depends on c \(main\.pf:6:5\)/);
  assert.match(diags[0].detail!, /c depends on a \(main\.pf:10:5\)/);

  assert.throws(
    () => d.topoOrder(),
    (e: unknown) => e instanceof DiagnosticsError && e.diagnostics[0].summary === 'Cycle: a → b → c → a',
  );
});

test('the cycle path is the shortest loop, not the whole component', () => {
  // a -> b -> a and a -> c -> d -> a share one strongly connected component.
  const d = new Dag();
  d.addDependency('a', 'c');
  d.addDependency('c', 'd');
  d.addDependency('d', 'a');
  d.addDependency('a', 'b');
  d.addDependency('b', 'a');
  const cycles = d.findCycles();
  assert.equal(cycles.length, 1);
  assert.deepEqual(cycles[0].path, ['a', 'b', 'a']);
});

test('self-loops and separate cycles are each reported, with describe()', () => {
  const d = new Dag();
  d.addNode('x', { id: 'x', range: at(1, 1) });
  d.addDependency('x', 'x', at(1, 20));
  d.addDependency('p', 'q');
  d.addDependency('q', 'p');
  d.addDependency('free', 'x');
  const cycles = d.findCycles();
  assert.deepEqual(
    cycles.map((c) => c.path),
    [['x', 'x'], ['p', 'q', 'p']],
  );
  const diags = cycleDiagnostics(d, cycles, (id) => `res.${id}`);
  assert.equal(diags[0].summary, 'Cycle: res.x → res.x');
  assert.match(diags[0].detail!, /refers to itself/);
  assert.deepEqual(diags[0].range, at(1, 20));
  assert.equal(diags[1].summary, 'Cycle: res.p → res.q → res.p');
  assert.equal(diags[1].range, undefined);
});

test('an acyclic graph has no cycles', () => {
  const d = chain(10);
  d.addDependency('n9', 'n0');
  assert.deepEqual(d.findCycles(), []);
});

for (const n of [20_000, 50_000]) {
  test(`a ${n}-node chain: topoOrder, findCycles and reachability do not overflow the stack`, () => {
    const d = chain(n);
    const order = d.topoOrder();
    assert.equal(order.length, n);
    assert.equal(order[0], 'n0');
    assert.equal(order[n - 1], `n${n - 1}`);
    assert.deepEqual(d.findCycles(), []);
    assert.equal(d.ancestors('n0').size, n - 1);
    assert.equal(d.descendants(`n${n - 1}`).size, n - 1);
    // Close the chain into one long cycle: it is found, whole, in order.
    d.addDependency('n0', `n${n - 1}`, at(99, 1));
    const cycles = d.findCycles();
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0].path.length, n + 1);
    assert.equal(cycles[0].path[0], 'n0');
    assert.equal(cycles[0].path[1], `n${n - 1}`);
    assert.equal(cycles[0].path[n], 'n0');
    assert.deepEqual(cycles[0].ranges[0], at(99, 1));
  });
}

test('toDot prints a stable, sorted digraph with edges dependent -> dependency', () => {
  const d = new Dag();
  d.addNode('xenserver_vm.web');
  d.addNode('xenserver_sr.nfs');
  d.addNode('xenserver_network.lan', { id: 'xenserver_network.lan', label: 'net "lan"' });
  d.addDependency('xenserver_vm.web', 'xenserver_sr.nfs');
  d.addDependency('xenserver_vm.web', 'xenserver_network.lan');
  assert.equal(
    toDot(d, { rankdir: 'RL' }),
    [
      'digraph G {',
      '  rankdir = "RL";',
      '  node [shape = rect, fontname = "sans-serif"];',
      '  "xenserver_network.lan" [label="net \\"lan\\""];',
      '  "xenserver_sr.nfs" [label="xenserver_sr.nfs"];',
      '  "xenserver_vm.web" [label="xenserver_vm.web"];',
      '  "xenserver_vm.web" -> "xenserver_network.lan";',
      '  "xenserver_vm.web" -> "xenserver_sr.nfs";',
      '}',
      '',
    ].join('\n'),
  );
  assert.equal(
    toDot(new Dag(), { name: 'my graph' }),
    'digraph "my graph" {\n  node [shape = rect, fontname = "sans-serif"];\n}\n',
  );
});
