/**
 * The data model shared by probe, protocol, store, collector and UI.
 * Times are milliseconds since the Unix epoch (UTC); sizes are bytes; durations are milliseconds.
 */

/** One periodic sample of a process's memory and event-loop health. */
export interface Sample {
  ts: number;
  /** process.memoryUsage() */
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** v8.getHeapStatistics() */
  heapLimit: number;
  totalAvailable: number;
  mallocedMemory: number;
  peakMallocedMemory: number;
  nativeContexts: number;
  detachedContexts: number;
  /** perf_hooks.monitorEventLoopDelay() over the interval since the previous sample */
  elP50Ms: number;
  elP99Ms: number;
  elMaxMs: number;
}

/** One row of v8.getHeapSpaceStatistics() at a sample time. */
export interface SpaceSample {
  ts: number;
  space: string;
  size: number;
  used: number;
  available: number;
  physical: number;
}

export type GcKind = 'minor' | 'major' | 'incremental' | 'weakcb' | 'unknown';

/** One garbage collection seen by a PerformanceObserver('gc'). */
export interface GcEvent {
  /** When the GC started. */
  ts: number;
  kind: GcKind;
  durationMs: number;
  /**
   * Heap used read when the observer callback ran after a major GC (null for other kinds).
   * The floor of these values is the best leak signal: it excludes garbage that is merely waiting.
   */
  heapUsedAfter: number | null;
  /**
   * How many GCs this event stands for. The probe stops listening for GC events once it has seen
   * its per-interval cap (each observed event costs the host tens of microseconds in Node's
   * perf_hooks), so under heavy GC traffic an event represents interval / listening-time events.
   * 1 when every GC of the interval was observed.
   */
  weight: number;
  /**
   * A full collection the probe asked V8 for to measure the floor (probe floor-meter.ts), its
   * heapUsedAfter read as V8 answered: an exact floor point. Absent or false: V8's own GC.
   */
  measured?: boolean;
}

/** Data the probe had to drop while the collector was unreachable and its queue was full. */
export interface Gap {
  droppedMessages: number;
  droppedSamples: number;
  fromTs: number;
  toTs: number;
}

/** A gap as stored: which probe boot reported it, on the message with this seq. */
export interface RunGap extends Gap {
  boot: string;
  seq: number;
}

/** A run as the API and the CLI show it. */
export interface RunSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  host: string;
  pid: number;
  nodeVersion: string;
  argv: string[];
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  intervalMs: number;
  sampleCount: number;
  firstSampleAt: number | null;
  lastSampleAt: number | null;
  latestHeapUsed: number | null;
  /** live: samples still arriving; ended: the run was closed; lost: no data for a while and never closed */
  status: 'live' | 'ended' | 'lost';
}
