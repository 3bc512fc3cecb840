import * as fs from 'node:fs';
import * as path from 'node:path';
import { LeakwatchError } from '../shared/errors';
import { firstLine } from './store-error';

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/**
 * chDB reports a data directory held by another process only as
 * "Failed to create connection for path …" (code CHDB_CONNECTION); the underlying ClickHouse
 * "Cannot lock file …/status (code 76)" goes to stderr, not into the error. The engine writes
 * `status` while it holds the directory and removes it on a clean close, and a file left behind by
 * a crash holds no lock (the next open succeeds), so a failed open next to an existing `status`
 * file means another process is running an engine on that directory.
 */
export function embeddedConnectionError(err: unknown, dataDir: string): LeakwatchError {
  const message = firstLine(err);
  if (errorCode(err) === 'CHDB_CONNECTION' && message.startsWith('Failed to create connection for path') && fs.existsSync(path.join(dataDir, 'status'))) {
    return new LeakwatchError('LW_ERR_STORE_LOCKED', `data directory ${dataDir} is in use by another leakwatch process (a running collector)`, { cause: err });
  }
  return new LeakwatchError('LW_ERR_STORE', `cannot open the embedded ClickHouse in ${dataDir}: ${message}`, { cause: err });
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

/** One line naming the server (without credentials) and what went wrong. */
export function serverConnectionError(err: unknown, where: string): LeakwatchError {
  const code = errorCode(err);
  const reason = typeof code === 'string' && NETWORK_CODES.has(code) ? `cannot reach ClickHouse at ${where}` : `ClickHouse at ${where} refused the connection`;
  return new LeakwatchError('LW_ERR_STORE', `${reason}: ${firstLine(err)}`, { cause: err });
}
