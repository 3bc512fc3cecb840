import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { encodeMessage } from '../protocol/encode';
import { PROTOCOL_VERSION, type BatchMessage, type ByeMessage, type HelloMessage } from '../protocol/messages';
import type { AllocProfileMessage } from '../protocol/alloc-messages';
import type { SnapshotStatusMessage } from '../protocol/snapshot-messages';
import type { WatchReportMessage } from '../protocol/alloc-messages';
import type { ProbeConfig } from '../shared/probe-config';
import { redactArgv } from './argv-redaction';
import { processIdentity } from './process-identity';
import type { CollectorTrust } from './connect-options';
import { createAllocSampler, type AllocSamplerOptions, type AllocSamplerStats } from './alloc-sampler';
import { createFloorMeter, type FloorMeterOptions, type FloorMeterStats } from './floor-meter';
import { createGcObserver } from './gc-observer';
import { startLineageReporter } from './lineage';
import { createSampler } from './sampler';
import { createSendQueue, type SendQueueStats } from './send-queue';
import { createSourceMapUploader, type SourceMapUploader } from './source-map-uploader';
import { createSnapshotter, type SnapshotterOptions, type SnapshotterStats } from './snapshotter';
import { createSuspectWatcher, type SuspectWatcherStats } from './suspect-watcher';
import { createTransport } from './transport';

export const PROBE_VERSION = '0.1.0';
/** Upper bound on what the probe buffers while the collector is away (about 10 min at 1 s). */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024;

export interface ProbeHandle {
  readonly runId: string;
  readonly bootId: string;
  /** Takes a last sample, says bye and waits for the collector's ack: all of it within `deadlineMs`. */
  stop(deadlineMs?: number): Promise<{ flushed: boolean }>;
  stats(): SendQueueStats & { connected: boolean; snapshots: SnapshotterStats; alloc: AllocSamplerStats; watches: SuspectWatcherStats; floor: FloorMeterStats };
}

/** Seams for tests and benchmarks; production code passes none. */
export interface ProbeInternals {
  snapshot?: Pick<SnapshotterOptions, 'headroom' | 'upload'>;
  alloc?: Pick<AllocSamplerOptions, 'createSession'>;
  floor?: Pick<FloorMeterOptions, 'createSession'>;
}

/**
 * The in-app probe: a sampler tick every interval builds one batch (sample, heap spaces, GCs
 * since the last tick) and queues it for the transport. All work per tick is a handful of
 * counter reads and one JSON.stringify of ~2 KB; nothing blocks the host's event loop.
 */
