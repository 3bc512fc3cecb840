import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type WebSocket from 'ws';
import { CLOSE_CODES, closeReason, type CloseErrorCode } from '../../protocol/close-codes';
import { decodeUploadMessage } from '../../protocol/decode-snapshot';
import { ProtocolError } from '../../protocol/decode-fields';
import { encodeMessage } from '../../protocol/encode';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import type { SnapshotBeginMessage } from '../../protocol/snapshot-messages';
import { formatErrorLine } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import type { SnapshotFiles, VerifiedUpload } from './files';
import { isSafeSegment } from './files';
import { fsyncFile } from './fsync-file';
import { ANALYSIS_STARTS, applyFailure, applyUploadBegin, applyVerified } from './lifecycle';
import type { RecordBook } from './record-book';

export interface UploadDeps {
  files: SnapshotFiles;
  records: RecordBook;
  log: Logger;
  /** Largest snapshot accepted (bytes). */
  maxBytes: number;
  /** Snapshots being uploaded right now (run/id), across connections: one upload per snapshot at a time. */
  active: Set<string>;
  /** Why this upload may not be stored (upload-grants.ts), or null when its boot announced it. */
  refusal: (begin: SnapshotBeginMessage) => Promise<string | null>;
  /** Called with each verified upload, after the probe was told it is stored. */
  onVerified: (upload: VerifiedUpload) => void;
}

/** Frames waiting in the handler beyond this pause the socket, so a fast sender cannot fill memory. */
const MAX_QUEUED_FRAMES = 4;
/** Disk space kept free beyond the upload and its compressed copy. */
const DISK_RESERVE_BYTES = 64 * 1024 * 1024;

class UploadError extends ProtocolError {}

/**
 * One upload connection (SNAPSHOT_UPLOAD_PATH): `snapshot-begin`, binary chunks, `snapshot-end`.
 * Chunks are appended to a temporary file as they arrive, with backpressure from the disk to the
 * socket, and hashed on the way, so the size and sha256 are checked without reading the file
 * again and without ever holding the snapshot in memory. A verified file is renamed, flushed to
 * disk, and only then confirmed to the probe (which may delete its copy on `snapshot-stored`).
 * Whatever goes wrong is recorded on the snapshot as `failed` with its LW_ERR_* code, and the
 * temporary file is removed.
 */
