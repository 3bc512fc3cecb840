import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import type { VerdictBody } from '../src/api/http-contract';
import { SAMPLES, runCli } from './helpers/cli';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The two-minute CI soak as a new user types it, with nothing forcing GC but the probe's own
 * measured floor at its default schedule (at most one full GC every 10 s, within 1 % of wall
 * time): the quiet healthy sample is `no-leak`, the leaky one `leak`. Both soaks run side by side.
 */
const tmp = makeTempDir('run-check-measured');
after(() => tmp.remove());

async function soak(sample: string) {
  const report = path.join(tmp.dir, `${sample}.json`);
  const result = await runCli([
    'run', '--port', '0', '--data', path.join(tmp.dir, sample), '--duration', '120s', '--check', '--min-duration', '60s', '--warmup', '20s',
    '--no-check-snapshots', '--format', 'json', '--report', report,
    '--', process.execPath, '--unhandled-rejections=strict', path.join(SAMPLES, sample),
  ]);
  const verdict = JSON.parse(fs.readFileSync(report, 'utf8')) as VerdictBody;
  return { result, verdict, all: `${result.stdout}\n${result.stderr}` };
}

test('run --duration 120s --check: no-leak on the healthy sample and leak on the leaky one, from measured floor points', { timeout: 300_000 }, async () => {
  const [healthy, leaky] = await Promise.all([soak('healthy-churn-server.js'), soak('leaky-cache-server.js')]);
  const floorOf = (v: VerdictBody) => v.signals.find((s) => s.signal === 'heap floor')!;
  assert.equal(healthy.result.code, 0, healthy.all);
  assert.equal(healthy.verdict.verdict, 'no-leak', healthy.all);
  assert.equal(floorOf(healthy.verdict).floorSource, 'measured', healthy.all);
  assert.match(floorOf(healthy.verdict).reason, /\(floor measured at \d+ full GCs of the probe's\)$/);
  assert.equal(leaky.result.code, 1, leaky.all);
  assert.equal(leaky.verdict.verdict, 'leak', leaky.all);
  assert.equal(floorOf(leaky.verdict).floorSource, 'measured', leaky.all);
  // At the default schedule: one point per 10 s or more over the 90-odd seconds after the warm-up.
  for (const v of [healthy.verdict, leaky.verdict]) assert.ok(floorOf(v).points >= 7 && floorOf(v).points <= 10, JSON.stringify(floorOf(v)));
});
