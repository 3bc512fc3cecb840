import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createBatchWriter, type WriterEntry } from '../src/collector/batch-writer';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import type { SampleRow } from '../src/store/store-interface';
import { auditDelivery } from './helpers/delivery-audit';
import { useEmbeddedStore } from './helpers/embedded-store';
import { connectRawProbe, sampleAt } from './helpers/raw-probe';
import { waitFor } from './helpers/wait-for';

/*
 * One probe's bad batch must not fail anyone else's: against the real engine, a value it cannot
 * parse (1e30 into a UInt64 column) travels in the same merged insert as good rows from others.
 */
const fixture = useEmbeddedStore({ inspector: true });
const log = createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent');

function sample(run: string, seq: number, heapUsed = 1e7): SampleRow {
  return { ...(sampleAt(Date.now() - 60_000 + seq) as unknown as SampleRow), run, boot: `${run}-boot`, seq, heapUsed };
}

async function storedSeqs(run: string): Promise<number[]> {
  const rows = await fixture.inspector.client.query({ query: `SELECT seq FROM ${fixture.ctx.tables.samples} FINAL WHERE run_id = {run:String} ORDER BY seq`, query_params: { run }, format: 'JSONEachRow' });
  return (await rows.json<{ seq: string | number }>()).map((r) => Number(r.seq));
}

test('the writer splits a failed merged insert per sender: the bad sender is refused, every other sender is stored', async () => {
  const writer = createBatchWriter({ store: fixture.store, flushIntervalMs: 60_000, log });
  const outcome = new Map<string, (string | undefined)[]>();
  const add = (run: string, seq: number, heapUsed?: number) => {
    const entry: WriterEntry = {
      rows: { samples: [sample(run, seq, heapUsed)], spaces: [], gcs: [] },
      sender: `${run}/${run}-boot`,
      done: (err) => outcome.set(run, [...(outcome.get(run) ?? []), (err as { code?: string } | undefined)?.code]),
    };
    writer.add(entry);
  };
  add('w-good-1', 1);
  add('w-bad', 1, 1e30);
  add('w-good-2', 1);
  add('w-good-1', 2);
  add('w-bad', 2);
  await writer.flush();
  assert.deepEqual(outcome.get('w-good-1'), [undefined, undefined]);
  assert.deepEqual(outcome.get('w-good-2'), [undefined]);
  assert.deepEqual(outcome.get('w-bad'), ['LW_ERR_BAD_DATA', 'LW_ERR_BAD_DATA'], 'every entry of the bad sender in that flush is refused');
  assert.deepEqual(await storedSeqs('w-good-1'), [1, 2]);
  assert.deepEqual(await storedSeqs('w-good-2'), [1]);
  assert.deepEqual(await storedSeqs('w-bad'), []);
  // A lone sender whose values the engine cannot parse is refused too (nobody else to compare with).
  add('w-alone', 1, 1e30);
  await writer.flush();
  assert.deepEqual(outcome.get('w-alone'), ['LW_ERR_BAD_DATA']);
  await writer.close();
});

let collector: Collector | undefined;
after(async () => {
  await collector?.close();
});

test('through the collector: the probe with a bad batch is closed (nothing of it acked), the others are acked and stored', { timeout: 60_000 }, async () => {
  collector = await startCollector({ store: fixture.store, port: 0, log, flushIntervalMs: 300 });
  const ingest = `${collector.url.replace('http', 'ws')}/ingest`;
  const good = await Promise.all(['c-good-1', 'c-good-2', 'c-good-3'].map((run) => connectRawProbe(ingest, run)));
  const bad = await connectRawProbe(ingest, 'c-bad');
  const badClosed = new Promise<{ code: number; reason: string }>((resolve) => bad.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  for (const run of ['c-good-1', 'c-good-2', 'c-good-3', 'c-bad']) await waitFor(`run ${run} to exist`, () => fixture.store.getRun(run));
  // Interleaved, so the bad batch shares merged inserts with the good ones.
  // One sample per batch at its own time (the samples' key is the time, as a real probe's are).
  const t0 = Date.now() - 60_000;
  const batchOf = (seq: number, heapUsed = 1e7) => ({ type: 'batch', samples: [sampleAt(t0 + seq * 100, heapUsed)], spaces: [], gcs: [] });
  for (let round = 1; round <= 5; round++) {
    for (const probe of good) probe.send(batchOf(round));
    if (bad.ws.readyState === bad.ws.OPEN) bad.send(batchOf(round, round === 2 ? 1e30 : 1e7));
  }
  const closed = await badClosed;
  // 4415 once the store refuses it; a collector that checks ranges at decode refuses it sooner (4406).
  assert.ok(closed.code === 4415 || closed.code === 4406, `bad probe closed with ${closed.code} ${closed.reason}`);
  if (closed.code === 4415) assert.match(closed.reason, /LW_ERR_BAD_DATA/);
  assert.ok(!bad.acks.some((a) => a.seq >= 2), `nothing from the bad batch on is acked (${JSON.stringify(bad.acks)})`);
  for (const probe of good) {
    await probe.waitForAck(5, 30_000);
    const audit = await auditDelivery(fixture.ctx, { run: probe.run, boot: probe.boot, lastSeq: 5 });
    assert.ok(audit.ok, JSON.stringify(audit));
    assert.equal(probe.ws.readyState, probe.ws.OPEN, 'the good probes stay connected');
  }
  assert.ok(!(await storedSeqs('c-bad')).includes(2));
  await Promise.all(good.map((p) => p.close()));
});
