import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { SnapshotTypeRow } from '../src/shared/snapshot-data';
import { aggregateTypes } from '../src/snapshot/aggregate-types';
import { analyzeSnapshotFile } from '../src/snapshot/analyze-file';
import { computeDominators } from '../src/snapshot/dominators';
import { loadSnapshotFile } from '../src/snapshot/load-snapshot';
import type { SnapshotAnalysis } from '../src/snapshot/analysis-result';
import { analyzeWithDevTools, devtoolsRowsByLeakwatchName, type DevToolsReference } from './helpers/devtools-reference';
import { makeTempDir } from './helpers/temp-dir';

/**
 * A real snapshot of a Node process with a varied heap, analysed by the engine and checked
 * against the raw file (read here with JSON.parse, fine at ~12 MB) and against Chrome DevTools'
 * own code (heap-snapshot-toolkit). Like DevTools, the engine by default attributes the self size
 * of single-owner arrays and hidden nodes to their owner (JSHeapSnapshot.calculateShallowSizes);
 * sums over V8's raw self sizes are checked with that attribution off.
 */

const run = promisify(execFile);
const CHILD = path.join(__dirname, 'fixtures', 'varied-heap-child.js');

interface RawSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] }; node_count: number; edge_count: number };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const tmp = makeTempDir('snapshot-real');
let file = '';
let raw: RawSnapshot;
let analysis: SnapshotAnalysis;
let devtools: DevToolsReference;
let devtoolsRaw: DevToolsReference;

before(async () => {
  file = path.join(tmp.dir, 'varied.heapsnapshot');
  const { stdout } = await run(process.execPath, [CHILD, file], { maxBuffer: 1 << 20 });
  assert.equal(stdout.trim(), file);
  const size = fs.statSync(file).size;
  assert.ok(size > 2e6 && size < 40e6, `snapshot size ${size} is in the few-MB range the test is sized for`);
  raw = JSON.parse(fs.readFileSync(file, 'utf8')) as RawSnapshot;
  analysis = await analyzeSnapshotFile(file);
  devtools = await analyzeWithDevTools({ file });
  devtoolsRaw = await analyzeWithDevTools({ file }, { ownedSizes: false });
});

after(() => tmp.remove());

function field(name: string, fields: string[]): number {
  const i = fields.indexOf(name);
  assert.ok(i >= 0, `field ${name} present`);
  return i;
}

/**
 * The Constructor grouping, restated independently of the engine (HeapSnapshot.ts
 * calculateObjectNames): hidden -> (system); object and native -> the node's name; code ->
 * (compiled code); closure -> Function; regexp -> RegExp; every other type -> '(' + type + ')'.
 * Nodes of self size 0 are not listed (buildAggregates). On V8's raw self sizes.
 */
function rawTypeRows(s: RawSnapshot): Map<string, { count: number; selfSize: number }> {
  const m = s.snapshot.meta;
  const F = m.node_fields.length;
  const typeAt = field('type', m.node_fields);
  const nameAt = field('name', m.node_fields);
  const sizeAt = field('self_size', m.node_fields);
  const types = m.node_types[0];
  const rows = new Map<string, { count: number; selfSize: number }>();
  for (let i = 0; i < s.nodes.length; i += F) {
    const selfSize = s.nodes[i + sizeAt];
    if (selfSize === 0) continue;
    const type = types[s.nodes[i + typeAt]];
    let name: string;
    if (type === 'hidden') name = '(system)';
    else if (type === 'object' || type === 'native') name = s.strings[s.nodes[i + nameAt]];
    else if (type === 'code') name = '(compiled code)';
    else if (type === 'closure') name = 'Function';
    else if (type === 'regexp') name = 'RegExp';
    else name = `(${type})`;
    const row = rows.get(name) ?? { count: 0, selfSize: 0 };
    row.count++;
    row.selfSize += selfSize;
    rows.set(name, row);
  }
  return rows;
}

