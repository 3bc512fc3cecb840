import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { aggregateTypes } from '../src/snapshot/aggregate-types';
import { analyzeSnapshotFile } from '../src/snapshot/analyze-file';
import { computeDominators } from '../src/snapshot/dominators';
import { loadSnapshotText } from '../src/snapshot/load-snapshot';
import { analyzeWithDevTools, devtoolsRowsByLeakwatchName } from './helpers/devtools-reference';
import { buildLabelledGraph, type EdgeSpec, type LabelledGraph, type NodeSpec } from './helpers/labelled-graph';
import { makeTempDir } from './helpers/temp-dir';

/**
 * Dominators, retained sizes and the per-type aggregation on tiny graphs whose answers are
 * worked out by hand. Every expectation is checked against Chrome DevTools' own heap snapshot
 * code (devtools-frontend HeapSnapshot.ts via heap-snapshot-toolkit), which proves the hand
 * values and the snapshot layout are right, and against leakwatch's engine; both with DevTools'
 * shallow-size attribution (the default of both) and on V8's raw self sizes.
 *
 * DevTools' rules these graphs pin down (HeapSnapshot.ts):
 * - computeIsEssentialEdge: an edge takes part in the dominator tree unless it is `weak`, a self
 *   edge, a `shortcut` from a node other than the root, an `internal` WeakMap edge from the
 *   ephemeron table (the value is kept by the key instead), or an edge from a node that is not
 *   page-owned to a page-owned one (page-owned = reachable without weak edges from a target of a
 *   root `shortcut` edge; markPageOwnedNodes). With no root shortcut nothing is page-owned and that
 *   last rule is moot.
 * - calculateDominatorsAndRetainedSizes: iterative Lengauer-Tarjan from the root; nodes whose
 *   retainers are all non-essential ("only weak retainers") are then searched from as if the root
 *   held them, and whatever is still unvisited (e.g. a cycle held only weakly) is hung under the
 *   root one by one. So every node has a dominator and the root's retained size is the sum of all
 *   self sizes.
 * - JSHeapSnapshot.calculateShallowSizes: `array`/`hidden` nodes with a single owner count in the
 *   owner's self size (only when the root points at some non-synthetic node, as V8's snapshots do).
 * - calculateClassesRetainedSize: a class's retained size sums the retained sizes of its nodes
 *   that have no node of the same class above them in the dominator tree.
 * - buildAggregates: nodes with self size 0 are not listed.
 */

interface TypeExpectation {
  type: string;
  count: number;
  selfSize: number;
  retainedSize: number;
}

