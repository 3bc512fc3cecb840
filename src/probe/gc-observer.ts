import { PerformanceObserver, constants, performance, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { GcEvent, GcKind } from '../shared/run-data';

const KIND_BY_FLAG: ReadonlyMap<number, GcKind> = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
]);

/**
 * Default cap on observed GC events per second. Each gc entry costs the host Node's own work
 * (a native immediate, a JS PerformanceEntry, the observer callback): measured here at tens of
 * microseconds per GC, i.e. several percent of CPU for an app doing hundreds of scavenges a
 * second. Capping the events makes the probe's GC cost bounded whatever the app's GC rate.
 */
export const DEFAULT_MAX_GC_EVENTS_PER_SECOND = 20;

export interface GcObserverOptions {
  intervalMs: number;
  maxEventsPerSecond?: number;
  /** GCs the probe itself asked for (floor-meter.ts): recorded as measured points instead. */
  ownedByProbe?: (startTimeMs: number, durationMs: number) => boolean;
}

/**
 * Collects GC events from a PerformanceObserver into a buffer drained once per sample.
 * Once the interval's cap is reached the observer is disconnected until the next drain, and the
 * events get a weight (interval / time listened) so counts and pause totals stay unbiased
 * estimates; the longest pause and the heap floor are exact for the events seen.
 * Node delivers gc entries shortly after the collection; reading heap used at that moment is the
 * closest JS gets to "heap right after a major GC" (one getHeapStatistics() per delivery).
 */
export function createGcObserver(options: GcObserverOptions) {
  const cap = Math.max(5, Math.round(((options.maxEventsPerSecond ?? DEFAULT_MAX_GC_EVENTS_PER_SECOND) * options.intervalMs) / 1000));
  let buffer: GcEvent[] = [];
  let intervalStart = performance.now();
  let listeningSince: number | undefined;
  let listenedMs = 0;

  const observer = new PerformanceObserver((list) => {
    let heapAfter: number | null = null;
    for (const entry of list.getEntries()) {
      const kind = gcKind(entry);
      // The floor meter's collection is one measured event of its own (recordMeasured); the major
      // GCs V8 runs for it would count it twice and read the heap later than the meter does.
      if (kind === 'major' && options.ownedByProbe?.(entry.startTime, entry.duration)) continue;
      if (kind === 'major' && heapAfter === null) heapAfter = v8.getHeapStatistics().used_heap_size;
      buffer.push({
        ts: Math.round(performance.timeOrigin + entry.startTime),
        kind,
        durationMs: entry.duration,
        heapUsedAfter: kind === 'major' ? heapAfter : null,
        weight: 1,
      });
    }
    if (buffer.length >= cap) stopListening();
  });

  function startListening(): void {
    observer.observe({ entryTypes: ['gc'] });
    listeningSince = performance.now();
  }

  function stopListening(): void {
    if (listeningSince === undefined) return;
    observer.disconnect();
    listenedMs += performance.now() - listeningSince;
    listeningSince = undefined;
  }

  startListening();

  return {
    /** The events since the last drain, weighted; starts listening again for the next interval. */
    drain(): GcEvent[] {
      const now = performance.now();
      if (listeningSince !== undefined) {
        listenedMs += now - listeningSince;
        listeningSince = now;
      } else {
        startListening();
      }
      const elapsed = now - intervalStart;
      const weight = listenedMs > 0 && listenedMs < elapsed ? elapsed / listenedMs : 1;
      const out = buffer;
      // A measured point is one the probe made: it stands for itself whatever the observer missed.
      if (weight !== 1) for (const event of out) if (!event.measured) event.weight = weight;
      buffer = [];
      listenedMs = 0;
      intervalStart = now;
      return out;
    },
    /** A measured floor point (floor-meter.ts): goes out with the next drain, listened or not. */
    recordMeasured(point: { ts: number; pauseMs: number; heapUsedAfter: number }): void {
      buffer.push({ ts: point.ts, kind: 'major', durationMs: point.pauseMs, heapUsedAfter: point.heapUsedAfter, weight: 1, measured: true });
    },
    close(): void {
      stopListening();
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
