import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { createSeededRandom } from '../support/seeded-random';
import { startCollector, type Collector } from '../src/collector/collector';
import { CLOSE_CODES } from '../src/protocol/close-codes';
import { SNAPSHOT_CHUNK_BYTES } from '../src/protocol/snapshot-messages';
import { createLogger } from '../src/shared/log';
import type { RunSummary } from '../src/shared/run-data';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { helloBody, mutate, pick, poison, validBody, type Frame, type Rand } from './helpers/fuzz-frames';
import { sampleAt } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * Fuzzing the collector's probe endpoints over real sockets, with the real embedded store: several
 * concurrent senders push random and mutated protocol frames and mutated or truncated snapshot
 * uploads while a well-behaved probe sends batches beside them. The collector must not crash,
 * must close every bad connection itself with a documented close code, must stay within a memory
 * bound, and must store and ack every one of the good probe's batches without ever dropping it.
 * The seed is printed; LW_FUZZ_SEED=<seed> replays the same frames per sender.
 */

const SEED = Number(process.env.LW_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const FRAMES = Number(process.env.LW_FUZZ_FRAMES ?? 10_000);
const UPLOADS = Number(process.env.LW_FUZZ_UPLOADS ?? 120);
const SENDERS = 6;
const UPLOADERS = 4;
const DOCUMENTED: ReadonlySet<number> = new Set(Object.values(CLOSE_CODES));

const temp = makeTempDir('fuzz-ingest');
let store: Store;
let collector: Collector;

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({
    store,
    port: 0,
    log: createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent'),
    flushIntervalMs: 50,
    snapshotDir: path.join(temp.dir, 'snapshots'),
    maxSnapshotBytes: 1024 * 1024,
    helloTimeoutMs: 3000,
  });
});

after(async () => {
  await collector?.close();
  await store?.close();
  // The engine may still finish writing a part of this much data after close: removal retries.
  fs.rmSync(temp.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const wsUrl = (p: string) => `${collector.url.replace('http', 'ws')}${p}`;

/** Close codes the collector sent, by code, and connections it left open (there must be none). */
const closes = new Map<number, number>();
let leftOpen = 0;
let storedUploads = 0;

function noteClose(code: number): void {
  closes.set(code, (closes.get(code) ?? 0) + 1);
}

/** Opens a connection, sends `frames`, and waits for the collector to close it (or gives up after `ms`). */
function fuzzConnection(url: string, frames: Frame[], ms = 15_000): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      leftOpen++;
      ws.terminate();
    }, ms);
    let stored = false;
    ws.on('open', () => {
      for (const f of frames) ws.send(f.data, { binary: f.binary });
    });
    // A mutation that left an upload intact is stored: the collector then waits for the uploader to go.
    ws.on('message', (data) => {
      if (!String(data).includes('"snapshot-stored"')) return;
      stored = true;
      storedUploads++;
      ws.close(1000);
    });
    ws.on('close', (code) => {
      clearTimeout(timer);
      if (!stored && code !== 1006) noteClose(code);
      resolve();
    });
    // A reset while the collector closes (it does not read what follows a bad frame) is fine.
    ws.on('error', () => undefined);
  });
}

let framesSent = 0;

/** One fuzz sender: connection after connection of a hello (sometimes mutated) and frames, mostly mutated. */
async function sender(index: number): Promise<void> {
  const rand = createSeededRandom(SEED + index);
  const run = `fuzz-run-${index}`;
  let connection = 0;
  while (framesSent < FRAMES) {
    const boot = `fuzz-${index}-${connection++}`;
    const ids = { run, boot, victimBoot: 'good-boot' };
    const startedAt = Date.now() - 1000;
    const frames: Frame[] = [];
    const hello = { v: 1, ...helloBody(run, boot, startedAt) };
    const order = rand() < 0.1;
    if (!order) frames.push(rand() < 0.2 ? mutate(rand, hello, ids) : { data: JSON.stringify(hello), binary: false, kind: 'valid' });
    let seq = 0;
    for (let n = 1 + Math.floor(rand() * 8); n > 0; n--) {
      const message = { v: 1, run, boot, seq: ++seq, ...validBody(rand, Date.now()) };
      frames.push(rand() < 0.3 ? { data: JSON.stringify(message), binary: false, kind: 'valid' } : mutate(rand, message, ids));
    }
    frames.push(poison(rand));
    framesSent += frames.length;
    await fuzzConnection(wsUrl('/ingest'), frames);
  }
}

