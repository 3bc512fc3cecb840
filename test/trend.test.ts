import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectLeak, heapFloor, mannKendall, normalCdf, slopeConfidence, spanText, theilSenSlope, windowLength, type TrendInput } from '../src/trend';

const MB = 1024 * 1024;
const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);

/** Deterministic noise in [-1, 1). */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 31) - 1;
}

interface RunShape {
  minutes: number;
  /** Heap floor in bytes at minute m. */
  floor: (m: number) => number;
  /** Garbage that builds up between major GCs (bytes at the peak of the saw-tooth). */
  saw?: number;
  /** Seconds between major GCs (0: none reported). */
  gcEvery?: number;
  external?: (m: number) => number;
  native?: (m: number) => number;
  jitter?: number;
  seed?: number;
}

/** A run sampled every second: heap used saws above its floor; a major GC brings it back down. */
function run(shape: RunShape): TrendInput {
  const rand = noise(shape.seed ?? 1);
  const gcEvery = shape.gcEvery ?? 10;
  const saw = shape.saw ?? 20 * MB;
  const jitter = shape.jitter ?? 0.5 * MB;
  const samples: TrendInput['samples'][number][] = [];
  const majorGcs: { ts: number; heapUsedAfter: number }[] = [];
  for (let s = 0; s <= shape.minutes * 60; s++) {
    const m = s / 60;
    const floor = shape.floor(m) + jitter * rand();
    const phase = gcEvery > 0 ? (s % gcEvery) / gcEvery : (s % 60) / 60;
    const heapUsed = floor + saw * phase;
    const heapTotal = heapUsed + 10 * MB;
    const external = (shape.external ?? (() => 5 * MB))(m) + 0.1 * MB * rand();
    const native = (shape.native ?? (() => 30 * MB))(m) + 0.2 * MB * rand();
    samples.push({ ts: T0 + s * 1000, heapUsed, heapTotal, external, rss: heapTotal + native });
    if (gcEvery > 0 && s % gcEvery === 0) majorGcs.push({ ts: T0 + s * 1000, heapUsedAfter: floor });
  }
  return { samples, majorGcs };
}

test('Theil-Sen: exact on a line, unmoved by one huge spike', () => {
  const t = Array.from({ length: 50 }, (_, i) => i);
  const v = t.map((x) => 3 * x + 7);
  assert.equal(theilSenSlope(t, v), 3);
  v[25] = 1e12;
  assert.equal(theilSenSlope(t, v), 3);
  assert.equal(theilSenSlope([1], [2]), 0);
});

test('Mann-Kendall: a rising series is significant, a constant or shuffled one is not', () => {
  const rising = Array.from({ length: 30 }, (_, i) => i);
  assert.ok(mannKendall(rising).pIncreasing < 0.001);
  assert.equal(mannKendall(Array(30).fill(5)).pIncreasing, 1, 'all ties: no trend');
  const rand = noise(7);
  const flat = Array.from({ length: 60 }, () => rand());
  assert.ok(mannKendall(flat).pIncreasing > 0.05);
  assert.ok(mannKendall([...rising].reverse()).pIncreasing > 0.999);
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
});

test('too short, or no samples: inconclusive with the reason', () => {
  const short = detectLeak(run({ minutes: 8, floor: (m) => 50 * MB + m * MB }));
  assert.equal(short.verdict, 'inconclusive');
  assert.match(short.reasons[0], /too short: \d+ min after warm-up, need 10 min/);
  assert.equal(detectLeak({ samples: [], majorGcs: [] }).verdict, 'inconclusive');
  // Short thresholds (test runs) are said in seconds, not rounded to "0 min".
  const seconds = detectLeak(run({ minutes: 1, floor: () => 50 * MB }), { warmupMs: 10_000, minDurationMs: 90_000 });
  assert.match(seconds.reasons[0], /^too short: 5\d s after warm-up, need 90 s$/);
  const inWarmup = detectLeak(run({ minutes: 0.5, floor: () => 50 * MB }));
  assert.match(inWarmup.reasons[0], /^too short: \d+ s of samples, all in the 60 s warm-up; need 10 min after it$/);
});

