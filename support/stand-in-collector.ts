import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  INGEST_PATH,
  PROTOCOL_VERSION,
  ProtocolError,
  SNAPSHOT_UPLOAD_PATH,
  decodeProbeMessage,
  decodeUploadMessage,
  encodeMessage,
  type HelloMessage,
  type ProbeMessage,
  type SnapshotBeginMessage,
  type SnapshotEndMessage,
  type SnapshotStatusMessage,
} from '../src/protocol';

/**
 * What the stand-in keeps. Every mode decodes each frame with the real protocol and acks like the
 * collector; they differ only in what they hold on to:
 *   acks             counts (messages, samples, GCs, rejected frames) and nothing else; no upload
 *                    path. The probe benchmark's collector: as little CPU as possible in the bench
 *                    process, so the database's work stays off the cores the measured server needs.
 *   discard-uploads  counts, statuses, and one record per upload (frame sizes, sha256, timing);
 *                    the bytes are hashed and dropped, so a 400 MB upload costs no memory here.
 *   store            as discard-uploads, and every decoded ingest message in `messages`.
 *   keep-uploads     as store, and every binary frame of each upload in `upload.chunks`.
 */
export type StandInMode = 'acks' | 'discard-uploads' | 'store' | 'keep-uploads';

export type StandInStatus = SnapshotStatusMessage & { order: number };

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
  /** The binary frames (mode keep-uploads only). */
  chunks: Buffer[];
  bytes: number;
  sha256: string;
  /** Size, frame count and sha256 at `snapshot-end` matched what arrived. */
  intact: boolean;
  /** From the connection opening to `snapshot-end`, ms. */
  uploadMs: number;
  /** Text frames after `snapshot-end` or binary frames before `snapshot-begin`: protocol mistakes. */
  misplaced: number;
  stored: boolean;
  closed: boolean;
  socket: WebSocket;
}

export interface StandInCounts {
  /** Messages accepted (hello, batch, snapshot-status, bye). */
  messages: number;
  /** Samples inside batches. */
  samples: number;
  /** GCs inside batches, as the sum of event weights: the probe observes a capped number and weights them. */
  gcs: number;
  /** Frames the decoder rejected: a non-zero count means the probe broke the protocol. */
  rejected: number;
}

/** What the stand-in reports as it happens, for callers that wait on it (the capture benchmark). */
export interface StandInEvents {
  hello: [HelloMessage];
  status: [StandInStatus];
  'upload-open': [SeenUpload];
  /** `snapshot-end` arrived (whether or not it was answered `snapshot-stored` yet). */
  'upload-end': [SeenUpload];
}

export interface StandInOptions {
  /** Default 'store'. */
  mode?: StandInMode;
  /** Acknowledge ingest messages (default true); false plays a collector that dies before storing. */
  ack?: boolean;
  /** Reply `snapshot-stored` as soon as `snapshot-end` arrives (default true); else call `store()`. */
  autoStore?: boolean;
  /** Listen on this port (default 0, any free one): a collector coming back where one was cut. */
  port?: number;
  /** Called when an upload connection opens, before any frame is read (to pause or cut it). */
  onUpload?: (upload: SeenUpload) => void;
  /** Called after each binary frame. */
  onChunk?: (upload: SeenUpload) => void;
}

export interface StandInCollector {
  /** ws://127.0.0.1:port/ingest */
  url: string;
  /** http://127.0.0.1:port, for `leakwatch run --collector`. */
  httpUrl: string;
  readonly counts: Readonly<StandInCounts>;
  /** Every decoded ingest message (modes store and keep-uploads; empty otherwise). */
  messages: ProbeMessage[];
  uploads: SeenUpload[];
  events: EventEmitter<StandInEvents>;
  statuses(): StandInStatus[];
  /** Sends a `snapshot-request` to every connected probe. */
  request(requestId: string): void;
  /** Answers `snapshot-stored` on an upload (when `autoStore` is off). */
  store(upload: SeenUpload): void;
  close(): Promise<void>;
}

/**
 * A real ws server playing the collector's part of the protocol: the ingest path (acks every
 * message but hello, as the collector does) and, unless mode 'acks', the upload path (decodes
 * begin/end, counts and hashes the binary frames). It checks nothing itself: tests assert on
 * what it saw, benchmarks read its counts and records. Tests and benchmarks share it so that
 * what a benchmark measures is the same exchange the tests prove.
 */
