import { diffDependencies, identityChanges, runIdentity, type DependencyDiff, type RunIdentity } from '../shared/dependency-diff';
import type { BootLineage } from '../shared/lineage-data';
import type { RunSummary } from '../shared/run-data';
import type { SnapshotTypeRow } from '../shared/snapshot-data';
import type { Verdict } from '../trend/trend-model';
import type { ApiBody, ApiRoute, BootTrend } from './http-contract';

/** How many types of the latest snapshot, and suspects, a side shows. */
export const COMPARE_TOP = 5;

/** One run as `leakwatch compare` and the compare page show it. */
export interface ComparedRun {
  run: RunSummary;
  verdict: { verdict: Verdict; confidence: number; floorSlopeBytesPerHour: number | null; reasons: string[] };
  /** Per process (probe boot): its own verdict and heap-floor slope, with the app it ran. */
  processes: Array<BootTrend & { appName: string }>;
  /** The newest ready snapshot's largest types by retained size; null when the run has none. */
  topTypes: { snapshotId: string; boot: string; takenAt: number; types: SnapshotTypeRow[] } | null;
  /** The top suspects of each process that has them (largest LeakShare first). */
  suspects: Array<{ boot: string; kind: string; label: string; bytesPerHour: number; leakShareBytes: number }>;
  identity: RunIdentity;
  lineage: BootLineage[];
}

export interface RunComparison {
  a: ComparedRun;
  b: ComparedRun;
  /** App name/version, git commit, lock hash, Node/V8/probe versions that differ. */
  changes: ReturnType<typeof identityChanges>;
  dependencies: DependencyDiff;
}

/** A typed GET against the collector's API: the CLI's callCollector, or the page's fetch. */
export type ApiGet = <R extends ApiRoute>(path: string) => Promise<ApiBody<R>>;

/** Reads one run's side of a comparison from the API; `trendQuery` is the verdict's `maxSlope=…&…`. */
export async function fetchComparedRun(get: ApiGet, runId: string, trendQuery: string): Promise<ComparedRun> {
  const base = `api/runs/${encodeURIComponent(runId)}`;
  // The run first: an unknown id fails here, with the API's LW_ERR_NOT_FOUND.
  const { run } = await get<'GET /api/runs/:id'>(base);
  const [verdict, trends, lineage, suspects, snapshots] = await Promise.all([
    get<'GET /api/runs/:id/verdict'>(`${base}/verdict?${trendQuery}`),
    get<'GET /api/runs/:id/boot-trends'>(`${base}/boot-trends?${trendQuery}`),
    get<'GET /api/runs/:id/lineage'>(`${base}/lineage`),
    get<'GET /api/runs/:id/suspects'>(`${base}/suspects`),
    get<'GET /api/runs/:id/snapshots'>(`${base}/snapshots`),
  ]);
  const latest = [...snapshots.snapshots].reverse().find((s) => s.status === 'ready');
  const detail = latest ? await get<'GET /api/runs/:id/snapshots/:sid'>(`${base}/snapshots/${encodeURIComponent(latest.id)}`) : null;
  const appOf = new Map(lineage.boots.map((b) => [b.boot, b.appName]));
  const floor = verdict.signals.find((s) => s.signal === 'heap floor');
  return {
    run,
    verdict: { verdict: verdict.verdict, confidence: verdict.confidence, floorSlopeBytesPerHour: floor ? floor.slopeBytesPerHour : null, reasons: verdict.reasons },
    processes: trends.boots.map((t) => ({ ...t, appName: appOf.get(t.boot) ?? '' })),
    topTypes: latest && detail ? { snapshotId: latest.id, boot: latest.boot, takenAt: latest.takenAt, types: [...detail.types].sort((x, y) => y.retainedSize - x.retainedSize).slice(0, COMPARE_TOP) } : null,
    suspects: suspects.boots.flatMap((b) =>
      b.suspects.slice(0, COMPARE_TOP).map((s) => ({ boot: b.boot, kind: s.kind, label: s.label, bytesPerHour: s.bytesPerHour, leakShareBytes: s.leakShareBytes })),
    ),
    identity: runIdentity(lineage.boots),
    lineage: lineage.boots,
  };
}

/** Both runs side by side: `a` is the reference (the healthy run, or before the fix), `b` the one compared with it. */
export async function compareRuns(get: ApiGet, a: string, b: string, trendQuery: string): Promise<RunComparison> {
  const [left, right] = await Promise.all([fetchComparedRun(get, a, trendQuery), fetchComparedRun(get, b, trendQuery)]);
  return { a: left, b: right, changes: identityChanges(left.identity, right.identity), dependencies: diffDependencies(left.lineage, right.lineage) };
}
