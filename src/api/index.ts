/**
 * The one entry of the collector's API contract: the HTTP routes' bodies, the `/live` messages,
 * and the data types they are built from, so a client (the UI) imports this module alone.
 * Imports only `src/shared` and the types of `src/trend`.
 */
export * from './http-contract';
export * from './live-messages';
export type { ErrorCode } from '../shared/errors';
export type { GcResult, MetricName, SeriesResult, SpacesResult } from '../shared/series-results';
export type { SnapshotProgress, SnapshotRecord, SnapshotStatus, SnapshotTrigger, SnapshotTypeRow, TypeDiffRow } from '../shared/snapshot-data';
export type { SnapshotSuspects, SuspectPathGroup, SuspectSummary } from '../shared/suspect-data';
export type { AllocSite, SiteFrame, SourceLocation, SuspectWatch, WatchedCaller } from '../shared/alloc-data';
export type { GcEvent, RunGap, RunSummary, Sample, SpaceSample } from '../shared/run-data';
export type { ProcessRole, RunProcess } from '../shared/process-data';
export type { SeriesPoint, SignalName, SignalResult, TrendResult, Verdict } from '../trend/trend-model';
export * from './run-comparison';
export type { BootLineage } from '../shared/lineage-data';
export type { DependencyChange, DependencyDiff, RunIdentity } from '../shared/dependency-diff';
