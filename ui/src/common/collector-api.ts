import type { AllocSitesBody, ApiBody, ApiGet, ProcessesBody, ApiErrorBody, ApiRoute, ErrorCode, GcResult, MetricName, RunGap, RunSummary, SeriesResult, SnapshotDetail, SnapshotDiff, SnapshotRecord, SnapshotSuspects, SpacesResult, VerdictBody } from '../../../src/api';
import { thresholdsToParams, type VerdictThresholds } from './verdict-query';

/** An API failure, with the collector's `LW_ERR_*` code (or the UI's own for network trouble). */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** A time range query; omitted bounds default to the run's first / last sample. */
export interface RangeParams {
  from?: number;
  to?: number;
  points: number;
  /** One process of the run (its boot); absent: every process's rows together. */
  boot?: string;
}

/** The code is taken as one of the table's: the page is served by the collector it talks to. */
function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
}

/** `R` names the contract's route (`'GET /api/runs'`): the answer is typed by its body. */
async function getJson<R extends ApiRoute>(path: string, signal?: AbortSignal): Promise<ApiBody<R>> {
  return (await requestJson<R>('GET', path, signal)).body;
}

/** One JSON request; the HTTP status comes back too, for routes where 200 and 202 differ. */
async function requestJson<R extends ApiRoute>(method: 'GET' | 'POST', path: string, signal?: AbortSignal): Promise<{ status: number; body: ApiBody<R> }> {
  let res: Response;
  try {
    res = await fetch(path, { method, headers: { accept: 'application/json' }, signal });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError('LW_ERR_NETWORK', `cannot reach the collector (${(err as Error).message})`, 0);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError('LW_ERR_BAD_RESPONSE', `${path} answered HTTP ${res.status} without JSON`, res.status);
  }
  if (!res.ok || isErrorBody(body)) {
    if (isErrorBody(body)) throw new ApiError(body.error.code, body.error.message ?? '', res.status);
    throw new ApiError('LW_ERR_BAD_RESPONSE', `${path} answered HTTP ${res.status}`, res.status);
  }
  return { status: res.status, body: body as ApiBody<R> };
}

function rangeQuery(range: RangeParams): URLSearchParams {
  const q = new URLSearchParams();
  if (range.from !== undefined) q.set('from', String(Math.floor(range.from)));
  if (range.to !== undefined) q.set('to', String(Math.ceil(range.to)));
  q.set('points', String(Math.max(1, Math.round(range.points))));
  if (range.boot !== undefined) q.set('boot', range.boot);
  return q;
}

function runPath(runId: string): string {
  return `/api/runs/${encodeURIComponent(runId)}`;
}

/** A typed GET of an API path (`api/runs/…`, no leading slash), for code shared with the CLI (src/api/run-comparison.ts). */
export const apiGet: ApiGet = (path) => getJson(`/${path}`);

export async function fetchRuns(signal?: AbortSignal): Promise<RunSummary[]> {
  return (await getJson<'GET /api/runs'>('/api/runs', signal)).runs;
}

export async function fetchRun(runId: string, signal?: AbortSignal): Promise<RunSummary> {
  return (await getJson<'GET /api/runs/:id'>(runPath(runId), signal)).run;
}

export function fetchSeries(runId: string, metrics: readonly MetricName[], range: RangeParams, signal?: AbortSignal): Promise<SeriesResult> {
  const q = rangeQuery(range);
  q.set('metrics', metrics.join(','));
  return getJson<'GET /api/runs/:id/series'>(`${runPath(runId)}/series?${q}`, signal);
}

export function fetchSpaces(runId: string, range: RangeParams, signal?: AbortSignal): Promise<SpacesResult> {
  return getJson<'GET /api/runs/:id/spaces'>(`${runPath(runId)}/spaces?${rangeQuery(range)}`, signal);
}

export function fetchGc(runId: string, range: RangeParams, signal?: AbortSignal): Promise<GcResult> {
  return getJson<'GET /api/runs/:id/gc'>(`${runPath(runId)}/gc?${rangeQuery(range)}`, signal);
}

