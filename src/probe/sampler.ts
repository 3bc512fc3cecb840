import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Sample, SpaceSample } from '../shared/run-data';

const NS_PER_MS = 1e6;
const RESOLUTION_MS = 20;

/**
 * Node's histogram records the whole period between two firings of its sampling timer, so an
 * idle loop reads about `resolution` (measured here: min 19.2, p50 20.3 ms at resolution 20).
 * The delay is what exceeds the period.
 */
function delayMs(ns: number): number {
  return Math.max(0, ns / NS_PER_MS - RESOLUTION_MS);
}

/**
 * Reads one sample of memory and event-loop health. Everything here is a cheap synchronous read
 * of counters V8 and libuv already keep (no heap walk), a few microseconds per call.
 * The event-loop delay histogram samples with a 20 ms native timer (not a JS timer, and it does
 * not keep the process alive); delays shorter than that are not what a leak investigation needs.
 */
export function createSampler() {
  const loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loopDelay.enable();

  return {
    read(now: number): { sample: Sample; spaces: SpaceSample[] } {
      // In a worker thread these are its own isolate's (heap, external, array buffers, every v8
      // statistic), except rss, which is the whole process's (the collector knows: process-verdicts.ts).
      const mem = process.memoryUsage();
      const heap = v8.getHeapStatistics();
      // An empty histogram reports NaN/huge values; count === 0 means no delay was measured yet.
      const measured = loopDelay.count > 0;
      const sample: Sample = {
        ts: now,
        rss: mem.rss,
        heapTotal: mem.heapTotal,
        heapUsed: mem.heapUsed,
        external: mem.external,
        arrayBuffers: mem.arrayBuffers,
        heapLimit: heap.heap_size_limit,
        totalAvailable: heap.total_available_size,
        mallocedMemory: heap.malloced_memory,
        peakMallocedMemory: heap.peak_malloced_memory,
        nativeContexts: heap.number_of_native_contexts,
        detachedContexts: heap.number_of_detached_contexts,
        elP50Ms: measured ? delayMs(loopDelay.percentile(50)) : 0,
        elP99Ms: measured ? delayMs(loopDelay.percentile(99)) : 0,
        elMaxMs: measured ? delayMs(loopDelay.max) : 0,
      };
      loopDelay.reset();
      const spaces = v8.getHeapSpaceStatistics().map((s) => ({
        ts: now,
        space: s.space_name,
        size: s.space_size,
        used: s.space_used_size,
        available: s.space_available_size,
        physical: s.physical_space_size,
      }));
      return { sample, spaces };
    },
    close(): void {
      loopDelay.disable();
    },
  };
}

export type Sampler = ReturnType<typeof createSampler>;
