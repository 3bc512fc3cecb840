import assert from 'node:assert/strict';
import { PerformanceObserver } from 'node:perf_hooks';
import { test } from 'node:test';
import { createGcObserver } from '../src/probe/gc-observer';

/** Garbage in small chunks with the event loop turning between them, so GC entries get delivered. */
async function makeGarbage(ms: number): Promise<void> {
  const until = Date.now() + ms;
  let keep: unknown[] = [];
  while (Date.now() < until) {
    keep = Array.from({ length: 2000 }, (_, i) => ({ i, s: `item-${i}` }));
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.ok(keep.length > 0);
}

test('under heavy GC traffic the observer stops at its cap and weights what it saw', async () => {
  // An uncapped observer counts every GC, as the reference.
  let actual = 0;
  const reference = new PerformanceObserver((list) => (actual += list.getEntries().length));
  reference.observe({ entryTypes: ['gc'] });
  const observer = createGcObserver({ intervalMs: 500, maxEventsPerSecond: 20 }); // cap: 10 per interval
  try {
    observer.drain();
    actual = 0;
    let seen = 0;
    let estimated = 0;
    for (let i = 0; i < 6; i++) {
      await makeGarbage(500);
      const events = observer.drain();
      // Entries already queued when the cap is reached are delivered in the same callback.
      assert.ok(events.length <= 40, `interval ${i}: ${events.length} events observed`);
      seen += events.length;
      estimated += events.reduce((sum, e) => sum + e.weight, 0);
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(actual > seen * 1.5, `the loop made more GCs (${actual}) than the capped observer saw (${seen})`);
    // The weighted sum estimates the real count: observation windows are a sample of each interval.
    assert.ok(estimated > actual * 0.4 && estimated < actual * 2.5, `estimated ${estimated.toFixed(0)} GCs, actual ${actual}`);
  } finally {
    observer.close();
    reference.disconnect();
  }
});

test('when GCs are rare every one is observed with weight 1', async () => {
  const observer = createGcObserver({ intervalMs: 1000 });
  try {
    observer.drain();
    await makeGarbage(150);
    const events = observer.drain();
    assert.ok(events.length > 0 && events.length < 20, `${events.length} events`);
    assert.ok(events.every((e) => e.weight === 1));
    assert.ok(events.every((e) => (e.kind === 'major') === (e.heapUsedAfter !== null)));
  } finally {
    observer.close();
  }
});
