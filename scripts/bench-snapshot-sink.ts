import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  INGEST_PATH,
  SNAPSHOT_UPLOAD_PATH,
  decodeProbeMessage,
  decodeUploadMessage,
  encodeMessage,
  type SnapshotBeginMessage,
  type SnapshotStatusMessage,
} from '../src/protocol';

export interface SinkUpload {
  begin: SnapshotBeginMessage;
  bytes: number;
  chunks: number;
  /** The probe's checksum and size matched what arrived. */
  intact: boolean;
  /** From the upload connection opening to `snapshot-end`. */
  uploadMs: number;
}

/**
 * The collector's side of the snapshot protocol for the capture benchmark, in the bench process:
 * acks the ingest connection, sends `snapshot-request`s, and on the upload path reads every
 * frame, hashes and discards it (nothing is kept), checks size and sha256 at `snapshot-end` and
 * answers `snapshot-stored`. Emits 'status' (SnapshotStatusMessage), 'upload-open' (the snapshot
 * id) and 'stored' (SinkUpload).
 */
export async function startSnapshotSink() {
  const events = new EventEmitter();
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const ingest = new WebSocketServer({ noServer: true });
  const upload = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(req.url ?? '/', 'ws://localhost');
    const target = pathname === INGEST_PATH ? ingest : pathname === SNAPSHOT_UPLOAD_PATH ? upload : undefined;
    if (!target) socket.destroy();
    else target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  });
  ingest.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      const msg = decodeProbeMessage(data as Buffer, isBinary);
      if (msg.type === 'hello') events.emit('hello');
      else ws.send(encodeMessage({ v: 1, type: 'ack', run: msg.run, boot: msg.boot, seq: msg.seq }));
      if (msg.type === 'snapshot-status') events.emit('status', msg satisfies SnapshotStatusMessage);
    });
  });
  upload.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    const opened = performance.now();
    events.emit('upload-open', new URL(req.url ?? '/', 'ws://localhost').searchParams.get('snapshot'));
    const hash = createHash('sha256');
    let begin: SnapshotBeginMessage | undefined;
    let bytes = 0;
    let chunks = 0;
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        hash.update(buf);
        bytes += buf.length;
        chunks++;
        return;
      }
      const msg = decodeUploadMessage(buf);
      if (msg.type === 'snapshot-begin') {
        begin = msg;
        return;
      }
      const intact = begin !== undefined && msg.size === begin.size && msg.size === bytes && msg.chunks === chunks && hash.digest('hex') === msg.sha256;
      const result: SinkUpload = { begin: begin!, bytes, chunks, intact, uploadMs: performance.now() - opened };
      ws.send(encodeMessage({ v: 1, type: 'snapshot-stored', snapshotId: msg.snapshotId }));
      events.emit('stored', result);
    });
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    ingestUrl: `ws://127.0.0.1:${port}${INGEST_PATH}`,
    events,
    request(requestId: string): void {
      for (const client of ingest.clients) client.send(JSON.stringify({ v: 1, type: 'snapshot-request', requestId }));
    },
    close(): Promise<void> {
      for (const c of [...ingest.clients, ...upload.clients]) c.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export type SnapshotSink = Awaited<ReturnType<typeof startSnapshotSink>>;
