import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InspectorSessionLike } from '../src/probe/alloc-sampler';
import { createFloorMeter, type MeasuredFloor } from '../src/probe/floor-meter';
import { createGcObserver } from '../src/probe/gc-observer';

const config = { enabled: true, minGapMs: 1000, maxShare: 0.01 };

test("a measured floor point is V8's full collection through this isolate's inspector, and heap used right after it", async () => {
  const points: MeasuredFloor[] = [];
  const observer = createGcObserver({ intervalMs: 1000, ownedByProbe: (t, ms) => meter.owns(t, ms) });
  const meter = createFloorMeter({ config: { ...config, minGapMs: 3_600_000 }, record: (p) => { points.push(p); observer.recordMeasured(p); }, notice: (l) => assert.fail(l) });
  try {
    // Garbage the collection must clear: heap used after it is below heap used before.
    let junk: unknown[] | null = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    const before = process.memoryUsage().heapUsed;
    junk = null;
    await meter.measure();
    assert.equal(junk, null);
    assert.equal(points.length, 1);
    const [point] = points;
    assert.ok(point.heapUsedAfter > 0 && point.heapUsedAfter < before, `${point.heapUsedAfter} after, ${before} before`);
    assert.ok(point.pauseMs > 0 && point.endedMs >= point.startedMs);
    assert.equal(meter.owns(point.startedMs - 1), false);
    // The observer's major GCs inside that window are the meter's: one measured event, not several,
    // and their durations are the pause the budget counts.
    await sleep(50);
    assert.ok(meter.stats().totalGcMs > 0 && meter.stats().totalGcMs <= point.pauseMs + 1, JSON.stringify(meter.stats()));
    assert.equal(meter.stats().lastPauseMs, meter.stats().totalGcMs);
    const events = observer.drain();
    const measured = events.filter((e) => e.measured);
    assert.equal(measured.length, 1, JSON.stringify(events));
    assert.deepEqual([measured[0].kind, measured[0].heapUsedAfter, measured[0].weight], ['major', point.heapUsedAfter, 1]);
    const majorsInWindow = events.filter((e) => !e.measured && e.kind === 'major' && e.ts >= point.ts && e.ts <= point.ts + point.pauseMs);
    assert.deepEqual(majorsInWindow, [], 'V8 ran the collection as major GCs; none of them is counted again');
    assert.equal(meter.stats().measured, 1);
  } finally {
    meter.stop();
    observer.close();
  }
});

/** A session whose collection takes `pauseMs` before it answers. */
function slowSession(pauseMs: number, calls: string[]): InspectorSessionLike {
  return {
    connect: () => {},
    disconnect: () => calls.push('disconnect'),
    post: (method, _params, callback) => {
      calls.push(method);
      setTimeout(() => callback(null, {}), pauseMs);
    },
  };
}

test('the schedule keeps the pause within the budget: the gap is the median recent pause over the share, at least the minimum', async () => {
  const calls: string[] = [];
  const meter = createFloorMeter({ config, record: () => {}, notice: (l) => assert.fail(l), createSession: () => slowSession(40, calls) });
  try {
    assert.equal(meter.stats().nextGapMs, 1000, 'before any pause: the minimum gap');
    await meter.measure();
    // A 40 ms collection at 1 % of wall time: at least 4 s to the next one.
    await sleep(10);
    assert.ok(meter.stats().lastPauseMs >= 39, `${meter.stats().lastPauseMs}`);
    // The timer set at start (1 s) fires, measures, and sets the next gap from the pauses so far.
    await sleep(1500);
    assert.ok(meter.stats().measured >= 2, JSON.stringify(meter.stats()));
    assert.ok(meter.stats().nextGapMs >= 3900, JSON.stringify(meter.stats()));
    // Two calls at once are one collection.
    const before = calls.filter((c) => c === 'HeapProfiler.collectGarbage').length;
    await Promise.all([meter.measure(), meter.measure()]);
    assert.equal(calls.filter((c) => c === 'HeapProfiler.collectGarbage').length, before + 1);
  } finally {
    meter.stop();
  }
  await sleep(60);
  assert.equal(calls[calls.length - 1], 'disconnect');
});

test('off by default; a failing inspector is said once and never thrown', async () => {
  const off = createFloorMeter({ config: { ...config, enabled: false }, record: () => assert.fail('off'), notice: () => assert.fail('off'), createSession: () => assert.fail('no session when off') });
  await off.measure();
  assert.equal(off.stats().measured, 0);
  const notices: string[] = [];
  const failing = createFloorMeter({
    config: { ...config, minGapMs: 3_600_000 },
    record: () => assert.fail('nothing measured'),
    notice: (l) => notices.push(l),
    createSession: () => ({ connect: () => {}, disconnect: () => {}, post: (_m, _p, cb) => cb(new Error('Inspector error -32000: nope'), undefined) }),
  });
  await failing.measure();
  await failing.measure();
  failing.stop();
  assert.deepEqual(notices, ['leakwatch probe: the heap floor cannot be measured (full GCs are left to V8): Inspector error -32000: nope']);
  assert.equal(failing.stats().failures, 2);
});
