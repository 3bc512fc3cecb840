import { LeakwatchError, type ErrorCode } from '../shared/errors';

type SnapshotErrorCode = Extract<ErrorCode, `LW_ERR_SNAPSHOT_${string}`>;

/** A .heapsnapshot file the loader cannot accept: always a user error (one line, no stack). */
export function snapshotError(code: SnapshotErrorCode, message: string): LeakwatchError {
  return new LeakwatchError(code, message);
}

/** LW_ERR_SNAPSHOT_SYNTAX: a byte that cannot appear there; `at` is its offset in the file. */
export function syntaxError(what: string, at: number): never {
  throw snapshotError('LW_ERR_SNAPSHOT_SYNTAX', `${what} at byte ${at}`);
}
