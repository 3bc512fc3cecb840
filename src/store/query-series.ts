import { METRIC_COLUMNS, resolveMetrics } from './metric-columns';
import { BUCKET_SQL, RANGE_SQL, bucketStart, rangeParams, resolveRange } from './query-range';
import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';
import type { MetricName, RangeQuery, SeriesResult } from './store-interface';

type Aggregates = { min: number[]; max: number[]; avg: number[] };

/**
 * Min / max / avg per bucket for the requested metrics, aggregated in ClickHouse so at most
 * `points` rows cross the wire however long the run is. Column names and aliases come from
 * METRIC_COLUMNS only; FINAL keeps a resent batch from counting twice in an average.
 */
export async function querySeries(ctx: StoreContext, runId: string, metrics: readonly MetricName[], range: RangeQuery): Promise<SeriesResult> {
  const names = resolveMetrics(metrics);
  const buckets = await resolveRange(ctx, runId, range);
  const series: SeriesResult['series'] = {};
  const columns: Array<[MetricName, string, Aggregates]> = names.map((name) => {
    const aggregates: Aggregates = { min: [], max: [], avg: [] };
    series[name] = aggregates;
    return [name, METRIC_COLUMNS[name].column, aggregates];
  });
  const result: SeriesResult = { from: buckets.from, to: buckets.to, stepMs: buckets.stepMs, t: [], series };
  if (buckets.empty) return result;

  const select = columns.map(([, c]) => `min(${c}) AS ${c}__min, max(${c}) AS ${c}__max, avg(${c}) AS ${c}__avg`).join(',\n    ');
  const rows = await selectRows(
    ctx,
    'cannot query the series',
    `SELECT ${BUCKET_SQL} AS bucket,
    ${select}
    FROM ${ctx.tables.samples} FINAL
    WHERE ${RANGE_SQL}
    GROUP BY bucket ORDER BY bucket`,
    rangeParams(runId, buckets),
  );
  for (const row of rows) {
    result.t.push(bucketStart(buckets, row.bucket));
    for (const [name, c, aggregates] of columns) {
      aggregates.min.push(toNumber(row[`${c}__min`], `${name} min`));
      aggregates.max.push(toNumber(row[`${c}__max`], `${name} max`));
      aggregates.avg.push(toNumber(row[`${c}__avg`], `${name} avg`));
    }
  }
  return result;
}
