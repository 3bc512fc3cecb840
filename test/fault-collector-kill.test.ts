import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RunSummary } from '../src/shared/run-data';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { startCli, type CliProcess } from './helpers/cli';
import { apiAccount, assertDeliveryAudit, startAuditApp } from './helpers/probe-audit';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';
import { freePort } from './helpers/free-port';

const temp = makeTempDir('fault');
const processes: { kill: (s?: NodeJS.Signals) => void }[] = [];
after(() => {
  for (const p of processes) p.kill('SIGKILL');
  temp.remove();
});

function startCollect(port: number, data: string): CliProcess {
  const cli = startCli(['collect', '--port', String(port), '--data', data, '--log-level', 'warn']);
  processes.push(cli.child);
  return cli;
}

test('kill -9 of the collector loses nothing the probe measured: it buffers and resends after the restart (audited)', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const data = path.join(temp.dir, 'data');
  const base = `http://127.0.0.1:${port}`;
  let collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);

  // A real app process with the probe started in it, sampling every 200 ms, strict about rejections.
  const app = await startAuditApp({ collector: `ws://127.0.0.1:${port}/ingest`, interval: 200, runName: 'fault-app', allocSampling: false });
  processes.push(app.child);

  const runId = await waitFor('the app run to appear', async () => {
    const { body } = await getJson<{ runs: RunSummary[] }>(`${base}/api/runs`);
    const run = body.runs.find((r) => r.name === 'fault-app' && r.sampleCount >= 5);
    return run?.id;
  });

  collector.child.kill('SIGKILL');
  await collector.exited;
  await new Promise((resolve) => setTimeout(resolve, 2500)); // ~12 samples measured while nobody listens
  collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);

  const run = await waitFor('samples after the restart', async () => {
    const { body } = await getJson<{ run: RunSummary }>(`${base}/api/runs/${runId}`);
    return body.run.lastSampleAt !== null && body.run.lastSampleAt > Date.now() - 1000 && body.run.sampleCount >= 30 ? body.run : undefined;
  }, 30_000);
  assert.ok(run.sampleCount >= 30);

  // No hole: consecutive samples (every 200 ms) are never more than ~2 intervals apart,
  // including across the 2.5 s the collector was dead.
  const { body: series } = await getJson<{ t: number[] }>(`${base}/api/runs/${runId}/series?metrics=heapUsed&points=5000`);
  const gaps = series.t.slice(1).map((t, i) => t - series.t[i]);
  assert.ok(Math.max(...gaps) < 600, `largest gap between samples ${Math.max(...gaps)} ms`);
  assert.match(app.stderr(), /reconnected/, 'the probe said it reconnected');
  assert.doesNotMatch(app.stderr(), /Error|at .*\(/, 'no stack trace in the app');

  // The audit: what the probe measured is all stored, once; nothing had to be dropped.
  const sent = await app.stop();
  const stored = await apiAccount(base, runId, 200);
  assertDeliveryAudit(sent, stored);
  assert.equal(stored.gaps.length, 0);
  collector.child.kill('SIGINT');
  const exit = await collector.exited;
  assert.equal(exit.code, 0, `collector stops cleanly on SIGINT: ${collector.stderr()}`);
});

