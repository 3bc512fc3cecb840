import type { SnapshotTypeRow } from '../shared/snapshot-data';

/** What one analysis of a .heapsnapshot file yields (everything the collector stores). */
export interface SnapshotAnalysis {
  nodeCount: number;
  edgeCount: number;
  stringCount: number;
  /** Sum of all nodes' self sizes. */
  totalSize: number;
  /** Retained size of the synthetic root: everything reachable through retaining edges. */
  reachableSize: number;
  /** Every type (DevTools Constructor grouping), largest retained size first. */
  types: SnapshotTypeRow[];
  /** The node index (node-index.ts), when asked for with `nodeIndex: true`. */
  nodeIndex?: Uint8Array;
  timings: { loadMs: number; dominatorsMs: number; aggregateMs: number; totalMs: number };
}

/** Progress of an analysis: bytes of the file read, then the graph phases. */
export interface AnalysisProgress {
  phase: 'load' | 'dominators' | 'aggregate';
  done: number;
  total: number;
}

export interface AnalyzeOptions {
  /** Called at most a few times a second. */
  onProgress?: (progress: AnalysisProgress) => void;
  /** Also build the node index (node-index.ts): per type, the objects' ids and self sizes, for #new / #deleted. */
  nodeIndex?: boolean;
}
