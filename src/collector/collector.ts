import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket, { WebSocketServer } from 'ws';
import { LIVE_PATH } from '../api/live-messages';
import { CLOSE_CODES, closeReason, type CloseErrorCode } from '../protocol/close-codes';
import { INGEST_PATH, MAX_MESSAGE_BYTES } from '../protocol/messages';
import { SNAPSHOT_CHUNK_BYTES, SNAPSHOT_UPLOAD_PATH } from '../protocol/snapshot-messages';
import type { SuspectWatch } from '../shared/alloc-data';
import { LeakwatchError } from '../shared/errors';
import { createLogger, type Logger } from '../shared/log';
import type { Store } from '../store/store-interface';
import { createBatchWriter } from './batch-writer';
import { checkBindPolicy, createAccessControl, isLoopbackHost, secretsEqual } from './access';
import { bearerOf } from './access/token-compare';
import { createBootRegistry } from './boot-registry';
import { closeOversizedWith, createConnectionGuard } from './connection-guard';
import { endRun } from './end-run';
import { handleApi } from './http-api';
import { sendError } from './http-errors';
import { handleProbeConnection } from './ingest';
import { createRunTokens, isRunToken } from './run-tokens';
import { createLiveHub } from './live-hub';
import { createSnapshotService } from './snapshots';
import { createSourceMapResolver, createUploadedMaps } from './source-maps';
import { openSpool, spoolRefusal } from './spool-wiring';
import type { LocationResolver } from './source-maps/location-resolver';
import { serveStatic } from './static-files';
import { createWatchService } from './watches';

export interface CollectorOptions {
  store: Store;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** When set, probes must send `Authorization: Bearer <token>`. */
  token?: string;
  /** When set, every HTTP route, the UI and /live need it (bearer, or the sign-in cookie). Required beyond loopback. */
  readToken?: string;
  /** Listen beyond loopback without the tokens (the user's explicit choice; logged). */
  insecureNoAuth?: boolean;
  /** Host names the Host header may carry (DNS-rebinding guard; default: see docs/security.md). */
  allowedHosts?: readonly string[];
  /** Serve https/wss with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  uiDir?: string;
  log?: Logger;
  flushIntervalMs?: number;
  /** Where heap snapshot files are kept (default .leakwatch/snapshots). */
  snapshotDir?: string;
  /** Snapshot files older than this are deleted, like the store's rows (default 30). */
  retentionDays?: number;
  /** Largest heap snapshot an upload may announce (bytes). */
  maxSnapshotBytes?: number;
  /** How long POST .../snapshots waits for the probe's answer. */
  snapshotRequestTimeoutMs?: number;
  /** Analysis worker entry override (tests). */
  analysisWorkerPath?: string;
  /** Between sweeps for captures whose process died while V8 wrote (default a minute). */
  orphanSweepMs?: number;
  /** Epoch-milliseconds clock that sweep goes by (tests; default Date.now). */
  now?: () => number;
  /** Where the source maps probes upload are kept (default `source-maps` beside the snapshot directory). */
  sourceMapDir?: string;
  /** Also read scripts' source maps from this machine's disk (default true: the app runs here). */
  readLocalSourceMaps?: boolean;
  /** Watch the top suspect containers of a process after each snapshot's suspects (--watch-suspects; default off). */
  watchSuspects?: boolean;
  /** How long one watch lasts (default 30 s) and how many caller stacks it samples (default 200). */
  watchDurationMs?: number;
  watchMaxStacks?: number;
  /** Maps generated locations to the user's sources (default: the source maps on disk and uploaded). */
  locationResolver?: LocationResolver;
  /** Between two ping rounds to probe sockets (default HEARTBEAT_MS; tests shorten it). */
  heartbeatMs?: number;
  /**
   * Where batches wait while the store is down (--spool-dir), and its budget in bytes
   * (--spool-budget): past 80% new snapshots are refused, past the budget data is no longer
   * acknowledged. Without a directory a failed insert closes the probes' connections (they resend).
   */
  spoolDir?: string;
  spoolBudgetBytes?: number;
  /** The replayer's first and longest wait between attempts while the store stays down. */
  spoolRetryMs?: { base: number; max: number };
  /** Probe and upload connections held at once; more are refused with LW_ERR_TOO_MANY_CONNECTIONS (default 5000). */
  maxConnections?: number;
  /** How long a new probe or upload connection has for its first message (default 10 s; LW_ERR_HELLO_TIMEOUT). */
  helloTimeoutMs?: number;
  /** Least time between two snapshot requests of one run (default 10 s; LW_ERR_SNAPSHOT_RATE_LIMITED). */
  snapshotMinGapMs?: number;
}

