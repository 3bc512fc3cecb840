import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { startCollector, type Collector } from '../src/collector/collector';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { collectorSnapshots, useSnapshotCollector } from './helpers/collector-snapshots';
import { connectRawProbe } from './helpers/raw-probe';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * Captures that will never be uploaded: the process died while V8 wrote. Ending the run fails
 * them at once; for a bare probe nobody ends the run, and the collector's orphan sweep fails them
 * once the process has been silent far longer than any write takes (orphan-captures.ts), pushing
 * the change live. The sweep is driven here through its clock and `sweepOrphanCaptures()`, not
 * by waiting minutes. How these tests drive the real collector: helpers/collector-snapshots.ts.
 */

/** Added to the real time on the sweep's clock. */
let clockOffset = 0;
// Only the test sweeps: the timer's first round (at start) finds nothing, the next is an hour away.
const fx = useSnapshotCollector('collector-snapshot-orphans', () => ({ orphanSweepMs: 3_600_000, now: () => Date.now() + clockOffset }));
const { ingestUrl, api, snapshotOf, waitForStatus, watchLive } = fx;

test('a capture whose process went silent far longer than any write takes (or restarted) is failed by the sweep and pushed live; a live or a big heap\'s is not, and reading writes nothing', { timeout: 60_000 }, async () => {
  const minute = 60_000;
  const silent = await connectRawProbe(ingestUrl(), 'silent-mid-capture');
  const alive = await connectRawProbe(ingestUrl(), 'alive-mid-capture');
  const live = await watchLive('silent-mid-capture');
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

    // Reading the snapshots is a pure read: before a sweep they are as the probes left them, in
    // the store too.
    const unswept = await getJson<{ snapshots: SnapshotRecord[] }>(api('silent-mid-capture/snapshots'));
    assert.deepEqual(unswept.body.snapshots.map((s) => [s.id, s.status]).sort(), [['before-restart', 'capturing'], ['big-heap', 'capturing'], ['gone', 'capturing'], ['writing', 'capturing']]);
    assert.equal((await snapshotOf('silent-mid-capture', 'gone'))?.snapshot.status, 'capturing');
    assert.equal((await fx.store.getSnapshot('silent-mid-capture', 'gone'))?.status, 'capturing');
    assert.equal(live.pushes.filter((p) => p.status === 'failed').length, 0);

    assert.equal(await fx.collector.sweepOrphanCaptures(), 2, 'gone and before-restart');
    const one = await snapshotOf('silent-mid-capture', 'gone');
    assert.equal(one?.snapshot.status, 'failed');
    assert.equal(one?.snapshot.errorCode, 'LW_ERR_SNAPSHOT_CAPTURE');
    assert.match(one?.snapshot.reason ?? '', /^no word from the process for 11 min since it began writing this snapshot/);
    const { body } = await getJson<{ snapshots: SnapshotRecord[] }>(api('silent-mid-capture/snapshots'));
    assert.deepEqual(body.snapshots.map((s) => [s.id, s.status]).sort(), [['before-restart', 'failed'], ['big-heap', 'capturing'], ['gone', 'failed'], ['writing', 'capturing']]);
    assert.equal((await snapshotOf('alive-mid-capture', 'late'))?.snapshot.status, 'capturing');
    // Stored, not only shown.
    assert.equal((await fx.store.getSnapshot('silent-mid-capture', 'gone'))?.status, 'failed');
    // Pushed: an open run page sees the failures without reading the list again.
    await waitFor('the failures on /live', () => ['gone', 'before-restart'].every((sid) => live.pushes.some((p) => p.id === sid && p.status === 'failed')));
    const pushed = live.pushes.find((p) => p.id === 'gone' && p.status === 'failed');
    assert.equal(pushed?.errorCode, 'LW_ERR_SNAPSHOT_CAPTURE');
    assert.equal(pushed?.reason, one?.snapshot.reason);

    // The sweep goes by its clock: six minutes on, the 5-minute capture has been silent for 11
    // and fails; the 2 GB heap's (26 of its 34 min) and the sampling probe's (6 min) do not.
    clockOffset = 6 * minute;
    assert.equal(await fx.collector.sweepOrphanCaptures(), 1);
    const { body: later } = await getJson<{ snapshots: SnapshotRecord[] }>(api('silent-mid-capture/snapshots'));
    assert.deepEqual(later.snapshots.map((s) => [s.id, s.status]).sort(), [['before-restart', 'failed'], ['big-heap', 'capturing'], ['gone', 'failed'], ['writing', 'failed']]);
    assert.match(later.snapshots.find((s) => s.id === 'writing')?.reason ?? '', /^no word from the process for 11 min/);
    assert.equal((await snapshotOf('alive-mid-capture', 'late'))?.snapshot.status, 'capturing');
    await waitFor('the later failure on /live', () => live.pushes.some((p) => p.id === 'writing' && p.status === 'failed'));
    assert.equal(await fx.collector.sweepOrphanCaptures(), 0, 'a failed capture is not failed again');
  } finally {
    clockOffset = 0;
    live.close();
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

test('the sweep runs on its own timer, and adopts captures an earlier collector process left pending', { timeout: 60_000 }, async () => {
  const minute = 60_000;
  const dir = path.join(fx.temp.dir, 'adopted');
  // A collector whose sweep never comes round records a capture, then stops (restart, crash).
  const first = await startCollector({ ...fx.options(), snapshotDir: dir, orphanSweepMs: 3_600_000 });
  try {
    const probe = await connectRawProbe(`${first.url.replace('http', 'ws')}/ingest`, 'left-pending');
    await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: 'old', at: Date.now() - 11 * minute }));
    await probe.close();
  } finally {
    await first.close();
  }
  assert.equal((await fx.store.getSnapshot('left-pending', 'old'))?.status, 'capturing');

  // The next process finds it by itself, on a short timer (no sweep is called here).
  let ticking: Collector | undefined;
  const client = collectorSnapshots(() => ticking!, dir);
  try {
    ticking = await startCollector({ ...fx.options(), snapshotDir: dir, orphanSweepMs: 100 });
    const live = await client.watchLive('left-pending');
    try {
      const { snapshot } = await client.waitForStatus('left-pending', 'old', 'failed', 10_000);
      assert.equal(snapshot.errorCode, 'LW_ERR_SNAPSHOT_CAPTURE');
      assert.match(snapshot.reason, /^no word from the process for 11 min/);
      // Captured after the start, swept by the same timer and pushed.
      const probe = await connectRawProbe(client.ingestUrl(), 'left-pending', 'left-pending-boot-2');
      await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: 'new', at: Date.now() - 11 * minute }));
      await probe.close();
      await waitFor('the timer\'s failure on /live', () => live.pushes.some((p) => p.id === 'new' && p.status === 'failed'), 10_000);
    } finally {
      live.close();
    }
  } finally {
    await ticking?.close();
  }
});
