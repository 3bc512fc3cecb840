import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBatchWriter } from '../src/collector/batch-writer';
import { createSpool } from '../src/collector/spool';
import { createLogger } from '../src/shared/log';
import type { RowBatch, Store } from '../src/store/store-interface';
import { makeTempDir } from './helpers/temp-dir';

/** Only insertRows and ping matter to the writer; the rest of the Store is never called here. */
function recordingStore(fail: () => boolean): { store: Store; inserts: RowBatch[] } {
  const inserts: RowBatch[] = [];
  const store = {
    insertRows: async (batch: RowBatch) => {
      if (fail()) throw new Error('down');
      inserts.push(batch);
    },
    ping: async () => {
      if (fail()) throw new Error('down');
    },
  } as unknown as Store;
  return { store, inserts };
}

const row = (seq: number) => ({ run: 'r', boot: 'b', seq, ts: Date.now(), rss: 1, heapTotal: 1, heapUsed: 1, external: 1, arrayBuffers: 1, heapLimit: 1, totalAvailable: 1, mallocedMemory: 1, peakMallocedMemory: 1, nativeContexts: 1, detachedContexts: 0, elP50Ms: 0, elP99Ms: 0, elMaxMs: 0 });

test('flushes merge entries into one insert and complete them in order', async () => {
  const { store, inserts } = recordingStore(() => false);
  const writer = createBatchWriter({ store, flushIntervalMs: 60_000 });
  const done: number[] = [];
  for (let i = 1; i <= 3; i++) writer.add({ rows: { samples: [row(i)], spaces: [], gcs: [] }, sender: 'r/b', done: () => done.push(i) });
  await writer.flush();
  assert.deepEqual(done, [1, 2, 3]);
  assert.equal(inserts.length, 1);
  assert.equal(inserts[0].samples.length, 3);
  await writer.close();
});

test('an idle flush does not wedge the writer (regression: a flush with nothing pending froze ingest)', async () => {
  const { store, inserts } = recordingStore(() => false);
  const writer = createBatchWriter({ store, flushIntervalMs: 60_000 });
  await writer.flush(); // nothing pending
  let completed = false;
  writer.add({ rows: { samples: [row(1)], spaces: [], gcs: [] }, sender: 'r/b', done: () => (completed = true) });
  await writer.flush();
  assert.equal(completed, true);
  assert.equal(inserts.length, 1);
  await writer.close();
});

test('a failed insert fails its entries and the next flush works again', async () => {
  let down = true;
  const { store, inserts } = recordingStore(() => down);
  const writer = createBatchWriter({ store, flushIntervalMs: 60_000 });
  const errors: (Error | undefined)[] = [];
  writer.add({ rows: { samples: [row(1)], spaces: [], gcs: [] }, sender: 'r/b', done: (err) => errors.push(err) });
  await writer.flush();
  assert.equal(errors[0]?.message, 'down');
  down = false;
  writer.add({ rows: { samples: [row(2)], spaces: [], gcs: [] }, sender: 'r/b', done: (err) => errors.push(err) });
  await writer.flush();
  assert.equal(errors[1], undefined);
  assert.equal(inserts.length, 1);
  await writer.close();
});

test('the timer flushes on its own', async () => {
  const { store, inserts } = recordingStore(() => false);
  const writer = createBatchWriter({ store, flushIntervalMs: 20 });
  await new Promise((resolve) => setTimeout(resolve, 60)); // several idle ticks first
  writer.add({ rows: { samples: [row(1)], spaces: [], gcs: [] }, sender: 'r/b', done: () => {} });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(inserts.length, 1);
  await writer.close();
});

test('with a spool, a store that does not answer gets its batches spooled and acked; later ones queue behind them; a full spool refuses', async () => {
  const temp = makeTempDir('writer-spool');
  try {
    let down = true;
    const { store, inserts } = recordingStore(() => down);
    const spool = createSpool({ dir: temp.dir, budgetBytes: 2500, log: createLogger('silent') });
    await spool.open();
    let spooled = 0;
    const writer = createBatchWriter({ store, spool, onSpooled: () => spooled++, flushIntervalMs: 60_000 });
    const results: (string | undefined)[] = [];
    const add = (seq: number) => writer.add({ rows: { samples: [row(seq)], spaces: [], gcs: [] }, sender: 'r/b', done: (err) => results.push((err as { code?: string } | undefined)?.code ?? (err ? err.message : undefined)) });
    add(1);
    add(2);
    await writer.flush();
    assert.deepEqual(results, [undefined, undefined], 'durable in the spool, so done without an error');
    assert.equal(spooled, 1);
    assert.equal(spool.isEmpty(), false);
    down = false;
    add(3);
    await writer.flush();
    assert.deepEqual(results, [undefined, undefined, undefined]);
    assert.equal(inserts.length, 0, 'behind the spooled batches, not around them');
    for (let seq = 4; seq <= 12; seq++) add(seq);
    await writer.flush();
    assert.equal(results.at(-1), 'LW_ERR_SPOOL_FULL', 'past the budget nothing is acked');
    await writer.close();
    await spool.close();
  } finally {
    temp.remove();
  }
});