export interface Collector {
  /** http://host:port of the running collector. */
  readonly url: string;
  readonly port: number;
  /** Maps generated locations through the app's source maps (on disk and uploaded): the CLI's verdict reads use it too. */
  readonly resolver: LocationResolver;
  /**
   * Ends a run (its command exited): stored, unfinished captures failed, the UI told; its run
   * tokens revoked and the probes still connected with them told LW_ERR_RUN_ENDED.
   */
  endRun(runId: string, endedAt: number, exitCode: number | null): Promise<void>;
  /**
   * A probe token for one run of `leakwatch run` (run-tokens.ts): accepted besides `token` until
   * the run ends here; refused by every other collector, so a stray probe of the run stops.
   */
  issueRunToken(runId: string): string;
  /** Runs the orphaned-capture sweep now instead of at its next tick; resolves with how many it failed. */
  sweepOrphanCaptures(): Promise<number>;
  /**
   * Asks process `boot` of `run` to watch container `objectId` (a node id of its snapshots) for
   * `durationMs`; resolves once asked, `done` when its report is stored (LW_ERR_WATCH_NO_PROBE).
   */
  requestWatch(run: string, boot: string, objectId: number, kind: string, durationMs?: number): Promise<{ watch: SuspectWatch; done: Promise<void> }>;
  close(): Promise<void>;
}

/**
 * Dead probe connections (cut cable, killed host) are found by ping/pong: one that answered
 * nothing since the previous round is ended, so a dead one goes within two periods: 20 s, well
 * inside the 30 s promised even when the timer fires late on a busy machine.
 */
const HEARTBEAT_MS = 10_000;

/** A probe socket path: both need the probe token, are heartbeat-checked and logged alike. */
interface ProbeSocketRoute {
  wss: WebSocketServer;
  /** How a refused connection is named in the log line, before its address. */
  logAs: string;
  /** The close code of a frame over the path's largest (LW_ERR_PROTOCOL_TOO_BIG, LW_ERR_SNAPSHOT_TOO_BIG). */
  tooBig: CloseErrorCode;
  /** `tokenRun`: the run of the run token that admitted the connection, if one did. */
  accept(ws: WebSocket, url: URL, remote: string, tokenRun: string | undefined): void;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  return secretsEqual(header?.startsWith('Bearer ') ? header.slice(7) : '', token);
}

/**
 * The secure context of a certificate and key, made before anything else starts: files that do
 * not parse or do not match are one LW_ERR_TLS, with no timer or socket left behind.
 */
function checkTlsFiles(tlsFiles: CollectorOptions['tls']): void {
  if (!tlsFiles) return;
  try {
    tls.createSecureContext({ cert: tlsFiles.cert, key: tlsFiles.key });
  } catch (err) {
    throw new LeakwatchError('LW_ERR_TLS', `the TLS certificate and key cannot be used (${(err as Error).message.split('\n')[0]})`);
  }
}

/** node:http, or node:https with the same handler when a certificate is given. */
function createServer(tlsFiles: CollectorOptions['tls'], onRequest: http.RequestListener): http.Server {
  return tlsFiles ? https.createServer({ cert: tlsFiles.cert, key: tlsFiles.key }, onRequest) : http.createServer(onRequest);
}

