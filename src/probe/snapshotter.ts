import { randomUUID } from 'node:crypto';
import { promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import v8 from 'node:v8';
import { INGEST_PATH, PROTOCOL_VERSION } from '../protocol/messages';
import { SNAPSHOT_UPLOAD_PATH, type SnapshotStatusMessage } from '../protocol/snapshot-messages';
import { formatErrorLine, type ErrorCode } from '../shared/errors';
import type { SnapshotConfig } from '../shared/probe-config';
import type { SnapshotTrigger } from '../shared/snapshot-data';
import { checkHeadroom, type HeadroomOptions } from './headroom-guard';
import { removeStaleSnapshotFiles, snapshotFileName } from './snapshot-file-name';
import type { CollectorTrust } from './connect-options';
import { createSnapshotTriggers, type HeapReading } from './snapshot-triggers';
import { uploadSnapshotFile, type UploadOptions, type UploadProgress } from './snapshot-upload';

/** The fields of a `snapshot-status` the snapshotter decides; the probe adds the envelope (seq). */
export type SnapshotStatusFields = Omit<SnapshotStatusMessage, 'v' | 'type' | 'run' | 'boot' | 'seq'>;

export interface SnapshotterOptions {
  runId: string;
  bootId: string;
  /** The ingest URL; the upload URL is derived from it. */
  collectorUrl: string;
  trust: CollectorTrust;
  config: SnapshotConfig;
  /** Queues a status message on the ingest connection (seq'd, acknowledged, resent). */
  sendStatus: (status: SnapshotStatusFields) => void;
  /** Whether the ingest connection is up: automatic snapshots wait for it (nowhere to upload). */
  connected: () => boolean;
  notice: (line: string) => void;
  /** Tests inject memory and disk readers here to present a machine with little room. */
  headroom?: Pick<HeadroomOptions, 'readMemoryRoom' | 'readDiskRoom'>;
  upload?: Pick<UploadOptions, 'stallTimeoutMs' | 'highWaterBytes'>;
  /** Epoch ms when the probe started: the schedule counts from there. */
  startedAt?: number;
  /** Called once V8 has written a snapshot (the allocation sampler's epochs depend on it). */
  onCaptured?: () => void;
}

export interface SnapshotterStats {
  /** The snapshot in flight, or null. */
  inFlight: string | null;
  phase: 'idle' | 'checking' | 'capturing' | 'uploading';
  taken: number;
  refused: number;
  failed: number;
  busy: number;
  /** App pause of the last capture (V8 writing the file). */
  lastCaptureMs: number;
  /**
   * CPU time of the process during that capture: unlike the pause, it does not grow when other
   * processes take the CPU, so it tells a slower V8 write from a busy machine.
   */
  lastCaptureCpuMs: number;
  /** Progress of the current upload, else of the last one. */
  upload: UploadProgress;
}

interface InFlight {
  id: string;
  trigger: SnapshotTrigger;
  requestId: string;
  heapUsed: number;
  /** V8's heap_size_limit when the snapshot was asked for (--max-old-space-size). */
  heapLimit: number;
  estimatedBytes: number;
  availableBytes: number;
  phase: SnapshotterStats['phase'];
  file: string | undefined;
  abort: AbortController;
  /** Set when stop() already told the collector; the run then ends quietly. */
  stopped: boolean;
  done: Promise<void>;
}

/** ws://host:port/ingest -> ws://host:port/snapshot-upload?run=&boot=&snapshot= (same prefix, if any). */
export function snapshotUploadUrl(collectorUrl: string, runId: string, bootId: string, snapshotId: string): string {
  const url = new URL(collectorUrl);
  url.pathname = url.pathname.endsWith(INGEST_PATH) ? url.pathname.slice(0, -INGEST_PATH.length) + SNAPSHOT_UPLOAD_PATH : SNAPSHOT_UPLOAD_PATH;
  url.search = new URLSearchParams({ run: runId, boot: bootId, snapshot: snapshotId }).toString();
  return url.toString();
}

/**
 * Heap snapshots on demand (a collector's `snapshot-request`), on a schedule and on triggers
 * (see snapshot-triggers.ts), one at a time:
 *
 * 1. the headroom guard estimates the memory V8 will need and refuses (status `refused`, reason,
 *    nothing written) when the machine or container cannot hold it;
 * 2. status `capturing`, then `v8.writeHeapSnapshot()` to a file in the snapshot directory: the
 *    one pause of the app, forced by V8;
 * 3. the file is opened and unlinked at once, then streamed to the collector from the open
 *    descriptor (snapshot-upload.ts): nothing stays on disk, whatever happens to the process.
 * A request while one is in flight is answered `busy` with the in-flight id. Failures are
 * reported as status `failed`; nothing here ever throws into the app.
 */
export function createSnapshotter(options: SnapshotterOptions) {
  const { config } = options;
  const triggers = createSnapshotTriggers(config, options.startedAt ?? Date.now());
  let current: InFlight | undefined;
  let stopped = false;
  const stats: SnapshotterStats = {
    inFlight: null,
    phase: 'idle',
    taken: 0,
    refused: 0,
    failed: 0,
    busy: 0,
    lastCaptureMs: 0,
    lastCaptureCpuMs: 0,
    upload: { bytesTotal: 0, bytesSent: 0, chunks: 0, maxBufferedBytes: 0 },
  };

  function status(s: InFlight, state: SnapshotStatusMessage['state'], reason = '', errorCode: ErrorCode | '' = ''): void {
    options.sendStatus({
      state,
      snapshotId: s.id,
      requestId: s.requestId,
      trigger: s.trigger,
      at: Date.now(),
      heapUsed: s.heapUsed,
      estimatedBytes: s.estimatedBytes,
      availableBytes: s.availableBytes,
      reason: reason.slice(0, 1024),
      errorCode,
    });
  }

  function failed(s: InFlight, errorCode: ErrorCode, reason: string): void {
    stats.failed++;
    status(s, 'failed', reason, errorCode);
    options.notice(`leakwatch probe: heap snapshot ${s.id} failed: ${errorCode}: ${reason}`);
  }

  async function capture(s: InFlight): Promise<void> {
    const dir = config.dir ?? os.tmpdir();
    // A partial file of a process killed mid-write takes disk this snapshot may need.
    await removeStaleSnapshotFiles(dir);
    const decision = await checkHeadroom(s.heapUsed, dir, { factor: config.headroomFactor, heapLimit: s.heapLimit, ...options.headroom }).catch((err: Error) => err);
    if (decision instanceof Error) {
      failed(s, 'LW_ERR_SNAPSHOT_CAPTURE', `snapshot directory ${dir} cannot be used: ${decision.message}`);
      return;
    }
    s.estimatedBytes = decision.estimatedBytes;
    s.availableBytes = decision.availableBytes;
    if (s.stopped) return;
    if (!decision.ok) {
      stats.refused++;
      status(s, 'refused', decision.reason, 'LW_ERR_SNAPSHOT_REFUSED');
      options.notice(`leakwatch probe: heap snapshot refused: ${decision.reason}`);
      return;
    }
    s.phase = stats.phase = 'capturing';
    status(s, 'capturing');
    // One turn of the loop lets the status frame reach the socket before V8 stops the world.
    await yieldToLoop();
    if (s.stopped) return;
    const file = snapshotFileName(dir, s.id);
    s.file = file;
    const takenAt = Date.now();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    try {
      v8.writeHeapSnapshot(file);
    } catch (err) {
      failed(s, 'LW_ERR_SNAPSHOT_CAPTURE', `V8 could not write the snapshot to ${dir}: ${(err as Error).message}`);
      return;
    }
    const captureMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    options.onCaptured?.();
    stats.lastCaptureMs = captureMs;
    stats.lastCaptureCpuMs = (cpu.user + cpu.system) / 1000;
    // Open, then unlink at once: the data lives as long as the descriptor, so whatever ends the
    // process from here on (a signal, process.exit(), a crash) leaves nothing on disk. Where the
    // unlink is refused, the file is deleted after the upload instead.
    const handle = await fsp.open(file, 'r');
    try {
      await fsp.rm(file).then(
        () => {
          s.file = undefined;
        },
        () => {},
      );
      const size = (await handle.stat()).size;
      if (s.stopped) return;
      s.phase = stats.phase = 'uploading';
      stats.upload = { bytesTotal: size, bytesSent: 0, chunks: 0, maxBufferedBytes: 0 };
      await uploadSnapshotFile({
        url: snapshotUploadUrl(options.collectorUrl, options.runId, options.bootId, s.id),
        trust: options.trust,
        file: handle,
        begin: {
          v: PROTOCOL_VERSION,
          type: 'snapshot-begin',
          run: options.runId,
          boot: options.bootId,
          snapshotId: s.id,
          trigger: s.trigger,
          takenAt,
          captureMs,
          heapUsed: s.heapUsed,
          size,
        },
        signal: s.abort.signal,
        onProgress: (progress) => {
          stats.upload = progress;
        },
        ...options.upload,
      });
      stats.taken++;
    } catch (err) {
      if (!s.stopped) failed(s, 'LW_ERR_SNAPSHOT_UPLOAD', (err as Error).message);
    } finally {
      await handle.close().catch(() => {});
    }
  }

  /** Removes the file if the process exits while it still has a name (process.exit() in the app). */
  function removeOnExit(): void {
    const file = current?.file;
    if (file) rmSync(file, { force: true });
  }

  function start(trigger: SnapshotTrigger, requestId: string): void {
    const now = Date.now();
    triggers.started(trigger, now);
    const heap = v8.getHeapStatistics();
    const s: InFlight = {
      id: randomUUID(),
      trigger,
      requestId,
      heapUsed: heap.used_heap_size,
      heapLimit: heap.heap_size_limit,
      estimatedBytes: 0,
      availableBytes: 0,
      phase: 'checking',
      file: undefined,
      abort: new AbortController(),
      stopped: false,
      done: Promise.resolve(),
    };
    current = s;
    stats.inFlight = s.id;
    stats.phase = 'checking';
    process.on('exit', removeOnExit);
    s.done = capture(s)
      .catch((err: unknown) => {
        // A bug here must not become the app's unhandled rejection; report it like any failure.
        if (!s.stopped) failed(s, 'LW_ERR_SNAPSHOT_CAPTURE', formatErrorLine(err));
      })
      .then(async () => {
        if (s.file) await fsp.rm(s.file, { force: true }).catch(() => {});
      })
      .finally(() => {
        process.off('exit', removeOnExit);
        if (current === s) current = undefined;
        stats.inFlight = null;
        stats.phase = 'idle';
      });
  }

  return {
    /** A collector's `snapshot-request`: start one, or answer `busy` naming the one in flight. */
    request(requestId: string): void {
      if (stopped) return;
      if (current) {
        stats.busy++;
        const inFlight = current;
        options.sendStatus({
          state: 'busy',
          snapshotId: inFlight.id,
          requestId,
          // The snapshot named is the one in flight: its trigger, not this request's.
          trigger: inFlight.trigger,
          at: Date.now(),
          heapUsed: inFlight.heapUsed,
          estimatedBytes: inFlight.estimatedBytes,
          availableBytes: inFlight.availableBytes,
          reason: `snapshot ${inFlight.id} (${inFlight.trigger}) is still in flight`,
          errorCode: 'LW_ERR_SNAPSHOT_BUSY',
        });
        return;
      }
      start('manual', requestId);
    },
    /** Called on every sampler tick with numbers the tick already read. */
    tick(reading: HeapReading): void {
      // Always fed, so the growth trigger knows the latest floor when the snapshotter frees up.
      const trigger = triggers.due(reading);
      if (trigger && !stopped && !current && options.connected()) start(trigger, '');
    },
    /** Aborts an in-flight snapshot (status `failed` first), waits until its file is deleted. */
    async stop(): Promise<void> {
      stopped = true;
      const s = current;
      if (!s) return;
      if (!s.stopped) {
        s.stopped = true;
        const code: ErrorCode = s.phase === 'uploading' ? 'LW_ERR_SNAPSHOT_UPLOAD' : 'LW_ERR_SNAPSHOT_CAPTURE';
        stats.failed++;
        status(s, 'failed', 'the probe stopped before the snapshot was stored', code);
      }
      s.abort.abort();
      await s.done;
    },
    stats(): SnapshotterStats {
      return { ...stats, upload: { ...stats.upload } };
    },
  };
}

export type Snapshotter = ReturnType<typeof createSnapshotter>;
