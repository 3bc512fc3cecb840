/**
 * The `/live` WebSocket contract (docs/api.md), both directions: what a page sends to subscribe
 * and what the collector's live hub pushes right after rows are stored. The hub builds these
 * types and the UI's live socket reads them. Types and constants only: the UI bundle imports it.
 */
import type { SnapshotRecord } from '../shared/snapshot-data';
import type { GcEvent, RunSummary, Sample, SpaceSample } from '../shared/run-data';

/** Where the collector serves the live WebSocket. */
export const LIVE_PATH = '/live';

/** The pseudo run id the runs list subscribes to: every run's `run` pushes. */
export const ALL_RUNS = '*';

/** Page -> collector: start getting the pushes of one run (or of `ALL_RUNS`). */
export interface LiveSubscribe {
  type: 'subscribe';
  runId: string;
}

/** Page -> collector: stop getting them. */
export interface LiveUnsubscribe {
  type: 'unsubscribe';
  runId: string;
}

export type LiveRequest = LiveSubscribe | LiveUnsubscribe;

/** Rows of one run pushed by `/live` right after they were stored. */
export interface LiveBatchMessage {
  type: 'batch';
  runId: string;
  /** The process (probe boot) the batch came from: a page showing one process skips the others'. */
  boot?: string;
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

/** A process of the run sent an allocation profile (stored): its growing sites may have changed. */
export interface LiveAllocProfileMessage {
  type: 'alloc-profile';
  runId: string;
  boot: string;
  at: number;
}

/** Collector -> page. */
export type LiveMessage = LiveBatchMessage | LiveRunMessage | LiveSnapshotMessage | LiveAllocProfileMessage;
