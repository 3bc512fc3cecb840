/**
 * Small robust statistics for benchmarks. Medians rather than means: on a shared machine a round
 * occasionally loses a core to something else, and one such outlier should not move the result.
 */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Median absolute deviation relative to the median, in percent: the typical round-to-round
 * noise of a measurement. Differences between modes smaller than this are not meaningful.
 */
export function relativeMadPercent(values: readonly number[]): number {
  const m = median(values);
  return (median(values.map((v) => Math.abs(v - m))) / m) * 100;
}

/**
 * Distribution-free ~95 % confidence interval of the median: the order statistics k and n-k+1
 * with k = floor((n - 1.96 * sqrt(n)) / 2) (the sign-test interval). Needs about 6 values to be
 * narrower than the full range; with fewer it returns the range.
 */
export function medianConfidence(values: readonly number[]): { low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { low: Number.NaN, high: Number.NaN };
  const k = Math.max(1, Math.floor((n - 1.96 * Math.sqrt(n)) / 2));
  return { low: sorted[k - 1]!, high: sorted[n - k]! };
}

/** The q-quantile (0..1) by the nearest-rank method: p99 is a value that was actually observed. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}