interface GraphCase {
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

const tmp = makeTempDir('snapshot-dominators');
after(() => tmp.remove());

/** Every node straight under the root: each retains itself only. */
function everythingUnderRoot(nodes: NodeSpec[]): Pick<GraphCase, 'idom' | 'retained'> {
  const idom: Record<string, string> = {};
  const retained: Record<string, number> = { root: 0 };
  for (const [label, , , size] of nodes) {
    idom[label] = 'root';
    retained[label] = size;
    retained.root += size;
  }
  return { idom, retained };
}

const GROUPING_NODES: NodeSpec[] = [
  ['hidden1', 'hidden', 'system / Context', 11],
  ['hidden2', 'hidden', 'system / Foo', 13],
  ['array1', 'array', '(object elements)', 17],
  ['array2', 'array', '', 19],
  ['string1', 'string', 'hello', 23],
  ['string2', 'string', 'world', 29],
  ['cons', 'concatenated string', 'helloworld', 31],
  ['sliced', 'sliced string', 'ell', 37],
  ['session1', 'object', 'Session', 41],
  ['session2', 'object', 'Session', 43],
  ['plain', 'object', 'Object', 47],
  ['code', 'code', 'foo', 53],
  ['closure1', 'closure', 'handler', 59],
  ['closure2', 'closure', 'other', 61],
  ['regexp', 'regexp', '/a+/', 67],
  ['number', 'number', 'heap number', 71],
  ['native', 'native', 'Node / Environment', 73],
  ['gc', 'synthetic', '(GC roots)', 0],
  ['sized-synthetic', 'synthetic', 'Node / Sized', 79],
  ['symbol', 'symbol', 'Symbol(foo)', 83],
  ['bigint', 'bigint', 'bigint', 89],
  ['shape', 'object shape', 'system / Map', 97],
  ['empty', 'object', 'Empty', 0],
];

const CASES: GraphCase[] = [
  {
    name: 'chain: each node dominates the rest of the chain',
    nodes: [
      ['gc', 'synthetic', '(GC roots)', 0],
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
      ['d', 'object', 'D', 40],
    ],
    edges: [
      ['root', 'gc', 'element', 1],
      ['gc', 'a', 'element', 0],
      ['a', 'b', 'property', 'next'],
      ['b', 'c', 'property', 'next'],
      ['c', 'd', 'property', 'next'],
    ],
    idom: { gc: 'root', a: 'gc', b: 'a', c: 'b', d: 'c' },
    retained: { root: 100, gc: 100, a: 100, b: 90, c: 70, d: 40 },
  },
  {
    name: 'diamond: the join is dominated by the fork',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
      ['d', 'object', 'D', 40],
      ['e', 'object', 'E', 50],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['a', 'b', 'property', 'left'],
      ['a', 'c', 'property', 'right'],
      ['b', 'd', 'property', 'join'],
      ['c', 'd', 'property', 'join'],
      ['d', 'e', 'property', 'tail'],
    ],
    idom: { a: 'root', b: 'a', c: 'a', d: 'a', e: 'd' },
    retained: { root: 150, a: 150, b: 20, c: 30, d: 90, e: 50 },
  },
  {
    name: 'two roots: an object held from two root paths is dominated by the root',
    nodes: [
      ['gc', 'synthetic', '(GC roots)', 0],
      ['handles', 'synthetic', '(Global handles)', 0],
      ['p', 'object', 'P', 10],
      ['q', 'object', 'Q', 20],
      ['x', 'object', 'X', 30],
      ['y', 'object', 'Y', 40],
    ],
    edges: [
      ['root', 'gc', 'element', 1],
      ['root', 'handles', 'element', 2],
      ['gc', 'p', 'element', 0],
      ['handles', 'q', 'element', 0],
      ['p', 'x', 'property', 'shared'],
      ['q', 'x', 'property', 'shared'],
      ['x', 'y', 'property', 'own'],
    ],
    idom: { gc: 'root', handles: 'root', p: 'gc', q: 'handles', x: 'root', y: 'x' },
    retained: { root: 100, gc: 10, handles: 20, p: 10, q: 20, x: 70, y: 40 },
  },
  {
    name: 'cycle with one entry (and a self edge): the entry dominates the cycle',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
      ['d', 'object', 'D', 40],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['a', 'b', 'property', 'next'],
      ['b', 'c', 'property', 'next'],
      ['c', 'a', 'property', 'next'],
      ['c', 'c', 'property', 'self'],
      ['c', 'd', 'property', 'leaf'],
    ],
    idom: { a: 'root', b: 'a', c: 'b', d: 'c' },
    retained: { root: 100, a: 100, b: 90, c: 70, d: 40 },
  },
  {
    name: 'cycle with two entries: neither entry dominates the other',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['root', 'c', 'element', 2],
      ['a', 'b', 'property', 'next'],
      ['b', 'c', 'property', 'next'],
      ['c', 'a', 'property', 'next'],
    ],
    idom: { a: 'root', b: 'a', c: 'root' },
    retained: { root: 60, a: 30, b: 20, c: 30 },
  },
  {
    name: 'weak edge does not retain: the target is dominated through its strong retainer',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['w', 'object', 'W', 30],
      ['v', 'object', 'V', 5],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['root', 'b', 'element', 2],
      ['a', 'w', 'weak', 'cache'],
      ['b', 'w', 'property', 'value'],
      ['w', 'v', 'property', 'inner'],
    ],
    // Were the weak edge retaining, w would be held from two sides and dominated by the root.
    idom: { a: 'root', b: 'root', w: 'b', v: 'w' },
    retained: { root: 65, a: 10, b: 55, w: 35, v: 5 },
  },
  {
    name: 'object held only weakly: DevTools hangs it under the root',
    nodes: [
      ['a', 'object', 'A', 10],
      ['w', 'object', 'W', 30],
      ['v', 'object', 'V', 5],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['a', 'w', 'weak', 'ref'],
      ['w', 'v', 'property', 'inner'],
    ],
    // w is unreachable through retaining edges; DevTools' second DFS starts at such "only weak
    // retainers" nodes with the root as DFS parent, so w is dominated by the root, v by w, and
    // the root's retained size includes them. a does not retain w.
    idom: { a: 'root', w: 'root', v: 'w' },
    retained: { root: 45, a: 10, w: 35, v: 5 },
    reachable: 10,
  },
  {
    name: 'cycle held only weakly: each member is hung under the root',
    nodes: [
      ['a', 'object', 'A', 10],
      ['x', 'object', 'X', 30],
      ['y', 'object', 'Y', 40],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['a', 'x', 'weak', 'ref'],
      ['x', 'y', 'property', 'next'],
      ['y', 'x', 'property', 'next'],
    ],
    // x and y each have a strong retainer (each other), so neither has "only weak retainers";
    // DevTools' third pass visits them individually with the root as parent.
    idom: { a: 'root', x: 'root', y: 'root' },
    retained: { root: 80, a: 10, x: 30, y: 40 },
    reachable: 10,
  },
  {
    name: 'shortcut edge from a non-root node does not retain',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['root', 'b', 'element', 2],
      ['a', 'c', 'shortcut', 'alias'],
      ['b', 'c', 'property', 'value'],
    ],
    idom: { a: 'root', b: 'root', c: 'b' },
    retained: { root: 60, a: 10, b: 50, c: 30 },
  },
  {
    name: 'shortcut edge from the root marks a global: edges into its graph from outside it do not retain',
    nodes: [
      ['global', 'object', 'global', 10],
      ['gc', 'synthetic', '(GC roots)', 0],
      ['x', 'object', 'X', 20],
      ['y', 'object', 'Y', 30],
      ['z', 'object', 'Z', 40],
    ],
    edges: [
      ['root', 'gc', 'element', 1],
      ['root', 'global', 'shortcut', 'global'],
      ['gc', 'x', 'element', 0],
      ['gc', 'z', 'element', 1],
      ['global', 'x', 'property', 'x'],
      ['global', 'y', 'property', 'y'],
    ],
    // global, x, y are page-owned (reachable from the root's shortcut target); gc is not, so
    // gc -> x is not essential and x is dominated by global alone.
    idom: { global: 'root', gc: 'root', x: 'global', y: 'global', z: 'gc' },
    retained: { root: 100, global: 60, gc: 40, x: 20, y: 30, z: 40 },
  },
  {
    name: 'WeakMap value: the ephemeron table edge does not retain, the key does',
    nodes: [
      ['map', 'object', 'WeakMap', 24],
      ['table', 'array', 'system / EphemeronHashTable', 64],
      ['key', 'object', 'Key', 16],
      ['value', 'object', 'Value', 100],
    ],
    edges: [
      ['root', 'map', 'element', 1],
      ['root', 'key', 'element', 2],
      ['map', 'table', 'internal', 'table'],
      ['table', 'key', 'weak', '0 / key'],
      // V8 names both edges of the pair after the table's node id (the table is ordinal 2: id 5).
      ['table', 'value', 'internal', '1 / part of key (Key @7) -> value (Value @9) pair in WeakMap (table @5)'],
      ['key', 'value', 'internal', '1 / part of key (Key @7) -> value (Value @9) pair in WeakMap (table @5)'],
    ],
    idom: { map: 'root', table: 'map', key: 'root', value: 'key' },
    // The table is the WeakMap's own storage: DevTools counts its 64 bytes in the map's self size.
    retained: { root: 204, map: 88, table: 0, key: 116, value: 100 },
    retainedRaw: { root: 204, map: 88, table: 64, key: 116, value: 100 },
  },
  {
    // Lengauer & Tarjan, "A fast algorithm for finding dominators in a flowgraph" (TOPLAS 1979),
    // figure 1: the 13-vertex flowgraph R..L and its dominator tree. Sizes are powers of two so
    // every retained size is a distinct sum.
    name: 'Lengauer-Tarjan 1979 example flowgraph',
    nodes: [
      ['R', 'object', 'R', 4096],
      ['A', 'object', 'A', 1],
      ['B', 'object', 'B', 2],
      ['C', 'object', 'C', 4],
      ['D', 'object', 'D', 8],
      ['E', 'object', 'E', 16],
      ['F', 'object', 'F', 32],
      ['G', 'object', 'G', 64],
      ['H', 'object', 'H', 128],
      ['I', 'object', 'I', 256],
      ['J', 'object', 'J', 512],
      ['K', 'object', 'K', 1024],
      ['L', 'object', 'L', 2048],
    ],
    edges: [
      ['root', 'R', 'element', 1],
      ['R', 'A', 'property', 'a'],
      ['R', 'B', 'property', 'b'],
      ['R', 'C', 'property', 'c'],
      ['A', 'D', 'property', 'd'],
      ['B', 'A', 'property', 'a'],
      ['B', 'D', 'property', 'd'],
      ['B', 'E', 'property', 'e'],
      ['C', 'F', 'property', 'f'],
      ['C', 'G', 'property', 'g'],
      ['D', 'L', 'property', 'l'],
      ['E', 'H', 'property', 'h'],
      ['F', 'I', 'property', 'i'],
      ['G', 'I', 'property', 'i'],
      ['G', 'J', 'property', 'j'],
      ['H', 'E', 'property', 'e'],
      ['H', 'K', 'property', 'k'],
      ['I', 'K', 'property', 'k'],
      ['J', 'I', 'property', 'i'],
      ['K', 'I', 'property', 'i'],
      ['K', 'R', 'property', 'r'],
      ['L', 'H', 'property', 'h'],
    ],
    idom: { R: 'root', A: 'R', B: 'R', C: 'R', D: 'R', E: 'R', F: 'C', G: 'C', H: 'R', I: 'R', J: 'G', K: 'R', L: 'D' },
    retained: {
      root: 8191,
      R: 8191,
      A: 1,
      B: 2,
      C: 4 + 32 + 64 + 512,
      D: 8 + 2048,
      E: 16,
      F: 32,
      G: 64 + 512,
      H: 128,
      I: 256,
      J: 512,
      K: 1024,
      L: 2048,
    },
  },
  {
    // DevTools' shallow-size attribution (JSHeapSnapshot.calculateShallowSizes): `array` and
    // `hidden` nodes reached through non-weak edges from exactly one other node count in that
    // node's self size and drop to 0; storage shared by two objects, or held only weakly, stays.
    name: 'owned storage: arrays and hidden nodes with one owner count in the owner',
    nodes: [
      ['holder', 'object', 'Holder', 40],
      ['elements', 'array', '(object elements)', 100],
      ['props', 'hidden', 'system / PropertyArray', 30],
      ['propsInner', 'hidden', 'system / Inner', 8],
      ['label', 'string', 'label', 16],
      ['other', 'object', 'Other', 20],
      ['shared', 'array', '(shared elements)', 50],
      ['cache', 'object', 'Cache', 10],
      ['weakOnly', 'array', '(weak elements)', 70],
    ],
    edges: [
      ['root', 'holder', 'element', 1],
      ['root', 'other', 'element', 2],
      ['root', 'cache', 'element', 3],
      ['holder', 'elements', 'internal', 'elements'],
      ['holder', 'props', 'internal', 'properties'],
      ['holder', 'shared', 'internal', 'shared'],
      ['props', 'propsInner', 'hidden', 0],
      ['elements', 'label', 'element', 0],
      ['other', 'shared', 'internal', 'elements'],
      ['cache', 'weakOnly', 'weak', 'entries'],
    ],
    idom: { holder: 'root', elements: 'holder', props: 'holder', propsInner: 'props', label: 'elements', other: 'root', shared: 'root', cache: 'root', weakOnly: 'root' },
    // Attributed self sizes: holder 40 + 100 + 30 + 8 = 178; elements, props, propsInner 0.
    retained: { root: 344, holder: 194, elements: 16, props: 0, propsInner: 0, label: 16, other: 20, shared: 50, cache: 10, weakOnly: 70 },
    retainedRaw: { root: 344, holder: 194, elements: 116, props: 38, propsInner: 8, label: 16, other: 20, shared: 50, cache: 10, weakOnly: 70 },
    reachable: 274,
    types: [
      { type: 'Holder', count: 1, selfSize: 178, retainedSize: 194 },
      { type: '(array)', count: 2, selfSize: 120, retainedSize: 120 },
      { type: 'Other', count: 1, selfSize: 20, retainedSize: 20 },
      { type: '(string)', count: 1, selfSize: 16, retainedSize: 16 },
      { type: 'Cache', count: 1, selfSize: 10, retainedSize: 10 },
    ],
    typesRaw: [
      { type: 'Holder', count: 1, selfSize: 40, retainedSize: 194 },
      { type: '(array)', count: 3, selfSize: 220, retainedSize: 236 },
      { type: '(system)', count: 2, selfSize: 38, retainedSize: 38 },
      { type: 'Other', count: 1, selfSize: 20, retainedSize: 20 },
      { type: '(string)', count: 1, selfSize: 16, retainedSize: 16 },
      { type: 'Cache', count: 1, selfSize: 10, retainedSize: 10 },
    ],
  },
  {
    // A tree of `Tree` objects: the type's retained size is that of the outermost Trees only
    // (t1, t5, t6); t2, t3, t4 sit under t1 in the dominator tree, and t7 under t1 through a
    // Wrapper. t6 is also reachable from t4 but app dominates it, so it is outermost too.
    name: 'nested objects of one type are not counted twice',
    nodes: [
      ['app', 'object', 'App', 10],
      ['t1', 'object', 'Tree', 100],
      ['t2', 'object', 'Tree', 100],
      ['t3', 'object', 'Tree', 100],
      ['t4', 'object', 'Tree', 100],
      ['t5', 'object', 'Tree', 100],
      ['t6', 'object', 'Tree', 100],
      ['t7', 'object', 'Tree', 100],
      ['w', 'object', 'Wrapper', 8],
      ['s', 'string', 'label', 16],
    ],
    edges: [
      ['root', 'app', 'element', 1],
      ['root', 't5', 'element', 2],
      ['app', 't1', 'property', 'tree'],
      ['app', 't6', 'property', 'extra'],
      ['t1', 't2', 'property', 'left'],
      ['t1', 't3', 'property', 'right'],
      ['t1', 's', 'property', 'label'],
      ['t2', 't4', 'property', 'left'],
      ['t2', 'w', 'property', 'wrap'],
      ['w', 't7', 'property', 'inner'],
      ['t4', 't6', 'property', 'next'],
    ],
    idom: { app: 'root', t5: 'root', t1: 'app', t6: 'app', t2: 't1', t3: 't1', s: 't1', t4: 't2', w: 't2', t7: 'w' },
    retained: { root: 734, app: 634, t1: 524, t2: 308, t3: 100, t4: 100, t5: 100, t6: 100, t7: 100, w: 108, s: 16 },
    types: [
      { type: 'Tree', count: 7, selfSize: 700, retainedSize: 524 + 100 + 100 },
      { type: 'App', count: 1, selfSize: 10, retainedSize: 634 },
      { type: 'Wrapper', count: 1, selfSize: 8, retainedSize: 108 },
      { type: '(string)', count: 1, selfSize: 16, retainedSize: 16 },
    ],
  },
  {
    // One or two nodes of every V8 node type straight under the root, each with a distinct size.
    // Rules (HeapSnapshot.ts calculateObjectNames / getNodeClassIndex): hidden -> (system);
    // object and native -> their name; code -> (compiled code); closure -> Function; regexp ->
    // RegExp; anything else -> '(' + V8 type + ')', so concatenated and sliced strings are rows
    // of their own, not (string). (Older DevTools, and the examples in SnapshotTypeRow's comment,
    // say (closure) and (regexp).) The root's direct hidden/array children have no owner but the
    // root, so shallow-size attribution leaves them alone.
    // Nodes of self size 0 are left out (buildAggregates), hence no (synthetic) row for
    // (GC roots) and no Empty row.
    name: 'Constructor grouping names',
    nodes: GROUPING_NODES,
    edges: GROUPING_NODES.map(([label], i): EdgeSpec => ['root', label, 'element', i]),
    ...everythingUnderRoot(GROUPING_NODES),
    types: [
      { type: '(system)', count: 2, selfSize: 24, retainedSize: 24 },
      { type: '(array)', count: 2, selfSize: 36, retainedSize: 36 },
      { type: '(string)', count: 2, selfSize: 52, retainedSize: 52 },
      { type: '(concatenated string)', count: 1, selfSize: 31, retainedSize: 31 },
      { type: '(sliced string)', count: 1, selfSize: 37, retainedSize: 37 },
      { type: 'Session', count: 2, selfSize: 84, retainedSize: 84 },
      { type: 'Object', count: 1, selfSize: 47, retainedSize: 47 },
      { type: '(compiled code)', count: 1, selfSize: 53, retainedSize: 53 },
      { type: 'Function', count: 2, selfSize: 120, retainedSize: 120 },
      { type: 'RegExp', count: 1, selfSize: 67, retainedSize: 67 },
      { type: '(number)', count: 1, selfSize: 71, retainedSize: 71 },
      { type: 'Node / Environment', count: 1, selfSize: 73, retainedSize: 73 },
      { type: '(synthetic)', count: 1, selfSize: 79, retainedSize: 79 },
      { type: '(symbol)', count: 1, selfSize: 83, retainedSize: 83 },
      { type: '(bigint)', count: 1, selfSize: 89, retainedSize: 89 },
      { type: '(object shape)', count: 1, selfSize: 97, retainedSize: 97 },
    ],
  },
];

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

