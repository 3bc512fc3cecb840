import { verdictSites } from '../../collector/alloc';
import { runVerdict, verdictWithSuspects } from '../../collector/run-verdict';
import path from 'node:path';
import type { LocationResolver } from '../../collector/source-maps/location-resolver';
import { createLogger } from '../../shared/log';
import type { Store, StoreOptions } from '../../store/store-interface';
import { openStoreOnDemand } from '../open-store-on-demand';
import type { RunningCollector } from '../start-collector-process';
import type { CollectorRunSource, RunSource } from './run-source';

/**
 * The reads are the same whoever holds the store: runs as stored, the verdict as the API computes
 * it. The suspects are files beside the snapshots, not rows: the store knows the run's snapshots,
 * `snapshotDir` (the one the collector wrote them to) has their suspects.
 */
function storeReads(store: Store, snapshotDir: string, resolver: LocationResolver): Pick<RunSource, 'listRuns' | 'verdict'> {
  return {
    listRuns: () => store.listRuns(),
    async verdict(runId, thresholds) {
      const result = await runVerdict(store, runId, thresholds.options);
      if (result.verdict !== 'leak') return verdictWithSuspects(result, []);
      // Loaded only for a leak: the collector's snapshot side is not needed otherwise.
      const { latestSuspectsIn } = await import('../../collector/snapshots/index.js');
      const suspects = await latestSuspectsIn(snapshotDir, await store.listSnapshots(runId), createLogger('warn'));
      const { readWatchesIn } = await import('../../collector/watches/index.js');
      const watches = await readWatchesIn(snapshotDir, runId).catch(() => []);
      return verdictWithSuspects(result, suspects, await verdictSites({ store, resolver, suspects }, runId, thresholds.options, result.culpritBoots), watches);
    },
  };
}

/**
 * Opens the store itself (`runs`, `check`): nobody else holds the data directory. `resolver`
 * maps the verdict's allocation sites to the user's sources (default: not mapped).
 */
export async function openStoreRunSource(options: StoreOptions, snapshotDir: string, resolver?: LocationResolver): Promise<RunSource> {
  const store = await openStoreOnDemand(options);
  // The maps the collector kept beside the snapshots (uploaded by probes), then the app's files.
  const { createSourceMapResolver, createUploadedMaps } = await import('../../collector/source-maps/index.js');
  const own = resolver ? null : createSourceMapResolver({ uploaded: createUploadedMaps({ dir: path.join(path.dirname(snapshotDir), 'source-maps'), log: createLogger('warn') }) });
  return {
    ...storeReads(store, snapshotDir, resolver ?? own!),
    endRun: (runId, exitCode) => store.endRun(runId, Date.now(), exitCode),
    close: async () => {
      own?.close();
      await store.close();
    },
  };
}

/** The store under `leakwatch run`'s embedded collector, which ends runs and releases it all on close. */
export function embeddedRunSource(running: RunningCollector, resolver: LocationResolver = running.collector.resolver): CollectorRunSource {
  return {
    ...storeReads(running.store, running.snapshotDir, resolver),
    collectorUrl: running.collector.url,
    async ensureReachable() {},
    issueRunToken: async (runId) => running.collector.issueRunToken(runId),
    async endRun(runId, exitCode) {
      await running.collector.endRun(runId, Date.now(), exitCode);
      // The probe's last acked batches are already queued in the writer; closing the collector
      // stores them, so a verdict read after this sees them.
      await running.collector.close();
    },
    close: () => running.close(),
  };
}
