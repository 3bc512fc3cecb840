import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCollector, type Collector } from '../src/collector/collector';
import { createProbe } from '../src/probe';
import { createLogger } from '../src/shared/log';
import { resolveProbeConfig } from '../src/shared/probe-config';
import type { RunSummary } from '../src/shared/run-data';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

const temp = makeTempDir('collector');
let store: Store;
let collector: Collector;
/** Switch for the fault test: while set, inserts fail as if ClickHouse were down. */
let failInserts = false;
/** When set, the next insert fails after this many ms (a slow failure, with more data queued behind it). */
let failNextInsertAfterMs: number | undefined;

before(async () => {
  const real = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  // The real store with one injectable fault: inserts can be made to fail for a while.
  store = Object.create(real, {
    insertRows: {
      value: (batch: Parameters<Store['insertRows']>[0]) => {
        if (failNextInsertAfterMs !== undefined) {
          const delay = failNextInsertAfterMs;
          failNextInsertAfterMs = undefined;
          return new Promise((_, reject) => setTimeout(() => reject(new Error('injected: slow failure')), delay));
        }
        return failInserts ? Promise.reject(new Error('injected: ClickHouse unavailable')) : real.insertRows(batch);
      },
    },
  }) as Store;
  collector = await startCollector({ store, port: 0, log: createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent'), flushIntervalMs: 200 });
});

after(async () => {
  await collector.close();
  await store.close();
  temp.remove();
});

function ingestUrl(): string {
  return `${collector.url.replace('http', 'ws')}/ingest`;
}

/** Opens a raw ws to /ingest, sends frames and resolves with the close code and reason. */
function sendRaw(frames: (string | Buffer)[], headers: Record<string, string> = {}, url = ingestUrl()): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      for (const f of frames) ws.send(f, { binary: Buffer.isBuffer(f) });
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

const ids = { run: 'raw-run', boot: 'raw-boot' };
const hello = JSON.stringify({ v: 1, type: 'hello', seq: 0, ...ids, name: 'raw', labels: {}, pid: 1, host: 'h', node: 'v20', argv: [], startedAt: Date.now(), intervalMs: 1000, probeVersion: 'x' });

async function runOf(runId: string): Promise<RunSummary | undefined> {
  const res = await getJson<{ run: RunSummary }>(`${collector.url}/api/runs/${runId}`);
  return res.status === 200 ? res.body.run : undefined;
}

test('bad input gets its own close code and reason while a real probe keeps being served', { timeout: 60_000 }, async () => {
  const probe = createProbe(resolveProbeConfig({ collector: ingestUrl(), interval: 100, runName: 'good-probe' }), () => {});
  try {
    await waitFor('the good probe to store samples', async () => ((await runOf(probe.runId))?.sampleCount ?? 0) >= 3);

    const cases: [string, (string | Buffer)[], number, RegExp][] = [
      ['non-JSON frame', ['this is not json'], 4400, /^LW_ERR_PROTOCOL_JSON: /],
      ['binary frame', [Buffer.from([1, 2, 3])], 4400, /^LW_ERR_PROTOCOL_JSON: binary/],
      ['unknown message type', [JSON.stringify({ v: 1, type: 'reboot', seq: 1, ...ids })], 4403, /^LW_ERR_PROTOCOL_TYPE: unknown message type "reboot"/],
      ['wrong protocol version', [JSON.stringify({ v: 99, type: 'hello', seq: 0, ...ids })], 4402, /^LW_ERR_PROTOCOL_VERSION: unsupported protocol version 99/],
      ['samples before hello', [JSON.stringify({ v: 1, type: 'batch', seq: 1, ...ids, samples: [], spaces: [], gcs: [] })], 4404, /^LW_ERR_PROTOCOL_ORDER: batch before hello/],
      ['invalid sample after hello', [hello, JSON.stringify({ v: 1, type: 'batch', seq: 1, ...ids, samples: [{ ts: 'now' }], spaces: [], gcs: [] })], 4405, /^LW_ERR_PROTOCOL_INVALID: samples\[0\]\.ts/],
    ];
    for (const [what, frames, code, reason] of cases) {
      const closed = await sendRaw(frames);
      assert.equal(closed.code, code, what);
      assert.match(closed.reason, reason, what);
    }
    const frameTooBig = await sendRaw(['x'.repeat(2 * 1024 * 1024)]);
    assert.equal(frameTooBig.code, 4413, 'an oversized frame is closed with LW_ERR_PROTOCOL_TOO_BIG');
    assert.match(frameTooBig.reason, /^LW_ERR_PROTOCOL_TOO_BIG: frame larger than/);

    // The good probe was never disturbed: it is still connected and its samples keep arriving.
    const before = (await runOf(probe.runId))!.sampleCount;
    await waitFor('more samples from the good probe', async () => ((await runOf(probe.runId))?.sampleCount ?? 0) > before + 2);
    assert.equal(probe.stats().connected, true);
    // And a new probe can still connect.
    const second = createProbe(resolveProbeConfig({ collector: ingestUrl(), interval: 100 }), () => {});
    await waitFor('the second probe to be stored', async () => ((await runOf(second.runId))?.sampleCount ?? 0) >= 1);
    await second.stop(2000);
  } finally {
    await probe.stop(2000);
  }
});

test('a stopped probe ends its run; a managed one leaves that to its launcher', { timeout: 30_000 }, async () => {
  const own = createProbe(resolveProbeConfig({ collector: ingestUrl(), interval: 100 }), () => {});
  const managed = createProbe(resolveProbeConfig({ collector: ingestUrl(), interval: 100, managed: true }), () => {});
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal((await own.stop(3000)).flushed, true);
  assert.equal((await managed.stop(3000)).flushed, true);
  assert.equal((await runOf(own.runId))?.status, 'ended');
  assert.equal((await runOf(managed.runId))?.status, 'live');
  const res = await fetch(`${collector.url}/api/runs/${managed.runId}/end`, { method: 'POST', body: JSON.stringify({ exitCode: 0 }) });
  assert.equal(res.status, 200);
  assert.equal((await runOf(managed.runId))?.status, 'ended');
});

test('when the store fails nothing is acked, the probe resends, and no sample is lost or doubled', { timeout: 60_000 }, async () => {
  const notices: string[] = [];
  const probe = createProbe(resolveProbeConfig({ collector: ingestUrl(), interval: 100 }), (l) => notices.push(l));
  try {
    await waitFor('first samples', async () => ((await runOf(probe.runId))?.sampleCount ?? 0) >= 2);
    failInserts = true;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.ok(probe.stats().queued > 0, 'unacked messages stay queued in the probe');
    failInserts = false;
    const { flushed } = await probe.stop(15_000);
    assert.equal(flushed, true, 'everything acked in the end');
    const stats = probe.stats();
    assert.equal(stats.droppedMessages, 0);
    // Each batch holds exactly one sample; seqs 1..N-1 were batches, N was bye.
    const run = await runOf(probe.runId);
    const series = await getJson<{ t: number[] }>(`${collector.url}/api/runs/${probe.runId}/series?metrics=heapUsed&points=5000`);
    assert.ok(run);
    assert.equal(run.sampleCount, series.body.t.length, 'one bucket per sample at this resolution');
    // Every batch carried one sample; the other messages were the allocation profiles, the lineage and the bye.
    const lineage = await getJson<{ boots: unknown[] }>(`${collector.url}/api/runs/${probe.runId}/lineage`);
    assert.equal(lineage.body.boots.length, 1, 'the lineage stored once');
    assert.equal(run.sampleCount, stats.lastSeq - 1 - stats.alloc.profiles - lineage.body.boots.length, 'every sample stored exactly once');
  } finally {
    failInserts = false;
    await probe.stop(100);
  }
});

test('a batch stored after an earlier one failed does not let the failed one be acked unstored (regression)', { timeout: 30_000 }, async () => {
  const run = 'slow-failure-run';
  const boot = 'slow-failure-boot';
  const helloFrame = JSON.stringify({ v: 1, type: 'hello', seq: 0, run, boot, name: 'slow', labels: {}, pid: 1, host: 'h', node: 'v20', argv: [], startedAt: Date.now(), intervalMs: 1000, probeVersion: 'x' });
  const t0 = Date.now() - 10_000;
  // Built once: a resend is byte-for-byte the message sent before.
  const frames = new Map<number, string>();
  const batch = (seq: number) => frames.get(seq) ?? frames.set(seq, batchFrame(seq)).get(seq)!;
  const batchFrame = (seq: number) => JSON.stringify({ v: 1, type: 'batch', seq, run, boot, spaces: [], gcs: [], samples: [{ ts: t0 + seq * 1000, rss: 3e7, heapTotal: 2e7, heapUsed: 1e7, external: 1, arrayBuffers: 1, heapLimit: 4e9, totalAvailable: 4e9, mallocedMemory: 1, peakMallocedMemory: 1, nativeContexts: 1, detachedContexts: 0, elP50Ms: 0, elP99Ms: 0, elMaxMs: 0 }] });
  const acks = (frames: string[]) => new Promise<{ acked: number[]; code: number }>((resolve, reject) => {
    const acked: number[] = [];
    const ws = new WebSocket(ingestUrl());
    ws.on('open', async () => {
      ws.send(frames[0]);
      await new Promise((r) => setTimeout(r, 100)); // the run row first
      for (const f of frames.slice(1)) ws.send(f);
      setTimeout(() => ws.close(), 2500);
    });
    ws.on('message', (d) => acked.push(JSON.parse(d.toString()).seq));
    ws.on('close', (code) => resolve({ acked, code }));
    ws.on('error', reject);
  });
  // First connection: the insert holding seq 1 fails slowly while seq 2 waits behind it; seq 2
  // is then written by the next flush, but the connection is already failing.
  failNextInsertAfterMs = 400;
  const sendSecondLater = new Promise<{ acked: number[]; code: number }>((resolve, reject) => {
    const acked: number[] = [];
    const ws = new WebSocket(ingestUrl());
    ws.on('open', async () => {
      ws.send(helloFrame);
      await new Promise((r) => setTimeout(r, 100));
      ws.send(batch(1));
      await new Promise((r) => setTimeout(r, 250)); // seq 1 is inside the slow insert now
      ws.send(batch(2));
    });
    ws.on('message', (d) => acked.push(JSON.parse(d.toString()).seq));
    ws.on('close', (code) => resolve({ acked, code }));
    ws.on('error', reject);
  });
  const first = await sendSecondLater;
  assert.equal(first.code, 4500, 'the failing connection is closed with LW_ERR_STORE');
  assert.deepEqual(first.acked, [], 'nothing acked on the failing connection');
  // The probe resends both: both must end up stored (and acked).
  const second = await acks([helloFrame, batch(1), batch(2)]);
  assert.deepEqual(second.acked, [1, 2]);
  const stored = await waitFor('both samples stored', async () => ((await runOf(run))?.sampleCount === 2 ? 2 : undefined), 5000);
  assert.equal(stored, 2);
});

test('API errors are JSON with stable codes', async () => {
  const missing = await getJson<{ error: { code: string } }>(`${collector.url}/api/runs/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'LW_ERR_NOT_FOUND');
  const runs = await getJson<{ runs: RunSummary[] }>(`${collector.url}/api/runs`);
  const id = runs.body.runs[0].id;
  const badMetric = await getJson<{ error: { code: string } }>(`${collector.url}/api/runs/${id}/series?metrics=heapUsed,bogus`);
  assert.equal(badMetric.status, 400);
  assert.equal(badMetric.body.error.code, 'LW_ERR_BAD_REQUEST');
  const badPoints = await getJson<{ error: { code: string } }>(`${collector.url}/api/runs/${id}/series?points=lots`);
  assert.equal(badPoints.status, 400);
  assert.equal(badPoints.body.error.code, 'LW_ERR_BAD_REQUEST');
  const badRange = await getJson<{ error: { code: string } }>(`${collector.url}/api/runs/${id}/gc?from=10&to=5`);
  assert.equal(badRange.body.error.code, 'LW_ERR_BAD_REQUEST');
  const unknown = await getJson<{ error: { code: string } }>(`${collector.url}/api/nothing`);
  assert.equal(unknown.status, 404);
});

test('with a token, a probe without it is refused with 4401 and stops retrying', { timeout: 30_000 }, async () => {
  const guarded = await startCollector({ store, port: 0, token: 's3cret', log: createLogger('silent') });
  try {
    const url = `${guarded.url.replace('http', 'ws')}/ingest`;
    const refused = await sendRaw([hello], {}, url);
    assert.equal(refused.code, 4401);
    assert.match(refused.reason, /^LW_ERR_AUTH/);
    const notices: string[] = [];
    const wrong = createProbe(resolveProbeConfig({ collector: url, token: 'nope', interval: 100 }), (l) => notices.push(l));
    await waitFor('the refusal notice', () => notices.some((n) => n.includes('LW_ERR_AUTH')));
    await wrong.stop(100);
    const right = createProbe(resolveProbeConfig({ collector: url, token: 's3cret', interval: 100 }), () => {});
    await waitFor('the authorised probe to store samples', async () => ((await runOf(right.runId))?.sampleCount ?? 0) >= 1);
    await right.stop(2000);
  } finally {
    await guarded.close();
  }
});
