import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCollector, type Collector } from '../src/collector/collector';
import { CLOSE_CODES } from '../src/protocol/close-codes';
import { createLogger } from '../src/shared/log';
import type { RunSummary } from '../src/shared/run-data';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { runCli, startCli } from './helpers/cli';
import { connectRawProbe, sampleAt } from './helpers/raw-probe';
import { uploadSnapshot } from './helpers/snapshot-upload-client';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * Isolation between probes at the collector, over real sockets and the real embedded store: a
 * probe writes only to its own (run, boot), bad numbers are refused at decode without touching
 * anyone else's data, connections are accounted for, uploads need an announcement, and snapshot
 * requests are rate-limited per run.
 */

const temp = makeTempDir('collector-isolation');
let store: Store;
let collector: Collector;
/** A second collector on the same store with small limits: 3 connections, a 400 ms hello timeout, a 60 s request gap. */
let strict: Collector;

const quiet = () => createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent');

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: quiet(), flushIntervalMs: 100, snapshotDir: path.join(temp.dir, 'snapshots'), snapshotMinGapMs: 0 });
  strict = await startCollector({ store, port: 0, log: quiet(), flushIntervalMs: 100, snapshotDir: path.join(temp.dir, 'strict'), maxConnections: 3, helloTimeoutMs: 400, snapshotMinGapMs: 60_000, snapshotRequestTimeoutMs: 3000 });
});

after(async () => {
  await strict.close();
  await collector.close();
  await store.close();
  temp.remove();
});

/** One start time for every hello of this file: a boot's later hello must repeat its first. */
const STARTED_AT = Date.now() - 3_600_000;
const wsUrl = (c: Collector, p = '/ingest') => `${c.url.replace('http', 'ws')}${p}`;

function helloFrame(run: string, boot: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ v: 1, type: 'hello', seq: 0, run, boot, name: 'iso', labels: {}, pid: 7, host: 'h', node: 'v20', argv: [], startedAt: STARTED_AT, intervalMs: 1000, probeVersion: 'x', ...extra });
}

function batchFrame(run: string, boot: string, seq: number, sample: Record<string, number> = sampleAt(Date.now() - 60_000 + seq)): string {
  return JSON.stringify({ v: 1, type: 'batch', run, boot, seq, samples: [sample], spaces: [], gcs: [] });
}

/** A raw connection that sends `frames` and resolves with its close code and reason (or 0 once `openMs` passed without a close). */
function sendRaw(url: string, frames: string[], openMs = 3000): Promise<{ code: number; reason: string; acks: number[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const acks: number[] = [];
    const timer = setTimeout(() => {
      ws.removeAllListeners('close');
      ws.on('close', () => undefined);
      ws.close();
      resolve({ code: 0, reason: '', acks });
    }, openMs);
    ws.on('open', () => frames.forEach((f) => ws.send(f)));
    ws.on('message', (d) => acks.push(JSON.parse(d.toString()).seq));
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString(), acks });
    });
    ws.on('error', reject);
  });
}

async function runOf(c: Collector, runId: string): Promise<RunSummary | undefined> {
  const res = await getJson<{ run: RunSummary }>(`${c.url}/api/runs/${runId}`);
  return res.status === 200 ? res.body.run : undefined;
}

