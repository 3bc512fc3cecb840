import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

/** Buckets per process: enough for the trend's windows, few enough to read every boot at once. */
const POINTS_PER_BOOT = 2000;

/** One process's series in the shape the trend detector reads (src/trend's TrendInput), by boot. */
export interface BootSeries {
  boot: string;
  input: {
    samples: { ts: number; heapUsed: number; heapTotal: number; external: number; rss: number }[];
    majorGcs: { ts: number; heapUsedAfter: number }[];
  };
}

/**
 * A run's series split by probe boot (one per process): per bucket the lowest heap used and
 * external memory, average heap total and RSS, and the lowest heap used after a major GC; the
 * same reductions the run's own verdict uses (collector/run-verdict.ts), one series per boot.
 */
export async function queryBootSeries(ctx: StoreContext, runId: string): Promise<BootSeries[]> {
  const params = { run: runId };
  const [bounds] = await selectRows(
    ctx,
    'cannot read the time range of the run',
    `SELECT count() AS n, toUnixTimestamp64Milli(min(ts)) AS first, toUnixTimestamp64Milli(max(ts)) AS last FROM ${ctx.tables.samples} WHERE run_id = {run:String}`,
    params,
  );
  if (!bounds || toNumber(bounds.n, 'count') === 0) return [];
  const span = toNumber(bounds.last, 'last sample') - toNumber(bounds.first, 'first sample');
  const step = Math.max(1, Math.ceil((span + 1) / POINTS_PER_BOOT));
  const samples = await selectRows(
    ctx,
    'cannot read the series of the run per process',
    `SELECT boot, intDiv(toUnixTimestamp64Milli(ts), {step:UInt64}) * {step:UInt64} AS t,
       min(heap_used) AS heap_used, avg(heap_total) AS heap_total, min(external) AS external, avg(rss) AS rss
     FROM ${ctx.tables.samples} FINAL WHERE run_id = {run:String}
     GROUP BY boot, t ORDER BY boot, t`,
    { ...params, step },
  );
  const gcs = await selectRows(
    ctx,
    'cannot read the heap floor of the run per process',
    `SELECT boot, intDiv(toUnixTimestamp64Milli(ts), {step:UInt64}) * {step:UInt64} AS t, min(heap_used_after) AS floor
     FROM ${ctx.tables.gcs} FINAL WHERE run_id = {run:String} AND kind = 'major' AND heap_used_after IS NOT NULL
     GROUP BY boot, t ORDER BY boot, t`,
    { ...params, step },
  );
  const byBoot = new Map<string, BootSeries['input']>();
  const of = (boot: string) => {
    let entry = byBoot.get(boot);
    if (!entry) byBoot.set(boot, (entry = { samples: [], majorGcs: [] }));
    return entry;
  };
  for (const row of samples) {
    of(String(row.boot)).samples.push({
      ts: toNumber(row.t, 'bucket'),
      heapUsed: toNumber(row.heap_used, 'heap_used'),
      heapTotal: toNumber(row.heap_total, 'heap_total'),
      external: toNumber(row.external, 'external'),
      rss: toNumber(row.rss, 'rss'),
    });
  }
  for (const row of gcs) of(String(row.boot)).majorGcs.push({ ts: toNumber(row.t, 'bucket'), heapUsedAfter: toNumber(row.floor, 'floor') });
  return [...byBoot].map(([boot, input]) => ({ boot, input }));
}
