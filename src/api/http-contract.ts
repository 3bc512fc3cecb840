/**
 * The collector's HTTP API contract (docs/api.md): every JSON route, keyed by method and path,
 * and the body it answers with. The collector's handlers can only send these bodies
 * (`sendJson<'GET /api/runs'>(…)`) and the UI reads them, so a renamed or missing field fails
 * the build on both sides instead of showing up as `undefined` in a page.
 * Types only: the UI bundle imports this file.
 */
import type { ErrorCode } from '../shared/errors';
import type { GcResult, SeriesResult, SpacesResult } from '../shared/series-results';
import type { SnapshotRecord, SnapshotTypeRow, TypeDiffRow } from '../shared/snapshot-data';
import type { RunGap, RunSummary } from '../shared/run-data';
import type { AllocSite, SuspectWatch } from '../shared/alloc-data';
import type { SnapshotSuspects, SurvivingType, SuspectSummary } from '../shared/suspect-data';
import type { TrendResult, Verdict } from '../trend/trend-model';
import type { BootLineage } from '../shared/lineage-data';
import type { RunProcess } from '../shared/process-data';

/** `GET /api/health`: the collector is up, and which store it writes to. */
export interface HealthBody {
  ok: true;
  service: 'leakwatch-collector';
  store: string;
}

/** `GET /api/runs`: newest first. */
export interface RunsBody {
  runs: RunSummary[];
}

/** `GET /api/runs/:id`. */
export interface RunBody {
  run: RunSummary;
}

/** `POST /api/runs/:id/end`: the run as stored after the end (null when it is gone meanwhile). */
export interface RunEndBody {
  run: RunSummary | null;
}

/**
 * `GET /api/runs/:id/gaps`: what the run's probes had to drop because their buffer was full while
 * the collector was away (oldest first; `[]` when nothing was lost). Every lost sample is counted
 * in exactly one gap.
 */
export interface GapsBody {
  gaps: RunGap[];
}

/** `GET /api/runs/:id/snapshots`: oldest first, in-flight ones with `progress`. */
export interface SnapshotsBody {
  snapshots: SnapshotRecord[];
}

/** `POST /api/runs/:id/snapshots`: 202 with the new one, 200 with the one already in flight. */
export interface SnapshotBody {
  snapshot: SnapshotRecord;
}

/** `GET /api/runs/:id/snapshots/:sid`: the record and its per-type rows (`[]` until ready). */
export interface SnapshotDetail {
  snapshot: SnapshotRecord;
  types: SnapshotTypeRow[];
}

/**
 * `GET /api/runs/:id/diff?a=&b=`: `b - a` per type, largest retained growth first, with #new /
 * #deleted by object id when both snapshots have a node index and come from one process.
 */
export interface SnapshotDiff {
  a: SnapshotRecord;
  b: SnapshotRecord;
  /** True when the rows' newCount, deletedCount, newSize and deletedSize are known (else all null). */
  matchedById: boolean;
  rows: TypeDiffRow[];
}

/**
 * `GET /api/runs/:id/suspects`: per process (boot) of the run, the growth suspects of its latest
 * ready snapshot that has them (docs/suspects.md), the newest process first; `[]` until one has.
 */
export interface SuspectsBody {
  boots: SnapshotSuspects[];
}

/**
 * `GET /api/runs/:id/verdict`: the trend's verdict, and when it is `leak` the top suspects
 * (largest LeakShare first, at most 3) of the newest process that has suspects, and its top 3
 * surviving types; both `[]` otherwise. The trend itself knows nothing of snapshots: the collector adds them.
 */
export type VerdictBody = TrendResult & {
  suspects: SuspectSummary[];
  survivingTypes: SurvivingType[];
  /** Under `leak`, the growing allocation sites (largest slope first, at most 3), source-mapped; `[]` otherwise. */
  sites: AllocSite[];
  /** Under `leak`, what watching the top suspects found (who adds to them); `[]` otherwise. */
  watches: SuspectWatch[];
  /**
   * The process the verdict is about: the worst of the run's non-launcher processes (its heap
   * alone was judged, and the suspects and sites are its own), or the one asked for with
   * `?boot=`. Null for a run stored before processes were (its series are judged together).
   */
  process?: ProcessRef | null;
};

