/**
 * Mann-Kendall trend test (Mann 1945; Kendall 1975): S = sum over pairs of sign(v_j - v_i), whose
 * variance under "no trend" is n(n-1)(2n+5)/18 minus the correction for tied values. With the
 * continuity correction, Z = (S - 1) / sd for S > 0. Returns the one-sided p-value for an
 * increasing trend (normal approximation; fine from about 10 points).
 */
export function mannKendall(v: readonly number[]): { s: number; z: number; pIncreasing: number } {
  const n = v.length;
  if (n < 3) return { s: 0, z: 0, pIncreasing: 1 };
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) s += Math.sign(v[j] - v[i]);
  }
  // Tie correction: groups of equal values.
  const counts = new Map<number, number>();
  for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
  let ties = 0;
  for (const c of counts.values()) if (c > 1) ties += c * (c - 1) * (2 * c + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  if (variance <= 0) return { s, z: 0, pIncreasing: 1 };
  const z = s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0;
  return { s, z, pIncreasing: 1 - normalCdf(z) };
}

/** Standard normal CDF via erf (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * How sure the series grows slower (`below`) or faster (`above`) than `rate` (bytes per hour, t in
 * hours): the one-sided Mann-Kendall test on v - rate * t. This is the test that Sen (1968) inverts
 * into a confidence interval for the Theil-Sen slope, so `below` is the highest confidence level
 * whose interval still lies under `rate`. Fewer than 3 points give 0.5 both ways (no evidence).
 */
export function slopeConfidence(t: readonly number[], v: readonly number[], rate: number): { below: number; above: number } {
  const { z } = mannKendall(v.map((value, i) => value - rate * t[i]));
  return { below: 1 - normalCdf(z), above: normalCdf(z) };
}
