import type { StringTable } from './string-table';

/**
 * A heap snapshot held as flat typed arrays (compressed sparse rows), one entry per node or edge,
 * never one JS object per node (the Chrome DevTools heap snapshot worker does the same; memlab's
 * regret is the object-per-node model). Node `i` is the i-th node of the file ("ordinal"); node 0
 * is V8's synthetic root. The edges of node i are `firstEdge[i] .. firstEdge[i+1]-1`.
 */
export interface HeapGraph {
  nodeCount: number;
  edgeCount: number;
  /**
   * nodeType and edgeType are two views of this one buffer (nodeCount + edgeCount bytes): once the
   * dominator search has classified the edges, both are dead and it reuses the space (dominators.ts).
   */
  typeBuffer: ArrayBuffer;
  /** meta.node_types[0] and meta.edge_types[0]: names of the type enums below. */
  nodeTypeNames: readonly string[];
  edgeTypeNames: readonly string[];
  nodeType: Uint8Array;
  /** String index of the node's name. */
  nodeName: Uint32Array;
  /** V8's stable object id (stable within one process across snapshots). */
  nodeId: Uint32Array;
  selfSize: Float64Array;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  /** Edge name: a string index for named edge types, an element index for `element`/`hidden`. */
  edgeName: Uint32Array;
  /** Target node ordinal (the file stores the index into the nodes array; we divide it out). */
  edgeTarget: Uint32Array;
  strings: StringTable;
  /** Bytes of input consumed. */
  byteLength: number;
  /**
   * Closure source locations when the loader was asked to keep them (locations-reader.ts):
   * (node ordinal, script id, line, column) quadruples in ordinal order, 0-based line and column.
   */
  locations?: Uint32Array;
}

/**
 * What the dominator search reads of a graph. Node names serve only to recognise a browser's
 * "(Document DOM trees)" root (essential-edges.ts); a graph whose name array has been handed over
 * to class ids (graph-handover.ts) has none, and its kept strings would not hold that name anyway.
 */
export type SearchableGraph = Omit<HeapGraph, 'nodeName'> & { nodeName?: Uint32Array };

/** The per-node and per-edge arrays of a graph, as the loader fills them. */
export type GraphArrays = Pick<HeapGraph, 'typeBuffer' | 'nodeType' | 'nodeName' | 'nodeId' | 'selfSize' | 'firstEdge' | 'edgeType' | 'edgeName' | 'edgeTarget'>;

/** Allocates the arrays for the header's counts (checked against the input size beforehand). */
export function allocateGraphArrays(nodeCount: number, edgeCount: number): GraphArrays {
  const typeBuffer = new ArrayBuffer(nodeCount + edgeCount);
  return {
    typeBuffer,
    nodeType: new Uint8Array(typeBuffer, 0, nodeCount),
    nodeName: new Uint32Array(nodeCount),
    nodeId: new Uint32Array(nodeCount),
    selfSize: new Float64Array(nodeCount),
    firstEdge: new Uint32Array(nodeCount + 1),
    edgeType: new Uint8Array(typeBuffer, nodeCount, edgeCount),
    edgeName: new Uint32Array(edgeCount),
    edgeTarget: new Uint32Array(edgeCount),
  };
}

/** Indexes of the node and edge types the analysis treats specially (-1 when absent). */
export interface TypeIndexes {
  hidden: number;
  object: number;
  native: number;
  synthetic: number;
  code: number;
  closure: number;
  regexp: number;
  weakEdge: number;
  shortcutEdge: number;
  internalEdge: number;
  elementEdge: number;
  hiddenEdge: number;
}

export function typeIndexes(graph: Pick<HeapGraph, 'nodeTypeNames' | 'edgeTypeNames'>): TypeIndexes {
  const n = (name: string) => graph.nodeTypeNames.indexOf(name);
  const e = (name: string) => graph.edgeTypeNames.indexOf(name);
  return {
    hidden: n('hidden'),
    object: n('object'),
    native: n('native'),
    synthetic: n('synthetic'),
    code: n('code'),
    closure: n('closure'),
    regexp: n('regexp'),
    weakEdge: e('weak'),
    shortcutEdge: e('shortcut'),
    internalEdge: e('internal'),
    elementEdge: e('element'),
    hiddenEdge: e('hidden'),
  };
}
