import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judgeProcesses, runProcessVerdict } from '../src/collector/process-verdicts';
import type { HelloMessage } from '../src/protocol/messages';
import type { GcRow, SampleRow } from '../src/store/store-interface';
import { anHourAgo, SECOND, useEmbeddedStore } from './helpers/embedded-store';
import { hasCode } from './helpers/error-code';
import { makeHello, makeSample } from './helpers/store-fixtures';

/*
 * The processes table (migration 6) and the per-process reads over the real engine (chdb): rows
 * written at hello and at bye, the boot filter of the series queries, and the run's verdict as
 * the worst non-launcher process's.
 */

const MB = 1024 * 1024;

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 31) - 1;
}

/**
 * 50 minutes of one boot sampled every 10 s, a major GC each sample; its floor grows by
 * `mbPerHour`, and its RSS by `rssMbPerHour` more (default: none beyond the heap).
 */
function series(run: string, boot: string, base: number, mbPerHour: number, seed: number, rssMbPerHour = 0): { samples: SampleRow[]; gcs: GcRow[] } {
  const rand = noise(seed);
  const samples: SampleRow[] = [];
  const gcs: GcRow[] = [];
  for (let i = 0; i < 300; i++) {
    const ts = base + i * 10 * SECOND;
    const floor = Math.round(40 * MB + (mbPerHour * MB * (i * 10)) / 3600 + 0.2 * MB * rand());
    const sample = makeSample(run, ts, floor + 5 * MB, { boot, seq: i + 1 });
    // Off-heap and RSS follow the heap floor: the leaking process leaks on the heap only.
    samples.push({ ...sample, external: 2 * MB, rss: floor + 100 * MB + Math.round((rssMbPerHour * MB * (i * 10)) / 3600) });
    gcs.push({ run, boot, seq: i + 1, idx: 0, ts, kind: 'major', durationMs: 3, heapUsedAfter: floor, weight: 1 });
  }
  return { samples, gcs };
}

function hello(run: string, boot: string, fields: Partial<HelloMessage>): HelloMessage {
  return makeHello(run, { boot, ...fields });
}

