import { typeIndexes, type HeapGraph } from '../heap-graph';
import { createNameMatcher } from './edge-names';

/**
 * Shortest retainer paths, as Chrome DevTools' Retainers view orders them (HeapSnapshot.ts,
 * calculateDistances: a breadth-first search from the user roots first, the GC roots only for
 * what the user roots do not reach; weak edges never retain). The user roots of a Node process
 * are its global object (the synthetic root's `shortcut` edge, V8HeapExplorer::SetUserGlobalReference)
 * and its closure contexts: a module's top-level `const cache = new Map()` lives in the module
 * function's context, so the path reads from the module, not from the GC internals that happen
 * to hold the module function. Like the Retainers view's filter (isEssentialEdge and the
 * distance filter), the walk leaves out what only V8's machinery links: `hidden` edges, and
 * edges into hidden, code and object shape nodes (maps, code, SharedFunctionInfos, scope infos).
 *
 * One forward walk gives every node its first-found parent edge in a Uint32Array (4 bytes per
 * node); a path is read back by following parents. A node the walk never reached has none.
 */
export interface RetainerTree {
  /** The edges from a root to `node`, first edge first; [] for a root, null if unreachable. */
  pathTo(node: number): number[] | null;
  /** The node an edge leaves (binary search over firstEdge). */
  sourceOf(edge: number): number;
  /** True for the user roots the walk started from (global objects, contexts). */
  isUserRoot(node: number): boolean;
}

const NONE = 0xffff_ffff;
const MAX_PATH = 10_000;

export function createRetainerTree(graph: HeapGraph): RetainerTree {
  const { nodeCount, nodeType, nodeName, firstEdge, edgeType, edgeName, edgeTarget, strings } = graph;
  const t = typeIndexes(graph);
  const shape = graph.nodeTypeNames.indexOf('object shape');
  const names = createNameMatcher(strings, ['system / Context', 'previous']);
  const parent = new Uint32Array(nodeCount).fill(NONE);
  const reached = new Uint8Array(nodeCount); // 1 reached, 2 user root
  const queue = new Uint32Array(nodeCount);
  let tail = 0;
  const enqueueRoot = (node: number) => {
    if (reached[node]) return;
    reached[node] = 2;
    queue[tail++] = node;
  };
  const isContext = (node: number) => (nodeType[node] === t.object || nodeType[node] === t.hidden) && names.is(nodeName[node], 0);
  /** A script's top scope: its `previous` is not another function's context (the native context, or none). */
  const isModuleScope = (context: number) => {
    for (let e = firstEdge[context]; e < firstEdge[context + 1]; e++) if (edgeType[e] === t.internalEdge && names.is(edgeName[e], 1)) return !isContext(edgeTarget[e]);
    return true;
  };
  // All roots are at distance 0, and a breadth-first walk settles ties in the order its roots
  // were queued: the global object first, then the modules' scopes, then the functions' scopes.
  // A library's closure that captured `this` (lru-cache's TTL timers) would otherwise name a
  // cache `f() lib.js (scope) › this (LRUCache)` instead of the module variable that holds it,
  // whenever V8 happened to write that scope before the module's.
  for (let e = firstEdge[0]; e < firstEdge[1]; e++) if (edgeType[e] === t.shortcutEdge) enqueueRoot(edgeTarget[e]);
  for (let node = 1; node < nodeCount; node++) if (isContext(node) && isModuleScope(node)) enqueueRoot(node);
  for (let node = 1; node < nodeCount; node++) if (isContext(node)) enqueueRoot(node);
  const walk = (head: number): void => {
    for (; head < tail; head++) {
      const node = queue[head];
      for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) {
        const type = edgeType[e];
        if (type === t.weakEdge || type === t.hiddenEdge || type === t.shortcutEdge) continue;
        const child = edgeTarget[e];
        if (reached[child]) continue;
        const childType = nodeType[child];
        if (childType === t.hidden || childType === t.code || childType === shape) continue;
        reached[child] = 1;
        parent[child] = e;
        queue[tail++] = child;
      }
    }
  };
  walk(0);
  // Then the GC roots, for objects only V8's internals or the stack hold.
  const second = tail;
  reached[0] = 1;
  queue[tail++] = 0;
  walk(second);

  function sourceOf(edge: number): number {
    let lo = 0;
    let hi = nodeCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (firstEdge[mid] <= edge) lo = mid;
      else hi = mid - 1;
    }
    // The last node whose first edge is at or before `edge` owns it (firstEdge never decreases).
    return lo;
  }

  function pathTo(node: number): number[] | null {
    if (!reached[node]) return null;
    const edges: number[] = [];
    let at = node;
    while (parent[at] !== NONE && edges.length < MAX_PATH) {
      edges.push(parent[at]);
      at = sourceOf(parent[at]);
    }
    return edges.reverse();
  }

  return { pathTo, sourceOf, isUserRoot: (node) => reached[node] === 2 };
}
