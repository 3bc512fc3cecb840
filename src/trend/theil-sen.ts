/**
 * Theil-Sen estimator: the median of the slopes between all pairs of points (Sen 1968). Robust to
 * up to ~29 % outliers, so one huge spike (a burst, a GC pause) does not tilt the line. O(n^2)
 * pairs: callers pass bucketed series of at most a few hundred points.
 */
export function theilSenSlope(t: readonly number[], v: readonly number[]): number {
  const n = t.length;
  if (n < 2) return 0;
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dt = t[j] - t[i];
      if (dt !== 0) slopes[k++] = (v[j] - v[i]) / dt;
    }
  }
  if (k === 0) return 0;
  const used = slopes.subarray(0, k).sort();
  return k % 2 === 1 ? used[(k - 1) / 2] : (used[k / 2 - 1] + used[k / 2]) / 2;
}
