import type WebSocket from 'ws';
import { CLOSE_CODES, closeReason, type CloseErrorCode } from '../protocol/close-codes';
import type { Logger } from '../shared/log';

/** Probe and upload connections the collector holds at most unless told (--max-connections). */
export const DEFAULT_MAX_CONNECTIONS = 5000;
/** How long a new probe or upload connection has for its first frame (hello, snapshot-begin). */
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

/** ws closes a frame over maxPayload with 1009 and no reason; this is the status it uses. */
const WS_MESSAGE_TOO_BIG = 1009;

export interface ConnectionGuardOptions {
  log: Logger;
  maxConnections?: number;
  helloTimeoutMs?: number;
}

/**
 * Connection accounting for the probe socket paths: a cap on how many are open at once, a
 * deadline for the first frame, and the documented close code for an oversized frame. Each
 * refusal is a close code and a reason the probe can act on.
 */
export function createConnectionGuard(options: ConnectionGuardOptions) {
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const helloTimeoutMs = options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS;
  let open = 0;

  return {
    /**
     * Counts a new connection in, or closes it with LW_ERR_TOO_MANY_CONNECTIONS when the
     * collector already holds its cap; then starts its hello deadline. False when refused.
     */
    admit(ws: WebSocket, label: string): boolean {
      if (open >= maxConnections) {
        options.log.warn(`${label} refused: LW_ERR_TOO_MANY_CONNECTIONS: ${open} connections open`);
        ws.close(CLOSE_CODES.LW_ERR_TOO_MANY_CONNECTIONS, closeReason('LW_ERR_TOO_MANY_CONNECTIONS', `the collector holds its ${maxConnections} connections; retry later`));
        return false;
      }
      open++;
      const deadline = setTimeout(() => {
        options.log.warn(`${label} closed: LW_ERR_HELLO_TIMEOUT: nothing received within ${helloTimeoutMs} ms`);
        ws.close(CLOSE_CODES.LW_ERR_HELLO_TIMEOUT, closeReason('LW_ERR_HELLO_TIMEOUT', `no first message within ${Math.round(helloTimeoutMs / 1000)} s`));
      }, helloTimeoutMs);
      deadline.unref();
      // Any first frame ends the wait: it is a hello (or snapshot-begin), or it closes the connection.
      ws.once('message', () => clearTimeout(deadline));
      ws.once('close', () => {
        clearTimeout(deadline);
        open--;
      });
      return true;
    },

    get open(): number {
      return open;
    },
  };
}

/**
 * Makes the 1009 that ws sends for a frame over `maxPayload` the documented close code with a
 * reason instead. ws decides this in its receiver, before any event, and closes through the
 * socket's own `close` method, so that call is the one place to translate it.
 */
export function closeOversizedWith(ws: WebSocket, code: CloseErrorCode, maxBytes: number): void {
  const close = ws.close.bind(ws);
  ws.close = (status?: number, reason?: string | Buffer) => {
    if (status === WS_MESSAGE_TOO_BIG && !reason) return close(CLOSE_CODES[code], closeReason(code, `frame larger than ${maxBytes} bytes`));
    return close(status, reason);
  };
}
