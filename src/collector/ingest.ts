import type WebSocket from 'ws';
import { closeReason } from '../protocol/close-codes';
import { decodeProbeMessage, ProtocolError } from '../protocol/decode';
import { encodeMessage } from '../protocol/encode';
import type { Envelope } from '../protocol/envelope';
import { PROTOCOL_VERSION, type BatchMessage, type HelloMessage } from '../protocol/messages';
import type { LeakwatchError } from '../shared/errors';
import type { Logger } from '../shared/log';
import type { RowBatch, Store } from '../store/store-interface';
import { allocRowsOf } from './alloc';
import type { BatchWriter } from './batch-writer';
import { rowsOfBatch } from './batch-rows';
import type { BootRegistry, SeqMarks } from './boot-registry';
import { endRun } from './end-run';
import type { LiveHub } from './live-hub';
import type { UploadedMaps } from './source-maps';
import type { SnapshotService } from './snapshots';
import type { WatchService } from './watches';

/** What a status message or a bye adds to the writer: nothing but its place in the order. */
const NO_ROWS: RowBatch = { samples: [], spaces: [], gcs: [] };

export interface IngestDeps {
  store: Store;
  writer: BatchWriter;
  live: LiveHub;
  log: Logger;
  /** Highest stored seq per boot, shared by all connections: a resend after reconnect is acked, not stored twice. */
  storedSeq: SeqMarks;
  /** Which connection holds each boot: a hello for a boot held elsewhere, or unlike its first, is refused. */
  boots: BootRegistry;
  /** Snapshot requests go to this connection once it said hello; its snapshot-status messages are recorded there. */
  snapshots: SnapshotService;
  /** Where `source-map` parts are assembled and kept; without it they are acked and dropped. */
  sourceMaps?: UploadedMaps;
  /** Watch requests go to this connection's process once it said hello; its watch reports are stored there. */
  watches?: WatchService;
  /** The run whose run token admitted this connection (run-tokens.ts): its hello must name that run. */
  tokenRun?: string;
}

/** How a failed write closes the connection: refused data, a full spool, or the store itself. */
type WriteFailureCode = 'LW_ERR_BAD_DATA' | 'LW_ERR_SPOOL_FULL' | 'LW_ERR_STORE';
const WRITE_FAILURE_TEXT: Record<WriteFailureCode, string> = {
  LW_ERR_BAD_DATA: 'the store refuses this probe\'s data; it is not acknowledged',
  LW_ERR_SPOOL_FULL: 'the collector cannot take more data now, resend later',
  LW_ERR_STORE: 'store unavailable, resend later',
};

function writeFailureCode(err: Error): WriteFailureCode {
  const code = (err as Partial<LeakwatchError>).code;
  return code === 'LW_ERR_BAD_DATA' || code === 'LW_ERR_SPOOL_FULL' ? code : 'LW_ERR_STORE';
}

/**
 * One probe connection. Order matters: the first message must be hello; batches and bye are
 * stored through the shared batch writer and acknowledged only once they are durable (in
 * ClickHouse, or fsynced in the spool while it is down), so a probe may forget exactly what is acked. Any invalid frame closes this connection with a
 * specific code and reason; other probes are unaffected.
 */
