import type { SnapshotRecord, SnapshotStatus, SnapshotTrigger } from '../shared/snapshot-data';
import { insertValues, selectRows, type RawRow, type StoreContext } from './store-context';
import { toNumber } from './to-number';

/** A snapshot as stored: the API's record without the in-memory progress. */
export type StoredSnapshot = Omit<SnapshotRecord, 'progress'>;

const SNAPSHOT_COLUMNS = `run_id, snapshot_id, boot, trigger, status, toUnixTimestamp64Milli(taken_at) AS taken_ms,
  reason, error_code, heap_used, estimated_bytes, file_size, sha256, stored_size, node_count, edge_count,
  total_size, reachable_size, capture_ms, upload_ms, analysis_ms, toUnixTimestamp64Milli(updated_at) AS updated_ms`;

function fromRow(row: RawRow): StoredSnapshot {
  const n = (key: string) => toNumber(row[key], `snapshots.${key}`);
  return {
    run: String(row.run_id),
    id: String(row.snapshot_id),
    boot: String(row.boot),
    trigger: String(row.trigger) as SnapshotTrigger,
    status: String(row.status) as SnapshotStatus,
    takenAt: n('taken_ms'),
    reason: String(row.reason),
    errorCode: String(row.error_code),
    heapUsed: n('heap_used'),
    estimatedBytes: n('estimated_bytes'),
    fileSize: n('file_size'),
    sha256: String(row.sha256),
    storedSize: n('stored_size'),
    nodeCount: n('node_count'),
    edgeCount: n('edge_count'),
    totalSize: n('total_size'),
    reachableSize: n('reachable_size'),
    captureMs: n('capture_ms'),
    uploadMs: n('upload_ms'),
    analysisMs: n('analysis_ms'),
    updatedAt: n('updated_ms'),
  };
}

/** Byte counts go into UInt64 columns: whole, non-negative numbers only. */
function count(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

function duration(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

function toRow(record: StoredSnapshot): RawRow {
  return {
    run_id: record.run,
    snapshot_id: record.id,
    boot: record.boot,
    trigger: record.trigger,
    status: record.status,
    taken_at: Math.round(record.takenAt),
    reason: record.reason,
    error_code: record.errorCode,
    heap_used: count(record.heapUsed),
    estimated_bytes: count(record.estimatedBytes),
    file_size: count(record.fileSize),
    sha256: record.sha256,
    stored_size: count(record.storedSize),
    node_count: count(record.nodeCount),
    edge_count: count(record.edgeCount),
    total_size: count(record.totalSize),
    reachable_size: count(record.reachableSize),
    capture_ms: duration(record.captureMs),
    upload_ms: duration(record.uploadMs),
    analysis_ms: duration(record.analysisMs),
    updated_at: Math.round(record.updatedAt),
  };
}

/** A run's snapshots (or one of them) as their latest versions, oldest first. */
export async function readSnapshotRecords(ctx: StoreContext, runId: string, snapshotId?: string): Promise<StoredSnapshot[]> {
  const one = snapshotId === undefined ? '' : 'AND snapshot_id = {sid:String}';
  const rows = await selectRows(
    ctx,
    'cannot read snapshots',
    `SELECT ${SNAPSHOT_COLUMNS} FROM ${ctx.tables.snapshots} FINAL
     WHERE run_id = {run:String} ${one}
     ORDER BY taken_ms, snapshot_id`,
    snapshotId === undefined ? { run: runId } : { run: runId, sid: snapshotId },
  );
  return rows.map(fromRow);
}

/** Writes one version of a snapshot row; the caller makes `updatedAt` exceed the previous version's. */
export async function writeSnapshotRecord(ctx: StoreContext, record: StoredSnapshot): Promise<void> {
  await insertValues(ctx, `cannot store snapshot ${record.id}`, ctx.tables.snapshots, [toRow(record)]);
}
