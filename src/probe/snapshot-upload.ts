import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import WebSocket from 'ws';
import { decodeSnapshotStored } from '../protocol/decode-snapshot';
import { encodeMessage } from '../protocol/encode';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { SNAPSHOT_CHUNK_BYTES, type SnapshotBeginMessage, type SnapshotEndMessage } from '../protocol/snapshot-messages';
import { LeakwatchError } from '../shared/errors';
import { connectOptions, type CollectorTrust } from './connect-options';

/**
 * Most bytes the upload leaves in the socket's user-space buffer before it reads the next chunk.
 * With 1 MiB chunks this keeps two or three chunks queued: enough to keep a fast link busy while
 * the next read is in flight, and a bound on what a slow collector can make the app hold.
 */
export const UPLOAD_HIGH_WATER_BYTES = 2 * 1024 * 1024;

export interface UploadOptions {
  /** ws://host:port/snapshot-upload?run=&boot=&snapshot= */
  url: string;
  trust: CollectorTrust;
  /** The snapshot file, open for reading (the caller closes it). */
  file: FileHandle;
  /** The first frame; `size` is the file's size. */
  begin: SnapshotBeginMessage;
  /** Aborts the upload (probe stopping): the socket is dropped at once. */
  signal: AbortSignal;
  /** Most time with no progress (connecting, a stalled socket, waiting for `snapshot-stored`). */
  stallTimeoutMs?: number;
  highWaterBytes?: number;
  chunkBytes?: number;
  /** Called after every chunk handed to the socket; for stats and tests. */
  onProgress?: (progress: UploadProgress) => void;
}

export interface UploadProgress {
  /** The file's size. */
  bytesTotal: number;
  bytesSent: number;
  chunks: number;
  /** Largest `ws.bufferedAmount` seen right after a chunk was handed to the socket. */
  maxBufferedBytes: number;
}