let uploadsSent = 0;

/** One announced snapshot upload, mutated so it cannot be stored: truncated, padded, mis-summed, cut, out of order. */
function fuzzUpload(rand: Rand, run: string, boot: string, sid: string): Promise<void> {
  const size = 1024 + Math.floor(rand() * 64 * 1024);
  const body = Buffer.from(Array.from({ length: size }, () => Math.floor(rand() * 256)));
  const sha256 = createHash('sha256').update(body).digest('hex');
  const begin = { v: 1, type: 'snapshot-begin', run, boot, snapshotId: sid, trigger: 'schedule', takenAt: Date.now(), captureMs: 12, heapUsed: 5e6, size };
  const end = { v: 1, type: 'snapshot-end', snapshotId: sid, size, chunks: 1, sha256 };
  const kind = pick(rand, ['truncated', 'truncated', 'extra', 'sha', 'cut', 'data-first', 'end-first', 'begin-mutated', 'begin-mutated', 'huge', 'url', 'chunk-too-big', 'unannounced']);
  const frames: Frame[] = [];
  const t = (o: object): Frame => ({ data: JSON.stringify(o), binary: false, kind });
  const b = (data: Buffer): Frame => ({ data, binary: true, kind });
  const query = new URLSearchParams({ run, boot, snapshot: kind === 'url' ? `${sid}-other` : kind === 'unannounced' ? `never-${sid}` : sid });
  if (kind === 'truncated') frames.push(t(begin), b(body.subarray(0, Math.floor(rand() * size))), t(end));
  else if (kind === 'extra') frames.push(t(begin), b(body), b(Buffer.alloc(1 + Math.floor(rand() * 100))), t(end));
  else if (kind === 'sha') frames.push(t(begin), b(body), t({ ...end, sha256: '0'.repeat(64) }));
  else if (kind === 'data-first') frames.push(b(body), t(begin));
  else if (kind === 'end-first') frames.push(t(end), t(begin));
  else if (kind === 'begin-mutated') frames.push(mutate(rand, begin, { run, boot, victimBoot: 'good-boot' }), b(body), t(end), t({ v: 1, type: 'bogus' }));
  else if (kind === 'huge') frames.push(t({ ...begin, size: 2 * 1024 * 1024 }), b(body));
  else if (kind === 'chunk-too-big') frames.push(t(begin), b(Buffer.alloc(SNAPSHOT_CHUNK_BYTES + 1)));
  else if (kind === 'unannounced') frames.push(t({ ...begin, snapshotId: `never-${sid}` }), b(body), t(end));
  else frames.push(t({ ...begin, snapshotId: kind === 'url' ? sid : sid }), b(body.subarray(0, size >> 1)));
  uploadsSent++;
  if (kind !== 'cut') return fuzzConnection(`${wsUrl('/snapshot-upload')}?${query}`, frames.map((f) => ({ ...f, kind })));
  // Cut: the TCP connection is dropped half-way, without a close frame; the collector must clean up alone.
  return new Promise((resolve) => {
    const ws = new WebSocket(`${wsUrl('/snapshot-upload')}?${query}`);
    ws.on('open', () => {
      for (const f of frames) ws.send(f.data, { binary: f.binary });
      setTimeout(() => ws.terminate(), 20);
    });
    ws.on('close', () => resolve());
    ws.on('error', () => undefined);
  });
}

