import { insertValues, runCommand, selectRows, type StoreContext } from './store-context';
import { MIGRATIONS, type Migration } from './migrations';
import { toNumber } from './to-number';

/**
 * Applies, in order, every migration whose version is not yet recorded in schema_migrations and
 * returns the versions it applied (empty when the schema is current, so re-opening is a no-op).
 * The statements are idempotent (IF NOT EXISTS) and the record table replaces by version, so two
 * collectors racing to migrate one server end in the same state.
 */
export async function applyMigrations(ctx: StoreContext, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const { tables } = ctx;
  await runCommand(
    ctx,
    'cannot create the migrations table',
    `CREATE TABLE IF NOT EXISTS ${tables.migrations} (
      version UInt32,
      name String,
      applied_at DateTime64(3, 'UTC')
    ) ENGINE = ReplacingMergeTree
    ORDER BY version`,
  );
  const rows = await selectRows(ctx, 'cannot read applied migrations', `SELECT version FROM ${tables.migrations} FINAL`);
  const done = new Set(rows.map((row) => toNumber(row.version, 'schema_migrations.version')));

  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const statement of migration.statements(tables)) {
      await runCommand(ctx, `migration ${migration.version} (${migration.name}) failed`, statement);
    }
    // Recorded only after every statement succeeded: a half-applied migration is retried whole.
    await insertValues(ctx, `cannot record migration ${migration.version}`, tables.migrations, [
      { version: migration.version, name: migration.name, applied_at: Date.now() },
    ]);
    applied.push(migration.version);
  }
  return applied;
}
