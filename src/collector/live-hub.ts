import WebSocket, { WebSocketServer } from 'ws';
import { ALL_RUNS, type LiveBatchMessage, type LiveMessage, type LiveRequest } from '../api';
import type { SnapshotRecord } from '../shared/snapshot-data';
import type { RunSummary } from '../shared/run-data';

/** The rows of one `batch` push, as ingest hands them over once stored. */
export type LiveBatch = Omit<LiveBatchMessage, 'type' | 'runId'>;

/**
 * The `/live` WebSocket: browser pages subscribe to one run (or '*' for the runs list) and get
 * rows pushed right after they are stored, so a chart never shows data the API would not.
 * Both directions are typed by the contract in `src/api/live-messages.ts`.
 */
export function createLiveHub() {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false });
  const subscriptions = new Map<WebSocket, Set<string>>();

  wss.on('connection', (ws) => {
    subscriptions.set(ws, new Set());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      try {
        // Untrusted until checked field by field: only the shape of a LiveRequest is acted on.
        const msg = JSON.parse(data.toString()) as { [K in keyof LiveRequest]?: unknown };
        if (msg.type === 'subscribe' && typeof msg.runId === 'string') subscriptions.get(ws)?.add(msg.runId);
        if (msg.type === 'unsubscribe' && typeof msg.runId === 'string') subscriptions.get(ws)?.delete(msg.runId);
      } catch {
        // A page sending garbage only hurts itself; ignore the frame.
      }
    });
    ws.on('close', () => subscriptions.delete(ws));
    ws.on('error', () => subscriptions.delete(ws));
  });

  function send(filter: (subs: Set<string>) => boolean, payload: LiveMessage): void {
    let text: string | undefined;
    for (const [ws, subs] of subscriptions) {
      if (ws.readyState !== WebSocket.OPEN || !filter(subs)) continue;
      // A page that cannot keep up is dropped instead of buffering without bound.
      if (ws.bufferedAmount > 8 * 1024 * 1024) {
        ws.terminate();
        continue;
      }
      text ??= JSON.stringify(payload);
      ws.send(text);
    }
  }

  return {
    wss,
    publishBatch(runId: string, batch: LiveBatch): void {
      send((subs) => subs.has(runId), { type: 'batch', runId, ...(batch.boot === undefined ? {} : { boot: batch.boot }), samples: batch.samples, spaces: batch.spaces, gcs: batch.gcs });
    },
    publishRun(run: RunSummary): void {
      send((subs) => subs.has(ALL_RUNS) || subs.has(run.id), { type: 'run', run });
    },
    /** A snapshot of the run changed status or progress (the caller spaces progress pushes). */
    publishSnapshot(runId: string, snapshot: SnapshotRecord): void {
      send((subs) => subs.has(runId), { type: 'snapshot', runId, snapshot });
    },
    /** An allocation profile of one process of the run is stored. */
    publishAllocProfile(runId: string, boot: string, at: number): void {
      send((subs) => subs.has(runId), { type: 'alloc-profile', runId, boot, at });
    },
    close(): void {
      for (const ws of subscriptions.keys()) ws.terminate();
      subscriptions.clear();
      wss.close();
    },
  };
}

export type LiveHub = ReturnType<typeof createLiveHub>;