test('kill -9 of the collector mid snapshot upload: the snapshot ends failed with a reason, samples are all stored (audited)', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const data = path.join(temp.dir, 'data-upload');
  const base = `http://127.0.0.1:${port}`;
  let collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);
  // ~25 MB of small objects: a file of about 45 MB, whose upload takes long enough to interrupt.
  const app = await startAuditApp({ collector: `ws://127.0.0.1:${port}/ingest`, interval: 200, runName: 'fault-upload', allocSampling: false, snapshotHeadroomFactor: 0 }, { holdMb: 25 });
  processes.push(app.child);
  await waitFor('the app run to appear', async () => (await getJson<{ run: RunSummary }>(`${base}/api/runs/${app.runId}`)).status === 200, 30_000);

  const answer = await fetch(`${base}/api/runs/${app.runId}/snapshots`, { method: 'POST' });
  assert.equal(answer.status, 202);
  const { snapshot } = (await answer.json()) as { snapshot: SnapshotRecord };
  await waitFor('the upload to be under way', async () => {
    const { body } = await getJson<{ snapshots: SnapshotRecord[] }>(`${base}/api/runs/${app.runId}/snapshots`);
    const record = body.snapshots.find((s) => s.id === snapshot.id);
    return record?.status === 'uploading' && (record.progress?.done ?? 0) > 0;
  }, 60_000, 20);
  collector.child.kill('SIGKILL');
  await collector.exited;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);

  const failed = await waitFor('the interrupted snapshot to end failed', async () => {
    const { body } = await getJson<{ snapshots: SnapshotRecord[] }>(`${base}/api/runs/${app.runId}/snapshots`);
    const record = body.snapshots.find((s) => s.id === snapshot.id);
    return record?.status === 'failed' ? record : undefined;
  }, 60_000);
  assert.ok(failed.reason.length > 0, 'a failed snapshot says why');
  const before = (await getJson<{ run: RunSummary }>(`${base}/api/runs/${app.runId}`)).body.run.sampleCount;
  await waitFor('samples after the restart', async () => (await getJson<{ run: RunSummary }>(`${base}/api/runs/${app.runId}`)).body.run.sampleCount >= before + 5, 30_000);

  const sent = await app.stop();
  assert.equal(sent.snapshots.failed, 1, JSON.stringify(sent.snapshots));
  const stored = await apiAccount(base, app.runId, 200);
  assertDeliveryAudit(sent, stored);
  assert.doesNotMatch(app.stderr(), /\n\s+at /, 'no stack trace in the app');
  collector.child.kill('SIGINT');
  assert.equal((await collector.exited).code, 0, `collector stops cleanly on SIGINT: ${collector.stderr()}`);
});

test('kill -9 of the collector, down longer than the probe buffer holds: the missing samples equal the recorded gaps exactly', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const data = path.join(temp.dir, 'data-buffer');
  const base = `http://127.0.0.1:${port}`;
  let collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);
  // Ten messages of buffer at 5 samples a second: two seconds' worth, for a 4 s outage.
  const app = await startAuditApp({ collector: `ws://127.0.0.1:${port}/ingest`, interval: 200, runName: 'fault-buffer-kill', allocSampling: false, maxQueuedMessages: 10 });
  processes.push(app.child);
  const count = async () => {
    const { status, body } = await getJson<{ run: RunSummary }>(`${base}/api/runs/${app.runId}`);
    return status === 200 ? body.run.sampleCount : 0;
  };
  await waitFor('samples stored', async () => (await count()) >= 5, 30_000);

  // Killed with messages in flight: some stored, their acks never sent. The probe keeps those and
  // resends them (stored once), and drops only messages no collector ever had.
  collector.child.kill('SIGKILL');
  await collector.exited;
  await new Promise((resolve) => setTimeout(resolve, 4000));
  collector = startCollect(port, data);
  await collector.waitForLine(/listening on/);
  await waitFor('the probe to reconnect', () => /reconnected/.test(app.stderr()), 30_000);
  const before = await count();
  await waitFor('samples after the restart', async () => (await count()) >= before + 5, 30_000);

  const sent = await app.stop();
  const stored = await apiAccount(base, app.runId, 200);
  assertDeliveryAudit(sent, stored);
  assert.ok(stored.gapSamples >= 5, `a 4 s outage with a 2 s buffer loses samples: ${stored.gapSamples}`);
  collector.child.kill('SIGINT');
  assert.equal((await collector.exited).code, 0, `collector stops cleanly on SIGINT: ${collector.stderr()}`);
});
