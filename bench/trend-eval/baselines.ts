/**
 * The two baselines the trend evaluation compares the detector with, on the same recorded
 * series and the same analysed window (after the warm-up, at least the minimum duration):
 * - least squares: the ordinary least-squares slope of raw heap used, a leak above the threshold
 *   (no floor, no significance test, no saturation or drain rule);
 * - memwatch's rule: memwatch(-next) reports a leak once heap used after a full GC has grown
 *   over five consecutive full GCs.
 */
import type { TrendInput, TrendOptions, Verdict } from '../../src/trend/trend-model';

const HOUR_MS = 3_600_000;
/** memwatch(-next): consecutive full GCs with growth before it emits 'leak'. */
export const MEMWATCH_CONSECUTIVE_GROWTH = 5;

export interface BaselineVerdict {
  verdict: Verdict;
  /** Slope (least squares) or the longest run of growing full GCs (memwatch). */
  detail: string;
}

/** The detector's analysed window for the same input: from after the warm-up to the last sample. */
export function analysedWindow(input: TrendInput, options: Pick<TrendOptions, 'warmupMs' | 'minDurationMs'>): { fromTs: number; toTs: number; long: boolean } | null {
  const s = input.samples;
  if (s.length === 0) return null;
  const first = s[0].ts;
  const toTs = s[s.length - 1].ts;
  const fromTs = first + Math.max(options.warmupMs, 0.1 * (toTs - first));
  return { fromTs, toTs, long: toTs - fromTs >= options.minDurationMs };
}

/** OLS slope of y over x (x in hours, so bytes per hour); 0 with fewer than two distinct x. */
export function olsSlope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

export function leastSquaresVerdict(input: TrendInput, options: Pick<TrendOptions, 'warmupMs' | 'minDurationMs' | 'maxSlopeBytesPerHour'>): BaselineVerdict {
  const window = analysedWindow(input, options);
  if (!window || !window.long) return { verdict: 'inconclusive', detail: 'too short' };
  const points = input.samples.filter((s) => s.ts >= window.fromTs && s.ts <= window.toTs);
  const slope = olsSlope(
    points.map((p) => p.ts / HOUR_MS),
    points.map((p) => p.heapUsed),
  );
  return { verdict: slope > options.maxSlopeBytesPerHour ? 'leak' : 'no-leak', detail: `${(slope / (1024 * 1024)).toFixed(1)} MB/h` };
}

export function memwatchVerdict(input: TrendInput, options: Pick<TrendOptions, 'warmupMs' | 'minDurationMs'>): BaselineVerdict {
  const window = analysedWindow(input, options);
  if (!window || !window.long) return { verdict: 'inconclusive', detail: 'too short' };
  const after = input.majorGcs.filter((g) => g.ts >= window.fromTs && g.ts <= window.toTs).map((g) => g.heapUsedAfter);
  let run = 0;
  let longest = 0;
  for (let i = 1; i < after.length; i++) {
    run = after[i] > after[i - 1] ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  // memwatch emits its event once and does not take it back: the verdict stays a leak.
  const verdict = longest >= MEMWATCH_CONSECUTIVE_GROWTH ? 'leak' : 'no-leak';
  return { verdict, detail: `${after.length} full GCs, longest growth ${longest}` };
}
