import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { GcEvent, GcKind } from '../shared/types';

const KIND_BY_FLAG: ReadonlyMap<number, GcKind> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/**
 * Collects GC events from a PerformanceObserver into a bounded buffer drained once per sample.
 * Node delivers gc entries asynchronously, shortly after the collection; reading heap used at
 * that moment is the closest JS gets to "heap right after a major GC", and only one
 * getHeapStatistics() call per delivered batch is spent on it.
 */
export function createGcObserver(maxBuffered = 10_000) {
  let buffer: GcEvent[] = [];
  let dropped = 0;

  const observer = new PerformanceObserver((list) => {
    const entries = list.getEntries();
    let heapAfter: number | null = null;
    for (const entry of entries) {
      const kind = gcKind(entry);
      if (kind === 'major' && heapAfter === null) heapAfter = v8.getHeapStatistics().used_heap_size;
      if (buffer.length >= maxBuffered) {
        buffer.shift();
        dropped++;
      }
      buffer.push({
        ts: Math.round(performance.timeOrigin + entry.startTime),
        kind,
        durationMs: entry.duration,
        heapUsedAfter: kind === 'major' ? heapAfter : null,
      });
    }
  });
  observer.observe({ entryTypes: ['gc'] });

  return {
    drain(): GcEvent[] {
      const out = buffer;
      buffer = [];
      return out;
    },
    get dropped(): number {
      return dropped;
    },
    close(): void {
      observer.disconnect();
    },
  };
}

function gcKind(entry: PerformanceEntry): GcKind {
  // Node >= 16 puts the kind in `detail`; older releases had it on the entry itself.
  const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
  const flag = detail?.kind ?? (entry as unknown as { kind?: number }).kind;
  return (flag !== undefined && KIND_BY_FLAG.get(flag)) || 'unknown';
}

export type GcObserver = ReturnType<typeof createGcObserver>;
