import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { aggregateTypes } from '../../src/snapshot/aggregate-types';
import { analyzeSnapshotFile } from '../../src/snapshot/analyze-file';
import { computeDominators } from '../../src/snapshot/dominators';
import { loadSnapshotText } from '../../src/snapshot/load-snapshot';
import { analyzeWithDevTools, devtoolsRowsByLeakwatchName } from './devtools-reference';
import { buildLabelledGraph, type EdgeSpec, type LabelledGraph, type NodeSpec } from './labelled-graph';

/**
 * Dominators, retained sizes and the per-type aggregation on tiny graphs whose answers are
 * worked out by hand (snapshot-dominators, snapshot-devtools-rules and snapshot-type-rows tests).
 * Every expectation is checked against Chrome DevTools' own heap snapshot code (devtools-frontend
 * HeapSnapshot.ts via heap-snapshot-toolkit), which proves the hand values and the snapshot
 * layout are right, and against leakwatch's engine; both with DevTools' shallow-size attribution
 * (the default of both) and on V8's raw self sizes.
 */

export interface TypeExpectation {
  type: string;
  count: number;
  selfSize: number;
  retainedSize: number;
}

export interface GraphCase {
  name: string;
  nodes: NodeSpec[];
  edges: EdgeSpec[];
  /** Immediate dominator of every node but the root (by label). */
  idom: Record<string, string>;
  /** Retained size of every node, root included, with shallow sizes attributed to owners. */
  retained: Record<string, number>;
  /** The same on V8's raw self sizes, where attribution changes anything. */
  retainedRaw?: Record<string, number>;
  /** Self sizes reachable from the root through retaining edges; default: the root's retained size. */
  reachable?: number;
  /** Constructor rows, when the case is about them (with attribution; typesRaw without, if different). */
  types?: TypeExpectation[];
  typesRaw?: TypeExpectation[];
}

/** Every node straight under the root: each retains itself only. */
export function everythingUnderRoot(nodes: NodeSpec[]): Pick<GraphCase, 'idom' | 'retained'> {
  const idom: Record<string, string> = {};
  const retained: Record<string, number> = { root: 0 };
  for (const [label, , , size] of nodes) {
    idom[label] = 'root';
    retained[label] = size;
    retained.root += size;
  }
  return { idom, retained };
}

function checkComplete(c: GraphCase, graph: LabelledGraph): void {
  for (const retained of [c.retained, c.retainedRaw ?? c.retained]) {
    for (const label of graph.label) assert.ok(label in retained, `${c.name}: retained size of ${label} is stated`);
    assert.equal(Object.keys(retained).length, graph.label.length, `${c.name}: no retained size for a node that does not exist`);
  }
  for (const label of graph.label) if (label !== 'root') assert.ok(label in c.idom, `${c.name}: dominator of ${label} is stated`);
  assert.equal(Object.keys(c.idom).length, graph.label.length - 1, `${c.name}: no dominator for a node that does not exist`);
}

function byLabel(graph: LabelledGraph, values: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  graph.label.forEach((label, i) => (out[label] = values[i]));
  return out;
}

function idomByLabel(graph: LabelledGraph, idom: ArrayLike<number>): Record<string, string> {
  const out: Record<string, string> = {};
  graph.label.forEach((label, i) => {
    if (i !== 0) out[label] = graph.label[idom[i]] ?? `#${idom[i]}`;
  });
  return out;
}

function sortedRows(rows: Iterable<TypeExpectation>): TypeExpectation[] {
  return [...rows]
    .map(({ type, count, selfSize, retainedSize }) => ({ type, count, selfSize, retainedSize }))
    .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** Checks one hand-built case against DevTools and the engine, in both modes, and through the whole file analysis (in `dir`). */
export async function checkGraphCase(c: GraphCase, dir: string): Promise<void> {
  const graph = buildLabelledGraph(c.nodes, c.edges);
  checkComplete(c, graph);
  const json = graph.snapshot.toJson();
  const modes = [
    { attributed: true, retained: c.retained, types: c.types },
    { attributed: false, retained: c.retainedRaw ?? c.retained, types: c.typesRaw ?? c.types },
  ];
  for (const mode of modes) {
    const how = mode.attributed ? 'owned sizes attributed' : 'raw self sizes';

    const devtools = await analyzeWithDevTools({ text: json }, { ownedSizes: mode.attributed });
    assert.deepEqual(idomByLabel(graph, devtools.idom), c.idom, `DevTools dominators match the hand-computed ones (${how})`);
    assert.deepEqual(byLabel(graph, devtools.retainedSize), mode.retained, `DevTools retained sizes match (${how})`);
    if (mode.types) {
      const rows = [...devtoolsRowsByLeakwatchName(devtools.types)].map(([type, row]) => ({ type, ...row }));
      assert.deepEqual(sortedRows(rows), sortedRows(mode.types), `DevTools Constructor rows match (${how})`);
    }

    const loaded = loadSnapshotText(json);
    const dominators = computeDominators(loaded, { attributeOwnedSizes: mode.attributed });
    assert.deepEqual(idomByLabel(graph, dominators.idom), c.idom, `engine dominators (${how})`);
    assert.deepEqual(byLabel(graph, dominators.retainedSize), mode.retained, `engine retained sizes (${how})`);
    assert.equal(dominators.reachableSize, c.reachable ?? c.retained.root, `engine reachable size (${how})`);
    if (mode.types) assert.deepEqual(sortedRows(aggregateTypes(loaded, dominators)), sortedRows(mode.types), `engine Constructor rows (${how})`);
  }

  // The whole file analysis is the attributed mode.
  const file = path.join(dir, 'case.heapsnapshot');
  fs.writeFileSync(file, json);
  const analysis = await analyzeSnapshotFile(file);
  assert.equal(analysis.nodeCount, graph.label.length);
  assert.equal(analysis.edgeCount, c.edges.length);
  assert.equal(analysis.totalSize, c.nodes.reduce((sum, [, , , size]) => sum + size, 0));
  assert.equal(analysis.reachableSize, c.reachable ?? c.retained.root);
  if (c.types) assert.deepEqual(sortedRows(analysis.types), sortedRows(c.types), 'analyzeSnapshotFile Constructor rows');
}

/** Compares long arrays without printing 200k elements; names the first differing ordinal. */
export function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: ordinal ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}