/**
 * The collector: one node:http server with the probe endpoint (/ingest), the live push
 * endpoint (/live), the JSON API (/api) and the UI. Upgrades are routed here rather than
 * through ws's verifyClient so a refused probe gets a WebSocket close code and a reason it can
 * act on, instead of a bare HTTP status.
 */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const log = options.log ?? createLogger();
  const { store } = options;
  const uiDir = options.uiDir ?? path.resolve(__dirname, '..', '..', 'ui');
  const bindHost = options.host ?? '127.0.0.1';
  checkBindPolicy({ host: bindHost, token: options.token, readToken: options.readToken, insecureNoAuth: options.insecureNoAuth ?? false });
  checkTlsFiles(options.tls);
  const access = createAccessControl({ bindHost, readToken: options.readToken, allowedHosts: options.allowedHosts, tls: Boolean(options.tls), uiDir });
    const { spool, replayer } = await openSpool(options, store, log);
  const writer = createBatchWriter({ store, spool, onSpooled: () => replayer?.kick(), log, flushIntervalMs: options.flushIntervalMs });
  const live = createLiveHub();
  const snapshotDir = options.snapshotDir ?? path.join('.leakwatch', 'snapshots');
  // Beside the snapshots by default, so a test's or a data directory's maps stay with its data.
  const uploadedMaps = createUploadedMaps({ dir: options.sourceMapDir ?? path.join(path.dirname(snapshotDir), 'source-maps'), log });
  const ownResolver = options.locationResolver ? null : createSourceMapResolver({ uploaded: uploadedMaps, readLocalFiles: options.readLocalSourceMaps ?? true });
  const resolver: LocationResolver = options.locationResolver ?? ownResolver!;
  const watches = createWatchService({ dir: snapshotDir, log, resolver, auto: options.watchSuspects ?? false, durationMs: options.watchDurationMs, maxStacks: options.watchMaxStacks });
  const snapshots = createSnapshotService({
    store,
    live,
    log,
    dir: snapshotDir,
    retentionDays: options.retentionDays ?? 30,
    maxSnapshotBytes: options.maxSnapshotBytes,
    requestTimeoutMs: options.snapshotRequestTimeoutMs,
    minRequestGapMs: options.snapshotMinGapMs,
    workerPath: options.analysisWorkerPath,
    orphanSweepMs: options.orphanSweepMs,
    now: options.now,
    resolver,
    onSuspects: (result) => watches.onSuspects(result),
    refuseNew: () => spoolRefusal(spool),
  });
  // Text frames are decoded as UTF-8 with replacement characters rather than refused by ws with
  // 1007: every refusal is then the decoder's, with an LW_ERR_* close code and a reason.
  const ingest = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, skipUTF8Validation: true });
  // Text frames are small; binary chunks are at most SNAPSHOT_CHUNK_BYTES.
  const uploads = new WebSocketServer({ noServer: true, maxPayload: Math.max(MAX_MESSAGE_BYTES, SNAPSHOT_CHUNK_BYTES), perMessageDeflate: false, skipUTF8Validation: true });
  // Which connection holds each probe boot, and each boot's stored-seq mark: one (run, boot) per probe.
  const boots = createBootRegistry();
  const guard = createConnectionGuard({ log, maxConnections: options.maxConnections, helloTimeoutMs: options.helloTimeoutMs });
  const alive = new WeakSet<WebSocket>();
  const runTokens = createRunTokens();
  /** Revokes a run's tokens and tells its probes still connected with one that the run ended. */
  const closeRun = (open: WebSocket[]): void => {
    for (const ws of open) ws.close(CLOSE_CODES.LW_ERR_RUN_ENDED, closeReason('LW_ERR_RUN_ENDED', 'the run has ended; stop sending'));
  };
  const runTokenApi = {
    issue(runId: string, probeToken: string | undefined): string {
      // A run token opens the probe sockets: it is handed out only to who could open them anyway.
      if (options.token && !(probeToken !== undefined && secretsEqual(probeToken, options.token))) {
        throw new LeakwatchError('LW_ERR_AUTH', 'a run token needs the collector\'s probe token (probeToken)');
      }
      return runTokens.issue(runId);
    },
    ended(runId: string): void {
      closeRun(runTokens.revoke(runId));
    },
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://collector');
    (async () => {
      if (await access.screen(req, res, url)) return;
      if (await handleApi(req, res, url, store, live, snapshots, resolver, watches, runTokenApi)) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET' }).end();
        return;
      }
      serveStatic(res, url, uiDir);
    })().catch((err) => {
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
  };
  const server = createServer(options.tls, onRequest);

  const probeSockets = new Map<string, ProbeSocketRoute>([
    [INGEST_PATH, { wss: ingest, logAs: 'probe', tooBig: 'LW_ERR_PROTOCOL_TOO_BIG', accept: (ws, _url, remote, tokenRun) => handleProbeConnection(ws, remote, { store, writer, live, log, storedSeq: boots.storedSeq, boots, snapshots, sourceMaps: uploadedMaps, watches, tokenRun }) }],
    [SNAPSHOT_UPLOAD_PATH, { wss: uploads, logAs: 'snapshot upload from', tooBig: 'LW_ERR_SNAPSHOT_TOO_BIG', accept: (ws, url, remote) => snapshots.handleUpload(ws, url, remote) }],
  ]);

  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://collector');
    socket.on('error', () => socket.destroy());
    const route = probeSockets.get(url.pathname);
    const refusal = access.screenUpgrade(req, route ? 'probe' : 'live');
    if (refusal) {
      const body = JSON.stringify({ error: { code: refusal.error.code, message: refusal.error.message } });
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.status === 401 ? 'Unauthorized' : 'Forbidden'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    if (route) {
      route.wss.handleUpgrade(req, socket, head, (ws) => {
        const remote = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
        const presented = bearerOf(req.headers.authorization);
        const tokenRun = isRunToken(presented) ? runTokens.runOf(presented) : undefined;
        if (isRunToken(presented) && tokenRun === undefined) {
          // Checked before the probe token: this probe's run is over whatever this collector's token is.
          log.warn(`${route.logAs} ${remote} refused: LW_ERR_RUN_ENDED: a run token this collector did not issue or has revoked`);
          ws.close(CLOSE_CODES.LW_ERR_RUN_ENDED, closeReason('LW_ERR_RUN_ENDED', 'the run of this probe has ended (or another collector started it); stop sending'));
          return;
        }
        if (tokenRun === undefined && options.token && !tokenMatches(req.headers.authorization, options.token)) {
          log.warn(`${route.logAs} ${remote} refused: LW_ERR_AUTH: missing or wrong token`);
          ws.close(CLOSE_CODES.LW_ERR_AUTH, closeReason('LW_ERR_AUTH', 'missing or wrong token (LEAKWATCH_TOKEN)'));
          return;
        }
        closeOversizedWith(ws, route.tooBig, route.wss.options.maxPayload!);
        if (!guard.admit(ws, `${route.logAs} ${remote}`)) return;
        if (tokenRun !== undefined) runTokens.track(tokenRun, ws);
        alive.add(ws);
        ws.on('pong', () => alive.add(ws));
        // The probe's own heartbeat pings prove the connection alive just as well.
        ws.on('ping', () => alive.add(ws));
        route.accept(ws, url, remote, tokenRun);
      });
    } else if (url.pathname === LIVE_PATH) {
      live.wss.handleUpgrade(req, socket, head, (ws) => live.wss.emit('connection', ws, req));
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
    }
  });

  const heartbeat = setInterval(() => {
    // A dead upload connection would otherwise hold its snapshot in `uploading` indefinitely.
    for (const ws of [...probeSockets.values()].flatMap((route) => [...route.wss.clients])) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7070, bindHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await snapshots.start();
  const address = server.address() as net.AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${hostForUrl}:${address.port}`;
  if (!isLoopbackHost(bindHost) && options.insecureNoAuth && !(options.token && options.readToken)) {
    log.warn(`listening on ${bindHost} without ${options.token ? 'a read token' : options.readToken ? 'a probe token' : 'tokens'} (--insecure-no-auth): anyone who reaches ${url} can ${options.readToken ? 'send data' : 'read every run and download heap snapshots'}`);
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    resolver,
    async endRun(runId, endedAt, exitCode) {
      // Revoked first: a probe of the run reconnecting meanwhile is refused, not admitted.
      const open = runTokens.revoke(runId);
      await endRun({ store, snapshots, live }, runId, endedAt, exitCode);
      // After the end is stored: what these sockets sent is in the writer, stored on its next flush.
      closeRun(open);
    },
    issueRunToken: (runId) => runTokens.issue(runId),
    sweepOrphanCaptures: () => snapshots.sweepOrphans(),
    requestWatch: (run, boot, objectId, kind, durationMs) => watches.requestWatch(run, boot, objectId, kind, durationMs),
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        server.close();
        // Store what was received (and ack it) before the probes are told to go away.
        await writer.close();
        // What is spooled stays on disk and replays at the next start.
        await replayer?.stop();
        await spool?.close();
        for (const ws of ingest.clients) ws.close(1001, 'collector shutting down');
        await snapshots.close();
        await watches.close();
        ownResolver?.close();
        live.close();
        server.closeAllConnections();
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (const ws of ingest.clients) ws.terminate();
      })();
      return closing;
    },
  };
}
