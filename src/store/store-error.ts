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
