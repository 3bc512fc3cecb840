import { LeakwatchError } from '../shared/errors';
import { selectRows, type QueryParams, type StoreContext } from './store-context';
import { toNumber } from './to-number';
import type { RangeQuery } from './store-interface';

export const MAX_POINTS = 5000;

/** Every process ('' = no filter) or one boot's rows: a parameter, so one statement text serves both. */
const BOOT_SQL = "({boot:String} = '' OR boot = {boot:String})";

/** A time range cut into equal buckets: bucket b starts at from + b * stepMs. */
export interface Buckets {
  from: number;
  to: number;
  stepMs: number;
}

/** Rejects anything that is not a finite number of epoch milliseconds. */
export function checkEpochMs(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new LeakwatchError('LW_ERR_BAD_REQUEST', `${name} must be a time in epoch milliseconds`);
  return value;
}

function bound(value: number | undefined, name: string): number | undefined {
  return value === undefined ? undefined : Math.floor(checkEpochMs(value, name));
}

export function clampPoints(points: number): number {
  if (typeof points !== 'number' || Number.isNaN(points)) throw new LeakwatchError('LW_ERR_BAD_REQUEST', 'points must be a number');
  return Math.min(MAX_POINTS, Math.max(1, Math.floor(points)));
}

/** The step that fits the inclusive range [from, to] into at most `points` buckets. */
export function bucketsFor(from: number, to: number, points: number): Buckets {
  const stepMs = Math.max(1, Math.ceil((to - from + 1) / clampPoints(points)));
  return { from, to, stepMs };
}

/** First and last sample of a run, or null without samples: the default range of every chart. */
async function sampleBounds(ctx: StoreContext, runId: string, boot: string): Promise<{ first: number; last: number } | null> {
  // No FINAL needed: duplicates do not move a minimum or a maximum.
  const rows = await selectRows(
    ctx,
    'cannot read the time range of the run',
    `SELECT count() AS n, toUnixTimestamp64Milli(min(ts)) AS first, toUnixTimestamp64Milli(max(ts)) AS last
     FROM ${ctx.tables.samples} WHERE run_id = {run:String} AND ${BOOT_SQL}`,
    { run: runId, boot },
  );
  const row = rows[0];
  if (row === undefined || toNumber(row.n, 'count') === 0) return null;
  return { first: toNumber(row.first, 'first sample'), last: toNumber(row.last, 'last sample') };
}

/**
 * Resolves a RangeQuery: validates it, fills missing bounds from the run's samples and computes
 * the bucket step. `empty` is true when the run has no samples and no explicit range was given.
 */
export async function resolveRange(ctx: StoreContext, runId: string, range: RangeQuery): Promise<Buckets & { empty: boolean; boot: string }> {
  const points = clampPoints(range.points);
  let from = bound(range.from, 'from');
  let to = bound(range.to, 'to');
  let empty = false;
  if (from === undefined || to === undefined) {
    const run = await sampleBounds(ctx, runId, bootOf(range));
    if (run === null) empty = true;
    from ??= run?.first ?? to ?? 0;
    to ??= run?.last ?? from;
  }
  if (from > to) throw new LeakwatchError('LW_ERR_BAD_REQUEST', `from (${from}) is after to (${to})`);
  return { ...bucketsFor(from, to, points), empty, boot: bootOf(range) };
}

function bootOf(range: RangeQuery): string {
  if (range.boot !== undefined && (typeof range.boot !== 'string' || range.boot === '' || range.boot.length > 64)) {
    throw new LeakwatchError('LW_ERR_BAD_REQUEST', 'boot must be the id of one process of the run');
  }
  return range.boot ?? '';
}

/** SQL for the bucket of a row and the range filter, with their parameters. */
export const BUCKET_SQL = 'intDiv(toUnixTimestamp64Milli(ts) - {from:Int64}, {step:Int64})';
export const RANGE_SQL =
  `run_id = {run:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC') AND ${BOOT_SQL}`;

export function rangeParams(runId: string, buckets: Buckets & { boot?: string }): QueryParams {
  return { run: runId, from: buckets.from, to: buckets.to, step: buckets.stepMs, boot: buckets.boot ?? '' };
}

export function bucketStart(buckets: Buckets, bucket: unknown): number {
  return buckets.from + toNumber(bucket, 'bucket') * buckets.stepMs;
}
