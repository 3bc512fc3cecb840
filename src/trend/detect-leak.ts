import { MIN_MEASURED_POINTS, MIN_WINDOWS, heapFloor, windowLength, windowMinima } from './floor-series';
import { mannKendall, slopeConfidence } from './mann-kendall';
import { mb, pText, spanText } from './reason-text';
import { theilSenSlope } from './theil-sen';
import { DEFAULT_TREND_OPTIONS, type FloorSource, type SeriesPoint, type SignalName, type SignalResult, type TrendInput, type TrendOptions, type TrendResult } from './trend-model';

const HOUR_MS = 3_600_000;
/** Fewer windows than this cannot show a trend with any confidence. */
const MIN_POINTS = MIN_WINDOWS;
/** Growth in the last third below this share of the whole window's slope means it flattened. */
const SATURATION_SHARE = 0.2;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A rise too small to tell from the signal's own movement: at least `bytes` and `share` of its level. */
export interface Materiality {
  bytes: number;
  share: number;
}

/**
 * Off-heap levels move by themselves, in allocator-sized steps, with no leak behind them: external
 * memory with Node's 8 KB Buffer pool slabs, socket and zlib buffers (measured here: +0.1 to +0.3 MB
 * over four minutes in workloads that keep no Buffer); RSS beyond the heap with glibc's malloc
 * arenas, V8 pages committed but not yet touched, code space, and heap pages V8 gave back that
 * stay resident after a burst (rises of up to 14 MB over four minutes in workloads that keep
 * nothing native, `npm run eval:trend`). Such a drift can be as regular as a leak, so Mann-Kendall
 * alone calls it significant; an off-heap leak must also have grown beyond that movement: 1 MB or
 * 2 % for external memory, 32 MB (about twice the largest rise seen) or 10 % for RSS beyond the heap.
 * The heap floor needs no such margin: heap used after a full GC is exact.
 */
export const OFF_HEAP_MATERIALITY: Record<Exclude<SignalName, 'heap floor'>, Materiality> = {
  'external memory': { bytes: 1024 * 1024, share: 0.02 },
  'RSS beyond the heap': { bytes: 32 * 1024 * 1024, share: 0.1 },
};

/**
 * The measured heap floor is exact (heap used as V8 finished a full GC the probe asked for), and
 * that makes the runtime's own warm-up visible: lazily compiled code and its feedback, inline
 * caches, internalized strings. Measured on samples/healthy-churn-server.js with a point every
 * 3-5 s: +0.8 MB over its first 100 s, then flat within +-0.2 MB for minutes, with and without
 * allocation sampling. So a leak on measured points must also have risen by 1 MB or 2 % of the
 * level: a two-minute soak cannot tell less than that from warm-up, and a leak worth the name
 * passes it within minutes (the leaky samples rise by 5 MB a minute).
 */
export const MEASURED_FLOOR_MATERIALITY: Materiality = { bytes: 1024 * 1024, share: 0.02 };

/**
 * On measured points, "no significant upward trend" is not yet "no leak" when the floor did rise
 * steeply and materially: a leak seen over a minute or two has too few exact points for
 * Mann-Kendall (steady leaks at +80 to +200 MB/h measured p = 0.02 to 0.14 at their first
 * checkpoint in `npm run eval:trend`). Such a floor is inconclusive until the test can tell.
 */
export function tooEarlyToTell(result: SignalResult, options: TrendOptions): SignalResult {
  const rise = result.endLevel - result.startLevel;
  const material = rise >= Math.max(MEASURED_FLOOR_MATERIALITY.bytes, MEASURED_FLOOR_MATERIALITY.share * result.startLevel);
  if (result.verdict !== 'no-leak' || result.p < options.alpha || result.slopeBytesPerHour <= options.maxSlopeBytesPerHour || !material) return result;
  return { ...result, verdict: 'inconclusive', confidence: 0, reason: `${result.signal} rose ${mb(rise)} (${mb(result.slopeBytesPerHour)}/h), not yet a significant trend (${pText(result.p)}): too early to tell` };
}

/**
 * Judges one signal's floor series:
 * - leak: an increasing trend (Mann-Kendall, one-sided, p < alpha), a robust slope (Theil-Sen)
 *   above the threshold, growth that did not flatten in the last third (saturation: a cache
 *   filling to its cap), and an end level really above the start (a burst that drained is not a
 *   leak, however steep its rise), by at least `materiality` when given (off-heap signals);
 * - no-leak: enough points and none of that;
 * - inconclusive: too few points.
 */