test('spans in reasons: seconds, minutes, hours', () => {
  assert.deepEqual([0, 30_000, 119_000, 120_000, 52 * 60_000, 119 * 60_000, 120 * 60_000, 150 * 60_000].map(spanText), ['0 s', '30 s', '119 s', '2 min', '52 min', '119 min', '2 h', '2.5 h']);
});

test('a steady leak on the heap floor under a saw-tooth is a leak, with the slope in the reason', () => {
  const result = detectLeak(run({ minutes: 40, floor: (m) => 50 * MB + (38 * MB * m) / 60 }));
  assert.equal(result.verdict, 'leak');
  const heap = result.signals.find((s) => s.signal === 'heap floor')!;
  assert.ok(Math.abs(heap.slopeBytesPerHour / MB - 38) < 2, `slope ${heap.slopeBytesPerHour / MB} MB/h`);
  assert.match(result.reasons.join('\n'), /^heap floor \+38 MB\/h over \d+ min, p < 0\.001, no saturation$/m);
  assert.ok(result.confidence > 0.99);
});

test('a slow leak of 1 % of the heap per minute is found', () => {
  // 100 MB heap floor growing 1 MB/min = 60 MB/h, with realistic noise.
  const result = detectLeak(run({ minutes: 20, floor: (m) => 100 * MB + m * MB, jitter: 2 * MB, seed: 3 }));
  assert.equal(result.verdict, 'leak');
});

test('a heap that saws but whose floor is flat is not a leak', () => {
  const result = detectLeak(run({ minutes: 30, floor: () => 80 * MB, saw: 200 * MB, jitter: 1 * MB }));
  assert.equal(result.verdict, 'no-leak');
  assert.match(result.reasons[0], /^heap floor .* no significant upward trend/);
});

test('a constant series is not a leak', () => {
  const result = detectLeak(run({ minutes: 30, floor: () => 64 * MB, jitter: 0 }));
  assert.equal(result.verdict, 'no-leak');
});

test('a cache that fills to its cap in the first half is saturation, not a leak', () => {
  const result = detectLeak(run({ minutes: 40, floor: (m) => 50 * MB + Math.min(m, 18) * 4 * MB }));
  assert.equal(result.verdict, 'no-leak');
  const heap = result.signals.find((s) => s.signal === 'heap floor')!;
  assert.equal(heap.saturated, true);
  assert.match(heap.reason, /grew then flattened .* saturation, not a leak/);
});

test('a backlog that grows in a burst and drains is not a leak', () => {
  const burst = (m: number) => 60 * MB + (m > 12 && m < 22 ? (m < 17 ? (m - 12) * 30 * MB : (22 - m) * 30 * MB) : 0);
  const result = detectLeak(run({ minutes: 40, floor: burst }));
  assert.equal(result.verdict, 'no-leak', result.reasons.join('; '));
});

test('a backlog that builds for most of the run and drains at the end is a drained burst, not a leak', () => {
  // The rise is long enough to be a significant trend; the end level is back at the start.
  const lateDrain = (m: number) => 60 * MB + (m > 8 && m < 34 ? (m - 8) * 4 * MB : 0);
  const result = detectLeak(run({ minutes: 40, floor: lateDrain }));
  assert.equal(result.verdict, 'no-leak');
  const heap = result.signals.find((s) => s.signal === 'heap floor')!;
  assert.ok(heap.p < 0.001, 'the rise alone is a significant trend');
  assert.match(heap.reason, /rose and came back .* a burst that drained/);
});

test('one huge spike in a flat run is not a leak', () => {
  const spike = (m: number) => (m > 20 && m < 20.5 ? 2000 * MB : 70 * MB);
  assert.equal(detectLeak(run({ minutes: 30, floor: spike })).verdict, 'no-leak');
});

test('growth below the threshold is tolerated and says so', () => {
  const result = detectLeak(run({ minutes: 60, floor: (m) => 50 * MB + (0.5 * MB * m) / 60, jitter: 0.01 * MB }));
  assert.equal(result.verdict, 'no-leak');
  assert.match(result.signals[0].reason, /below the \+1\.0 MB\/h threshold/);
  assert.equal(detectLeak(run({ minutes: 60, floor: (m) => 50 * MB + (0.5 * MB * m) / 60, jitter: 0.01 * MB }), { maxSlopeBytesPerHour: 0.1 * MB }).verdict, 'leak');
});

