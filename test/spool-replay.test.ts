import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createSpool, createSpoolReplayer, type SpoolRecord } from '../src/collector/spool';
import { createLogger } from '../src/shared/log';
import type { AllocSiteRow, RowBatch } from '../src/store/store-interface';
import { auditDelivery } from './helpers/delivery-audit';
import { anHourAgo, SECOND, useEmbeddedStore } from './helpers/embedded-store';
import { makeGc, makeHello, makeSample, makeSpace } from './helpers/store-fixtures';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The spool's replay into the real engine. The hard case is a crash after a record was stored
 * but before its segment was deleted: the next start replays it again. That must not show up
 * anywhere: every read of the store answers exactly as after one replay.
 */
const db = useEmbeddedStore({ inspector: true });
const temp = makeTempDir('spool-replay');
after(() => temp.remove());
const log = createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent');
const base = anHourAgo();

function batchOf(run: string, seq: number): RowBatch {
  const ts = base + seq * SECOND;
  const site: AllocSiteRow = { run, boot: 'boot-1', seq, at: ts, startedAt: base, siteId: 'site-a', frames: [{ fn: 'grow', url: 'file:///app.js', line: 3, col: 7 }], liveBytes: 1000 * seq, samples: seq, siteCount: 1, intervalBytes: 524_288, stackDepth: 1 };
  return {
    samples: [{ ...makeSample(run, ts, 1000 + seq), seq }],
    spaces: [makeSpace(run, ts, 'old_space', 100 + seq, seq)],
    gcs: [makeGc(run, ts, 0, 'major', 2, 900 + seq, seq)],
    // Every fifth message an allocation profile: one site and the remainder row.
    allocSites: seq % 5 === 0 ? [site, { ...site, siteId: '', frames: [], liveBytes: 10, samples: 1, siteCount: 4 }] : [],
  };
}

/** Every read the API and the CLI make of a run's rows. */
async function everyRead(run: string) {
  return {
    runs: (await db.store.listRuns()).filter((r) => r.id === run),
    run: await db.store.getRun(run),
    last: await db.store.lastSampleOfBoot(run, 'boot-1'),
    series: await db.store.querySeries(run, ['heapUsed', 'rss', 'elP99Ms'], { points: 7 }),
    fine: await db.store.querySeries(run, ['heapUsed'], { points: 5000 }),
    spaces: await db.store.querySpaces(run, { points: 7 }),
    gc: await db.store.queryGc(run, { points: 7 }),
    alloc: await db.store.queryAllocSites(run),
  };
}

test('a segment replayed twice (crash between insert and delete) leaves every read as after one replay', { timeout: 60_000 }, async () => {
  const run = 'replayed-twice';
  const dir = path.join(temp.dir, 'spool');
  await db.store.upsertRun(makeHello(run, { startedAt: base }));
  const spool = createSpool({ dir, budgetBytes: 1 << 24, segmentBytes: 4096, log });
  await spool.open();
  const records: SpoolRecord[] = Array.from({ length: 30 }, (_, i) => ({ sender: `${run}/boot-1`, rows: batchOf(run, i + 1) }));
  for (let i = 0; i < records.length; i += 3) await spool.append(records.slice(i, i + 3));
  await spool.close();
  // What a crash right after the inserts, before the deletes, would leave behind.
  const copy = path.join(temp.dir, 'copy');
  fs.cpSync(dir, copy, { recursive: true });

  const first = createSpool({ dir, budgetBytes: 1 << 24, log });
  await first.open();
  const replayer = createSpoolReplayer({ spool: first, store: db.store, log, baseDelayMs: 50, maxDelayMs: 200 });
  await replayer.idle();
  assert.equal(replayer.stats().replayedRecords, 30);
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.lws')), [], 'replayed segments are deleted');
  await first.close();
  const once = await everyRead(run);
  assert.equal(once.run?.sampleCount, 30);
  assert.equal(once.gc.totals.count, 30);
  assert.equal(once.alloc[0]?.profiles.length, 6);
  assert.equal(once.alloc[0]?.sites[0]?.t.length, 6);

  const again = createSpool({ dir: copy, budgetBytes: 1 << 24, log });
  await again.open();
  const second = createSpoolReplayer({ spool: again, store: db.store, log });
  await second.idle();
  assert.equal(second.stats().replayedRecords, 30);
  await again.close();
  assert.deepEqual(await everyRead(run), once);
  const audit = await auditDelivery(db.ctx, { run, boot: 'boot-1', lastSeq: 30 });
  assert.ok(audit.ok && audit.stored === 30, JSON.stringify(audit));
});

test('replay inserts many records at once; a record the answering store refuses is dropped alone and counted, the rest stored', { timeout: 60_000 }, async () => {
  const run = 'replay-refused';
  const dir = path.join(temp.dir, 'refused');
  await db.store.upsertRun(makeHello(run, { startedAt: base }));
  const spool = createSpool({ dir, budgetBytes: 1 << 24, log });
  await spool.open();
  const records: SpoolRecord[] = Array.from({ length: 12 }, (_, i) => ({ sender: `${run}/boot-1`, rows: batchOf(run, i + 1) }));
  // Spooled while the store was down, so nobody could tell it was bad: 1e30 does not fit UInt64.
  records[6].rows.samples[0].heapUsed = 1e30;
  await spool.append(records);
  const lines: string[] = [];
  const replayer = createSpoolReplayer({ spool, store: db.store, log: createLogger('warn', (l) => lines.push(l)), baseDelayMs: 50, maxDelayMs: 200 });
  await replayer.idle();
  assert.deepEqual({ ...replayer.stats(), failedAttempts: undefined }, { replayedRecords: 11, refusedRecords: 1, failedAttempts: undefined });
  assert.equal(lines.filter((l) => l.includes('LW_ERR_BAD_DATA')).length, 1, lines.join('\n'));
  const audit = await auditDelivery(db.ctx, { run, boot: 'boot-1', lastSeq: 12 });
  assert.deepEqual(audit.missing, [7]);
  assert.equal(audit.duplicates.length, 0);
  await spool.close();
});
