import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricName } from '../src/store/store-interface';
import { anHourAgo, HOUR, SECOND, useEmbeddedStore } from './helpers/embedded-store';
import { hasCode } from './helpers/error-code';
import { makeHello, makeSample } from './helpers/store-fixtures';

/*
 * Runs against the real ClickHouse engine (chdb) in a fresh temporary directory. chDB binds one
 * data directory per process, so this file uses exactly one, opened in `before` and closed in
 * `after`. Timestamps are near the current time because rows older than the retention are
 * removed by TTL.
 *
 * This file: runs (round trip, status, end).
 */


describe('store (embedded ClickHouse): runs', () => {
  const db = useEmbeddedStore();
  /** A whole second, an hour ago: every synthetic series starts from here. */
  const base = anHourAgo();

  test('runs and samples round-trip, hostile strings intact', async () => {
    const labels = { team: "o'brien", path: 'C:\\temp\\x', sql: "'; DROP TABLE runs; --", quote: '"{}"', unicode: 'ünï 🚀' };
    const hello = makeHello('rt-1', {
      name: "it's \"quoted\" \\ name",
      labels,
      argv: ['node', '--eval', "console.log('\\n')", '{x:String}'],
      startedAt: base,
      pid: 31337,
      host: 'host-a',
      node: 'v20.20.2',
    });
    await db.store.upsertRun(hello);
    await db.store.upsertRun(makeHello('rt-2', { startedAt: base + 5 * SECOND }));
    const samples = [0, 1, 2].map((i) => makeSample('rt-1', base + i * SECOND, 1000 + i));
    await db.store.insertRows({ samples, spaces: [], gcs: [] });

    const run = await db.store.getRun('rt-1', base + 3 * SECOND);
    assert.deepEqual(run, {
      id: 'rt-1',
      name: hello.name,
      labels,
      host: 'host-a',
      pid: 31337,
      nodeVersion: 'v20.20.2',
      argv: hello.argv,
      startedAt: base,
      endedAt: null,
      exitCode: null,
      intervalMs: 1000,
      sampleCount: 3,
      firstSampleAt: base,
      lastSampleAt: base + 2 * SECOND,
      latestHeapUsed: 1002,
      status: 'live',
    });
    assert.equal(await db.store.getRun('no-such-run'), null);

    const runs = await db.store.listRuns(base + 3 * SECOND);
    const ids = runs.map((r) => r.id);
    assert.ok(ids.indexOf('rt-2') < ids.indexOf('rt-1'), 'newest first');
    assert.deepEqual(
      runs.find((r) => r.id === 'rt-1'),
      run,
    );
    const empty = runs.find((r) => r.id === 'rt-2');
    assert.equal(empty?.sampleCount, 0);
    assert.equal(empty?.firstSampleAt, null);
    assert.equal(empty?.latestHeapUsed, null);

    // Every metric column is stored and read back under its own name.
    const allMetrics = Object.keys(samples[0]!).filter((k) => !['run', 'boot', 'seq', 'ts'].includes(k)) as MetricName[];
    const series = await db.store.querySeries('rt-1', allMetrics, { points: 10 });
    for (const metric of allMetrics) {
      assert.deepEqual(series.series[metric]?.avg, samples.map((s) => s[metric]), metric);
    }

    // A repeated hello (a reconnecting probe) keeps one run.
    await db.store.upsertRun(hello);
    assert.equal((await db.store.listRuns()).filter((r) => r.id === 'rt-1').length, 1);
  });

  test('status: live, lost and ended against an injected now', async () => {
    const run = 'status';
    await db.store.upsertRun(makeHello(run, { startedAt: base, intervalMs: 1000 }));
    const status = async (now: number) => (await db.store.getRun(run, now))?.status;
    // No samples yet: measured from the start.
    assert.equal(await status(base + 10 * SECOND), 'live');
    assert.equal(await status(base + 10 * SECOND + 1), 'lost');

    const last = base + 20 * SECOND;
    await db.store.insertRows({ samples: [makeSample(run, base + 10 * SECOND, 1), makeSample(run, last, 2)], spaces: [], gcs: [] });
    // Window is max(3 x 1 s, 10 s) = 10 s after the last sample.
    assert.equal(await status(last + 5 * SECOND), 'live');
    assert.equal(await status(last + 10 * SECOND), 'live');
    assert.equal(await status(last + 10 * SECOND + 1), 'lost');
    assert.equal((await db.store.listRuns(last + HOUR)).find((r) => r.id === run)?.status, 'lost');

    // A slow probe (10 s interval) gets three intervals.
    await db.store.upsertRun(makeHello(run, { startedAt: base, intervalMs: 10 * SECOND }));
    assert.equal(await status(last + 30 * SECOND), 'live');
    assert.equal(await status(last + 30 * SECOND + 1), 'lost');

    await db.store.endRun(run, last + SECOND, null);
    assert.equal(await status(last + HOUR), 'ended');
    assert.equal(await status(last + SECOND), 'ended');
  });

  test('endRun keeps the hello fields, and works for an unknown run', async () => {
    const run = 'ending';
    const hello = makeHello(run, { startedAt: base, name: 'to be ended', labels: { env: 'ci' } });
    await db.store.upsertRun(hello);
    await db.store.endRun(run, base + HOUR, 3);
    const ended = await db.store.getRun(run);
    assert.equal(ended?.status, 'ended');
    assert.equal(ended?.endedAt, base + HOUR);
    assert.equal(ended?.exitCode, 3);
    assert.equal(ended?.name, 'to be ended');
    assert.deepEqual(ended?.labels, { env: 'ci' });
    assert.equal(ended?.startedAt, base);

    // A later end that does not know the exit code (a probe's bye) does not erase it;
    // a late hello from a reconnecting probe does not revive the run.
    await db.store.endRun(run, base + HOUR + SECOND, null);
    await db.store.upsertRun({ ...hello, name: 'renamed' });
    const after = await db.store.getRun(run);
    assert.deepEqual([after?.status, after?.endedAt, after?.exitCode, after?.name], ['ended', base + HOUR, 3, 'renamed']);

    await db.store.endRun('never-said-hello', base, 0);
    const minimal = await db.store.getRun('never-said-hello');
    assert.equal(minimal?.status, 'ended');
    assert.equal(minimal?.endedAt, base);
    assert.equal(minimal?.exitCode, 0);
    assert.equal(minimal?.sampleCount, 0);

    await assert.rejects(async () => db.store.endRun(run, Number.NaN, 0), hasCode('LW_ERR_BAD_REQUEST'));
  });
});