test('confidence says how sure the verdict is against the threshold, per signal and overall', () => {
  // A long flat run: sure there is no growth at 1 MB/h.
  const flat = detectLeak(run({ minutes: 60, floor: () => 64 * MB, jitter: 0.5 * MB }));
  assert.equal(flat.verdict, 'no-leak');
  assert.ok(flat.confidence > 0.999, `flat ${flat.confidence}`);
  assert.equal(flat.confidence, Math.min(...flat.signals.map((s) => s.confidence)));
  // Growth at 80 % of the threshold: tolerated, but barely, and the confidence says so.
  const near = detectLeak(run({ minutes: 30, floor: (m) => 50 * MB + (0.8 * MB * m) / 60, jitter: 0.5 * MB }));
  assert.equal(near.verdict, 'no-leak');
  assert.ok(near.confidence < 0.99 && near.confidence > 0.5, `near ${near.confidence}`);
  // Saturation rests on the flat last third.
  const capped = detectLeak(run({ minutes: 40, floor: (m) => 50 * MB + Math.min(m, 18) * 4 * MB }));
  assert.ok(capped.signals[0].saturated && capped.signals[0].confidence > 0.9, `capped ${capped.signals[0].confidence}`);
  // A leak just above the threshold is found by the trend test but is a close call against the
  // threshold; a steep one is not.
  const close = detectLeak(run({ minutes: 60, floor: (m) => 50 * MB + (1.1 * MB * m) / 60, jitter: 0.3 * MB }));
  const steep = detectLeak(run({ minutes: 60, floor: (m) => 50 * MB + (20 * MB * m) / 60, jitter: 0.01 * MB }));
  assert.equal(close.verdict, 'leak');
  assert.equal(steep.verdict, 'leak');
  assert.ok(close.confidence > 0.5 && close.confidence < steep.confidence && steep.confidence > 0.999, `close ${close.confidence}, steep ${steep.confidence}`);
  assert.equal(detectLeak(run({ minutes: 5, floor: () => 50 * MB })).confidence, 0);
});

test('slopeConfidence is Mann-Kendall on the series less the rate', () => {
  const t = Array.from({ length: 30 }, (_, i) => i);
  const line = t.map((x) => 100 + 2 * x + ((x * 7) % 5) * 0.1);
  assert.ok(slopeConfidence(t, line, 1).above > 0.999);
  assert.ok(slopeConfidence(t, line, 3).below > 0.999);
  const none = slopeConfidence([0, 1], [1, 2], 0);
  assert.ok(Math.abs(none.below - 0.5) < 1e-6 && Math.abs(none.above - 0.5) < 1e-6);
});

test('an off-heap Buffer leak is a leak on external memory while the heap floor is flat', () => {
  const result = detectLeak(run({ minutes: 30, floor: () => 60 * MB, external: (m) => 5 * MB + (30 * MB * m) / 60 }));
  assert.equal(result.verdict, 'leak');
  assert.equal(result.signals.find((s) => s.signal === 'heap floor')!.verdict, 'no-leak');
  assert.match(result.reasons[0], /^external memory \+30 MB\/h/);
});

