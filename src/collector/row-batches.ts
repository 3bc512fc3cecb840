import type { RowBatch } from '../store/store-interface';

type RowLists = Record<string, unknown[] | undefined>;

/** Rows in a batch, over every table. */
export function rowCount(rows: RowBatch): number {
  let count = 0;
  for (const list of Object.values(rows as unknown as RowLists)) if (Array.isArray(list)) count += list.length;
  return count;
}

/**
 * Several batches as one insert's rows: ClickHouse prefers few large inserts. Every table of
 * RowBatch is merged by name, so a table added to it later travels through the writer, the
 * spool and the replay without a change here.
 */
export function mergeRows(batches: readonly RowBatch[]): Required<RowBatch> {
  const merged: RowLists = { samples: [], spaces: [], gcs: [], allocSites: [], gaps: [], lineage: [] };
  for (const rows of batches) {
    for (const [table, list] of Object.entries(rows as unknown as RowLists)) {
      if (!Array.isArray(list)) continue;
      const into = (merged[table] ??= []);
      for (const row of list) into.push(row);
    }
  }
  return merged as unknown as Required<RowBatch>;
}
