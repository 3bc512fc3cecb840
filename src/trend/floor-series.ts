import type { FloorSource, SeriesPoint, TrendInput } from './trend-model';

/** Windows per run: enough points for the tests, few enough for the O(n^2) statistics. */
const MAX_WINDOWS = 120;
const MIN_WINDOW_MS = 15_000;

/** Minimum per window of `points` in [from, to] (the floor: garbage waiting for a GC is not in it). */
export function windowMinima(points: readonly SeriesPoint[], from: number, to: number, windowMs: number): SeriesPoint[] {
  const count = Math.max(1, Math.ceil((to - from) / windowMs));
  const min = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  for (const p of points) {
    if (p.t < from || p.t > to) continue;
    const w = Math.min(count - 1, Math.floor((p.t - from) / windowMs));
    if (p.v < min[w]) min[w] = p.v;
  }
  const out: SeriesPoint[] = [];
  for (let w = 0; w < count; w++) if (Number.isFinite(min[w])) out.push({ t: from + (w + 0.5) * windowMs, v: min[w] });
  return out;
}

/** A run is cut into at least this many windows, and a signal needs this many points: fewer cannot show a trend. */
export const MIN_WINDOWS = 10;

/**
 * Measured floor points needed instead (probe floor-meter.ts): each is an exact floor, not the
 * minimum of a window that may hold garbage, so fewer suffice. Seven is the fewest with which
 * Mann-Kendall still calls a rise significant at alpha 0.01 with one pair out of order
 * (S = 19, p = 0.004; six need perfect order), and a two-minute soak at the default schedule
 * (one per 10 s or more after a 20 s warm-up) yields 8 to 9, 7 on a machine busy enough to
 * stretch the pauses and with them the budgeted gaps.
 */
export const MIN_MEASURED_POINTS = 7;

/**
 * Window length for a run: at least 15 s, 1/120 of the window, and twice the typical gap between
 * major GCs, so every window can hold a trough of the heap's saw-tooth; but short enough that
 * the run has 10 windows (a short CI soak then falls back to rolling minima), and never shorter
 * than two sampling intervals.
 */
export function windowLength(input: TrendInput, from: number, to: number): number {
  const span = to - from;
  let ms = Math.max(MIN_WINDOW_MS, span / MAX_WINDOWS);
  const gcs = input.majorGcs.filter((g) => g.ts >= from && g.ts <= to).map((g) => g.ts);
  if (gcs.length >= 3) ms = Math.max(ms, 2 * medianGap(gcs));
  ms = Math.min(ms, span / MIN_WINDOWS);
  const samples = input.samples.filter((s) => s.ts >= from && s.ts <= to).map((s) => s.ts);
  if (samples.length >= 2) ms = Math.max(ms, 2 * medianGap(samples));
  return ms;
}

function medianGap(times: readonly number[]): number {
  const gaps = times.slice(1).map((t, i) => t - times[i]).sort((a, b) => a - b);
  return gaps[gaps.length >> 1];
}

/**
 * The heap floor: heap used after major GCs, the best leak signal (it excludes garbage that is
 * merely waiting). With at least MIN_WINDOWS points measured by the probe's own full GCs in the
 * window (probe floor-meter.ts), those are the floor, as they are: each is an exact floor at a
 * known time, so no window minimum is needed to find it (beyond MAX_WINDOWS of them, minima per
 * window bound the statistics' work). Else from V8's own major GCs; when those are too rare to put
 * one in most windows (or in at least MIN_WINDOWS of them: a short run cut into few windows), the
 * floor is the few measured points when the probe is measuring (too few to judge yet), else falls
 * back to the minimum of the sampled heap used per window.
 */
export function heapFloor(input: TrendInput, from: number, to: number, windowMs: number): { points: SeriesPoint[]; source: FloorSource } {
  const measured = input.majorGcs.filter((g) => g.measured && g.ts >= from && g.ts <= to).map((g) => ({ t: g.ts, v: g.heapUsedAfter }));
  measured.sort((a, b) => a.t - b.t);
  const measuredFloor = { points: measured.length > MAX_WINDOWS ? windowMinima(measured, from, to, (to - from) / MAX_WINDOWS) : measured, source: 'measured' as const };
  if (measured.length >= MIN_MEASURED_POINTS) return measuredFloor;
  const windows = Math.max(1, Math.ceil((to - from) / windowMs));
  const afterGc = windowMinima(input.majorGcs.map((g) => ({ t: g.ts, v: g.heapUsedAfter })), from, to, windowMs);
  if (afterGc.length >= Math.max(MIN_WINDOWS, 0.6 * windows)) return { points: afterGc, source: 'major GCs' };
  // The probe is measuring, but too few points are in yet: wait for them (too few points, an
  // inconclusive floor) rather than read the rolling minimum, which holds garbage awaiting a GC.
  if (measured.length > 0) return measuredFloor;
  return { points: windowMinima(input.samples.map((s) => ({ t: s.ts, v: s.heapUsed })), from, to, windowMs), source: 'rolling minimum' };
}
