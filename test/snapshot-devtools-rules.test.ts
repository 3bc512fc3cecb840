import { after, test } from 'node:test';
import { checkGraphCase, type GraphCase } from './helpers/dominator-cases';
import { makeTempDir } from './helpers/temp-dir';

/**
 * DevTools' rules for which edges retain and whose self size counts where (HeapSnapshot.ts),
 * each pinned down by a graph worked out by hand (checked as in helpers/dominator-cases.ts):
 * - computeIsEssentialEdge: an edge takes part in the dominator tree unless it is `weak`, a self
 *   edge, a `shortcut` from a node other than the root, an `internal` WeakMap edge from the
 *   ephemeron table (the value is kept by the key instead), or an edge from a node that is not
 *   page-owned to a page-owned one (page-owned = reachable without weak edges from a target of a
 *   root `shortcut` edge; markPageOwnedNodes). With no root shortcut nothing is page-owned and that
 *   last rule is moot.
 * - calculateDominatorsAndRetainedSizes: nodes whose retainers are all non-essential ("only weak
 *   retainers") are searched from as if the root held them, and whatever is still unvisited (e.g.
 *   a cycle held only weakly) is hung under the root one by one. So every node has a dominator and
 *   the root's retained size is the sum of all self sizes.
 * - JSHeapSnapshot.calculateShallowSizes: `array`/`hidden` nodes with a single owner count in the
 *   owner's self size (only when the root points at some non-synthetic node, as V8's snapshots do).
 */
const tmp = makeTempDir('snapshot-devtools-rules');
after(() => tmp.remove());

const CASES: GraphCase[] = [
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
];

for (const c of CASES) {
  test(`dominators: ${c.name}`, async () => {
    await checkGraphCase(c, tmp.dir);
  });
}
