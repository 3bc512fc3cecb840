import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectLeak } from '../src/trend/detect-leak';
import type { TrendInput } from '../src/trend/trend-model';

/*
 * The verdict on measured floor points (the probe's own full GCs, floor-meter.ts): a two-minute
 * soak with one point every 10 s, no major GC of V8's own, and a heap used that saws with garbage.
 */
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const MB = 1024 * 1024;
const OPTIONS = { warmupMs: 20_000, minDurationMs: 60_000 };

/** 120 s of samples every second (heap used = floor + a saw of garbage up to 20 MB) and measured points every `gapS`. */
function soak(floorAt: (s: number) => number, gapS = 10, measured = true): TrendInput {
  const samples = Array.from({ length: 121 }, (_, s) => {
    const heapUsed = floorAt(s) + ((s * 7) % 20) * MB;
    return { ts: T0 + s * 1000, heapUsed, heapTotal: heapUsed + 10 * MB, external: 2 * MB, rss: heapUsed + 60 * MB };
  });
  const majorGcs = [];
  for (let s = gapS; s <= 120; s += gapS) majorGcs.push({ ts: T0 + s * 1000, heapUsedAfter: floorAt(s), measured });
  return { samples, majorGcs };
}

const floorSignal = (input: TrendInput) => detectLeak(input, OPTIONS).signals.find((s) => s.signal === 'heap floor')!;

test('a leak on measured points is a leak, with no "only one full GC" doubt and no rolling minimum', () => {
  const leak = soak((s) => 10 * MB + (s * 5 * MB) / 60);
  const result = detectLeak(leak, OPTIONS);
  assert.equal(result.verdict, 'leak', result.reasons.join('; '));
  const floor = floorSignal(leak);
  assert.equal(floor.floorSource, 'measured');
  assert.equal(floor.points, 11, "one every 10 s from 20 s to 120 s");
  assert.match(floor.reason, /\(floor measured at \d+ full GCs of the probe's\)$/);
  // The same series read by V8's rules alone: the rolling minimum, and no full GC to confirm it.
  const v8Only = soak((s) => 10 * MB + (s * 5 * MB) / 60, 10, false);
  v8Only.majorGcs = [];
  const old = floorSignal(v8Only);
  assert.equal(old.floorSource, 'rolling minimum');
  assert.equal(old.verdict, 'inconclusive', old.reason);
});

test("a healthy service's warm-up (+0.5 MB over the window, then noise) is not a leak on measured points", () => {
  const warm = soak((s) => 6 * MB + Math.min(s, 100) * 5 * 1024 + (s % 2) * 100 * 1024);
  const result = detectLeak(warm, OPTIONS);
  assert.equal(result.verdict, 'no-leak', result.reasons.join('; '));
  assert.equal(floorSignal(warm).floorSource, 'measured');
});

test('fewer than seven measured points after the warm-up: too few to judge yet, not the rolling minimum', () => {
  const sparse = soak((s) => 10 * MB + (s * 5 * MB) / 60, 15);
  sparse.majorGcs = sparse.majorGcs.filter((g) => g.ts - T0 > 60_000);
  const floor = floorSignal(sparse);
  assert.equal(floor.floorSource, 'measured');
  assert.equal(floor.verdict, 'inconclusive');
  assert.match(floor.reason, /too few points \(4, need 7\)/);
  // No measured point at all: V8's rules as before.
  sparse.majorGcs = [];
  assert.equal(floorSignal(sparse).floorSource, 'rolling minimum');
});

test('a steep, material rise not yet significant on few exact points is too early to tell, not no-leak', () => {
  // Rises 3 MB over the window with one point far off the line: Mann-Kendall cannot call it yet.
  const noisy = soak((s) => 10 * MB + (s * 2 * MB) / 60 + ((s / 10) % 2 === 1 ? 4 * MB : 0));
  const floor = floorSignal(noisy);
  assert.equal(floor.verdict, 'inconclusive', floor.reason);
  assert.match(floor.reason, /not yet a significant trend .*: too early to tell/);
});
