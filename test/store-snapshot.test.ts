import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blankSnapshot } from '../src/collector/snapshots/lifecycle';
import type { SnapshotTypeRow } from '../src/shared/snapshot-data';
import { createClickhouseStore } from '../src/store/clickhouse-store';
import { openStore } from '../src/store/open-store';
import { selectRows, type StoreContext } from '../src/store/store-context';
import { tableNames } from '../src/store/table-names';
import type { Store, StoredSnapshot } from '../src/store/store-interface';
import { createQuotingClient } from './helpers/store-quoting-client';
import { makeTempDir } from './helpers/temp-dir';

/*
 * Snapshot tables on the real embedded ClickHouse engine (one data directory for this file).
 * Times are near now: rows older than the retention are removed by TTL.
 */

const temp = makeTempDir('store-snapshot');
const dataDir = path.join(temp.dir, 'data');
const HOUR = 3_600_000;
const base = Date.now() - HOUR;

function makeSnapshot(run: string, id: string, overrides: Partial<StoredSnapshot> = {}): StoredSnapshot {
  return { ...blankSnapshot(run, id, 'boot-1', base), heapUsed: 12_345_678, estimatedBytes: 40_000_000, updatedAt: base, ...overrides };
}

describe('store: heap snapshots', () => {
  let store: Store;

  before(async () => {
    store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  });

  after(async () => {
    await store?.close();
    temp.remove();
  });

  test('snapshot tables expire with the retention, counted from taken_at', async () => {
    // Read through a second client on the same directory: the store does not expose its context.
    const client = createQuotingClient(dataDir);
    try {
      const ctx: StoreContext = { client, tables: tableNames('leakwatch') };
      const rows = await selectRows(ctx, 'read ttl', 'SELECT name, engine_full FROM system.tables WHERE database = {db:String} AND name IN {names:Array(String)} ORDER BY name', {
        db: 'leakwatch',
        names: ['snapshots', 'snapshot_types'],
      });
      assert.deepEqual(rows.map((r) => String(r.name)), ['snapshot_types', 'snapshots']);
      for (const row of rows) assert.match(String(row.engine_full), /TTL toDateTime\(taken_at\) \+ toIntervalDay\(30\)/, String(row.name));
    } finally {
      await client.close();
    }
  });

  test('each write is a version; the latest one is read back, field for field', async () => {
    const first = makeSnapshot('run-a', 's1');
    await store.writeSnapshot(first);
    const uploading = { ...first, status: 'uploading' as const, fileSize: 5_000_000_123, captureMs: 812.5, updatedAt: base + 10 };
    await store.writeSnapshot(uploading);
    const ready = {
      ...uploading,
      status: 'ready' as const,
      sha256: 'ab'.repeat(32),
      storedSize: 1_000_000_007,
      nodeCount: 4_000_000_001,
      edgeCount: 9_000_000_003,
      totalSize: 3_000_000_005,
      reachableSize: 2_999_999_999,
      uploadMs: 1234.25,
      analysisMs: 98765.5,
      updatedAt: base + 20,
    };
    await store.writeSnapshot(ready);
    // An older version written late (a slow retry) does not win over a newer one.
    await store.writeSnapshot({ ...first, status: 'failed', updatedAt: base + 5 });
    assert.deepEqual(await store.getSnapshot('run-a', 's1'), ready);
    assert.equal(await store.getSnapshot('run-a', 'nope'), null);
    assert.equal(await store.getSnapshot('other-run', 's1'), null);
  });

  test('a run lists its snapshots oldest first, with reasons of refusals intact', async () => {
    const reason = "not enough memory: 'estimated' 1.2 GB > available 800 MB; \"quotes\" \\ ünï 🚀";
    await store.writeSnapshot(makeSnapshot('run-b', 'late', { takenAt: base + 2000, updatedAt: base + 2000 }));
    await store.writeSnapshot(makeSnapshot('run-b', 'early', { takenAt: base + 1000, status: 'refused', reason, errorCode: 'LW_ERR_SNAPSHOT_REFUSED', updatedAt: base + 1000 }));
    await store.writeSnapshot(makeSnapshot('run-c', 'elsewhere'));
    const list = await store.listSnapshots('run-b');
    assert.deepEqual(list.map((s) => s.id), ['early', 'late']);
    assert.equal(list[0].reason, reason);
    assert.equal(list[0].errorCode, 'LW_ERR_SNAPSHOT_REFUSED');
    assert.equal(list[0].status, 'refused');
    assert.deepEqual(await store.listSnapshots('run-none'), []);
  });

  test('type rows round-trip, largest retained first; a repeated insert collapses', async () => {
    const types: SnapshotTypeRow[] = [
      { type: '(string)', count: 120_000, selfSize: 9_000_000, retainedSize: 9_000_000 },
      { type: 'Session', count: 5_000_000_000, selfSize: 400_000_000_000, retainedSize: 900_000_000_000 },
      { type: "'; DROP TABLE snapshots; --", count: 1, selfSize: 16, retainedSize: 16 },
      { type: 'Ünïcode 🚀 {x:String}', count: 2, selfSize: 32, retainedSize: 64 },
      { type: '(closure)', count: 3, selfSize: 96, retainedSize: 64 },
    ];
    const key = { run: 'run-t', id: 'snap-1', takenAt: base };
    await store.insertSnapshotTypes(key, types, base);
    await store.insertSnapshotTypes(key, types, base);
    await store.insertSnapshotTypes({ ...key, id: 'snap-2' }, types.slice(0, 1), base);
    const read = await store.getSnapshotTypes('run-t', 'snap-1');
    const expected = [...types].sort((a, b) => b.retainedSize - a.retainedSize || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
    assert.deepEqual(read, expected);
    assert.equal((await store.getSnapshotTypes('run-t', 'snap-2')).length, 1);
    assert.deepEqual(await store.getSnapshotTypes('run-t', 'none'), []);

    // The HTTP transport quotes 64-bit integers; the store hands out numbers either way.
    const client = createQuotingClient(dataDir);
    try {
      const quoted = createClickhouseStore({ client, tables: tableNames('leakwatch') }, 'quoting client');
      assert.deepEqual(await quoted.getSnapshotTypes('run-t', 'snap-1'), expected);
      assert.deepEqual(await quoted.getSnapshot('run-a', 's1'), await store.getSnapshot('run-a', 's1'));
    } finally {
      await client.close();
    }
  });
});