for (const c of CASES) {
  test(`dominators: ${c.name}`, async () => {
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
    const file = path.join(tmp.dir, 'case.heapsnapshot');
    fs.writeFileSync(file, json);
    const analysis = await analyzeSnapshotFile(file);
    assert.equal(analysis.nodeCount, graph.label.length);
    assert.equal(analysis.edgeCount, c.edges.length);
    assert.equal(analysis.totalSize, c.nodes.reduce((sum, [, , , size]) => sum + size, 0));
    assert.equal(analysis.reachableSize, c.reachable ?? c.retained.root);
    if (c.types) assert.deepEqual(sortedRows(analysis.types), sortedRows(c.types), 'analyzeSnapshotFile Constructor rows');
  });
}

const DEEP = 200_000;

/** root -> n1 -> n2 -> ... -> nDEEP, node i of size i % 7 + 1 (ordinal i). */
function deepChain(skipEdges: boolean): LabelledGraph {
  const nodes: NodeSpec[] = [];
  const edges: EdgeSpec[] = [['root', 'n1', 'element', 1]];
  for (let i = 1; i <= DEEP; i++) {
    nodes.push([`n${i}`, 'object', 'Link', (i % 7) + 1]);
    if (i < DEEP) edges.push([`n${i}`, `n${i + 1}`, 'property', 'next']);
    if (skipEdges && i + 2 <= DEEP) edges.push([`n${i}`, `n${i + 2}`, 'property', 'skip']);
  }
  return buildLabelledGraph(nodes, edges);
}

