import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import WebSocket from 'ws';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import type { SnapshotRecord, SnapshotTypeRow, TypeDiffRow } from '../src/shared/snapshot-types';
import { analyzeSnapshotFile } from '../src/snapshot/analyze-file';
import { diffTypeRows } from '../src/snapshot/diff-types';
import { loadSnapshotFile } from '../src/snapshot/load-snapshot';
import { attributeOwnedSizes } from '../src/snapshot/owned-sizes';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/types';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe, type RawProbe } from './helpers/raw-probe';
import { sha256Of, uploadSnapshot } from './helpers/snapshot-upload-client';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The collector's snapshot side over real sockets, with the real embedded ClickHouse, real V8
 * heap snapshots written by child processes, and the real analysis in a worker thread. The
 * probe end is played by the test (raw ingest and upload connections), so each fault can be
 * produced exactly.
 */

const temp = makeTempDir('collector-snapshot');
const dataDir = path.join(temp.dir, 'data');
const snapshotDir = path.join(temp.dir, 'snapshots');
const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
const REQUEST_TIMEOUT_MS = 1500;
let store: Store;
let collector: Collector;
let files: { before: string; after: string };
/** A larger snapshot, so an analysis lasts long enough to send batches during it. */
let bigFile: string;
const LEAKS = 20_000;
const collectorOptions = () => ({
  store,
  port: 0,
  log: createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent'),
  flushIntervalMs: 100,
  snapshotDir,
  retentionDays: 30,
  maxSnapshotBytes: MAX_SNAPSHOT_BYTES,
  snapshotRequestTimeoutMs: REQUEST_TIMEOUT_MS,
});

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  collector = await startCollector(collectorOptions());
  files = await writeGrowingSnapshots(temp.dir, LEAKS);
  bigFile = (await writeGrowingSnapshots(temp.dir, 300_000, 'big')).after;
});

after(async () => {
  await collector?.close();
  await store?.close();
  temp.remove();
});

const ingestUrl = () => `${collector.url.replace('http', 'ws')}/ingest`;
const api = (route: string) => `${collector.url}/api/runs/${route}`;
const storedFile = (run: string, sid: string) => path.join(snapshotDir, run, `${sid}.heapsnapshot.gz`);
const tmpFiles = () => {
  const where = path.join(snapshotDir, '.tmp');
  return fs.existsSync(where) ? fs.readdirSync(where, { recursive: true }).filter((f) => fs.statSync(path.join(where, String(f))).isFile()) : [];
};

async function snapshotOf(run: string, sid: string): Promise<{ snapshot: SnapshotRecord; types: SnapshotTypeRow[] } | undefined> {
  const res = await getJson<{ snapshot: SnapshotRecord; types: SnapshotTypeRow[] }>(api(`${run}/snapshots/${sid}`));
  return res.status === 200 ? res.body : undefined;
}

function waitForStatus(run: string, sid: string, status: SnapshotRecord['status'], timeoutMs = 60_000) {
  return waitFor(`snapshot ${sid} ${status}`, async () => {
    const got = await snapshotOf(run, sid);
    return got?.snapshot.status === status ? got : undefined;
  }, timeoutMs, 100);
}

/** Records every `snapshot` push for one run on /live. */
async function watchLive(run: string): Promise<{ pushes: SnapshotRecord[]; close: () => void }> {
  const ws = new WebSocket(`${collector.url.replace('http', 'ws')}/live`);
  const pushes: SnapshotRecord[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as { type: string; runId?: string; snapshot?: SnapshotRecord };
    if (msg.type === 'snapshot' && msg.runId === run && msg.snapshot) pushes.push(msg.snapshot);
  });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'subscribe', runId: run }));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { pushes, close: () => ws.close() };
}

