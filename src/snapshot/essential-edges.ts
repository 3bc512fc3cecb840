import { typeIndexes, type SearchableGraph } from './heap-graph';

/**
 * Which edges retain, with Chrome DevTools' rules (HeapSnapshot.ts, computeIsEssentialEdge and
 * JSHeapSnapshot.markPageOwnedNodes), so our retained sizes mean what users see in DevTools:
 *
 * 1. `weak` edges never retain.
 * 2. Self edges are ignored.
 * 3. `shortcut` edges retain only from the root: there V8 uses them to mark the user's global
 *    objects (V8HeapExplorer::SetUserGlobalReference); elsewhere they duplicate real paths.
 * 4. Edges from objects outside the user's world into it are ignored: everything reachable from
 *    the root's shortcut targets (the global objects; in a browser also "(Document DOM trees)")
 *    through non-weak edges is "page-owned", and an edge from a non-page-owned node (V8's
 *    internal roots: handle scopes, the debugger, builtins) to a page-owned one does not make
 *    that node dominate it. Without this, objects the inspector happens to hold would be
 *    attributed to "(GC roots)" subtrees instead of the user's own objects.
 * 5. WeakMap values: V8 writes two internal edges to a WeakMap value, one from the key and one
 *    from the table ("<i> / part of key (<k> @<id>) -> value (<v> @<id>) pair in WeakMap (table
 *    @<id>)"). The value is retained by key and table together; DevTools keeps the edge from the
 *    key and ignores the one from the table, which attributes the value to the key.
 *
 * Returns a bit set over edges (bit e set = edge e retains), the number of retaining edges, and a
 * spare array of nodeCount + 1 entries the caller may reuse. When `retainerCounts` is given,
 * retainerCounts[c] is incremented for every retaining edge into c (saves the caller a pass).
 */
export function essentialEdges(graph: SearchableGraph, retainerCounts?: Uint32Array): { bits: Uint32Array; spare: Uint32Array; retainingEdges: number } {
  const { nodeCount, edgeCount, firstEdge, edgeType, edgeTarget, edgeName, nodeId } = graph;
  const t = typeIndexes(graph);
  const { owned: pageOwned, stack: spare } = pageOwnedNodes(graph, t.weakEdge, t.shortcutEdge, t.elementEdge, t.synthetic);
  const tableOfEphemeron = ephemeronTables(graph);
  // Bit set over string indexes that are ephemeron edge names: a cheap test before the map lookup.
  let maxName = -1;
  for (const i of tableOfEphemeron.keys()) maxName = Math.max(maxName, i);
  const isEphemeronName = new Uint8Array(maxName < 0 ? 0 : (maxName >>> 3) + 1);
  for (const i of tableOfEphemeron.keys()) isEphemeronName[i >>> 3] |= 1 << (i & 7);
  const bits = new Uint32Array((edgeCount >>> 5) + 1);
  const retaining = classifyEdges(
    nodeCount, firstEdge, edgeType, edgeTarget, edgeName, nodeId, pageOwned, t.weakEdge, t.shortcutEdge, t.internalEdge,
    maxName, isEphemeronName, tableOfEphemeron, bits, retainerCounts ?? null,
  );
  return { bits, spare, retainingEdges: retaining };
}

/** The per-edge rules as one loop over locals (it runs over every edge of the heap). */
function classifyEdges(
  nodeCount: number,
  firstEdge: Uint32Array,
  edgeType: Uint8Array,
  edgeTarget: Uint32Array,
  edgeName: Uint32Array,
  nodeId: Uint32Array,
  pageOwned: Uint8Array,
  weak: number,
  shortcut: number,
  internal: number,
  maxName: number,
  isEphemeronName: Uint8Array,
  tableOfEphemeron: Map<number, number>,
  bits: Uint32Array,
  counts: Uint32Array | null,
): number {
  let retaining = 0;
  for (let node = 0; node < nodeCount; node++) {
    const fromPage = pageOwned[node];
    const end = firstEdge[node + 1];
    for (let e = firstEdge[node]; e < end; e++) {
      const type = edgeType[e];
      if (type === weak) continue;
      const child = edgeTarget[e];
      if (child === node) continue;
      if (node !== 0 && (type === shortcut || pageOwned[child] > fromPage)) continue;
      if (type === internal && maxName >= 0) {
        const name = edgeName[e];
        if (name <= maxName && (isEphemeronName[name >>> 3] & (1 << (name & 7))) !== 0 && tableOfEphemeron.get(name) === nodeId[node]) continue;
      }
      bits[e >>> 5] |= 1 << (e & 31);
      retaining++;
      if (counts !== null) counts[child]++;
    }
  }
  return retaining;
}

/** Marks nodes reachable from the root's user roots through non-weak edges (DevTools' pageObject flag). */
function pageOwnedNodes(graph: SearchableGraph, weakEdge: number, shortcutEdge: number, elementEdge: number, synthetic: number): { owned: Uint8Array; stack: Uint32Array } {
  const { nodeCount, firstEdge, edgeType, edgeTarget, nodeType, nodeName, strings } = graph;
  const owned = new Uint8Array(nodeCount);
  const stack = new Uint32Array(nodeCount + 1);
  let top = 0;
  for (let e = firstEdge[0]; e < firstEdge[1]; e++) {
    const child = edgeTarget[e];
    const type = edgeType[e];
    if (type === elementEdge) {
      // "(Document DOM trees)" is a browser-only synthetic root; its name is kept only if needed.
      if (nodeType[child] !== synthetic || !nodeName || strings.get(nodeName[child]) !== '(Document DOM trees)') continue;
    } else if (type !== shortcutEdge) {
      continue;
    }
    if (owned[child]) continue;
    owned[child] = 1;
    stack[top++] = child;
  }
  while (top > 0) {
    const node = stack[--top];
    const end = firstEdge[node + 1];
    for (let e = firstEdge[node]; e < end; e++) {
      const child = edgeTarget[e];
      if (owned[child] || edgeType[e] === weakEdge) continue;
      owned[child] = 1;
      stack[top++] = child;
    }
  }
  return { owned, stack };
}

/** String index of each WeakMap ephemeron edge name -> the table's node id named in it. */
function ephemeronTables(graph: SearchableGraph): Map<number, number> {
  const result = new Map<number, number>();
  const pattern = /^\d+ \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(\d+)\)$/;
  for (const i of graph.strings.keptIndices()) {
    const name = graph.strings.get(i);
    if (name.length === 0 || name.charCodeAt(0) < 0x30 || name.charCodeAt(0) > 0x39) continue;
    const match = pattern.exec(name);
    if (match) result.set(i, Number(match[1]));
  }
  return result;
}
