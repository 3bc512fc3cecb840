import { essentialEdges } from './essential-edges';
import type { HeapGraph, SearchableGraph } from './heap-graph';
import { attributeOwnedSizes } from './owned-sizes';

export interface Dominators {
  /** Immediate dominator of each node ordinal; the root (0) is its own. */
  idom: Uint32Array;
  /** Self size plus the retained sizes of the nodes it immediately dominates. */
  retainedSize: Float64Array;
  /** Nodes in the order the dominator search numbered them (index 0 is the root). */
  order: Uint32Array;
  /** Self sizes of the nodes reachable from the root through retaining edges. */
  reachableSize: number;
  /** Nodes reachable from the root through retaining edges. */
  reachableCount: number;
  /** Work arrays the search is done with (each nodeCount + 1 entries), for the next step to reuse. */
  spare: Uint32Array[];
}

export interface DominatorOptions {
  /**
   * Apply DevTools' shallow-size attribution first (owned-sizes.ts; mutates graph.selfSize).
   * Default true, so retained sizes match what DevTools shows.
   */
  attributeOwnedSizes?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** How the search gets its work arrays: fresh, or reused from a graph it takes over (graph-handover.ts). */
export interface SearchOptions {
  /**
   * Take over the graph's arrays the analysis is done with instead of allocating (the edges,
   * node ids and types; see below), and empty those fields of the graph.
   */
  releaseEdges: boolean;
  /** Accumulate retained sizes in graph.selfSize's own array, which then holds retained sizes. */
  retainedInPlace: boolean;
  /** A finished work array of at least nodeCount + 1 entries to reuse (owned-sizes.ts' owners). */
  spare: Uint32Array | null;
  onProgress?: (done: number, total: number) => void;
}

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_U8 = new Uint8Array(0);
const EMPTY_BUFFER = new ArrayBuffer(0);

/**
 * Dominator tree and retained sizes with Chrome DevTools' semantics: Lengauer & Tarjan, "A fast
 * algorithm for finding dominators in a flowgraph" (TOPLAS 1979), the "simple" version with path
 * compression, iterative throughout (a chain of a million objects must not overflow the stack).
 * Root handling follows DevTools' HeapSnapshot.calculateDominatorsAndRetainedSizes:
 * - the search starts at the synthetic root (node 0) and follows retaining edges only
 *   (see essential-edges.ts);
 * - nodes not reached that have no retaining edge at all (only weak retainers) are searched from
 *   next, as if the root pointed at them; whatever is still unreached (cycles held only by each
 *   other) is attached to the root one by one. So every node gets a dominator, and the root's
 *   retained size is the whole heap.
 * Vertices are numbered 1..n (0 means "none"), vertex v is node ordinal v-1. The loops live in
 * top-level functions taking their arrays as arguments, which V8 optimizes into register loops.
 */
export function computeDominators(graph: HeapGraph, options: DominatorOptions = {}): Dominators {
  const owners = options.attributeOwnedSizes !== false ? attributeOwnedSizes(graph) : null;
  return searchDominators(graph, { releaseEdges: false, retainedInPlace: false, spare: owners, onProgress: options.onProgress });
}

/** computeDominators without the attribution step, on fresh or taken-over work arrays. */
export function searchDominators(graph: SearchableGraph, options: SearchOptions): Dominators {
  const nodeCount = graph.nodeCount;
  const report = options.onProgress ?? (() => {});
  const release = options.releaseEdges;
  const ownedWork = options.spare;
  // Retainer counts per target are taken in the same pass that classifies the edges.
  const predFirst = ownedWork && ownedWork.length >= nodeCount + 1 ? ownedWork.fill(0) : new Uint32Array(nodeCount + 1);
  const { bits: essential, spare: pageWork, retainingEdges: predTotal } = essentialEdges(graph, predFirst);
  const firstEdge = graph.firstEdge;
  const edgeTarget = graph.edgeTarget;
  // With releaseEdges, arrays the analysis is done with are reused in place instead of waiting for
  // the garbage collector to free them: the edge names host the retainer lists, node ids the
  // search's edge cursors, and edge targets and first-edge indexes the Lengauer-Tarjan arrays.
  const spareNames = release ? graph.edgeName : EMPTY_U32;
  const spareIds = release ? graph.nodeId : EMPTY_U32;
  // The loader puts node and edge types in one buffer (nodeCount + edgeCount bytes); with about
  // three edges per node it holds one more search array.
  const typeBuffer = release ? graph.typeBuffer : null;
  if (release) {
    graph.edgeName = EMPTY_U32;
    graph.edgeType = EMPTY_U8;
    graph.nodeType = EMPTY_U8;
    graph.nodeId = EMPTY_U32;
    graph.typeBuffer = EMPTY_BUFFER;
  }
  const predList = spareNames.length >= predTotal ? spareNames.subarray(0, predTotal) : new Uint32Array(predTotal);
  fillRetainers(nodeCount, firstEdge, edgeTarget, essential, predFirst, predList);
  report(1, 4);

  const size = nodeCount + 1;
  // parent[] doubles as dom[]: a vertex's parent is read only while that vertex is processed, and
  // its dom entry is written only after that (when its semidominator's child is processed).
  const parent = pageWork.fill(0);
  const vertex = new Uint32Array(size);
  const semi = typeBuffer && typeBuffer.byteLength >= 4 * size ? new Uint32Array(typeBuffer, 0, size).fill(0) : new Uint32Array(size);
  // Per node ordinal: the next edge the depth-first search will look at; reused below as the
  // path-compression stack once the search is over (at most n entries).
  const work = spareIds.length >= nodeCount ? spareIds : new Uint32Array(nodeCount);

  const r = 1;
  let n = depthFirst(r, 0, firstEdge, edgeTarget, essential, parent, semi, vertex, work);
  const reachableCount = n;
  let reachableSize = 0;
  for (let i = 1; i <= n; i++) reachableSize += graph.selfSize[vertex[i] - 1];
  if (n < nodeCount) {
    // Nodes retained only weakly (no retaining edge at all), searched from as if the root held them.
    for (let v = 1; v <= nodeCount; v++) {
      if (semi[v] === 0 && predFirst[v - 1] === predFirst[v]) {
        parent[v] = r;
        n = depthFirst(v, n, firstEdge, edgeTarget, essential, parent, semi, vertex, work);
      }
    }
  }
  if (n < nodeCount) {
    // Cycles retained only by each other: attach each to the root individually.
    for (let v = 1; v <= nodeCount; v++) {
      if (semi[v] === 0) {
        parent[v] = r;
        semi[v] = ++n;
        vertex[n] = v;
      }
    }
  }
  report(2, 4);

  let ancestor: Uint32Array;
  // Labels are set as each vertex is processed (before it can be linked), so they need no
  // memory during the search and take the first-edge array's place after it.
  let label: Uint32Array;
  // Buckets as singly linked lists: every vertex sits in exactly one bucket, once.
  let bucketHead: Uint32Array;
  let bucketNext: Uint32Array;
  if (release) {
    graph.firstEdge = EMPTY_U32;
    graph.edgeTarget = EMPTY_U32;
  }
  if (release && edgeTarget.length >= 3 * size) {
    ancestor = edgeTarget.subarray(0, size).fill(0);
    bucketHead = edgeTarget.subarray(size, 2 * size).fill(0);
    bucketNext = edgeTarget.subarray(2 * size, 3 * size);
    label = firstEdge;
  } else {
    ancestor = new Uint32Array(size);
    bucketHead = new Uint32Array(size);
    bucketNext = new Uint32Array(size);
    label = new Uint32Array(size);
  }
  const dom = parent;
  semidominators(n, r, vertex, parent, semi, label, ancestor, predFirst, predList, bucketHead, bucketNext, dom, work);
  report(3, 4);

  // Shift to node ordinals in place: idom[o] = dom[o + 1] - 1 (reads stay ahead of writes).
  for (let o = 0; o < nodeCount; o++) dom[o] = dom[o + 1] - 1;
  const idom = dom.subarray(0, nodeCount);
  // Preorder as node ordinals, reusing `vertex`.
  for (let i = 1; i <= n; i++) vertex[i - 1] = vertex[i] - 1;
  const order = vertex.subarray(0, nodeCount);

  // A dominator always precedes what it dominates in the search order, so one backward pass
  // accumulates retained sizes bottom-up.
  let retainedSize: Float64Array;
  if (options.retainedInPlace) {
    retainedSize = graph.selfSize;
  } else {
    retainedSize = new Float64Array(nodeCount);
    retainedSize.set(graph.selfSize);
  }
  accumulateRetained(order, idom, retainedSize);
  report(4, 4);
  return { idom, retainedSize, order, reachableSize, reachableCount, spare: [predFirst, label, semi] };
}

/**
 * Fills the retainer lists grouped by target (counting sort). On entry predFirst[c] holds the
 * number of retaining edges into c; on return node c's retainers are
 * predList[predFirst[c] .. predFirst[c+1]-1].
 */
function fillRetainers(nodeCount: number, firstEdge: Uint32Array, edgeTarget: Uint32Array, essential: Uint32Array, predFirst: Uint32Array, predList: Uint32Array): void {
  let sum = 0;
  for (let c = 0; c < nodeCount; c++) {
    sum += predFirst[c];
    predFirst[c] = sum;
  }
  predFirst[nodeCount] = sum;
  for (let u = 0; u < nodeCount; u++) {
    const end = firstEdge[u + 1];
    for (let e = firstEdge[u]; e < end; e++) {
      if ((essential[e >>> 5] & (1 << (e & 31))) !== 0) predList[--predFirst[edgeTarget[e]]] = u;
    }
  }
}

/** Iterative depth-first search from vertex `root` over retaining edges, numbering in preorder. */
function depthFirst(
  root: number,
  n: number,
  firstEdge: Uint32Array,
  edgeTarget: Uint32Array,
  essential: Uint32Array,
  parent: Uint32Array,
  semi: Uint32Array,
  vertex: Uint32Array,
  work: Uint32Array,
): number {
  work[root - 1] = firstEdge[root - 1];
  let v = root;
  while (v !== 0) {
    if (semi[v] === 0) {
      semi[v] = ++n;
      vertex[n] = v;
    }
    const vo = v - 1;
    const end = firstEdge[v];
    let next = parent[v];
    let e = work[vo];
    for (; e < end; e++) {
      if ((essential[e >>> 5] & (1 << (e & 31))) === 0) continue;
      const w = edgeTarget[e] + 1;
      if (semi[w] === 0) {
        parent[w] = v;
        work[w - 1] = firstEdge[w - 1];
        next = w;
        e++;
        break;
      }
    }
    work[vo] = e;
    v = next;
  }
  return n;
}

/** The main loop of Lengauer-Tarjan: semidominators, buckets, then immediate dominators. */
function semidominators(
  n: number,
  r: number,
  vertex: Uint32Array,
  parent: Uint32Array,
  semi: Uint32Array,
  label: Uint32Array,
  ancestor: Uint32Array,
  predFirst: Uint32Array,
  predList: Uint32Array,
  bucketHead: Uint32Array,
  bucketNext: Uint32Array,
  dom: Uint32Array,
  stack: Uint32Array,
): void {
  for (let i = n; i >= 2; i--) {
    const w = vertex[i];
    const wo = w - 1;
    label[w] = w;
    const from = predFirst[wo];
    const to = predFirst[wo + 1];
    let sw = semi[w];
    if (from === to) {
      // No retainer: treated as retained by the root alone.
      sw = semi[r];
    } else {
      for (let p = from; p < to; p++) {
        const u = evaluate(predList[p] + 1, ancestor, label, semi, stack);
        if (semi[u] < sw) sw = semi[u];
      }
    }
    semi[w] = sw;
    const s = vertex[sw];
    bucketNext[w] = bucketHead[s];
    bucketHead[s] = w;
    const pw = parent[w];
    ancestor[w] = pw;
    for (let v = bucketHead[pw]; v !== 0; v = bucketNext[v]) {
      const u = evaluate(v, ancestor, label, semi, stack);
      dom[v] = semi[u] < semi[v] ? u : pw;
    }
    bucketHead[pw] = 0;
  }
  // Like DevTools, dom[0] = r too: a vertex attached to the root that no bucket step resolved
  // (a cycle held only by itself) keeps dom 0 until here and so falls under the root.
  dom[0] = r;
  dom[r] = r;
  for (let i = 2; i <= n; i++) {
    const w = vertex[i];
    if (dom[w] !== vertex[semi[w]]) dom[w] = dom[dom[w]];
  }
}

/** EVAL with path compression, iteratively (the paper's COMPRESS is recursive). */
function evaluate(v: number, ancestor: Uint32Array, label: Uint32Array, semi: Uint32Array, stack: Uint32Array): number {
  if (ancestor[v] === 0) return v;
  let top = 0;
  let x = v;
  while (ancestor[ancestor[x]] !== 0) {
    stack[top++] = x;
    x = ancestor[x];
  }
  while (top > 0) {
    const w = stack[--top];
    const a = ancestor[w];
    if (semi[label[a]] < semi[label[w]]) label[w] = label[a];
    ancestor[w] = ancestor[a];
  }
  return label[v];
}

function accumulateRetained(order: Uint32Array, idom: Uint32Array, retained: Float64Array): void {
  for (let i = order.length - 1; i >= 1; i--) {
    const o = order[i];
    retained[idom[o]] += retained[o];
  }
}

