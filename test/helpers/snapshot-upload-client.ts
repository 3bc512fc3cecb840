import { createHash } from 'node:crypto';
import fs from 'node:fs';
import WebSocket from 'ws';
import { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_UPLOAD_PATH } from '../../src/protocol/snapshot-messages';

export interface UploadOptions {
  run: string;
  boot?: string;
  snapshotId: string;
  file: string;
  takenAt?: number;
  headers?: Record<string, string>;
  /** Announce this size instead of the file's. */
  announcedSize?: number;
  /** Claim this sha256 in snapshot-end instead of the real one. */
  sha256?: string;
  /** Cut the TCP connection (no close frame) once this many bytes are sent. */
  cutAfterBytes?: number;
  /** Send these bytes after the file, before snapshot-end. */
  extraBytes?: number;
  /** Called after each chunk is handed to the socket. */
  onChunk?: (sent: number) => void;
  /** Pause between chunks (a slow link), so progress can be watched. */
  chunkDelayMs?: number;
}

export interface UploadResult {
  stored: boolean;
  code: number;
  reason: string;
}

export function sha256Of(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * The probe's side of an upload connection, spoken over a real socket: snapshot-begin, the file in
 * chunks of at most SNAPSHOT_CHUNK_BYTES (waiting while the socket buffer is full), snapshot-end,
 * then the collector's snapshot-stored or its close code.
 */
export function uploadSnapshot(collectorUrl: string, options: UploadOptions): Promise<UploadResult> {
  const boot = options.boot ?? `${options.run}-boot`;
  const size = fs.statSync(options.file).size;
  const query = new URLSearchParams({ run: options.run, boot, snapshot: options.snapshotId });
  const ws = new WebSocket(`${collectorUrl.replace(/^http/, 'ws')}${SNAPSHOT_UPLOAD_PATH}?${query}`, { headers: options.headers });
  let stored = false;
  return new Promise<UploadResult>((resolve, reject) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; snapshotId: string };
      if (msg.type === 'snapshot-stored' && msg.snapshotId === options.snapshotId) {
        stored = true;
        ws.close(1000);
      }
    });
    ws.on('close', (code, reason) => resolve({ stored, code, reason: reason.toString() }));
    ws.on('error', () => undefined);
    ws.on('open', async () => {
      try {
        ws.send(JSON.stringify({ v: 1, type: 'snapshot-begin', run: options.run, boot, snapshotId: options.snapshotId, trigger: 'manual', takenAt: options.takenAt ?? Date.now(), captureMs: 42, heapUsed: 5e6, size: options.announcedSize ?? size }));
        let sent = 0;
        let chunks = 0;
        for await (const chunk of fs.createReadStream(options.file, { highWaterMark: SNAPSHOT_CHUNK_BYTES })) {
          if (ws.readyState !== WebSocket.OPEN) return;
          const buf = chunk as Buffer;
          if (options.cutAfterBytes !== undefined && sent + buf.length > options.cutAfterBytes) {
            ws.send(buf.subarray(0, options.cutAfterBytes - sent));
            await new Promise((r) => setTimeout(r, 200));
            (ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
            return;
          }
          ws.send(buf);
          sent += buf.length;
          chunks++;
          options.onChunk?.(sent);
          if (options.chunkDelayMs) await new Promise((r) => setTimeout(r, options.chunkDelayMs));
          while (ws.bufferedAmount > 4 * SNAPSHOT_CHUNK_BYTES && ws.readyState === WebSocket.OPEN) await new Promise((r) => setTimeout(r, 5));
        }
        if (options.extraBytes) {
          ws.send(Buffer.alloc(options.extraBytes, 0x20));
          chunks++;
        }
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(JSON.stringify({ v: 1, type: 'snapshot-end', snapshotId: options.snapshotId, size: options.announcedSize ?? size, chunks, sha256: options.sha256 ?? sha256Of(options.file) }));
      } catch (err) {
        reject(err);
      }
    });
  });
}
