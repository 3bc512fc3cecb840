import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { applyMigrations } from '../src/store/apply-migrations';
import { MIGRATIONS } from '../src/store/migrations';
import { openStore } from '../src/store/open-store';
import { ensureRetention } from '../src/store/retention';
import { selectRows } from '../src/store/store-context';
import { toNumber } from '../src/store/to-number';
import { anHourAgo, RETENTION_DAYS, useEmbeddedStore } from './helpers/embedded-store';
import { hasCode } from './helpers/error-code';
import { makeHello } from './helpers/store-fixtures';

/*
 * Runs against the real ClickHouse engine (chdb) in a fresh temporary directory. chDB binds one
 * data directory per process, so this file uses exactly one, opened in `before` and closed in
 * `after`. Timestamps are near the current time because rows older than the retention are
 * removed by TTL.
 *
 * This file: opening a store (migrations, retention TTL, the directory lock, unreachable targets).
 */


describe('store (embedded ClickHouse): opening', () => {
  const db = useEmbeddedStore({ inspector: true });
  /** A whole second, an hour ago: every synthetic series starts from here. */
  const base = anHourAgo();

  test('migrations are recorded once and re-opening applies nothing new', async () => {
    const recorded = async () =>
      (await selectRows(db.ctx, 'read migrations', `SELECT version, name, toUnixTimestamp64Milli(applied_at) AS at FROM ${db.ctx.tables.migrations} ORDER BY version`)).map(
        (row) => ({ version: toNumber(row.version, 'version'), name: String(row.name), at: toNumber(row.at, 'at') }),
      );
    const first = await recorded();
    assert.deepEqual(
      first.map((m) => m.version),
      MIGRATIONS.map((m) => m.version),
    );

    await db.store.close();
    db.store = await db.open();
    assert.deepEqual(await recorded(), first, 'a reopen must not record (or re-apply) anything');
    assert.deepEqual(await applyMigrations(db.ctx), []);

    const tables = await selectRows(db.ctx, 'read tables', 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name', { db: db.ctx.tables.database });
    assert.deepEqual(
      tables.map((row) => row.name),
      ['alloc_sites', 'gaps', 'gc_events', 'heap_spaces', 'lineage', 'processes', 'runs', 'samples', 'schema_migrations', 'snapshot_types', 'snapshots'],
    );
  });

  test('retention is a TTL, altered only when it changes', async () => {
    const ttlDays = async () => {
      const rows = await selectRows(db.ctx, 'read ttl', "SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN ('samples', 'heap_spaces', 'gc_events', 'gaps')", {
        db: db.ctx.tables.database,
      });
      return Object.fromEntries(rows.map((row) => [String(row.name), /toIntervalDay\((\d+)\)/.exec(String(row.engine_full))?.[1]]));
    };
    assert.deepEqual(await ttlDays(), { gaps: '30', gc_events: '30', heap_spaces: '30', samples: '30' });
    assert.deepEqual(await ensureRetention(db.ctx, RETENTION_DAYS), [], 'unchanged retention alters nothing');

    await db.store.close();
    db.store = await db.open(90);
    assert.deepEqual(await ttlDays(), { gaps: '90', gc_events: '90', heap_spaces: '90', samples: '90' });
    await db.store.close();
    db.store = await db.open();
    assert.deepEqual(await ttlDays(), { gaps: '30', gc_events: '30', heap_spaces: '30', samples: '30' });

    for (const bad of [0, 1.5, -3, Number.NaN, 1e9]) {
      await assert.rejects(openStore({ target: { kind: 'embedded', dataDir: db.dataDir }, retentionDays: bad }), hasCode('LW_ERR_CONFIG'));
    }
  });

  test('another process opening the directory gets LW_ERR_STORE_LOCKED', async () => {
    const openStorePath = path.resolve(__dirname, '../src/store/open-store.js');
    const script = `
      const { openStore } = require(${JSON.stringify(openStorePath)});
      openStore({ target: { kind: 'embedded', dataDir: process.argv[1] }, retentionDays: 30 }).then(
        async (store) => { await store.close(); console.log(JSON.stringify({ code: 'OPENED' })); },
        (err) => console.log(JSON.stringify({ code: err.code, message: err.message })),
      );`;
    await db.store.upsertRun(makeHello('lock-owner', { startedAt: base }));
    const child = spawn(process.execPath, ['-e', script, db.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.resume(); // the engine prints its own lock message there
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(exitCode, 0);
    assert.deepEqual(JSON.parse(stdout.trim()), {
      code: 'LW_ERR_STORE_LOCKED',
      message: `data directory ${db.dataDir} is in use by another leakwatch process (a running collector)`,
    });
    // The refused process did not disturb the owner.
    assert.ok((await db.store.listRuns()).length > 0);
  });

  test('a second data directory in this process and an unreachable server are LW_ERR_STORE', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-store-other-'));
    try {
      await assert.rejects(openStore({ target: { kind: 'embedded', dataDir: other }, retentionDays: 30 }), hasCode('LW_ERR_STORE'));
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    await assert.rejects(
      openStore({ target: { kind: 'server', url: 'http://someone:s3cret@127.0.0.1:1' }, retentionDays: 30 }),
      (err: unknown) => {
        hasCode('LW_ERR_STORE')(err);
        const message = (err as Error).message;
        assert.match(message, /^cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1/);
        assert.ok(!message.includes('\n') && !message.includes('s3cret'), message);
        return true;
      },
    );
    await assert.rejects(
      openStore({ target: { kind: 'server', url: 'http://127.0.0.1:1', database: 'x`; DROP' }, retentionDays: 30 }),
      hasCode('LW_ERR_CONFIG'),
    );
  });
});
