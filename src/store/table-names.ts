import { LeakwatchError } from '../shared/errors';

/** The database used when the target does not name one. */
export const DEFAULT_DATABASE = 'leakwatch';

/**
 * Fully qualified table names. Every statement names its database explicitly, so the same SQL
 * works on the embedded engine (whose current database is `default`) and on a server.
 */
export interface TableNames {
  database: string;
  migrations: string;
  runs: string;
  samples: string;
  spaces: string;
  gcs: string;
  snapshots: string;
  snapshotTypes: string;
  allocSites: string;
  gaps: string;
  lineage: string;
  processes: string;
}

/** Bare table names (as `system.tables.name` knows them), fixed in code. */
export const TABLE = {
  migrations: 'schema_migrations',
  runs: 'runs',
  samples: 'samples',
  spaces: 'heap_spaces',
  gcs: 'gc_events',
  snapshots: 'snapshots',
  snapshotTypes: 'snapshot_types',
  allocSites: 'alloc_sites',
  gaps: 'gaps',
  lineage: 'lineage',
  processes: 'processes',
} as const;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * A database name has to appear in DDL text (identifiers cannot be query parameters), so it is
 * held to a plain-identifier pattern and then back-quoted; nothing else can reach the SQL.
 */
export function validateDatabaseName(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new LeakwatchError('LW_ERR_CONFIG', `invalid ClickHouse database name ${JSON.stringify(name).slice(0, 80)} (letters, digits and _ only)`);
  }
  return name;
}

export function tableNames(database: string): TableNames {
  const db = `\`${validateDatabaseName(database)}\``;
  return {
    database,
    migrations: `${db}.${TABLE.migrations}`,
    runs: `${db}.${TABLE.runs}`,
    samples: `${db}.${TABLE.samples}`,
    spaces: `${db}.${TABLE.spaces}`,
    gcs: `${db}.${TABLE.gcs}`,
    snapshots: `${db}.${TABLE.snapshots}`,
    snapshotTypes: `${db}.${TABLE.snapshotTypes}`,
    allocSites: `${db}.${TABLE.allocSites}`,
    gaps: `${db}.${TABLE.gaps}`,
    lineage: `${db}.${TABLE.lineage}`,
    processes: `${db}.${TABLE.processes}`,
  };
}
