import type WebSocket from 'ws';
import { MAX_SNAPSHOT_BYTES } from '../../protocol/decode-snapshot';
import type { SnapshotStatusMessage } from '../../protocol/snapshot-messages';
import type { Logger } from '../../shared/log';
import type { SnapshotRecord } from '../../shared/snapshot-types';
import type { Store } from '../../store/types';
import type { LiveHub } from '../live-hub';
import { orphanCaptureReason } from './orphan-captures';
import { createSnapshotFiles } from './files';
import { applyProbeStatus } from './lifecycle';
import { createSnapshotPipeline } from './pipeline';
import { createRecordBook } from './record-book';
import { createSnapshotRequests } from './requests';
import { handleSnapshotUpload } from './upload';

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
  /** Analysis worker entry override (tests). */
  workerPath?: string;
}

/** How a POST .../snapshots is answered: 202 for a new capture or a refusal, 200 for the one already running. */
export interface SnapshotRequestAnswer {
  httpStatus: 200 | 202;
  snapshot: SnapshotRecord;
}

/**
 * Everything the collector does with heap snapshots, wired together: records (store + live push +
 * progress), upload connections, the analysis pipeline, requests to probes and the file store.
 */
export function createSnapshotService(options: SnapshotServiceOptions) {
  const { store, live, log } = options;
  const files = createSnapshotFiles({ dir: options.dir, retentionDays: options.retentionDays, log });
  const records = createRecordBook({ store, live });
  const pipeline = createSnapshotPipeline({ store, records, files, log, workerPath: options.workerPath });
  const requests = createSnapshotRequests<SnapshotRequestAnswer>({ timeoutMs: options.requestTimeoutMs });
  const activeUploads = new Set<string>();
  const uploadSockets = new Set<WebSocket>();
  const uploadsDone = new Set<Promise<void>>();

  /** Marks a capture failed unless something else happened to it meanwhile. */
  function failCapture(run: string, id: string, reason: string): Promise<SnapshotRecord | undefined> {
    return records.update(run, id, (prev) => (prev?.status === 'capturing' ? { ...prev, status: 'failed', errorCode: 'LW_ERR_SNAPSHOT_CAPTURE', reason } : undefined));
  }

  /** Orphaned captures (orphan-captures.ts) among `snapshots` are failed as they are read. */
  function settleOrphans(run: string, snapshots: SnapshotRecord[]): Promise<SnapshotRecord[]> {
    const now = Date.now();
    return Promise.all(
      snapshots.map(async (snapshot) => {
        if (snapshot.status !== 'capturing') return snapshot;
        const reason = orphanCaptureReason(snapshot, await store.lastSampleOfBoot(run, snapshot.boot), now);
        return reason ? ((await failCapture(run, snapshot.id, reason)) ?? snapshot) : snapshot;
      }),
    );
  }

  return {
    records,
    files,
    pipeline,

    /** Starts the retention sweep and queues uploads a previous process verified but did not analyse. */
    async start(): Promise<void> {
      files.startRetention();
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
      uploadSockets.add(ws);
      const done = handleSnapshotUpload(ws, url, remote, {
        files,
        records,
        log,
        maxBytes: options.maxSnapshotBytes ?? MAX_SNAPSHOT_BYTES,
        active: activeUploads,
        onVerified: (verified) => pipeline.enqueue(verified),
      });
      uploadsDone.add(done);
      void done.finally(() => {
        uploadsDone.delete(done);
        uploadSockets.delete(ws);
      });
    },

    /** A probe of `run` is connected on `ws` (after its hello): snapshot requests go there. */
    addProbe(run: string, ws: WebSocket): void {
      requests.addProbe(run, ws);
    },

    /**
     * A `snapshot-status` from a probe, called once everything before it on that connection is
     * stored: records it, then answers the API request waiting for it, if any.
     */
    async onProbeStatus(msg: SnapshotStatusMessage): Promise<void> {
      const snapshot = await records.update(msg.run, msg.snapshotId, (prev) => applyProbeStatus(prev, msg));
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
        if (snapshot.status === 'capturing') await failCapture(run, snapshot.id, 'the process ended before its snapshot was uploaded');
      }
    },

    /** The run's snapshots as the API shows them, oldest first, orphaned captures settled. */
    async list(run: string): Promise<SnapshotRecord[]> {
      return settleOrphans(run, await records.list(run));
    },

    async get(run: string, id: string): Promise<SnapshotRecord | undefined> {
      const snapshot = await records.get(run, id);
      return snapshot && (await settleOrphans(run, [snapshot]))[0];
    },

    /** Asks the run's probe for a snapshot now (LW_ERR_SNAPSHOT_NO_PROBE, LW_ERR_SNAPSHOT_TIMEOUT). */
    request(run: string): Promise<SnapshotRequestAnswer> {
      return requests.request(run);
    },

    /** Ends uploads (recorded as failed) and stops the analysis; verified files stay for the next start. */
    async close(): Promise<void> {
      files.stopRetention();
      for (const ws of uploadSockets) ws.terminate();
      await Promise.all(uploadsDone);
      await pipeline.stop();
      records.close();
    },
  };
}

export type SnapshotService = ReturnType<typeof createSnapshotService>;
