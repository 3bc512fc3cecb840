import WebSocket from 'ws';
import { CLOSE_CODES, FATAL_CLOSE_CODES, REFUSAL_CLOSE_CODES } from '../protocol/close-codes';
import { decodeCollectorMessage } from '../protocol/decode';
import { MAX_MESSAGE_BYTES } from '../protocol/messages';
import type { SnapshotRequestMessage } from '../protocol/snapshot-messages';
import type { WatchRequestMessage } from '../protocol/alloc-messages';
import { DEFAULT_HEARTBEAT_MS } from '../shared/probe-config';
import type { SendQueue } from './send-queue';
import { connectOptions, type CollectorTrust } from './connect-options';

/** Stop writing while this much is buffered in the socket: the app's memory is not our buffer. */
const HIGH_WATER_BYTES = 1024 * 1024;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export interface TransportOptions {
  url: string;
  /** The token to present and the CA to trust (connect-options.ts). */
  trust: CollectorTrust;
  queue: SendQueue;
  /** The hello frame (seq 0), sent first on every connection. */
  hello: () => string;
  /** One-line notices for the host's stderr; called rarely (state changes only). */
  notice: (line: string) => void;
  /** A `snapshot-request` from the collector (must not throw; answers go through the queue). */
  onSnapshotRequest?: (request: SnapshotRequestMessage) => void;
  /** A `watch-request` from the collector (must not throw; the report goes through the queue). */
  onWatchRequest?: (request: WatchRequestMessage) => void;
  /**
   * Between two pings to the collector (default DEFAULT_HEARTBEAT_MS). A connection that answers
   * nothing for two of them is dead (half-open: the peer or a middlebox vanished without a FIN).
   */
  heartbeatMs?: number;
  /**
   * The collector said this probe's run has ended (LW_ERR_RUN_ENDED): the transport has stopped
   * for good, and the probe should stop sampling too (must not throw).
   */
  onRunEnded?: () => void;
  /** Longest reconnect backoff, also the wait after a refusal (default 30 s; tests shorten it). */
  reconnectMaxMs?: number;
}

/**
 * Keeps one WebSocket to the collector, sends queued messages in seq order and forgets them when
 * acknowledged. Reconnects with capped exponential backoff and jitter; after a reconnect the
 * hello and every unacknowledged message are sent again. A ping every heartbeat finds a
 * connection that went silent without closing; a refusal (REFUSAL_CLOSE_CODES) is reported once
 * and waits the longest backoff. The socket and every timer are unref'd: the probe never keeps
 * the host process alive.
 */
