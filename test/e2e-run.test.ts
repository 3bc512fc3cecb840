import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import type { SeriesResult } from '../src/store/store-interface';
import type { RunSummary } from '../src/shared/run-data';
import { SAMPLES, runCli, startCli } from './helpers/cli';
import { makeTempDir } from './helpers/temp-dir';
import { getJson } from './helpers/wait-for';

const temp = makeTempDir('e2e');
after(() => temp.remove());

test('leakwatch run on the leaky sample: samples reach the API while it runs; runs lists it after', { timeout: 120_000 }, async () => {
  const data = path.join(temp.dir, 'data');
  const cli = startCli(['run', '--port', '0', '--data', data, '--duration', '13s', '--name', 'e2e-leaky', '--label', 'suite=e2e', '--', process.execPath, path.join(SAMPLES, 'leaky-cache-server.js')]);
  try {
    const [, base, runId] = await cli.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
    // ~10 s of a live run
    await new Promise((resolve) => setTimeout(resolve, 10_500));
    const { status, body } = await getJson<{ run: RunSummary }>(`${base}/api/runs/${runId}`);
    assert.equal(status, 200);
    const run = body.run;
    assert.equal(run.name, 'e2e-leaky');
    assert.deepEqual(run.labels, { suite: 'e2e' });
    assert.equal(run.status, 'live');
    assert.ok(run.sampleCount >= 8, `at least 8 samples after ~10 s, got ${run.sampleCount}`);

    const series = await getJson<SeriesResult>(`${base}/api/runs/${runId}/series?metrics=heapUsed,heapTotal,rss,heapLimit&points=1000`);
    assert.equal(series.status, 200);
    const { heapUsed, heapTotal, rss, heapLimit } = series.body.series;
    assert.ok(heapUsed && heapTotal && rss && heapLimit);
    assert.ok(series.body.t.length >= 8);
    for (let i = 0; i < series.body.t.length; i++) {
      assert.ok(heapUsed.avg[i] > 1024 * 1024 && heapUsed.avg[i] < 2 * 1024 ** 3, `plausible heapUsed ${heapUsed.avg[i]}`);
      assert.ok(heapUsed.max[i] <= heapTotal.max[i], 'heapUsed <= heapTotal');
      assert.ok(rss.avg[i] >= heapUsed.avg[i], 'rss >= heapUsed');
      assert.ok(heapLimit.avg[i] > heapTotal.avg[i], 'limit above total');
    }
    assert.ok(series.body.t.every((t, i) => i === 0 || t > series.body.t[i - 1]), 'time ascends');

    const gc = await getJson<{ totals: { count: number } }>(`${base}/api/runs/${runId}/gc?points=100`);
    assert.equal(gc.status, 200);
    assert.ok(gc.body.totals.count > 0, 'GC events stored');

    const exit = await cli.exited;
    assert.equal(exit.code, 0, `leakwatch run exits with the child's code; stderr: ${cli.stderr()}`);

    const listed = await runCli(['runs', '--json', '--data', data]);
    assert.equal(listed.code, 0, listed.stderr);
    const runs = JSON.parse(listed.stdout) as RunSummary[];
    const mine = runs.find((r) => r.id === runId);
    assert.ok(mine, 'the run is listed');
    assert.equal(mine.status, 'ended');
    assert.equal(mine.exitCode, 0);
    assert.ok(mine.sampleCount >= 10, `sample count after 13 s: ${mine.sampleCount}`);
    const table = await runCli(['runs', '--data', data]);
    assert.match(table.stdout, new RegExp(`${runId}\\s+e2e-leaky\\s+ended`));
  } finally {
    cli.child.kill('SIGKILL');
  }
});

test('leakwatch run exits with the command\'s own exit code', { timeout: 60_000 }, async () => {
  const data = path.join(temp.dir, 'data-exit');
  const result = await runCli(['run', '--port', '0', '--data', data, '--', process.execPath, '-e', 'setTimeout(() => process.exit(3), 300)']);
  assert.equal(result.code, 3, result.stderr);
});

test('user errors are one line with a code and no stack', { timeout: 60_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--interval', 'often', '--', 'node', '-e', '1'], /^leakwatch: LW_ERR_CONFIG: --interval/],
    [['run', '--port', '99999', '--', 'node', '-e', '1'], /^leakwatch: LW_ERR_CONFIG: --port/],
    [['run', '--port', '0', '--data', path.join(temp.dir, 'd-nf'), '--', 'definitely-not-a-command-xyz'], /^leakwatch: LW_ERR_CHILD: command not found/],
    [['runs', '--retention-days', 'x'], /^leakwatch: LW_ERR_CONFIG: --retention-days/],
    [['frobnicate'], /^leakwatch: LW_ERR_USAGE: /],
    [['runs', '--collector', 'http://127.0.0.1:9'], /^leakwatch: LW_ERR_COLLECTOR_UNREACHABLE: /],
  ];
  for (const [args, pattern] of cases) {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 64, `${args.join(' ')} -> exit ${code}: ${stderr}`);
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${stderr}`);
  }
});

test('Ctrl-C reaches the command through leakwatch run, and the run is marked ended', { timeout: 60_000 }, async () => {
  const data = path.join(temp.dir, 'data-sigint');
  const cli = startCli(['run', '--port', '0', '--data', data, '--interval', '250ms', '--', process.execPath, path.join(SAMPLES, 'healthy-churn-server.js')]);
  try {
    const [, , runId] = await cli.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    cli.child.kill('SIGINT');
    const exit = await cli.exited;
    // The sample handles SIGINT by closing its server and exiting 0; leakwatch passes that on.
    assert.equal(exit.code, 0, cli.stderr());
    const listed = await runCli(['runs', '--json', '--data', data]);
    const run = (JSON.parse(listed.stdout) as RunSummary[]).find((r) => r.id === runId);
    assert.equal(run?.status, 'ended');
    assert.ok((run?.sampleCount ?? 0) >= 4, `samples at 250 ms: ${run?.sampleCount}`);
  } finally {
    cli.child.kill('SIGKILL');
  }
});
