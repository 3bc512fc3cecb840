import type http from 'node:http';
import type { ApiErrorBody, ApiRoute, ApiRoutes } from '../api';
import { formatErrorLine, isLeakwatchError, type ErrorCode } from '../shared/errors';

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  LW_ERR_NOT_FOUND: 404,
  LW_ERR_BAD_REQUEST: 400,
  LW_ERR_CONFIG: 400,
  LW_ERR_AUTH: 401,
  LW_ERR_ORIGIN: 403,
  LW_ERR_STORE: 503,
  LW_ERR_STORE_LOCKED: 503,
  LW_ERR_SNAPSHOT_NO_PROBE: 409,
  LW_ERR_SNAPSHOT_TIMEOUT: 504,
  LW_ERR_SPOOL_FULL: 507,
  LW_ERR_SNAPSHOT_RATE_LIMITED: 429,
};

function writeJson(res: http.ServerResponse, status: number, body: object, extra: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...extra, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Sends one route's success body, typed by the API contract: the caller names its route
 * (`sendJson<'GET /api/runs'>(res, 200, { runs })`) and a body that does not match fails the
 * build. The route defaults to `never` and is not inferred (`NoInfer`), so a call that names
 * no route accepts no body at all.
 */
export function sendJson<R extends ApiRoute = never>(res: http.ServerResponse, status: number, body: NoInfer<ApiRoutes[R]>): void {
  writeJson(res, status, body);
}

/** Every API error is `{ error: { code, message } }` with a stable LW_ERR_* code. */
export function sendError(res: http.ServerResponse, err: unknown): void {
  if (isLeakwatchError(err)) {
    // A refusal that says when to come back (a rate limit) says it in the standard header too.
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    const extra = typeof retryAfter === 'number' ? { 'retry-after': String(retryAfter) } : {};
    writeJson(res, STATUS_BY_CODE[err.code] ?? 500, { error: { code: err.code, message: err.message } } satisfies ApiErrorBody, extra);
    return;
  }
  writeJson(res, 500, { error: { code: 'LW_ERR_INTERNAL', message: formatErrorLine(err).replace(/^LW_ERR_INTERNAL: /, '') } } satisfies ApiErrorBody);
}
