import type { RunSummary } from '../shared/run-data';
import { readRunRecords, type RunRecord } from './run-record';
import { runStatus } from './run-status';
import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

interface SampleStats {
  sampleCount: number;
  firstSampleAt: number;
  lastSampleAt: number;
  latestHeapUsed: number;
}

/**
 * Sample statistics of one run or of all runs in one grouped query, so listing runs costs two
 * queries in total rather than one per run. FINAL makes the count ignore resent rows.
 */
async function sampleStats(ctx: StoreContext, runId?: string): Promise<Map<string, SampleStats>> {
  const where = runId === undefined ? '' : 'WHERE run_id = {run:String}';
  const rows = await selectRows(
    ctx,
    'cannot read sample statistics',
    `SELECT run_id,
      count() AS n,
      toUnixTimestamp64Milli(min(ts)) AS first,
      toUnixTimestamp64Milli(max(ts)) AS last,
      argMax(heap_used, ts) AS latest_heap_used
    FROM ${ctx.tables.samples} FINAL ${where}
    GROUP BY run_id`,
    runId === undefined ? {} : { run: runId },
  );
  const stats = new Map<string, SampleStats>();
  for (const row of rows) {
    stats.set(String(row.run_id), {
      sampleCount: toNumber(row.n, 'sample count'),
      firstSampleAt: toNumber(row.first, 'first sample'),
      lastSampleAt: toNumber(row.last, 'last sample'),
      latestHeapUsed: toNumber(row.latest_heap_used, 'latest heapUsed'),
    });
  }
  return stats;
}

function summarize(run: RunRecord, stats: SampleStats | undefined, now: number): RunSummary {
  const lastSampleAt = stats?.lastSampleAt ?? null;
  return {
    id: run.id,
    name: run.name,
    labels: run.labels,
    host: run.host,
    pid: run.pid,
    nodeVersion: run.nodeVersion,
    argv: run.argv,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    exitCode: run.exitCode,
    intervalMs: run.intervalMs,
    sampleCount: stats?.sampleCount ?? 0,
    firstSampleAt: stats?.firstSampleAt ?? null,
    lastSampleAt,
    latestHeapUsed: stats?.latestHeapUsed ?? null,
    status: runStatus({ startedAt: run.startedAt, endedAt: run.endedAt, intervalMs: run.intervalMs, lastSampleAt }, now),
  };
}

/** Every known run, newest start first. */
export async function listRunSummaries(ctx: StoreContext, now: number): Promise<RunSummary[]> {
  const [runs, stats] = await Promise.all([readRunRecords(ctx), sampleStats(ctx)]);
  return runs.map((run) => summarize(run, stats.get(run.id), now));
}

export async function getRunSummary(ctx: StoreContext, runId: string, now: number): Promise<RunSummary | null> {
  const [runs, stats] = await Promise.all([readRunRecords(ctx, runId), sampleStats(ctx, runId)]);
  const run = runs[0];
  return run === undefined ? null : summarize(run, stats.get(run.id), now);
}
