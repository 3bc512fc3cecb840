import { judgeSignal } from '../../trend/detect-leak';
import { windowMinima } from '../../trend/floor-series';
import { DEFAULT_TREND_OPTIONS, type SeriesPoint, type TrendOptions } from '../../trend/trend-model';

/*
 * Which allocation sites keep growing. A profile is the live state of the sampled objects at its
 * time (V8's SamplingHeapProfiler drops a sample when its object is collected), so a site's live
 * bytes across the profiles of one process are a level series like the heap floor, and the same
 * robust rules judge it (src/trend/detect-leak.ts `judgeSignal`): Mann-Kendall significance
 * (one-sided, p < alpha), a Theil-Sen slope above a threshold, an end level standing above the
 * start (a burst that drained is not growth), and no saturation (growth in the last third under
 * a fifth of the whole slope: a cache that filled to its cap and holds). Points before the
 * warm-up (the larger of `warmupMs` and 10 % of the process's profiles' span, as the verdict) are
 * left out, and fewer than 10 points after it judge nothing.
 */

/**
 * A site's slope needs to be a quarter of the verdict's threshold: a leak at the threshold split
 * over up to four sites still names each of them (1 MB/h by default gives 256 KB/h).
 */
export const SITE_SLOPE_SHARE = 0.25;

/**
 * Materiality: V8 scales each sample to about one sampling interval, so one object more or
 * fewer moves a site by about that much; a rise must be at least four intervals, and 5 % of the
 * site's level, to be told from that granularity and from the sawtooth of garbage awaiting GC.
 */
export const SITE_MIN_RISE_INTERVALS = 4;
export const SITE_MIN_RISE_SHARE = 0.05;

/** Profiles per process beyond this are reduced to window minima (the O(n^2) statistics). */
const MAX_POINTS = 120;

export interface SiteGrowth {
  slopeBytesPerHour: number;
  pValue: number;
  growing: boolean;
  /** Live bytes gained from the first to the last profile (all profiles, warm-up included). */
  growthBytes: number;
  /** The rule that decided, as the verdict words its reasons. */
  reason: string;
}

/**
 * A site's series over its process's profiles: its own points, plus 0 at the profiles it is
 * missing from whose remainder counts no sites (the probe sent every site with live samples, so
 * this one had none alive). Where the remainder holds sites, the missing site may be one of them,
 * and that profile says nothing about it.
 */
export function siteSeries(
  profiles: { t: readonly number[]; otherSites: readonly number[] },
  site: { t: readonly number[]; liveBytes: readonly number[] },
): SeriesPoint[] {
  const own = new Map<number, number>();
  site.t.forEach((t, i) => own.set(t, site.liveBytes[i]));
  const points: SeriesPoint[] = [];
  profiles.t.forEach((t, i) => {
    const v = own.get(t);
    if (v !== undefined) points.push({ t, v });
    else if (profiles.otherSites[i] === 0) points.push({ t, v: 0 });
  });
  // A site row without its profile's remainder row (never written by ingest) still counts.
  const known = new Set(profiles.t);
  for (const [t, v] of own) if (!known.has(t)) points.push({ t, v });
  return points.sort((a, b) => a.t - b.t);
}

/** The analysed window of a process's profiles: after the warm-up, as the verdict's. */
export function siteWindow(profileTimes: readonly number[], options: Partial<TrendOptions> = {}): { fromTs: number; toTs: number } {
  if (profileTimes.length === 0) return { fromTs: 0, toTs: 0 };
  const first = Math.min(...profileTimes);
  const toTs = Math.max(...profileTimes);
  const warmupMs = options.warmupMs ?? DEFAULT_TREND_OPTIONS.warmupMs;
  return { fromTs: first + Math.max(warmupMs, 0.1 * (toTs - first)), toTs };
}

/** Judges one site's series (siteSeries) within its process's window. */
export function judgeSite(
  series: readonly SeriesPoint[],
  window: { fromTs: number; toTs: number },
  intervalBytes: number,
  options: Partial<TrendOptions> = {},
): SiteGrowth {
  const opts = { ...DEFAULT_TREND_OPTIONS, ...options };
  const growthBytes = series.length > 0 ? series[series.length - 1].v - series[0].v : 0;
  let points = series.filter((p) => p.t >= window.fromTs && p.t <= window.toTs);
  if (points.length > MAX_POINTS) points = windowMinima(points, window.fromTs, window.toTs, (window.toTs - window.fromTs) / MAX_POINTS);
  const judged = judgeSignal(
    'heap floor',
    points,
    { ...opts, maxSlopeBytesPerHour: SITE_SLOPE_SHARE * opts.maxSlopeBytesPerHour },
    { bytes: SITE_MIN_RISE_INTERVALS * intervalBytes, share: SITE_MIN_RISE_SHARE },
    'live bytes',
  );
  return { slopeBytesPerHour: judged.slopeBytesPerHour, pValue: judged.p, growing: judged.verdict === 'leak', growthBytes, reason: judged.reason };
}
