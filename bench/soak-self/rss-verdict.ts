import { OFF_HEAP_MATERIALITY, judgeSignal } from '../../src/trend/detect-leak';
import { windowLength, windowMinima } from '../../src/trend/floor-series';
import { DEFAULT_TREND_OPTIONS, type SeriesPoint, type SignalResult, type Verdict } from '../../src/trend/trend-model';
import type { CollectorLifetime } from './collector-process';

/**
 * The collector's RSS judged with leakwatch's own rules (src/trend, as `leakwatch check` uses
 * them), one collector lifetime at a time.
 *
 * Why per lifetime: a restart gives the memory back, so a leak in the collector shows as growth
 * within each lifetime that the next one starts over; one series across restarts would be a saw
 * tooth with no trend and hide it. Judging the post-restart floors instead would answer another
 * question (does the data directory make each start heavier) with only a handful of points.
 * Each lifetime gets the detector's warm-up (the larger of a minute and 10 %: the engine fills
 * its caches after a start), floors per window as for the heap (the window minimum, so a burst
 * of allocation that is given back does not count), and the materiality rule of RSS beyond the
 * heap (32 MB or 10 %): allocator movement is not a leak.
 */
export interface LifetimeVerdict {
  lifetime: number;
  pid: number;
  /** Length of the lifetime and of its judged part (after warm-up), ms. */
  spanMs: number;
  judgedMs: number;
  peakRss: number;
  result: SignalResult;
}

export interface RssVerdict {
  verdict: Verdict;
  lifetimes: LifetimeVerdict[];
}

export function judgeLifetime(index: number, lifetime: CollectorLifetime): LifetimeVerdict {
  const points: SeriesPoint[] = lifetime.rss;
  const first = points[0]?.t ?? 0;
  const last = points[points.length - 1]?.t ?? 0;
  const from = first + Math.max(DEFAULT_TREND_OPTIONS.warmupMs, 0.1 * (last - first));
  const input = { samples: points.map((p) => ({ ts: p.t, heapUsed: p.v, heapTotal: 0, external: 0, rss: p.v })), majorGcs: [] };
  const floor = last > from ? windowMinima(points, from, last, windowLength(input, from, last)) : [];
  const result = judgeSignal('RSS beyond the heap', floor, DEFAULT_TREND_OPTIONS, OFF_HEAP_MATERIALITY['RSS beyond the heap'], `collector RSS (lifetime ${index + 1})`);
  return {
    lifetime: index + 1,
    pid: lifetime.pid,
    spanMs: last - first,
    judgedMs: Math.max(0, last - from),
    peakRss: points.reduce((max, p) => Math.max(max, p.v), 0),
    result,
  };
}

/** `leak` if any lifetime leaks; `no-leak` if at least one was judged and none leaks; else inconclusive. */
export function judgeCollectorRss(lifetimes: readonly CollectorLifetime[]): RssVerdict {
  const judged = lifetimes.map((l, i) => judgeLifetime(i, l));
  const verdicts = judged.map((j) => j.result.verdict);
  const verdict: Verdict = verdicts.includes('leak') ? 'leak' : verdicts.includes('no-leak') ? 'no-leak' : 'inconclusive';
  return { verdict, lifetimes: judged };
}
