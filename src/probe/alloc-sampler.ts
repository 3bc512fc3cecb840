import type { AllocSamplingConfig } from '../shared/probe-config';
import { flattenSamplingProfile, type AllocProfileBody, type V8SamplingProfile } from './sampling-profile';

/** What the sampler needs of `node:inspector`'s Session (a seam for tests of failure paths). */
export interface InspectorSessionLike {
  connect(): void;
  disconnect(): void;
  post(method: string, params: object, callback: (err: Error | null, result?: unknown) => void): void;
}

export interface AllocSamplerOptions {
  config: AllocSamplingConfig;
  /** One line on stderr in production; the sampler says each kind of trouble once. */
  notice: (line: string) => void;
  /** Queues one profile for the collector (the probe's send queue) and flushes. */
  send: (body: AllocProfileBody) => void;
  /** Default: a `node:inspector` Session connected to this thread's isolate. */
  createSession?: () => InspectorSessionLike;
  /** The clock (epoch ms); tests of the epoch schedule pass their own. */
  now?: () => number;
}

export interface AllocSamplerStats {
  /** V8's sampling heap profiler is running for us. */
  running: boolean;
  profiles: number;
  /** Reads that failed (the profile could not be read or flattened); each kind noticed once. */
  failures: number;
  /** Times sampling was found stopped by someone else in this isolate and started again. */
  restarts: number;
  /** Sampling epochs begun after heap snapshots (stop and start again, to free V8's string table). */
  epochs: number;
  /** Heap snapshots taken in the current epoch. */
  snapshotsInEpoch: number;
  /** Of the last profile: tree nodes, sites sent, and the encoded size. */
  lastNodes: number;
  lastSites: number;
  lastBytes: number;
  /** Summed over all reads: V8 building the profile (getSamplingProfile), our flattening and encoding. */
  readMs: number;
  flattenMs: number;
}

export interface AllocSampler {
  /** Reads the live-allocation profile now and sends it (the timer does this every `everyMs`). */
  ship(): Promise<void>;
  /**
   * Says that a heap snapshot was written while sampling runs. The sampler begins a new epoch now
   * when the current one is at least `epochMs` old, else at the first read once it is.
   */
  snapshotTaken(): Promise<void>;
  /** Ships a last profile, stops V8's sampling and disconnects; nothing of ours keeps running. */
  stop(): Promise<void>;
  stats(): AllocSamplerStats;
}

/**
 * The allocation sampler: V8's sampling heap profiler through an in-process inspector session
 * (`HeapProfiler.startSampling`). V8 samples one allocation every `intervalBytes` on average
 * (a Poisson process over allocated bytes) and keeps a sample only while its object is alive, so
 * each profile read is the live state: a site whose live bytes keep rising from one read to the
 * next is what leaks. Sampling itself does not pause: it is an allocation observer on the
 * allocating thread, a stack walk per sample. The read does: the inspector starts V8's profiler
 * with kSamplingForceGC (V8HeapProfilerAgentImpl::startSampling; CDP has no parameter to turn it
 * off), so every getSamplingProfile first runs a full, atomic major GC, so that the profile holds
 * only live objects; then V8 builds the tree and the inspector serialises it. One such pause per
 * `everyMs` (about as long as a major GC of the live heap: tens of ms per 100 MB) is the fixed
 * cost; the GC observer sees it as a major GC (a heap floor point). Flattening is linear in the
 * tree and bounded by the protocol's limits.
 *
 * The stack depth option is not V8's: CDP's startSampling has no depth parameter and V8's
 * inspector always samples 128 frames deep; `stackDepth` is how many the probe keeps per site.
 *
 * One isolate has one sampling heap profiler: a second session's startSampling (another probe,
 * DevTools' "Allocation sampling") is a no-op while ours runs, and its stopSampling stops ours.
 * A read that finds sampling stopped starts it again, with a new `startedAt`.
 * V8 resolves each node's script (url, line) when the profile is read: a script whose functions
 * were all collected by then leaves its sites with the function name only (url '', line 0).
 *
 * Sampling epochs. V8's heap profiler keeps one string table (HeapProfiler::names_) for heap
 * snapshots and the sampling heap profiler, and clears it only when neither holds it
 * (HeapProfiler::MaybeClearStringsStorage, the fix for v8:8373): every heap snapshot taken while
 * sampling runs copies the heap's strings (up to 1 KiB each) into native memory for as long as
 * sampling goes on, so a long run with scheduled snapshots grows the app's RSS without bound.
 * Stopping and starting sampling frees that table, but also forgets every live sample: the next
 * profiles start from nothing (an epoch). So after a snapshot the sampler begins a new epoch once
 * the current one is at least `epochMs` old (default 30 min, at least 15 profiles): native memory
 * holds at most one epoch's snapshots' strings, and each epoch is long enough for the collector's
 * growing-sites judge, which reads one epoch at a time (profiles carry their epoch's `startedAt`).
 * The epoch's last profile is the one stopSampling returns, so no read is lost.
 * Disconnecting a session makes V8's heap profiler agent forget its heap object ids
 * (V8HeapProfilerAgentImpl::disable calls ClearObjectIds), so the session stays connected for
 * the whole boot: snapshot node ids must stay stable within a process.
 */