test('a probe writes only to its own (run, boot): a second or mismatching hello is refused, a reconnect is not', { timeout: 60_000 }, async () => {
  const run = 'own-run';
  const boot = 'own-boot';
  const real = new WebSocket(wsUrl(collector));
  const acked: number[] = [];
  real.on('message', (d) => acked.push(JSON.parse(d.toString()).seq));
  await new Promise((resolve) => real.once('open', resolve));
  real.send(helloFrame(run, boot));
  real.send(batchFrame(run, boot, 1));
  await waitFor('the real probe\'s first ack', () => acked.includes(1));

  // Same boot while it is connected; the same boot under another run (the old attack: a high seq
  // there made the real probe's messages be acked as duplicates without being stored).
  const twice = await sendRaw(wsUrl(collector), [helloFrame(run, boot)]);
  assert.equal(twice.code, CLOSE_CODES.LW_ERR_PROBE_CONFLICT);
  assert.match(twice.reason, /^LW_ERR_PROBE_CONFLICT: boot own-boot is connected on another connection/);
  const foreign = await sendRaw(wsUrl(collector), [helloFrame('other-run', boot), batchFrame('other-run', boot, 1_000_000)]);
  assert.equal(foreign.code, CLOSE_CODES.LW_ERR_PROBE_CONFLICT);
  assert.match(foreign.reason, /said hello before with another run/);
  assert.deepEqual(foreign.acks, []);

  for (let seq = 2; seq <= 5; seq++) real.send(batchFrame(run, boot, seq));
  await waitFor('the real probe\'s acks', () => acked.includes(5));
  real.close();
  await new Promise((resolve) => real.once('close', resolve));

  // After its socket closed: a hello from another pid is still refused, the real process's reconnect is let in.
  const otherPid = await sendRaw(wsUrl(collector), [helloFrame(run, boot, { pid: 8 })]);
  assert.equal(otherPid.code, CLOSE_CODES.LW_ERR_PROBE_CONFLICT);
  assert.match(otherPid.reason, /another pid/);
  const back = await sendRaw(wsUrl(collector), [helloFrame(run, boot), batchFrame(run, boot, 5), batchFrame(run, boot, 6)], 1500);
  assert.equal(back.code, 0, `the reconnect stays connected (${back.reason})`);
  assert.deepEqual(back.acks, [5, 6], 'the resend is acked, the new one stored and acked');
  assert.equal((await runOf(collector, run))?.sampleCount, 6, 'every sample of the real probe stored once');
  assert.equal(await runOf(collector, 'other-run'), undefined, 'the foreign sender wrote nothing');
});

test('a boot held by a socket that died unseen is freed: the holder is pinged on the conflict and dropped when silent', { timeout: 60_000 }, async () => {
  const run = 'half-dead';
  const boot = 'half-dead-boot';
  // The old socket answers no ping: as if its cable were cut and the collector had not noticed yet.
  const dead = new WebSocket(wsUrl(collector), { autoPong: false });
  const deadClosed = new Promise((resolve) => dead.once('close', resolve));
  dead.on('error', () => undefined);
  await new Promise((resolve) => dead.once('open', resolve));
  dead.send(helloFrame(run, boot));
  await waitFor('the run row', () => runOf(collector, run));
  const first = await sendRaw(wsUrl(collector), [helloFrame(run, boot)]);
  assert.equal(first.code, CLOSE_CODES.LW_ERR_PROBE_CONFLICT);
  await deadClosed;
  const retry = await sendRaw(wsUrl(collector), [helloFrame(run, boot), batchFrame(run, boot, 1)], 1500);
  assert.equal(retry.code, 0, `the retry is let in (${retry.reason})`);
  assert.deepEqual(retry.acks, [1]);
});

