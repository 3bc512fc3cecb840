import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { medianAndWorst, scoreAnswers } from '../bench/trend-eval/score';
import type { TrendInput } from '../src/trend/trend-model';
import { createSeededRandom } from '../support/seeded-random';
import { REPO_ROOT } from './helpers/cli';

/**
 * The trend evaluation's code, run small: its scoring rules on hand-made timelines, its report
 * on saved series (--replay), and a real run of the quiet workloads under the real probe with
 * the measured floor on, for seconds. It asserts what the report must show (the detectors'
 * rows, the new columns, measured points in the recorded series), never how good a detector is:
 * that is the evaluation's business at full length.
 */

const MAIN = path.join(REPO_ROOT, 'dist', 'bench', 'trend-eval', 'main.js');
const run = promisify(execFile);
const MB = 1024 * 1024;

/** stdout of a run that may exit 1 (the target not met is not a failure of the code). */
async function evalTrend(args: string[], timeout: number): Promise<string> {
  try {
    return (await run(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, timeout, maxBuffer: 16 * MB })).stdout;
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    assert.equal(e.code, 1, `eval:trend failed to run: ${e.stderr}`);
    return e.stdout ?? '';
  }
}

const at = (s: number, verdict: 'leak' | 'no-leak' | 'inconclusive') => ({ atMs: s * 1000, verdict });

test('scoring: errors count at every checkpoint from the first answer on, not only the last', () => {
  // A healthy run called a leak once in the middle is a false positive even if it ends right.
  assert.deepEqual(scoreAnswers('healthy', [at(30, 'inconclusive'), at(60, 'no-leak'), at(90, 'leak'), at(120, 'no-leak')]), {
    firstAnswerMs: 60_000,
    falsePositive: true,
    falseNegative: false,
    unanswered: false,
  });
  // Inconclusive before the first answer is no error; no-leak on a leaky run after it is.
  const missed = scoreAnswers('leaky', [at(30, 'inconclusive'), at(60, 'leak'), at(90, 'no-leak'), at(120, 'leak')]);
  assert.equal(missed.falseNegative, true);
  assert.equal(scoreAnswers('leaky', [at(30, 'inconclusive'), at(60, 'leak'), at(90, 'leak')]).falseNegative, false);
  // A leaky run never called a leak is a miss; a healthy one never answered is no answer.
  assert.equal(scoreAnswers('leaky', [at(30, 'inconclusive'), at(60, 'inconclusive')]).falseNegative, true);
  assert.deepEqual(scoreAnswers('healthy', [at(30, 'inconclusive')]), { firstAnswerMs: null, falsePositive: false, falseNegative: false, unanswered: true });
  assert.deepEqual(medianAndWorst([90_000, null, 30_000, 60_000]), { n: 3, median: 60_000, worst: 90_000 });
  assert.deepEqual(medianAndWorst([null]), { n: 0, median: null, worst: null });
});

/**
 * A quiet service's series as the collector returns it: samples every second (a saw-tooth over
 * the floor), V8's own full GC only at the start, measured floor points every 10 s.
 */
function quietSeries(seed: number, floorGrowthBytesPerHour: number): TrendInput {
  const random = createSeededRandom(seed);
  const t0 = 1_700_000_000_000;
  const floorAt = (s: number) => 30 * MB + (floorGrowthBytesPerHour * s) / 3600 + (random() - 0.5) * 40 * 1024;
  const samples = Array.from({ length: 241 }, (_, s) => {
    const heapUsed = floorAt(s) + (s % 40) * 0.2 * MB;
    return { ts: t0 + s * 1000, heapUsed, heapTotal: heapUsed + 8 * MB, external: 2 * MB, rss: heapUsed + 60 * MB };
  });
  const majorGcs = [{ ts: t0 + 5000, heapUsedAfter: floorAt(5) }];
  for (let s = 10; s <= 240; s += 10) majorGcs.push({ ts: t0 + s * 1000, heapUsedAfter: floorAt(s), measured: true } as (typeof majorGcs)[number]);
  return { samples, majorGcs };
}

