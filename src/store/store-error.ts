import { LeakwatchError, isLeakwatchError } from '../shared/errors';

/** First line of an error's message: ClickHouse errors carry long multi-line stack dumps. */
export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]?.trim() || 'unknown error';
}

/**
 * Wraps a failure of the engine in `LW_ERR_STORE` so callers (the collector's ack logic, the CLI)
 * can match on one code; errors that already carry a leakwatch code pass through untouched.
 */
export function toStoreError(what: string, err: unknown): LeakwatchError {
  if (isLeakwatchError(err)) return err;
  return new LeakwatchError('LW_ERR_STORE', `${what}: ${firstLine(err)}`, { cause: err });
}

/*
 * ClickHouse error types that mean "these values cannot go into these columns": the rows are at
 * fault, not the server, and sending them again can never succeed.
 */
const DATA_ERROR_TYPE = /^(CANNOT_PARSE_|CANNOT_READ_|INCORRECT_DATA$|TYPE_MISMATCH$|VALUE_IS_OUT_OF_RANGE|ARGUMENT_OUT_OF_BOUND$|DECIMAL_OVERFLOW$|TOO_LARGE_STRING_SIZE$|CANNOT_CONVERT_TYPE$|UNEXPECTED_END_OF_FILE$|INCORRECT_NUMBER_OF_COLUMNS$)/;

/** True when a failed insert was refused for its values (a parse or range error of the engine). */
export function isRefusedData(err: unknown): boolean {
  for (let at: unknown = err, depth = 0; at && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    const type = (at as { type?: unknown }).type;
    if (typeof type === 'string' && DATA_ERROR_TYPE.test(type)) return true;
  }
  return false;
}
