import type { HelloMessage } from '../protocol/messages';
import { LeakwatchError } from '../shared/errors';
import { insertBatch } from './insert-rows';
import { createKeyedSerializer } from '../shared/keyed-serializer';
import { queryAllocSites } from './query-alloc-sites';
import { queryGaps } from './query-gaps';
import { queryBootSeries } from './query-boot-series';
import { queryGc } from './query-gc';
import { queryLineage } from './query-lineage';
import { lastSampleOfBoot } from './query-last-sample';
import { checkEpochMs } from './query-range';
import { querySeries } from './query-series';
import { queryBootSamples } from './query-boot-samples';
import { readProcesses, writeProcessEnd, writeProcessHello } from './query-processes';
import { querySpaces } from './query-spaces';
import { readRunRecords, recordForEnd, recordFromHello, writeRunRecord } from './run-record';
import { getRunSummary, listRunSummaries } from './run-summaries';
import { readSnapshotRecords, writeSnapshotRecord } from './snapshot-record';
import { insertSnapshotTypes, readSnapshotTypes } from './snapshot-type-rows';
import { selectRows, type StoreContext } from './store-context';
import { toStoreError } from './store-error';
import type { Store } from './store-interface';

/** The Store over an open, migrated ClickHouse connection. `openStore` is the way to get one. */
export function createClickhouseStore(ctx: StoreContext, description: string): Store {
  const serialByRun = createKeyedSerializer();
  let closing: Promise<void> | undefined;

  return {
    description,

    upsertRun: (hello: HelloMessage) =>
      serialByRun(hello.run, async () => {
        const [previous] = await readRunRecords(ctx, hello.run);
        await writeRunRecord(ctx, recordFromHello(hello, previous));
        await writeProcessHello(ctx, hello);
      }),

    endProcess: async (runId, boot, endedAt) => {
      checkEpochMs(endedAt, 'endedAt');
      return serialByRun(runId, () => writeProcessEnd(ctx, runId, boot, endedAt));
    },

    listProcesses: (runId) => readProcesses(ctx, runId),

    bootSamples: (runId) => queryBootSamples(ctx, runId),

    endRun: async (runId: string, endedAt: number, exitCode: number | null) => {
      checkEpochMs(endedAt, 'endedAt');
      if (exitCode !== null && !Number.isSafeInteger(exitCode)) throw new LeakwatchError('LW_ERR_BAD_REQUEST', 'exitCode must be an integer or null');
      return serialByRun(runId, async () => {
        const [previous] = await readRunRecords(ctx, runId);
        await writeRunRecord(ctx, recordForEnd(runId, endedAt, exitCode, previous));
      });
    },

    insertRows: (batch) => insertBatch(ctx, batch),

    ping: async () => {
      await selectRows(ctx, 'store does not answer', 'SELECT 1 AS ok');
    },

    listRuns: (now = Date.now()) => listRunSummaries(ctx, now),

    getRun: (runId, now = Date.now()) => getRunSummary(ctx, runId, now),

    lastSampleOfBoot: (runId, boot) => lastSampleOfBoot(ctx, runId, boot),

    querySeries: (runId, metrics, range) => querySeries(ctx, runId, metrics, range),

    querySpaces: (runId, range) => querySpaces(ctx, runId, range),

    queryGc: (runId, range) => queryGc(ctx, runId, range),

    writeSnapshot: (record) => writeSnapshotRecord(ctx, record),

    getSnapshot: async (runId, snapshotId) => (await readSnapshotRecords(ctx, runId, snapshotId))[0] ?? null,

    listSnapshots: (runId) => readSnapshotRecords(ctx, runId),

    insertSnapshotTypes: (key, rows, analysedAt) => insertSnapshotTypes(ctx, key, rows, analysedAt),

    getSnapshotTypes: (runId, snapshotId) => readSnapshotTypes(ctx, runId, snapshotId),

    queryAllocSites: (runId) => queryAllocSites(ctx, runId),

    queryGaps: (runId) => queryGaps(ctx, runId),

    queryLineage: (runId) => queryLineage(ctx, runId),

    queryBootSeries: (runId) => queryBootSeries(ctx, runId),

    close: () => {
      // Idempotent: a shutdown path may close twice; the engine must be released once.
      closing ??= ctx.client.close().catch((err: unknown) => {
        throw toStoreError('cannot close the store', err);
      });
      return closing;
    },
  };
}
