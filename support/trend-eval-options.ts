import type { TrendOptions } from '../src/trend/trend-model';

/**
 * Detector settings of the trend evaluation, for runs of a few minutes: the defaults (10 min,
 * 1 min warm-up) are for real services. The baselines get the same window and threshold.
 */
export const EVAL_TREND_OPTIONS: Pick<TrendOptions, 'minDurationMs' | 'warmupMs' | 'maxSlopeBytesPerHour'> = {
  minDurationMs: 60_000,
  warmupMs: 20_000,
  maxSlopeBytesPerHour: 1024 * 1024,
};
