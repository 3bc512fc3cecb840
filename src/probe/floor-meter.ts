import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { FloorMeterConfig } from '../shared/probe-config';
import type { InspectorSessionLike } from './alloc-sampler';

/** One measured floor point: a full collection the probe asked for, and heap used right after it. */
export interface MeasuredFloor {
  /** Wall-clock ms when the request was made. */
  ts: number;
  /** performance.now() when it was made and when V8 answered: the window the GC observer skips. */
  startedMs: number;
  endedMs: number;
  /** From the request to V8's answer: the pause and any wait for the loop (an upper bound). */
  pauseMs: number;
  heapUsedAfter: number;
}

export interface FloorMeterStats {
  running: boolean;
  measured: number;
  failures: number;
  /** Summed request-to-answer time of all collections (the pause plus any wait for the loop). */
  totalPauseMs: number;
  /** Summed duration of the major GCs V8 ran for them, as the GC observer saw them: the pause itself. */
  totalGcMs: number;
  /** The latest collection's pause as the budget counts it (its GCs' time once seen, else request-to-answer). */
  lastPauseMs: number;
  nextGapMs: number;
}

export interface FloorMeterOptions {
  config: FloorMeterConfig;
  /** Where a point goes (the GC observer's buffer, so it leaves with the next batch). */
  record: (point: MeasuredFloor) => void;
  notice: (line: string) => void;
  /** Default: a `node:inspector` Session on this thread's isolate. */
  createSession?: () => InspectorSessionLike;
}

export interface FloorMeter {
  /** Measures once now (the schedule does this by itself); resolves when V8 has answered. */
  measure(): Promise<void>;
  /**
   * True while a collection of ours is under way, or for a GC that started in [startedMs, endedMs]
   * of a recent one; its duration then counts as that collection's pause.
   */
  owns(startTimeMs: number, durationMs?: number): boolean;
  stop(): void;
  stats(): FloorMeterStats;
}

/** Recent collections kept for `owns`: the observer delivers entries a little after the GC. */
const RECENT = 8;
/**
 * The gap is set from the median of the last three pauses: one quick collection does not shrink
 * it, and one slowed by a busy machine does not stretch the next three gaps.
 */
const PAUSES_KEPT = 3;

interface Window {
  startedMs: number;
  endedMs: number;
  /** Summed duration of V8's GCs in the window, as the observer reported them (0: none seen yet). */
  gcMs: number;
}

/** The pause a collection cost: its GCs once the observer saw them, else the request-to-answer time. */
const pauseOf = (w: Window): number => (w.gcMs > 0 ? w.gcMs : w.endedMs - w.startedMs);

/**
 * The measured heap floor. The floor the verdict reads is heap used after a full GC; V8 runs
 * full GCs when it decides to, which on a quiet service can be minutes apart, and a floor read
 * from whatever GC ran (or, without one, from the lowest heap used) still holds garbage awaiting
 * collection. So in soak mode the probe asks V8 for a full collection itself, through the
 * inspector (`HeapProfiler.collectGarbage`, which needs no --expose-gc; V8 runs it as its
 * "collect all available garbage": two or more major GCs back to back, so weak references and
 * finalizers are settled) and records heap used as soon as V8 answers: an exact floor point.
 *
 * The pause is the cost, so the schedule is a budget: at least `minGapMs` between two (default
 * 10 s), and a gap of at least the median of the last three pauses divided by `maxShare`
 * (default 1 %): a 50 ms collection waits at least 5 s, a 300 ms one 30 s. The pause is the
 * duration of the major GCs V8 ran for the request as the GC observer reports them; until they
 * are seen, the request-to-answer time, which also counts any wait for a busy loop (more, so the
 * budget errs towards fewer collections).
 * The inspector runs the collection on the app's thread when the loop takes the message, not
 * inside `post()`; the answer comes in a later task, so a few allocations may come in between
 * (a floor read a little high, never low). Off by default: a production probe leaves GC to V8.
 */
export function createFloorMeter(options: FloorMeterOptions): FloorMeter {
  const { config } = options;
  const stats: FloorMeterStats = { running: false, measured: 0, failures: 0, totalPauseMs: 0, totalGcMs: 0, lastPauseMs: 0, nextGapMs: config.minGapMs };
  /** The latest collections, newest last: what `owns` matches and the budget reads. */
  const recent: Window[] = [];
  let open: Window | undefined;
  let session: InspectorSessionLike | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  let noticed = false;

  const fail = (err: unknown): void => {
    stats.failures++;
    if (noticed) return;
    noticed = true;
    const text = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
    options.notice(`leakwatch probe: the heap floor cannot be measured (full GCs are left to V8): ${text}`);
  };

  function schedule(): void {
    if (stopped) return;
    const measuredWindows = recent.slice(-PAUSES_KEPT);
    const pauses = measuredWindows.map(pauseOf).sort((a, b) => a - b);
    const typical = pauses.length > 0 ? pauses[pauses.length >> 1]! : 0;
    stats.nextGapMs = Math.max(config.minGapMs, Math.ceil(typical / config.maxShare));
    timer = setTimeout(() => void measure().finally(schedule), stats.nextGapMs);
    timer.unref();
  }

  function measureOnce(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!session || stopped) return resolve();
      const ts = Date.now();
      const startedMs = performance.now();
      open = { startedMs, endedMs: Infinity, gcMs: 0 };
      try {
        session.post('HeapProfiler.collectGarbage', {}, (err) => {
          const endedMs = performance.now();
          const heapUsedAfter = v8.getHeapStatistics().used_heap_size;
          const window = open!;
          open = undefined;
          window.endedMs = endedMs;
          if (err) {
            fail(err);
            return resolve();
          }
          recent.push(window);
          if (recent.length > RECENT) recent.shift();
          const pauseMs = endedMs - startedMs;
          stats.measured++;
          stats.totalPauseMs += pauseMs;
          options.record({ ts, startedMs, endedMs, pauseMs, heapUsedAfter });
          resolve();
        });
      } catch (err) {
        open = undefined;
        fail(err);
        resolve();
      }
    });
  }

  /** One at a time: a second call while one is under way waits for it. */
  function measure(): Promise<void> {
    inFlight ??= measureOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  if (config.enabled) {
    try {
      session = options.createSession ? options.createSession() : createInspectorSession();
      session.connect();
      stats.running = true;
      schedule();
    } catch (err) {
      // A Node built without the inspector: the verdict reads V8's own full GCs, as without the meter.
      session = undefined;
      fail(err);
    }
  }

  return {
    measure,
    owns(startTimeMs, durationMs = 0) {
      const window = open && startTimeMs >= open.startedMs ? open : recent.find((w) => startTimeMs >= w.startedMs && startTimeMs <= w.endedMs);
      if (!window) return false;
      window.gcMs += durationMs;
      stats.totalGcMs += durationMs;
      return true;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      stats.running = false;
      if (!session) return;
      const closing = session;
      session = undefined;
      // A collection under way still answers first; disconnecting before would drop its callback.
      void (inFlight ?? Promise.resolve()).then(() => {
        try {
          closing.disconnect();
        } catch {
          // Gone with the isolate already.
        }
      });
    },
    stats: () => ({ ...stats, lastPauseMs: recent.length > 0 ? pauseOf(recent[recent.length - 1]!) : 0 }),
  };
}

function createInspectorSession(): InspectorSessionLike {
  // Required here, not at the top: a Node without the inspector throws on require.
  const inspector = require('node:inspector') as typeof import('node:inspector');
  return new inspector.Session() as unknown as InspectorSessionLike;
}
