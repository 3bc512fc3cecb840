import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSnapshotText } from '../src/snapshot/load-snapshot';
import { digestContainers } from '../src/snapshot/suspects/container-digest';
import { CONTAINER_KINDS, createContainerReader } from '../src/snapshot/suspects/container-kinds';
import { computeLeakShares } from '../src/snapshot/suspects/leak-share';
import { createPathText } from '../src/snapshot/suspects/path-text';
import { sampleNewMembers, suspectPaths } from '../src/snapshot/suspects/retainer-paths';
import { createRetainerTree } from '../src/snapshot/suspects/retainer-tree';
import { hasCode } from './helpers/error-code';
import { buildLabelledGraph, type EdgeSpec, type NodeSpec } from './helpers/labelled-graph';
import { ENTRIES, serviceHeap } from './helpers/suspect-graph';
import { NODE_FIELDS, serializeV8Layout } from './helpers/tiny-snapshot';

/**
 * Each container rule, LeakShare and the retainer path rules on small graphs in V8's format,
 * worked out by hand (helpers/suspect-graph.ts draws the service heap they share).
 */

function pathsOf(heap: ReturnType<typeof serviceHeap>, label: string) {
  const { graph, ordinal } = heap;
  const reader = createContainerReader(graph);
  const node = ordinal.get(label)!;
  return suspectPaths(graph, createRetainerTree(graph), createPathText(graph, reader), node, sampleNewMembers(graph, reader, node, 0));
}

test('the digest finds each kind of container and counts its entries', () => {
  const { graph, ordinal } = serviceHeap();
  const digest = digestContainers(graph, { takenAt: 1234, minEntries: 16 });
  const found = new Map<number, [string, number, number]>();
  for (let i = 0; i < digest.count; i++) found.set(digest.ids[i], [CONTAINER_KINDS[digest.kinds[i]], digest.entries[i], digest.bytes[i]]);
  const idOf = (label: string) => graph.nodeId[ordinal.get(label)!];
  // A Map entry is a key and a value slot; the Map's bytes include its table's.
  assert.deepEqual(found.get(idOf('map')), ['map', ENTRIES, 32 + 1000]);
  assert.deepEqual(found.get(idOf('dict')), ['object', ENTRIES, 24 + 500]);
  assert.deepEqual(found.get(idOf('listeners')), ['listeners', ENTRIES, 32]);
  assert.deepEqual(found.get(idOf('list')), ['timers', ENTRIES, 136]);
  // The global object has 3 properties, the context 2 variables: below minEntries, left out.
  assert.equal(found.has(idOf('global')), false);
  assert.equal(found.has(idOf('ctx')), false);
  assert.deepEqual([...digest.ids], [...digest.ids].sort((a, b) => a - b), 'sorted by node id');
  assert.equal(digest.takenAt, 1234);
  assert.equal(digest.maxNodeId, Math.max(...[...graph.nodeId].filter((_, n) => graph.nodeTypeNames[graph.nodeType[n]] !== 'synthetic')));
});

test('Map entries whose keys or values are small integers have one slot edge each', () => {
  // Slots 3 and 4 hold an object key and its value; 7 (a value whose key is a Smi) and 9 (a key whose value is a Smi) stand alone.
  const { snapshot, ordinal } = buildLabelledGraph(
    [['m', 'object', 'Map', 32], ['t', 'array', '', 100], ['a', 'object', 'K', 8], ['b', 'object', 'V', 8], ['c', 'object', 'V', 8], ['d', 'object', 'K', 8]],
    [['root', 'm', 'element', 1], ['m', 't', 'internal', 'table'], ['t', 'a', 'internal', '3'], ['t', 'b', 'internal', '4'], ['t', 'c', 'internal', '7'], ['t', 'd', 'internal', '9']],
  );
  const graph = loadSnapshotText(snapshot.toJson());
  const reader = createContainerReader(graph);
  const m = ordinal.get('m')!;
  assert.equal(reader.entriesOf(m, reader.kindOf(m)), 3);
  const values: number[] = [];
  reader.membersOf(m, reader.kindOf(m), (member) => values.push(member));
  assert.deepEqual(values, ['b', 'c', 'd'].map((l) => ordinal.get(l)!), 'values, and the lone slots');
});

test('retainer paths read from the module and the global object, collapsed and grouped', () => {
  const heap = serviceHeap();
  const map = pathsOf(heap, 'map');
  assert.equal(map.container, 'server.js (module) › responseCache (Map)');
  assert.deepEqual(map.members.map((g) => [g.path, g.count]), [['server.js (module) › responseCache (Map) › [*] › CachedResponse', ENTRIES]]);
  const dict = pathsOf(heap, 'dict');
  assert.deepEqual(dict.members.map((g) => [g.path, g.count]), [['server.js (module) › sessions (Object) › [*] › Session', ENTRIES]], 'dictionary keys collapse');
  const listeners = pathsOf(heap, 'listeners');
  assert.equal(listeners.container, 'global › bus (EventEmitter) › _events (Object) › tick (Array)');
  // Closures carry the location V8 recorded, 1-based.
  assert.deepEqual(listeners.members.map((g) => [g.path, g.count]), [['global › bus (EventEmitter) › _events (Object) › tick (Array) › [*] › onTick() server.js:41:20', ENTRIES]]);
  assert.equal(createPathText(heap.graph, createContainerReader(heap.graph)).label(heap.ordinal.get('handler')!), 'handler() server.js:12:5');
});

