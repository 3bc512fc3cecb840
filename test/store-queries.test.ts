import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { createClickhouseStore } from '../src/store/clickhouse-store';
import { toNumber } from '../src/store/to-number';
import type { MetricName, SampleRow } from '../src/store/store-interface';
import { anHourAgo, HOUR, SECOND, useEmbeddedStore } from './helpers/embedded-store';
import { hasCode } from './helpers/error-code';
import { expectedBuckets, makeGc, makeHello, makeSample, makeSpace } from './helpers/store-fixtures';
import { createQuotingClient } from './helpers/store-quoting-client';

/*
 * Runs against the real ClickHouse engine (chdb) in a fresh temporary directory. chDB binds one
 * data directory per process, so this file uses exactly one, opened in `before` and closed in
 * `after`. Timestamps are near the current time because rows older than the retention are
 * removed by TTL.
 *
 * This file: inserted rows and the queries over them (dedup, GC weights, series, spaces, GC,
 * a week of samples, numbers quoted as strings).
 */


describe('store (embedded ClickHouse): rows and queries', () => {
  const db = useEmbeddedStore({ inspector: true });
  /** A whole second, an hour ago: every synthetic series starts from here. */
  const base = anHourAgo();

  test('the same batch inserted twice changes no count and no average', async () => {
    const run = 'dup';
    await db.store.upsertRun(makeHello(run, { startedAt: base }));
    const batch = {
      samples: Array.from({ length: 20 }, (_, i) => makeSample(run, base + i * SECOND, 500 + i * 7)),
      spaces: Array.from({ length: 20 }, (_, i) => makeSpace(run, base + i * SECOND, 'old_space', 100 + i)),
      gcs: Array.from({ length: 20 }, (_, i) => makeGc(run, base + i * SECOND, 0, i % 2 ? 'major' : 'minor', 1 + i, i % 2 ? 400 + i : null)),
    };
    await db.store.insertRows(batch);
    const once = {
      run: await db.store.getRun(run),
      series: await db.store.querySeries(run, ['heapUsed', 'elP99Ms'], { points: 3 }),
      spaces: await db.store.querySpaces(run, { points: 3 }),
      gc: await db.store.queryGc(run, { points: 3 }),
    };
    await db.store.insertRows(batch);
    await db.store.insertRows({ ...batch, samples: batch.samples.slice(5, 9) }); // a partial resend
    assert.equal(once.run?.sampleCount, 20);
    assert.equal((await db.store.getRun(run))?.sampleCount, 20);
    assert.deepEqual(await db.store.querySeries(run, ['heapUsed', 'elP99Ms'], { points: 3 }), once.series);
    assert.deepEqual(await db.store.querySpaces(run, { points: 3 }), once.spaces);
    assert.deepEqual(await db.store.queryGc(run, { points: 3 }), once.gc);
    assert.equal(once.gc.totals.count, 20);
  });

  test('GC counts and pause totals are weighted sums; max pause and the floor are exact', async () => {
    const run = 'gc-weights';
    await db.store.upsertRun(makeHello(run, { startedAt: base }));
    await db.store.insertRows({
      samples: [],
      spaces: [],
      gcs: [
        makeGc(run, base + 100, 0, 'minor', 2, null, 1, 4), // stands for 4 scavenges
        makeGc(run, base + 200, 1, 'major', 10, 50_000_000, 1, 2),
        makeGc(run, base + 300, 2, 'minor', 1, null, 1, 1),
      ],
    });
    const gc = await db.store.queryGc(run, { from: base, to: base + 999, points: 1 });
    assert.deepEqual(gc.count, [7]);
    assert.deepEqual(gc.totalMs, [2 * 4 + 10 * 2 + 1]);
    assert.deepEqual(gc.maxMs, [10]);
    assert.deepEqual(gc.majorCount, [2]);
    assert.deepEqual(gc.floor, [50_000_000]);
  });

  describe('querySeries', () => {
    const run = 'series';
    // 100 samples, one a second; heapUsed grows by 10 a second with a sawtooth on top.
    const values = Array.from({ length: 100 }, (_, i) => 10_000 + i * 10 + (i % 5) * 3);
    const points = values.map((value, i) => ({ ts: base + i * SECOND, value }));

    before(async () => {
      await db.store.upsertRun(makeHello(run, { startedAt: base }));
      await db.store.insertRows({ samples: points.map((p) => makeSample(run, p.ts, p.value)), spaces: [], gcs: [] });
    });

    test('buckets fit in `points` and min/max/avg are exact', async () => {
      for (const n of [1, 7, 10, 33, 100]) {
        const result = await db.store.querySeries(run, ['heapUsed'], { points: n });
        const first = base;
        const last = base + 99 * SECOND;
        assert.equal(result.from, first);
        assert.equal(result.to, last);
        assert.equal(result.stepMs, Math.max(1, Math.ceil((last - first + 1) / n)));
        assert.ok(result.t.length <= n, `${result.t.length} buckets for points=${n}`);
        const expected = expectedBuckets(points, first, last, result.stepMs);
        assert.deepEqual(result.t, expected.t);
        assert.deepEqual(result.series.heapUsed, { min: expected.min, max: expected.max, avg: expected.avg });
      }
      const one = await db.store.querySeries(run, ['heapUsed', 'rss'], { points: 1 });
      assert.deepEqual(one.t, [base]);
      assert.deepEqual(one.series.heapUsed?.min, [Math.min(...values)]);
      assert.deepEqual(one.series.rss?.max, [Math.max(...values) * 10]);
      assert.deepEqual(Object.keys(one.series), ['heapUsed', 'rss']);
    });

    test('points is clamped to 1..5000', async () => {
      assert.equal((await db.store.querySeries(run, ['heapUsed'], { points: 0 })).t.length, 1);
      const many = await db.store.querySeries(run, ['heapUsed'], { points: 1e9 });
      assert.equal(many.stepMs, Math.ceil((99 * SECOND + 1) / 5000));
      assert.equal(many.t.length, 100);
      await assert.rejects(db.store.querySeries(run, ['heapUsed'], { points: Number.NaN }), hasCode('LW_ERR_BAD_REQUEST'));
    });

    test('unknown metrics are rejected, never sent to SQL', async () => {
      for (const bad of ['heap_used', 'heapUsed) FROM system.tables --', 'toString', '']) {
        await assert.rejects(db.store.querySeries(run, [bad as MetricName], { points: 10 }), hasCode('LW_ERR_BAD_REQUEST'));
      }
      await assert.rejects(db.store.querySeries(run, [], { points: 10 }), hasCode('LW_ERR_BAD_REQUEST'));
    });

    test('from/to restrict the range', async () => {
      const from = base + 10 * SECOND;
      const to = base + 19 * SECOND + 999;
      const result = await db.store.querySeries(run, ['heapUsed'], { from, to, points: 100 });
      assert.equal(result.from, from);
      assert.equal(result.to, to);
      assert.equal(result.stepMs, 100);
      assert.deepEqual(
        result.t,
        points.slice(10, 20).map((p) => p.ts),
      );
      assert.deepEqual(result.series.heapUsed?.avg, values.slice(10, 20));

      const onlyFrom = await db.store.querySeries(run, ['heapUsed'], { from: base + 90 * SECOND, points: 1 });
      assert.equal(onlyFrom.to, base + 99 * SECOND);
      assert.deepEqual(onlyFrom.series.heapUsed?.max, [Math.max(...values.slice(90))]);

      await assert.rejects(db.store.querySeries(run, ['heapUsed'], { from: to, to: from, points: 10 }), hasCode('LW_ERR_BAD_REQUEST'));
    });

    test('a run without samples gives empty arrays', async () => {
      const series = await db.store.querySeries('no-samples', ['heapUsed', 'rss'], { points: 10 });
      assert.deepEqual(series.t, []);
      assert.deepEqual(series.series, { heapUsed: { min: [], max: [], avg: [] }, rss: { min: [], max: [], avg: [] } });
      const spaces = await db.store.querySpaces('no-samples', { points: 10 });
      assert.deepEqual([spaces.t, spaces.spaces], [[], {}]);
      const gc = await db.store.queryGc('no-samples', { points: 10 });
      assert.deepEqual([gc.t, gc.count, gc.floor, gc.totals], [[], [], [], { count: 0, totalMs: 0, maxMs: 0 }]);
    });
  });

  test('querySpaces averages used bytes per space per bucket', async () => {
    const run = 'spaces';
    await db.store.upsertRun(makeHello(run, { startedAt: base }));
    const samples: SampleRow[] = [];
    const spaces = [];
    for (let i = 0; i < 10; i++) {
      const ts = base + i * SECOND;
      samples.push(makeSample(run, ts, 1));
      spaces.push(makeSpace(run, ts, 'new_space', 100 + i));
      if (i < 5) spaces.push(makeSpace(run, ts, 'large_object_space', 1000 * (i + 1)));
    }
    samples.push(makeSample(run, base + 9999, 1)); // the range is exactly 10 s: [base, base + 9999]
    await db.store.insertRows({ samples, spaces, gcs: [] });
    // 10 s of data in 2 buckets of 5 s: large_object_space only has rows in the first one.
    const result = await db.store.querySpaces(run, { points: 2 });
    assert.equal(result.stepMs, 5 * SECOND);
    assert.deepEqual(result.t, [base, base + 5 * SECOND]);
    assert.deepEqual(result.spaces, { large_object_space: [3000, 0], new_space: [102, 107] });
  });

  test('queryGc: counts, pauses, heap floor of major GCs and totals', async () => {
    const run = 'gc';
    await db.store.upsertRun(makeHello(run, { startedAt: base }));
    // Samples span [base, base + 9999]: two points make two buckets of exactly 5 s.
    const samples = [makeSample(run, base, 1), makeSample(run, base + 9999, 1)];
    const gcs = [
      // bucket 0 (0-4.999 s): two minors, two majors at the same millisecond (idx keeps them apart)
      makeGc(run, base + 100, 0, 'minor', 0.5, null),
      makeGc(run, base + 1500, 0, 'major', 4, 9000),
      makeGc(run, base + 1500, 1, 'major', 6, 8000),
      makeGc(run, base + 2000, 0, 'minor', 1.5, null, 2),
      // bucket 1 (5-9.999 s): minors only, so no floor
      makeGc(run, base + 6000, 0, 'minor', 2, null, 3),
      makeGc(run, base + 9999, 0, 'incremental', 8, null, 4),
    ];
    await db.store.insertRows({ samples, spaces: [], gcs });
    const result = await db.store.queryGc(run, { points: 2 });
    assert.deepEqual(
      { t: result.t, count: result.count, totalMs: result.totalMs, maxMs: result.maxMs, majorCount: result.majorCount, floor: result.floor },
      { t: [base, base + 5000], count: [4, 2], totalMs: [12, 10], maxMs: [6, 8], majorCount: [2, 0], floor: [8000, null] },
    );
    assert.deepEqual(result.totals, { count: 6, totalMs: 22, maxMs: 8 });

    const late = await db.store.queryGc(run, { from: base + 5000, to: base + 9999, points: 10 });
    assert.deepEqual(late.totals, { count: 2, totalMs: 10, maxMs: 8 });
  });

  test('a 7-day run at 1 Hz is downsampled in ClickHouse', async (t) => {
    const run = 'week';
    const count = 7 * 24 * 3600; // 604,800 samples
    const start = base - count * SECOND;
    const heapBase = 50_000_000;
    await db.store.upsertRun(makeHello(run, { startedAt: start }));

    const chunk = count / 4;
    const insertStarted = performance.now();
    for (let offset = 0; offset < count; offset += chunk) {
      const samples: SampleRow[] = [];
      for (let i = offset; i < offset + chunk; i++) samples.push(makeSample(run, start + i * SECOND, heapBase + i, { seq: Math.floor(i / 10) + 1 }));
      await db.store.insertRows({ samples, spaces: [], gcs: [] });
    }
    t.diagnostic(`insert of ${count} samples in 4 batches: ${Math.round(performance.now() - insertStarted)} ms`);

    const queryStarted = performance.now();
    const result = await db.store.querySeries(run, ['heapUsed'], { points: 1000 });
    const queryMs = performance.now() - queryStarted;
    t.diagnostic(`querySeries over 7 days with points=1000: ${queryMs.toFixed(1)} ms`);

    assert.ok(result.t.length <= 1000, `${result.t.length} buckets`);
    assert.equal(result.from, start);
    assert.equal(result.to, start + (count - 1) * SECOND);
    // heapUsed = heapBase + i for sample i, so a bucket's average is the mean of its first and
    // last index: exact in floating point.
    const firstIndex = new Map<number, number>();
    const lastIndex = new Map<number, number>();
    for (let i = 0; i < count; i++) {
      const b = Math.floor((i * SECOND) / result.stepMs);
      if (!firstIndex.has(b)) firstIndex.set(b, i);
      lastIndex.set(b, i);
    }
    const keys = [...firstIndex.keys()];
    assert.deepEqual(
      result.t,
      keys.map((b) => start + b * result.stepMs),
    );
    assert.deepEqual(
      result.series.heapUsed?.avg,
      keys.map((b) => heapBase + (firstIndex.get(b)! + lastIndex.get(b)!) / 2),
    );
    assert.deepEqual(
      result.series.heapUsed?.min,
      keys.map((b) => heapBase + firstIndex.get(b)!),
    );

    const summaryStarted = performance.now();
    const summary = await db.store.getRun(run);
    t.diagnostic(`getRun over 7 days: ${(performance.now() - summaryStarted).toFixed(1)} ms`);
    assert.equal(summary?.sampleCount, count);
    assert.equal(summary?.latestHeapUsed, heapBase + count - 1);
  });

  test('numbers quoted as strings (as a server sends them over HTTP) are normalised', async () => {
    assert.equal(toNumber('604800', 'n'), 604800);
    assert.equal(toNumber(12.5, 'n'), 12.5);
    assert.throws(() => toNumber('abc', 'n'), hasCode('LW_ERR_STORE'));
    assert.throws(() => toNumber('', 'n'), hasCode('LW_ERR_STORE'));

    const client = createQuotingClient(db.dataDir);
    try {
      const raw = await (await client.query({ query: 'SELECT count() AS n FROM system.one', format: 'JSONEachRow' })).json<{ n: unknown }>();
      assert.deepEqual(raw, [{ n: '1' }], 'this client really quotes 64-bit integers');
      const quoted = createClickhouseStore({ client, tables: db.ctx.tables }, 'quoting client');
      const now = base + 2 * HOUR;
      assert.deepEqual(await quoted.getRun('gc', now), await db.store.getRun('gc', now));
      assert.deepEqual(await quoted.listRuns(now), await db.store.listRuns(now));
      assert.deepEqual(await quoted.querySeries('series', ['heapUsed', 'nativeContexts'], { points: 7 }), await db.store.querySeries('series', ['heapUsed', 'nativeContexts'], { points: 7 }));
      assert.deepEqual(await quoted.querySpaces('spaces', { points: 2 }), await db.store.querySpaces('spaces', { points: 2 }));
      assert.deepEqual(await quoted.queryGc('gc', { points: 2 }), await db.store.queryGc('gc', { points: 2 }));
    } finally {
      await client.close();
    }
  });
});