export function createProbe(
  config: ProbeConfig,
  notice: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  internals: ProbeInternals = {},
): ProbeHandle {
  const runId = config.runId ?? randomUUID();
  const bootId = randomUUID();
  const trust: CollectorTrust = { token: config.token, ca: config.ca };
  const startedAt = Date.now();
  const sampler = createSampler();
  // The measured floor (soak mode only): its full GCs are measured points, not V8's own GCs.
  const gcObserver = createGcObserver({ intervalMs: config.intervalMs, ownedByProbe: (t, ms) => floorMeter.owns(t, ms) });
  const floorMeter = createFloorMeter({ config: config.floor, record: (point) => gcObserver.recordMeasured(point), notice, ...internals.floor });
  const queue = createSendQueue({ maxMessages: config.maxQueuedMessages, maxBytes: MAX_QUEUED_BYTES });
  const hello: HelloMessage = {
    v: PROTOCOL_VERSION,
    type: 'hello',
    run: runId,
    boot: bootId,
    seq: 0,
    name: config.runName ?? defaultRunName(),
    labels: config.labels,
    pid: process.pid,
    host: os.hostname(),
    node: process.version,
    argv: redactArgv(process.argv.slice(1, 64)).map((a) => a.slice(0, 1024)),
    startedAt,
    intervalMs: config.intervalMs,
    probeVersion: PROBE_VERSION,
  };
  // Identity is read at the first send, once the app's main module has run (process-identity.ts),
  // and then kept: every hello of a boot must say the same.
  let helloText: string | undefined;
  const helloFrame = (): string => (helloText ??= encodeMessage({ ...hello, ...processIdentity() }));
  const snapshotter = createSnapshotter({
    runId,
    bootId,
    collectorUrl: config.collectorUrl,
    trust,
    config: config.snapshot,
    startedAt,
    notice,
    // A snapshot leaves its strings in V8's heap-profiler table while sampling runs: the sampler
    // frees them by beginning a new epoch (alloc-sampler.ts). Never rejects.
    onCaptured: () => void allocSampler.snapshotTaken(),
    connected: () => transport.connected,
    sendStatus: (fields) => {
      queue.push(
        (seq) => {
          const message: SnapshotStatusMessage = { v: PROTOCOL_VERSION, type: 'snapshot-status', run: runId, boot: bootId, seq, ...fields };
          return { text: encodeMessage(message), samples: 0, ts: fields.at };
        },
        { carriesGap: false },
      );
      transport.flush();
    },
    ...internals.snapshot,
  });
  // Pushed like a snapshot status: its own seq, acked like a batch, no samples, no gap to carry.
  // Maps of the scripts that profiles name, for a collector that cannot read this machine's files.
  const maps: SourceMapUploader | null = config.sourceMaps.upload
    ? createSourceMapUploader({
        push: (part) => {
          queue.push((seq) => ({ text: encodeMessage({ v: PROTOCOL_VERSION, type: 'source-map', run: runId, boot: bootId, seq, ...part }), samples: 0, ts: Date.now() }), { carriesGap: false });
          transport.flush();
        },
        queueBytes: () => queue.stats().queuedBytes,
        notice,
      })
    : null;
  const allocSampler = createAllocSampler({
    config: config.alloc,
    notice,
    send: (body) => {
      maps?.offer(body.frames.map((f) => f.url));
      queue.push(
        (seq) => {
          const message: AllocProfileMessage = { v: PROTOCOL_VERSION, run: runId, boot: bootId, seq, ...body };
          return { text: encodeMessage(message), samples: 0, ts: body.at };
        },
        { carriesGap: false },
      );
      transport.flush();
    },
    ...internals.alloc,
  });
  // Watching a suspect container on the collector's request (suspect-watcher.ts); reports go out like snapshot statuses.
  const watcher = createSuspectWatcher({
    notice,
    sendReport: (fields) => {
      maps?.offer(fields.frames.map((f) => f.url));
      const at = Date.now();
      queue.push((seq) => ({ text: encodeMessage({ v: PROTOCOL_VERSION, type: 'watch-report', run: runId, boot: bootId, seq, ...fields } satisfies WatchReportMessage), samples: 0, ts: at }), { carriesGap: false });
      transport.flush();
    },
  });
  const transport = createTransport({
    url: config.collectorUrl,
    trust,
    queue,
    hello: helloFrame,
    notice,
    heartbeatMs: config.heartbeatMs,
    onSnapshotRequest: (request) => snapshotter.request(request.requestId),
    onWatchRequest: (request) => watcher.request(request),
    // Nobody will take this run's data again: sampling on would only fill the queue.
    onRunEnded: () => {
      handle.stop(0).catch(() => {});
    },
  });
  let stopping: Promise<{ flushed: boolean }> | undefined;

  function tick(): void {
    try {
      const now = Date.now();
      const { sample, spaces } = sampler.read(now);
      const gcs = gcObserver.drain();
      let floor: number | undefined;
      for (const gc of gcs) if (gc.heapUsedAfter !== null) floor = gc.heapUsedAfter;
      snapshotter.tick({ now, heapUsed: sample.heapUsed, heapLimit: sample.heapLimit, floor });
      queue.push((seq, gap) => {
        const batch: BatchMessage = { v: PROTOCOL_VERSION, type: 'batch', run: runId, boot: bootId, seq, samples: [sample], spaces, gcs };
        if (gap) batch.gap = gap;
        return { text: encodeMessage(batch), samples: 1, ts: now };
      });
      transport.flush();
    } catch (err) {
      // A probe bug must never become the host's exception.
      notice(`leakwatch probe: sampling failed: ${(err as Error).message}`);
    }
  }

  // What was running (lineage.ts): read off the start-up path, sent once like a source map part.
  startLineageReporter({
    script: process.argv[1],
    cwd: process.cwd(),
    probeVersion: PROBE_VERSION,
    notice,
    push: (facts) => {
      if (stopping) return;
      queue.push((seq) => ({ text: encodeMessage({ v: PROTOCOL_VERSION, type: 'lineage', run: runId, boot: bootId, seq, ...facts }), samples: 0, ts: facts.at }), { carriesGap: false });
      transport.flush();
    },
  });

  const timer = setInterval(tick, config.intervalMs);
  timer.unref();
  transport.start();
  // First sample right away so short-lived processes are seen too.
  setImmediate(tick).unref();

  const handle: ProbeHandle = {
    runId,
    bootId,
    stop(deadlineMs = 2000) {
      stopping ??= (async () => {
        const stopStartedAt = Date.now();
        clearInterval(timer);
        floorMeter.stop();
        // Before the bye: an aborted snapshot's `failed` status goes out ahead of it.
        await snapshotter.stop();
        // Unhooked before the bye, so the report of a watch cut short goes out ahead of it.
        watcher.stop();
        tick();
        // The last live-allocation profile, then sampling stops: both before the bye.
        await allocSampler.stop();
        maps?.stop();
        queue.push((seq) => {
          const bye: ByeMessage = { v: PROTOCOL_VERSION, type: 'bye', run: runId, boot: bootId, seq, endedAt: Date.now(), reason: 'probe stopped', endsRun: !config.managed };
          return { text: encodeMessage(bye), samples: 0, ts: Date.now() };
        }, { carriesGap: false });
        transport.flush();
        // The deadline covers the whole stop: what the snapshot and profiler stops took is spent.
        const flushed = await transport.waitIdle(Math.max(0, deadlineMs - (Date.now() - stopStartedAt)));
        transport.close();
        sampler.close();
        gcObserver.close();
        return { flushed };
      })();
      return stopping;
    },
    stats() {
      return { ...queue.stats(), connected: transport.connected, snapshots: snapshotter.stats(), alloc: allocSampler.stats(), watches: watcher.stats(), floor: floorMeter.stats() };
    },
  };
  return handle;
}

function defaultRunName(): string {
  const script = process.argv[1];
  return script ? path.basename(script) : 'node';
}