test('off-heap drift within what allocators move by themselves is not a leak, however regular', () => {
  // +0.3 MB of external memory and +8 MB of RSS beyond the heap in 4 minutes, both significant
  // trends far above 1 MB/h: the movement measured in workloads that keep nothing off-heap.
  const drift = detectLeak(run({ minutes: 4, floor: () => 60 * MB, external: (m) => 2 * MB + (0.3 * MB * m) / 4, native: (m) => 44 * MB + (8 * MB * m) / 4 }), { warmupMs: 20_000, minDurationMs: 60_000 });
  assert.equal(drift.verdict, 'no-leak', drift.reasons.join('; '));
  const [, external, native] = drift.signals;
  assert.ok(external.p < 0.01 && native.p < 0.01, 'both drifts are significant trends');
  assert.match(external.reason, /^external memory \+[\d.]+ MB\/h over \d+ min, p < 0\.001, but \+0\.\d MB in all, within the 1\.0 MB it moves by itself$/);
  assert.match(native.reason, /but \+\d\.\d MB in all, within the 32 MB it moves by itself$/);
  // Past the margin, the same signals are leaks: 3 MB of external memory, 60 MB beyond the heap.
  const leak = detectLeak(run({ minutes: 4, floor: () => 60 * MB, external: (m) => 2 * MB + (3 * MB * m) / 4, native: (m) => 44 * MB + (60 * MB * m) / 4 }), { warmupMs: 20_000, minDurationMs: 60_000 });
  assert.deepEqual(leak.signals.map((s) => s.verdict), ['no-leak', 'leak', 'leak']);
  // The margin scales with the level: 10 % of 500 MB beyond the heap is 50 MB.
  const big = detectLeak(run({ minutes: 4, floor: () => 60 * MB, native: (m) => 500 * MB + (50 * MB * m) / 4 }), { warmupMs: 20_000, minDurationMs: 60_000 });
  assert.equal(big.signals[2].verdict, 'no-leak');
  assert.match(big.signals[2].reason, /within the 5\d MB it moves by itself/);
});

test('native memory growing beyond the heap is a leak on that signal', () => {
  const result = detectLeak(run({ minutes: 30, floor: () => 60 * MB, native: (m) => 30 * MB + (100 * MB * m) / 60 }));
  assert.equal(result.verdict, 'leak');
  assert.match(result.reasons[0], /^RSS beyond the heap /);
});

test('when major GCs are rare the floor falls back to the rolling minimum of heap used', () => {
  const input = run({ minutes: 30, floor: (m) => 50 * MB + m * MB, gcEvery: 0 });
  const from = input.samples[0].ts;
  const to = input.samples[input.samples.length - 1].ts;
  const floor = heapFloor(input, from, to, windowLength(input, from, to));
  assert.equal(floor.source, 'rolling minimum');
  // Without a single full GC, growth cannot be told from garbage waiting for one.
  const verdict = detectLeak(input);
  assert.equal(verdict.verdict, 'inconclusive');
  assert.match(verdict.reasons[0], /no full GC ran in the window/);
  const withGcs = run({ minutes: 30, floor: () => 50 * MB });
  assert.equal(heapFloor(withGcs, from, to, windowLength(withGcs, from, to)).source, 'major GCs');
});

test('with rare full GCs, a floor that rises only between them is garbage, not a leak', () => {
  // Old-generation garbage builds up (heap used keeps rising) but each full GC, 23 minutes apart,
  // returns the heap to the same level: no leak. The same run with the level rising across the
  // full GCs is a leak; with a single full GC it cannot be told.
  const build = (acrossGrowth: number, gcAt: number[]): TrendInput => {
    const samples: TrendInput['samples'][number][] = [];
    const majorGcs: { ts: number; heapUsedAfter: number }[] = [];
    let last = 0;
    for (let s = 0; s <= 30 * 60; s++) {
      const m = s / 60;
      if (gcAt.includes(s)) last = s;
      const base = 50 * MB + acrossGrowth * (last / 60);
      const heapUsed = base + 2 * MB * ((s - last) / 60) + (s % 5) * 0.2 * MB;
      samples.push({ ts: T0 + s * 1000, heapUsed, heapTotal: heapUsed + 10 * MB, external: 5 * MB, rss: heapUsed + 40 * MB });
      if (gcAt.includes(s)) majorGcs.push({ ts: T0 + s * 1000, heapUsedAfter: base });
      void m;
    }
    return { samples, majorGcs };
  };
  const garbage = detectLeak(build(0, [300, 1700]));
  assert.equal(garbage.verdict, 'no-leak', garbage.reasons.join('; '));
  assert.match(garbage.signals[0].reason, /rose between full GCs but not across them/);
  const leak = detectLeak(build(3 * MB, [300, 1700]));
  assert.equal(leak.verdict, 'leak', leak.reasons.join('; '));
  const unknown = detectLeak(build(0, [300]));
  assert.equal(unknown.signals[0].verdict, 'inconclusive');
  assert.match(unknown.signals[0].reason, /only one full GC ran in the window/);
});
