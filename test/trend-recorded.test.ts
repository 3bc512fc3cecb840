import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { EVAL_TREND_OPTIONS } from '../support/trend-eval-options';
import { detectLeak, type TrendInput } from '../src/trend';
import { REPO_ROOT } from './helpers/cli';

/*
 * Real series, not synthetic ones: the 24 runs recorded by two `npm run eval:trend` sessions
 * (--minutes 4 and --minutes 6, --save), each the series the collector's verdict reads for a
 * labelled workload under the real probe. The detector's rules were tuned on them (the 6-minute
 * batch job was a false positive before full GCs were judged by the same rules), so this is a
 * regression test: a rule change that flips any of them fails here before it needs a new
 * ten-minute evaluation.
 */
interface RecordedRun {
  workload: string;
  label: 'leaky' | 'healthy';
  minutes: number;
  input: TrendInput;
}

const file = path.join(REPO_ROOT, 'test', 'fixtures', 'recorded-trends.json.gz');
const recorded = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8')) as { runs: RecordedRun[] };

test('the recording holds both sessions, six leaky and six healthy workloads each', () => {
  assert.equal(recorded.runs.length, 24);
  for (const minutes of [4, 6]) {
    const session = recorded.runs.filter((r) => r.minutes === minutes);
    assert.deepEqual([session.filter((r) => r.label === 'leaky').length, session.filter((r) => r.label === 'healthy').length], [6, 6]);
  }
});

for (const run of recorded.runs) {
  const expected = run.label === 'leaky' ? 'leak' : 'no-leak';
  test(`${run.workload} (${run.minutes} min, ${run.label}): ${expected}`, () => {
    const result = detectLeak(run.input, EVAL_TREND_OPTIONS);
    assert.equal(result.verdict, expected, result.reasons.join('; '));
  });
}

test('the 6-minute batch job: the rolling-minimum floor rises between rare full GCs, but not across them', () => {
  const batch = recorded.runs.find((r) => r.workload === 'batch-job' && r.minutes === 6)!;
  const heap = detectLeak(batch.input, EVAL_TREND_OPTIONS).signals[0];
  assert.equal(heap.verdict, 'no-leak');
  assert.match(heap.reason, /^heap floor rose between full GCs \(\+\d+ MB\/h\), but not across the \d+ in the window: heap after full GCs /);
});
