import type { GcResult, SeriesResult } from '../store/store-interface';
import type { TrendInput } from '../trend/trend-model';

/** The most buckets the API and the store hand out; the detector windows them again. */
export const TREND_POINTS = 5000;
export const TREND_METRICS = ['heapUsed', 'heapTotal', 'external', 'rss'] as const;

/**
 * A run's downsampled series as the detector's input: per bucket the lowest heap used and
 * external memory (floors), and RSS beyond the heap from the bucket averages (both at once);
 * the GC buckets' lowest heap used after a major GC, or after a measured one (floor-meter.ts) where
 * the bucket has one.
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
