import type { ChdbConnection } from 'chdb/connection';
import type { AllocFrame } from '../protocol/alloc-messages';
import type { HelloMessage } from '../protocol/messages';
import type { SnapshotTypeRow } from '../shared/snapshot-data';
import type { GcResult, MetricName, SeriesResult, SpacesResult } from '../shared/series-results';
import type { Gap, GcEvent, RunGap, RunSummary, Sample, SpaceSample } from '../shared/run-data';
import type { BootLineage } from '../shared/lineage-data';
import type { LineageRow } from './insert-lineage';
import type { BootSeries } from './query-boot-series';
import type { RunProcess } from '../shared/process-data';
import type { StoredSnapshot } from './snapshot-record';
import type { BootSampleStats } from './query-boot-samples';
import type { SnapshotKey } from './snapshot-type-rows';

export type { StoredSnapshot, SnapshotKey, LineageRow, BootSeries, BootSampleStats };
/** The series shapes live in shared: the API sends them as the store returns them. */
export type { GcResult, MetricName, SeriesResult, SpacesResult };

/** Where the data lives: the embedded engine in a directory, or a ClickHouse server over HTTP. */
export type StoreTarget =
  | {
      kind: 'embedded';
      dataDir: string;
      /** Wraps the engine's connection (fault-injection tests put a failing layer around the real engine). */
      wrapConnection?: (connection: ChdbConnection) => ChdbConnection;
    }
  | { kind: 'server'; url: string; username?: string; password?: string; database?: string };

export interface StoreOptions {
  target: StoreTarget;
  /** Rows older than this are dropped by ClickHouse TTL. */
  retentionDays: number;
}

/** Every stored row names its run, the probe boot it came from and that message's seq. */
export interface RowOrigin {
  run: string;
  boot: string;
  seq: number;
}
export type SampleRow = Sample & RowOrigin;
export type SpaceRow = SpaceSample & RowOrigin;
/** `idx` numbers the GC events of one message so two GCs in the same millisecond stay distinct. */
export type GcRow = GcEvent & RowOrigin & { idx: number };
/** What a probe dropped, as reported on the message at this origin. */
export type GapRow = Gap & RowOrigin;

/**
 * One site of one allocation profile (`alloc-profile` message). `siteId` '' with no frames is the
 * profile's remainder (what did not fit the message), standing for `siteCount` sites.
 */
export interface AllocSiteRow extends RowOrigin {
  at: number;
  startedAt: number;
  siteId: string;
  /** Allocating frame first; [] for the remainder. */
  frames: AllocFrame[];
  liveBytes: number;
  samples: number;
  siteCount: number;
  intervalBytes: number;
  stackDepth: number;
}

export interface RowBatch {
  samples: SampleRow[];
  spaces: SpaceRow[];
  gcs: GcRow[];
  /** Absent or [] when the batch has no allocation profile. */
  allocSites?: AllocSiteRow[];
  /** Absent or [] when the batch reports no loss. */
  gaps?: GapRow[];
  /** Absent or [] when the batch carries no `lineage` message. */
  lineage?: LineageRow[];
}

/** One site of one boot as stored: its stack and its level in each profile it was reported in (oldest first). */
export interface StoredAllocSite {
  siteId: string;
  frames: AllocFrame[];
  t: number[];
  liveBytes: number[];
  samples: number[];
}

/** The allocation profiles of one boot of a run: every profile's time and remainder, and every site reported. */
export interface StoredAllocBoot {
  boot: string;
  /** Profile times, oldest first, with what each profile's remainder held (sites, live bytes). */
  profiles: number[];
  /** Each profile's sampling epoch: when V8's sampler (re)started (the probe's alloc-sampler.ts). */
  epochs: number[];
  otherSites: number[];
  otherLiveBytes: number[];
  /** The profiler's sampling interval in the newest profile (bytes). */
  intervalBytes: number;
  sites: StoredAllocSite[];
}

export interface RangeQuery {
  /** Inclusive bounds in epoch ms; default: the run's first / last sample. */
  from?: number;
  to?: number;
  /** At most this many buckets come back (1..5000). */
  points: number;
  /** One process (probe boot) of the run only; default: every process's rows together. */
  boot?: string;
}

export interface Store {
  readonly description: string;
  /**
   * Creates or refreshes a run from a probe hello, and the hello's process row (idempotent: a
   * reconnecting probe says hello again).
   */
  upsertRun(hello: HelloMessage): Promise<void>;
  /** A probe's bye: the end of that process (boot) of the run. */
  endProcess(runId: string, boot: string, endedAt: number): Promise<void>;
  /** The processes (probe boots) of a run, oldest start first; [] for a run without any. */
  listProcesses(runId: string): Promise<RunProcess[]>;
  /** Per boot of a run: how many samples it stored and its latest heap used. */
  bootSamples(runId: string): Promise<Map<string, BootSampleStats>>;
  /** Marks a run ended; `exitCode` is the child's when `leakwatch run` knows it. */
  endRun(runId: string, endedAt: number, exitCode: number | null): Promise<void>;
  /** One insert per non-empty table; resolves when ClickHouse has the rows. */
  insertRows(batch: RowBatch): Promise<void>;
  /** One trivial query: resolves when the store answers (tells a down store from rows it refuses). */
  ping(): Promise<void>;
  listRuns(now?: number): Promise<RunSummary[]>;
  getRun(runId: string, now?: number): Promise<RunSummary | null>;
  /** Time of the newest sample of one probe boot of a run; null when it sent none. */
  lastSampleOfBoot(runId: string, boot: string): Promise<number | null>;
  querySeries(runId: string, metrics: readonly MetricName[], range: RangeQuery): Promise<SeriesResult>;
  querySpaces(runId: string, range: RangeQuery): Promise<SpacesResult>;
  queryGc(runId: string, range: RangeQuery): Promise<GcResult>;
  /** Writes a version of a snapshot row; `updatedAt` must exceed the previous version's. */
  writeSnapshot(record: StoredSnapshot): Promise<void>;
  getSnapshot(runId: string, snapshotId: string): Promise<StoredSnapshot | null>;
  /** A run's snapshots, oldest first. */
  listSnapshots(runId: string): Promise<StoredSnapshot[]>;
  /** Stores every type of one analysed snapshot. */
  insertSnapshotTypes(key: SnapshotKey, rows: readonly SnapshotTypeRow[], analysedAt: number): Promise<void>;
  /** All types of one snapshot, largest retained size first; [] when it has none. */
  getSnapshotTypes(runId: string, snapshotId: string): Promise<SnapshotTypeRow[]>;
  /** Every allocation profile of a run, per boot (oldest boot first); [] when it has none. */
  queryAllocSites(runId: string): Promise<StoredAllocBoot[]>;
  /** Every gap a run's probes reported, oldest first; [] when nothing was lost. */
  queryGaps(runId: string): Promise<RunGap[]>;
  /** What each process of a run was running (its `lineage` message), oldest first; [] when none sent one. */
  queryLineage(runId: string): Promise<BootLineage[]>;
  /** A run's trend input split by probe boot (one series per process), for per-process slopes. */
  queryBootSeries(runId: string): Promise<BootSeries[]>;
  close(): Promise<void>;
}
