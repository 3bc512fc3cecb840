import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCheckSnapshotPlanner, parseCheckSnapshots, type CheckSnapshotPlanOptions } from '../src/cli/check-snapshot-planner';
import { isLeakwatchError } from '../src/shared/errors';

const MIN = 60_000;

/**
 * Drives a planner with a fake clock: a tick every `tickMs`, the trend pointing to a leak from
 * `leakFrom` on, every request answered at once with `answer(i)`. Returns the times it asked.
 */
function drive(options: CheckSnapshotPlanOptions, leakFrom: number, tickMs: number, answer: (i: number) => 'taken' | 'refused' | 'error' = () => 'taken'): number[] {
  const planner = createCheckSnapshotPlanner(options);
  const asked: number[] = [];
  for (let now = options.startedAt; now <= options.startedAt + options.durationMs; now += tickMs) {
    const step = planner.next(now, now >= leakFrom);
    if (step === 'done') break;
    if (step === 'snapshot') {
      planner.asked(now);
      planner.answered(answer(asked.length), 'not enough memory');
      asked.push(now - options.startedAt);
    }
  }
  return asked;
}

test('no snapshot while the trend does not point to a leak: a healthy run pays no pause', () => {
  assert.deepEqual(drive({ startedAt: 1000, durationMs: 30 * MIN, maxSnapshots: 3 }, Number.POSITIVE_INFINITY, 1000), []);
});

test('a leak seen early: one at once, then D/4 apart, three in all', () => {
  const asked = drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3 }, 5 * MIN, 1000);
  assert.deepEqual(asked, [5 * MIN, 20 * MIN, 35 * MIN]);
});

test('a leak seen late: the rest are spread over what is left, all before the tail, at least the minimum gap apart', () => {
  // D = 60 min, tail 6 min: the last target is 54 min; seen at 40 min -> 40, 47, 54.
  const asked = drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3 }, 40 * MIN, 1000);
  assert.deepEqual(asked, [40 * MIN, 47 * MIN, 54 * MIN]);
  // Seen at 53 min: only the minimum gap is left, and nothing after the last half of the tail (57 min).
  const late = drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3, minGapMs: 2 * MIN }, 53 * MIN, 1000);
  assert.deepEqual(late, [53 * MIN, 55 * MIN, 57 * MIN]);
  const tooLate = drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3, minGapMs: 2 * MIN }, 58 * MIN, 1000);
  assert.deepEqual(tooLate, []);
});

test('a one-minute run: 10 s tail, 15 s minimum gap', () => {
  // D = 70 s: target end 60 s, last ask 65 s; seen at 20 s -> 20, 37.5 (D/4 = 17.5 s), 55.
  const asked = drive({ startedAt: 0, durationMs: 70_000, maxSnapshots: 3 }, 20_000, 500);
  assert.deepEqual(asked, [20_000, 37_500, 55_000]);
});

test('--check-snapshots bounds the count', () => {
  assert.equal(drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 5 }, MIN, 1000).length, 5);
  assert.equal(drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 1 }, MIN, 1000).length, 1);
});

test('a refusal by the headroom guard ends the plan; an error is retried after the gap', () => {
  const planner = createCheckSnapshotPlanner({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3 });
  assert.equal(planner.next(MIN, true), 'snapshot');
  planner.asked(MIN);
  // One request at a time: until it is answered, nothing more is asked.
  assert.equal(planner.next(30 * MIN, true), 'wait');
  planner.answered('error');
  assert.equal(planner.taken, 0);
  assert.equal(planner.next(MIN + 1000, true), 'wait');
  assert.equal(planner.next(16 * MIN, true), 'snapshot');
  planner.asked(16 * MIN);
  planner.answered('refused', 'writing a snapshot of a 900 MB heap needs about 22 GB');
  assert.equal(planner.refusal, 'writing a snapshot of a 900 MB heap needs about 22 GB');
  assert.equal(planner.next(59 * MIN, true), 'done');
  assert.deepEqual(drive({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3 }, MIN, 1000, (i) => (i === 1 ? 'refused' : 'taken')), [MIN, 16 * MIN]);
});

test('room: how many fit after the warm-up, so a run too short for three says so', () => {
  assert.equal(createCheckSnapshotPlanner({ startedAt: 0, durationMs: 70_000, maxSnapshots: 3 }).room(10_000), 3);
  assert.equal(createCheckSnapshotPlanner({ startedAt: 0, durationMs: 40_000, maxSnapshots: 3 }).room(10_000), 2);
  assert.equal(createCheckSnapshotPlanner({ startedAt: 0, durationMs: 8000, maxSnapshots: 3 }).room(60_000), 0);
  assert.equal(createCheckSnapshotPlanner({ startedAt: 0, durationMs: 60 * MIN, maxSnapshots: 3 }).room(MIN), 3);
});

test('--check-snapshots: a bare count, the no- form and the default; anything else is one config error', () => {
  assert.equal(parseCheckSnapshots(undefined), 3);
  assert.equal(parseCheckSnapshots(false), 0);
  assert.equal(parseCheckSnapshots('5'), 5);
  assert.equal(parseCheckSnapshots('0'), 0);
  for (const bad of ['10m', '-1', '7', 'three']) {
    assert.throws(() => parseCheckSnapshots(bad), (err) => isLeakwatchError(err) && err.code === 'LW_ERR_CONFIG' && /--check-snapshots/.test(err.message), bad);
  }
});
