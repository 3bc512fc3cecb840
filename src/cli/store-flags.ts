import path from 'node:path';
import type { Command } from 'commander';
import { parseInteger } from '../shared/units';
import type { StoreOptions } from '../store/store-interface';

export const DEFAULT_DATA_DIR = path.join('.leakwatch', 'data');

export interface StoreFlags {
  data: string;
  clickhouse?: string;
  chUser?: string;
  chPassword?: string;
  chDatabase?: string;
  retentionDays: string;
}

/** The storage flags shared by every command that opens the store. */
export function addStoreFlags(command: Command): Command {
  return command
    .option('--data <dir>', 'embedded ClickHouse data directory', DEFAULT_DATA_DIR)
    .option('--clickhouse <url>', 'use a ClickHouse server instead of the embedded engine (http://host:8123)')
    .option('--ch-user <user>', 'ClickHouse server user (or CLICKHOUSE_USER)')
    .option('--ch-password <password>', 'ClickHouse server password (or CLICKHOUSE_PASSWORD)')
    .option('--ch-database <name>', 'ClickHouse server database', 'leakwatch')
    .option('--retention-days <days>', 'drop samples older than this many days', '30');
}

export function storeOptionsFrom(flags: StoreFlags): StoreOptions {
  const retentionDays = parseInteger(flags.retentionDays, '--retention-days', 1, 36_500);
  if (flags.clickhouse) {
    return {
      retentionDays,
      target: {
        kind: 'server',
        url: flags.clickhouse,
        username: flags.chUser ?? process.env.CLICKHOUSE_USER,
        password: flags.chPassword ?? process.env.CLICKHOUSE_PASSWORD,
        database: flags.chDatabase,
      },
    };
  }
  return { retentionDays, target: { kind: 'embedded', dataDir: path.resolve(flags.data) } };
}