test('out-of-range numbers are refused naming the field, and the other probe\'s data is stored', { timeout: 60_000 }, async () => {
  const good = await connectRawProbe(wsUrl(collector), 'range-good');
  try {
    const cases: [string, Record<string, number>, RegExp][] = [
      ['a byte count beyond 2^53', { heapUsed: 2 ** 60 }, /samples\[0\]\.heapUsed = 1152921504606847000 is outside 0\.\.9007199254740991/],
      ['a UInt32 column over 2^32', { nativeContexts: 2 ** 33 }, /samples\[0\]\.nativeContexts = 8589934592 is outside 0\.\.4294967295/],
      ['a negative into unsigned', { rss: -1 }, /samples\[0\]\.rss = -1 is outside/],
      ['an absurd delay', { elMaxMs: 1e300 }, /samples\[0\]\.elMaxMs = 1e\+300 is outside 0\.\.86400000/],
      ['a time years away', { ts: Date.now() + 5 * 365 * 86_400_000 }, /samples\[0\]\.ts = \d+ is too far from the collector's clock/],
    ];
    let seq = 0;
    for (const [what, field, reason] of cases) {
      good.sendBatch(1);
      const bad = await sendRaw(wsUrl(collector), [helloFrame('range-bad', `range-bad-${++seq}`), batchFrame('range-bad', `range-bad-${seq}`, 1, { ...sampleAt(Date.now()), ...field })]);
      assert.equal(bad.code, CLOSE_CODES.LW_ERR_PROTOCOL_RANGE, what);
      assert.match(bad.reason, /^LW_ERR_PROTOCOL_RANGE: /, what);
      assert.match(bad.reason, reason, what);
    }
    const hugePid = await sendRaw(wsUrl(collector), [helloFrame('range-bad', 'range-bad-pid', { pid: 2 ** 40 })]);
    assert.equal(hugePid.code, CLOSE_CODES.LW_ERR_PROTOCOL_RANGE);
    assert.match(hugePid.reason, /hello\.pid/);
    await good.waitForAck(good.sendBatch(1));
    assert.equal((await runOf(collector, 'range-good'))?.sampleCount, cases.length + 1);
    assert.equal((await runOf(collector, 'range-bad'))?.sampleCount ?? 0, 0, 'no row of a refused batch');
  } finally {
    await good.close();
  }
});

test('connections: a silent one times out, more than the cap are refused with their close codes', { timeout: 60_000 }, async () => {
  const silent = await sendRaw(wsUrl(strict), [], 10_000);
  assert.equal(silent.code, CLOSE_CODES.LW_ERR_HELLO_TIMEOUT);
  assert.match(silent.reason, /^LW_ERR_HELLO_TIMEOUT: /);
  const silentUpload = await sendRaw(wsUrl(strict, '/snapshot-upload'), [], 10_000);
  assert.equal(silentUpload.code, CLOSE_CODES.LW_ERR_HELLO_TIMEOUT);

  const held = await Promise.all([1, 2, 3].map((i) => connectRawProbe(wsUrl(strict), 'capped', `capped-${i}`)));
  try {
    await Promise.all(held.map((p) => p.waitForAck(p.sendBatch(1))));
    const refused = await sendRaw(wsUrl(strict), [helloFrame('capped', 'capped-4')]);
    assert.equal(refused.code, CLOSE_CODES.LW_ERR_TOO_MANY_CONNECTIONS);
    assert.match(refused.reason, /^LW_ERR_TOO_MANY_CONNECTIONS: the collector holds its 3 connections/);
    await Promise.all(held.map((p) => p.waitForAck(p.sendBatch(1))));
  } finally {
    await Promise.all(held.map((p) => p.close()));
  }
  // Room again once they closed.
  const again = await connectRawProbe(wsUrl(strict), 'capped', 'capped-5');
  await again.waitForAck(again.sendBatch(1));
  await again.close();
});

test('uploads are accepted only for a snapshot the uploading boot announced and that is not stored', { timeout: 60_000 }, async () => {
  const run = 'grants';
  const file = path.join(temp.dir, 'not-a-real-snapshot.heapsnapshot');
  fs.writeFileSync(file, '{"snapshot":{}}');
  const probe = await connectRawProbe(wsUrl(collector), run, 'grants-a');
  const other = await connectRawProbe(wsUrl(collector), run, 'grants-b');
  try {
    const nobody = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'never-announced', file });
    assert.equal(nobody.code, CLOSE_CODES.LW_ERR_SNAPSHOT_UNREQUESTED);
    assert.match(nobody.reason, /^LW_ERR_SNAPSHOT_UNREQUESTED: snapshot never-announced was not announced by boot grants-a/);
    const elsewhere = await uploadSnapshot(collector.url, { run: 'grants-elsewhere', boot: probe.boot, snapshotId: 'never-announced', file });
    assert.equal(elsewhere.code, CLOSE_CODES.LW_ERR_SNAPSHOT_UNREQUESTED);

    await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: 'g-1' }));
    const stolen = await uploadSnapshot(collector.url, { run, boot: other.boot, snapshotId: 'g-1', file });
    assert.equal(stolen.code, CLOSE_CODES.LW_ERR_SNAPSHOT_UNREQUESTED);
    assert.match(stolen.reason, /announced by another process/);
    const own = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'g-1', file });
    assert.equal(own.stored, true, own.reason);
    const repeat = await uploadSnapshot(collector.url, { run, boot: probe.boot, snapshotId: 'g-1', file });
    assert.equal(repeat.code, CLOSE_CODES.LW_ERR_SNAPSHOT_UNREQUESTED);
    assert.match(repeat.reason, /already stored/);
    const listed = await getJson<{ snapshots: SnapshotRecord[] }>(`${collector.url}/api/runs/${run}/snapshots`);
    assert.deepEqual(listed.body.snapshots.map((s) => s.id), ['g-1'], 'refused uploads recorded nothing');
  } finally {
    await probe.close();
    await other.close();
  }
});

