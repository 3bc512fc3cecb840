import assert from 'node:assert/strict';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createProbe } from '../src/probe';
import { SNAPSHOT_CHUNK_BYTES } from '../src/protocol';
import { resolveProbeConfig } from '../src/shared/probe-config';
import type { SnapshotterStats } from '../src/probe/snapshotter';
import { UPLOAD_HIGH_WATER_BYTES } from '../src/probe/snapshot-upload';
import { startStandInCollector, type StandInCollector, type StandInOptions } from './helpers/snapshot-collector';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';

const register = path.resolve(__dirname, '..', 'src', 'probe', 'register.js');
const appScript = path.join(__dirname, 'helpers', 'snapshot-app.js');
const SNAPSHOT_HEAD = '{"snapshot":{"meta":';

interface AppStats {
  type: 'stats';
  beats: number;
  rss: number;
  probe: { connected: boolean; queued: number; snapshots: SnapshotterStats } | null;
}

interface Harness {
  collector: StandInCollector;
  child: ChildProcess;
  dir: string;
  stats(): Promise<AppStats>;
  ask<T>(message: object, answer: string): Promise<T>;
  stderr(): string;
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A stand-in collector, and the test app in a child process with the probe attached by env. */
async function start(env: Record<string, string>, collectorOptions: StandInOptions = {}, execArgv: string[] = []): Promise<Harness> {
  const collector = await startStandInCollector(collectorOptions);
  const temp = makeTempDir('probe-snapshot');
  let stderr = '';
  const child = fork(appScript, [], {
    execArgv: [...execArgv, '-r', register],
    env: { ...process.env, LEAKWATCH_COLLECTOR: collector.url, LEAKWATCH_INTERVAL: '200ms', LEAKWATCH_SNAPSHOT_DIR: temp.dir, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await collector.close();
    temp.remove();
  });
  const ask = <T>(message: object, answer: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${answer}" from the app`)), 60_000);
      const onMessage = (msg: { type: string }): void => {
        if (msg.type !== answer) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg as T);
      };
      child.on('message', onMessage);
      child.send(message);
    });
  await new Promise((resolve) => child.once('message', resolve));
  await waitFor('the probe hello', () => collector.messages.some((m) => m.type === 'hello'));
  return { collector, child, dir: temp.dir, stats: () => ask<AppStats>({ type: 'stats' }, 'stats'), ask, stderr: () => stderr };
}

async function stop(h: Harness): Promise<void> {
  h.child.kill('SIGKILL');
  await h.collector.close();
}

function dirEntries(dir: string): string[] {
  return fs.readdirSync(dir);
}

test('a snapshot-request: capturing status, then the whole file in chunks of at most 1 MiB, checksummed, and the temp file deleted', async () => {
  const h = await start({ LEAKWATCH_TOKEN: 'tok-1' }, { keepBytes: true });
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
    await stop(h);
  }
});

test('a request while a snapshot is in flight is answered busy with the in-flight id, not queued', async () => {
  const h = await start({}, { autoStore: false });
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
    await stop(h);
  }
});

test('the headroom guard refuses with a reason and LW_ERR_SNAPSHOT_REFUSED, and writes nothing', async () => {
  // A factor of a billion on the estimate: no machine has that much room, V8 is not faked.
  const h = await start({ LEAKWATCH_SNAPSHOT_HEADROOM_FACTOR: '1e9' });
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
    await stop(h);
  }
});

test('scheduled snapshots fire on their interval', async () => {
  const h = await start({ LEAKWATCH_SNAPSHOT_EVERY: '1s' });
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
    await stop(h);
  }
});

test('the growth trigger fires when the heap floor grew by the share since the last snapshot', async () => {
  // Full GCs every 100 ms give the probe a heap floor on every tick.
  // A base heap of 8 MB so that the floor's own wobble (the probe, ws, timers) stays far below 50 %.
  const h = await start(
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
    await stop(h);
  }
});

test('the near-limit trigger fires once when heap used reaches the share of the heap limit', async () => {
  const h = await start({ LEAKWATCH_SNAPSHOT_NEAR_LIMIT: '0.2', LEAKWATCH_SNAPSHOT_MIN_GAP: '0' }, {}, ['--max-old-space-size=64']);
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
    await stop(h);
  }
});