export function createAllocSampler(options: AllocSamplerOptions): AllocSampler {
  const { config, notice } = options;
  const now = options.now ?? Date.now;
  const stats: AllocSamplerStats = { running: false, profiles: 0, failures: 0, restarts: 0, epochs: 0, snapshotsInEpoch: 0, lastNodes: 0, lastSites: 0, lastBytes: 0, readMs: 0, flattenMs: 0 };
  const noticed = new Set<string>();
  const noticeOnce = (kind: string, line: string): void => {
    if (noticed.has(kind)) return;
    noticed.add(kind);
    notice(`leakwatch probe: ${line}`);
  };
  let session: InspectorSessionLike | undefined;
  let startedAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let reading: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;

  /** Never rejects: an inspector error is a result here, never an exception in the host. */
  const post = (method: string, params: object = {}): Promise<{ err: Error | null; result?: unknown }> =>
    new Promise((resolve) => {
      try {
        session!.post(method, params, (err, result) => resolve({ err, result }));
      } catch (err) {
        resolve({ err: err as Error });
      }
    });

  async function startSampling(): Promise<boolean> {
    const { err } = await post('HeapProfiler.startSampling', { samplingInterval: config.intervalBytes });
    if (err) {
      noticeOnce('start', `allocation sampling could not start: ${firstLine(err)}`);
      return false;
    }
    startedAt = now();
    stats.running = true;
    stats.snapshotsInEpoch = 0;
    return true;
  }

  async function start(): Promise<void> {
    try {
      session = options.createSession ? options.createSession() : createInspectorSession();
      session.connect();
    } catch (err) {
      // Node built without the inspector, or a host that forbids it: run without allocation sites.
      noticeOnce('start', `allocation sampling unavailable: ${firstLine(err)}`);
      session = undefined;
      return;
    }
    const enabled = await post('HeapProfiler.enable');
    if (enabled.err) {
      noticeOnce('start', `allocation sampling could not start: ${firstLine(enabled.err)}`);
      return;
    }
    if (stopped) return;
    if (!(await startSampling())) return;
    if (stopped) return;
    timer = setInterval(() => void ship(), config.everyMs);
    timer.unref();
  }

  /**
   * Reads the profile and sends it. The last read is `stopSampling`, which returns the same
   * profile and then stops (V8 builds the tree once, not twice, on the way out).
   */
  async function readOnce(last = false): Promise<void> {
    if (!session || !stats.running) return;
    const t0 = performance.now();
    const { err, result } = await post(last ? 'HeapProfiler.stopSampling' : 'HeapProfiler.getSamplingProfile');
    const t1 = performance.now();
    stats.readMs += t1 - t0;
    if (last) stats.running = false;
    if (err) {
      if (last) return;
      if (/not started/i.test(err.message)) {
        stats.restarts++;
        await startSampling();
        return;
      }
      stats.failures++;
      noticeOnce('read', `allocation profile could not be read: ${firstLine(err)}`);
      return;
    }
    try {
      const profile = (result as { profile: V8SamplingProfile }).profile;
      const flat = flattenSamplingProfile(profile, { at: now(), startedAt, intervalBytes: config.intervalBytes, stackDepth: config.stackDepth });
      stats.flattenMs += performance.now() - t1;
      stats.profiles++;
      stats.lastNodes = flat.nodes;
      stats.lastSites = flat.body.sites.length;
      stats.lastBytes = flat.json.length;
      options.send(flat.body);
    } catch (err) {
      stats.failures++;
      noticeOnce('flatten', `allocation profile could not be sent: ${firstLine(err)}`);
    }
  }

  const epochDue = (): boolean => stats.running && stats.snapshotsInEpoch > 0 && now() - startedAt >= config.epochMs;

  /** The epoch's last profile (stopSampling returns it), then sampling again from nothing. */
  async function readOrBeginEpoch(): Promise<void> {
    if (!epochDue() || stopped) return readOnce();
    await readOnce(true);
    if (stopped || !session) return;
    if (await startSampling()) stats.epochs++;
  }

  /** One read at a time: a timer tick during stop()'s last read waits for it instead of doubling it. */
  function ship(): Promise<void> {
    reading ??= readOrBeginEpoch().finally(() => {
      reading = undefined;
    });
    return reading;
  }

  async function snapshotTaken(): Promise<void> {
    await starting;
    if (!stats.running) return;
    stats.snapshotsInEpoch++;
    // A read under way may itself begin the epoch; one more read then changes nothing until due.
    await reading;
    if (epochDue()) await ship();
  }

  const starting = config.enabled ? start() : Promise.resolve();

  return {
    ship: () => starting.then(ship),
    snapshotTaken,
    stop() {
      stopped ??= (async () => {
        await starting;
        clearInterval(timer);
        await reading;
        await readOnce(true);
        if (session) {
          try {
            session.disconnect();
          } catch {
            // Already gone with the isolate: nothing left to stop.
          }
          session = undefined;
        }
      })();
      return stopped;
    },
    stats: () => ({ ...stats }),
  };
}

function createInspectorSession(): InspectorSessionLike {
  // Loaded here, not at the top: a Node built without the inspector throws on require, and the
  // probe must then run without allocation sites rather than fail to load.
  const inspector = require('node:inspector') as typeof import('node:inspector');
  const session = new inspector.Session();
  return session as unknown as InspectorSessionLike;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}
