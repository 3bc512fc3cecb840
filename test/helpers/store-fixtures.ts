import type { HelloMessage } from '../../src/protocol/messages';
import type { GcRow, SampleRow, SpaceRow } from '../../src/store/store-interface';

/** A probe hello for `run`; fields can be overridden per test. */
export function makeHello(run: string, overrides: Partial<HelloMessage> = {}): HelloMessage {
  return {
    v: 1,
    type: 'hello',
    run,
    boot: 'boot-1',
    seq: 0,
    name: `run ${run}`,
    labels: {},
    pid: 4242,
    host: 'test-host',
    node: 'v20.0.0',
    argv: ['node', 'app.js'],
    startedAt: Date.now(),
    intervalMs: 1000,
    probeVersion: '0.1.0',
    ...overrides,
  };
}

/** A sample whose every metric is derived from `value`, so each column is distinguishable. */
export function makeSample(run: string, ts: number, value: number, origin: { boot?: string; seq?: number } = {}): SampleRow {
  return {
    run,
    boot: origin.boot ?? 'boot-1',
    seq: origin.seq ?? 1,
    ts,
    rss: value * 10,
    heapTotal: value * 2,
    heapUsed: value,
    external: value + 1,
    arrayBuffers: value + 2,
    heapLimit: 4_000_000_000,
    totalAvailable: 4_000_000_000 - value,
    mallocedMemory: value + 3,
    peakMallocedMemory: value + 4,
    nativeContexts: 1,
    detachedContexts: value % 3,
    elP50Ms: (value % 4) / 2,
    elP99Ms: (value % 8) / 4,
    elMaxMs: (value % 16) / 8,
  };
}

export function makeSpace(run: string, ts: number, space: string, used: number, seq = 1): SpaceRow {
  return { run, boot: 'boot-1', seq, ts, space, size: used * 2, used, available: used, physical: used * 2 };
}

export function makeGc(run: string, ts: number, idx: number, kind: GcRow['kind'], durationMs: number, heapUsedAfter: number | null, seq = 1, weight = 1): GcRow {
  return { run, boot: 'boot-1', seq, idx, ts, kind, durationMs, heapUsedAfter, weight };
}

/** Expected downsampling, computed the slow obvious way in JS. */
export function expectedBuckets(points: Array<{ ts: number; value: number }>, from: number, to: number, stepMs: number) {
  const buckets = new Map<number, number[]>();
  for (const { ts, value } of points) {
    if (ts < from || ts > to) continue;
    const b = Math.floor((ts - from) / stepMs);
    let values = buckets.get(b);
    if (!values) buckets.set(b, (values = []));
    values.push(value);
  }
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  return {
    t: keys.map((b) => from + b * stepMs),
    min: keys.map((b) => Math.min(...buckets.get(b)!)),
    max: keys.map((b) => Math.max(...buckets.get(b)!)),
    avg: keys.map((b) => buckets.get(b)!.reduce((s, v) => s + v, 0) / buckets.get(b)!.length),
  };
}
