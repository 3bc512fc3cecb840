import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import zlib from 'node:zlib';
import WebSocket from 'ws';
import { startCollector } from '../src/collector/collector';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { analyzeSnapshotFile } from '../src/snapshot/analyze-file';
import { loadSnapshotFile } from '../src/snapshot/load-snapshot';
import { attributeOwnedSizes } from '../src/snapshot/owned-sizes';
import { useSnapshotCollector, LEAKS, MAX_SNAPSHOT_BYTES, rawGet, sortedByType, statusTrail } from './helpers/collector-snapshots';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe } from './helpers/raw-probe';
import { sha256Of, uploadSnapshot } from './helpers/snapshot-upload-client';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The collector's snapshot upload: verified (size, chunks, sha256), stored gzip, analysed, sent
 * back as downloaded; cut, oversized and unauthorised uploads fail with their codes. How these
 * tests drive the real collector: helpers/collector-snapshots.ts.
 */

let files: { before: string; after: string };
const fx = useSnapshotCollector('collector-snapshot-upload');
const { ingestUrl, api, storedFile, tmpFiles, snapshotOf, waitForStatus, watchLive, captureAndUpload } = fx;

before(async () => {
  files = await writeGrowingSnapshots(fx.temp.dir, LEAKS);
});

test('an upload is verified, stored gzip and analysed: capturing -> uploading -> analysing -> ready', { timeout: 120_000 }, async () => {
  const run = 'upload-ok';
  const probe = await connectRawProbe(ingestUrl(), run);
  const live = await watchLive(run);
  try {
    const result = await captureAndUpload(probe, 'snap-1', files.after);
    assert.deepEqual(result, { stored: true, code: 1000, reason: '' });
    const { snapshot, types } = await waitForStatus(run, 'snap-1', 'ready');

    // The stored file is the upload, byte for byte, gzip-compressed.
    const original = fs.readFileSync(files.after);
    const gz = fs.readFileSync(storedFile(run, 'snap-1'));
    assert.ok(zlib.gunzipSync(gz).equals(original), 'the stored .gz decompresses to the uploaded bytes');
    assert.equal(snapshot.storedSize, gz.length);
    assert.equal(snapshot.fileSize, original.length);
    assert.equal(snapshot.sha256, sha256Of(files.after));
    assert.equal(snapshot.captureMs, 42);
    assert.equal(snapshot.errorCode, '');
    assert.equal(snapshot.progress, undefined, 'a finished snapshot has no progress');
    assert.deepEqual(tmpFiles(), [], 'the temporary upload is gone');

    // Exactly what the analysis engine finds in the file, every type of it.
    const analysis = await analyzeSnapshotFile(files.after);
    assert.deepEqual(sortedByType(types), sortedByType(analysis.types));
    // Every object is in exactly one type. As in DevTools, nodes without a size of their own are
    // not objects: V8's synthetic grouping nodes, and storage whose size went to its one owner.
    const graph = loadSnapshotFile(files.after);
    attributeOwnedSizes(graph);
    let objects = 0;
    for (let i = 0; i < graph.nodeCount; i++) if (graph.selfSize[i] > 0) objects++;
    assert.equal(graph.nodeCount, snapshot.nodeCount);
    assert.equal(types.reduce((sum, t) => sum + t.count, 0), objects, 'counts sum to the node count (nodes with a size)');
    assert.equal(types.reduce((sum, t) => sum + t.selfSize, 0), snapshot.totalSize, 'self sizes sum to the total size');
    assert.deepEqual(
      { nodeCount: snapshot.nodeCount, edgeCount: snapshot.edgeCount, totalSize: snapshot.totalSize, reachableSize: snapshot.reachableSize },
      { nodeCount: analysis.nodeCount, edgeCount: analysis.edgeCount, totalSize: analysis.totalSize, reachableSize: analysis.reachableSize },
    );
    for (let i = 1; i < types.length; i++) assert.ok(types[i - 1].retainedSize >= types[i].retainedSize, 'largest retained first');
    const leak = types.find((t) => t.type === 'LeakwatchTestLeak');
    assert.equal(leak?.count, LEAKS);

    // Live pushes followed the life cycle, with progress while in flight.
    await waitFor('the ready push', () => live.pushes.some((p) => p.status === 'ready'));
    assert.deepEqual(statusTrail(live.pushes), ['capturing', 'uploading', 'analysing', 'ready']);
    assert.ok(live.pushes.some((p) => p.status === 'uploading' && p.progress?.phase === 'uploading' && p.progress.total === original.length));
    assert.ok(live.pushes.some((p) => p.status === 'analysing' && p.progress !== undefined), 'analysis progress is pushed');

    const list = await getJson<{ snapshots: SnapshotRecord[] }>(api(`${run}/snapshots`));
    assert.deepEqual(list.body.snapshots.map((s) => [s.id, s.status]), [['snap-1', 'ready']]);
  } finally {
    live.close();
    await probe.close();
  }
});

