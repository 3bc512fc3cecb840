import type { SnapshotTypeRow } from '../shared/snapshot-data';
import { insertValues, selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

/** Identifies one analysed snapshot; `takenAt` places its rows in the snapshot's partition. */
export interface SnapshotKey {
  run: string;
  id: string;
  takenAt: number;
}

/**
 * Stores every type row of one analysis in one insert. `analysedAt` is the row version: a
 * repeated insert of the same analysis collapses, a later analysis of the same file wins.
 */
export async function insertSnapshotTypes(ctx: StoreContext, key: SnapshotKey, rows: readonly SnapshotTypeRow[], analysedAt: number): Promise<void> {
  const takenAt = Math.round(key.takenAt);
  await insertValues(
    ctx,
    `cannot store the types of snapshot ${key.id}`,
    ctx.tables.snapshotTypes,
    rows.map((row) => ({
      run_id: key.run,
      snapshot_id: key.id,
      taken_at: takenAt,
      type: row.type,
      count: Math.round(row.count),
      self_size: Math.round(row.selfSize),
      retained_size: Math.round(row.retainedSize),
      analysed_at: Math.round(analysedAt),
    })),
  );
}

/** All types of one snapshot, largest retained size first (ties by name, so the order is stable). */
export async function readSnapshotTypes(ctx: StoreContext, runId: string, snapshotId: string): Promise<SnapshotTypeRow[]> {
  const rows = await selectRows(
    ctx,
    `cannot read the types of snapshot ${snapshotId}`,
    `SELECT type, count, self_size, retained_size FROM ${ctx.tables.snapshotTypes} FINAL
     WHERE run_id = {run:String} AND snapshot_id = {sid:String}
     ORDER BY retained_size DESC, type`,
    { run: runId, sid: snapshotId },
  );
  return rows.map((row) => ({
    type: String(row.type),
    count: toNumber(row.count, 'snapshot_types.count'),
    selfSize: toNumber(row.self_size, 'snapshot_types.self_size'),
    retainedSize: toNumber(row.retained_size, 'snapshot_types.retained_size'),
  }));
}