export interface UploadResult extends UploadProgress {
  sha256: string;
  uploadMs: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 60_000;

function uploadError(message: string, cause?: unknown): LeakwatchError {
  return new LeakwatchError('LW_ERR_SNAPSHOT_UPLOAD', message, { cause, userError: false });
}

/**
 * Streams a snapshot file to the collector over its own WebSocket: `snapshot-begin`, the file in
 * binary frames of at most 1 MiB read asynchronously one at a time (never the whole file in
 * memory), then `snapshot-end` with the size, chunk count and sha256, and waits for
 * `snapshot-stored`. Before each read it waits until the socket has drained below the high-water
 * mark, so a slow collector slows the upload instead of growing the app's memory; the sha256 is
 * computed on the same chunks. ws writes the chunk buffers themselves (see the masking key
 * below), so a few buffers are recycled, each only after ws reports its chunk written: an
 * upload allocates nothing per chunk.
 * Rejects with LW_ERR_SNAPSHOT_UPLOAD; always closes the socket.
 */
export async function uploadSnapshotFile(options: UploadOptions): Promise<UploadResult> {
  const started = performance.now();
  const chunkBytes = Math.min(options.chunkBytes ?? SNAPSHOT_CHUNK_BYTES, SNAPSHOT_CHUNK_BYTES);
  const highWater = options.highWaterBytes ?? UPLOAD_HIGH_WATER_BYTES;
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const { signal, begin } = options;
  if (signal.aborted) throw uploadError('upload aborted before it started');

  const { file } = options;
  const ws = new WebSocket(options.url, {
    perMessageDeflate: false,
    // The only frame the collector sends here is the small `snapshot-stored`.
    maxPayload: 64 * 1024,
    // An all-zero masking key: ws then writes our chunk buffers as they are. With a random key
    // ws must copy every chunk it is handed (it never masks a caller's buffer in place), and the
    // copies live until V8 next collects, which an upload's few JS allocations do not bring about
    // soon: measured here, 35-50 MB of RSS growth per upload in an app with a small heap, beyond
    // the probe's budget; with this key, under 1 MB. Masking protects intermediaries from bytes a
    // browser script chose; this sender is not a browser and its bytes are V8's serialisation,
    // printable ASCII with every string escaped, so no line of it can pass for an HTTP request.
    // ws supports the zero key on purpose (generateMask, and it skips the XOR when the key is 0).
    generateMask: (mask: Buffer) => {
      mask.fill(0);
    },
    handshakeTimeout: stallMs,
    ...connectOptions(options.url, options.trust),
  });

  // One waiter at a time: the loop below waits for the socket to open, to drain, a buffer to be
  // free, or the collector's answer; every socket event wakes it to re-check its condition.
  let failure: LeakwatchError | undefined;
  let stored = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const fail = (err: LeakwatchError): void => {
    failure ??= err;
    poke();
  };
  ws.on('open', poke);
  ws.on('message', (data, isBinary) => {
    const answer = isBinary ? null : decodeSnapshotStored(data as Buffer);
    if (answer?.snapshotId === begin.snapshotId) stored = true;
    poke();
  });
  ws.on('close', (code, reason) => {
    fail(uploadError(`collector closed the upload (${code}${reason.length ? `: ${reason.toString()}` : ''})`));
  });
  // 'error' precedes 'close'; handling it keeps ws from throwing into the host.
  ws.on('error', (err) => fail(uploadError(`upload connection failed: ${err.message}`, err)));
  const onAbort = (): void => fail(uploadError('upload aborted: the probe is stopping'));
  signal.addEventListener('abort', onAbort);

  /** Resolves when `ready()` holds; rejects on failure or after `stallMs` without progress. */
  async function until(ready: () => boolean, what: string): Promise<void> {
    while (!ready()) {
      if (failure) throw failure;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => fail(uploadError(`no progress for ${stallMs} ms while ${what}`)), stallMs);
        timer.unref();
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (failure) throw failure;
  }

  // Buffers whose previous chunk ws has written out; refilled only then.
  const freeBuffers: Buffer[] = [];
  let buffersMade = 0;
  const maxBuffers = Math.ceil(highWater / chunkBytes) + 1;
  const progress: UploadProgress = { bytesTotal: begin.size, bytesSent: 0, chunks: 0, maxBufferedBytes: 0 };
  const hash = createHash('sha256');
  try {
    await until(() => ws.readyState === WebSocket.OPEN, 'connecting');
    ws.send(encodeMessage(begin));
    let position = 0;
    while (position < begin.size) {
      await until(() => ws.bufferedAmount <= highWater && (freeBuffers.length > 0 || buffersMade < maxBuffers), 'waiting for the collector to read');
      const buffer = freeBuffers.pop() ?? (buffersMade++, Buffer.allocUnsafe(chunkBytes));
      const want = Math.min(chunkBytes, begin.size - position);
      const { bytesRead } = await file.read(buffer, 0, want, position);
      if (bytesRead === 0) throw uploadError(`snapshot file ended at ${position} of ${begin.size} bytes`);
      if (failure) throw failure;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      ws.send(chunk, { binary: true }, () => {
        freeBuffers.push(buffer);
        poke();
      });
      position += bytesRead;
      progress.bytesSent = position;
      progress.chunks++;
      progress.maxBufferedBytes = Math.max(progress.maxBufferedBytes, ws.bufferedAmount);
      options.onProgress?.({ ...progress });
    }
    const sha256 = hash.digest('hex');
    const end: SnapshotEndMessage = { v: PROTOCOL_VERSION, type: 'snapshot-end', snapshotId: begin.snapshotId, size: begin.size, chunks: progress.chunks, sha256 };
    ws.send(encodeMessage(end));
    await until(() => stored, 'waiting for the collector to store the snapshot');
    return { ...progress, sha256, uploadMs: performance.now() - started };
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (stored && ws.readyState === WebSocket.OPEN) ws.close(1000, 'snapshot stored');
    else ws.terminate();
  }
}
