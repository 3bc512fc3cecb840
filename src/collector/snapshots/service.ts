import type WebSocket from 'ws';
import { MAX_SNAPSHOT_BYTES } from '../../protocol/decode-snapshot';
import { CLOSE_CODES, closeReason } from '../../protocol/close-codes';
import type { SnapshotStatusMessage } from '../../protocol/snapshot-messages';
import type { LeakwatchError } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import type { SnapshotRecord } from '../../shared/snapshot-data';
import type { SnapshotSuspects } from '../../shared/suspect-data';
import type { Store } from '../../store/store-interface';
import type { LiveHub } from '../live-hub';
import type { LocationResolver } from '../source-maps';
import { createSnapshotFiles } from './files';
import { applyCaptureLost, applyProbeStatus } from './lifecycle';
import { createOrphanSweeper } from './orphan-sweeper';
import { createSnapshotPipeline } from './pipeline';
import { createRecordBook } from './record-book';
import { latestSuspectsPerBoot } from './suspects-file';
import { createRequestLimit } from './request-limit';
import { createSnapshotRequests, DEFAULT_REQUEST_TIMEOUT_MS } from './requests';
import { handleSnapshotUpload } from './upload';
import { createUploadGrants } from './upload-grants';

export interface SnapshotServiceOptions {
  store: Store;
  live: LiveHub;
  log: Logger;
  /** Where snapshot files are kept (gzip) and uploads land. */
  dir: string;
  /** Stored files older than this are deleted (the store's retention). */
  retentionDays: number;
  maxSnapshotBytes?: number;
  requestTimeoutMs?: number;
  /** Least time between two requests of one run (request-limit.ts). */
  minRequestGapMs?: number;
  /** Analysis worker entry override (tests). */
  workerPath?: string;
  /** Between orphaned-capture sweeps (default a minute, orphan-sweeper.ts). */
  orphanSweepMs?: number;
  /** Epoch-milliseconds clock of the orphaned-capture sweep (tests). */
  now?: () => number;
  /** Maps the suspects' closure locations to the original sources (default: they stay generated). */
  resolver?: LocationResolver;
  /** Told of each snapshot's suspects once stored (the collector's suspect watching). */
  onSuspects?: (result: SnapshotSuspects) => void;
  /** While this returns an error, new snapshots are refused with it (the spool past its soft limit). */
  refuseNew?: () => LeakwatchError | undefined;
}

/** How a POST .../snapshots is answered: 202 for a new capture or a refusal, 200 for the one already running. */
export interface SnapshotRequestAnswer {
  httpStatus: 200 | 202;
  snapshot: SnapshotRecord;
}

/**
 * Everything the collector does with heap snapshots, wired together: records (store + live push +
 * progress), upload connections, the analysis pipeline, requests to probes, the file store and
 * the sweep for orphaned captures.
 */
