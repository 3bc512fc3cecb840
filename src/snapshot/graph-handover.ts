import { typeTotals, type TypeTotals } from './aggregate-types';
import { searchDominators, type Dominators } from './dominators';
import type { HeapGraph } from './heap-graph';

/**
 * How one analysis reuses the loader's arrays instead of allocating new ones, so its peak memory
 * stays near the size of the graph itself. Each step takes over the arrays it reuses: it returns
 * a view whose field names say what the memory holds now, and empties the moved fields of the
 * view it was given, so a stale reader finds empty arrays, never numbers that mean something else
 * now. The order of the steps is in their types, each taking what the one before returns:
 *
 *   loadSnapshotFile         HeapGraph; nodeType and edgeType share typeBuffer
 *   attributeOwnedSizes      selfSize now holds self sizes attributed to owners (owned-sizes.ts);
 *                            returns its finished work array, `owners`
 *   takeNodeNamesAsClassIds  nodeName becomes totals.classOf: a ClassifiedGraph has no node names
 *   takeGraphForDominators   owners become the retainer starts, edgeName the retainer lists,
 *                            nodeId the search's edge cursors, typeBuffer the semidominators,
 *                            edgeTarget the ancestors and buckets, firstEdge the labels, and
 *                            selfSize the retained sizes: a RetainedGraph has no edges
 *   typeRows                 the search's finished arrays become the dominator tree's children
 */

/** The graph once its node names are class ids (after owned sizes: those read the names). */
export interface ClassifiedGraph extends Omit<HeapGraph, 'nodeName'> {
  /** Per-type count and self size; totals.classOf is the former nodeName array. */
  totals: TypeTotals;
}

/** What is left once the dominator search has taken the edges: sizes and types per node. */
export interface RetainedGraph {
  nodeCount: number;
  edgeCount: number;
  strings: HeapGraph['strings'];
  totals: TypeTotals;
  /** dominators.retainedSize is the former selfSize array. */
  dominators: Dominators;
}

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_F64 = new Float64Array(0);

/**
 * Classifies the nodes (aggregate-types.ts) into the node-name array, whose names are not needed
 * any more. The given graph hands all its arrays to the returned view and is left empty.
 */
export function takeNodeNamesAsClassIds(graph: HeapGraph): ClassifiedGraph {
  const totals = typeTotals(graph, graph.nodeName);
  const classified: ClassifiedGraph = {
    nodeCount: graph.nodeCount,
    edgeCount: graph.edgeCount,
    typeBuffer: graph.typeBuffer,
    nodeTypeNames: graph.nodeTypeNames,
    edgeTypeNames: graph.edgeTypeNames,
    nodeType: graph.nodeType,
    nodeId: graph.nodeId,
    selfSize: graph.selfSize,
    firstEdge: graph.firstEdge,
    edgeType: graph.edgeType,
    edgeName: graph.edgeName,
    edgeTarget: graph.edgeTarget,
    strings: graph.strings,
    byteLength: graph.byteLength,
    totals,
  };
  graph.typeBuffer = new ArrayBuffer(0);
  graph.nodeType = graph.edgeType = EMPTY_U8;
  graph.nodeName = graph.nodeId = graph.firstEdge = graph.edgeName = graph.edgeTarget = EMPTY_U32;
  graph.selfSize = EMPTY_F64;
  return classified;
}

/**
 * Dominators and retained sizes (dominators.ts) on the classified graph's own arrays; `owners` is
 * attributeOwnedSizes' work array (null when it did nothing).
 */
export function takeGraphForDominators(graph: ClassifiedGraph, owners: Uint32Array | null, onProgress?: (done: number, total: number) => void): RetainedGraph {
  const dominators = searchDominators(graph, { releaseEdges: true, retainedInPlace: true, spare: owners, onProgress });
  graph.selfSize = EMPTY_F64;
  return { nodeCount: graph.nodeCount, edgeCount: graph.edgeCount, strings: graph.strings, totals: graph.totals, dominators };
}