test('snapshot requests are rate-limited per run: one at a time, a minimum gap, 429 with retry-after', { timeout: 60_000 }, async () => {
  const run = 'limited';
  const probe = await connectRawProbe(wsUrl(strict), run);
  const post = () => fetch(`${strict.url}/api/runs/${run}/snapshots`, { method: 'POST' });
  try {
    await probe.waitForAck(probe.sendBatch(1));
    const first = post();
    const requestId = await probe.waitForRequest();
    const meanwhile = await post();
    assert.equal(meanwhile.status, 429, 'a second request while the first waits for the probe');
    assert.equal(((await meanwhile.json()) as { error: { code: string } }).error.code, 'LW_ERR_SNAPSHOT_RATE_LIMITED');
    assert.ok(Number(meanwhile.headers.get('retry-after')) >= 1);
    probe.sendStatus({ state: 'capturing', snapshotId: 'lim-1', requestId });
    assert.equal((await first).status, 202);

    // Within the gap, while that snapshot is with the probe: answered with it, the probe is not asked.
    const inFlight = await post();
    assert.equal(inFlight.status, 200);
    assert.equal(((await inFlight.json()) as { snapshot: SnapshotRecord }).snapshot.id, 'lim-1');
    await probe.waitForAck(probe.sendStatus({ state: 'failed', snapshotId: 'lim-1', reason: 'gone', errorCode: 'LW_ERR_SNAPSHOT_CAPTURE' }));
    const tooSoon = await post();
    assert.equal(tooSoon.status, 429);
    const body = (await tooSoon.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'LW_ERR_SNAPSHOT_RATE_LIMITED');
    assert.match(body.error.message, /at least 60 s apart/);
    const retryAfter = Number(tooSoon.headers.get('retry-after'));
    assert.ok(retryAfter > 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
    assert.equal(probe.requests.length, 1, 'the probe was asked once');
  } finally {
    await probe.close();
  }
});

test('leakwatch collect --max-connections caps the probe connections; a bad value is a one-line usage error', { timeout: 60_000 }, async () => {
  const bad = await runCli(['collect', '--port', '0', '--data', path.join(temp.dir, 'cli-bad'), '--max-connections', '0']);
  assert.equal(bad.code, 64);
  assert.equal(bad.stderr, 'leakwatch: LW_ERR_CONFIG: --max-connections: expected a whole number from 1 to 1000000, got "0"\n');
  const collect = startCli(['collect', '--port', '0', '--data', path.join(temp.dir, 'cli-cap'), '--max-connections', '1', '--log-level', 'warn']);
  try {
    const [, url] = await collect.waitForLine(/listening on (http:\/\/\S+)/);
    const held = await connectRawProbe(`${url.replace('http', 'ws')}/ingest`, 'cli-cap');
    await held.waitForAck(held.sendBatch(1));
    const refused = await sendRaw(`${url.replace('http', 'ws')}/ingest`, [helloFrame('cli-cap', 'cli-cap-2')]);
    assert.equal(refused.code, CLOSE_CODES.LW_ERR_TOO_MANY_CONNECTIONS);
    await held.close();
  } finally {
    collect.child.kill('SIGINT');
    await collect.exited;
  }
});
