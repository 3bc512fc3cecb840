/** One point of a memory series: time (epoch ms) and bytes. */
export interface SeriesPoint {
  t: number;
  v: number;
}

/** What the detector reads: the run's samples and its GC events (heap used after major GCs). */
export interface TrendInput {
  samples: readonly { ts: number; heapUsed: number; heapTotal: number; external: number; rss: number }[];
  /** `measured`: a full GC the probe asked for to measure the floor (exact), not one of V8's own. */
  majorGcs: readonly { ts: number; heapUsedAfter: number; measured?: boolean }[];
}

export interface TrendOptions {
  /** A signal growing faster than this (bytes per hour) can be a leak; slower is tolerated. */
  maxSlopeBytesPerHour: number;
  /** Shorter runs (after warm-up) are inconclusive. */
  minDurationMs: number;
  /** Excluded from the start: the larger of this and 10 % of the run. */
  warmupMs: number;
  /** Significance level of the Mann-Kendall test (one-sided, increasing). */
  alpha: number;
}

export const DEFAULT_TREND_OPTIONS: TrendOptions = {
  maxSlopeBytesPerHour: 1024 * 1024,
  minDurationMs: 10 * 60_000,
  warmupMs: 60_000,
  alpha: 0.01,
};

export type FloorSource = 'measured' | 'major GCs' | 'rolling minimum';

export type SignalName = 'heap floor' | 'external memory' | 'RSS beyond the heap';

export type Verdict = 'leak' | 'no-leak' | 'inconclusive';

export interface SignalResult {
  signal: SignalName;
  verdict: Verdict;
  /** Robust slope (Theil-Sen) in bytes per hour over the analysed window. */
  slopeBytesPerHour: number;
  /** One-sided Mann-Kendall p-value for an increasing trend. */
  p: number;
  /**
   * How sure this signal's verdict is (0..1): for a leak, that it grows faster than the threshold;
   * for no-leak, that it grows slower (over the last third when growth flattened or drained);
   * 0 when inconclusive. See slopeConfidence.
   */
  confidence: number;
  /** Growth flattened in the last third of the window (a cache that filled up). */
  saturated: boolean;
  /** Level at the start and at the end of the window (medians of the first and last sixth). */
  startLevel: number;
  endLevel: number;
  points: number;
  /**
   * The heap floor's points (this signal only): measured by the probe's own full GCs, V8's own
   * major GCs, or the rolling minimum of heap used when both were too few.
   */
  floorSource?: FloorSource;
  /** The fitted Theil-Sen line over the window, for drawing: value at fromTs and at toTs. */
  line: { fromTs: number; fromValue: number; toTs: number; toValue: number } | null;
  reason: string;
}

export interface TrendResult {
  verdict: Verdict;
  /** For a leak, the most confident leaking signal's; for no-leak, the least confident signal's; 0 when inconclusive. */
  confidence: number;
  /** Analysed window (after warm-up). */
  fromTs: number;
  toTs: number;
  signals: SignalResult[];
  reasons: string[];
  /** The heap floor series the verdict was computed on (window minima), for drawing. */
  heapFloor: SeriesPoint[];
}
