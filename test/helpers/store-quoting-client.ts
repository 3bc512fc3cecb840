import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/**
 * A client on the embedded engine that quotes 64-bit integers in JSON output the way a ClickHouse
 * server does over HTTP by default, so the store's number normalisation is exercised without a
 * server. (The cast bridges two copies of the same Connection type declarations.)
 */
export function createQuotingClient(dataDir: string): ClickHouseClient {
  const connection = createChdbConnection({ path: dataDir });
  return createClient({
    connection: connection as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
}
