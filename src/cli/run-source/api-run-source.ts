import { LeakwatchError } from '../../shared/errors';
import { callCollector } from '../api-client';
import type { CheckThresholds } from '../check-flags';
import type { CollectorRunSource } from './run-source';

function thresholdQuery(t: CheckThresholds): string {
  return `maxSlope=${encodeURIComponent(t.maxSlope)}&minDuration=${encodeURIComponent(t.minDuration)}&warmup=${encodeURIComponent(t.warmup)}`;
}

/** Runs through a running collector's HTTP API (the store is that collector's to read). */
export function createApiRunSource(collectorUrl: string): CollectorRunSource {
  return {
    collectorUrl,
    async ensureReachable() {
      await callCollector<'GET /api/health'>(collectorUrl, 'api/health');
    },
    async listRuns() {
      return (await callCollector<'GET /api/runs'>(collectorUrl, 'api/runs')).runs;
    },
    verdict(runId, thresholds) {
      return callCollector<'GET /api/runs/:id/verdict'>(collectorUrl, `api/runs/${encodeURIComponent(runId)}/verdict?${thresholdQuery(thresholds)}`);
    },
    async issueRunToken(runId, probeToken) {
      try {
        const body = await callCollector<'POST /api/runs/:id/run-token'>(collectorUrl, `api/runs/${encodeURIComponent(runId)}/run-token`, { method: 'POST', body: probeToken === undefined ? {} : { probeToken } });
        return body.token;
      } catch (err) {
        // A collector from before run tokens: the command gets the user's token, as it did then.
        if (err instanceof LeakwatchError && err.code === 'LW_ERR_NOT_FOUND') return undefined;
        throw err;
      }
    },
    async endRun(runId, exitCode) {
      await callCollector<'POST /api/runs/:id/end'>(collectorUrl, `api/runs/${runId}/end`, { method: 'POST', body: { exitCode } });
    },
    async close() {},
  };
}
