import type { ApiBody, ApiRoute } from '../api/http-contract';
import { ERROR_CODES, LeakwatchError, type ErrorCode } from '../shared/errors';
import { clientReadToken } from './access-flags';

/**
 * GET/POST JSON against a collector's API, mapping failures to one-line LW_ERR_* errors. The
 * route names the body it answers with in the API contract (`callCollector<'GET /api/runs'>`).
 * The read token (LEAKWATCH_READ_TOKEN or LEAKWATCH_READ_TOKEN_FILE) goes as a bearer when set.
 */
export async function callCollector<R extends ApiRoute>(baseUrl: string, pathAndQuery: string, init?: { method: string; body?: unknown }): Promise<ApiBody<R>> {
  const url = new URL(pathAndQuery, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const headers: Record<string, string> = {};
  if (init?.body !== undefined) headers['content-type'] = 'application/json';
  const readToken = clientReadToken();
  if (readToken) headers.authorization = `Bearer ${readToken}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: init?.method ?? 'GET',
      headers,
      body: init?.body === undefined ? undefined : JSON.stringify(init.body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    // fetch reports "fetch failed"; the useful detail (ECONNREFUSED, timeout…) is in its cause.
    const { message, cause } = err as Error & { cause?: { message?: string } };
    throw new LeakwatchError('LW_ERR_COLLECTOR_UNREACHABLE', `cannot reach the collector at ${baseUrl} (${cause?.message ?? message})`);
  }
  const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
  if (!res.ok) {
    const code = body?.error?.code;
    const message = body?.error?.message ?? `HTTP ${res.status}`;
    // The collector's own code is kept when this CLI knows it, so callers can act on it
    // (e.g. LW_ERR_SNAPSHOT_NO_PROBE); anything else stays a collector problem.
    if (code !== undefined && code !== 'LW_ERR_INTERNAL' && (ERROR_CODES as readonly string[]).includes(code)) {
      throw new LeakwatchError(code as ErrorCode, `collector at ${baseUrl}: ${message}`);
    }
    throw new LeakwatchError('LW_ERR_COLLECTOR_UNREACHABLE', `collector at ${baseUrl}: ${code ? `${code}: ` : ''}${message}`);
  }
  return body as ApiBody<R>;
}