test('the loaded graph is exactly the file: nodes, edges, strings', async () => {
  const m = raw.snapshot.meta;
  const F = m.node_fields.length;
  const E = m.edge_fields.length;
  const graph = loadSnapshotFile(file, { keepStrings: 'all' });
  assert.equal(graph.nodeCount, raw.snapshot.node_count);
  assert.equal(graph.nodeCount, raw.nodes.length / F);
  assert.equal(graph.edgeCount, raw.snapshot.edge_count);
  const [typeAt, nameAt, idAt, sizeAt, edgeCountAt] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => field(f, m.node_fields));
  const [edgeTypeAt, toAt] = ['type', 'to_node'].map((f) => field(f, m.edge_fields));
  let edge = 0;
  for (let n = 0; n < graph.nodeCount; n++) {
    const i = n * F;
    if (
      graph.nodeType[n] !== raw.nodes[i + typeAt] ||
      graph.nodeName[n] !== raw.nodes[i + nameAt] ||
      graph.nodeId[n] !== raw.nodes[i + idAt] ||
      graph.selfSize[n] !== raw.nodes[i + sizeAt] ||
      graph.firstEdge[n] !== edge
    ) {
      assert.fail(`node ${n} differs from the file`);
    }
    edge += raw.nodes[i + edgeCountAt];
  }
  assert.equal(graph.firstEdge[graph.nodeCount], raw.snapshot.edge_count);
  for (let e = 0; e < graph.edgeCount; e++) {
    if (graph.edgeType[e] !== raw.edges[e * E + edgeTypeAt] || graph.edgeTarget[e] !== raw.edges[e * E + toAt] / F) assert.fail(`edge ${e} differs from the file`);
  }
  assert.equal(graph.strings.count, raw.strings.length);
  for (let i = 0; i < raw.strings.length; i++) if (graph.strings.get(i) !== raw.strings[i]) assert.fail(`string ${i} differs from the file`);
  // The analysis keeps only the strings it needs, but every object and native name among them.
  const lean = loadSnapshotFile(file);
  const objectTypes = new Set(['object', 'native'].map((t) => m.node_types[0].indexOf(t)));
  for (let n = 0; n < lean.nodeCount; n++) {
    if (objectTypes.has(lean.nodeType[n]) && lean.strings.get(lean.nodeName[n]) !== raw.strings[raw.nodes[n * F + nameAt]]) assert.fail(`name of node ${n} lost`);
  }
});

test('per-type counts and self sizes equal sums over the raw nodes (attribution off)', () => {
  const m = raw.snapshot.meta;
  const F = m.node_fields.length;
  const sizeAt = field('self_size', m.node_fields);
  let total = 0;
  for (let i = sizeAt; i < raw.nodes.length; i += F) total += raw.nodes[i];
  assert.equal(analysis.nodeCount, raw.snapshot.node_count);
  assert.equal(analysis.edgeCount, raw.snapshot.edge_count);
  assert.equal(analysis.stringCount, raw.strings.length);
  assert.equal(analysis.totalSize, total);
  // Attribution moves bytes between nodes and never drops any.
  assert.equal(analysis.types.reduce((sum, row) => sum + row.selfSize, 0), total, 'the attributed rows still add up to every byte');

  const graph = loadSnapshotFile(file);
  const rawRows = aggregateTypes(graph, computeDominators(graph, { attributeOwnedSizes: false }));
  const expected = rawTypeRows(raw);
  const actual = new Map(rawRows.map((row) => [row.type, { count: row.count, selfSize: row.selfSize }]));
  assert.deepEqual(rowDiffs(expected, actual, 'raw', 'engine'), [], 'every type row matches the raw sums');
  for (const name of ['Session', 'TreeNode', 'Listener', 'Map', 'Function', '(string)', '(array)', '(compiled code)', '(system)']) {
    assert.ok(actual.has(name), `the varied heap shows type ${name}`);
  }
  assert.equal(actual.get('Session')!.count, 3000);
  assert.equal(actual.get('TreeNode')!.count, 2 ** 12 - 1);
  assert.equal(actual.get('Listener')!.count, 2000);
});

