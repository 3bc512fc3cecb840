import type http from 'node:http';
import { LeakwatchError } from '../shared/errors';
import type { MetricName, RangeQuery, Store } from '../store/store-interface';
import { bootTrends } from './boot-trends';
import { endRun } from './end-run';
import { sendJson } from './http-errors';
import type { LiveHub } from './live-hub';
import { parseDuration } from '../shared/duration';
import { parseRatePerHour } from '../shared/units';
import { MIN_DURATION_RULE, WARMUP_RULE } from '../shared/verdict-spans';
import type { TrendOptions } from '../trend/trend-model';
import { runVerdict, verdictWithSuspects } from './run-verdict';
import { judgeProcesses, processEntry } from './process-verdicts';
import { bootOf } from './boot-param';
import { handleSnapshotApi, type SnapshotService } from './snapshots';
import { allocSitesQueryOf, readAllocSites, verdictSites } from './alloc';
import { createUnmappedResolver, type LocationResolver } from './source-maps/location-resolver';
import { handleWatchesApi, type WatchService } from './watches';

/** The run-token side of the API (run-tokens.ts), given by the collector that holds the tokens. */
export interface RunTokenApi {
  /** A token for `runId`; `probeToken` is what the caller presents as the collector's probe token (LW_ERR_AUTH when it needs one). */
  issue(runId: string, probeToken: string | undefined): string;
  /** The run ended through the API: revoke its tokens, tell its probes. */
  ended(runId: string): void;
}

const DEFAULT_POINTS = 600;
const MAX_POINTS = 5000;
const MAX_BODY_BYTES = 64 * 1024;

function badRequest(message: string): LeakwatchError {
  return new LeakwatchError('LW_ERR_BAD_REQUEST', message);
}

function optionalTime(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) throw badRequest(`${name} must be epoch milliseconds, got "${raw.slice(0, 40)}"`);
  return value;
}

function rangeOf(params: URLSearchParams): RangeQuery {
  const rawPoints = params.get('points');
  const points = rawPoints === null || rawPoints === '' ? DEFAULT_POINTS : Number(rawPoints);
  if (!Number.isSafeInteger(points) || points < 1) throw badRequest(`points must be a positive whole number, got "${rawPoints}"`);
  const range: RangeQuery = { points: Math.min(points, MAX_POINTS) };
  const from = optionalTime(params, 'from');
  const to = optionalTime(params, 'to');
  if (from !== undefined) range.from = from;
  if (to !== undefined) range.to = to;
  if (from !== undefined && to !== undefined && from > to) throw badRequest('from must not be after to');
  const boot = bootOf(params);
  if (boot !== undefined) range.boot = boot;
  return range;
}


async function readJsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw badRequest('request body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw badRequest('request body must be a JSON object');
}

/**
 * Routes /api/*. Returns false when the path is not an API path. Throws LeakwatchError for
 * user mistakes; the caller turns it into a JSON error.
 */
