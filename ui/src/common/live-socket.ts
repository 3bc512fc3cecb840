import { LIVE_PATH, type LiveMessage, type LiveRequest } from '../../../src/api';

export interface LiveSocketOptions {
  onMessage(msg: LiveMessage): void;
  /** Called on every open (after subscriptions were sent) and close. */
  onStatus?(connected: boolean): void;
}

const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;

/**
 * The `/live` WebSocket with automatic reconnect (exponential backoff) and re-subscription.
 * Subscriptions are remembered, so a dropped collector connection heals by itself.
 */
export function createLiveSocket(options: LiveSocketOptions) {
  const subscriptions = new Set<string>();
  let ws: WebSocket | null = null;
  let retryMs = MIN_RETRY_MS;
  let retryTimer: number | undefined;
  let closed = false;

  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${LIVE_PATH}`;

  function send(msg: LiveRequest): void {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  }

  function connect(): void {
    retryTimer = undefined;
    if (closed) return;
    const socket = new WebSocket(url);
    ws = socket;
    socket.addEventListener('open', () => {
      retryMs = MIN_RETRY_MS;
      for (const runId of subscriptions) send({ type: 'subscribe', runId });
      options.onStatus?.(true);
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      let msg: LiveMessage;
      try {
        msg = JSON.parse(event.data) as LiveMessage;
      } catch {
        return;
      }
      options.onMessage(msg);
    });
    socket.addEventListener('close', () => {
      if (ws !== socket) return;
      ws = null;
      options.onStatus?.(false);
      if (closed) return;
      retryTimer = window.setTimeout(connect, retryMs);
      retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
    });
    // 'error' is always followed by 'close', which schedules the retry.
  }

  connect();

  return {
    subscribe(runId: string): void {
      subscriptions.add(runId);
      send({ type: 'subscribe', runId });
    },
    unsubscribe(runId: string): void {
      subscriptions.delete(runId);
      send({ type: 'unsubscribe', runId });
    },
    close(): void {
      closed = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      ws?.close();
      ws = null;
    },
  };
}

export type LiveSocket = ReturnType<typeof createLiveSocket>;
