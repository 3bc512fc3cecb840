import type http from 'node:http';
import { sendJson } from '../http-errors';
import type { WatchService } from './watch-service';

/** `GET /api/runs/:id/watches` (WatchesBody): the run's watches, newest first. False for any other route. */
export async function handleWatchesApi(res: http.ServerResponse, parts: readonly string[], method: string, runId: string, watches: WatchService): Promise<boolean> {
  if (parts.length !== 4 || parts[3] !== 'watches' || method !== 'GET') return false;
  sendJson<'GET /api/runs/:id/watches'>(res, 200, { watches: await watches.list(runId) });
  return true;
}
