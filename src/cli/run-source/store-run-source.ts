import { runVerdict } from '../../collector/run-verdict';
import type { Store, StoreOptions } from '../../store/store-interface';
import { openStoreOnDemand } from '../open-store-on-demand';
import type { RunningCollector } from '../start-collector-process';
import type { CollectorRunSource, RunSource } from './run-source';

/** The reads are the same whoever holds the store: runs as stored, the verdict as the API computes it. */
function storeReads(store: Store): Pick<RunSource, 'listRuns' | 'verdict'> {
  return {
    listRuns: () => store.listRuns(),
    verdict: (runId, thresholds) => runVerdict(store, runId, thresholds.options),
  };
}

/** Opens the store itself (`runs`, `check`): nobody else holds the data directory. */
export async function openStoreRunSource(options: StoreOptions): Promise<RunSource> {
  const store = await openStoreOnDemand(options);
  return {
    ...storeReads(store),
    endRun: (runId, exitCode) => store.endRun(runId, Date.now(), exitCode),
    close: () => store.close(),
  };
}

/** The store under `leakwatch run`'s embedded collector, which ends runs and releases it all on close. */
export function embeddedRunSource(running: RunningCollector): CollectorRunSource {
  return {
    ...storeReads(running.store),
    collectorUrl: running.collector.url,
    async ensureReachable() {},
    async endRun(runId, exitCode) {
      await running.collector.endRun(runId, Date.now(), exitCode);
      // The probe's last acked batches are already queued in the writer; closing the collector
      // stores them, so a verdict read after this sees them.
      await running.collector.close();
    },
    close: () => running.close(),
  };
}
