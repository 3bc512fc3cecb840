import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

/**
 * Time of the newest sample one probe boot sent, or null when it sent none. Per boot, not per
 * run: a process that restarts under the same run id is a new boot, and the old boot's silence
 * is what says the old process is gone.
 */
export async function lastSampleOfBoot(ctx: StoreContext, runId: string, boot: string): Promise<number | null> {
  const rows = await selectRows(
    ctx,
    'cannot read the last sample of a probe',
    `SELECT toUnixTimestamp64Milli(max(ts)) AS last, count() AS n
    FROM ${ctx.tables.samples}
    WHERE run_id = {run:String} AND boot = {boot:String}`,
    { run: runId, boot },
  );
  const row = rows[0];
  return row && toNumber(row.n, 'sample count') > 0 ? toNumber(row.last, 'last sample') : null;
}