export function createTransport(options: TransportOptions) {
  const { queue } = options;
  let ws: WebSocket | undefined;
  let open = false;
  let closed = false;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let reportedDown = false;
  /** The refusal code last reported on stderr: the same refusal is not repeated per attempt. */
  let reportedRefusal: number | undefined;
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const reconnectMaxMs = options.reconnectMaxMs ?? RECONNECT_MAX_MS;
  const idleWaiters = new Set<() => void>();

  function settleAll(): void {
    for (const resolve of idleWaiters) resolve();
    idleWaiters.clear();
  }

  function settleIdle(): void {
    if (queue.size === 0) settleAll();
  }

  function connect(): void {
    if (closed) return;
    const socket = new WebSocket(options.url, {
      perMessageDeflate: false,
      maxPayload: MAX_MESSAGE_BYTES,
      handshakeTimeout: 10_000,
      ...connectOptions(options.url, options.trust),
    });
    ws = socket;
    const heartbeat = createHeartbeat(socket);
    socket.on('open', () => {
      open = true;
      queue.rewind();
      socket.send(options.hello());
      heartbeat.start();
      pump();
    });
    socket.on('pong', heartbeat.heard);
    socket.on('ping', heartbeat.heard);
    socket.on('message', (data, isBinary) => {
      heartbeat.heard();
      if (isBinary) return;
      const msg = decodeCollectorMessage(data as Buffer);
      if (msg?.type === 'ack') {
        // Accepted, not merely opened: a collector that refuses after the upgrade never acks.
        attempt = 0;
        reportedRefusal = undefined;
        if (reportedDown) options.notice(`leakwatch probe: reconnected to ${options.url}`);
        reportedDown = false;
        queue.ack(msg.seq);
        settleIdle();
      } else if (msg?.type === 'snapshot-request') {
        options.onSnapshotRequest?.(msg);
      } else if (msg?.type === 'watch-request') {
        options.onWatchRequest?.(msg);
      }
    });
    socket.on('close', (code, reason) => {
      open = false;
      paused = false;
      heartbeat.stop();
      if (ws === socket) ws = undefined;
      if (closed) return;
      if (code === CLOSE_CODES.LW_ERR_RUN_ENDED) {
        // The run that started this process is over: its data belongs to no collector any more.
        options.notice(`leakwatch probe: ${reason.toString() || 'LW_ERR_RUN_ENDED'}; probe stopped for good`);
        closed = true;
        settleAll();
        options.onRunEnded?.();
        return;
      }
      if (FATAL_CLOSE_CODES.has(code)) {
        // Resending would be refused the same way (bad token, incompatible protocol): stop here.
        options.notice(`leakwatch probe: collector refused the connection (${reason.toString() || code}); probe stopped sending`);
        closed = true;
        settleAll();
        return;
      }
      if (REFUSAL_CLOSE_CODES.has(code)) {
        if (reportedRefusal !== code) {
          reportedRefusal = code;
          options.notice(`leakwatch probe: collector refused the connection (${reason.toString() || code}); retrying in about ${Math.round(reconnectMaxMs / 1000)} s, buffering up to the queue limit`);
        }
        reportedDown = true;
        // Straight to the longest backoff: asking again at once would be refused the same way.
        attempt = Math.ceil(Math.log2(reconnectMaxMs / RECONNECT_MIN_MS));
      }
      scheduleReconnect();
    });
    // 'error' always precedes 'close'; handling it keeps ws from throwing into the host.
    socket.on('error', (err) => {
      if (!reportedDown) {
        reportedDown = true;
        options.notice(`leakwatch probe: LW_ERR_COLLECTOR_UNREACHABLE: ${options.url} (${err.message}); buffering up to the queue limit and retrying`);
      }
    });
  }

  /**
   * Pings every heartbeat and ends the connection when nothing came back since the last ping.
   * A tick that fires late (the host's loop was blocked, e.g. by a heap snapshot) proves
   * nothing about the peer: the pong may be waiting unread, so that round only pings again.
   */
  function createHeartbeat(socket: WebSocket) {
    let timer: NodeJS.Timeout | undefined;
    let heard = true;
    let lastTick = 0;
    return {
      heard(): void {
        heard = true;
      },
      start(): void {
        heard = true;
        lastTick = Date.now();
        timer = setInterval(() => {
          const now = Date.now();
          const late = now - lastTick > heartbeatMs * 1.5;
          lastTick = now;
          if (!heard && !late) {
            if (!reportedDown) {
              reportedDown = true;
              options.notice(`leakwatch probe: LW_ERR_COLLECTOR_UNREACHABLE: no answer from ${options.url} for ${Math.round((2 * heartbeatMs) / 1000)} s (connection lost without a close); reconnecting`);
            }
            socket.terminate();
            return;
          }
          heard = false;
          try {
            socket.ping();
          } catch {
            // Closing already: the close handler reconnects.
          }
        }, heartbeatMs);
        timer.unref();
      },
      stop(): void {
        if (timer) clearInterval(timer);
        timer = undefined;
      },
    };
  }

  function scheduleReconnect(): void {
    if (closed || reconnectTimer) return;
    const base = Math.min(reconnectMaxMs, RECONNECT_MIN_MS * 2 ** attempt++);
    const delay = base / 2 + Math.random() * (base / 2);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delay);
    reconnectTimer.unref();
  }

  let paused = false;

  /** ws calls this when a frame reached the socket: the moment to resume after backpressure. */
  function onWritten(): void {
    if (paused && ws && ws.bufferedAmount < HIGH_WATER_BYTES / 2) {
      paused = false;
      pump();
    }
  }

  function pump(): void {
    const socket = ws;
    if (!socket || !open) return;
    for (let next = queue.peekUnsent(); next; next = queue.peekUnsent()) {
      if (socket.bufferedAmount > HIGH_WATER_BYTES) {
        paused = true;
        return;
      }
      socket.send(next.text, onWritten);
      queue.markSent();
    }
  }

  return {
    start(): void {
      connect();
    },
    /** Called after a message was queued. */
    flush(): void {
      pump();
    },
    get connected(): boolean {
      return open;
    },
    /**
     * Resolves true once every queued message is acknowledged, false at the deadline.
     * The deadline timer is deliberately ref'd: during stop() the host waits at most this long.
     */
    waitIdle(deadlineMs: number): Promise<boolean> {
      if (queue.size === 0) return Promise.resolve(true);
      if (closed) return Promise.resolve(false);
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          resolve(queue.size === 0);
        };
        const timer = setTimeout(() => {
          idleWaiters.delete(done);
          resolve(false);
        }, deadlineMs);
        idleWaiters.add(done);
      });
    },
    close(): void {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      settleAll();
      if (ws) {
        try {
          ws.close(1000, 'probe stopped');
        } catch {
          ws.terminate();
        }
      }
    },
  };
}

export type Transport = ReturnType<typeof createTransport>;