test('weak and hidden edges, and V8-internal nodes, are not retainer paths', () => {
  // A weak edge and a hidden edge from the global object straight to a cached value, and a path
  // through a code node: all shorter than the path through the Map, none of them retains.
  const heap = serviceHeap(
    [['feedback', 'code', 'system / FeedbackCell', 24]],
    [['global', 'value3', 'weak', 'cached'], ['global', 'value4', 'hidden', 7], ['global', 'feedback', 'property', 'cell'], ['feedback', 'value5', 'property', 'slot']],
  );
  const map = pathsOf(heap, 'map');
  assert.deepEqual(map.members.map((g) => [g.path, g.count]), [['server.js (module) › responseCache (Map) › [*] › CachedResponse', ENTRIES]]);
});

test('names stay on the global object and on fast-mode objects, however many properties they have', () => {
  const extraNodes: NodeSpec[] = [['config', 'object', 'Config', 200], ['global-dict', 'array', '(object properties)', 100]];
  const extraEdges: EdgeSpec[] = [['global', 'config', 'property', 'config'], ['global', 'global-dict', 'internal', 'properties']];
  for (let i = 0; i < 20; i++) {
    extraNodes.push([`g${i}`, 'object', 'G', 8], [`c${i}`, 'object', 'Setting', 8]);
    extraEdges.push(['global', `g${i}`, 'property', `g${i}`], ['config', `c${i}`, 'property', `c${i}`]);
  }
  const heap = serviceHeap(extraNodes, extraEdges);
  const { graph, ordinal } = heap;
  const reader = createContainerReader(graph);
  assert.equal(reader.isDictionary(ordinal.get('global')!), true);
  assert.equal(reader.isDictionary(ordinal.get('config')!), false);
  const text = createPathText(graph, reader);
  const tree = createRetainerTree(graph);
  const c7 = ordinal.get('c7')!;
  assert.equal(text.render(ordinal.get('global')!, tree.pathTo(c7)!), 'global › config (Config) › c7 (Setting)');
});

test('a closure scope that is not a module is named after a closure made in it', () => {
  const heap = serviceHeap(
    [['inner', 'object', 'system / Context', 40], ['track', 'closure', 'track', 56], ['seen', 'object', 'Array', 32], ['item', 'object', 'Request', 16]],
    [['global', 'track', 'property', 'track'], ['track', 'inner', 'internal', 'context'], ['track', 'sfi', 'internal', 'shared'], ['inner', 'ctx', 'internal', 'previous'], ['inner', 'seen', 'context', 'seenRequests'], ['seen', 'item', 'element', 0]],
  );
  const seen = pathsOf(heap, 'seen');
  assert.equal(seen.container, 'track() server.js (scope) › seenRequests (Array)');
  assert.deepEqual(seen.members.map((g) => g.path), ['track() server.js (scope) › seenRequests (Array) › [*] › Request']);
});

test("a timer list's Timeouts are its members: one path shape from either end of the chain", () => {
  // Node's timer lists are doubly linked (lib/internal/linkedlist.js): `_idlePrev` leads from the
  // list to its last Timeout, so the walk reaches half of them backwards.
  const back: EdgeSpec[] = [['list', `timeout${ENTRIES - 1}`, 'property', '_idlePrev']];
  for (let i = 1; i < ENTRIES; i++) back.push([`timeout${i}`, `timeout${i - 1}`, 'property', '_idlePrev']);
  const list = pathsOf(serviceHeap([], back), 'list');
  assert.equal(list.container, 'global › timers (TimersList)');
  assert.deepEqual(list.members.map((g) => [g.path, g.count]), [['global › timers (TimersList) › [*] › Timeout', ENTRIES]]);
});

