import type { RawRow } from './store-context';
import type { AllocSiteRow } from './store-interface';

/*
 * An allocation profile's rows, written exactly as the sort key (run, boot, site, at) expects:
 * a message stored twice (a probe resending what was not acknowledged, a retried insert) writes
 * the same keys and values again, which ReplacingMergeTree collapses. Every count is rounded to
 * a whole number because the columns are integers; times go into DateTime64(3) as epoch ms.
 */
export function allocSiteInsertRow(row: AllocSiteRow): RawRow {
  const top = row.frames[0];
  return {
    run_id: row.run,
    boot: row.boot,
    seq: Math.round(row.seq),
    at: Math.round(row.at),
    started_at: Math.round(row.startedAt),
    site_id: row.siteId,
    fn: top?.fn ?? '',
    url: top?.url ?? '',
    line: Math.round(top?.line ?? 0),
    col: Math.round(top?.col ?? 0),
    stack_fn: row.frames.map((f) => f.fn),
    stack_url: row.frames.map((f) => f.url),
    stack_line: row.frames.map((f) => Math.round(f.line)),
    stack_col: row.frames.map((f) => Math.round(f.col)),
    live_bytes: Math.round(row.liveBytes),
    samples: Math.round(row.samples),
    site_count: Math.round(row.siteCount),
    interval_bytes: Math.round(row.intervalBytes),
    stack_depth: Math.round(row.stackDepth),
  };
}
