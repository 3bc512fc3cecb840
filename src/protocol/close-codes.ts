import type { ErrorCode } from '../shared/errors';

/**
 * WebSocket close codes the collector uses when it rejects a probe connection (RFC 6455 leaves
 * 4000-4999 to applications). The close reason is `LW_ERR_X: detail`, cut to the 123 bytes a
 * close frame allows.
 */
export const CLOSE_CODES = {
  LW_ERR_PROTOCOL_JSON: 4400,
  LW_ERR_AUTH: 4401,
  LW_ERR_PROTOCOL_VERSION: 4402,
  LW_ERR_PROTOCOL_TYPE: 4403,
  LW_ERR_PROTOCOL_ORDER: 4404,
  LW_ERR_PROTOCOL_INVALID: 4405,
  LW_ERR_PROTOCOL_TOO_BIG: 4413,
  LW_ERR_PROTOCOL_RANGE: 4406,
  LW_ERR_HELLO_TIMEOUT: 4408,
  LW_ERR_PROBE_CONFLICT: 4410,
  LW_ERR_BAD_DATA: 4415,
  LW_ERR_TOO_MANY_CONNECTIONS: 4429,
  LW_ERR_SPOOL_FULL: 4503,
  /** The probe's run has ended, or its token was issued by another collector: stop for good. */
  LW_ERR_RUN_ENDED: 4411,
  // Upload connections (SNAPSHOT_UPLOAD_PATH).
  LW_ERR_SNAPSHOT_BUSY: 4409,
  LW_ERR_SNAPSHOT_TOO_BIG: 4414,
  LW_ERR_SNAPSHOT_CHECKSUM: 4422,
  LW_ERR_SNAPSHOT_UNREQUESTED: 4412,
  LW_ERR_SNAPSHOT_IO: 4507,
  LW_ERR_STORE: 4500,
} as const satisfies Partial<Record<ErrorCode, number>>;

export type CloseErrorCode = keyof typeof CLOSE_CODES;

/** Close codes after which a probe should not reconnect: resending would fail the same way. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.LW_ERR_AUTH,
  CLOSE_CODES.LW_ERR_PROTOCOL_VERSION,
  CLOSE_CODES.LW_ERR_RUN_ENDED,
]);

/** A close reason must fit in 123 bytes of UTF-8. */
export function closeReason(code: string, detail: string): string {
  let reason = `${code}: ${detail}`;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -2) + '…';
  return reason;
}

/**
 * Close codes by which the collector refuses this probe for now (busy, conflicting, malformed):
 * reconnecting at once would be refused again, so the probe says so once and waits the longest
 * backoff. LW_ERR_STORE is not here: a store outage is transient and the usual backoff applies.
 */
export const REFUSAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.LW_ERR_PROTOCOL_JSON,
  CLOSE_CODES.LW_ERR_PROTOCOL_TYPE,
  CLOSE_CODES.LW_ERR_PROTOCOL_ORDER,
  CLOSE_CODES.LW_ERR_PROTOCOL_INVALID,
  CLOSE_CODES.LW_ERR_PROTOCOL_RANGE,
  CLOSE_CODES.LW_ERR_PROTOCOL_TOO_BIG,
  CLOSE_CODES.LW_ERR_HELLO_TIMEOUT,
  CLOSE_CODES.LW_ERR_PROBE_CONFLICT,
  CLOSE_CODES.LW_ERR_BAD_DATA,
  CLOSE_CODES.LW_ERR_TOO_MANY_CONNECTIONS,
  CLOSE_CODES.LW_ERR_SPOOL_FULL,
]);