function rowDiffs(
  expected: Map<string, { count: number; selfSize: number }>,
  actual: Map<string, { count: number; selfSize: number }>,
  expectedName: string,
  actualName: string,
): string[] {
  const wrong: string[] = [];
  for (const [type, row] of expected) {
    const got = actual.get(type);
    if (!got || got.count !== row.count || got.selfSize !== row.selfSize) {
      wrong.push(`${type}: ${expectedName} ${JSON.stringify(row)}, ${actualName} ${JSON.stringify(got && { count: got.count, selfSize: got.selfSize })}`);
    }
  }
  for (const type of actual.keys()) if (!expected.has(type)) wrong.push(`${type}: ${actualName} only`);
  return wrong;
}

test('DevTools agrees with the raw sums (so the grouping rule above is DevTools\')', () => {
  assert.deepEqual(rowDiffs(rawTypeRows(raw), devtoolsRowsByLeakwatchName(devtoolsRaw.types), 'raw', 'DevTools'), []);
});

test('with owned sizes attributed, counts and self sizes per type equal DevTools\'', () => {
  const actual = new Map(analysis.types.map((row) => [row.type, row]));
  assert.deepEqual(rowDiffs(devtoolsRowsByLeakwatchName(devtools.types), actual, 'DevTools', 'leakwatch'), []);
});

test('loadSnapshotFile + computeDominators + aggregateTypes give what analyzeSnapshotFile gives', () => {
  const graph = loadSnapshotFile(file);
  const dominators = computeDominators(graph);
  assert.equal(dominators.idom[0], 0, 'the root is its own dominator');
  assert.equal(dominators.reachableSize, analysis.reachableSize);
  assert.ok(analysis.reachableSize > 0.5 * analysis.totalSize && analysis.reachableSize <= analysis.totalSize, 'most of the heap is reachable');
  // DevTools hangs whatever is not reachable under the root, so the root retains everything.
  assert.equal(dominators.retainedSize[0], analysis.totalSize);
  const rows = aggregateTypes(graph, dominators);
  const key = (r: SnapshotTypeRow) => r.type;
  assert.deepEqual([...rows].sort((a, b) => (key(a) < key(b) ? -1 : 1)), [...analysis.types].sort((a, b) => (key(a) < key(b) ? -1 : 1)));
  for (let i = 1; i < analysis.types.length; i++) {
    assert.ok(analysis.types[i - 1].retainedSize >= analysis.types[i].retainedSize, 'types are listed largest retained size first');
  }
});

/** Every node's immediate dominator and retained size, engine against DevTools; lists the first differences. */
function compareNodeByNode(snapshotFile: string, reference: DevToolsReference): void {
  const graph = loadSnapshotFile(snapshotFile);
  const dominators = computeDominators(graph);
  assert.equal(reference.nodeCount, graph.nodeCount);
  const describe = (n: number) =>
    n < graph.nodeCount ? `${n} ${graph.strings.get(graph.nodeName[n]).slice(0, 40)} (${graph.nodeTypeNames[graph.nodeType[n]]})` : `#${n} (no such node)`;
  const idomDiffs: string[] = [];
  const retainedDiffs: string[] = [];
  for (let n = 0; n < graph.nodeCount; n++) {
    if (dominators.idom[n] !== reference.idom[n]) idomDiffs.push(`${describe(n)}: idom ${describe(dominators.idom[n])}, DevTools ${describe(reference.idom[n])}`);
    if (dominators.retainedSize[n] !== reference.retainedSize[n]) retainedDiffs.push(`${describe(n)}: ${dominators.retainedSize[n]}, DevTools ${reference.retainedSize[n]}`);
  }
  assert.deepEqual(
    { idomDiffs: idomDiffs.length, firstIdomDiffs: idomDiffs.slice(0, 10), retainedDiffs: retainedDiffs.length, firstRetainedDiffs: retainedDiffs.slice(0, 10) },
    { idomDiffs: 0, firstIdomDiffs: [], retainedDiffs: 0, firstRetainedDiffs: [] },
  );
}

test('the dominator tree and every retained size equal DevTools\' on all nodes', () => {
  compareNodeByNode(file, devtools);
});

