import { allocSiteInsertRow } from './insert-alloc-profiles';
import { lineageInsertRow } from './insert-lineage';
import { METRIC_COLUMNS, METRIC_NAMES, storedMetricValue } from './metric-columns';
import { insertValues, type RawRow, type StoreContext } from './store-context';
import type { GapRow, GcRow, RowBatch, SampleRow, SpaceRow } from './store-interface';

/*
 * Rows are written exactly as the sort keys expect: a batch written twice produces identical
 * (run, ts, boot[, space | seq, idx]) keys, which ReplacingMergeTree collapses. Timestamps and
 * byte counts are rounded to whole numbers because the columns are integers (the protocol only
 * guarantees non-negative finite numbers); epoch milliseconds go into DateTime64(3) as integers.
 */

function origin(row: SampleRow): RawRow {
  return { run_id: row.run, boot: row.boot, seq: Math.round(row.seq), ts: Math.round(row.ts) };
}

export function sampleInsertRow(row: SampleRow): RawRow {
  const out = origin(row);
  for (const name of METRIC_NAMES) out[METRIC_COLUMNS[name].column] = storedMetricValue(row, name);
  return out;
}

/*
 * The heap space and GC rows name their origin columns one by one instead of spreading
 * origin(row): an object spread costs several microseconds per row in V8 (CloneObjectIC falls
 * back to the runtime for rows built by ingest), which made these two mappers the hottest code of
 * the collector under load (`npm run bench:ingest -- --mode max --cpu-prof <dir>`).
 */
export function spaceInsertRow(row: SpaceRow): RawRow {
  return {
    run_id: row.run,
    boot: row.boot,
    seq: Math.round(row.seq),
    ts: Math.round(row.ts),
    space: row.space,
    size: Math.round(row.size),
    used: Math.round(row.used),
    available: Math.round(row.available),
    physical: Math.round(row.physical),
  };
}

export function gcInsertRow(row: GcRow): RawRow {
  return {
    run_id: row.run,
    boot: row.boot,
    seq: Math.round(row.seq),
    ts: Math.round(row.ts),
    idx: Math.round(row.idx),
    kind: row.kind,
    duration_ms: row.durationMs,
    heap_used_after: row.heapUsedAfter === null ? null : Math.round(row.heapUsedAfter),
    weight: row.weight,
    measured: row.measured ? 1 : 0,
  };
}

export function gapInsertRow(row: GapRow): RawRow {
  return {
    run_id: row.run,
    boot: row.boot,
    seq: Math.round(row.seq),
    from_ts: Math.round(row.fromTs),
    to_ts: Math.round(row.toTs),
    dropped_messages: Math.round(row.droppedMessages),
    dropped_samples: Math.round(row.droppedSamples),
  };
}

/**
 * One insert per non-empty table, concurrently. If one of them fails the caller retries the whole
 * batch; the tables that already have it just collapse the repeat.
 */
export async function insertBatch(ctx: StoreContext, batch: RowBatch): Promise<void> {
  const { tables } = ctx;
  // allSettled, not all: when this rejects, no insert of the batch is still in flight.
  const results = await Promise.allSettled([
    insertValues(ctx, 'cannot store samples', tables.samples, batch.samples.map(sampleInsertRow)),
    insertValues(ctx, 'cannot store heap spaces', tables.spaces, batch.spaces.map(spaceInsertRow)),
    insertValues(ctx, 'cannot store GC events', tables.gcs, batch.gcs.map(gcInsertRow)),
    insertValues(ctx, 'cannot store allocation sites', tables.allocSites, (batch.allocSites ?? []).map(allocSiteInsertRow)),
    insertValues(ctx, 'cannot store gaps', tables.gaps, (batch.gaps ?? []).map(gapInsertRow)),
    insertValues(ctx, 'cannot store lineage', tables.lineage, (batch.lineage ?? []).map(lineageInsertRow)),
  ]);
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