export function createSnapshotService(options: SnapshotServiceOptions) {
  const { store, live, log } = options;
  const files = createSnapshotFiles({ dir: options.dir, retentionDays: options.retentionDays, log });
  const records = createRecordBook({ store, live });
  const pipeline = createSnapshotPipeline({ store, records, files, log, workerPath: options.workerPath, resolver: options.resolver, onSuspects: options.onSuspects });
  const requests = createSnapshotRequests<SnapshotRequestAnswer>({ timeoutMs: options.requestTimeoutMs });
  const limit = createRequestLimit({ minGapMs: options.minRequestGapMs, requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS });
  const grants = createUploadGrants(records);
  const orphans = createOrphanSweeper({ store, records, log, intervalMs: options.orphanSweepMs, now: options.now });
  const activeUploads = new Set<string>();
  const uploadSockets = new Set<WebSocket>();
  const uploadsDone = new Set<Promise<void>>();

  return {
    records,
    files,
    pipeline,
    log,

    /**
     * Starts the retention and orphaned-capture sweeps and queues uploads a previous process
     * verified but did not analyse.
     */
    async start(): Promise<void> {
      files.startRetention();
      orphans.start();
      // A directory the collector cannot tidy must not stop it from serving samples.
      const verified = await files.recover().catch((err: Error) => {
        log.warn(`cannot recover snapshot uploads in ${files.dir}: ${err.message}`);
        return [];
      });
      for (const upload of verified) {
        log.info(`resuming the analysis of snapshot ${upload.id} of run ${upload.run}`);
        pipeline.enqueue(upload);
      }
    },

    handleUpload(ws: WebSocket, url: URL, remote: string): void {
      const refusal = options.refuseNew?.();
      if (refusal) {
        // Before anything is written: a snapshot is the first thing to give up when disk runs short.
        log.warn(`snapshot upload from ${remote} refused: ${refusal.code}: ${refusal.message}`);
        ws.close(CLOSE_CODES.LW_ERR_SPOOL_FULL, closeReason(refusal.code, refusal.message));
        return;
      }
      uploadSockets.add(ws);
      const done = handleSnapshotUpload(ws, url, remote, {
        files,
        records,
        log,
        maxBytes: options.maxSnapshotBytes ?? MAX_SNAPSHOT_BYTES,
        active: activeUploads,
        refusal: (begin) => grants.refusal(begin.run, begin.boot, begin.snapshotId),
        onVerified: (verified) => {
          grants.done(verified.run, verified.id);
          pipeline.enqueue(verified);
        },
      });
      uploadsDone.add(done);
      void done.finally(() => {
        uploadsDone.delete(done);
        uploadSockets.delete(ws);
      });
    },

    /** A `snapshot-status` arrived on its boot's own ingest connection (before it is recorded): a `capturing` one grants its upload. */
    noteProbeStatus(msg: SnapshotStatusMessage): void {
      grants.noteStatus(msg);
    },

    /** A probe of `run` is connected on `ws` (after its hello): snapshot requests go there. */
    addProbe(run: string, ws: WebSocket, boot?: string): void {
      requests.addProbe(run, ws, boot);
    },

    /**
     * A `snapshot-status` from a probe, called once everything before it on that connection is
     * stored: records it, then answers the API request waiting for it, if any.
     */
    async onProbeStatus(msg: SnapshotStatusMessage): Promise<void> {
      // A boot speaks only for its own snapshots: a status naming another process's is not recorded.
      const snapshot = await records.update(msg.run, msg.snapshotId, (prev) => (prev && prev.boot !== '' && prev.boot !== msg.boot ? undefined : applyProbeStatus(prev, msg)));
      if (snapshot?.status === 'capturing') orphans.watch(msg.run, msg.snapshotId);
      if (msg.state !== 'capturing' && msg.state !== 'busy') log.info(`snapshot ${msg.snapshotId} of run ${msg.run} ${msg.state}: ${msg.errorCode} ${msg.reason}`.trimEnd());
      if (msg.requestId !== '' && snapshot) requests.answer(msg.requestId, { httpStatus: msg.state === 'busy' ? 200 : 202, snapshot });
    },

    /**
     * The run ended: a snapshot still `capturing` will never be uploaded (its process is gone,
     * most likely killed while V8 was writing). Marked failed so it does not look in progress
     * forever. An upload under way ends on its own connection.
     */
    async onRunEnded(run: string): Promise<void> {
      for (const snapshot of await store.listSnapshots(run)) {
        if (snapshot.status === 'capturing') await records.update(run, snapshot.id, (prev) => applyCaptureLost(prev, 'the process ended before its snapshot was uploaded'));
      }
    },

    /** The run's snapshots as the API shows them, oldest first (a pure read: orphans are the sweep's). */
    list(run: string): Promise<SnapshotRecord[]> {
      return records.list(run);
    },

    get(run: string, id: string): Promise<SnapshotRecord | undefined> {
      return records.get(run, id);
    },

    /** Per process of the run, the suspects of its latest snapshot that has them, the newest process first. */
    async suspects(run: string): Promise<SnapshotSuspects[]> {
      return latestSuspectsPerBoot(files, await records.list(run), log);
    },

    /** Fails orphaned captures now rather than at the next tick; resolves with how many (tests). */
    sweepOrphans(): Promise<number> {
      return orphans.sweep();
    },

    /**
     * Asks the run's probe for a snapshot now (LW_ERR_SNAPSHOT_NO_PROBE, LW_ERR_SNAPSHOT_TIMEOUT),
     * within the run's request limit (LW_ERR_SNAPSHOT_RATE_LIMITED; within the gap, the snapshot
     * the last request started while it is still with the probe, as 200).
     */
    async request(run: string, boot?: string): Promise<SnapshotRequestAnswer> {
      const refusal = options.refuseNew?.();
      if (refusal) throw refusal;
      const withProbe = async (id: string) => ['capturing', 'uploading'].includes((await records.get(run, id))?.status ?? '');
      const current = await limit.admit(run, withProbe);
      if (current !== null) {
        const snapshot = await records.get(run, current);
        if (snapshot) return { httpStatus: 200, snapshot };
      }
      try {
        const answer = await requests.request(run, boot);
        if (answer.snapshot.status === 'refused') limit.forget(run);
        else limit.answered(run, answer.snapshot.id);
        return answer;
      } catch (err) {
        if ((err as { code?: string }).code === 'LW_ERR_SNAPSHOT_NO_PROBE') limit.forget(run);
        else limit.answered(run);
        throw err;
      }
    },

    /** Ends uploads (recorded as failed) and stops the analysis; verified files stay for the next start. */
    async close(): Promise<void> {
      files.stopRetention();
      await orphans.stop();
      for (const ws of uploadSockets) ws.terminate();
      await Promise.all(uploadsDone);
      await pipeline.stop();
      records.close();
    },
  };
}

export type SnapshotService = ReturnType<typeof createSnapshotService>;
