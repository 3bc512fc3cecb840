import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { createProbe } from '../src/probe';
import { SNAPSHOT_CHUNK_BYTES } from '../src/protocol';
import { resolveProbeConfig } from '../src/shared/probe-config';
import { createStandInCollector } from '../support/stand-in-collector';
import { cleanUpSnapshotApps, dirEntries, startSnapshotApp, stopSnapshotApp } from './helpers/snapshot-app-harness';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';

// Requests, answers and triggers; what happens to an upload under way is probe-snapshot-upload.test.ts.
const SNAPSHOT_HEAD = '{"snapshot":{"meta":';

after(cleanUpSnapshotApps);

test('a snapshot-request: capturing status, then the whole file in chunks of at most 1 MiB, checksummed, and the temp file deleted', async () => {
  const h = await startSnapshotApp({ LEAKWATCH_TOKEN: 'tok-1' }, { mode: 'keep-uploads' });
  try {
    h.collector.request('req-1');
    const upload = await waitFor('the stored upload', () => h.collector.uploads.find((u) => u.stored), 60_000);
    const statuses = h.collector.statuses();
    assert.equal(statuses.length, 1);
    const capturing = statuses[0]!;
    assert.equal(capturing.state, 'capturing');
    assert.equal(capturing.requestId, 'req-1');
    assert.equal(capturing.trigger, 'manual');
    assert.match(capturing.snapshotId, /^[A-Za-z0-9_.-]{1,64}$/);
    assert.ok(capturing.heapUsed > 0 && capturing.estimatedBytes > capturing.heapUsed && capturing.availableBytes > 0);
    assert.ok(capturing.order < upload.order, 'the capturing status arrives before the upload opens');

    // The upload connection names the run, boot and snapshot, and presents the ingest token.
    const hello = h.collector.messages.find((m) => m.type === 'hello')!;
    assert.equal(upload.headers.authorization, 'Bearer tok-1');
    assert.equal(upload.url.searchParams.get('run'), hello.run);
    assert.equal(upload.url.searchParams.get('boot'), hello.boot);
    assert.equal(upload.url.searchParams.get('snapshot'), capturing.snapshotId);
    const begin = upload.begin!;
    const end = upload.end!;
    assert.equal(begin.snapshotId, capturing.snapshotId);
    assert.equal(begin.trigger, 'manual');
    assert.ok(begin.captureMs > 0);

    // Frames: all binary ones between begin and end, none above 1 MiB, counted and checksummed.
    assert.equal(upload.misplaced, 0);
    assert.ok(upload.frameSizes.length >= 2, 'a real heap is more than one chunk');
    assert.ok(upload.frameSizes.every((n) => n > 0 && n <= SNAPSHOT_CHUNK_BYTES), `frame sizes ${upload.frameSizes.join(',')}`);
    assert.equal(end.chunks, upload.frameSizes.length);
    assert.equal(end.size, begin.size);
    assert.equal(upload.bytes, end.size);
    assert.equal(upload.sha256, end.sha256);

    // The content is the V8 snapshot itself.
    const file = Buffer.concat(upload.chunks);
    assert.equal(file.length, end.size);
    assert.equal(file.subarray(0, SNAPSHOT_HEAD.length).toString(), SNAPSHOT_HEAD);
    assert.equal(createHash('sha256').update(file).digest('hex'), end.sha256);
    const head = file.subarray(0, file.indexOf('"nodes":')).toString().trimEnd().replace(/,$/, '');
    const meta = JSON.parse(`${head}}`) as { snapshot: { node_count: number } };
    assert.ok(meta.snapshot.node_count > 1000);

    await waitFor('the temp file deleted', () => dirEntries(h.dir).length === 0);
    await waitFor('the probe idle and counting the snapshot', async () => {
      const s = (await h.stats()).probe!.snapshots;
      return s.phase === 'idle' && s.taken === 1 && s.inFlight === null;
    });
    // The status went through the seq'd queue: acknowledged like a batch.
    await waitFor('every message acked', async () => (await h.stats()).probe!.queued === 0);
    assert.equal(h.collector.uploads.length, 1);
  } finally {
    await stopSnapshotApp(h);
  }
});

