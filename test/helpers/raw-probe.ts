import WebSocket from 'ws';
import type { SnapshotStatusMessage } from '../../src/protocol/snapshot-messages';

/**
 * A probe driven by the test over a real ingest connection: it says hello, sends what the test
 * tells it to with consecutive seqs, and records the collector's acks and snapshot requests.
 */
export interface RawProbe {
  readonly run: string;
  readonly boot: string;
  readonly ws: WebSocket;
  /** Seqs acked so far, in arrival order, with the time each arrived. */
  readonly acks: { seq: number; at: number }[];
  /** Request ids of the snapshot-request frames received. */
  readonly requests: string[];
  /** Sends a message with the next seq; returns that seq. */
  send(body: Record<string, unknown>): number;
  sendBatch(samples: number): number;
  sendStatus(fields: Partial<SnapshotStatusMessage> & Pick<SnapshotStatusMessage, 'state' | 'snapshotId'>): number;
  /** The oldest snapshot request not yet returned by an earlier call, waiting for one if none. */
  waitForRequest(timeoutMs?: number): Promise<string>;
  waitForAck(seq: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export function sampleAt(ts: number, heapUsed = 1e7): Record<string, number> {
  return { ts, rss: 3e7, heapTotal: 2e7, heapUsed, external: 1, arrayBuffers: 1, heapLimit: 4e9, totalAvailable: 4e9, mallocedMemory: 1, peakMallocedMemory: 1, nativeContexts: 1, detachedContexts: 0, elP50Ms: 0, elP99Ms: 0, elMaxMs: 0 };
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Each boot's start time, so a reconnect says the same hello as the real probe does (the collector compares it). */
const startedAtOfBoot = new Map<string, number>();

export async function connectRawProbe(ingestUrl: string, run: string, boot = `${run}-boot`, headers: Record<string, string> = {}): Promise<RawProbe> {
  const ws = new WebSocket(ingestUrl, { headers });
  const acks: { seq: number; at: number }[] = [];
  const requests: string[] = [];
  let seq = 0;
  /** How many requests waitForRequest has returned. */
  let taken = 0;
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { type: string; seq?: number; requestId?: string };
    if (msg.type === 'ack' && typeof msg.seq === 'number') acks.push({ seq: msg.seq, at: Date.now() });
    if (msg.type === 'snapshot-request' && typeof msg.requestId === 'string') requests.push(msg.requestId);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const startedAt = startedAtOfBoot.get(boot) ?? startedAtOfBoot.set(boot, Date.now()).get(boot)!;
  ws.send(JSON.stringify({ v: 1, type: 'hello', run, boot, seq: 0, name: `raw ${run}`, labels: {}, pid: 1, host: 'test-host', node: process.version, argv: [], startedAt, intervalMs: 1000, probeVersion: 'test' }));
  const probe: RawProbe = {
    run,
    boot,
    ws,
    acks,
    requests,
    send(body) {
      seq++;
      ws.send(JSON.stringify({ v: 1, run, boot, seq, ...body }));
      return seq;
    },
    sendBatch(samples) {
      const now = Date.now();
      return probe.send({ type: 'batch', samples: Array.from({ length: samples }, (_, i) => sampleAt(now - samples + i + 1)), spaces: [], gcs: [] });
    },
    sendStatus(fields) {
      return probe.send({
        type: 'snapshot-status',
        requestId: '',
        trigger: 'manual',
        at: Date.now(),
        heapUsed: 5e6,
        estimatedBytes: 2e7,
        availableBytes: 1e9,
        reason: '',
        errorCode: '',
        ...fields,
      });
    },
    async waitForRequest(timeoutMs = 10_000) {
      // The first request no earlier call returned, even one that arrived before this call: the
      // collector can forward a click's request before the test gets here (the CI flake).
      const id = await until('a snapshot-request', () => requests[taken], timeoutMs);
      taken++;
      return id;
    },
    waitForAck(ackSeq, timeoutMs = 10_000) {
      return until(`the ack of seq ${ackSeq}`, () => acks.find((a) => a.seq === ackSeq)?.at, timeoutMs);
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close();
      await closed;
    },
  };
  return probe;
}