export function judgeSignal(
  signal: SignalName,
  points: readonly SeriesPoint[],
  options: TrendOptions,
  materiality?: Materiality,
  label: string = signal,
  minPoints: number = MIN_POINTS,
): SignalResult {
  const n = points.length;
  const base = { signal, slopeBytesPerHour: 0, p: 1, confidence: 0, saturated: false, startLevel: n ? points[0].v : 0, endLevel: n ? points[n - 1].v : 0, points: n, line: null };
  if (n < minPoints) return { ...base, verdict: 'inconclusive', reason: `${label}: too few points (${n}, need ${minPoints})` };
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
  // Theil-Sen's intercept: the median of v - slope * t.
  const intercept = median(v.map((value, i) => value - slope * t[i]));
  const line = { fromTs: points[0].t, fromValue: intercept + slope * t[0], toTs: points[n - 1].t, toValue: intercept + slope * t[n - 1] };
  const result = { ...base, slopeBytesPerHour: slope, p, saturated, startLevel, endLevel, line };
  const rate = `${mb(slope)}/h over ${spanText(hours * HOUR_MS)}`;
  const threshold = options.maxSlopeBytesPerHour;
  const whole = slopeConfidence(t, v, threshold);
  // A verdict resting on the shape (drained, flattened) is as sure as the last third is flat.
  const tail = slopeConfidence(t.slice(third), v.slice(third), threshold);
  if (p >= options.alpha) return { ...result, confidence: whole.below, verdict: 'no-leak', reason: `${label} ${rate}, no significant upward trend (${pText(p)})` };
  if (slope <= options.maxSlopeBytesPerHour) {
    return { ...result, confidence: whole.below, verdict: 'no-leak', reason: `${label} ${rate}, below the ${mb(options.maxSlopeBytesPerHour)}/h threshold (${pText(p)})` };
  }
  const rise = endLevel - startLevel;
  const minRise = materiality ? Math.max(materiality.bytes, materiality.share * startLevel) : 0;
  if (rise > 0 && rise < minRise) {
    return {
      ...result,
      confidence: whole.below,
      verdict: 'no-leak',
      reason: `${label} ${rate}, ${pText(p)}, but ${mb(rise)} in all, within the ${mb(minRise).slice(1)} it moves by itself`,
    };
  }
  // The end must stand above the start by at least half of what the slope claims; otherwise what
  // rose came back down (checked before saturation, whose last-third test a drain also passes).
  if (endLevel - startLevel < 0.5 * slope * hours) {
    return { ...result, confidence: tail.below, verdict: 'no-leak', reason: `${label} rose and came back (${mb(endLevel - startLevel)} from start to end): a burst that drained` };
  }
  if (saturated) {
    return { ...result, confidence: tail.below, verdict: 'no-leak', reason: `${label} grew then flattened (last third ${mb(lastSlope)}/h): saturation, not a leak` };
  }
  return { ...result, confidence: whole.above, verdict: 'leak', reason: `${label} ${rate}, ${pText(p)}, no saturation` };
}

/**
 * When major GCs were too rare for the floor to come from them, the rolling minimum of heap used
 * also holds garbage promoted to the old generation and waiting for the next full GC; an app
 * whose short-lived sessions expire, or whose batches are dropped, looks like a leak in it. So a
 * leak on that floor must show across full GCs too:
 * - with at least MIN_POINTS full GCs in the window, heap used after them must itself be judged a
 *   leak by the same rules (a batch job's full GCs, triggered by the batch's own allocation,
 *   step up to "base + one batch" and stay there: saturation, not a leak);
 * - with fewer, heap used after the last one must stand above the first by at least half of what
 *   the slope claims between them;
 * - with fewer than two there is no way to tell garbage from growth, and the heap floor is
 *   inconclusive (other signals still count).
 */