test('download returns the raw snapshot, as stored gzip or decompressed', { timeout: 60_000 }, async () => {
  const url = api('upload-ok/snapshots/snap-1/download');
  const original = fs.readFileSync(files.after);
  const gz = await rawGet(url, { 'accept-encoding': 'gzip, deflate' });
  assert.equal(gz.status, 200);
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(gz.headers['content-disposition'], 'attachment; filename="upload-ok-snap-1.heapsnapshot"');
  assert.ok(zlib.gunzipSync(gz.body).equals(original));
  const plain = await rawGet(url, {});
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(Number(plain.headers['content-length']), original.length);
  assert.ok(plain.body.equals(original), 'decompressed on the fly');
  const refusedGzip = await rawGet(url, { 'accept-encoding': 'gzip;q=0, identity' });
  assert.equal(refusedGzip.headers['content-encoding'], undefined);
  assert.ok(refusedGzip.body.equals(original));
  assert.equal((await rawGet(api('upload-ok/snapshots/nope/download'), {})).status, 404);
});

test('a wrong sha256 fails the upload with LW_ERR_SNAPSHOT_CHECKSUM and stores nothing', { timeout: 60_000 }, async () => {
  const run = 'bad-checksum';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    const seq = probe.sendStatus({ state: 'capturing', snapshotId: 'snap-x' });
    await probe.waitForAck(seq);
    const result = await uploadSnapshot(fx.collector.url, { run, boot: probe.boot, snapshotId: 'snap-x', file: files.before, sha256: '0'.repeat(64) });
    assert.equal(result.stored, false);
    assert.equal(result.code, 4422);
    assert.match(result.reason, /^LW_ERR_SNAPSHOT_CHECKSUM: sha256 /);
    const { snapshot } = await waitForStatus(run, 'snap-x', 'failed');
    assert.equal(snapshot.errorCode, 'LW_ERR_SNAPSHOT_CHECKSUM');
    assert.match(snapshot.reason, /sha256 [0-9a-f]{64} does not match 0{64}/);
    assert.equal(fs.existsSync(storedFile(run, 'snap-x')), false);
    assert.deepEqual(tmpFiles(), []);
    const download = await rawGet(api(`${run}/snapshots/snap-x/download`), {});
    assert.equal(download.status, 404);
  } finally {
    await probe.close();
  }
});

