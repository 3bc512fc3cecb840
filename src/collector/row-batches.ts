import type { RowBatch } from '../store/store-interface';

/** Rows in a batch, over every table. */
export function rowCount(rows: RowBatch): number {
  return rows.samples.length + rows.spaces.length + rows.gcs.length + (rows.allocSites?.length ?? 0);
}

/** Several batches as one insert's rows: ClickHouse prefers few large inserts. */
export function mergeRows(batches: readonly RowBatch[]): Required<RowBatch> {
  const merged: Required<RowBatch> = { samples: [], spaces: [], gcs: [], allocSites: [] };
  for (const rows of batches) {
    for (const r of rows.samples) merged.samples.push(r);
    for (const r of rows.spaces) merged.spaces.push(r);
    for (const r of rows.gcs) merged.gcs.push(r);
    for (const r of rows.allocSites ?? []) merged.allocSites.push(r);
  }
  return merged;
}
