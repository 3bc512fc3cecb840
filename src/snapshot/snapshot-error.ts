import { LeakwatchError, type ErrorCode } from '../shared/errors';

type SnapshotErrorCode = Extract<ErrorCode, `LW_ERR_SNAPSHOT_${string}`>;

/** A .heapsnapshot file the loader cannot accept: always a user error (one line, no stack). */
export function snapshotError(code: SnapshotErrorCode, message: string): LeakwatchError {
  return new LeakwatchError(code, message);
}
