import type { RunSummary } from '../../shared/run-data';
import type { TrendResult } from '../../trend/trend-model';
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
      await callCollector(collectorUrl, 'api/health');
    },
    async listRuns() {
      return (await callCollector<{ runs: RunSummary[] }>(collectorUrl, 'api/runs')).runs;
    },
    verdict(runId, thresholds) {
      return callCollector<TrendResult>(collectorUrl, `api/runs/${encodeURIComponent(runId)}/verdict?${thresholdQuery(thresholds)}`);
    },
    async endRun(runId, exitCode) {
      await callCollector(collectorUrl, `api/runs/${runId}/end`, { method: 'POST', body: { exitCode } });
    },
    async close() {},
  };
}