test('a request while a snapshot is in flight is answered busy with the in-flight id, not queued', async () => {
  const h = await startSnapshotApp({}, { autoStore: false });
  try {
    h.collector.request('first');
    const upload = await waitFor('the whole upload, not yet stored', () => h.collector.uploads.find((u) => u.end), 60_000);
    h.collector.request('second');
    const busy = await waitFor('the busy answer', () => h.collector.statuses().find((s) => s.state === 'busy'));
    const capturing = h.collector.statuses().find((s) => s.state === 'capturing')!;
    assert.equal(capturing.requestId, 'first');
    assert.equal(busy.requestId, 'second');
    assert.equal(busy.snapshotId, capturing.snapshotId);
    assert.equal(busy.snapshotId, upload.begin!.snapshotId);
    assert.equal(busy.trigger, capturing.trigger, 'the trigger of the snapshot named');
    assert.equal(busy.errorCode, 'LW_ERR_SNAPSHOT_BUSY');
    assert.match(busy.reason, /in flight/);
    h.collector.store(upload);
    await waitFor('the probe idle', async () => (await h.stats()).probe!.snapshots.phase === 'idle');
    assert.equal(h.collector.uploads.length, 1, 'the second request did not start another snapshot');
    assert.equal(h.collector.statuses().filter((s) => s.state === 'capturing').length, 1);
  } finally {
    await stopSnapshotApp(h);
  }
});

test('the headroom guard refuses with a reason and LW_ERR_SNAPSHOT_REFUSED, and writes nothing', async () => {
  // A factor of a billion on the estimate: no machine has that much room, V8 is not faked.
  const h = await startSnapshotApp({ LEAKWATCH_SNAPSHOT_HEADROOM_FACTOR: '1e9' });
  try {
    h.collector.request('too-big');
    const refused = await waitFor('the refusal', () => h.collector.statuses().find((s) => s.state === 'refused'));
    assert.equal(refused.requestId, 'too-big');
    assert.equal(refused.errorCode, 'LW_ERR_SNAPSHOT_REFUSED');
    assert.match(refused.reason, /needs about \d+ MB of extra memory, but only \d+ MB is available/);
    assert.ok(refused.estimatedBytes > refused.availableBytes);
    const s = await waitFor('the probe idle', async () => {
      const stats = (await h.stats()).probe!.snapshots;
      return stats.phase === 'idle' ? stats : undefined;
    });
    assert.equal(s.refused, 1);
    assert.equal(s.taken, 0);
    assert.equal(h.collector.uploads.length, 0);
    assert.deepEqual(dirEntries(h.dir), []);
    assert.equal(h.collector.statuses().length, 1, 'no capturing status');
    assert.match(h.stderr(), /heap snapshot refused/);
  } finally {
    await stopSnapshotApp(h);
  }
});

test('scheduled snapshots fire on their interval', async () => {
  const h = await startSnapshotApp({ LEAKWATCH_SNAPSHOT_EVERY: '1s' });
  try {
    await waitFor('two stored scheduled snapshots', () => h.collector.uploads.filter((u) => u.stored).length >= 2, 60_000);
    const capturing = h.collector.statuses().filter((s) => s.state === 'capturing');
    assert.ok(capturing.length >= 2);
    for (const s of capturing) {
      assert.equal(s.trigger, 'schedule');
      assert.equal(s.requestId, '');
    }
    assert.notEqual(capturing[0]!.snapshotId, capturing[1]!.snapshotId);
    assert.ok(capturing[1]!.at - capturing[0]!.at >= 1000, 'one interval apart at least');
    assert.equal(h.collector.uploads[0]!.begin!.trigger, 'schedule');
  } finally {
    await stopSnapshotApp(h);
  }
});

