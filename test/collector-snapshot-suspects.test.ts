import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { SuspectsBody } from '../src/api/http-contract';
import type { SnapshotSuspects } from '../src/shared/suspect-data';
import { useSnapshotCollector } from './helpers/collector-snapshots';
import { connectRawProbe } from './helpers/raw-probe';
import { uploadInTurn, writeSuspectSnapshots } from './helpers/suspect-snapshots';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The suspects step as the collector runs it: real V8 snapshots of one growing child process
 * uploaded one after another to the real collector, each analysed and then ranked in the
 * analysis worker against the digests of the earlier ones. How these tests drive the collector:
 * helpers/collector-snapshots.ts.
 */
const fx = useSnapshotCollector('collector-snapshot-suspects');
const { ingestUrl, api } = fx;
const MINUTE = 60_000;
let leaky: string[] = [];
let healthy: string[] = [];

before(async () => {
  leaky = await writeSuspectSnapshots(fx.temp.dir, 'leaky');
  healthy = await writeSuspectSnapshots(fx.temp.dir, 'healthy');
});

/** Ten minutes apart, ending a minute ago. */
function takenTimes(count: number): number[] {
  const start = Date.now() - (count * 10 + 1) * MINUTE;
  return Array.from({ length: count }, (_, i) => start + i * 10 * MINUTE);
}

/** The run's suspects once the one of `sid` (the last uploaded) is written. */
function suspectsAfter(run: string, sid: string): Promise<SnapshotSuspects[]> {
  return waitFor(`the suspects of ${sid}`, async () => {
    const res = await getJson<SuspectsBody>(api(`${run}/suspects`));
    return res.status === 200 && res.body.boots[0]?.snapshotId === sid ? res.body.boots : undefined;
  }, 60_000, 100);
}

test('four snapshots of a leaking process: GET /api/runs/:id/suspects names the Map and who holds it', { timeout: 180_000 }, async () => {
  const run = 'leaky';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    await probe.waitForAck(probe.sendBatch(1));
    assert.deepEqual((await getJson<SuspectsBody>(api(`${run}/suspects`))).body, { boots: [] }, 'none before any snapshot');
    const takenAt = takenTimes(4);
    await uploadInTurn(fx.collector.url, fx, probe, leaky, takenAt);
    const boots = await suspectsAfter(run, 's4');
    assert.equal(boots.length, 1);
    const [latest] = boots;
    assert.deepEqual([latest.boot, latest.snapshotId, latest.takenAt, latest.snapshots], [probe.boot, 's4', takenAt[3], 4]);
    const [top] = latest.suspects;
    assert.ok(top, 'a suspect');
    assert.equal(top.kind, 'map');
    assert.deepEqual(top.entries, [400, 800, 1200, 1600]);
    assert.deepEqual(top.takenAt, takenAt);
    assert.equal(top.paths.container, 'suspects-child.ts (module) › responseCache (Map)');
    assert.equal(top.paths.members[0].path, 'suspects-child.ts (module) › responseCache (Map) › [*] › CachedResponse');
    // 1,200 entries in 30 minutes.
    assert.equal(Math.round(top.entriesPerHour), 2400);
    assert.ok(top.bytesPerHour > 0 && top.newBytes <= top.leakShareBytes);
    assert.equal(top.floorShare, null, 'the raw probe sent no GC events: the floor is unknown');
    assert.deepEqual(latest.suspects.map((s) => s.kind).sort(), ['array', 'listeners', 'map']);
    // The leaked class's new objects survive: 400 added before each of s2 and s3 and kept to s4
    // (those of s4 are seen in one snapshot only, so not yet counted), with their strings after it.
    const [surviving] = latest.survivingTypes;
    assert.equal(surviving?.type, 'CachedResponse', JSON.stringify(latest.survivingTypes.map((t) => t.type)));
    assert.equal(surviving.count, 800);
    assert.deepEqual(surviving.steps.map((s) => [s.takenAt, s.count]), [[takenAt[1], 400], [takenAt[2], 400]]);
    assert.ok(surviving.selfSize >= 800 * 24, `${surviving.selfSize} bytes`);
    assert.ok(latest.survivingTypes.some((t) => t.type === '(string)' && t.count >= 1600), 'its url and body strings');

    // Each ready snapshot keeps its digest and suspects beside it; the first two have no suspects (fewer than 3 snapshots).
    for (const sid of ['s1', 's2', 's3', 's4']) {
      assert.ok(fs.existsSync(path.join(fx.snapshotDir, run, `${sid}.digest`)), `${sid}.digest`);
      const stored = JSON.parse(fs.readFileSync(path.join(fx.snapshotDir, run, `${sid}.suspects.json`), 'utf8')) as SnapshotSuspects;
      assert.equal(stored.suspects.length > 0, sid === 's3' || sid === 's4', sid);
    }
    assert.deepEqual(fx.tmpFiles(), [], 'the verified copies are gone');
  } finally {
    await probe.close();
  }
});

