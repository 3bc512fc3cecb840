import { createHash } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  INGEST_PATH,
  SNAPSHOT_UPLOAD_PATH,
  decodeProbeMessage,
  decodeUploadMessage,
  encodeMessage,
  type ProbeMessage,
  type SnapshotBeginMessage,
  type SnapshotEndMessage,
  type SnapshotStatusMessage,
} from '../../src/protocol';

/** One upload connection as the stand-in collector saw it. */
export interface SeenUpload {
  url: URL;
  headers: http.IncomingHttpHeaders;
  /** Order of arrival among all events of this collector (statuses and uploads share the counter). */
  order: number;
  begin?: SnapshotBeginMessage;
  end?: SnapshotEndMessage;
  /** Size of every binary frame, in order. */
  frameSizes: number[];
  /** The binary frames (only when `keepBytes`). */
  chunks: Buffer[];
  bytes: number;
  sha256: string;
  /** Text frames after `snapshot-end` or binary frames before `snapshot-begin`: protocol mistakes. */
  misplaced: number;
  stored: boolean;
  closed: boolean;
  socket: WebSocket;
}

export interface StandInCollector {
  /** ws://127.0.0.1:port/ingest */
  url: string;
  /** http://127.0.0.1:port, for `leakwatch run --collector`. */
  httpUrl: string;
  messages: ProbeMessage[];
  uploads: SeenUpload[];
  statuses(): (SnapshotStatusMessage & { order: number })[];
  /** Sends a `snapshot-request` to every connected probe. */
  request(requestId: string): void;
  /** Answers `snapshot-stored` on an upload (when `autoStore` is off). */
  store(upload: SeenUpload): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** Reply `snapshot-stored` as soon as `snapshot-end` arrives (default true). */
  autoStore?: boolean;
  keepBytes?: boolean;
  /** Called when an upload connection opens, before any frame is read. */
  onUpload?: (upload: SeenUpload) => void;
  /** Called after each binary frame. */
  onChunk?: (upload: SeenUpload) => void;
}

/**
 * A real ws server playing the collector's part of the snapshot protocol: the ingest path
 * (decodes with the real protocol, acks every message) and the upload path (decodes begin/end,
 * counts and hashes the binary frames). It checks nothing itself: the tests assert on what it saw.
 */
export async function startStandInCollector(options: StandInOptions = {}): Promise<StandInCollector> {
  // Just enough HTTP for `leakwatch run --collector`: the health check and the end of the run.
  const server = http.createServer((req, res) => {
    const ok = req.url === '/api/health' || (req.method === 'POST' && /^\/api\/runs\/[^/]+\/end$/.test(req.url ?? ''));
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"error":{"code":"LW_ERR_NOT_FOUND","message":"not here"}}');
  });
  const ingest = new WebSocketServer({ noServer: true });
  const upload = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
  const messages: ProbeMessage[] = [];
  const statuses: (SnapshotStatusMessage & { order: number })[] = [];
  const uploads: SeenUpload[] = [];
  let order = 0;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'ws://127.0.0.1');
    if (url.pathname === INGEST_PATH) ingest.handleUpgrade(req, socket, head, (ws) => ingest.emit('connection', ws, req));
    else if (url.pathname === SNAPSHOT_UPLOAD_PATH) upload.handleUpgrade(req, socket, head, (ws) => upload.emit('connection', ws, req));
    else socket.destroy();
  });

  ingest.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      const msg = decodeProbeMessage(data as Buffer, isBinary);
      messages.push(msg);
      if (msg.type === 'snapshot-status') statuses.push({ ...msg, order: order++ });
      if (msg.type !== 'hello') ws.send(encodeMessage({ v: 1, type: 'ack', run: msg.run, boot: msg.boot, seq: msg.seq }));
    });
  });

  upload.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    const seen: SeenUpload = {
      url: new URL(req.url ?? '/', 'ws://127.0.0.1'),
      headers: req.headers,
      order: order++,
      frameSizes: [],
      chunks: [],
      bytes: 0,
      sha256: '',
      misplaced: 0,
      stored: false,
      closed: false,
      socket: ws,
    };
    const hash = createHash('sha256');
    uploads.push(seen);
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        if (!seen.begin || seen.end) seen.misplaced++;
        seen.frameSizes.push(buf.length);
        seen.bytes += buf.length;
        hash.update(buf);
        if (options.keepBytes) seen.chunks.push(Buffer.from(buf));
        options.onChunk?.(seen);
        return;
      }
      const msg = decodeUploadMessage(buf);
      if (msg.type === 'snapshot-begin') {
        if (seen.begin) seen.misplaced++;
        seen.begin = msg;
      } else {
        if (seen.end) seen.misplaced++;
        seen.end = msg;
        seen.sha256 = hash.digest('hex');
        if (options.autoStore !== false) store(seen);
      }
    });
    ws.on('close', () => {
      seen.closed = true;
    });
    ws.on('error', () => {});
    options.onUpload?.(seen);
  });

  function store(seen: SeenUpload): void {
    seen.stored = true;
    seen.socket.send(encodeMessage({ v: 1, type: 'snapshot-stored', snapshotId: seen.begin!.snapshotId }));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}${INGEST_PATH}`,
    httpUrl: `http://127.0.0.1:${port}`,
    messages,
    uploads,
    statuses: () => statuses,
    request(requestId) {
      for (const client of ingest.clients) client.send(JSON.stringify({ v: 1, type: 'snapshot-request', requestId }));
    },
    store,
    close: () =>
      new Promise((resolve) => {
        for (const c of ingest.clients) c.terminate();
        for (const c of upload.clients) c.terminate();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