test('a collector that stops reading holds the upload at the high-water mark; it completes when reading resumes', async () => {
  // About 10 MB of small objects: a snapshot of ~20 MB, several times what the socket may buffer.
  const h = await start({ APP_HEAP_MB: '10' }, {
    keepBytes: false,
    onUpload: (upload) => (upload.socket as unknown as { _socket: { pause(): void } })._socket.pause(),
  });
  try {
    h.collector.request('slow');
    const stalled = await waitFor('the upload to stall', async () => {
      const first = (await h.stats()).probe!.snapshots;
      if (first.phase !== 'uploading' || first.upload.bytesSent === 0) return undefined;
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = (await h.stats()).probe!.snapshots;
      return second.upload.bytesSent === first.upload.bytesSent ? second : undefined;
    }, 60_000);
    const { upload } = stalled;
    assert.ok(upload.bytesTotal > 3 * (UPLOAD_HIGH_WATER_BYTES + SNAPSHOT_CHUNK_BYTES), `a ${upload.bytesTotal}-byte snapshot is large enough to show backpressure`);
    assert.ok(upload.bytesSent < upload.bytesTotal / 2, `stalled after ${upload.bytesSent} of ${upload.bytesTotal} bytes`);
    // What the app holds: never more than the high-water mark plus the chunk that crossed it.
    assert.ok(upload.maxBufferedBytes <= UPLOAD_HIGH_WATER_BYTES + SNAPSHOT_CHUNK_BYTES + 1024, `buffered up to ${upload.maxBufferedBytes}`);
    assert.equal(h.collector.uploads[0]!.bytes, 0, 'the collector has read nothing');

    // Nothing on disk while it waits: the file was unlinked once open, the descriptor holds it.
    assert.deepEqual(dirEntries(h.dir), []);
    const seen = h.collector.uploads[0]!;
    (seen.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor('the stored upload', () => seen.stored, 60_000);
    assert.equal(seen.bytes, seen.end!.size);
    assert.equal(seen.sha256, seen.end!.sha256);
    assert.ok(seen.frameSizes.every((n) => n <= SNAPSHOT_CHUNK_BYTES));
    await waitFor('the temp file deleted', () => dirEntries(h.dir).length === 0);
  } finally {
    await stop(h);
  }
});

test('the collector cutting the upload: failed status, temp file deleted, the app keeps running', async () => {
  const h = await start({}, {
    onChunk: (upload) => {
      if (upload.frameSizes.length === 1) upload.socket.terminate();
    },
  });
  try {
    h.collector.request('cut');
    const failed = await waitFor('the failed status', () => h.collector.statuses().find((s) => s.state === 'failed'), 60_000);
    assert.equal(failed.requestId, 'cut');
    assert.equal(failed.errorCode, 'LW_ERR_SNAPSHOT_UPLOAD');
    assert.equal(failed.snapshotId, h.collector.statuses()[0]!.snapshotId);
    assert.match(failed.reason, /closed|failed/);
    await waitFor('the temp file deleted', () => dirEntries(h.dir).length === 0);
    // `failed` is reported from the upload's catch; the phase goes back to idle once the file is
    // closed, a moment later (on a loaded machine, after the status and the unlink were seen).
    const before = await waitFor('the probe idle again', async () => {
      const stats = await h.stats();
      return stats.probe?.snapshots.phase === 'idle' ? stats : undefined;
    });
    assert.equal(before.probe!.snapshots.failed, 1);
    // The app goes on beating and the probe goes on sampling.
    const batches = h.collector.messages.filter((m) => m.type === 'batch').length;
    await waitFor('the app beating on', async () => (await h.stats()).beats > before.beats + 5);
    await waitFor('more batches', () => h.collector.messages.filter((m) => m.type === 'batch').length > batches + 2);
    assert.equal(h.child.exitCode, null);
  } finally {
    await stop(h);
  }
});

test('stopping the probe mid-upload aborts it, reports failed before bye, and deletes the temp file', async () => {
  const h = await start({ APP_HEAP_MB: '6' }, {
    onUpload: (upload) => (upload.socket as unknown as { _socket: { pause(): void } })._socket.pause(),
  });
  try {
    h.collector.request('stop-me');
    await waitFor('the upload under way', async () => {
      const s = (await h.stats()).probe!.snapshots;
      return s.phase === 'uploading' && s.upload.bytesSent > 0;
    }, 60_000);
    await h.ask({ type: 'stop-probe' }, 'probe-stopped');
    assert.deepEqual(dirEntries(h.dir), []);
    await waitFor('the bye', () => h.collector.messages.some((m) => m.type === 'bye'));
    const failed = h.collector.statuses().find((s) => s.state === 'failed');
    assert.ok(failed, 'a failed status');
    assert.equal(failed.errorCode, 'LW_ERR_SNAPSHOT_UPLOAD');
    assert.match(failed.reason, /probe stopped/);
    const messages = h.collector.messages;
    const failedAt = messages.findIndex((m) => m.type === 'snapshot-status' && m.state === 'failed');
    assert.ok(failedAt < messages.findIndex((m) => m.type === 'bye'), 'failed goes out before bye');
    const seen = h.collector.uploads[0]!;
    (seen.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor('the upload socket closed', () => seen.closed);
    assert.equal(seen.stored, false);
    assert.equal(h.child.exitCode, null, 'the app runs on without the probe');
  } finally {
    await stop(h);
  }
});

test('in process: an injected memory reader drives the refusal (container limit named in the reason)', async () => {
  const collector = await startStandInCollector();
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

test('in process: an upload that makes no progress fails after the stall timeout and deletes its file', async () => {
  const collector = await startStandInCollector({
    onUpload: (upload) => (upload.socket as unknown as { _socket: { pause(): void } })._socket.pause(),
  });
  const temp = makeTempDir('probe-snapshot-stall');
  // Hold ~8 MB so the snapshot is larger than what the socket buffers can absorb.
  const ballast = Array.from({ length: 100_000 }, (_, i) => ({ i, s: `ballast-${i}`, a: [i] }));
  const probe = createProbe(resolveProbeConfig({ collector: collector.url, interval: 200, snapshotDir: temp.dir }), () => {}, {
    snapshot: { upload: { stallTimeoutMs: 500 } },
  });
  try {
    await waitFor('the probe connected', () => probe.stats().connected);
    collector.request('stall');
    const failed = await waitFor('the failed status', () => collector.statuses().find((s) => s.state === 'failed'), 60_000);
    assert.equal(failed.errorCode, 'LW_ERR_SNAPSHOT_UPLOAD');
    assert.match(failed.reason, /no progress for 500 ms/);
    await waitFor('the temp file deleted', () => dirEntries(temp.dir).length === 0);
    assert.equal(probe.stats().snapshots.phase, 'idle');
    assert.ok(ballast.length > 0);
  } finally {
    await probe.stop(1000);
    await collector.close();
    temp.remove();
  }
});

test('an app killed mid-upload leaves no file; a dead process\'s partial file is removed by the next snapshot, a live one\'s is kept', async () => {
  const h = await start({ APP_HEAP_MB: '6' }, {
    onUpload: (upload) => (upload.socket as unknown as { _socket: { pause(): void } })._socket.pause(),
  });
  try {
    h.collector.request('doomed');
    await waitFor('the upload under way', async () => {
      const s = (await h.stats()).probe!.snapshots;
      return s.phase === 'uploading' && s.upload.bytesSent > 0;
    }, 60_000);
    // SIGTERM with no handler in the app: the kernel ends it, no JS runs.
    const exited = new Promise((resolve) => h.child.once('exit', resolve));
    h.child.kill('SIGTERM');
    await exited;
    assert.deepEqual(dirEntries(h.dir), []);
  } finally {
    await stop(h);
  }

  // What a process killed while V8 was writing leaves behind, next to a live process's file.
  const deadPid = await new Promise<number>((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', '0'], (err) => (err ? reject(err) : resolve(child.pid!)));
  });
  const next = await start({});
  try {
    const stale = `leakwatch-${deadPid}-00000000-dead.heapsnapshot`;
    const live = `leakwatch-${process.pid}-00000000-live.heapsnapshot`;
    const other = 'leakwatch-not-a-snapshot.txt';
    for (const name of [stale, live, other]) fs.writeFileSync(path.join(next.dir, name), '{"snapshot":{"meta":');
    next.collector.request('after');
    await waitFor('the stored upload', () => next.collector.uploads.find((u) => u.stored), 60_000);
    await waitFor('the probe idle', async () => (await next.stats()).probe!.snapshots.phase === 'idle');
    assert.deepEqual(dirEntries(next.dir).sort(), [live, other].sort());
  } finally {
    await stop(next);
  }
});
