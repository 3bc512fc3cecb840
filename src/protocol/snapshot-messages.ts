import type { SnapshotTrigger } from '../shared/snapshot-data';
import type { Envelope } from './envelope';

/**
 * Heap snapshot part of wire protocol version 1 (additive message types).
 *
 * Control goes over the probe's ingest connection; the file goes over a separate upload
 * connection per snapshot so a large upload never delays samples and acks, and so
 * `bufferedAmount` backpressure applies to the upload alone.
 *
 * 1. collector -> probe (ingest connection): `snapshot-request` (from the UI / `leakwatch snapshot`).
 * 2. probe -> collector (ingest connection, seq'd and acked like a batch): `snapshot-status`
 *    with state `capturing` (a snapshot id is assigned, V8 is writing it), `refused` (headroom
 *    guard; nothing was written), `busy` (answer to a request while another snapshot is in flight;
 *    `snapshotId` names that one) or `failed` (capture or upload failed in the probe).
 * 3. probe -> collector, new WebSocket to `SNAPSHOT_UPLOAD_PATH?run=&boot=&snapshot=` (same token
 *    header as ingest): one text frame `snapshot-begin`, then the file as binary frames of at most
 *    `SNAPSHOT_CHUNK_BYTES`, then one text frame `snapshot-end`. The collector answers one text
 *    frame `snapshot-stored` once the size and checksum check out and the file is safe on disk,
 *    or closes with an `LW_ERR_SNAPSHOT_*` close code.
 */
export const SNAPSHOT_UPLOAD_PATH = '/snapshot-upload';

/** Largest binary frame of an upload (the bound on chunks: 1 MiB). */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

/** Collector -> probe. */
export interface SnapshotRequestMessage {
  v: number;
  type: 'snapshot-request';
  /** Echoed in the probe's `snapshot-status` so the requester can match the answer. */
  requestId: string;
}

/** Probe -> collector over the ingest connection. */
export interface SnapshotStatusMessage extends Envelope {
  type: 'snapshot-status';
  state: 'capturing' | 'refused' | 'busy' | 'failed';
  snapshotId: string;
  /** The request being answered; '' for scheduled and triggered snapshots. */
  requestId: string;
  trigger: SnapshotTrigger;
  at: number;
  heapUsed: number;
  /** Headroom guard's estimate of the extra process memory V8 needs to write the snapshot. */
  estimatedBytes: number;
  /** Memory the guard found available (min of system available memory and container room). */
  availableBytes: number;
  /** Refusal or failure reason (one line), and its `LW_ERR_*` code; '' otherwise. */
  reason: string;
  errorCode: string;
}

/** First frame of an upload connection (text). */
export interface SnapshotBeginMessage {
  v: number;
  type: 'snapshot-begin';
  run: string;
  boot: string;
  snapshotId: string;
  trigger: SnapshotTrigger;
  takenAt: number;
  /** Milliseconds the app was paused writing the snapshot. */
  captureMs: number;
  heapUsed: number;
  /** Exact file size in bytes (the file is complete before the upload starts). */
  size: number;
}

/** Last frame of an upload connection (text). */
export interface SnapshotEndMessage {
  v: number;
  type: 'snapshot-end';
  snapshotId: string;
  size: number;
  chunks: number;
  /** sha256 of the whole file, lowercase hex. */
  sha256: string;
}

/** Collector -> probe over the upload connection: the file is verified and stored. */
export interface SnapshotStoredMessage {
  v: number;
  type: 'snapshot-stored';
  snapshotId: string;
}
