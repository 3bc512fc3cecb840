import { BUCKET_SQL, RANGE_SQL, bucketStart, rangeParams, resolveRange } from './query-range';
import { selectRows, type StoreContext } from './store-context';
import { toNullableNumber, toNumber } from './to-number';
import type { GcResult, RangeQuery } from './store-interface';

/**
 * Counts and pause totals are weighted sums (each stored event stands for `weight` GCs when the
 * probe listened to only part of an interval); the longest pause and the floor are exact for the
 * events seen.
 * GC count, total and longest pause per bucket, and the heap floor: the lowest heap used after a
 * major GC, the leak signal that ignores garbage merely waiting to be collected. minIf over the
 * Nullable column skips minor GCs (no reading) and yields NULL for a bucket without a major GC.
 * The measured floor is the same over the full GCs the probe asked for itself (floor-meter.ts).
 */
export async function queryGc(ctx: StoreContext, runId: string, range: RangeQuery): Promise<GcResult> {
  const buckets = await resolveRange(ctx, runId, range);
  const result: GcResult = {
    from: buckets.from,
    to: buckets.to,
    stepMs: buckets.stepMs,
    t: [],
    count: [],
    totalMs: [],
    maxMs: [],
    majorCount: [],
    floor: [],
    measuredFloor: [],
    totals: { count: 0, totalMs: 0, maxMs: 0 },
  };
  if (buckets.empty) return result;

  const rows = await selectRows(
    ctx,
    'cannot query GC events',
    `SELECT ${BUCKET_SQL} AS bucket,
      round(sum(weight)) AS n,
      sum(duration_ms * weight) AS total_ms,
      max(duration_ms) AS max_ms,
      round(sumIf(weight, kind = 'major')) AS major_n,
      minIf(heap_used_after, kind = 'major') AS floor,
      minIf(heap_used_after, kind = 'major' AND measured = 1) AS measured_floor
    FROM ${ctx.tables.gcs} FINAL
    WHERE ${RANGE_SQL}
    GROUP BY bucket ORDER BY bucket`,
    rangeParams(runId, buckets),
  );
  for (const row of rows) {
    const count = toNumber(row.n, 'gc count');
    const totalMs = toNumber(row.total_ms, 'gc total');
    const maxMs = toNumber(row.max_ms, 'gc max');
    result.t.push(bucketStart(buckets, row.bucket));
    result.count.push(count);
    result.totalMs.push(totalMs);
    result.maxMs.push(maxMs);
    result.majorCount.push(toNumber(row.major_n, 'major gc count'));
    result.floor.push(toNullableNumber(row.floor, 'heap floor'));
    result.measuredFloor.push(toNullableNumber(row.measured_floor, 'measured heap floor'));
    result.totals.count += count;
    result.totals.totalMs += totalMs;
    result.totals.maxMs = Math.max(result.totals.maxMs, maxMs);
  }
  return result;
}