test('a connection cut mid-upload fails the snapshot with LW_ERR_SNAPSHOT_UPLOAD and removes the temporary file', { timeout: 60_000 }, async () => {
  const run = 'cut-upload';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    const seq = probe.sendStatus({ state: 'capturing', snapshotId: 'snap-cut' });
    await probe.waitForAck(seq);
    const size = fs.statSync(files.before).size;
    const cutAt = Math.floor(size / 2);
    const result = await uploadSnapshot(fx.collector.url, { run, boot: probe.boot, snapshotId: 'snap-cut', file: files.before, cutAfterBytes: cutAt });
    assert.equal(result.stored, false);
    const { snapshot } = await waitForStatus(run, 'snap-cut', 'failed');
    assert.equal(snapshot.errorCode, 'LW_ERR_SNAPSHOT_UPLOAD');
    assert.match(snapshot.reason, new RegExp(`after ${cutAt} of ${size} bytes`));
    await waitFor('the temporary file to go', () => tmpFiles().length === 0);
    assert.equal(fs.existsSync(storedFile(run, 'snap-cut')), false);

    // The probe may upload it again: a good second attempt wins.
    const retry = await uploadSnapshot(fx.collector.url, { run, boot: probe.boot, snapshotId: 'snap-cut', file: files.before });
    assert.equal(retry.stored, true);
    await waitForStatus(run, 'snap-cut', 'ready');
  } finally {
    await probe.close();
  }
});

test('uploads larger than announced or than the collector accepts are rejected', { timeout: 60_000 }, async () => {
  const run = 'oversize';
  const probe = await connectRawProbe(ingestUrl(), run);
  await probe.waitForAck(probe.sendBatch(1));
  for (const sid of ['snap-more', 'snap-huge']) await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: sid }));
  await probe.close();
  const more = await uploadSnapshot(fx.collector.url, { run, snapshotId: 'snap-more', file: files.before, extraBytes: 10 });
  assert.equal(more.stored, false);
  assert.equal(more.code, 4414);
  assert.match(more.reason, /^LW_ERR_SNAPSHOT_TOO_BIG: more bytes than the \d+ announced/);
  const huge = await uploadSnapshot(fx.collector.url, { run, snapshotId: 'snap-huge', file: files.before, announcedSize: MAX_SNAPSHOT_BYTES + 1 });
  assert.equal(huge.code, 4414);
  assert.match(huge.reason, /larger than the collector accepts/);
  const frameTooBig = await new Promise<{ code: number; reason: string }>((resolve) => {
    const ws = new WebSocket(`${fx.collector.url.replace('http', 'ws')}/snapshot-upload`);
    ws.on('open', () => ws.send(Buffer.alloc(1024 * 1024 + 1)));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', () => undefined);
  });
  assert.equal(frameTooBig.code, 4414, 'a chunk above 1 MiB is refused with LW_ERR_SNAPSHOT_TOO_BIG');
  assert.match(frameTooBig.reason, /^LW_ERR_SNAPSHOT_TOO_BIG: frame larger than 1048576 bytes/);
  for (const sid of ['snap-more', 'snap-huge']) {
    const snapshot = (await snapshotOf(run, sid))?.snapshot;
    assert.equal(snapshot?.status, 'failed', sid);
    assert.equal(snapshot?.errorCode, 'LW_ERR_SNAPSHOT_TOO_BIG', sid);
  }
  assert.deepEqual(tmpFiles(), []);
});

test('upload connections need the token when the collector has one', { timeout: 30_000 }, async () => {
  const guarded = await startCollector({ ...fx.options(), token: 's3cret', snapshotDir: path.join(fx.temp.dir, 'guarded') });
  try {
    const probe = await connectRawProbe(`${guarded.url.replace('http', 'ws')}/ingest`, 'guarded', 'guarded-boot', { authorization: 'Bearer s3cret' });
    await probe.waitForAck(probe.sendBatch(1));
    await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: 's' }));
    await probe.close();
    const denied = await uploadSnapshot(guarded.url, { run: 'guarded', boot: probe.boot, snapshotId: 's', file: files.before });
    assert.equal(denied.code, 4401);
    const allowed = await uploadSnapshot(guarded.url, { run: 'guarded', boot: probe.boot, snapshotId: 's', file: files.before, headers: { authorization: 'Bearer s3cret' } });
    assert.equal(allowed.stored, true);
  } finally {
    await guarded.close();
  }
});