test(`dominators: a chain of ${DEEP} nodes (deep DFS and path compression must be iterative)`, async () => {
  const graph = deepChain(false);
  const json = graph.snapshot.toJson();
  // Node i (ordinal i) is dominated by node i-1; it retains the rest of the chain.
  const idom = new Uint32Array(DEEP + 1);
  const retained = new Float64Array(DEEP + 1);
  for (let i = DEEP; i >= 1; i--) {
    idom[i] = i - 1;
    retained[i] = (i % 7) + 1 + (i < DEEP ? retained[i + 1] : 0);
  }
  retained[0] = retained[1];
  const devtools = await analyzeWithDevTools({ text: json });
  assertSameArray(devtools.idom, idom, 'DevTools dominators');
  assertSameArray(devtools.retainedSize, retained, 'DevTools retained sizes');
  const dominators = computeDominators(loadSnapshotText(json));
  assertSameArray(dominators.idom, idom, 'engine dominators');
  assertSameArray(dominators.retainedSize, retained, 'engine retained sizes');
});

test(`dominators: a chain of ${DEEP} nodes with skip edges (every node is dominated by the first)`, async () => {
  const graph = deepChain(true);
  const json = graph.snapshot.toJson();
  // n(i) is reached from n(i-1) or n(i-2), so no node but n1 is on every path to another.
  const idom = new Uint32Array(DEEP + 1);
  const retained = new Float64Array(DEEP + 1);
  let total = 0;
  for (let i = 1; i <= DEEP; i++) {
    idom[i] = i === 1 ? 0 : 1;
    retained[i] = (i % 7) + 1;
    total += retained[i];
  }
  retained[0] = retained[1] = total;
  const devtools = await analyzeWithDevTools({ text: json });
  assertSameArray(devtools.idom, idom, 'DevTools dominators');
  assertSameArray(devtools.retainedSize, retained, 'DevTools retained sizes');
  const dominators = computeDominators(loadSnapshotText(json));
  assertSameArray(dominators.idom, idom, 'engine dominators');
  assertSameArray(dominators.retainedSize, retained, 'engine retained sizes');
});

/** Compares long arrays without printing 200k elements; names the first differing ordinal. */
function assertSameArray(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: ordinal ${i} is ${actual[i]}, expected ${expected[i]}`);
  }
}