test("a module's variable names a container before a function scope that captured it, whatever the node order", () => {
  // lru-cache's TTL closures capture `this`: the cache is one hop from their scope and one from
  // the module, and V8 may write that scope first.
  const nodes: NodeSpec[] = [
    ['gcroots', 'synthetic', '(GC roots)', 0],
    ['fnctx', 'object', 'system / Context', 40],
    ['modctx', 'object', 'system / Context', 72],
    ['main', 'closure', 'main', 64],
    ['purge', 'closure', 'purge', 64],
    ['sfi', 'code', 'main', 56],
    ['script', 'code', '/srv/app/server.js', 144],
    ['cache', 'object', 'LRUCache', 80],
    ['values', 'object', 'Array', 32],
  ];
  const edges: EdgeSpec[] = [
    ['root', 'gcroots', 'element', 1],
    ['gcroots', 'main', 'element', 1],
    ['main', 'modctx', 'internal', 'context'],
    ['main', 'sfi', 'internal', 'shared'],
    ['purge', 'fnctx', 'internal', 'context'],
    ['purge', 'sfi', 'internal', 'shared'],
    ['sfi', 'script', 'internal', 'script_or_debug_info'],
    ['fnctx', 'modctx', 'internal', 'previous'],
    ['fnctx', 'cache', 'context', 'this'],
    ['modctx', 'cache', 'context', 'idempotencyCache'],
    ['cache', 'purge', 'property', 'purge'],
    ['cache', 'values', 'property', '#valList'],
  ];
  for (let i = 0; i < ENTRIES; i++) nodes.push([`reply${i}`, 'object', 'IdempotentReply', 48]);
  for (let i = 0; i < ENTRIES; i++) edges.push(['values', `reply${i}`, 'element', i]);
  const { snapshot, ordinal } = buildLabelledGraph(nodes, edges);
  const graph = loadSnapshotText(snapshot.toJson());
  const reader = createContainerReader(graph);
  const values = ordinal.get('values')!;
  const paths = suspectPaths(graph, createRetainerTree(graph), createPathText(graph, reader), values, sampleNewMembers(graph, reader, values, 0));
  assert.equal(paths.container, 'server.js (module) › idempotencyCache (LRUCache) › #valList (Array)');
  assert.deepEqual(paths.members.map((g) => [g.path, g.count]), [['server.js (module) › idempotencyCache (LRUCache) › #valList (Array) › [*] › IdempotentReply', ENTRIES]]);
});

test('LeakShare: memory only the suspects hold, shared memory split between them', () => {
  const { snapshot, ordinal } = buildLabelledGraph(
    [['holder', 'object', 'Holder', 10], ['a', 'object', 'Array', 100], ['b', 'object', 'Array', 200], ['onlyA', 'object', 'X', 1000], ['onlyB', 'object', 'X', 2000], ['shared', 'object', 'S', 600], ['sharedTail', 'object', 'S', 60], ['alsoRooted', 'object', 'R', 5000], ['weakly', 'object', 'W', 7000]],
    [
      ['root', 'holder', 'shortcut', 'global'], ['holder', 'a', 'property', 'a'], ['holder', 'b', 'property', 'b'],
      ['a', 'onlyA', 'element', 0], ['b', 'onlyB', 'element', 0], ['a', 'shared', 'element', 1], ['b', 'shared', 'element', 1], ['shared', 'sharedTail', 'property', 'next'],
      // Reachable from the roots without a suspect: not the suspects' doing.
      ['a', 'alsoRooted', 'element', 2], ['holder', 'alsoRooted', 'property', 'r'],
      // Held weakly by the roots: a weak edge does not keep it, so it counts for a.
      ['a', 'weakly', 'element', 3], ['holder', 'weakly', 'weak', 'w'],
    ],
  );
  const graph = loadSnapshotText(snapshot.toJson());
  const a = ordinal.get('a')!;
  const b = ordinal.get('b')!;
  const sinceId = graph.nodeId[ordinal.get('shared')!] - 1; // shared, sharedTail and later are new
  const shares = computeLeakShares(graph, [a, b], sinceId);
  assert.deepEqual([...shares.leakShare], [100 + 1000 + 330 + 7000, 200 + 2000 + 330]);
  assert.deepEqual([...shares.objects], [5, 4]);
  assert.deepEqual([...shares.newShare], [330 + 7000, 330]);
  // With b the only suspect, the shared objects are reachable through a: only b's own remain.
  assert.deepEqual([...computeLeakShares(graph, [b], sinceId).leakShare], [200 + 2000]);
});

test('the loader keeps closure locations only when asked, and checks them', () => {
  const { snapshot, ordinal } = buildLabelledGraph([['f', 'closure', 'f', 32]], [['root', 'f', 'element', 1]]);
  const object = snapshot.toObject();
  object.locations = [ordinal.get('f')! * NODE_FIELDS.length, 5, 9, 2];
  const text = serializeV8Layout(object);
  assert.deepEqual([...loadSnapshotText(text, { keepLocations: true }).locations!], [ordinal.get('f')!, 5, 9, 2]);
  assert.equal(loadSnapshotText(text).locations, undefined);
  object.locations = [3, 5, 9, 2];
  assert.throws(() => loadSnapshotText(serializeV8Layout(object), { keepLocations: true }), hasCode('LW_ERR_SNAPSHOT_INDEX'));
  object.locations = [0, 5, 9];
  assert.throws(() => loadSnapshotText(serializeV8Layout(object), { keepLocations: true }), hasCode('LW_ERR_SNAPSHOT_COUNTS'));
});