/** An uploader: its own valid ingest connection announces snapshots; `upload` then sends mutated uploads of them. */
async function uploader(index: number): Promise<{ upload(): Promise<void> }> {
  const rand = createSeededRandom(SEED + 1000 + index);
  const run = `fuzz-upload-run-${index}`;
  const boot = `fuzz-uploader-${index}`;
  const ws = new WebSocket(wsUrl('/ingest'));
  const acked = new Set<number>();
  ws.on('message', (d) => acked.add(JSON.parse(d.toString()).seq));
  ws.on('error', () => undefined);
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ v: 1, ...helloBody(run, boot, Date.now()) }));
  const sids = Array.from({ length: 20 }, (_, i) => `up-${index}-${i}`);
  sids.forEach((sid, i) => ws.send(JSON.stringify({ v: 1, run, boot, seq: i + 1, type: 'snapshot-status', state: 'capturing', snapshotId: sid, requestId: '', trigger: 'schedule', at: Date.now(), heapUsed: 5e6, estimatedBytes: 2e7, availableBytes: 1e9, reason: '', errorCode: '' })));
  await waitFor('the uploader\'s announcements to be acked', () => acked.has(sids.length), 30_000, 20);
  return {
    async upload() {
      while (uploadsSent < UPLOADS) await fuzzUpload(rand, run, boot, pick(rand, sids));
      ws.close();
    },
  };
}

/**
 * The well-behaved probe: a batch every few milliseconds with one sample each, reconnecting and
 * resending what is unacked if its connection is ever closed (which must not happen).
 */
function goodProbe() {
  const run = 'good-run';
  const boot = 'good-boot';
  const t0 = Date.now() - 3_600_000;
  const hello = JSON.stringify({ v: 1, ...helloBody(run, boot, t0) });
  const frames = new Map<number, string>();
  const acked = new Set<number>();
  let ws: WebSocket | undefined;
  let seq = 0;
  let connections = 0;
  let stopped = false;
  const connect = () => {
    connections++;
    const socket = new WebSocket(wsUrl('/ingest'));
    ws = socket;
    socket.on('open', () => {
      socket.send(hello);
      for (const [s, f] of frames) if (!acked.has(s)) socket.send(f);
    });
    socket.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as { type: string; seq: number };
      if (msg.type === 'ack') acked.add(msg.seq);
    });
    socket.on('close', () => {
      if (!stopped) setTimeout(connect, 100);
    });
    socket.on('error', () => undefined);
  };
  connect();
  const timer = setInterval(() => {
    seq++;
    const frame = JSON.stringify({ v: 1, type: 'batch', run, boot, seq, samples: [sampleAt(t0 + seq * 1000, 1e7 + seq)], spaces: [], gcs: [] });
    frames.set(seq, frame);
    if (ws?.readyState === WebSocket.OPEN) ws.send(frame);
  }, 15);
  return {
    run,
    t0,
    acked,
    get sent() {
      return seq;
    },
    get connections() {
      return connections;
    },
    stopSending: () => clearInterval(timer),
    close() {
      stopped = true;
      ws?.close();
    },
  };
}

function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

