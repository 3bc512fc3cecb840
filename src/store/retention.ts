import { LeakwatchError } from '../shared/errors';
import { runCommand, selectRows, type StoreContext } from './store-context';
import { TABLE } from './table-names';

/** A century: anything longer is certainly a typo. */
const MAX_RETENTION_DAYS = 36_500;

/** Tables whose rows expire, with the time column their TTL counts from; runs are kept (see migrations.ts). */
const TTL_COLUMNS = { samples: 'ts', spaces: 'ts', gcs: 'ts', snapshots: 'taken_at', snapshotTypes: 'taken_at', allocSites: 'at', gaps: 'from_ts', lineage: 'at' } as const;
const TTL_TABLES = Object.keys(TTL_COLUMNS) as (keyof typeof TTL_COLUMNS)[];

export function validateRetentionDays(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_RETENTION_DAYS) {
    throw new LeakwatchError('LW_ERR_CONFIG', `retention must be a whole number of days between 1 and ${MAX_RETENTION_DAYS} (got ${String(value).slice(0, 40)})`);
  }
  return value;
}

/** ClickHouse normalises `INTERVAL n DAY` to `toIntervalDay(n)` in the stored table definition. */
function currentTtlDays(engineFull: string): number | null {
  const match = /\bTTL\b.*?toIntervalDay\((\d+)\)/.exec(engineFull);
  return match ? Number(match[1]) : null;
}

/**
 * Makes each data table's TTL match `retentionDays`, altering only tables that differ, so an
 * unchanged retention costs one metadata query and no mutation.
 */
export async function ensureRetention(ctx: StoreContext, retentionDays: number): Promise<string[]> {
  // DDL cannot take query parameters, so the number is written into the statement. That is safe
  // only because it is re-validated here as a bounded safe integer: its text is digits, nothing else.
  const days = validateRetentionDays(retentionDays);
  const rows = await selectRows(
    ctx,
    'cannot read table definitions',
    'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)}',
    { db: ctx.tables.database, names: TTL_TABLES.map((key) => TABLE[key]) },
  );
  const byName = new Map(rows.map((row) => [String(row.name), String(row.engine_full)]));
  const altered: string[] = [];
  for (const key of TTL_TABLES) {
    const name = TABLE[key];
    const engine = byName.get(name);
    if (engine !== undefined && currentTtlDays(engine) === days) continue;
    await runCommand(ctx, `cannot set the retention of ${name}`, `ALTER TABLE ${ctx.tables[key]} MODIFY TTL toDateTime(${TTL_COLUMNS[key]}) + INTERVAL ${days} DAY`);
    altered.push(name);
  }
  return altered;
}
