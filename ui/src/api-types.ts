/**
 * The shapes the collector's HTTP API and live WebSocket send (docs/api.md). Type-only imports
 * from the server code, so the UI and the collector cannot drift apart silently.
 */
export type { GcEvent, RunSummary, Sample, SpaceSample } from '../../src/shared/types';
export type { GcResult, MetricName, SeriesResult, SpacesResult } from '../../src/store/types';
export type { SnapshotProgress, SnapshotRecord, SnapshotStatus, SnapshotTrigger, SnapshotTypeRow, TypeDiffRow } from '../../src/shared/snapshot-types';
export type { SeriesPoint, SignalName, SignalResult, TrendResult, Verdict } from '../../src/trend/types';

import type { GcEvent, RunSummary, Sample, SpaceSample } from '../../src/shared/types';
import type { SnapshotRecord, SnapshotTypeRow, TypeDiffRow } from '../../src/shared/snapshot-types';

/** Rows of one run pushed by `/live` right after they were stored. */
export interface LiveBatchMessage {
  type: 'batch';
  runId: string;
  samples: Sample[];
  spaces: SpaceSample[];
  gcs: GcEvent[];
}

/** A run started, ended or changed status. */
export interface LiveRunMessage {
  type: 'run';
  run: RunSummary;
}

/** A snapshot of the run changed status or its progress moved. */
export interface LiveSnapshotMessage {
  type: 'snapshot';
  runId: string;
  snapshot: SnapshotRecord;
}

export type LiveMessage = LiveBatchMessage | LiveRunMessage | LiveSnapshotMessage;

/** `GET /api/runs/:id/snapshots/:sid`: the record and its per-type rows (`[]` until ready). */
export interface SnapshotDetail {
  snapshot: SnapshotRecord;
  types: SnapshotTypeRow[];
}

/** `GET /api/runs/:id/diff?a=&b=`: `b - a` per type, largest retained growth first. */
export interface SnapshotDiff {
  a: SnapshotRecord;
  b: SnapshotRecord;
  rows: TypeDiffRow[];
}
