import type { VerdictBody } from '../api/http-contract';
import type { AllocSite, SuspectWatch } from '../shared/alloc-data';
import type { SnapshotSuspects } from '../shared/suspect-data';
import type { GcResult, SeriesResult, Store } from '../store/store-interface';
import { detectLeak } from '../trend/detect-leak';
import type { TrendInput, TrendOptions, TrendResult } from '../trend/trend-model';

/** The most buckets the API and the store hand out; the detector windows them again. */
export const TREND_POINTS = 5000;
export const TREND_METRICS = ['heapUsed', 'heapTotal', 'external', 'rss'] as const;

/**
 * A run's downsampled series as the detector's input: per bucket the lowest heap used and
 * external memory (floors), and RSS beyond the heap from the bucket averages (both at once);
 * the GC buckets' lowest heap used after a major GC.
 */
export function trendInputFrom(series: SeriesResult, gc: GcResult): TrendInput {
  const s = series.series;
  const samples: TrendInput['samples'][number][] = [];
  for (let i = 0; i < series.t.length; i++) {
    const heapUsed = s.heapUsed?.min[i];
    const heapTotal = s.heapTotal?.avg[i];
    const external = s.external?.min[i];
    const rss = s.rss?.avg[i];
    if (heapUsed === undefined || heapTotal === undefined || external === undefined || rss === undefined) continue;
    samples.push({ ts: series.t[i], heapUsed, heapTotal, external, rss });
  }
  const majorGcs: TrendInput['majorGcs'][number][] = [];
  for (let i = 0; i < gc.t.length; i++) {
    // A bucket with a measured point is that point (exact); else V8's own major GCs' lowest.
    const measured = gc.measuredFloor?.[i];
    const floor = gc.floor[i];
    if (measured !== null && measured !== undefined) majorGcs.push({ ts: gc.t[i], heapUsedAfter: measured, measured: true });
    else if (floor !== null && floor !== undefined) majorGcs.push({ ts: gc.t[i], heapUsedAfter: floor });
  }
  return { samples, majorGcs };
}

/** The leak verdict on a run as the store has it now (the API's /verdict and `leakwatch check`). */
export async function runVerdict(store: Store, runId: string, options: Partial<TrendOptions>): Promise<TrendResult> {
  const series = await store.querySeries(runId, TREND_METRICS, { points: TREND_POINTS });
  const gc = await store.queryGc(runId, { points: TREND_POINTS });
  return detectLeak(trendInputFrom(series, gc), options);
}

/** How many suspects (and surviving types) a `leak` verdict names. */
export const VERDICT_SUSPECTS = 3;

/**
 * The verdict as the API and `leakwatch check` give it: under `leak`, the top suspects of the
 * newest process that has any (`perBoot` newest first, as latestSuspectsPerBoot returns it),
 * that process's top surviving types, and the run's steepest growing allocation sites (`sites`,
 * as verdictSites in ./alloc reads them, at most 3).
 * The trend stays pure; the culprit is added beside its result.
 */
export function verdictWithSuspects(result: TrendResult, perBoot: readonly SnapshotSuspects[], sites: readonly AllocSite[] = [], watches: readonly SuspectWatch[] = []): VerdictBody {
  if (result.verdict !== 'leak') return { ...result, suspects: [], survivingTypes: [], sites: [], watches: [] };
  // The surviving types of the process whose suspects are named, else of the newest that has any.
  const named = perBoot.find((b) => b.suspects.length > 0) ?? perBoot.find((b) => b.survivingTypes.length > 0);
  return {
    ...result,
    suspects: (named?.suspects ?? []).slice(0, VERDICT_SUSPECTS),
    survivingTypes: (named?.survivingTypes ?? []).slice(0, VERDICT_SUSPECTS),
    sites: sites.slice(0, VERDICT_SUSPECTS),
    watches: watchesOf(named?.boot, watches),
  };
}

/** The newest finished watch per container of the named process (`watches` newest first, as the watch service lists them). */
export function watchesOf(boot: string | undefined, watches: readonly SuspectWatch[]): SuspectWatch[] {
  const seen = new Set<number>();
  return watches.filter((w) => {
    if (w.boot !== boot || w.state === 'watching' || seen.has(w.objectId)) return false;
    seen.add(w.objectId);
    return true;
  });
}
