import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { startCollector, type Collector } from '../src/collector/collector';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { useSnapshotCollector } from './helpers/collector-snapshots';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe } from './helpers/raw-probe';
import { sha256Of, uploadSnapshot } from './helpers/snapshot-upload-client';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The collector's snapshot analysis: in a worker thread (ingest keeps being acked meanwhile),
 * one at a time, and resumed after a restart. How these tests drive the real collector:
 * helpers/collector-snapshots.ts.
 */

/** A larger snapshot, so an analysis lasts long enough to send batches during it. */
let bigFile: string;
const fx = useSnapshotCollector('collector-snapshot-analysis');
const { ingestUrl, api, waitForStatus, watchLive, captureAndUpload } = fx;

before(async () => {
  bigFile = (await writeGrowingSnapshots(fx.temp.dir, 300_000, 'big')).after;
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
    // Another process of the run announces the snapshot (the sender holds its own boot).
    const announcer = await connectRawProbe(ingestUrl(), run, 'announcer');
    await announcer.waitForAck(announcer.sendStatus({ state: 'capturing', snapshotId: 'big-1' }));
    await announcer.close();
    const result = await uploadSnapshot(fx.collector.url, { run, boot: announcer.boot, snapshotId: 'big-1', file: bigFile });
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

test('a snapshot verified but not yet analysed when the collector stops is analysed on the next start', { timeout: 180_000 }, async () => {
  const run = 'restart';
  const stopping = await startCollector({ ...fx.options(), snapshotDir: path.join(fx.temp.dir, 'restart') });
  let restarted: Collector | undefined;
  try {
    const probe = await connectRawProbe(`${stopping.url.replace('http', 'ws')}/ingest`, run);
    await probe.waitForAck(probe.sendBatch(1));
    await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: 'r1' }));
    await probe.close();
    const result = await uploadSnapshot(stopping.url, { run, boot: probe.boot, snapshotId: 'r1', file: bigFile });
    assert.equal(result.stored, true);
    await stopping.close(); // the analysis of a large file is still running: it is stopped
    const verified = path.join(fx.temp.dir, 'restart', '.tmp', run, 'r1.heapsnapshot');
    assert.ok(fs.existsSync(verified), 'the verified upload is kept');
    restarted = await startCollector({ ...fx.options(), snapshotDir: path.join(fx.temp.dir, 'restart') });
    const done = await waitFor('the resumed analysis', async () => {
      const res = await getJson<{ snapshot: SnapshotRecord }>(`${restarted!.url}/api/runs/${run}/snapshots/r1`);
      return res.body.snapshot?.status === 'ready' ? res.body.snapshot : undefined;
    }, 170_000, 200);
    assert.equal(done.sha256, sha256Of(bigFile));
    assert.equal(fs.existsSync(verified), false);
    assert.ok(fs.existsSync(path.join(fx.temp.dir, 'restart', run, 'r1.heapsnapshot.gz')));
  } finally {
    await stopping.close();
    await restarted?.close();
  }
});
