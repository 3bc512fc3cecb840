/**
 * Heap snapshot data shared by probe, protocol, store, collector, CLI and UI.
 * Times are epoch milliseconds; sizes are bytes.
 */

/** Why a snapshot was taken. */
export type SnapshotTrigger = 'manual' | 'schedule' | 'growth' | 'near-limit';

/**
 * Life cycle of one snapshot, as the collector records it:
 * capturing -> uploading -> analysing -> ready, or refused (headroom guard, before anything is
 * written) or failed (capture, upload, checksum or analysis error; `errorCode` says which).
 */
export type SnapshotStatus = 'capturing' | 'uploading' | 'analysing' | 'ready' | 'refused' | 'failed';

/** One type of the DevTools "Constructor" grouping in one snapshot. */
export interface SnapshotTypeRow {
  /** DevTools' Constructor grouping, e.g. `Session`, `Function` (closures), `(string)`, `(array)`, `(compiled code)`, `(system)`; see docs/snapshot-analysis.md. */
  type: string;
  count: number;
  selfSize: number;
  /**
   * Retained size of the type: the sum of the retained sizes of its objects that are not
   * dominated by another object of the same type (so nested objects are not counted twice).
   */
  retainedSize: number;
}

/**
 * One type's objects matched by V8 object id between two snapshots of one process, as DevTools'
 * Comparison view counts them: new = alive in b, not in a; deleted = in a, gone in b.
 */
export interface NodeIdDiff {
  newCount: number;
  deletedCount: number;
  /** Self size of the new objects (DevTools' "Alloc. Size"). */
  newSize: number;
  /** Self size the deleted objects had in a (DevTools' "Freed Size"). */
  deletedSize: number;
}

/**
 * Per-type difference `b - a` between two snapshots. The id-matched fields are null when they
 * cannot be known: a snapshot without a node index (analysed before leakwatch kept one, or its
 * index is gone), or two snapshots of different processes (ids mean nothing across processes).
 */
export interface TypeDiffRow {
  type: string;
  countA: number;
  countB: number;
  countDelta: number;
  selfSizeA: number;
  selfSizeB: number;
  selfSizeDelta: number;
  retainedSizeA: number;
  retainedSizeB: number;
  retainedSizeDelta: number;
  newCount: number | null;
  deletedCount: number | null;
  newSize: number | null;
  deletedSize: number | null;
}

/** Where an in-flight snapshot is (collector memory only; not stored). */
export interface SnapshotProgress {
  phase: 'capturing' | 'uploading' | 'analysing' | 'compressing';
  /** Bytes uploaded / bytes parsed, or steps done; `total` 0 when unknown. */
  done: number;
  total: number;
  /**
   * While analysing: the analysis step under way (`done`/`total` then count the whole analysis
   * in thousandths, load, dominators and aggregation weighted by their usual cost, so the bar
   * only moves forward).
   */
  step?: 'load' | 'dominators' | 'aggregate';
}

/** A snapshot as the API, CLI and UI see it. */
export interface SnapshotRecord {
  run: string;
  id: string;
  boot: string;
  trigger: SnapshotTrigger;
  status: SnapshotStatus;
  /** When the probe started the capture (or refused it). */
  takenAt: number;
  /** Refusal reason or failure message, human readable; '' otherwise. */
  reason: string;
  /** `LW_ERR_*` of a refusal or failure; '' otherwise. */
  errorCode: string;
  /** Heap used when the capture started, and the headroom guard's estimate of the extra memory needed. */
  heapUsed: number;
  estimatedBytes: number;
  /** Uncompressed snapshot file size and sha256 (hex) as the probe reported them. */
  fileSize: number;
  sha256: string;
  /** Stored (gzip) size; 0 until stored. */
  storedSize: number;
  nodeCount: number;
  edgeCount: number;
  /** Sum of all nodes' self sizes, and the root's retained size (everything reachable). */
  totalSize: number;
  reachableSize: number;
  /** App pause for the capture, upload time, analysis time. */
  captureMs: number;
  uploadMs: number;
  analysisMs: number;
  updatedAt: number;
  /** Present while the snapshot is in flight and the collector is tracking it. */
  progress?: SnapshotProgress;
}
