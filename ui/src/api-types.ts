/**
 * The shapes the collector's HTTP API and live WebSocket send (docs/api.md). Type-only imports
 * from the server code, so the UI and the collector cannot drift apart silently.
 */
export type { GcEvent, RunSummary, Sample, SpaceSample } from '../../src/shared/types';
export type { GcResult, MetricName, SeriesResult, SpacesResult } from '../../src/store/types';

import type { GcEvent, RunSummary, Sample, SpaceSample } from '../../src/shared/types';

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

export type LiveMessage = LiveBatchMessage | LiveRunMessage;
