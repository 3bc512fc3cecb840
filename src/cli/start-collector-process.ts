import path from 'node:path';
import type { Collector } from '../collector/collector';
import type { CollectorAccess } from './access-flags';
import { LeakwatchError } from '../shared/errors';
import type { Logger } from '../shared/log';
import type { Store, StoreOptions } from '../store/store-interface';
import { clearDataDirOwner, readDataDirOwner, writeDataDirOwner } from './data-dir-owner';
import { openStoreOnDemand } from './open-store-on-demand';

export interface RunningCollector {
  collector: Collector;
  store: Store;
  /** Where its snapshots and their suspects are kept. */
  snapshotDir: string;
  /** Flushes, closes the store and releases the data directory. */
  close(): Promise<void>;
}

/** The snapshot directory: as given, else `<data dir>/snapshots` (embedded store) or `.leakwatch/snapshots`. */
export function snapshotDirOf(storeOptions: StoreOptions, given: string | undefined): string {
  const dataDir = storeOptions.target.kind === 'embedded' ? storeOptions.target.dataDir : undefined;
  return path.resolve(given ?? (dataDir ? path.join(dataDir, 'snapshots') : path.join('.leakwatch', 'snapshots')));
}

/** The spool directory: as given, else `<data dir>/spool` (embedded store) or `.leakwatch/spool`. */
export function spoolDirOf(storeOptions: StoreOptions, given: string | undefined): string {
  const dataDir = storeOptions.target.kind === 'embedded' ? storeOptions.target.dataDir : undefined;
  return path.resolve(given ?? (dataDir ? path.join(dataDir, 'spool') : path.join('.leakwatch', 'spool')));
}

/**
 * Opens the store and starts a collector on it: shared by `collect` and `run`. When `port` is
 * the default and taken, `allowPortFallback` picks a free one rather than failing a user who
 * simply has another collector running.
 */
export async function startCollectorProcess(options: {
  storeOptions: StoreOptions;
  host: string;
  port: number;
  allowPortFallback: boolean;
  /** Probe token, read token, host names, TLS (see access-flags.ts); all optional on loopback. */
  access?: CollectorAccess;
  log: Logger;
  /** Heap snapshot files; default `<data dir>/snapshots` (embedded) or `.leakwatch/snapshots`. */
  snapshotDir?: string;
  /** Watch the top suspect containers after each snapshot's suspects (--watch-suspects). */
  watchSuspects?: boolean;
  /** Batches wait here while the store is down (default `<data dir>/spool` or `.leakwatch/spool`). */
  spoolDir?: string;
  spoolBudgetBytes?: number;
  /** Probe and upload connections held at once (--max-connections; the collector's default otherwise). */
  maxConnections?: number;
}): Promise<RunningCollector> {
  const { storeOptions, log } = options;
  const dataDir = storeOptions.target.kind === 'embedded' ? storeOptions.target.dataDir : undefined;
  const snapshotDir = snapshotDirOf(storeOptions, options.snapshotDir);
  const snapshotOptions = {
    ...options.access,
    snapshotDir,
    retentionDays: storeOptions.retentionDays,
    watchSuspects: options.watchSuspects ?? false,
    spoolDir: spoolDirOf(storeOptions, options.spoolDir),
    spoolBudgetBytes: options.spoolBudgetBytes,
    maxConnections: options.maxConnections,
  };
  if (dataDir) {
    const owner = readDataDirOwner(dataDir);
    if (owner) {
      throw new LeakwatchError('LW_ERR_STORE_LOCKED', `data directory ${dataDir} is in use by the collector at ${owner.url} (pid ${owner.pid}); use --collector ${owner.url} or another --data`);
    }
  }
  // Loaded here, like the store, so that the commands that start no collector do not pay for its
  // modules (ws server, HTTP API, snapshot pipeline: ~3 MB of RSS in `leakwatch --help`).
  const { startCollector } = await import('../collector/collector.js');
  const store = await openStoreOnDemand(storeOptions);
  let collector: Collector;
  try {
    collector = await startCollector({ store, host: options.host, port: options.port, log, ...snapshotOptions });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && options.allowPortFallback) {
      log.info(`port ${options.port} is in use; using a free port instead`);
      collector = await startCollector({ store, host: options.host, port: 0, log, ...snapshotOptions }).catch(async (e) => {
        await store.close();
        throw e;
      });
    } else {
      await store.close();
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new LeakwatchError('LW_ERR_CONFIG', `port ${options.port} on ${options.host} is already in use (choose another with --port)`);
      }
      throw err;
    }
  }
  if (dataDir) writeDataDirOwner(dataDir, { pid: process.pid, url: collector.url });
  let closing: Promise<void> | undefined;
  return {
    collector,
    store,
    snapshotDir,
    close() {
      closing ??= (async () => {
        await collector.close();
        await store.close();
        if (dataDir) clearDataDirOwner(dataDir);
      })();
      return closing;
    },
  };
}