describe('processes (embedded ClickHouse): one series per process', () => {
  const db = useEmbeddedStore();
  const base = anHourAgo();

  test('a hello writes the process row, a bye its end; a late hello keeps the end; workers make their parent a primary', async () => {
    const run = 'rows';
    await db.store.upsertRun(hello(run, 'primary-boot', { pid: 100, ppid: 10, role: 'process', argv: ['/srv/app/server.js'], startedAt: base }));
    await db.store.upsertRun(hello(run, 'w1', { pid: 101, ppid: 100, role: 'worker', roleIndex: 1, argv: ['/srv/app/server.js'], startedAt: base + 1000 }));
    await db.store.upsertRun(hello(run, 't3', { pid: 101, ppid: 100, threadId: 3, role: 'thread', roleIndex: 3, argv: [], startedAt: base + 2000 }));
    // An older probe's hello has none of the identity fields.
    await db.store.upsertRun(makeHello(run, { boot: 'legacy', pid: 200, startedAt: base + 3000 }));
    await db.store.endProcess(run, 'w1', base + 60_000);
    await db.store.upsertRun(hello(run, 'w1', { pid: 101, ppid: 100, role: 'worker', roleIndex: 1, argv: ['/srv/app/server.js'], startedAt: base + 1000 }));
    await db.store.endProcess(run, 'w1', base + 90_000);

    const processes = await db.store.listProcesses(run);
    assert.deepEqual(
      processes.map((p) => [p.boot, p.pid, p.ppid, p.threadId, p.role, p.roleIndex, p.endedAt]),
      [
        ['primary-boot', 100, 10, 0, 'primary', 0, null],
        ['w1', 101, 100, 0, 'worker', 1, base + 60_000],
        ['t3', 101, 100, 3, 'thread', 3, null],
        ['legacy', 200, 0, 0, 'process', 0, null],
      ],
    );
    assert.deepEqual(processes[0].argv, ['/srv/app/server.js']);
    assert.deepEqual(await db.store.listProcesses('no-such-run'), []);
  });

  test('series, GC and spaces queries take one boot; without it they read every process together', async () => {
    const run = 'filter';
    await db.store.upsertRun(hello(run, 'a', { pid: 1, startedAt: base }));
    await db.store.upsertRun(hello(run, 'b', { pid: 2, startedAt: base }));
    const a = series(run, 'a', base, 0, 1);
    const b = series(run, 'b', base + 5 * SECOND, 0, 2);
    const big = b.samples.map((s) => ({ ...s, heapUsed: s.heapUsed + 500 * MB }));
    await db.store.insertRows({ samples: [...a.samples, ...big], spaces: [], gcs: [...a.gcs, ...b.gcs] });

    const onlyA = await db.store.querySeries(run, ['heapUsed'], { points: 10, boot: 'a' });
    const onlyB = await db.store.querySeries(run, ['heapUsed'], { points: 10, boot: 'b' });
    const both = await db.store.querySeries(run, ['heapUsed'], { points: 10 });
    assert.ok(Math.max(...onlyA.series.heapUsed!.max) < 100 * MB, 'boot a has no sample of boot b');
    assert.ok(Math.min(...onlyB.series.heapUsed!.min) > 500 * MB, 'boot b has no sample of boot a');
    assert.ok(Math.min(...both.series.heapUsed!.min) < 100 * MB && Math.max(...both.series.heapUsed!.max) > 500 * MB);
    // The default range is the boot's own: b started 5 s later.
    assert.equal(onlyB.from, base + 5 * SECOND);
    assert.equal(onlyA.from, base);
    const gcA = await db.store.queryGc(run, { points: 10, boot: 'a' });
    assert.equal(gcA.totals.count, 300);
    assert.equal((await db.store.queryGc(run, { points: 10 })).totals.count, 600);
    assert.equal((await db.store.querySeries(run, ['heapUsed'], { points: 10, boot: 'nobody' })).t.length, 0);
    await assert.rejects(db.store.querySeries(run, ['heapUsed'], { points: 10, boot: '' }), hasCode('LW_ERR_BAD_REQUEST'));
    const counts = await db.store.bootSamples(run);
    assert.deepEqual([counts.get('a')?.sampleCount, counts.get('b')?.sampleCount], [300, 300]);
  });

  test('the run verdict is the worst non-launcher process, named; the launcher is not judged', async () => {
    const run = 'judged';
    const argv = ['/srv/app/pool.js'];
    await db.store.upsertRun(hello(run, 'npm', { pid: 10, ppid: 1, role: 'launcher', argv: ['/usr/bin/npm', 'start'], startedAt: base }));
    await db.store.upsertRun(hello(run, 'main', { pid: 11, ppid: 10, role: 'process', argv, startedAt: base }));
    await db.store.upsertRun(hello(run, 't1', { pid: 11, ppid: 10, threadId: 1, role: 'thread', roleIndex: 1, argv: [], startedAt: base }));
    await db.store.upsertRun(hello(run, 't2', { pid: 11, ppid: 10, threadId: 2, role: 'thread', roleIndex: 2, argv: [], startedAt: base }));
    // npm's own heap "grows" steeply: if it were judged, it would be the leak. RSS is the
    // process's, so every thread of pid 11 sees t2's growth in it: not a leak of theirs.
    for (const [boot, slope, seed, rss] of [['npm', 200, 3, 0], ['main', 0, 4, 120], ['t1', 0, 5, 120], ['t2', 30, 6, 0]] as const) {
      const s = series(run, boot, base, slope, seed, rss);
      await db.store.insertRows({ samples: s.samples, spaces: [], gcs: s.gcs });
    }

    const { judged, worst } = await judgeProcesses(db.store, run, {});
    assert.deepEqual(
      judged.map((j) => [j.process.boot, j.result?.verdict ?? null]),
      [['npm', null], ['main', 'no-leak'], ['t1', 'no-leak'], ['t2', 'leak']],
    );
    assert.equal(worst?.process.boot, 't2');
    // A thread's label borrows its process's command line.
    assert.equal(worst?.process.label, 'thread 2 (pid 11, node pool.js)');

    const verdict = await runProcessVerdict(db.store, run, {});
    assert.equal(verdict.verdict, 'leak');
    assert.equal(verdict.process?.boot, 't2');
    assert.equal(verdict.reasons[0], 'leak in thread 2 (pid 11, node pool.js)');
    const floor = verdict.signals.find((s) => s.signal === 'heap floor');
    assert.ok(floor && floor.slopeBytesPerHour > 20 * MB && floor.slopeBytesPerHour < 40 * MB, `t2's own floor slope: ${floor?.slopeBytesPerHour}`);

    const one = await runProcessVerdict(db.store, run, {}, 'main');
    assert.equal(one.verdict, 'no-leak');
    assert.equal(one.process?.label, 'process (pid 11, node pool.js)');
    await assert.rejects(runProcessVerdict(db.store, run, {}, 'nope'), hasCode('LW_ERR_NOT_FOUND'));
  });

  test('a run with one process reads as it always did: no naming reason, RSS beyond the heap judged', async () => {
    const run = 'single';
    await db.store.upsertRun(hello(run, 'only', { pid: 5, argv: ['/srv/app/server.js'], startedAt: base }));
    const s = series(run, 'only', base, 0, 7, 120);
    await db.store.insertRows({ samples: s.samples, spaces: [], gcs: s.gcs });
    const verdict = await runProcessVerdict(db.store, run, {});
    assert.equal(verdict.verdict, 'leak');
    assert.equal(verdict.process?.boot, 'only');
    assert.deepEqual(verdict.signals.filter((x) => x.verdict === 'leak').map((x) => x.signal), ['RSS beyond the heap']);
    assert.ok(!verdict.reasons.some((r) => r.startsWith('leak in ')), verdict.reasons.join('; '));
  });
});