test(`fuzz: ${FRAMES} random and mutated frames and ${UPLOADS} mutated uploads from ${SENDERS + UPLOADERS} senders; a good probe beside them loses nothing`, { timeout: 120_000 }, async (t) => {
  t.diagnostic(`fuzz seed ${SEED} (LW_FUZZ_SEED=${SEED} replays it)`);
  console.log(`fuzz-ingest seed ${SEED}`);
  const good = goodProbe();
  await waitFor('the good probe\'s first acks', () => good.acked.size >= 5, 30_000, 20);
  const uploaders = await Promise.all(Array.from({ length: UPLOADERS }, (_, i) => uploader(i)));
  collectGarbage();
  const before = process.memoryUsage();
  const started = Date.now();

  const took = (what: string) => () => t.diagnostic(`${what} done after ${Date.now() - started} ms`);
  await Promise.all([
    Promise.all(Array.from({ length: SENDERS }, (_, i) => sender(i))).then(took('frame senders')),
    Promise.all(uploaders.map((u) => u.upload())).then(took('uploaders')),
  ]);
  const fuzzMs = Date.now() - started;

  good.stopSending();
  const last = good.sent;
  await waitFor('every batch of the good probe acked', () => good.acked.size >= last, 30_000, 50);
  collectGarbage();
  const afterFuzz = process.memoryUsage();
  const mb = (n: number) => Math.round(n / 1024 / 1024);
  t.diagnostic(`${framesSent} frames, ${uploadsSent} uploads (${storedUploads} left intact and stored) in ${fuzzMs} ms; heap ${mb(before.heapUsed)} -> ${mb(afterFuzz.heapUsed)} MB, rss ${mb(before.rss)} -> ${mb(afterFuzz.rss)} MB`);
  t.diagnostic(`close codes: ${JSON.stringify(Object.fromEntries([...closes].sort((a, b) => a[0] - b[0])))}`);

  assert.ok(framesSent >= FRAMES && uploadsSent >= UPLOADS);
  // Every fuzz connection was closed by the collector itself, each with a documented code.
  assert.equal(leftOpen, 0, 'no fuzz connection was left open');
  const undocumented = [...closes.keys()].filter((code) => !DOCUMENTED.has(code));
  assert.deepEqual(undocumented, [], 'every close code is one of CLOSE_CODES');
  assert.equal(closes.get(CLOSE_CODES.LW_ERR_STORE) ?? 0, 0, 'no fuzz frame got past decode and failed the store');
  for (const code of [CLOSE_CODES.LW_ERR_PROTOCOL_JSON, CLOSE_CODES.LW_ERR_PROTOCOL_INVALID, CLOSE_CODES.LW_ERR_PROTOCOL_RANGE, CLOSE_CODES.LW_ERR_PROBE_CONFLICT, CLOSE_CODES.LW_ERR_SNAPSHOT_UNREQUESTED, CLOSE_CODES.LW_ERR_SNAPSHOT_CHECKSUM]) {
    assert.ok((closes.get(code) ?? 0) > 0, `the fuzz reached close code ${code}`);
  }
  // Memory: what the fuzz leaves behind in the collector's process is bounded (the embedded
  // engine's caches are in this process too, hence the RSS margin).
  assert.ok(afterFuzz.heapUsed - before.heapUsed < 64 * 1024 * 1024, `heap grew by ${mb(afterFuzz.heapUsed - before.heapUsed)} MB`);
  assert.ok(afterFuzz.rss - before.rss < 512 * 1024 * 1024, `rss grew by ${mb(afterFuzz.rss - before.rss)} MB`);

  // The good probe: never disconnected, every seq acked, every sample stored exactly once.
  assert.equal(good.connections, 1, 'the good probe was never disconnected');
  for (let s = 1; s <= last; s++) assert.ok(good.acked.has(s), `seq ${s} acked`);
  const run = await waitFor('the good run', async () => (await getJson<{ run: RunSummary }>(`${collector.url}/api/runs/${good.run}`)).body.run);
  assert.equal(run.sampleCount, last, 'every sample stored once');
  const series = await getJson<{ t: number[] }>(`${collector.url}/api/runs/${good.run}/series?metrics=heapUsed&points=5000`);
  assert.equal(series.body.t.length, last, 'one sample a second: one point per sample sent');
  good.close();

  // Still serving: the API answers and a new probe is stored and acked.
  assert.equal((await fetch(`${collector.url}/api/runs`)).status, 200);
  const fresh = new WebSocket(wsUrl('/ingest'));
  const freshAck = new Promise<number>((resolve) => fresh.on('message', (d) => resolve(JSON.parse(d.toString()).seq)));
  await new Promise((resolve) => fresh.once('open', resolve));
  fresh.send(JSON.stringify({ v: 1, ...helloBody('after-fuzz', 'after-fuzz-boot', Date.now()) }));
  fresh.send(JSON.stringify({ v: 1, type: 'batch', run: 'after-fuzz', boot: 'after-fuzz-boot', seq: 1, samples: [sampleAt(Date.now())], spaces: [], gcs: [] }));
  assert.equal(await freshAck, 1);
  fresh.close();
});
