import { typeIndexes, type HeapGraph } from './heap-graph';

const UNVISITED = 0xffff_ffff;
const SHARED = 0xffff_fffe;

/**
 * Moves the self size of internal storage to the object that owns it, as Chrome DevTools does
 * since 2023 (JSHeapSnapshot.calculateShallowSizes): `hidden` and `array` nodes (backing stores,
 * property arrays, descriptor arrays...) and external string data reached from exactly one
 * user-visible object through non-weak edges count as part of that object's self size, and their
 * own self size becomes 0. Storage reached from several objects stays where it is. So a Map's
 * hash table shows up in the Map's self size, not as an anonymous "(array)".
 *
 * Skipped, as in DevTools, when the snapshot has no user roots (a snapshot taken with V8's
 * internals exposed), and never added to the root or to synthetic nodes. Mutates
 * graph.selfSize in place. Returns its work array (nodeCount + 1 entries) for the caller to reuse,
 * or null when it did nothing.
 */
export function attributeOwnedSizes(graph: HeapGraph): Uint32Array | null {
  const { nodeCount, firstEdge, edgeType, edgeTarget, nodeType, nodeName, selfSize, strings } = graph;
  const t = typeIndexes(graph);
  if (!hasUserRoots(graph, t.synthetic)) return null;
  if (nodeCount >= SHARED) return null;
  let externalStringData = -1;
  for (const i of strings.keptIndices()) {
    if (strings.get(i) === 'system / ExternalStringData') externalStringData = i;
  }
  const owners = new Uint32Array(nodeCount + 1);
  const arrayType = graph.nodeTypeNames.indexOf('array');
  for (let i = 0; i < nodeCount; i++) {
    const type = nodeType[i];
    const ownable = type === t.hidden || type === arrayType || (type === t.native && nodeName[i] === externalStringData);
    owners[i] = ownable ? UNVISITED : i;
  }
  // Owners propagate from every self-owned node through non-weak edges into ownable nodes. Each
  // self-owned node is expanded in place and the work list is drained right after, so the list
  // only ever holds ownable nodes reached from the current one (each enters it at most twice:
  // unvisited -> one owner -> shared); the result does not depend on the order.
  let work = new Uint32Array(1024);
  let top = 0;
  const weak = t.weakEdge;
  for (let root = 0; root < nodeCount; root++) {
    if (owners[root] !== root) continue;
    let node = root;
    for (;;) {
      const owner = owners[node];
      const end = firstEdge[node + 1];
      for (let e = firstEdge[node]; e < end; e++) {
        if (edgeType[e] === weak) continue;
        const target = edgeTarget[e];
        const current = owners[target];
        let next: number;
        if (current === UNVISITED) next = owner;
        else if (current !== target && current !== owner && current !== SHARED) next = SHARED;
        else continue;
        owners[target] = next;
        if (top === work.length) {
          const grown = new Uint32Array(work.length * 2);
          grown.set(work);
          work = grown;
        }
        work[top++] = target;
      }
      if (top === 0) break;
      node = work[--top];
    }
  }
  for (let i = 0; i < nodeCount; i++) {
    const owner = owners[i];
    if (owner === UNVISITED || owner === SHARED || owner === i) continue;
    if (owner === 0 || nodeType[owner] === t.synthetic) continue;
    selfSize[owner] += selfSize[i];
    selfSize[i] = 0;
  }
  return owners;
}

/** DevTools' #hasUserRoots: the root points at some non-synthetic node (a global object). */
function hasUserRoots(graph: HeapGraph, synthetic: number): boolean {
  for (let e = graph.firstEdge[0]; e < graph.firstEdge[1]; e++) {
    if (graph.nodeType[graph.edgeTarget[e]] !== synthetic) return true;
  }
  return false;
}