/** A process as verdicts name it: its row, and "worker 2 (pid 1234, node server.js)". */
export type ProcessRef = RunProcess & { label: string };

/** One process of a run as `GET /api/runs/:id/processes` lists it. */
export interface ProcessEntry extends ProcessRef {
  sampleCount: number;
  latestHeapUsed: number | null;
  /** Its own verdict and heap floor slope; a launcher is not judged (verdict null). */
  verdict: Verdict | null;
  confidence: number;
  floorSlopeBytesPerHour: number | null;
}

/**
 * `GET /api/runs/:id/processes`: every process (probe boot: a process or a worker thread) of the
 * run, oldest start first; `worst` is the boot the run's verdict names (null without one).
 */
export interface ProcessesBody {
  processes: ProcessEntry[];
  worst: string | null;
}

/**
 * `GET /api/runs/:id/alloc-sites`: per process (boot) of the run, the allocation sites the
 * probe's sampling heap profiler reported, growing ones first (then by live bytes), at most
 * `limit` (default 20) per process, source-mapped. `growingOnly=1` leaves the others out.
 */
export interface AllocSitesBody {
  boots: Array<{ boot: string; profiles: number; intervalBytes: number; sites: AllocSite[] }>;
}

/** `GET /api/runs/:id/watches`: what watching suspect containers found, newest first. */
export interface WatchesBody {
  watches: SuspectWatch[];
}

/** `GET /api/runs/:id/lineage`: what each process of the run was running, oldest first; `[]` when no probe sent it. */
export interface LineageBody {
  boots: BootLineage[];
}

/** One process (probe boot) of a run judged alone: the run's trend rules on its own series. */
export interface BootTrend {
  boot: string;
  verdict: Verdict;
  confidence: number;
  /** The heap floor's Theil-Sen slope (bytes per hour); null when the window was too short to fit one. */
  floorSlopeBytesPerHour: number | null;
  floorVerdict: Verdict | null;
  /** Buckets of this process's series, and their time span. */
  samples: number;
  fromTs: number;
  toTs: number;
  reasons: string[];
}

/** `GET /api/runs/:id/boot-trends` (same `maxSlope`/`minDuration`/`warmup` as the verdict): per process, in boot order. */
export interface BootTrendsBody {
  boots: BootTrend[];
}

/** Every 4xx/5xx answer, with a stable code from the one error table. */
export interface ApiErrorBody {
  error: { code: ErrorCode; message: string };
}

/**
 * The JSON routes and their success bodies. `GET /api/runs/:id/snapshots/:sid/download` is not
 * here: it streams the raw `.heapsnapshot` file, not JSON.
 */
export interface ApiRoutes {
  'GET /api/health': HealthBody;
  'GET /api/runs': RunsBody;
  'GET /api/runs/:id': RunBody;
  'GET /api/runs/:id/series': SeriesResult;
  'GET /api/runs/:id/spaces': SpacesResult;
  'GET /api/runs/:id/gc': GcResult;
  'GET /api/runs/:id/gaps': GapsBody;
  'GET /api/runs/:id/verdict': VerdictBody;
  'GET /api/runs/:id/processes': ProcessesBody;
  'POST /api/runs/:id/end': RunEndBody;
  /** A probe token for this run alone (collector/run-tokens.ts): `leakwatch run --collector` hands it to its command. */
  'POST /api/runs/:id/run-token': { token: string };
  'GET /api/runs/:id/snapshots': SnapshotsBody;
  'POST /api/runs/:id/snapshots': SnapshotBody;
  'GET /api/runs/:id/snapshots/:sid': SnapshotDetail;
  'GET /api/runs/:id/diff': SnapshotDiff;
  'GET /api/runs/:id/suspects': SuspectsBody;
  'GET /api/runs/:id/alloc-sites': AllocSitesBody;
  'GET /api/runs/:id/watches': WatchesBody;
  'GET /api/runs/:id/lineage': LineageBody;
  'GET /api/runs/:id/boot-trends': BootTrendsBody;
}

export type ApiRoute = keyof ApiRoutes;

/** The body one route answers with, e.g. `ApiBody<'GET /api/runs'>`. */
export type ApiBody<R extends ApiRoute> = ApiRoutes[R];
