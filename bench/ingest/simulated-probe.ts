import WebSocket from 'ws';
import type { ProbeFrames } from './probe-frames';

/**
 * One simulated probe on a real ingest socket: hello, then batches with consecutive seqs, each
 * timed from its send to the collector's ack (an ack covers every lower seq of the boot, as in
 * the protocol). With `reconnect`, it behaves as the real probe's transport does when the
 * collector goes away: it keeps what is not acknowledged (bounded, oldest dropped), reconnects,
 * says hello again and resends, so a collector restart loses nothing.
 */
export interface SimulatedProbeOptions {
  url: string;
  frames: ProbeFrames;
  headers?: Record<string, string>;
  reconnect?: boolean;
  /** Called once per acknowledged message with its seq and latency (ms, from its first send). */
  onAck?: (latencyMs: number, seq: number, probe: SimulatedProbe) => void;
  /** Unacknowledged messages kept for resending; older ones are dropped and counted. */
  maxUnacked?: number;
}

export interface SimulatedProbe {
  readonly frames: ProbeFrames;
  /** Batches sent (queued while disconnected included), acknowledged, and dropped from a full queue. */
  readonly sent: number;
  readonly acked: number;
  readonly dropped: number;
  readonly unacked: number;
  /** Connections opened again after the first. */
  readonly reconnects: number;
  /** Resolves once the first connection is open and hello is sent. */
  connect(): Promise<void>;
  /** Sends the next batch sampled at `ts` (default now); returns its seq. */
  send(ts?: number): number;
  close(): Promise<void>;
}

const RECONNECT_DELAY_MS = 500;

export function createSimulatedProbe(options: SimulatedProbeOptions): SimulatedProbe {
  const { frames } = options;
  const maxUnacked = options.maxUnacked ?? 600;
  // Unacknowledged messages in seq order: parallel arrays with a moving head, so the hot path
  // (one push per send, one advance per ack) allocates nothing per message.
  let seqs: number[] = [];
  let sentAt: number[] = [];
  let texts: string[] = [];
  let head = 0;
  let seq = 0;
  let sent = 0;
  let acked = 0;
  let dropped = 0;
  let reconnects = 0;
  let everOpen = false;
  let ws: WebSocket | undefined;
  let open = false;
  let closing = false;
  let retry: NodeJS.Timeout | undefined;

  function compact(): void {
    if (head < 1024 || head * 2 < seqs.length) return;
    seqs = seqs.slice(head);
    sentAt = sentAt.slice(head);
    texts = texts.slice(head);
    head = 0;
  }

  function onAck(ackSeq: number): void {
    const now = Date.now();
    while (head < seqs.length && seqs[head]! <= ackSeq) {
      const latency = now - sentAt[head]!;
      const done = seqs[head]!;
      texts[head] = '';
      head++;
      acked++;
      options.onAck?.(latency, done, probe);
    }
    compact();
  }

  function dial(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(options.url, { perMessageDeflate: false, headers: options.headers });
      ws = socket;
      socket.on('open', () => {
        if (everOpen) reconnects++;
        everOpen = true;
        open = true;
        socket.send(frames.hello);
        // After a reconnect, everything not acknowledged goes again, oldest first.
        for (let i = head; i < texts.length; i++) socket.send(texts[i]!);
        resolve();
      });
      socket.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { type?: string; seq?: number };
        if (msg.type === 'ack' && typeof msg.seq === 'number') onAck(msg.seq);
      });
      socket.on('error', (err) => {
        if (!open) reject(err);
      });
      socket.on('close', () => {
        const wasOpen = open;
        open = false;
        if (!wasOpen) reject(new Error(`cannot connect to ${options.url}`));
        if (closing || !options.reconnect) return;
        scheduleRedial();
      });
    });
  }

  function scheduleRedial(): void {
    if (retry || closing) return;
    retry = setTimeout(() => {
      retry = undefined;
      dial().catch(() => scheduleRedial());
    }, RECONNECT_DELAY_MS);
    retry.unref();
  }

  const probe: SimulatedProbe = {
    frames,
    get sent() {
      return sent;
    },
    get acked() {
      return acked;
    },
    get dropped() {
      return dropped;
    },
    get unacked() {
      return seqs.length - head;
    },
    get reconnects() {
      return reconnects;
    },
    connect: () => dial(),
    send(ts = Date.now()) {
      seq++;
      sent++;
      const text = frames.batch(seq, ts);
      seqs.push(seq);
      sentAt.push(Date.now());
      texts.push(text);
      if (seqs.length - head > maxUnacked) {
        texts[head] = '';
        head++;
        dropped++;
        compact();
      }
      if (open) ws!.send(text);
      return seq;
    },
    async close() {
      closing = true;
      if (retry) clearTimeout(retry);
      const socket = ws;
      if (!socket || socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.once('close', resolve));
      socket.close();
      const force = setTimeout(() => socket.terminate(), 2000);
      await closed;
      clearTimeout(force);
    },
  };
  return probe;
}