export function handleSnapshotUpload(ws: WebSocket, url: URL, remote: string, deps: UploadDeps): Promise<void> {
  const { files, records, log } = deps;
  let begin: SnapshotBeginMessage | undefined;
  let out: fs.WriteStream | undefined;
  let tempFile: string | undefined;
  const hash = createHash('sha256');
  let received = 0;
  let chunks = 0;
  let startedAt = 0;
  let state: 'begin' | 'data' | 'verifying' | 'done' | 'failed' = 'begin';
  let chain: Promise<void> = Promise.resolve();
  let queuedFrames = 0;
  let finished!: () => void;
  const settled = new Promise<void>((resolve) => (finished = resolve));

  const label = () => (begin ? `snapshot ${begin.snapshotId} of run ${begin.run}` : `snapshot upload from ${remote}`);

  async function discardTemp(): Promise<void> {
    const stream = out;
    out = undefined;
    if (stream && !stream.destroyed) {
      stream.destroy();
      await once(stream, 'close').catch(() => undefined);
    }
    if (tempFile) await fs.promises.rm(tempFile, { force: true });
  }

  /** Fails the upload once: closes the connection (when `close` is set), records why, removes the temp file. */
  async function fail(code: string, message: string, close?: CloseErrorCode): Promise<void> {
    if (state === 'failed' || state === 'done') return;
    state = 'failed';
    log.warn(`${label()} failed: ${code}: ${message}`);
    if (close && ws.readyState === ws.OPEN) ws.close(CLOSE_CODES[close], closeReason(code, message));
    await discardTemp();
    const started = begin;
    if (started) {
      const key = { run: started.run, id: started.snapshotId };
      await records
        .update(started.run, started.snapshotId, (prev) => applyFailure(prev ?? applyUploadBegin(undefined, started), key, code, message))
        .catch((err) => log.error(`${label()}: ${formatErrorLine(err)}`));
    }
  }

  async function onBegin(msg: SnapshotBeginMessage): Promise<void> {
    for (const [param, value] of [['run', msg.run], ['boot', msg.boot], ['snapshot', msg.snapshotId]] as const) {
      const given = url.searchParams.get(param);
      if (given !== null && given !== value) throw new UploadError('LW_ERR_PROTOCOL_INVALID', `snapshot-begin.${param === 'snapshot' ? 'snapshotId' : param} differs from the URL's ${param}`);
    }
    if (!isSafeSegment(msg.run) || !isSafeSegment(msg.snapshotId)) throw new UploadError('LW_ERR_PROTOCOL_INVALID', 'run and snapshot ids must not start with a dot');
    // Refused before anything is recorded: an upload nobody asked for must not touch a snapshot.
    const refused = await deps.refusal(msg);
    if (refused !== null) throw new UploadError('LW_ERR_SNAPSHOT_UNREQUESTED', refused);
    const key = `${msg.run}/${msg.snapshotId}`;
    if (deps.active.has(key)) throw new UploadError('LW_ERR_SNAPSHOT_BUSY', `snapshot ${msg.snapshotId} is already being uploaded on another connection`);
    begin = msg;
    deps.active.add(key);
    void settled.then(() => deps.active.delete(key));
    if (msg.size > deps.maxBytes) {
      throw new UploadError('LW_ERR_SNAPSHOT_TOO_BIG', `snapshot of ${msg.size} bytes is larger than the collector accepts (${deps.maxBytes})`);
    }
    const free = await files.freeBytes();
    // The upload and, for a while, its gzip copy (a fraction of it) share the disk.
    if (free !== null && free < msg.size * 1.5 + DISK_RESERVE_BYTES) {
      throw new UploadError('LW_ERR_SNAPSHOT_IO', `not enough disk space in ${files.dir} for a ${msg.size}-byte snapshot (${free} bytes free)`);
    }
    await records.update(msg.run, msg.snapshotId, (prev) => applyUploadBegin(prev, msg), { phase: 'uploading', done: 0, total: msg.size });
    tempFile = files.uploadPath(msg.run, msg.snapshotId);
    await fs.promises.mkdir(path.dirname(tempFile), { recursive: true });
    out = fs.createWriteStream(tempFile, { flags: 'w', highWaterMark: 1024 * 1024 });
    out.on('error', (err) => void fail('LW_ERR_SNAPSHOT_IO', `cannot write the upload: ${err.message}`, 'LW_ERR_SNAPSHOT_IO'));
    startedAt = Date.now();
    state = 'data';
  }

  async function onChunk(chunk: Buffer): Promise<void> {
    if (!begin || !out) return;
    received += chunk.length;
    chunks++;
    if (received > begin.size) throw new UploadError('LW_ERR_SNAPSHOT_TOO_BIG', `more bytes than the ${begin.size} announced`);
    hash.update(chunk);
    records.setProgress(begin.run, begin.snapshotId, { phase: 'uploading', done: received, total: begin.size });
    if (!out.write(chunk)) await once(out, 'drain');
  }

  async function onEnd(msg: { snapshotId: string; size: number; chunks: number; sha256: string }): Promise<void> {
    if (!begin || !out || !tempFile) return;
    state = 'verifying';
    const digest = hash.digest('hex');
    const problems: string[] = [];
    if (msg.snapshotId !== begin.snapshotId) problems.push(`snapshot-end names ${msg.snapshotId}`);
    if (msg.size !== begin.size || received !== begin.size) problems.push(`size: announced ${begin.size}, end says ${msg.size}, received ${received}`);
    if (msg.chunks !== chunks) problems.push(`chunks: end says ${msg.chunks}, received ${chunks}`);
    if (msg.sha256 !== digest) problems.push(`sha256 ${digest} does not match ${msg.sha256}`);
    if (problems.length > 0) {
      throw new UploadError('LW_ERR_SNAPSHOT_CHECKSUM', problems.join('; '));
    }
    const stream = out;
    out = undefined;
    stream.end();
    await once(stream, 'close');
    const verified = files.verifiedPath(begin.run, begin.snapshotId);
    const existing = await records.get(begin.run, begin.snapshotId);
    if (existing && (existing.status === 'analysing' || existing.status === 'ready')) {
      // A repeat of an upload already verified (the probe missed our confirmation): keep the first.
      await fs.promises.rm(tempFile, { force: true });
    } else {
      // Durable before confirming: the probe may delete its copy once it reads snapshot-stored.
      await fsyncFile(tempFile);
      await fs.promises.rename(tempFile, verified);
      tempFile = undefined;
      const uploadMs = Date.now() - startedAt;
      const done = begin;
      await records.update(begin.run, begin.snapshotId, (prev) => applyVerified(prev, done, digest, uploadMs), ANALYSIS_STARTS).catch((err) => log.error(`${label()}: ${formatErrorLine(err)}`));
    }
    state = 'done';
    if (ws.readyState === ws.OPEN) ws.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'snapshot-stored', snapshotId: begin.snapshotId }));
    if (!existing || (existing.status !== 'analysing' && existing.status !== 'ready')) deps.onVerified({ run: begin.run, id: begin.snapshotId, file: verified });
  }

  async function onFrame(data: Buffer, isBinary: boolean): Promise<void> {
    if (state === 'failed' || state === 'done') return;
    if (isBinary) {
      if (state !== 'data') throw new UploadError('LW_ERR_PROTOCOL_ORDER', 'binary data before snapshot-begin');
      return onChunk(data);
    }
    const msg = decodeUploadMessage(data);
    if (msg.type === 'snapshot-begin') {
      if (state !== 'begin') throw new UploadError('LW_ERR_PROTOCOL_ORDER', 'a second snapshot-begin');
      return onBegin(msg);
    }
    if (state !== 'data') throw new UploadError('LW_ERR_PROTOCOL_ORDER', 'snapshot-end before snapshot-begin');
    return onEnd(msg);
  }

  ws.on('message', (data, isBinary) => {
    queuedFrames++;
    // ws.pause() stops reading the socket (and keeps ws from resuming it on its own).
    if (queuedFrames > MAX_QUEUED_FRAMES && !ws.isPaused) ws.pause();
    chain = chain
      .then(() => onFrame(data as Buffer, isBinary))
      .catch((err: unknown) => {
        if (err instanceof ProtocolError) return fail(err.code, err.message, err.code as CloseErrorCode);
        return fail('LW_ERR_SNAPSHOT_IO', `cannot store the upload: ${formatErrorLine(err)}`, 'LW_ERR_SNAPSHOT_IO');
      })
      .finally(() => {
        queuedFrames--;
        if (queuedFrames <= 1 && ws.isPaused) ws.resume();
      });
  });
  ws.on('close', (code) => {
    chain = chain
      .then(async () => {
        if (state === 'begin' && !begin) state = 'done';
        if (state === 'data' || state === 'begin') {
          const detail = begin ? `after ${received} of ${begin.size} bytes` : 'before snapshot-begin';
          await fail('LW_ERR_SNAPSHOT_UPLOAD', `upload connection closed (${code}) ${detail}`);
        }
      })
      .finally(finished);
  });
  ws.on('error', (err) => log.debug(`${label()}: socket error: ${err.message}`));
  return settled;
}