test('a snapshot whose suspects step fails is still ready; the route then gives the latest that has them', { timeout: 180_000 }, async () => {
  const run = 'broken-step';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    const takenAt = takenTimes(4);
    await uploadInTurn(fx.collector.url, fx, probe, leaky.slice(0, 3), takenAt.slice(0, 3));
    await suspectsAfter(run, 's3');
    // A directory where the fourth's digest is to go: writing it fails after the ranking.
    fs.mkdirSync(path.join(fx.snapshotDir, run, 'broken1.digest', 'in-the-way'), { recursive: true });
    await uploadInTurn(fx.collector.url, fx, probe, leaky.slice(3), takenAt.slice(3), 'broken');
    const ready = await fx.waitForStatus(run, 'broken1', 'ready');
    assert.equal(ready.snapshot.errorCode, '');
    assert.ok(ready.types.length > 0, 'its analysis is kept');
    await waitFor('the verified copy removed', async () => fx.tmpFiles().length === 0 || undefined, 30_000, 100);
    assert.equal(fs.existsSync(path.join(fx.snapshotDir, run, 'broken1.suspects.json')), false);
    const { body } = await getJson<SuspectsBody>(api(`${run}/suspects`));
    assert.deepEqual(body.boots.map((b) => b.snapshotId), ['s3']);
    assert.equal(body.boots[0].suspects[0].paths.container, 'suspects-child.ts (module) › responseCache (Map)');
    assert.equal(body.boots[0].survivingTypes[0]?.type, 'CachedResponse');
    // A suspects file written before the surviving types were kept reads with none.
    const file = path.join(fx.snapshotDir, run, 's3.suspects.json');
    const { survivingTypes: _dropped, ...older } = JSON.parse(fs.readFileSync(file, 'utf8')) as SnapshotSuspects;
    fs.writeFileSync(file, JSON.stringify(older));
    const again = await getJson<SuspectsBody>(api(`${run}/suspects`));
    assert.deepEqual([again.body.boots[0].suspects.length > 0, again.body.boots[0].survivingTypes], [true, []]);
  } finally {
    await probe.close();
  }
});

test('a healthy process (an LRU at its cap, churn, warm-up that stops) has no suspects; two processes of a run are apart', { timeout: 180_000 }, async () => {
  const run = 'healthy';
  const first = await connectRawProbe(ingestUrl(), run, 'healthy-boot-1');
  try {
    await uploadInTurn(fx.collector.url, fx, first, healthy, takenTimes(4));
    const boots = await suspectsAfter(run, 's4');
    assert.deepEqual(boots.map((b) => [b.boot, b.snapshots, b.suspects.length]), [['healthy-boot-1', 4, 0]]);
    // The LRU's entries turn over faster than the snapshots come, the churned arrays die at once.
    const surviving = boots[0].survivingTypes.map((t) => t.type);
    assert.ok(!surviving.includes('CachedResponse') && !surviving.includes('Array'), JSON.stringify(surviving));
  } finally {
    await first.close();
  }
  // A restarted process: its ids mean nothing against the first one's digests.
  const second = await connectRawProbe(ingestUrl(), run, 'healthy-boot-2');
  try {
    await uploadInTurn(fx.collector.url, fx, second, leaky.slice(0, 2), takenTimes(2), 'r');
    const boots = await suspectsAfter(run, 'r2');
    assert.deepEqual(boots.map((b) => [b.boot, b.snapshots, b.suspects.length]), [['healthy-boot-2', 2, 0], ['healthy-boot-1', 4, 0]]);
  } finally {
    await second.close();
  }
});
