import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ApiErrorBody, VerdictBody } from '../src/api/http-contract';
import type { SeriesResult } from '../src/store/store-interface';
import { runChecked, writeClusterApp, writePoolApp } from './helpers/process-apps';
import { getJson } from './helpers/wait-for';
import { makeTempDir } from './helpers/temp-dir';

/*
 * Each isolate is its own series: a cluster primary and its two workers are three processes, a
 * worker_threads pool is its main thread and three threads, each with a probe sampling its own
 * heap. Only one worker leaks in each: the verdict is that worker's and names it.
 */
const tmp = makeTempDir('processes-cluster');
after(() => tmp.remove());
/** How long each app runs before it ends by itself: long enough for a verdict past a 5 s warm-up. */
const APP_S = 35;

test('cluster with two workers: a primary and two worker series; the leaking worker 2 is named', { timeout: 100_000 }, async () => {
  const file = writeClusterApp(tmp.dir, APP_S * 1000);
  const run = await runChecked(tmp.dir, 'cluster', [process.execPath, '--expose-gc', file], {
    appS: APP_S,
    ready: (p) => p.processes.filter((q) => q.role === 'worker' && q.sampleCount > 0).length === 2 && p.processes.some((q) => q.role === 'primary'),
  });
  const { processes } = run.processes;
  const primary = processes.find((p) => p.role === 'primary');
  const workers = processes.filter((p) => p.role === 'worker').sort((a, b) => a.roleIndex - b.roleIndex);
  assert.ok(primary, JSON.stringify(processes));
  assert.equal(processes.length, 3, JSON.stringify(processes));
  assert.deepEqual(workers.map((w) => w.roleIndex), [1, 2]);
  for (const w of workers) {
    assert.equal(w.ppid, primary.pid, 'a worker is its primary\'s child');
    assert.notEqual(w.pid, primary.pid);
    assert.equal(w.label, `worker ${w.roleIndex} (pid ${w.pid}, node cluster-server.js)`);
  }
  // Each series is the worker's own heap: only worker 2 keeps what it makes.
  const two = workers[1];
  const one = workers[0];
  assert.ok((two.latestHeapUsed ?? 0) > (one.latestHeapUsed ?? 0), `worker 2 ${two.latestHeapUsed} > worker 1 ${one.latestHeapUsed}`);
  assert.notEqual(one.verdict, 'leak', JSON.stringify(one));

  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(run.verdict.verdict, 'leak');
  assert.equal(run.verdict.process?.boot, two.boot);
  assert.equal(run.verdict.reasons[0], `leak in worker 2 (pid ${two.pid}, node cluster-server.js)`);
});

test('worker_threads pool where one worker leaks: each thread is a series, the verdict names that thread', { timeout: 100_000 }, async () => {
  const file = writePoolApp(tmp.dir, APP_S * 1000);
  let liveLeader = -1;
  const run = await runChecked(tmp.dir, 'pool', [process.execPath, '--expose-gc', file], {
    appS: APP_S,
    ready: (p) => p.processes.filter((q) => q.role === 'thread' && q.sampleCount > 0).length === 3,
    live: async (api, body) => {
      // The series and verdict routes take one process: the leaking thread's heap is its own.
      const threads = body.processes.filter((p) => p.role === 'thread');
      const heaps = await Promise.all(threads.map(async (t) => {
        const { status, body: series } = await getJson<SeriesResult>(`${api}/series?metrics=heapUsed&points=50&boot=${t.boot}`);
        assert.equal(status, 200);
        return { t, max: Math.max(...series.series.heapUsed!.max) };
      }));
      heaps.sort((a, b) => b.max - a.max);
      liveLeader = heaps[0].t.threadId;
      const one = await getJson<VerdictBody>(`${api}/verdict?boot=${heaps[1].t.boot}&warmup=5s&minDuration=15s&maxSlope=1MB/h`);
      assert.equal(one.status, 200);
      assert.equal(one.body.process?.boot, heaps[1].t.boot);
      assert.equal(one.body.process?.label, heaps[1].t.label);
      const bad = await getJson<ApiErrorBody>(`${api}/series?metrics=heapUsed&boot=${encodeURIComponent('no such boot!')}`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'LW_ERR_BAD_REQUEST');
      const unknown = await getJson<ApiErrorBody>(`${api}/verdict?boot=nobody`);
      assert.equal(unknown.status, 404);
    },
  });
  const leaking = Number(/leaking thread (\d+)/.exec(run.stdout)?.[1]);
  assert.ok(leaking > 0, run.stdout);
  const { processes } = run.processes;
  const main = processes.find((p) => p.role === 'process');
  const threads = processes.filter((p) => p.role === 'thread');
  assert.ok(main, JSON.stringify(processes));
  assert.equal(threads.length, 3, JSON.stringify(processes));
  for (const t of threads) {
    assert.equal(t.pid, main.pid, 'threads share their process');
    assert.equal(t.roleIndex, t.threadId);
    assert.notEqual(t.boot, main.boot);
    assert.equal(t.label, `thread ${t.threadId} (pid ${main.pid}, node pool.js)`);
  }
  const culprit = threads.find((t) => t.threadId === leaking)!;
  assert.equal(liveLeader, leaking, 'the series of the leaking thread alone has the largest heap');
  for (const t of threads.filter((q) => q !== culprit)) {
    assert.notEqual(t.verdict, 'leak', JSON.stringify(t));
    // v8 heap statistics are the thread's own isolate's: the leaking thread's heap is the largest.
    assert.ok((culprit.latestHeapUsed ?? 0) > (t.latestHeapUsed ?? 0), `thread ${leaking} ${culprit.latestHeapUsed} > thread ${t.threadId} ${t.latestHeapUsed}`);
  }

  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(run.verdict.verdict, 'leak');
  assert.equal(run.verdict.process?.boot, culprit.boot);
  assert.equal(run.verdict.reasons[0], `leak in thread ${leaking} (pid ${main.pid}, node pool.js)`);
});
