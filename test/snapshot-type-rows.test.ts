import { after, test } from 'node:test';
import { checkGraphCase, everythingUnderRoot, type GraphCase } from './helpers/dominator-cases';
import type { EdgeSpec, NodeSpec } from './helpers/labelled-graph';
import { makeTempDir } from './helpers/temp-dir';

/**
 * The per-type rows (DevTools' Constructor view) of graphs worked out by hand, checked as in
 * helpers/dominator-cases.ts (HeapSnapshot.ts):
 * - calculateObjectNames / getNodeClassIndex: how nodes are grouped into types;
 * - calculateClassesRetainedSize: a class's retained size sums the retained sizes of its nodes
 *   that have no node of the same class above them in the dominator tree;
 * - buildAggregates: nodes with self size 0 are not listed.
 */
const tmp = makeTempDir('snapshot-type-rows');
after(() => tmp.remove());

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

for (const c of CASES) {
  test(`dominators: ${c.name}`, async () => {
    await checkGraphCase(c, tmp.dir);
  });
}