export async function createStandInCollector(options: StandInOptions = {}): Promise<StandInCollector> {
  const mode = options.mode ?? 'store';
  const keepMessages = mode === 'store' || mode === 'keep-uploads';
  const keepBytes = mode === 'keep-uploads';
  const ack = options.ack !== false;
  // Just enough HTTP for `leakwatch run --collector`: the health check and the end of the run.
  const server = http.createServer((req, res) => {
    const ok = req.url === '/api/health' || (req.method === 'POST' && /^\/api\/runs\/[^/]+\/end$/.test(req.url ?? ''));
    res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"error":{"code":"LW_ERR_NOT_FOUND","message":"not here"}}');
  });
  const ingest = new WebSocketServer({ noServer: true });
  const upload = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 2 * 1024 * 1024 });
  const events = new EventEmitter<StandInEvents>();
  const counts: StandInCounts = { messages: 0, samples: 0, gcs: 0, rejected: 0 };
  const messages: ProbeMessage[] = [];
  const statuses: StandInStatus[] = [];
  const uploads: SeenUpload[] = [];
  let order = 0;

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(req.url ?? '/', 'ws://127.0.0.1');
    if (pathname === INGEST_PATH) ingest.handleUpgrade(req, socket, head, (ws) => ingest.emit('connection', ws, req));
    else if (pathname === SNAPSHOT_UPLOAD_PATH && mode !== 'acks') upload.handleUpgrade(req, socket, head, (ws) => upload.emit('connection', ws, req));
    else socket.destroy();
  });

  ingest.on('connection', (ws: WebSocket) => {
    ws.on('message', (data, isBinary) => {
      let msg: ProbeMessage;
      try {
        msg = decodeProbeMessage(data as Buffer, isBinary);
      } catch (err) {
        counts.rejected++;
        ws.close(err instanceof ProtocolError ? err.closeCode : 1011, err instanceof Error ? err.message.slice(0, 100) : 'error');
        return;
      }
      counts.messages++;
      if (keepMessages) messages.push(msg);
      if (msg.type === 'batch') {
        counts.samples += msg.samples.length;
        for (const gc of msg.gcs) counts.gcs += gc.weight;
      } else if (msg.type === 'snapshot-status') {
        const status = { ...msg, order: order++ };
        statuses.push(status);
        events.emit('status', status);
      }
      if (msg.type === 'hello') events.emit('hello', msg);
      else if (ack) ws.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'ack', run: msg.run, boot: msg.boot, seq: msg.seq }));
    });
    // A probe process killed at the end of a round drops its socket: expected, nothing to do.
    ws.on('error', () => {});
  });

  upload.on('connection', (ws: WebSocket, req: http.IncomingMessage) => {
    const opened = performance.now();
    const seen: SeenUpload = {
      url: new URL(req.url ?? '/', 'ws://127.0.0.1'),
      headers: req.headers,
      order: order++,
      frameSizes: [],
      chunks: [],
      bytes: 0,
      sha256: '',
      intact: false,
      uploadMs: 0,
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
        if (keepBytes) seen.chunks.push(Buffer.from(buf));
        options.onChunk?.(seen);
        return;
      }
      const msg = decodeUploadMessage(buf);
      if (msg.type === 'snapshot-begin') {
        if (seen.begin) seen.misplaced++;
        seen.begin = msg;
        return;
      }
      if (seen.end) seen.misplaced++;
      seen.end = msg;
      seen.sha256 = hash.digest('hex');
      seen.uploadMs = performance.now() - opened;
      seen.intact = seen.begin !== undefined && msg.size === seen.begin.size && msg.size === seen.bytes && msg.chunks === seen.frameSizes.length && msg.sha256 === seen.sha256;
      if (options.autoStore !== false) store(seen);
      events.emit('upload-end', seen);
    });
    ws.on('close', () => {
      seen.closed = true;
    });
    ws.on('error', () => {});
    events.emit('upload-open', seen);
    options.onUpload?.(seen);
  });

  function store(seen: SeenUpload): void {
    seen.stored = true;
    seen.socket.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'snapshot-stored', snapshotId: seen.begin!.snapshotId }));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}${INGEST_PATH}`,
    httpUrl: `http://127.0.0.1:${port}`,
    counts,
    messages,
    uploads,
    events,
    statuses: () => statuses,
    request(requestId) {
      for (const client of ingest.clients) client.send(JSON.stringify({ v: PROTOCOL_VERSION, type: 'snapshot-request', requestId }));
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
