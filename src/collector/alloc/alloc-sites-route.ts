import { LeakwatchError } from '../../shared/errors';
import type { TrendOptions } from '../../trend/trend-model';
import { DEFAULT_SITE_LIMIT, MAX_SITE_LIMIT, type AllocSitesQuery } from './alloc-sites';

function badRequest(message: string): LeakwatchError {
  return new LeakwatchError('LW_ERR_BAD_REQUEST', message);
}

/** `?limit=20&growingOnly=1` of `GET /api/runs/:id/alloc-sites`; a bad value is a 400 (LW_ERR_BAD_REQUEST). */
export function allocSitesQueryOf(params: URLSearchParams, trend: Partial<TrendOptions>): AllocSitesQuery {
  const rawLimit = params.get('limit');
  const limit = rawLimit === null || rawLimit === '' ? DEFAULT_SITE_LIMIT : Number(rawLimit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw badRequest(`limit must be a positive whole number, got "${String(rawLimit).slice(0, 40)}"`);
  const rawGrowing = params.get('growingOnly');
  if (rawGrowing !== null && !['', '0', '1', 'true', 'false'].includes(rawGrowing)) throw badRequest(`growingOnly must be 1 or 0, got "${rawGrowing.slice(0, 40)}"`);
  return { limit: Math.min(limit, MAX_SITE_LIMIT), growingOnly: rawGrowing === '1' || rawGrowing === 'true' || rawGrowing === '', trend };
}