export function confirmAcrossFullGcs(
  result: SignalResult,
  source: FloorSource,
  input: TrendInput,
  fromTs: number,
  toTs: number,
  options: TrendOptions,
): SignalResult {
  // Points after full GCs (V8's, or the probe's measured ones) hold no garbage awaiting collection.
  if (result.verdict !== 'leak' || source !== 'rolling minimum') return result;
  const gcs = input.majorGcs.filter((g) => g.ts >= fromTs && g.ts <= toTs);
  if (gcs.length < 2) {
    return { ...result, confidence: 0, verdict: 'inconclusive', reason: `${result.signal} rose, but ${gcs.length === 0 ? 'no' : 'only one'} full GC ran in the window to tell growth from garbage awaiting collection` };
  }
  const afterGc = gcs.map((g) => ({ t: g.ts, v: g.heapUsedAfter }));
  if (gcs.length >= MIN_POINTS) {
    const across = judgeSignal(result.signal, afterGc, options, undefined, 'heap after full GCs');
    if (across.verdict === 'leak') return result;
    return {
      ...result,
      confidence: across.confidence,
      verdict: 'no-leak',
      reason: `${result.signal} rose between full GCs (${mb(result.slopeBytesPerHour)}/h), but not across the ${gcs.length} in the window: ${across.reason}`,
    };
  }
  const first = gcs[0];
  const last = gcs[gcs.length - 1];
  const claimed = (result.slopeBytesPerHour * (last.ts - first.ts)) / HOUR_MS;
  const across = last.heapUsedAfter - first.heapUsedAfter;
  if (across < 0.5 * claimed) {
    const hours = gcs.map((g) => g.ts / HOUR_MS);
    const confidence = slopeConfidence(hours, gcs.map((g) => g.heapUsedAfter), options.maxSlopeBytesPerHour).below;
    return { ...result, confidence, verdict: 'no-leak', reason: `${result.signal} rose between full GCs but not across them (${mb(across)} from the first to the last): garbage awaiting a full GC` };
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
    const need = spanText(opts.minDurationMs);
    const why =
      toTs > fromTs
        ? `too short: ${spanText(toTs - fromTs)} after warm-up, need ${need}`
        : `too short: ${spanText(toTs - first)} of samples, all in the ${spanText(fromTs - first)} warm-up; need ${need} after it`;
    return {
      verdict: 'inconclusive',
      confidence: 0,
      fromTs,
      toTs,
      signals: [],
      reasons: [why],
      heapFloor: [],
    };
  }
  const windowMs = windowLength(input, fromTs, toTs);
  const floor = heapFloor(input, fromTs, toTs, windowMs);
  const external = windowMinima(samples.map((s) => ({ t: s.ts, v: s.external })), fromTs, toTs, windowMs);
  const native = windowMinima(samples.map((s) => ({ t: s.ts, v: Math.max(0, s.rss - s.heapTotal) })), fromTs, toTs, windowMs);
  const measured = floor.source === 'measured';
  const floorJudged = judgeSignal('heap floor', floor.points, opts, measured ? MEASURED_FLOOR_MATERIALITY : undefined, 'heap floor', measured ? MIN_MEASURED_POINTS : MIN_POINTS);
  const floorSignal = confirmAcrossFullGcs(measured ? tooEarlyToTell(floorJudged, opts) : floorJudged, floor.source, input, fromTs, toTs, opts);
  const signals = [
    { ...floorSignal, floorSource: floor.source, reason: floor.source === 'measured' ? `${floorSignal.reason} (floor measured at ${floor.points.length} full GCs of the probe's)` : floorSignal.reason },
    judgeSignal('external memory', external, opts, OFF_HEAP_MATERIALITY['external memory']),
    judgeSignal('RSS beyond the heap', native, opts, OFF_HEAP_MATERIALITY['RSS beyond the heap']),
  ];
  const leaks = signals.filter((s) => s.verdict === 'leak');
  if (leaks.length > 0) {
    return { verdict: 'leak', confidence: Math.max(...leaks.map((s) => s.confidence)), fromTs, toTs, signals, reasons: leaks.map((s) => s.reason), heapFloor: floor.points };
  }
  if (signals[0].verdict === 'inconclusive') {
    return { verdict: 'inconclusive', confidence: 0, fromTs, toTs, signals, reasons: [signals[0].reason], heapFloor: floor.points };
  }
  const judged = signals.filter((s) => s.verdict === 'no-leak');
  return { verdict: 'no-leak', confidence: Math.min(...judged.map((s) => s.confidence)), fromTs, toTs, signals, reasons: signals.map((s) => s.reason), heapFloor: floor.points };
}
