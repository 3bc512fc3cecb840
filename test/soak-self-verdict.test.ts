import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgeCollectorRss } from '../bench/soak-self/rss-verdict';
import { parseSchedule } from '../bench/soak-self/schedule';
import type { CollectorLifetime } from '../bench/soak-self/collector-process';
import { createSeededRandom } from '../support/seeded-random';

const MB = 1024 * 1024;

/** A collector lifetime sampled once a second: a warm-up rise, then `level(t)` with allocator noise. */
function lifetime(startedAt: number, minutes: number, level: (sinceStartMs: number) => number, seed: number): CollectorLifetime {
  const random = createSeededRandom(seed);
  const rss = [];
  for (let s = 0; s < minutes * 60; s++) {
    const warm = Math.min(1, s / 30);
    rss.push({ t: startedAt + s * 1000, v: Math.round(warm * level(s * 1000) + (1 - warm) * 150 * MB + random() * 4 * MB) });
  }
  return { pid: 1000 + seed, startedAt, stoppedAt: startedAt + minutes * 60_000, rss };
}

test('a collector whose RSS levels off in every lifetime is no-leak', () => {
  const lifetimes = [0, 1, 2].map((i) => lifetime(i * 20 * 60_000, 20, () => 300 * MB, i + 1));
  const verdict = judgeCollectorRss(lifetimes);
  assert.equal(verdict.verdict, 'no-leak');
  assert.equal(verdict.lifetimes.length, 3);
  for (const l of verdict.lifetimes) assert.ok(l.result.points >= 10, `${l.result.points} points`);
});

test('growth inside each lifetime is a leak even though every restart gives the memory back', () => {
  // 60 MB per 20-minute lifetime, starting over at each restart: no trend across the whole soak.
  const lifetimes = [0, 1, 2].map((i) => lifetime(i * 20 * 60_000, 20, (t) => 300 * MB + (t / 60_000) * 3 * MB, i + 10));
  const verdict = judgeCollectorRss(lifetimes);
  assert.equal(verdict.verdict, 'leak');
  assert.ok(verdict.lifetimes.every((l) => l.result.verdict === 'leak'));
  assert.ok(verdict.lifetimes[0]!.result.slopeBytesPerHour > 100 * MB);
});

test('a lifetime too short to judge after its warm-up is inconclusive, not no-leak', () => {
  const verdict = judgeCollectorRss([lifetime(0, 1, () => 300 * MB, 7)]);
  assert.equal(verdict.verdict, 'inconclusive');
});

test('the schedule scales with --duration and each part can be set', () => {
  assert.deepEqual(parseSchedule([]), { durationMs: 7_200_000, restartEveryMs: 1_200_000, snapshotEveryMs: 1_800_000, probes: 50, app: 'samples/healthy-churn-server.js', appEnv: {} });
  assert.deepEqual(parseSchedule(['--app-env', 'LEAKWATCH_ALLOC_SAMPLING=0']).appEnv, { LEAKWATCH_ALLOC_SAMPLING: '0' });
  const short = parseSchedule(['--duration', '12m']);
  assert.equal(short.restartEveryMs, 120_000);
  assert.equal(short.snapshotEveryMs, 180_000);
  assert.equal(parseSchedule(['--duration=12m', '--restart-every', '5m']).restartEveryMs, 300_000);
  assert.throws(() => parseSchedule(['--bogus']), /unknown argument/);
});
