import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSnapshotTriggers, type HeapReading } from '../src/probe/snapshot-triggers';

const MB = 1024 * 1024;
const OFF = { everyMs: 0, growthShare: 0, nearLimitShare: 0, minGapMs: 0 };
const T0 = 1_800_000_000_000;

function reading(now: number, heapUsed: number, floor?: number, heapLimit = 1000 * MB): HeapReading {
  return { now, heapUsed, heapLimit, floor };
}

test('all off: nothing is ever due', () => {
  const t = createSnapshotTriggers(OFF, T0);
  for (let i = 0; i < 100; i++) assert.equal(t.due(reading(T0 + i * 1000, 999 * MB, (i + 1) * 10 * MB)), undefined);
});

test('schedule: due every interval since start or since the last scheduled snapshot; stays due until started', () => {
  const t = createSnapshotTriggers({ ...OFF, everyMs: 30_000 }, T0);
  assert.equal(t.due(reading(T0 + 29_999, MB)), undefined);
  assert.equal(t.due(reading(T0 + 30_000, MB)), 'schedule');
  // Busy snapshotter: not started, still due on the next tick.
  assert.equal(t.due(reading(T0 + 31_000, MB)), 'schedule');
  t.started('schedule', T0 + 31_000);
  assert.equal(t.due(reading(T0 + 60_000, MB)), undefined);
  assert.equal(t.due(reading(T0 + 61_000, MB)), 'schedule');
  // A manual snapshot does not move the schedule.
  t.started('manual', T0 + 61_000);
  assert.equal(t.due(reading(T0 + 61_500, MB)), 'schedule');
});

test('growth: the floor against the floor at the last snapshot (first: the first floor seen)', () => {
  const t = createSnapshotTriggers({ ...OFF, growthShare: 0.5 }, T0);
  assert.equal(t.due(reading(T0 + 1000, 30 * MB)), undefined, 'no floor yet');
  assert.equal(t.due(reading(T0 + 2000, 30 * MB, 20 * MB)), undefined, 'baseline 20 MB');
  assert.equal(t.due(reading(T0 + 3000, 40 * MB, 29 * MB)), undefined);
  // Ticks without a major GC keep the latest floor.
  assert.equal(t.due(reading(T0 + 4000, 45 * MB, 30 * MB)), 'growth');
  assert.equal(t.due(reading(T0 + 5000, 45 * MB)), 'growth');
  t.started('growth', T0 + 5000);
  assert.equal(t.due(reading(T0 + 6000, 50 * MB, 44 * MB)), undefined, 'baseline is now 30 MB');
  assert.equal(t.due(reading(T0 + 7000, 50 * MB, 45 * MB)), 'growth');
  // A manual snapshot moves the baseline too.
  t.started('manual', T0 + 7000);
  assert.equal(t.due(reading(T0 + 8000, 60 * MB, 60 * MB)), undefined);
  assert.equal(t.due(reading(T0 + 9000, 70 * MB, 67.5 * MB)), 'growth');
});

test('growth and near-limit respect the minimum gap between triggered snapshots', () => {
  const t = createSnapshotTriggers({ ...OFF, growthShare: 0.1, minGapMs: 600_000 }, T0);
  t.due(reading(T0, 10 * MB, 10 * MB));
  assert.equal(t.due(reading(T0 + 1000, 20 * MB, 20 * MB)), 'growth');
  t.started('growth', T0 + 1000);
  assert.equal(t.due(reading(T0 + 2000, 40 * MB, 40 * MB)), undefined, 'grew again, but within the gap');
  assert.equal(t.due(reading(T0 + 600_999, 40 * MB, 40 * MB)), undefined);
  assert.equal(t.due(reading(T0 + 601_000, 40 * MB, 40 * MB)), 'growth');
});

test('near-limit: once per approach; re-armed after falling 5 points below the threshold', () => {
  const limit = 1000 * MB;
  const t = createSnapshotTriggers({ ...OFF, nearLimitShare: 0.9 }, T0);
  assert.equal(t.due(reading(T0 + 1000, 899 * MB, undefined, limit)), undefined);
  assert.equal(t.due(reading(T0 + 2000, 900 * MB, undefined, limit)), 'near-limit');
  t.started('near-limit', T0 + 2000);
  assert.equal(t.due(reading(T0 + 3000, 950 * MB, undefined, limit)), undefined);
  assert.equal(t.due(reading(T0 + 4000, 860 * MB, undefined, limit)), undefined, 'not yet re-armed');
  assert.equal(t.due(reading(T0 + 5000, 910 * MB, undefined, limit)), undefined);
  assert.equal(t.due(reading(T0 + 6000, 849 * MB, undefined, limit)), undefined, 're-armed now');
  assert.equal(t.due(reading(T0 + 7000, 905 * MB, undefined, limit)), 'near-limit');
});

test('near-limit comes before growth, growth before schedule', () => {
  const t = createSnapshotTriggers({ everyMs: 1000, growthShare: 0.1, nearLimitShare: 0.5, minGapMs: 0 }, T0);
  t.due(reading(T0, 10 * MB, 10 * MB));
  assert.equal(t.due(reading(T0 + 1000, 600 * MB, 20 * MB)), 'near-limit');
  t.started('near-limit', T0 + 1000);
  assert.equal(t.due(reading(T0 + 2000, 600 * MB, 30 * MB)), 'growth');
  t.started('growth', T0 + 2000);
  assert.equal(t.due(reading(T0 + 2500, 600 * MB, 30 * MB)), 'schedule');
});
