import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocRowsOf, siteIdOf } from '../src/collector/alloc';
import type { AllocProfileMessage } from '../src/protocol/alloc-messages';
import { decodeProbeMessage } from '../src/protocol/decode';
import { createClickhouseStore } from '../src/store/clickhouse-store';
import { ensureRetention } from '../src/store/retention';
import { selectRows } from '../src/store/store-context';
import { MIGRATIONS } from '../src/store/migrations';
import { anHourAgo, useEmbeddedStore } from './helpers/embedded-store';
import { INTERVAL, MB, MINUTE, allocProfileBody, flat, frame, rising, type ProfileSite } from './helpers/alloc-profiles';
import { makeHello } from './helpers/store-fixtures';
import { createQuotingClient } from './helpers/store-quoting-client';

/*
 * The alloc_sites table on the real embedded ClickHouse: an alloc-profile message's rows as
 * ingest makes them, written, resent, and read back per boot and site.
 */
const db = useEmbeddedStore({ inspector: true });
const start = anHourAgo();
const leak = [frame('remember', '/app/dist/audit.js', 20, 3), frame('handle', '/app/dist/server.js', 7, 1)];
const steady = [frame('render', '/app/dist/view.js', 4, 10)];
const SITES: ProfileSite[] = [
  { stack: leak, liveAt: rising(MB, 512 * 1024) },
  { stack: steady, liveAt: flat(4 * MB, INTERVAL) },
];

function message(run: string, boot: string, seq: number, i: number, sites = SITES, other = { sites: 0, liveBytes: 0, samples: 0 }): AllocProfileMessage {
  const body = allocProfileBody(start + i * MINUTE, start - MINUTE, sites, i, other);
  return decodeProbeMessage(Buffer.from(JSON.stringify({ v: 1, run, boot, seq, ...body })), false) as AllocProfileMessage;
}

const insertProfiles = (msgs: AllocProfileMessage[]) => db.store.insertRows({ samples: [], spaces: [], gcs: [], allocSites: msgs.flatMap(allocRowsOf) });

describe('allocation sites in ClickHouse', () => {
  test('the migration is applied, and the table expires with the retention', async () => {
    assert.ok(MIGRATIONS.some((m) => m.version === 4 && /allocation sites/.test(m.name)));
    const [table] = await selectRows(db.ctx, 'read table', 'SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {name:String}', { db: db.ctx.tables.database, name: 'alloc_sites' });
    assert.match(String(table.engine_full), /ReplacingMergeTree.*PARTITION BY toYYYYMM\(at\).*ORDER BY \(run_id, boot, site_id, at\).*TTL toDateTime\(at\) \+ toIntervalDay\(30\)/s);
    assert.deepEqual(await ensureRetention(db.ctx, 30), [], 'already at 30 days');
    assert.ok((await ensureRetention(db.ctx, 7)).includes('alloc_sites'));
    await ensureRetention(db.ctx, 30);
  });

  test('profiles stored, a resent profile collapses, and each boot reads back its sites with their series', async () => {
    await db.store.upsertRun(makeHello('alloc'));
    const first = Array.from({ length: 12 }, (_, i) => message('alloc', 'b1', i + 1, i));
    await insertProfiles(first);
    // A probe resends what was not acknowledged: the same rows again, in another insert.
    await insertProfiles(first.slice(8));
    // A second process of the run, started later, with one profile whose remainder holds sites.
    await insertProfiles([message('alloc', 'b2', 1, 20, SITES.slice(0, 1), { sites: 3, liveBytes: 2 * MB, samples: 4 })]);

    const [count] = await selectRows(db.ctx, 'count', `SELECT count() AS n FROM ${db.ctx.tables.allocSites} FINAL WHERE run_id = 'alloc'`);
    assert.equal(Number(count.n), 12 * 3 + 2, 'one row per site and profile, and one remainder per profile');

    const boots = await db.store.queryAllocSites('alloc');
    assert.deepEqual(boots.map((b) => b.boot), ['b1', 'b2'], 'oldest boot first');
    const [b1, b2] = boots;
    assert.deepEqual(b1.profiles, first.map((m) => m.at));
    assert.deepEqual(b1.otherSites, Array(12).fill(0));
    assert.equal(b1.intervalBytes, INTERVAL);
    assert.equal(b1.sites.length, 2);
    const rising = b1.sites.find((s) => s.frames[0].fn === 'remember');
    assert.ok(rising);
    assert.deepEqual(rising.frames, leak, 'the whole stack, allocating frame first');
    assert.deepEqual(rising.t, b1.profiles);
    assert.deepEqual(rising.liveBytes, first.map((_, i) => Math.round(SITES[0].liveAt(i))));
    assert.deepEqual(rising.samples, first.map((m) => m.sites.find((s) => s.liveBytes === Math.round(SITES[0].liveAt(m.seq - 1)))!.samples));
    assert.equal(rising.siteId, siteIdOf(leak));
    assert.ok(allocRowsOf(first[0]).some((r) => r.siteId === rising.siteId));
    assert.deepEqual([b2.profiles.length, b2.otherSites, b2.otherLiveBytes, b2.sites.length], [1, [3], [2 * MB], 1]);
    assert.equal(b2.sites[0].siteId, rising.siteId, 'the same stack has the same id in another process');
    assert.deepEqual(await db.store.queryAllocSites('no-such-run'), []);
  });

  test('numbers quoted as strings (as a server sends them over HTTP) read back the same', async () => {
    const client = createQuotingClient(db.dataDir);
    try {
      const quoted = createClickhouseStore({ client, tables: db.ctx.tables }, 'quoting client');
      assert.deepEqual(await quoted.queryAllocSites('alloc'), await db.store.queryAllocSites('alloc'));
    } finally {
      await client.close();
    }
  });
});
