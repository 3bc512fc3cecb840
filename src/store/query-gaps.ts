import type { RunGap } from '../shared/run-data';
import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

/** A run's recorded gaps, oldest first. FINAL collapses a gap whose batch was resent. */
export async function queryGaps(ctx: StoreContext, runId: string): Promise<RunGap[]> {
  const rows = await selectRows(
    ctx,
    `cannot read the gaps of run ${runId.slice(0, 80)}`,
    `SELECT boot, seq, toUnixTimestamp64Milli(from_ts) AS from_ts, toUnixTimestamp64Milli(to_ts) AS to_ts, dropped_messages, dropped_samples
     FROM ${ctx.tables.gaps} FINAL
     WHERE run_id = {run:String}
     ORDER BY from_ts, boot, seq`,
    { run: runId },
  );
  return rows.map((row) => ({
    boot: String(row.boot),
    seq: toNumber(row.seq, 'gaps.seq'),
    fromTs: toNumber(row.from_ts, 'gaps.from_ts'),
    toTs: toNumber(row.to_ts, 'gaps.to_ts'),
    droppedMessages: toNumber(row.dropped_messages, 'gaps.dropped_messages'),
    droppedSamples: toNumber(row.dropped_samples, 'gaps.dropped_samples'),
  }));
}
