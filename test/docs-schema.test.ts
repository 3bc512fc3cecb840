import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { selectRows, type RawRow, type StoreContext } from '../src/store/store-context';
import { createStoreClient, type StoreClient } from '../src/store/store-client';
import { tableNames } from '../src/store/table-names';
import { useSnapshotCollector } from './helpers/collector-snapshots';
import { expandGrafanaSql, type GrafanaContext } from './helpers/grafana-macros';
import { waitFor } from './helpers/wait-for';
import { docQueries, docTables, type DocQuery } from './helpers/schema-doc';
import { startLeakingApp, type LeakingApp } from './helpers/schema-doc-probe';
import {
  FLAT_SITE,
  FLOOR_BYTES_PER_HOUR,
  GAP_SAMPLES,
  GROWING_SITE,
  LATEST_SNAPSHOT,
  LEAKY,
  MAJOR_GC_EVERY,
  OLD_RUN,
  RUN,
  SAMPLES_PER_BOOT,
  SITE_BYTES_PER_HOUR,
  EPOCH_RESTART_AT,
  PROFILES,
  secondEpochAt,
  STEADY,
  seedRuns,
  type SeededRun,
} from './helpers/schema-doc-run';

/*
 * docs/schema.md and docs/grafana/leakwatch-dashboard.json against the real ClickHouse engine
 * (chdb, one data directory for this file): a run is written through the store's own insert
 * functions, then every ```sql block of the page and every query of the dashboard runs on it.
 * The page's tables must list exactly the columns (and types, sort and partition keys) that the
 * migrations create, so the page cannot fall behind the schema.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const SCHEMA_MD = fs.readFileSync(path.join(ROOT, 'docs', 'schema.md'), 'utf8');
const DASHBOARD = JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'grafana', 'leakwatch-dashboard.json'), 'utf8'));
const DATABASE = 'leakwatch';
const WINDOW_S = 60;
const PLUGIN = 'grafana-clickhouse-datasource';

const num = (value: unknown) => Number(value);

describe('docs/schema.md and the Grafana dashboard on the real engine', () => {
  // A real collector on the real embedded engine; the test reads the tables through a second
  // connection to the same directory, as a SQL user would.
  const fx = useSnapshotCollector('docs-schema');
  let inspector: StoreClient;
  let ctx: StoreContext;
  let seeded: SeededRun;
  const params = () => ({ run: RUN, boot: LEAKY, window_s: WINDOW_S });

  before(async () => {
    inspector = createStoreClient({ kind: 'embedded', dataDir: path.join(fx.temp.dir, 'data') });
    ctx = { client: inspector.client, tables: tableNames(inspector.database) };
    seeded = await seedRuns(fx.store);
  });
  after(async () => {
    await inspector?.client.close();
  });

  async function run(sql: string, queryParams: Record<string, unknown> = {}): Promise<RawRow[]> {
    return selectRows(ctx, 'docs query', sql, queryParams);
  }

  test('every column of every table is documented with its type, and nothing else is', async () => {
    const documented = docTables(SCHEMA_MD);
    const columns = await run('SELECT table, name, type FROM system.columns WHERE database = {db:String} ORDER BY table, position', { db: DATABASE });
    const actual = new Map<string, Map<string, string>>();
    for (const c of columns) {
      const table = String(c.table);
      if (!actual.has(table)) actual.set(table, new Map());
      actual.get(table)!.set(String(c.name), String(c.type));
    }
    assert.ok(actual.size >= 9, `expected the leakwatch tables, found ${[...actual.keys()].join(', ')}`);
    for (const [table, cols] of actual) {
      const doc = documented.get(table);
      assert.ok(doc, `docs/schema.md has no section "### \`${table}\`"`);
      for (const [name, type] of cols) {
        assert.ok(doc.columns.has(name), `docs/schema.md does not document ${table}.${name} (${type})`);
        assert.equal(doc.columns.get(name), type, `docs/schema.md gives ${table}.${name} the wrong type`);
      }
      for (const name of doc.columns.keys()) assert.ok(cols.has(name), `docs/schema.md documents ${table}.${name}, which the schema does not have`);
    }
    for (const table of documented.keys()) assert.ok(actual.has(table), `docs/schema.md documents a table ${table} that does not exist`);
  });

  test('every table states its real sort key, partition key and TTL', async () => {
    const documented = docTables(SCHEMA_MD);
    const tables = await run('SELECT name, sorting_key, partition_key, engine, engine_full FROM system.tables WHERE database = {db:String}', { db: DATABASE });
    for (const t of tables) {
      const doc = documented.get(String(t.name))!;
      assert.equal(String(t.engine), 'ReplacingMergeTree', `${t.name}: the page says every table is a ReplacingMergeTree`);
      assert.equal(doc.orderBy, String(t.sorting_key), `${t.name}: ORDER BY in docs/schema.md`);
      assert.equal(doc.partitionBy ?? '', String(t.partition_key), `${t.name}: PARTITION BY in docs/schema.md`);
      // The collector sets `TTL toDateTime(<column>) + INTERVAL n DAY` (src/store/retention.ts).
      const ttl = /\bTTL toDateTime\((\w+)\)/.exec(String(t.engine_full))?.[1] ?? null;
      assert.equal(doc.ttlColumn, ttl, `${t.name}: the TTL column in docs/schema.md`);
    }
  });

  describe('every ```sql block of docs/schema.md', () => {
    const queries = docQueries(SCHEMA_MD);
    const results = new Map<string, RawRow[]>();
    const resultOf = (title: string) => {
      const rows = results.get(title);
      assert.ok(rows, `no query titled "-- ${title}" ran`);
      return rows;
    };

    test('the page has its queries, each titled and followed by its columns', () => {
      assert.ok(queries.length >= 12, `found ${queries.length} sql blocks`);
      assert.equal(new Set(queries.map((q) => q.title)).size, queries.length, 'titles are unique');
      for (const q of queries) {
        assert.ok(q.title, `a block has no "-- title" first line: ${q.sql.slice(0, 80)}`);
        assert.ok(q.columns && q.columns.length > 0, `"${q.title}" is not followed by a "Columns:" line`);
        for (const p of q.params) assert.ok(p in params(), `"${q.title}" uses a parameter {${p}} the page does not list`);
        assert.doesNotMatch(q.sql, /\$\{|\$__/, `"${q.title}" is plain SQL, not a Grafana query`);
      }
    });

    for (const q of queries) {
      test(`runs: ${q.title}`, async () => {
        const rows = await runDocQuery(q);
        results.set(q.title, rows);
        assert.ok(rows.length > 0, `"${q.title}" returned no rows on the seeded run`);
        assert.deepEqual(Object.keys(rows[0]), q.columns, `"${q.title}" returns other columns than the page says`);
      });
    }

    async function runDocQuery(q: DocQuery): Promise<RawRow[]> {
      const all = params() as Record<string, unknown>;
      return run(q.sql, Object.fromEntries(q.params.map((p) => [p, all[p]])));
    }

    test('the newest runs: newest first, with their processes and deduplicated sample counts', () => {
      const rows = resultOf('the newest runs');
      assert.deepEqual(rows.map((r) => r.run_id), [RUN, OLD_RUN]);
      assert.equal(num(rows[0].processes), 2);
      assert.equal(num(rows[0].samples), 2 * SAMPLES_PER_BOOT, 'every sample went in twice; FINAL counts it once');
      assert.equal(rows[1].ended_at === null, false, 'the old run ended');
      const byArgMax = resultOf('the runs, newest version by argMax');
      assert.deepEqual(byArgMax.map((r) => r.run_id), [RUN, OLD_RUN]);
      assert.equal(byArgMax[0].name, 'api');
    });

    test('the processes of a run: one row per boot', () => {
      const rows = resultOf('the processes of a run');
      assert.deepEqual(rows.map((r) => r.boot).sort(), [LEAKY, STEADY]);
      for (const r of rows) assert.equal(num(r.samples), SAMPLES_PER_BOOT);
    });

    test('heap floor per process: the leaky floor rises, the steady one stays', () => {
      const rows = resultOf('heap floor per process');
      const leaky = rows.filter((r) => r.boot === LEAKY).map((r) => num(r.floor_bytes));
      const steady = rows.filter((r) => r.boot === STEADY).map((r) => num(r.floor_bytes));
      assert.ok(leaky.length >= SAMPLES_PER_BOOT / MAJOR_GC_EVERY - 2, `${leaky.length} windows`);
      for (let i = 1; i < leaky.length; i++) assert.ok(leaky[i] > leaky[i - 1], `window ${i} of the leaky floor`);
      assert.deepEqual([...new Set(steady)], [40_000_000]);
      const fromSamples = resultOf('heap floor per process from samples');
      // A whole window holds a trough of the saw-tooth (one sample in six); the run's last window may be partial.
      const whole = fromSamples.filter((r) => r.boot === STEADY && num(r.samples) === MAJOR_GC_EVERY);
      assert.ok(whole.length >= SAMPLES_PER_BOOT / MAJOR_GC_EVERY - 2, `${whole.length} whole windows`);
      assert.deepEqual([...new Set(whole.map((r) => num(r.floor_bytes)))], [40_000_000]);
    });

    test('floor growth per hour: the leaky process first, at the rate it was written with', () => {
      const rows = resultOf('floor growth per hour per process');
      assert.equal(rows[0].boot, LEAKY);
      const slope = num(rows[0].floor_bytes_per_hour);
      assert.ok(Math.abs(slope - FLOOR_BYTES_PER_HOUR) < 0.02 * FLOOR_BYTES_PER_HOUR, `slope ${slope}`);
      const steady = rows.find((r) => r.boot === STEADY)!;
      assert.equal(num(steady.floor_bytes_per_hour), 0);
      assert.ok(num(rows[0].last_floor_bytes) > num(rows[0].first_floor_bytes));
    });

    test('top types of the latest snapshot: the newest ready snapshot, largest retained first', () => {
      const rows = resultOf('top types of the latest snapshot');
      assert.ok(rows.every((r) => r.snapshot_id === LATEST_SNAPSHOT && r.boot === LEAKY), 'the refused snapshot is newer but has no types');
      assert.equal(rows[0].type, 'LeakyEntry');
      assert.equal(num(rows[0].count), 9000);
      assert.equal(rows.length, 5);
    });

    test('types grown between two snapshots: signed deltas, a new type counted from 0', () => {
      const rows = resultOf('types grown between the first and latest snapshot of a process');
      const by = new Map(rows.map((r) => [String(r.type), r]));
      assert.equal(rows[0].type, 'LeakyEntry');
      assert.equal(num(by.get('LeakyEntry')!.count_delta), 8000);
      assert.equal(num(by.get('LeakyEntry')!.retained_delta), 8_000_000);
      assert.equal(num(by.get('NewType')!.count_first), 0);
      assert.equal(num(by.get('(closure)')!.retained_delta), -200_000, 'a shrinking type is negative, not wrapped around');
      assert.equal(num(by.get('Object')!.count_delta), 0);
    });

    test('GC pauses: weighted counts, each event once', () => {
      const rows = resultOf('GC pauses per process').filter((r) => r.boot === LEAKY);
      const gcs = rows.reduce((s, r) => s + num(r.gcs), 0);
      const majors = rows.reduce((s, r) => s + num(r.major_gcs), 0);
      assert.equal(majors, SAMPLES_PER_BOOT / MAJOR_GC_EVERY);
      assert.equal(gcs, SAMPLES_PER_BOOT + majors);
      assert.ok(rows.every((r) => num(r.longest_pause_ms) <= 8 && num(r.pause_percent) > 0));
    });

    test('allocation sites growing: the growing site at its rate in its newest epoch, the flat one left out', () => {
      const rows = resultOf('allocation sites growing');
      assert.equal(rows[0].site_id, GROWING_SITE);
      assert.equal(Date.parse(`${String(rows[0].epoch_started_at).replace(' ', 'T')}Z`), secondEpochAt(seeded.base), 'the newest epoch');
      assert.deepEqual([num(rows[0].profiles), num(rows[0].first_live_bytes)], [PROFILES - EPOCH_RESTART_AT, 1_000_000], 'counted from the restart');
      assert.equal(rows[0].fn, 'remember');
      assert.match(String(rows[0].stack), /^remember file:\/\/\/app\/cache\.js:10 <- handle file:\/\/\/app\/server\.js:40$/);
      const slope = num(rows[0].live_bytes_per_hour);
      assert.ok(Math.abs(slope - SITE_BYTES_PER_HOUR) < 0.01 * SITE_BYTES_PER_HOUR, `slope ${slope}`);
      assert.ok(!rows.some((r) => r.site_id === FLAT_SITE));
    });

    test('the smaller ones: spaces, event loop, lost data, hour by hour', () => {
      assert.deepEqual(resultOf('heap spaces of a process at its latest sample').map((r) => r.space), ['old_space', 'new_space']);
      const lost = resultOf('data lost per process');
      assert.deepEqual(lost.map((r) => [r.boot, num(r.dropped_samples)]), [[STEADY, GAP_SAMPLES]]);
      assert.ok(resultOf('event loop delay per process').every((r) => num(r.max_ms) >= 3));
      assert.ok(resultOf('memory per process hour by hour').length >= 2);
    });
  });

  describe('the Grafana dashboard', () => {
    const ctx = (): GrafanaContext => ({ fromMs: seeded.base - 600_000, toMs: Date.now(), intervalMs: WINDOW_S * 1000, variables: { database: DATABASE, run: RUN } });
    const variable = (name: string) => DASHBOARD.templating.list.find((v: { name: string }) => v.name === name);
    const targets = (): Array<{ panel: { title: string; type: string }; target: { rawSql: string; format: number; datasource: { type: string } } }> =>
      DASHBOARD.panels.flatMap((panel: { targets?: unknown[] }) => (panel.targets ?? []).map((target) => ({ panel, target })));

    test('is a dashboard for the official ClickHouse plugin, with the panels the page names', () => {
      assert.equal(DASHBOARD.__inputs[0].pluginId, PLUGIN);
      assert.equal(variable('datasource').query, PLUGIN);
      const titles = DASHBOARD.panels.map((p: { title: string }) => p.title.toLowerCase());
      for (const wanted of ['heap used', 'heap floor', 'rss', 'gc pauses', 'event-loop delay', 'top types']) {
        assert.ok(titles.some((t: string) => t.includes(wanted)), `no panel for ${wanted}`);
      }
      for (const { panel, target } of targets()) {
        assert.equal(target.datasource.type, PLUGIN, panel.title);
        assert.equal(target.format, panel.type === 'timeseries' ? 0 : 1, `${panel.title}: time series format 0, table 1`);
        if (panel.type === 'timeseries') assert.match(target.rawSql, /\$__timeFilter\(ts\)/, `${panel.title} follows the time picker`);
        assert.match(target.rawSql, /\$\{run:singlequote\}/, `${panel.title} reads the chosen run`);
      }
    });

    test('every macro and variable the queries use is in the page\'s list of what they become', () => {
      const section = SCHEMA_MD.slice(SCHEMA_MD.indexOf('## Grafana'));
      const sqls = [...targets().map((t) => t.target.rawSql), ...['database', 'run'].map((name) => variable(name).query.rawSql as string)];
      const used = new Set(sqls.flatMap((sql) => [...sql.matchAll(/\$__\w+|\$\{\w+(?::\w+)?\}/g)].map((m) => m[0])));
      assert.ok(used.size >= 4, [...used].join(' '));
      for (const token of used) assert.ok(section.includes(`| \`${token}`), `docs/schema.md does not say what ${token} becomes`);
    });

    test('the database variable finds the leakwatch database', async () => {
      const rows = await run(expandGrafanaSql(variable('database').query.rawSql, ctx()));
      assert.deepEqual(rows.map((r) => Object.values(r)[0]), [DATABASE]);
    });

    test('the run variable lists the runs newest first: value the run id, text its name and start', async () => {
      const rows = await run(expandGrafanaSql(variable('run').query.rawSql, ctx()));
      assert.deepEqual(rows.map((r) => Object.values(r)[0]), [RUN, OLD_RUN]);
      assert.match(String(Object.values(rows[0])[1]), /^api {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    });

    test('every panel query runs and shows every process of the run', async () => {
      for (const { panel, target } of targets()) {
        const rows = await run(expandGrafanaSql(target.rawSql, ctx()));
        assert.ok(rows.length > 0, `${panel.title} returned no rows`);
        if (panel.type === 'timeseries') {
          assert.equal(Object.keys(rows[0])[0], 'time', `${panel.title}: the time column first`);
          assert.deepEqual([...new Set(rows.map((r) => r.process))].sort(), ['process boot-lea', 'process boot-ste'], panel.title);
        }
        if (panel.title.toLowerCase().includes('top types')) assert.equal(rows[0].type, 'LeakyEntry');
      }
    });

    test('a time range before the run shows nothing: the time filter is applied', async () => {
      const early = { ...ctx(), fromMs: seeded.base - 7_200_000, toMs: seeded.base - 3_600_000 };
      for (const { panel, target } of targets()) {
        if (panel.type !== 'timeseries') continue;
        assert.equal((await run(expandGrafanaSql(target.rawSql, early))).length, 0, panel.title);
      }
    });
  });

  // Last: this run is the newest, which the run lists above do not expect.
  describe('on a run a real probe recorded', () => {
    let app: LeakingApp | undefined;
    let startedAt = 0;
    const one = async (sql: string, p: Record<string, unknown>) => (await run(sql, p))[0];

    before(async () => {
      startedAt = Date.now();
      app = await startLeakingApp(fx.ingestUrl());
      const p = { run: app.run };
      // Enough for every documented query to have rows: 12 s of samples with a major GC in each
      // second, allocation profiles, and two analysed snapshots.
      await waitFor('the probe\'s data', async () => {
        const samples = await one('SELECT count() AS n, max(ts) - min(ts) AS span FROM leakwatch.samples FINAL WHERE run_id = {run:String}', p);
        const profiles = await one("SELECT uniqExact(at) AS n FROM leakwatch.alloc_sites FINAL WHERE run_id = {run:String} AND site_id = ''", p);
        const ready = await one("SELECT count() AS n FROM leakwatch.snapshots FINAL WHERE run_id = {run:String} AND status = 'ready'", p);
        return num(samples.span) >= 13 && num(profiles.n) >= 5 && num(ready.n) >= 2;
      }, 120_000, 500);
      await app.stop();
    });
    after(async () => {
      await app?.stop();
    });

    test('every documented query runs on it; the key ones find the leak', async () => {
      const all: Record<string, unknown> = { run: app!.run, boot: app!.boot, window_s: 1 };
      const byTitle = new Map<string, RawRow[]>();
      for (const q of docQueries(SCHEMA_MD)) {
        const rows = await run(q.sql, Object.fromEntries(q.params.map((p) => [p, all[p]])));
        if (rows.length > 0) assert.deepEqual(Object.keys(rows[0]), q.columns, q.title);
        byTitle.set(q.title, rows);
      }
      assert.equal(byTitle.get('the newest runs')![0].run_id, app!.run);
      assert.deepEqual(byTitle.get('the processes of a run')!.map((r) => r.boot), [app!.boot]);
      assert.ok(byTitle.get('heap floor per process')!.length >= 10, 'a floor point in each second');
      const growth = byTitle.get('floor growth per hour per process')!;
      assert.equal(growth.length, 1, 'the app had at least 10 one-second windows with a major GC');
      assert.ok(num(growth[0].floor_bytes_per_hour) > 0, `the leak shows in the floor: ${JSON.stringify(growth[0])}`);
      assert.ok(byTitle.get('top types of the latest snapshot')!.some((r) => r.type === 'DocsLeak'), 'the leaking class is among the top types');
      const grown = byTitle.get('types grown between the first and latest snapshot of a process')!.find((r) => r.type === 'DocsLeak');
      assert.ok(grown && num(grown.count_delta) > 0, `DocsLeak grew between the snapshots: ${JSON.stringify(grown)}`);
      assert.ok(byTitle.get('GC pauses per process')!.some((r) => num(r.major_gcs) > 0));
      assert.ok(byTitle.get('allocation sites growing')!.length > 0, 'the leaking allocation site grows');
      assert.ok(byTitle.get('heap spaces of a process at its latest sample')!.some((r) => r.space === 'old_space'));
      assert.equal(byTitle.get('data lost per process')!.length, 0, 'nothing was lost');
    });

    test('every dashboard query shows the process', async () => {
      const ctx: GrafanaContext = { fromMs: startedAt - 60_000, toMs: Date.now(), intervalMs: 1000, variables: { database: DATABASE, run: app!.run } };
      for (const panel of DASHBOARD.panels as Array<{ title: string; type: string; targets: Array<{ rawSql: string }> }>) {
        for (const target of panel.targets) {
          const rows = await run(expandGrafanaSql(target.rawSql, ctx));
          assert.ok(rows.length > 0, `${panel.title} returned no rows`);
          if (panel.type === 'timeseries') assert.deepEqual([...new Set(rows.map((r) => r.process))], [`process ${app!.boot.slice(0, 8)}`], panel.title);
        }
      }
    });
  });
});