/** Statuses in the order they were first seen. */
function statusTrail(pushes: SnapshotRecord[]): string[] {
  return pushes.map((p) => p.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

function sortedByType(rows: SnapshotTypeRow[]): SnapshotTypeRow[] {
  return [...rows].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** GET with explicit headers (fetch would decode gzip itself, hiding what was sent). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A probe connection that announced a snapshot (capturing) and uploaded it. */
async function captureAndUpload(probe: RawProbe, sid: string, file: string) {
  const seq = probe.sendStatus({ state: 'capturing', snapshotId: sid });
  await probe.waitForAck(seq);
  return uploadSnapshot(collector.url, { run: probe.run, boot: probe.boot, snapshotId: sid, file });
}

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

test('samples keep being stored and acked while a snapshot is analysed', { timeout: 180_000 }, async () => {
  const run = 'ingest-during-analysis';
  // The sending probe runs in another process: its acks are timed by a clock the collector's
  // process cannot hold up, so an analysis blocking the collector's loop would show as a gap.
  const sender = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'ack-timer-probe.js'), ingestUrl(), run], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  sender.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const acks = () => [...out.matchAll(/^ack (\d+) (\d+)$/gm)].map((m) => Number(m[2]));
  try {
    await waitFor('the sender to be acked', () => acks().length >= 2, 30_000);
    const result = await uploadSnapshot(collector.url, { run, snapshotId: 'big-1', file: bigFile });
    assert.equal(result.stored, true);
    const { snapshot } = await waitForStatus(run, 'big-1', 'ready', 170_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Analysis and compression ran in [end - analysisMs, end] by the collector's clock (end: the
    // ready write). Acks must keep coming all through it: in every quarter of that window.
    const start = snapshot.updatedAt - snapshot.analysisMs;
    const quarter = snapshot.analysisMs / 4;
    assert.ok(snapshot.analysisMs > 800, `the analysis is long enough to watch (${snapshot.analysisMs} ms)`);
    const perQuarter = [0, 1, 2, 3].map((q) => acks().filter((t) => t >= start + q * quarter && t < start + (q + 1) * quarter).length);
    assert.ok(perQuarter.every((n) => n > 0), `batches were acked all through the analysis (acks per quarter: ${perQuarter.join(', ')})`);
    const stored = await getJson<{ run: { sampleCount: number } }>(api(run));
    assert.ok(stored.body.run.sampleCount >= acks().length);
  } finally {
    sender.kill('SIGTERM');
    await new Promise((resolve) => sender.once('exit', resolve));
  }
});

test('analyses run one at a time: a second verified snapshot waits for the first', { timeout: 180_000 }, async () => {
  const run = 'one-at-a-time';
  const probe = await connectRawProbe(ingestUrl(), run);
  const live = await watchLive(run);
  try {
    // Both uploads are verified (and queued) before the first analysis can finish.
    const [first, second] = await Promise.all([captureAndUpload(probe, 'q1', bigFile), captureAndUpload(probe, 'q2', bigFile)]);
    assert.equal(first.stored && second.stored, true);
    await waitFor('both ready', () => ['q1', 'q2'].every((sid) => live.pushes.some((p) => p.id === sid && p.status === 'ready')), 170_000, 50);
    const working = (sid: string) => live.pushes.findIndex((p) => p.id === sid && p.status === 'analysing' && (p.progress?.done ?? 0) > 0);
    const readyAt = (sid: string) => live.pushes.findIndex((p) => p.id === sid && p.status === 'ready');
    const [firstSid, secondSid] = working('q1') < working('q2') ? ['q1', 'q2'] : ['q2', 'q1'];
    assert.ok(working(firstSid) >= 0 && working(secondSid) >= 0, 'both analyses reported progress');
    assert.ok(working(secondSid) > readyAt(firstSid), `the second analysis started after the first was ready (${working(secondSid)} > ${readyAt(firstSid)})`);
  } finally {
    live.close();
    await probe.close();
  }
});

test('a wrong sha256 fails the upload with LW_ERR_SNAPSHOT_CHECKSUM and stores nothing', { timeout: 60_000 }, async () => {
  const run = 'bad-checksum';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    const seq = probe.sendStatus({ state: 'capturing', snapshotId: 'snap-x' });
    await probe.waitForAck(seq);
    const result = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'snap-x', file: files.before, sha256: '0'.repeat(64) });
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
    const result = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'snap-cut', file: files.before, cutAfterBytes: cutAt });
    assert.equal(result.stored, false);
    const { snapshot } = await waitForStatus(run, 'snap-cut', 'failed');
    assert.equal(snapshot.errorCode, 'LW_ERR_SNAPSHOT_UPLOAD');
    assert.match(snapshot.reason, new RegExp(`after ${cutAt} of ${size} bytes`));
    await waitFor('the temporary file to go', () => tmpFiles().length === 0);
    assert.equal(fs.existsSync(storedFile(run, 'snap-cut')), false);

    // The probe may upload it again: a good second attempt wins.
    const retry = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'snap-cut', file: files.before });
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
  await probe.close();
  const more = await uploadSnapshot(collector.url, { run, snapshotId: 'snap-more', file: files.before, extraBytes: 10 });
  assert.equal(more.stored, false);
  assert.equal(more.code, 4414);
  assert.match(more.reason, /^LW_ERR_SNAPSHOT_TOO_BIG: more bytes than the \d+ announced/);
  const huge = await uploadSnapshot(collector.url, { run, snapshotId: 'snap-huge', file: files.before, announcedSize: MAX_SNAPSHOT_BYTES + 1 });
  assert.equal(huge.code, 4414);
  assert.match(huge.reason, /larger than the collector accepts/);
  const frameTooBig = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${collector.url.replace('http', 'ws')}/snapshot-upload`);
    ws.on('open', () => ws.send(Buffer.alloc(1024 * 1024 + 1)));
    ws.on('close', (code) => resolve(code));
    ws.on('error', () => undefined);
  });
  assert.equal(frameTooBig, 1009, 'a chunk above 1 MiB is refused by the socket');
  for (const sid of ['snap-more', 'snap-huge']) {
    const snapshot = (await snapshotOf(run, sid))?.snapshot;
    assert.equal(snapshot?.status, 'failed', sid);
    assert.equal(snapshot?.errorCode, 'LW_ERR_SNAPSHOT_TOO_BIG', sid);
  }
  assert.deepEqual(tmpFiles(), []);
});

test('snapshot requests: 409 without a probe, 504 when it stays silent, answered by the probe otherwise', { timeout: 60_000 }, async () => {
  const run = 'requests';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    await probe.waitForAck(probe.sendBatch(1));

    // The probe is asked; it answers capturing: 202 with the new snapshot.
    const post = fetch(api(`${run}/snapshots`), { method: 'POST' });
    const requestId = await probe.waitForRequest();
    probe.sendStatus({ state: 'capturing', snapshotId: 'req-1', requestId });
    const accepted = await post;
    assert.equal(accepted.status, 202);
    const body = (await accepted.json()) as { snapshot: SnapshotRecord };
    assert.equal(body.snapshot.id, 'req-1');
    assert.equal(body.snapshot.status, 'capturing');
    assert.equal(body.snapshot.estimatedBytes, 2e7);

    // A second request while that one is in flight: the probe says busy; 200 with the running one.
    const again = fetch(api(`${run}/snapshots`), { method: 'POST' });
    probe.sendStatus({ state: 'busy', snapshotId: 'req-1', requestId: await probe.waitForRequest() });
    const busy = await again;
    assert.equal(busy.status, 200);
    assert.equal(((await busy.json()) as { snapshot: SnapshotRecord }).snapshot.id, 'req-1');

    // Refused by the headroom guard: 202 with the reason, recorded.
    const third = fetch(api(`${run}/snapshots`), { method: 'POST' });
    const reason = 'needs about 1.2 GB, only 300 MB available';
    probe.sendStatus({ state: 'refused', snapshotId: 'req-2', requestId: await probe.waitForRequest(), reason, errorCode: 'LW_ERR_SNAPSHOT_REFUSED' });
    const refused = await third;
    assert.equal(refused.status, 202);
    const refusedBody = (await refused.json()) as { snapshot: SnapshotRecord };
    assert.deepEqual([refusedBody.snapshot.status, refusedBody.snapshot.reason, refusedBody.snapshot.errorCode], ['refused', reason, 'LW_ERR_SNAPSHOT_REFUSED']);
    const list = await getJson<{ snapshots: SnapshotRecord[] }>(api(`${run}/snapshots`));
    const recorded = list.body.snapshots.find((s) => s.id === 'req-2');
    assert.deepEqual([recorded?.status, recorded?.reason, recorded?.errorCode], ['refused', reason, 'LW_ERR_SNAPSHOT_REFUSED']);

    // Silence: 504 after the request timeout.
    const silent = await fetch(api(`${run}/snapshots`), { method: 'POST' });
    assert.equal(silent.status, 504);
    assert.equal(((await silent.json()) as { error: { code: string } }).error.code, 'LW_ERR_SNAPSHOT_TIMEOUT');

    // Every status message was acked like any other message.
    await probe.waitForAck(probe.sendBatch(1));
  } finally {
    await probe.close();
  }
  await waitFor('the probe connection to be gone', async () => (await fetch(api(`${run}/snapshots`), { method: 'POST' })).status === 409);
  const listed = await getJson<{ snapshots: SnapshotRecord[] }>(api(`${run}/snapshots`));
  assert.deepEqual(listed.body.snapshots.map((s) => s.id), ['req-1', 'req-2'], 'the run\'s snapshots are still listed');
  const res = await fetch(api(`${run}/snapshots`), { method: 'POST' });
  assert.equal(res.status, 409);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'LW_ERR_SNAPSHOT_NO_PROBE');
  assert.equal((await fetch(api('no-such-run/snapshots'), { method: 'POST' })).status, 404);
});

test('diff of two ready snapshots: per type deltas, largest retained growth first', { timeout: 120_000 }, async () => {
  const run = 'diff';
  const probe = await connectRawProbe(ingestUrl(), run);
  try {
    assert.equal((await captureAndUpload(probe, 'a', files.before)).stored, true);
    assert.equal((await captureAndUpload(probe, 'b', files.after)).stored, true);
    const a = await waitForStatus(run, 'a', 'ready');
    const b = await waitForStatus(run, 'b', 'ready');
    const res = await getJson<{ a: SnapshotRecord; b: SnapshotRecord; rows: TypeDiffRow[] }>(api(`${run}/diff?a=a&b=b`));
    assert.equal(res.status, 200);
    assert.equal(res.body.a.id, 'a');
    assert.equal(res.body.b.id, 'b');
    assert.deepEqual(res.body.rows, diffTypeRows(a.types, b.types));
    for (let i = 1; i < res.body.rows.length; i++) assert.ok(res.body.rows[i - 1].retainedSizeDelta >= res.body.rows[i].retainedSizeDelta);
    const leak = res.body.rows.find((r) => r.type === 'LeakwatchTestLeak');
    assert.equal(leak?.countDelta, LEAKS);
    assert.ok((leak?.retainedSizeDelta ?? 0) > 0);
    const types = new Set([...a.types, ...b.types].map((t) => t.type));
    assert.equal(res.body.rows.length, types.size, 'the union of both snapshots\' types');

    const unknown = await getJson<{ error: { code: string } }>(api(`${run}/diff?a=a&b=nope`));
    assert.equal(unknown.status, 404);
    const missing = await getJson<{ error: { code: string } }>(api(`${run}/diff?a=a`));
    assert.equal(missing.status, 400);
  } finally {
    await probe.close();
  }
  // Only ready snapshots can be diffed.
  const failedOne = await getJson<{ error: { code: string; message: string } }>(api(`bad-checksum/diff?a=snap-x&b=snap-x`));
  assert.equal(failedOne.status, 400);
  assert.match(failedOne.body.error.message, /snap-x is failed/);
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

test('upload connections need the token when the collector has one', { timeout: 30_000 }, async () => {
  const guarded = await startCollector({ ...collectorOptions(), token: 's3cret', snapshotDir: path.join(temp.dir, 'guarded') });
  try {
    const probe = await connectRawProbe(`${guarded.url.replace('http', 'ws')}/ingest`, 'guarded', 'guarded-boot', { authorization: 'Bearer s3cret' });
    await probe.waitForAck(probe.sendBatch(1));
    await probe.close();
    const denied = await uploadSnapshot(guarded.url, { run: 'guarded', snapshotId: 's', file: files.before });
    assert.equal(denied.code, 4401);
    const allowed = await uploadSnapshot(guarded.url, { run: 'guarded', snapshotId: 's', file: files.before, headers: { authorization: 'Bearer s3cret' } });
    assert.equal(allowed.stored, true);
  } finally {
    await guarded.close();
  }
});

test('a snapshot verified but not yet analysed when the collector stops is analysed on the next start', { timeout: 180_000 }, async () => {
  const run = 'restart';
  const stopping = await startCollector({ ...collectorOptions(), snapshotDir: path.join(temp.dir, 'restart') });
  let restarted: Collector | undefined;
  try {
    const probe = await connectRawProbe(`${stopping.url.replace('http', 'ws')}/ingest`, run);
    await probe.waitForAck(probe.sendBatch(1));
    await probe.close();
    const result = await uploadSnapshot(stopping.url, { run, snapshotId: 'r1', file: bigFile });
    assert.equal(result.stored, true);
    await stopping.close(); // the analysis of a large file is still running: it is stopped
    const verified = path.join(temp.dir, 'restart', '.tmp', run, 'r1.heapsnapshot');
    assert.ok(fs.existsSync(verified), 'the verified upload is kept');
    restarted = await startCollector({ ...collectorOptions(), snapshotDir: path.join(temp.dir, 'restart') });
    const done = await waitFor('the resumed analysis', async () => {
      const res = await getJson<{ snapshot: SnapshotRecord }>(`${restarted!.url}/api/runs/${run}/snapshots/r1`);
      return res.body.snapshot?.status === 'ready' ? res.body.snapshot : undefined;
    }, 170_000, 200);
    assert.equal(done.sha256, sha256Of(bigFile));
    assert.equal(fs.existsSync(verified), false);
    assert.ok(fs.existsSync(path.join(temp.dir, 'restart', run, 'r1.heapsnapshot.gz')));
  } finally {
    await stopping.close();
    await restarted?.close();
  }
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
