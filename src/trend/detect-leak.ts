import { heapFloor, windowLength, windowMinima } from './floor-series';
import { mannKendall } from './mann-kendall';
import { theilSenSlope } from './theil-sen';
import { DEFAULT_TREND_OPTIONS, type SeriesPoint, type SignalName, type SignalResult, type TrendInput, type TrendOptions, type TrendResult } from './types';

const HOUR_MS = 3_600_000;
/** Fewer windows than this cannot show a trend with any confidence. */
const MIN_POINTS = 10;
/** Growth in the last third below this share of the whole window's slope means it flattened. */
const SATURATION_SHARE = 0.2;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function mb(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${value >= 0 ? '+' : '-'}${Math.abs(value) >= 10 ? Math.abs(value).toFixed(0) : Math.abs(value).toFixed(1)} MB`;
}

function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/**
 * Judges one signal's floor series:
 * - leak: an increasing trend (Mann-Kendall, one-sided, p < alpha), a robust slope (Theil-Sen)
 *   above the threshold, growth that did not flatten in the last third (saturation: a cache
 *   filling to its cap), and an end level really above the start (a burst that drained is not a
 *   leak, however steep its rise);
 * - no-leak: enough points and none of that;
 * - inconclusive: too few points.
 */
export function judgeSignal(signal: SignalName, points: readonly SeriesPoint[], options: TrendOptions): SignalResult {
  const n = points.length;
  const base = { signal, slopeBytesPerHour: 0, p: 1, saturated: false, startLevel: n ? points[0].v : 0, endLevel: n ? points[n - 1].v : 0, points: n, line: null };
  if (n < MIN_POINTS) return { ...base, verdict: 'inconclusive', reason: `${signal}: too few points (${n}, need ${MIN_POINTS})` };
  const t = points.map((p) => p.t / HOUR_MS);
  const v = points.map((p) => p.v);
  const slope = theilSenSlope(t, v);
  const { pIncreasing: p } = mannKendall(v);
  const sixth = Math.max(2, Math.floor(n / 6));
  const startLevel = median(v.slice(0, sixth));
  const endLevel = median(v.slice(n - sixth));
  const third = Math.floor((2 * n) / 3);
  const lastSlope = theilSenSlope(t.slice(third), v.slice(third));
  const saturated = slope > 0 && lastSlope <= SATURATION_SHARE * slope;
  const hours = t[n - 1] - t[0];
  const minutes = Math.round(hours * 60);
  // Theil-Sen's intercept: the median of v - slope * t.
  const intercept = median(v.map((value, i) => value - slope * t[i]));
  const line = { fromTs: points[0].t, fromValue: intercept + slope * t[0], toTs: points[n - 1].t, toValue: intercept + slope * t[n - 1] };
  const result = { ...base, slopeBytesPerHour: slope, p, saturated, startLevel, endLevel, line };
  const rate = `${mb(slope)}/h over ${minutes} min`;
  if (p >= options.alpha) return { ...result, verdict: 'no-leak', reason: `${signal} ${rate}, no significant upward trend (${pText(p)})` };
  if (slope <= options.maxSlopeBytesPerHour) {
    return { ...result, verdict: 'no-leak', reason: `${signal} ${rate}, below the ${mb(options.maxSlopeBytesPerHour)}/h threshold (${pText(p)})` };
  }
  // The end must stand above the start by at least half of what the slope claims; otherwise what
  // rose came back down (checked before saturation, whose last-third test a drain also passes).
  if (endLevel - startLevel < 0.5 * slope * hours) {
    return { ...result, verdict: 'no-leak', reason: `${signal} rose and came back (${mb(endLevel - startLevel)} from start to end): a burst that drained` };
  }
  if (saturated) {
    return { ...result, verdict: 'no-leak', reason: `${signal} grew then flattened (last third ${mb(lastSlope)}/h): saturation, not a leak` };
  }
  return { ...result, verdict: 'leak', reason: `${signal} ${rate}, ${pText(p)}, no saturation` };
}

/**
 * When major GCs were too rare for the floor to come from them, the rolling minimum of heap used
 * also holds garbage promoted to the old generation and waiting for the next full GC; an app
 * whose short-lived sessions expire looks like a leak in it. So a leak on that floor must show
 * across full GCs: heap used after the last one in the window must stand above the first by at
 * least half of what the slope claims between them. With fewer than two full GCs there is no way
 * to tell garbage from growth, and the heap floor is inconclusive (other signals still count).
 */
export function confirmAcrossFullGcs(result: SignalResult, source: 'major GCs' | 'rolling minimum', input: TrendInput, fromTs: number, toTs: number): SignalResult {
  if (result.verdict !== 'leak' || source === 'major GCs') return result;
  const gcs = input.majorGcs.filter((g) => g.ts >= fromTs && g.ts <= toTs);
  if (gcs.length < 2) {
    return { ...result, verdict: 'inconclusive', reason: `${result.signal} rose, but ${gcs.length === 0 ? 'no' : 'only one'} full GC ran in the window to tell growth from garbage awaiting collection` };
  }
  const first = gcs[0];
  const last = gcs[gcs.length - 1];
  const claimed = (result.slopeBytesPerHour * (last.ts - first.ts)) / HOUR_MS;
  const across = last.heapUsedAfter - first.heapUsedAfter;
  if (across < 0.5 * claimed) {
    return { ...result, verdict: 'no-leak', reason: `${result.signal} rose between full GCs but not across them (${mb(across)} from the first to the last): garbage awaiting a full GC` };
  }
  return result;
}

/**
 * Is this process leaking? Judges the heap floor and two off-heap signals (external memory, and
 * RSS beyond the V8 heap) over the run after its warm-up; any leaking signal makes it a leak.
 */
export function detectLeak(input: TrendInput, options: Partial<TrendOptions> = {}): TrendResult {
  const opts = { ...DEFAULT_TREND_OPTIONS, ...options };
  const samples = input.samples;
  if (samples.length === 0) {
    return { verdict: 'inconclusive', confidence: 0, fromTs: 0, toTs: 0, signals: [], reasons: ['no samples'], heapFloor: [] };
  }
  const first = samples[0].ts;
  const toTs = samples[samples.length - 1].ts;
  const fromTs = first + Math.max(opts.warmupMs, 0.1 * (toTs - first));
  if (toTs - fromTs < opts.minDurationMs) {
    const minutes = Math.max(0, Math.round((toTs - fromTs) / 60_000));
    return {
      verdict: 'inconclusive',
      confidence: 0,
      fromTs,
      toTs,
      signals: [],
      reasons: [`too short: ${minutes} min after warm-up, need ${Math.round(opts.minDurationMs / 60_000)} min`],
      heapFloor: [],
    };
  }
  const windowMs = windowLength(input, fromTs, toTs);
  const floor = heapFloor(input, fromTs, toTs, windowMs);
  const external = windowMinima(samples.map((s) => ({ t: s.ts, v: s.external })), fromTs, toTs, windowMs);
  const native = windowMinima(samples.map((s) => ({ t: s.ts, v: Math.max(0, s.rss - s.heapTotal) })), fromTs, toTs, windowMs);
  const signals = [
    confirmAcrossFullGcs(judgeSignal('heap floor', floor.points, opts), floor.source, input, fromTs, toTs),
    judgeSignal('external memory', external, opts),
    judgeSignal('RSS beyond the heap', native, opts),
  ];
  const leaks = signals.filter((s) => s.verdict === 'leak');
  if (leaks.length > 0) {
    const p = Math.min(...leaks.map((s) => s.p));
    return { verdict: 'leak', confidence: 1 - p, fromTs, toTs, signals, reasons: leaks.map((s) => s.reason), heapFloor: floor.points };
  }
  if (signals[0].verdict === 'inconclusive') {
    return { verdict: 'inconclusive', confidence: 0, fromTs, toTs, signals, reasons: [signals[0].reason], heapFloor: floor.points };
  }
  return { verdict: 'no-leak', confidence: 1 - opts.alpha, fromTs, toTs, signals, reasons: signals.map((s) => s.reason), heapFloor: floor.points };
}
