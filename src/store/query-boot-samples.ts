import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

/** How much one process (boot) of a run has sampled: the busiest is the one a user looks at first. */
export interface BootSampleStats {
  sampleCount: number;
  latestHeapUsed: number;
}

/** Per boot of a run, in one grouped query; FINAL makes the count ignore resent rows. */
export async function queryBootSamples(ctx: StoreContext, runId: string): Promise<Map<string, BootSampleStats>> {
  const rows = await selectRows(
    ctx,
    'cannot read the sample counts of the processes',
    `SELECT boot, count() AS n, argMax(heap_used, ts) AS latest_heap_used
     FROM ${ctx.tables.samples} FINAL WHERE run_id = {run:String} GROUP BY boot`,
    { run: runId },
  );
  const out = new Map<string, BootSampleStats>();
  for (const row of rows) {
    out.set(String(row.boot), { sampleCount: toNumber(row.n, 'sample count'), latestHeapUsed: toNumber(row.latest_heap_used, 'latest heapUsed') });
  }
  return out;
}