test('the same for a bare `node -e` process, whose eval code on the stack leaves nodes unreachable through retaining edges', async () => {
  // Objects held only from "(Stack roots)" (not page-owned) that are also page-owned are reached
  // through no retaining edge at all; DevTools' second and third passes hang them under the root.
  const evalFile = path.join(tmp.dir, 'eval.heapsnapshot');
  await run(process.execPath, ['-e', 'require("v8").writeHeapSnapshot(process.argv[1])', evalFile]);
  const reference = await analyzeWithDevTools({ file: evalFile });
  let total = 0;
  const graph = loadSnapshotFile(evalFile);
  for (let n = 0; n < graph.nodeCount; n++) total += graph.selfSize[n];
  assert.equal(reference.retainedSize[0], total, 'DevTools: the root retains every byte');
  compareNodeByNode(evalFile, reference);
  const evalAnalysis = await analyzeSnapshotFile(evalFile);
  assert.ok(evalAnalysis.reachableSize < evalAnalysis.totalSize, 'some of this heap is not reachable through retaining edges');
});

/**
 * Types whose retained size may differ from DevTools' by more than 1 %, each with the reason.
 * An entry that no longer differs fails the test, so the list cannot go stale.
 */
const KNOWN_RETAINED_DIFFERENCES: Record<string, string> = {};

test('retained sizes of the top 20 types agree with DevTools within 1 %', () => {
  const reference = devtoolsRowsByLeakwatchName(devtools.types);
  const top = analysis.types.slice(0, 20);
  assert.equal(top.length, 20);
  const beyond: Record<string, string> = {};
  for (const row of top) {
    const ref = reference.get(row.type);
    assert.ok(ref, `DevTools has a row for ${row.type}`);
    const deviation = Math.abs(row.retainedSize - ref.retainedSize) / Math.max(ref.retainedSize, 1);
    if (deviation > 0.01) beyond[row.type] = `leakwatch ${row.retainedSize}, DevTools ${ref.retainedSize} (${(deviation * 100).toFixed(2)} %)`;
  }
  const unexplained = Object.keys(beyond).filter((type) => !(type in KNOWN_RETAINED_DIFFERENCES));
  assert.deepEqual(unexplained.map((type) => `${type}: ${beyond[type]}`), [], 'types beyond 1 % without a stated reason');
  const stale = Object.keys(KNOWN_RETAINED_DIFFERENCES).filter((type) => top.some((row) => row.type === type) && !(type in beyond));
  assert.deepEqual(stale, [], 'listed differences that no longer differ');
});

test('a tree of one class: the type\'s retained size is its outermost node\'s, not the sum over the tree', () => {
  const graph = loadSnapshotFile(file);
  const dominators = computeDominators(graph);
  const objectType = raw.snapshot.meta.node_types[0].indexOf('object');
  const isClass = (n: number, name: string) => graph.nodeType[n] === objectType && graph.strings.get(graph.nodeName[n]) === name;
  const outermost = (name: string): number[] => {
    const found: number[] = [];
    for (let n = 0; n < graph.nodeCount; n++) {
      if (!isClass(n, name)) continue;
      let d = dominators.idom[n];
      while (d !== 0 && !isClass(d, name)) d = dominators.idom[d];
      if (d === 0) found.push(n);
    }
    return found;
  };
  const row = (name: string) => analysis.types.find((r) => r.type === name)!;

  const trees = outermost('TreeNode');
  assert.equal(trees.length, 1, 'one TreeNode (the tree\'s root) is not under another');
  assert.equal(row('TreeNode').retainedSize, dominators.retainedSize[trees[0]]);
  let sumOverTree = 0;
  for (let n = 0; n < graph.nodeCount; n++) if (isClass(n, 'TreeNode')) sumOverTree += dominators.retainedSize[n];
  assert.ok(sumOverTree > 5 * row('TreeNode').retainedSize, 'summing every node would count the tree many times over');

  // Sessions are held from an array and a Map: none is under another, all are outermost.
  const sessions = outermost('Session');
  assert.equal(sessions.length, 3000);
  assert.equal(row('Session').retainedSize, sessions.reduce((sum, n) => sum + dominators.retainedSize[n], 0));
});