/**
 * `GET /api/runs/:id/verdict`: the leak verdict on the run as stored now (unset thresholds: the
 * API's defaults), with the top growth suspects when it is `leak`.
 */
export function fetchVerdict(runId: string, thresholds: VerdictThresholds, signal?: AbortSignal, boot?: string): Promise<VerdictBody> {
  const params = thresholdsToParams(thresholds);
  if (boot !== undefined) params.set('boot', boot);
  const q = params.toString();
  return getJson<'GET /api/runs/:id/verdict'>(`${runPath(runId)}/verdict${q ? `?${q}` : ''}`, signal);
}

/** `GET /api/runs/:id/processes`: every process of the run with its own verdict, and the worst. */
export function fetchProcesses(runId: string, thresholds: VerdictThresholds, signal?: AbortSignal): Promise<ProcessesBody> {
  const q = thresholdsToParams(thresholds).toString();
  return getJson<'GET /api/runs/:id/processes'>(`${runPath(runId)}/processes${q ? `?${q}` : ''}`, signal);
}

/** `GET /api/runs/:id/gaps`: what the run's probes dropped while their buffer was full, oldest first. */
export async function fetchGaps(runId: string, signal?: AbortSignal): Promise<RunGap[]> {
  return (await getJson<'GET /api/runs/:id/gaps'>(`${runPath(runId)}/gaps`, signal)).gaps;
}

export async function fetchSnapshots(runId: string, signal?: AbortSignal): Promise<SnapshotRecord[]> {
  return (await getJson<'GET /api/runs/:id/snapshots'>(`${runPath(runId)}/snapshots`, signal)).snapshots;
}

/** `GET /api/runs/:id/suspects`: per process of the run, newest first, its latest ranked growth suspects. */
export async function fetchSuspects(runId: string, signal?: AbortSignal): Promise<SnapshotSuspects[]> {
  return (await getJson<'GET /api/runs/:id/suspects'>(`${runPath(runId)}/suspects`, signal)).boots;
}

/** `GET /api/runs/:id/alloc-sites`: per process, its allocation sites (growing first), source-mapped. */
export async function fetchAllocSites(runId: string, signal?: AbortSignal): Promise<AllocSitesBody['boots']> {
  return (await getJson<'GET /api/runs/:id/alloc-sites'>(`${runPath(runId)}/alloc-sites?limit=10`, signal)).boots;
}

export function fetchSnapshot(runId: string, snapshotId: string, signal?: AbortSignal): Promise<SnapshotDetail> {
  return getJson<'GET /api/runs/:id/snapshots/:sid'>(snapshotPath(runId, snapshotId), signal);
}

export function fetchSnapshotDiff(runId: string, a: string, b: string, signal?: AbortSignal): Promise<SnapshotDiff> {
  const q = new URLSearchParams({ a, b });
  return getJson<'GET /api/runs/:id/diff'>(`${runPath(runId)}/diff?${q}`, signal);
}

/**
 * Asks the run's probe for a snapshot now. `started` is false when the collector answered with
 * the snapshot that was already in flight (HTTP 200) instead of starting one (HTTP 202).
 */
export async function requestSnapshot(runId: string, boot?: string): Promise<{ snapshot: SnapshotRecord; started: boolean }> {
  const query = boot === undefined ? '' : `?boot=${encodeURIComponent(boot)}`;
  const { status, body } = await requestJson<'POST /api/runs/:id/snapshots'>('POST', `${runPath(runId)}/snapshots${query}`);
  return { snapshot: body.snapshot, started: status === 202 };
}

function snapshotPath(runId: string, snapshotId: string): string {
  return `${runPath(runId)}/snapshots/${encodeURIComponent(snapshotId)}`;
}

/** The raw `.heapsnapshot` file, for Chrome DevTools. */
export function snapshotDownloadHref(runId: string, snapshotId: string): string {
  return `${snapshotPath(runId, snapshotId)}/download`;
}
