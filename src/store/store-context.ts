import type { ClickHouseClient } from '@clickhouse/client';
import { toStoreError } from './store-error';
import type { TableNames } from './table-names';

/** What every store operation needs: the client and the qualified table names. */
export interface StoreContext {
  client: ClickHouseClient;
  tables: TableNames;
}

export type QueryParams = Record<string, unknown>;
export type RawRow = Record<string, unknown>;

/**
 * Every sort key starts with run_id and contains ts, and tables are partitioned by month of ts, so
 * duplicates of a row always live in the same partition: FINAL need not merge across partitions.
 */
const SELECT_SETTINGS = { do_not_merge_across_partitions_select_final: 1 } as const;

/** Runs a parameterised SELECT; values travel only in `params` as `{name:Type}` placeholders. */
export async function selectRows(ctx: StoreContext, what: string, query: string, params: QueryParams = {}): Promise<RawRow[]> {
  try {
    const result = await ctx.client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: SELECT_SETTINGS });
    return await result.json<RawRow>();
  } catch (err) {
    throw toStoreError(what, err);
  }
}

/** Runs a DDL or other statement that returns no rows. */
export async function runCommand(ctx: StoreContext, what: string, query: string): Promise<void> {
  try {
    await ctx.client.command({ query });
  } catch (err) {
    throw toStoreError(what, err);
  }
}

/** Inserts rows as JSONEachRow: the values never become SQL text. */
export async function insertValues(ctx: StoreContext, what: string, table: string, values: RawRow[]): Promise<void> {
  if (values.length === 0) return;
  try {
    await ctx.client.insert({ table, values, format: 'JSONEachRow' });
  } catch (err) {
    throw toStoreError(what, err);
  }
}
