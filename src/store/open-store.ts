import { applyMigrations } from './apply-migrations';
import { createClickhouseStore } from './clickhouse-store';
import { validateRetentionDays, ensureRetention } from './retention';
import { createStoreClient, ensureDatabase, verifyConnection } from './store-client';
import type { StoreContext } from './store-context';
import { tableNames } from './table-names';
import type { Store, StoreOptions } from './store-interface';

/**
 * Opens the store: connects (embedded engine in a directory, or a server), checks the connection
 * with one query, creates the database, applies pending migrations and sets the retention TTL.
 * Fails with LW_ERR_STORE_LOCKED when another process holds the embedded data directory and with
 * LW_ERR_STORE (one line) for any other connection problem.
 */
export async function openStore(options: StoreOptions): Promise<Store> {
  const retentionDays = validateRetentionDays(options.retentionDays);
  const connection = createStoreClient(options.target);
  try {
    await verifyConnection(connection);
    await ensureDatabase(connection);
    const ctx: StoreContext = { client: connection.client, tables: tableNames(connection.database) };
    await applyMigrations(ctx);
    await ensureRetention(ctx, retentionDays);
    return createClickhouseStore(ctx, connection.description);
  } catch (err) {
    // Release the engine: in one process a data directory can only be reopened once closed.
    await connection.client.close().catch(() => undefined);
    throw err;
  }
}