test('eval:trend --replay: the measured floor answers on quiet series where V8s own GCs alone cannot, and the report shows it', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-eval-replay-'));
  try {
    fs.writeFileSync(path.join(dir, 'quiet-cache.json'), JSON.stringify(quietSeries(1, 0)));
    fs.writeFileSync(path.join(dir, 'quiet-leak.json'), JSON.stringify(quietSeries(2, 40 * MB)));
    const stdout = await evalTrend(['--replay', dir, '--only', 'quiet-cache,quiet-leak', '--checkpoint', '30'], 60_000);
    const row = (name: string) => stdout.split('\n').find((line) => line.startsWith(`${name} `)) ?? '';
    // Per workload: ours, ours V8 only, least squares, memwatch; then the four times.
    assert.match(row('quiet-cache'), /^quiet-cache\s+healthy\s+no-leak\s+((leak|no-leak|inconclusive)\s+){3}\d+ s\s+/, stdout);
    assert.match(row('quiet-leak'), /^quiet-leak\s+leaky\s+leak\s+((leak|no-leak|inconclusive)\s+){3}\d+ s\s+/, stdout);
    const summary = stdout.slice(stdout.indexOf('per detector:'));
    assert.match(summary, /detector\s+correct\s+median t\s+worst t\s+FP\s+FN\s+no answer\s+errors/);
    // Both reached with the measured floor (a 40 MB/h leak is still within the 1 MB materiality at
    // its first checkpoints, which may count as an early miss: the error columns say so).
    assert.match(summary, /\nours\s+2\/2\s+\d+ s\s+\d+ s\s+0\s+\d\s+0\s+\d\n/, summary);
    assert.match(summary, /\nours, V8 GCs only\s+\d\/2 /, summary);
    assert.match(stdout, /the errors, per detector: .*\n  ours: (none|quiet-leak no-leak at \d+ s(, no-leak at \d+ s)*)\n  ours, V8 GCs only: /, stdout);
    assert.match(summary, /\nleast squares\s+\d\/2 /);
    assert.match(summary, /\nmemwatch\s+\d\/2 /);
    // The healthy workload's floor p-value from the measured points; without them (one V8 GC) the
    // detector falls back to the rolling minimum of heap used.
    assert.match(stdout, /\nquiet-cache\s+0\.\d{4}\s+measured\s+\d+\s+0\.\d{4}\s+rolling minimum\s+\d+/, stdout);
    assert.match(stdout, /PASS|FAIL/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('eval:trend, a short real run: the quiet workloads run under the probe with the measured floor, and the report has every detector row', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-eval-run-'));
  try {
    const stdout = await evalTrend(['--minutes', '0.4', '--only', 'quiet-cache,quiet-leak', '--checkpoint', '10', '--save', dir], 150_000);
    for (const name of ['quiet-cache', 'quiet-leak']) {
      const input = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as TrendInput;
      assert.ok(input.samples.length >= 10, `${name}: ${input.samples.length} samples`);
      // The first measured point comes after the default 10 s gap: a 24 s run has one or two.
      assert.ok(input.majorGcs.some((g) => g.measured), `${name}: no measured floor point recorded`);
    }
    assert.match(stdout, /workload\s+min\s+samples\s+V8 full GCs\s+measured\s+/);
    assert.match(stdout, /\nquiet-leak\s+0\.\d\s+\d+\s+\d+\s+[1-9]\d*\s+/, stdout);
    for (const detector of ['ours', 'ours, V8 GCs only', 'least squares', 'memwatch']) {
      assert.match(stdout, new RegExp(`\\n${detector}\\s+\\d+/2\\s+(-|\\d+ s)\\s+(-|\\d+ s)\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\n`), `${detector} row missing:\n${stdout}`);
    }
    assert.match(stdout, /healthy workloads: heap floor at the end/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
