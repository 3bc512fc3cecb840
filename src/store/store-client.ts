import * as fs from 'node:fs';
import * as path from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { LeakwatchError } from '../shared/errors';
import { embeddedConnectionError, serverConnectionError } from './connection-error';
import { firstLine } from './store-error';
import { DEFAULT_DATABASE, validateDatabaseName } from './table-names';
import type { StoreTarget } from './store-interface';

type ConnectionWrapper = NonNullable<Extract<StoreTarget, { kind: 'embedded' }>['wrapConnection']>;

/**
 * The client's own logger prints multi-line dumps (with stacks) for every failed request; every
 * failure is already turned into a one-line LW_ERR_STORE error for the caller, so it stays quiet.
 */
const QUIET = Object.freeze({ level: ClickHouseLogLevel.OFF });

export interface StoreClient {
  client: ClickHouseClient;
  database: string;
  /** Human-readable, never contains credentials. */
  description: string;
  /** Maps a failure of the first round trip to a one-line leakwatch error. */
  connectionError: (err: unknown) => LeakwatchError;
}

/** A URL for messages: credentials in `http://user:pass@host` are removed. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(invalid URL)';
  }
}

function embeddedClient(dataDir: string, wrap?: ConnectionWrapper): StoreClient {
  const dir = path.resolve(dataDir);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new LeakwatchError('LW_ERR_STORE', `cannot create data directory ${dir}: ${firstLine(err)}`, { cause: err });
  }
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    // chDB opens the engine here, synchronously; this is where a locked directory shows up.
    connection = createChdbConnection({ path: dir });
    if (wrap) connection = wrap(connection);
  } catch (err) {
    throw embeddedConnectionError(err, dir);
  }
  return {
    // chdb declares its Connection against @clickhouse/client-common's types while the client
    // bundles its own copy of the same declarations; the runtime contract is the same, so the
    // cast only bridges the two copies.
    client: createClient({ connection: connection as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>, log: QUIET }),
    database: DEFAULT_DATABASE,
    description: `embedded ClickHouse in ${dir}`,
    connectionError: (err) => embeddedConnectionError(err, dir),
  };
}

function serverClient(target: Extract<StoreTarget, { kind: 'server' }>): StoreClient {
  const database = validateDatabaseName(target.database ?? DEFAULT_DATABASE);
  const where = redactUrl(target.url);
  if (where === '(invalid URL)') throw new LeakwatchError('LW_ERR_CONFIG', `invalid ClickHouse URL ${JSON.stringify(target.url).slice(0, 80)}`);
  // The database is deliberately not set as the client's default: a server answers every request
  // naming a database that does not exist yet with UNKNOWN_DATABASE, even CREATE DATABASE. All
  // statements name their tables fully qualified instead, so no default database is needed.
  const client = createClient({
    url: target.url,
    username: target.username,
    password: target.password,
    application: 'leakwatch',
    log: QUIET,
  });
  return { client, database, description: `ClickHouse server ${where}, database ${database}`, connectionError: (err) => serverConnectionError(err, where) };
}

/** Creates the client for a target; nothing is sent until the caller verifies it. */
export function createStoreClient(target: StoreTarget): StoreClient {
  if (target.kind === 'embedded') return embeddedClient(target.dataDir, target.wrapConnection);
  if (target.kind === 'server') return serverClient(target);
  throw new LeakwatchError('LW_ERR_CONFIG', `unknown store target ${JSON.stringify((target as { kind?: unknown }).kind)}`);
}

/** One round trip at open, so a wrong URL or password fails now, in one line, not at the first insert. */
export async function verifyConnection(store: StoreClient): Promise<void> {
  try {
    const result = await store.client.query({ query: 'SELECT 1 AS ok', format: 'JSONEachRow' });
    await result.json();
  } catch (err) {
    throw store.connectionError(err);
  }
}

/** The database is created if missing; checking first lets a user without CREATE DATABASE rights use an existing one. */
export async function ensureDatabase(store: StoreClient): Promise<void> {
  try {
    const result = await store.client.query({
      query: 'SELECT count() AS n FROM system.databases WHERE name = {db:String}',
      query_params: { db: store.database },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ n: number | string }>();
    if (Number(rows[0]?.n ?? 0) > 0) return;
    // An identifier cannot be a query parameter; the name passed validateDatabaseName.
    await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${store.database}\`` });
  } catch (err) {
    throw new LeakwatchError('LW_ERR_STORE', `cannot create database ${store.database}: ${firstLine(err)}`, { cause: err });
  }
}
