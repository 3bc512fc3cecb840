import type { SnapshotBeginMessage, SnapshotStatusMessage } from '../../protocol/snapshot-messages';
import type { SnapshotProgress, SnapshotStatus } from '../../shared/snapshot-data';
import type { StoredSnapshot } from '../../store/store-interface';

/*
 * How a snapshot's record changes. The probe's status messages (ingest connection) and the upload
 * (its own connection) race: a `capturing` status may arrive after the upload began. So a status
 * only moves forward (capturing -> uploading -> analysing -> a final state), a final state is
 * kept, and each function returns undefined when the event changes nothing.
 */

/**
 * An analysis reports its progress in thousandths of one forward-moving bar (the pipeline maps
 * the engine's steps onto it).
 */
export const ANALYSIS_PERMILLE = 1000;
/**
 * Progress of a snapshot entering `analysing`, before its analysis reports anything. The upload
 * (which verifies the file) and the pipeline (which analyses it, also after a restart) both
 * start the status here.
 */
export const ANALYSIS_STARTS: SnapshotProgress = { phase: 'analysing', done: 0, total: ANALYSIS_PERMILLE, step: 'load' };

const RANK: Record<SnapshotStatus, number> = { capturing: 0, uploading: 1, analysing: 2, ready: 3, refused: 3, failed: 3 };

export function isFinal(status: SnapshotStatus): boolean {
  return RANK[status] === 3;
}

/** Statuses in which the probe still holds the file (capture or upload under way). */
export function isWithProbe(status: SnapshotStatus): boolean {
  return status === 'capturing' || status === 'uploading';
}

/** A snapshot row with nothing known yet but its key: the start of every transition below. */
export function blankSnapshot(run: string, id: string, boot: string, takenAt: number): StoredSnapshot {
  return {
    run,
    id,
    boot,
    trigger: 'manual',
    status: 'capturing',
    takenAt,
    reason: '',
    errorCode: '',
    heapUsed: 0,
    estimatedBytes: 0,
    fileSize: 0,
    sha256: '',
    storedSize: 0,
    nodeCount: 0,
    edgeCount: 0,
    totalSize: 0,
    reachableSize: 0,
    captureMs: 0,
    uploadMs: 0,
    analysisMs: 0,
    updatedAt: 0,
  };
}

/** A `snapshot-status` from the probe. */
export function applyProbeStatus(prev: StoredSnapshot | undefined, msg: SnapshotStatusMessage): StoredSnapshot | undefined {
  const base = prev ?? { ...blankSnapshot(msg.run, msg.snapshotId, msg.boot, msg.at), trigger: msg.trigger, heapUsed: msg.heapUsed, estimatedBytes: msg.estimatedBytes };
  if (msg.state === 'capturing' || msg.state === 'busy') {
    if (!prev) return base;
    // A late `capturing` after the upload began only fills in what the upload does not carry.
    if (prev.estimatedBytes === 0 && msg.estimatedBytes > 0) return { ...prev, estimatedBytes: msg.estimatedBytes };
    return undefined;
  }
  if (msg.state === 'refused') {
    if (prev && prev.status !== 'capturing') return undefined;
    return { ...base, status: 'refused', reason: msg.reason || 'refused by the probe', errorCode: msg.errorCode || 'LW_ERR_SNAPSHOT_REFUSED' };
  }
  // failed: the probe gave up capturing or uploading. Once the collector holds a verified copy
  // (analysing, ready) or recorded its own, more precise failure, that stands.
  if (prev && !isWithProbe(prev.status)) return undefined;
  return { ...base, status: 'failed', reason: msg.reason || 'the probe failed to take the snapshot', errorCode: msg.errorCode || 'LW_ERR_SNAPSHOT_CAPTURE' };
}

/**
 * The first frame of an upload. A snapshot whose earlier upload failed on the way (cut, bad
 * checksum) may be uploaded again; one the collector already verified is left as it is (the
 * upload is then received, checked and dropped).
 */
export function applyUploadBegin(prev: StoredSnapshot | undefined, begin: SnapshotBeginMessage): StoredSnapshot | undefined {
  if (prev && (prev.status === 'analysing' || prev.status === 'ready')) return undefined;
  const base = prev ?? blankSnapshot(begin.run, begin.snapshotId, begin.boot, begin.takenAt);
  return {
    ...base,
    boot: begin.boot,
    trigger: begin.trigger,
    status: 'uploading',
    reason: '',
    errorCode: '',
    heapUsed: base.heapUsed || begin.heapUsed,
    fileSize: begin.size,
    captureMs: begin.captureMs,
  };
}

/** The collector's own failure (upload, checksum, storage, analysis). */
export function applyFailure(prev: StoredSnapshot | undefined, key: { run: string; id: string; boot?: string; takenAt?: number }, errorCode: string, reason: string): StoredSnapshot | undefined {
  if (prev && isFinal(prev.status)) return undefined;
  const base = prev ?? blankSnapshot(key.run, key.id, key.boot ?? '', key.takenAt ?? Date.now());
  return { ...base, status: 'failed', errorCode, reason };
}

/**
 * A capture that will never be uploaded: its run ended, or its process went silent past any
 * write (orphan-captures.ts). Left alone when anything else happened to it meanwhile.
 */
export function applyCaptureLost(prev: StoredSnapshot | undefined, reason: string): StoredSnapshot | undefined {
  return prev?.status === 'capturing' ? { ...prev, status: 'failed', errorCode: 'LW_ERR_SNAPSHOT_CAPTURE', reason } : undefined;
}

/** Size and checksum checked out and the file is on the collector's disk. */
export function applyVerified(prev: StoredSnapshot | undefined, begin: SnapshotBeginMessage, sha256: string, uploadMs: number): StoredSnapshot | undefined {
  if (prev && (prev.status === 'analysing' || prev.status === 'ready')) return undefined;
  const base = prev ?? applyUploadBegin(undefined, begin)!;
  return { ...base, status: 'analysing', reason: '', errorCode: '', fileSize: begin.size, sha256, uploadMs };
}

/** A verified file found at start (left by a previous collector process) is analysed again. */
export function applyRecovered(prev: StoredSnapshot | undefined, key: { run: string; id: string; fileSize: number; takenAt: number }): StoredSnapshot | undefined {
  if (prev && (prev.status === 'analysing' || isFinal(prev.status))) return undefined;
  const base = prev ?? blankSnapshot(key.run, key.id, '', key.takenAt);
  return { ...base, status: 'analysing', reason: '', errorCode: '', fileSize: base.fileSize || key.fileSize };
}

export interface AnalysisTotals {
  nodeCount: number;
  edgeCount: number;
  totalSize: number;
  reachableSize: number;
}

/** Analysis stored and file compressed. */
export function applyReady(prev: StoredSnapshot | undefined, key: { run: string; id: string; takenAt: number }, totals: AnalysisTotals, storedSize: number, analysisMs: number): StoredSnapshot | undefined {
  if (prev && isFinal(prev.status)) return undefined;
  const base = prev ?? blankSnapshot(key.run, key.id, '', key.takenAt);
  return {
    ...base,
    status: 'ready',
    reason: '',
    errorCode: '',
    nodeCount: totals.nodeCount,
    edgeCount: totals.edgeCount,
    totalSize: totals.totalSize,
    reachableSize: totals.reachableSize,
    storedSize,
    analysisMs,
  };
}
