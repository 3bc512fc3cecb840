import type { BootTrend } from '../api/http-contract';
import type { Store } from '../store/store-interface';
import { detectLeak } from '../trend/detect-leak';
import type { TrendOptions } from '../trend/trend-model';

/**
 * The verdict and heap-floor slope of each process (probe boot) of a run: the run's own trend
 * rules (detectLeak) on each boot's series alone, so a launcher's flat heap and a worker's
 * growing one are not blended. Kept in one small function so a per-process verdict of the
 * collector can replace its body without changing its callers.
 */
export async function bootTrends(store: Store, runId: string, options: Partial<TrendOptions>): Promise<BootTrend[]> {
  const series = await store.queryBootSeries(runId);
  return series.map(({ boot, input }) => {
    const result = detectLeak(input, options);
    const floor = result.signals.find((s) => s.signal === 'heap floor');
    return {
      boot,
      verdict: result.verdict,
      confidence: result.confidence,
      floorSlopeBytesPerHour: floor ? floor.slopeBytesPerHour : null,
      floorVerdict: floor ? floor.verdict : null,
      samples: input.samples.length,
      fromTs: input.samples[0]?.ts ?? 0,
      toTs: input.samples[input.samples.length - 1]?.ts ?? 0,
      reasons: result.reasons,
    };
  });
}
