/**
 * Stable error codes. A code never changes meaning once released: scripts and CI jobs match on it.
 * User errors (bad flags, bad config, a busy data directory) are printed as one line
 * `leakwatch: LW_ERR_X: message` without a stack; anything else is a bug and keeps its stack.
 */
export const ERROR_CODES = [
  'LW_ERR_USAGE',
  'LW_ERR_CONFIG',
  'LW_ERR_NOT_FOUND',
  'LW_ERR_BAD_REQUEST',
  'LW_ERR_AUTH',
  'LW_ERR_PROTOCOL_JSON',
  'LW_ERR_PROTOCOL_VERSION',
  'LW_ERR_PROTOCOL_TYPE',
  'LW_ERR_PROTOCOL_ORDER',
  'LW_ERR_PROTOCOL_INVALID',
  'LW_ERR_PROTOCOL_TOO_BIG',
  'LW_ERR_STORE',
  'LW_ERR_STORE_LOCKED',
  'LW_ERR_COLLECTOR_UNREACHABLE',
  'LW_ERR_CHILD',
  'LW_ERR_INTERNAL',
  // Heap snapshot files (loader): each names what is wrong with the file.
  'LW_ERR_SNAPSHOT_IO',
  'LW_ERR_SNAPSHOT_SYNTAX',
  'LW_ERR_SNAPSHOT_TRUNCATED',
  'LW_ERR_SNAPSHOT_META',
  'LW_ERR_SNAPSHOT_COUNTS',
  'LW_ERR_SNAPSHOT_INDEX',
  'LW_ERR_SNAPSHOT_STRING',
  'LW_ERR_SNAPSHOT_TOO_BIG',
  // Heap snapshot capture and transfer.
  'LW_ERR_SNAPSHOT_REFUSED',
  'LW_ERR_SNAPSHOT_BUSY',
  'LW_ERR_SNAPSHOT_CAPTURE',
  'LW_ERR_SNAPSHOT_UPLOAD',
  'LW_ERR_SNAPSHOT_CHECKSUM',
  'LW_ERR_SNAPSHOT_NO_PROBE',
  'LW_ERR_SNAPSHOT_ANALYSIS',
  /** The probe did not answer a snapshot request in time. */
  'LW_ERR_SNAPSHOT_TIMEOUT',
  /** No probe of the run's process is connected to watch a suspect container. */
  'LW_ERR_WATCH_NO_PROBE',
  // Browser UI: failures the page detects itself, shown in its error banner like the API's codes.
  /** The page cannot reach the collector (fetch rejected: collector down, network cut). */
  'LW_ERR_NETWORK',
  /** The collector answered, but not with the JSON body the API contract promises. */
  'LW_ERR_BAD_RESPONSE',
  /** A script error in the page itself (a bug in the UI, not in the data). */
  'LW_ERR_UI',
  // Access control and isolation between probes (the collector is safe to expose).
  /** A request from a foreign Origin or to a foreign Host header (cross-site, DNS rebinding). */
  'LW_ERR_ORIGIN',
  /** Listening beyond loopback without the probe and read tokens (and no --insecure-no-auth). */
  'LW_ERR_INSECURE_BIND',
  /** The TLS certificate, key or CA could not be read or used. */
  'LW_ERR_TLS',
  /** A number in a probe message is finite but outside the range its column holds. */
  'LW_ERR_PROTOCOL_RANGE',
  /** A hello for a (run, boot) that another connection holds, or that differs from that boot's first hello. */
  'LW_ERR_PROBE_CONFLICT',
  /** A connection that never said hello within the hello timeout. */
  'LW_ERR_HELLO_TIMEOUT',
  /** The collector holds as many probe connections as it allows. */
  'LW_ERR_TOO_MANY_CONNECTIONS',
  /** A snapshot upload the collector did not ask that boot for (and the probe did not announce). */
  'LW_ERR_SNAPSHOT_UNREQUESTED',
  /** A snapshot request too soon after the last one of the run, or while one is under way (429). */
  'LW_ERR_SNAPSHOT_RATE_LIMITED',
  /** A probe's batch that the store refuses even when written alone: that probe's data is bad. */
  'LW_ERR_BAD_DATA',
  /** The on-disk spool is over its budget: new snapshots are refused, then data is no longer acknowledged. */
  'LW_ERR_SPOOL_FULL',
  /** A spool segment whose tail is torn or whose checksum fails: quarantined at start-up. */
  'LW_ERR_SPOOL_CORRUPT',
  // Run lifetime: a run stops what it started, and its probes stop with it.
  /** A probe of a run that has ended (or that another collector started) is refused; it stops for good. */
  'LW_ERR_RUN_ENDED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class LeakwatchError extends Error {
  readonly code: ErrorCode;
  /** True when the error is the user's to fix: printed as one line, no stack. */
  readonly userError: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; userError?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LeakwatchError';
    this.code = code;
    this.userError = options.userError ?? true;
  }
}

export function isLeakwatchError(err: unknown): err is LeakwatchError {
  return err instanceof LeakwatchError;
}

/** `LW_ERR_X: message` — the one-line form used on stderr, in close reasons and in API errors. */
export function formatErrorLine(err: unknown): string {
  if (isLeakwatchError(err)) return `${err.code}: ${err.message}`;
  const message = err instanceof Error ? err.message : String(err);
  return `LW_ERR_INTERNAL: ${message.split('\n')[0]}`;
}
