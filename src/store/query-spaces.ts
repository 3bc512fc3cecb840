import { BUCKET_SQL, RANGE_SQL, bucketStart, rangeParams, resolveRange } from './query-range';
import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';
import type { RangeQuery, SpacesResult } from './store-interface';

/** Average used bytes per V8 heap space per bucket; a space missing from a bucket reads 0. */
export async function querySpaces(ctx: StoreContext, runId: string, range: RangeQuery): Promise<SpacesResult> {
  const buckets = await resolveRange(ctx, runId, range);
  const result: SpacesResult = { from: buckets.from, to: buckets.to, stepMs: buckets.stepMs, t: [], spaces: {} };
  if (buckets.empty) return result;

  const rows = await selectRows(
    ctx,
    'cannot query heap spaces',
    `SELECT ${BUCKET_SQL} AS bucket, space, avg(used) AS used
    FROM ${ctx.tables.spaces} FINAL
    WHERE ${RANGE_SQL}
    GROUP BY bucket, space ORDER BY bucket, space`,
    rangeParams(runId, buckets),
  );
  // Rows come ordered by bucket, so each new bucket opens a new column in every space's array.
  const index = new Map<number, number>();
  const cells: Array<[space: string, column: number, used: number]> = [];
  for (const row of rows) {
    const t = bucketStart(buckets, row.bucket);
    let column = index.get(t);
    if (column === undefined) {
      column = result.t.length;
      index.set(t, column);
      result.t.push(t);
    }
    cells.push([String(row.space), column, toNumber(row.used, 'used')]);
  }
  for (const [space, column, used] of cells) {
    const values = (result.spaces[space] ??= new Array<number>(result.t.length).fill(0));
    values[column] = used;
  }
  return result;
}