test('the growth trigger fires when the heap floor grew by the share since the last snapshot', async () => {
  // Full GCs every 100 ms give the probe a heap floor on every tick.
  // A base heap of 8 MB so that the floor's own wobble (the probe, ws, timers) stays far below 50 %.
  const h = await startSnapshotApp(
    { LEAKWATCH_SNAPSHOT_ON_GROWTH: '50%', LEAKWATCH_SNAPSHOT_MIN_GAP: '0', APP_HEAP_MB: '8', APP_GC_EVERY_BEATS: '2' },
    {},
    ['--expose-gc'],
  );
  try {
    // Several ticks with a steady floor: nothing fires.
    const beatsBefore = (await h.stats()).beats;
    await waitFor('a few ticks', async () => (await h.stats()).beats >= beatsBefore + 20);
    assert.equal(h.collector.statuses().length, 0);
    const { heapUsed } = await h.ask<{ heapUsed: number }>({ type: 'grow', mb: 12 }, 'grown');
    assert.ok(heapUsed > 12 * 1024 * 1024);
    const growth = await waitFor('a growth snapshot', () => h.collector.statuses().find((s) => s.state === 'capturing'), 30_000);
    assert.equal(growth.trigger, 'growth');
    assert.equal(growth.requestId, '');
    await waitFor('it stored', () => h.collector.uploads.find((u) => u.stored), 60_000);
    await waitFor('the probe idle', async () => (await h.stats()).probe!.snapshots.phase === 'idle');
    // The floor at that snapshot is the new baseline: steady heap, no second one.
    const beatsAfter = (await h.stats()).beats;
    await waitFor('more ticks', async () => (await h.stats()).beats >= beatsAfter + 20);
    assert.equal(h.collector.statuses().filter((s) => s.state === 'capturing').length, 1);
  } finally {
    await stopSnapshotApp(h);
  }
});

test('the near-limit trigger fires once when heap used reaches the share of the heap limit', async () => {
  const h = await startSnapshotApp({ LEAKWATCH_SNAPSHOT_NEAR_LIMIT: '0.2', LEAKWATCH_SNAPSHOT_MIN_GAP: '0' }, {}, ['--max-old-space-size=64']);
  try {
    await h.ask({ type: 'grow', mb: 30 }, 'grown');
    const near = await waitFor('a near-limit snapshot', () => h.collector.statuses().find((s) => s.state === 'capturing'), 30_000);
    assert.equal(near.trigger, 'near-limit');
    await waitFor('it stored', () => h.collector.uploads.find((u) => u.stored), 60_000);
    // Still above the threshold: it does not fire again until the heap has dropped back.
    const beats = (await h.stats()).beats;
    await waitFor('more ticks', async () => (await h.stats()).beats >= beats + 20);
    assert.equal(h.collector.statuses().filter((s) => s.state === 'capturing').length, 1);
  } finally {
    await stopSnapshotApp(h);
  }
});

test('in process: an injected memory reader drives the refusal (container limit named in the reason)', async () => {
  const collector = await createStandInCollector();
  const temp = makeTempDir('probe-snapshot-inproc');
  const notices: string[] = [];
  const probe = createProbe(resolveProbeConfig({ collector: collector.url, interval: 200, snapshotDir: temp.dir }), (l) => notices.push(l), {
    snapshot: { headroom: { readMemoryRoom: async () => ({ availableBytes: 64 * 1024 * 1024, systemBytes: 1e12, containerBytes: 64 * 1024 * 1024, limitedBy: 'container' }) } },
  });
  try {
    await waitFor('the probe connected', () => probe.stats().connected);
    collector.request('tight');
    const refused = await waitFor('the refusal', () => collector.statuses().find((s) => s.state === 'refused'));
    assert.equal(refused.availableBytes, 64 * 1024 * 1024);
    assert.match(refused.reason, /only 64 MB is available under the container memory limit$/);
    assert.deepEqual(dirEntries(temp.dir), []);
    assert.ok(notices.some((l) => l.includes('heap snapshot refused')));
  } finally {
    await probe.stop(1000);
    await collector.close();
    temp.remove();
  }
});