export function handleProbeConnection(ws: WebSocket, remote: string, deps: IngestDeps): void {
  const { store, writer, live, log, storedSeq, snapshots, sourceMaps } = deps;
  let hello: HelloMessage | undefined;
  let chain: Promise<void> = Promise.resolve();
  /**
   * Set by the first failed write. Messages of this connection still in the writer may be stored
   * by a later flush, but they must neither be acked nor raise the boot's stored-seq mark: that
   * mark would then cover the failed messages, and their resend would be acked as a duplicate
   * without being stored. The probe resends everything unacked; the engine dedups the rows.
   */
  let failed = false;

  function reject(err: ProtocolError): void {
    log.warn(`probe ${remote}${hello ? ` (run ${hello.run})` : ''} rejected: ${err.code}: ${err.message}`);
    ws.close(err.closeCode, closeReason(err.code, err.message));
  }

  function ack(run: string, boot: string, seq: number): void {
    if (ws.readyState === ws.OPEN) ws.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'ack', run, boot, seq }));
  }

  function storeFailed(err: Error): void {
    // Nothing is acked, so the probe keeps the data; closing makes it reconnect and resend.
    // Only this connection is closed: the writer has told its rows from the other probes'.
    if (failed) return;
    failed = true;
    const code = writeFailureCode(err);
    log.error(`store write failed for ${remote}: ${code}: ${err.message.split('\n')[0]}`);
    reject(new ProtocolError(code, `${WRITE_FAILURE_TEXT[code]} (${err.message.split('\n')[0]})`));
  }

  /**
   * The one way a message is acknowledged. An ack covers every lower seq of the boot, so it may
   * be sent only once every earlier write of this connection is durable: the message's rows
   * (none for a status or a bye) join the shared writer, which completes entries in the order
   * they were added, and the ack follows that entry. `beforeAck` runs between the write and the
   * ack (a batch's live push, a bye's end of the run); a failed write or a rejected `beforeAck`
   * is a store failure, and nothing is acked. Resolves when the write is done, acked or not.
   */
  function ackAfterPrevious(msg: Envelope, rows: RowBatch, beforeAck?: () => void | Promise<unknown>): Promise<void> {
    const acknowledge = () => {
      storedSeq.set(msg.boot, Math.max(storedSeq.get(msg.boot) ?? 0, msg.seq));
      ack(msg.run, msg.boot, msg.seq);
    };
    return new Promise<void>((resolve) => {
      writer.add({
        rows,
        sender: `${msg.run}/${msg.boot}`,
        done: (err) => {
          resolve();
          if (err) return storeFailed(err);
          if (failed) return;
          const settling = beforeAck?.();
          if (!settling) return acknowledge();
          settling.then(acknowledge).catch((e: Error) => storeFailed(e));
        },
      });
    });
  }

  function onBatch(msg: BatchMessage): void {
    if (msg.gap) {
      log.warn(`run ${msg.run}: probe dropped ${msg.gap.droppedSamples} samples (${msg.gap.droppedMessages} messages) while its buffer was full; recorded as a gap`);
    }
    void ackAfterPrevious(msg, rowsOfBatch(msg), () => live.publishBatch(msg.run, { boot: msg.boot, samples: msg.samples, spaces: msg.spaces, gcs: msg.gcs }));
  }

  async function publishRun(runId: string): Promise<void> {
    const run = await store.getRun(runId);
    if (run) live.publishRun(run);
  }

  ws.on('message', (data, isBinary) => {
    // Frames that follow a refusal (ws still reads them while the close handshake runs) are not processed.
    if (ws.readyState !== ws.OPEN) return;
    let msg;
    try {
      // Times are checked against this collector's clock, so one message cannot reach far-off partitions.
      msg = decodeProbeMessage(data as Buffer, isBinary, { now: Date.now() });
      if (!hello && msg.type !== 'hello') {
        throw new ProtocolError('LW_ERR_PROTOCOL_ORDER', `${msg.type} before hello: the first message must be hello`);
      }
      if (hello && msg.type !== 'hello' && (msg.run !== hello.run || msg.boot !== hello.boot)) {
        throw new ProtocolError('LW_ERR_PROTOCOL_INVALID', 'run/boot differ from this connection\'s hello');
      }
    } catch (err) {
      if (err instanceof ProtocolError) return reject(err);
      throw err;
    }
    if (msg.type !== 'hello' && msg.seq <= (storedSeq.get(msg.boot) ?? 0)) {
      // Already stored before a reconnect: acknowledge again so the probe can forget it.
      chain = chain.then(() => ack(msg.run, msg.boot, msg.seq));
      return;
    }
    if (msg.type === 'hello') {
      // Only the boot's own process may write to it: not while another connection holds it, and
      // only with what its first hello said (the mark above would otherwise be another's).
      if (hello && (msg.run !== hello.run || msg.boot !== hello.boot)) {
        return reject(new ProtocolError('LW_ERR_PROBE_CONFLICT', 'a second hello on this connection names another run or boot'));
      }
      // A run token writes to its own run only: leaked from an app, it opens nothing else.
      if (deps.tokenRun !== undefined && msg.run !== deps.tokenRun) {
        return reject(new ProtocolError('LW_ERR_AUTH', 'this run token was issued for another run'));
      }
      const claim = deps.boots.claim(msg, ws);
      if (!claim.ok) return reject(new ProtocolError('LW_ERR_PROBE_CONFLICT', claim.reason));
      const first = !hello;
      hello = msg;
      if (first) snapshots.addProbe(msg.run, ws, msg.boot);
      if (first) deps.watches?.addProbe(msg.run, msg.boot, ws);
      // Later messages wait for the run row: a run never has samples but no header.
      chain = chain.then(async () => {
        // Through the writer: while the store is down the run row is spooled, not refused.
        await writer.upsertRun(msg);
        if (first) log.info(`probe connected: run ${msg.run} "${msg.name}" pid ${msg.pid} on ${msg.host} (${remote})`);
        // The UI's notice only; a store that cannot answer it must not refuse the probe.
        await publishRun(msg.run).catch((err: Error) => log.debug(`run ${msg.run} not pushed to the UI: ${err.message.split('\n')[0]}`));
      }).catch((err: Error) => storeFailed(err));
      return;
    }
    if (msg.type === 'batch') {
      chain = chain.then(() => onBatch(msg));
      return;
    }
    if (msg.type === 'snapshot-status') {
      // Noted at once, on the boot's own connection: the upload may arrive before the record is written.
      snapshots.noteProbeStatus(msg);
      // Recorded in connection order, then acked after the writes before it. Later batches are
      // added to the writer only after this, so they cannot be acked first.
      chain = chain
        .then(async () => {
          if (failed) return;
          await snapshots.onProbeStatus(msg);
          void ackAfterPrevious(msg, NO_ROWS);
        })
        .catch((err: Error) => storeFailed(err));
      return;
    }
    if (msg.type === 'alloc-profile') {
      // Stored through the writer like a batch, so its ack keeps the boot's seq order; the run
      // page is told once the rows are stored, so its sites panel never reads ahead of the store.
      chain = chain.then(() => void ackAfterPrevious(msg, { samples: [], spaces: [], gcs: [], allocSites: allocRowsOf(msg) }, () => live.publishAllocProfile(msg.run, msg.boot, msg.at)));
      return;
    }
    if (msg.type === 'source-map') {
      // Kept (and, for a map's last part, verified and written) in connection order, then acked
      // after the writes before it like a status message. A bad map is dropped, never refused.
      chain = chain
        .then(async () => {
          if (failed) return;
          await sourceMaps?.onPart(msg);
          void ackAfterPrevious(msg, NO_ROWS);
        })
        .catch((err: Error) => storeFailed(err));
      return;
    }
    if (msg.type === 'lineage') {
      // Stored through the writer like a batch (spooled while the store is down), acked in seq order.
      const { v: _v, type: _t, ...lineage } = msg;
      chain = chain.then(() => void ackAfterPrevious(msg, { samples: [], spaces: [], gcs: [], lineage: [lineage] }));
      return;
    }
    if (msg.type === 'watch-report') {
      // Stored (callers source-mapped) in connection order, then acked like a snapshot status.
      chain = chain
        .then(async () => {
          if (failed) return;
          await deps.watches?.onReport(msg);
          void ackAfterPrevious(msg, NO_ROWS);
        })
        .catch((err: Error) => storeFailed(err));
      return;
    }
    // bye: ends the process (and the run, unless a launcher owns it) after everything before it
    // is stored; later messages wait for that write.
    chain = chain.then(() =>
      ackAfterPrevious(msg, NO_ROWS, async () => {
        await store.endProcess(msg.run, msg.boot, msg.endedAt);
        await (msg.endsRun ? endRun({ store, snapshots, live }, msg.run, msg.endedAt, null) : publishRun(msg.run));
      }),
    );
  });
  ws.on('error', (err) => log.debug(`probe ${remote} socket error: ${err.message}`));
}
