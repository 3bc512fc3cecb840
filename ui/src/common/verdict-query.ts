/**
 * Leak-verdict thresholds taken from the page URL and passed on to `GET /api/runs/:id/verdict`.
 *
 * Both the runs list (`/`) and the run page (`/runs/:id`) read:
 *   ?maxSlope=1MB/h    growth tolerated before a rising heap floor counts as a leak
 *   ?minDuration=10m   shorter runs (after the warm-up) are inconclusive
 *   ?warmup=60s        the start of the run left out of the judgement
 * e.g. `/runs/<id>?maxSlope=1KB/h&minDuration=20s` judges a short demo run. Without them the API
 * applies its defaults (the same as `leakwatch check`). The values are passed through as typed:
 * the collector parses them and answers LW_ERR_BAD_REQUEST for a bad one, shown in the banner.
 */
export interface VerdictThresholds {
  maxSlope?: string;
  minDuration?: string;
  warmup?: string;
}

const KEYS = ['maxSlope', 'minDuration', 'warmup'] as const;

export function thresholdsFromQuery(params: URLSearchParams): VerdictThresholds {
  const thresholds: VerdictThresholds = {};
  for (const key of KEYS) {
    const value = params.get(key)?.trim();
    if (value) thresholds[key] = value;
  }
  return thresholds;
}

/** Only the thresholds that are set, as query parameters. */
export function thresholdsToParams(thresholds: VerdictThresholds): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of KEYS) {
    const value = thresholds[key];
    if (value !== undefined) params.set(key, value);
  }
  return params;
}

/**
 * Appends the thresholds to a page query (`''` or `?range=1h`), so links and the run page's own
 * URL rewrites keep them.
 */
export function withThresholds(query: string, thresholds: VerdictThresholds): string {
  const params = new URLSearchParams(query);
  for (const [key, value] of thresholdsToParams(thresholds)) params.set(key, value);
  const text = params.toString();
  return text ? `?${text}` : '';
}
