import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { createProbe } from '../src/probe';
import { SNAPSHOT_CHUNK_BYTES } from '../src/protocol';
import { resolveProbeConfig } from '../src/shared/probe-config';
import { UPLOAD_HIGH_WATER_BYTES } from '../src/probe/snapshot-upload';
import { createStandInCollector } from '../support/stand-in-collector';
import { cleanUpSnapshotApps, dirEntries, startSnapshotApp, stopSnapshotApp } from './helpers/snapshot-app-harness';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';

// An upload under way: backpressure, a collector that cuts it, a probe stopped or an app killed mid-upload.

after(cleanUpSnapshotApps);

test('a collector that stops reading holds the upload at the high-water mark; it completes when reading resumes', async () => {
  // About 10 MB of small objects: a snapshot of ~20 MB, several times what the socket may buffer.
  const h = await startSnapshotApp({ APP_HEAP_MB: '10' }, {
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
    await stopSnapshotApp(h);
  }
});

test('the collector cutting the upload: failed status, temp file deleted, the app keeps running', async () => {
  const h = await startSnapshotApp({}, {
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
    await stopSnapshotApp(h);
  }
});

test('stopping the probe mid-upload aborts it, reports failed before bye, and deletes the temp file', async () => {
  const h = await startSnapshotApp({ APP_HEAP_MB: '6' }, {
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
    await stopSnapshotApp(h);
  }
});

test('in process: an upload that makes no progress fails after the stall timeout and deletes its file', async () => {
  const collector = await createStandInCollector({
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
  const h = await startSnapshotApp({ APP_HEAP_MB: '6' }, {
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
    await stopSnapshotApp(h);
  }

  // What a process killed while V8 was writing leaves behind, next to a live process's file.
  const deadPid = await new Promise<number>((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', '0'], (err) => (err ? reject(err) : resolve(child.pid!)));
  });
  const next = await startSnapshotApp({});
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
    await stopSnapshotApp(next);
  }
});
