import type { ApiRoutes } from '../../src/api/http-contract';

/** The collector's JSON API as the soak reads it: typed by the same contract the UI uses. */
export async function callApi<R extends keyof ApiRoutes>(baseUrl: string, route: R, pathname: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: ApiRoutes[R] }> {
  const res = await fetch(`${baseUrl}${pathname}`, { method, signal: AbortSignal.timeout(60_000) });
  return { status: res.status, body: (await res.json()) as ApiRoutes[R] };
}
