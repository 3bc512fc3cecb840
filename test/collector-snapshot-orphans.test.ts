import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startCollector, type Collector } from '../src/collector/collector';
import type { SnapshotRecord } from '../src/shared/snapshot-types';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/types';
import { collectorSnapshots, snapshotCollectorOptions } from './helpers/collector-snapshots';
import { connectRawProbe } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';
import { getJson } from './helpers/wait-for';

/*
 * Captures that will never be uploaded: the process died while V8 wrote. Ending the run fails
 * them at once; for a bare probe nobody ends the run, and a capture whose process has been
 * silent far longer than any write takes (orphan-captures.ts) is failed when read. How these
 * tests drive the real collector: helpers/collector-snapshots.ts.
 */

const temp = makeTempDir('collector-snapshot-orphans');
const dataDir = path.join(temp.dir, 'data');
const snapshotDir = path.join(temp.dir, 'snapshots');
let store: Store;
let collector: Collector;
const collectorOptions = () => snapshotCollectorOptions(store, snapshotDir);
const { ingestUrl, api, snapshotOf, waitForStatus } = collectorSnapshots(() => collector, snapshotDir);

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  collector = await startCollector(collectorOptions());
});

after(async () => {
  await collector?.close();
  await store?.close();
  temp.remove();
});

test('a capture whose process went silent far longer than any write takes (or restarted) is failed when read; a live or a big heap\'s is not', { timeout: 60_000 }, async () => {
  const minute = 60_000;
  const silent = await connectRawProbe(ingestUrl(), 'silent-mid-capture');
  const alive = await connectRawProbe(ingestUrl(), 'alive-mid-capture');
  try {
    // A bare probe killed while V8 wrote: nobody ends its run. 11 min of silence on a 5 MB heap.
    await silent.waitForAck(silent.sendStatus({ state: 'capturing', snapshotId: 'gone', at: Date.now() - 11 * minute }));
    // 5 min: V8 may still be writing (the floor is 10 min).
    await silent.waitForAck(silent.sendStatus({ state: 'capturing', snapshotId: 'writing', at: Date.now() - 5 * minute }));
    // A 2 GB heap is given a second per MB: 34 min.
    await silent.waitForAck(silent.sendStatus({ state: 'capturing', snapshotId: 'big-heap', at: Date.now() - 20 * minute, heapUsed: 2048 * 1024 * 1024 }));
    // A probe that sampled again after its capture began is alive and owns its snapshot.
    await alive.waitForAck(alive.sendStatus({ state: 'capturing', snapshotId: 'late', at: Date.now() - 11 * minute }));
    await alive.waitForAck(alive.sendBatch(2));
    // The process restarted under the same run id: the new boot's samples say nothing for the old one.
    await silent.waitForAck(silent.sendStatus({ state: 'capturing', snapshotId: 'before-restart', at: Date.now() - 11 * minute }));
    await silent.close();
    const restarted = await connectRawProbe(ingestUrl(), 'silent-mid-capture', 'silent-mid-capture-boot-2');
    await restarted.waitForAck(restarted.sendBatch(2));
    await restarted.close();

    const one = await snapshotOf('silent-mid-capture', 'gone');
    assert.equal(one?.snapshot.status, 'failed');
    assert.equal(one?.snapshot.errorCode, 'LW_ERR_SNAPSHOT_CAPTURE');
    assert.match(one?.snapshot.reason ?? '', /^no word from the process for 11 min since it began writing this snapshot/);
    const { body } = await getJson<{ snapshots: SnapshotRecord[] }>(api('silent-mid-capture/snapshots'));
    assert.deepEqual(body.snapshots.map((s) => [s.id, s.status]).sort(), [['before-restart', 'failed'], ['big-heap', 'capturing'], ['gone', 'failed'], ['writing', 'capturing']]);
    assert.equal((await snapshotOf('alive-mid-capture', 'late'))?.snapshot.status, 'capturing');
    // Stored, not only shown: the next read finds it failed without working it out again.
    assert.equal((await store.getSnapshot('silent-mid-capture', 'gone'))?.status, 'failed');
  } finally {
    await silent.close();
    await alive.close();
  }
});

test('a snapshot still capturing when its run ends is marked failed (the process is gone)', { timeout: 60_000 }, async () => {
  const run = 'ended-mid-capture';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    const seq = probe.sendStatus({ state: 'capturing', snapshotId: 'snap-orphan' });
    await probe.waitForAck(seq);
    await waitForStatus(run, 'snap-orphan', 'capturing');
    // `leakwatch run` ends the run this way when its command exits.
    const ended = await fetch(api(`${run}/end`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ exitCode: 137 }) });
    assert.equal(ended.status, 200);
    const { snapshot } = await waitForStatus(run, 'snap-orphan', 'failed');
    assert.equal(snapshot.errorCode, 'LW_ERR_SNAPSHOT_CAPTURE');
    assert.match(snapshot.reason, /process ended before its snapshot was uploaded/);
  } finally {
    await probe.close();
  }
});