export async function handleApi(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  store: Store,
  live: LiveHub,
  snapshots: SnapshotService,
  resolver: LocationResolver = createUnmappedResolver(),
  watches?: WatchService,
  runTokens?: RunTokenApi,
): Promise<boolean> {
  if (!url.pathname.startsWith('/api/')) return false;
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['api', 'runs', id, sub]
  const method = req.method ?? 'GET';

  if (parts.length === 2 && parts[1] === 'health' && method === 'GET') {
    sendJson<'GET /api/health'>(res, 200, { ok: true, service: 'leakwatch-collector', store: store.description });
    return true;
  }
  // Only the snapshot routes go deeper than /api/runs/:id/:sub (…/snapshots/:sid/download).
  if (parts[1] !== 'runs' || parts.length > (parts[3] === 'snapshots' ? 6 : 4)) throw new LeakwatchError('LW_ERR_NOT_FOUND', `no API route ${method} ${url.pathname}`);

  if (parts.length === 2 && method === 'GET') {
    sendJson<'GET /api/runs'>(res, 200, { runs: await store.listRuns() });
    return true;
  }
  const runId = parts[2];
  if (parts.length === 4 && parts[3] === 'run-token' && method === 'POST' && runTokens) {
    // Before the run exists: `leakwatch run --collector` asks before its command starts.
    const body = await readJsonBody(req);
    if (body.probeToken !== undefined && typeof body.probeToken !== 'string') throw badRequest('probeToken must be a string');
    sendJson<'POST /api/runs/:id/run-token'>(res, 200, { token: runTokens.issue(runId, body.probeToken as string | undefined) });
    return true;
  }
  const run = await store.getRun(runId);
  if (!run) throw new LeakwatchError('LW_ERR_NOT_FOUND', `no run "${runId.slice(0, 80)}"`);
  const sub = parts[3];
  if (await handleSnapshotApi(req, res, url, parts, runId, { store, snapshots })) return true;
  if (watches && (await handleWatchesApi(res, parts, method, runId, watches))) return true;

  if (parts.length > 4) {
    throw new LeakwatchError('LW_ERR_NOT_FOUND', `no API route ${method} ${url.pathname}`);
  } else if (sub === undefined && method === 'GET') {
    sendJson<'GET /api/runs/:id'>(res, 200, { run });
  } else if (sub === 'series' && method === 'GET') {
    const metrics = (url.searchParams.get('metrics') ?? 'heapUsed').split(',').map((m) => m.trim()).filter(Boolean);
    if (metrics.length === 0) throw badRequest('metrics must name at least one metric');
    sendJson<'GET /api/runs/:id/series'>(res, 200, await store.querySeries(runId, metrics as MetricName[], rangeOf(url.searchParams)));
  } else if (sub === 'spaces' && method === 'GET') {
    sendJson<'GET /api/runs/:id/spaces'>(res, 200, await store.querySpaces(runId, rangeOf(url.searchParams)));
  } else if (sub === 'gc' && method === 'GET') {
    sendJson<'GET /api/runs/:id/gc'>(res, 200, await store.queryGc(runId, rangeOf(url.searchParams)));
  } else if (sub === 'gaps' && method === 'GET') {
    sendJson<'GET /api/runs/:id/gaps'>(res, 200, { gaps: await store.queryGaps(runId) });
  } else if (sub === 'lineage' && method === 'GET') {
    sendJson<'GET /api/runs/:id/lineage'>(res, 200, { boots: await store.queryLineage(runId) });
  } else if (sub === 'boot-trends' && method === 'GET') {
    sendJson<'GET /api/runs/:id/boot-trends'>(res, 200, { boots: await bootTrends(store, runId, trendOptionsOf(url.searchParams)) });
  } else if (sub === 'verdict' && method === 'GET') {
    const trend = trendOptionsOf(url.searchParams);
    const result = await runVerdict(store, runId, trend, bootOf(url.searchParams));
    if (result.verdict !== 'leak') {
      sendJson<'GET /api/runs/:id/verdict'>(res, 200, verdictWithSuspects(result, []));
    } else {
      const suspects = await snapshots.suspects(runId);
      const sites = await verdictSites({ store, resolver, suspects }, runId, trend, result.culpritBoots);
      sendJson<'GET /api/runs/:id/verdict'>(res, 200, verdictWithSuspects(result, suspects, sites, watches ? await watches.list(runId) : []));
    }
  } else if (sub === 'processes' && method === 'GET') {
    const { judged, worst } = await judgeProcesses(store, runId, trendOptionsOf(url.searchParams));
    sendJson<'GET /api/runs/:id/processes'>(res, 200, { processes: judged.map(processEntry), worst: worst?.process.boot ?? null });
  } else if (sub === 'alloc-sites' && method === 'GET') {
    const query = allocSitesQueryOf(url.searchParams, trendOptionsOf(url.searchParams));
    sendJson<'GET /api/runs/:id/alloc-sites'>(res, 200, await readAllocSites({ store, resolver, suspects: await snapshots.suspects(runId) }, runId, query));
  } else if (sub === 'end' && method === 'POST') {
    const body = await readJsonBody(req);
    const exitCode = body.exitCode;
    if (exitCode !== undefined && exitCode !== null && !Number.isSafeInteger(exitCode)) throw badRequest('exitCode must be a whole number or null');
    const ended = await endRun({ store, snapshots, live }, runId, Date.now(), (exitCode as number | null | undefined) ?? null);
    runTokens?.ended(runId);
    sendJson<'POST /api/runs/:id/end'>(res, 200, { run: ended });
  } else {
    throw new LeakwatchError('LW_ERR_NOT_FOUND', `no API route ${method} ${url.pathname}`);
  }
  return true;
}

/**
 * `?maxSlope=1MB/h&minDuration=10m&warmup=60s` of the verdict route, durations by the CLI's rule
 * (a bare number is seconds); bad values are a 400 (LW_ERR_BAD_REQUEST).
 */
function trendOptionsOf(params: URLSearchParams): Partial<TrendOptions> {
  const options: Partial<TrendOptions> = {};
  try {
    const maxSlope = params.get('maxSlope');
    const minDuration = params.get('minDuration');
    const warmup = params.get('warmup');
    if (maxSlope !== null) options.maxSlopeBytesPerHour = parseRatePerHour(maxSlope, 'maxSlope');
    if (minDuration !== null) options.minDurationMs = parseDuration(minDuration, 'minDuration', MIN_DURATION_RULE);
    if (warmup !== null) options.warmupMs = parseDuration(warmup, 'warmup', WARMUP_RULE);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  return options;
}
