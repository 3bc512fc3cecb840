import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { startCollector, type Collector } from '../src/collector/collector';
import { SNAPSHOT_UPLOAD_PATH } from '../src/protocol/snapshot-messages';
import { createLogger, type Logger } from '../src/shared/log';
import { createClickhouseStore } from '../src/store/clickhouse-store';
import { openStore } from '../src/store/open-store';
import { createStoreClient } from '../src/store/store-client';
import type { StoreContext } from '../src/store/store-context';
import type { Store } from '../src/store/store-interface';
import { tableNames } from '../src/store/table-names';
import { startClickhouseHttpBridge } from './helpers/clickhouse-http-bridge';
import { auditDelivery } from './helpers/delivery-audit';
import { createStoreFault, type StoreFault } from './helpers/faulty-connection';
import { connectRawProbe, sampleAt } from './helpers/raw-probe';
import { startProbeApp, type ProbeApp } from './helpers/probe-app';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';
import { freePort } from './helpers/free-port';

/*
 * The store failing for a minute while real probes keep sending, three ways at once (one minute
 * of wall time for all three):
 *  A. the embedded engine behind a fault-injecting connection refuses every query for 60 s;
 *  B. the HTTP transport of @clickhouse/client points at a port that refuses connections; half
 *     way through, that collector is stopped (what it holds stays spooled) and a new one takes
 *     over the port and the spool; at the end of the minute the port starts to accept (a bridge
 *     that speaks ClickHouse's HTTP interface on the real engine) and the spool replays over HTTP;
 *  C. like A for 20 s, with a spool budget too small for it: snapshot uploads are refused, then
 *     data is no longer acknowledged, and the probe holds it until the store is back.
 * (and D below, a shutdown into a store that hangs). Afterwards the audit of each boot: every
 * seq the probe sent is stored once, none missing.
 */
const OUTAGE_MS = 60_000;
const temp = makeTempDir('store-outage');
const dataDir = path.join(temp.dir, 'data');
const log = createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent');
const cleanup: (() => Promise<unknown> | unknown)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  temp.remove();
});

async function faultyStore(fault: StoreFault): Promise<Store> {
  const store = await openStore({ target: { kind: 'embedded', dataDir, wrapConnection: (c) => fault.wrap(c) }, retentionDays: 30 });
  cleanup.push(() => store.close());
  return store;
}

async function collectorOn(store: Store, name: string, extra: { port?: number; spoolBudgetBytes?: number; log?: Logger } = {}): Promise<Collector> {
  const collector = await startCollector({
    store,
    port: extra.port ?? 0,
    log: extra.log ?? log,
    flushIntervalMs: 500,
    snapshotDir: path.join(temp.dir, name, 'snapshots'),
    spoolDir: path.join(temp.dir, name, 'spool'),
    spoolBudgetBytes: extra.spoolBudgetBytes,
    spoolRetryMs: { base: 300, max: 3000 },
  });
  cleanup.push(() => collector.close());
  return collector;
}

const ingestOf = (collector: Collector) => `${collector.url.replace('http', 'ws')}/ingest`;

function spoolBytes(name: string): number {
  const dir = path.join(temp.dir, name, 'spool');
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir).filter((n) => n.endsWith('.lws')).reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
}

function app(collector: string, name: string): ProbeApp {
  const started = startProbeApp({ collector, name });
  cleanup.push(() => started.child.kill('SIGKILL'));
  return started;
}

async function sampleCount(ctx: StoreContext, run: string): Promise<number> {
  const result = await ctx.client.query({ query: `SELECT count() AS n FROM ${ctx.tables.samples} FINAL WHERE run_id = {run:String}`, query_params: { run }, format: 'JSONEachRow' });
  return Number((await result.json<{ n: string }>())[0]?.n ?? 0);
}

/** Stops the app once the store has everything, then audits its boot. */
async function stopAndAudit(ctx: StoreContext, probe: ProbeApp) {
  const final = await probe.stop(20_000);
  assert.equal(final.flushed, true, 'the bye was acked: everything before it is durable');
  assert.equal(final.droppedMessages, 0, 'the probe never had to drop anything');
  // Every message but the bye (the last seq) was a batch with one sample.
  const audit = await auditDelivery(ctx, { run: final.run, boot: final.boot, lastSeq: final.lastSeq - 1, recordedGaps: final.droppedMessages });
  assert.ok(audit.ok, JSON.stringify(audit));
  assert.equal(audit.duplicates.length, 0);
  return audit;
}

/*
 * D. SIGTERM while the store hangs (calls that never answer): the collector's close spools what
 * it received within its grace and acknowledges it, well inside 10 s; the next collector
 * replays it once the store answers again.
 */
async function closeWhileTheStoreHangs(ctx: StoreContext): Promise<void> {
  const fault = createStoreFault();
  const store = await faultyStore(fault);
  const collector = await collectorOn(store, 'd');
  const probe = await connectRawProbe(ingestOf(collector), 'hang-run');
  const t0 = Date.now() - 60_000;
  const batch = (seq: number) => ({ type: 'batch', samples: [sampleAt(t0 + seq * 100)], spaces: [], gcs: [] });
  probe.send(batch(1));
  await probe.waitForAck(1, 30_000);
  fault.hang();
  for (let seq = 2; seq <= 20; seq++) probe.send(batch(seq));
  await new Promise((resolve) => setTimeout(resolve, 700)); // a flush is waiting on the hung store now
  const closing = Date.now();
  await collector.close();
  const took = Date.now() - closing;
  assert.ok(took < 10_000, `closed ${took} ms into a hung store`);
  assert.equal(Math.max(...probe.acks.map((a) => a.seq)), 20, 'everything received was spooled and acknowledged');
  assert.ok(spoolBytes('d') > 0);
  fault.up();
  await collectorOn(store, 'd');
  await waitFor('D\'s spool replayed', () => spoolBytes('d') === 0, 60_000, 200);
  const audit = await auditDelivery(ctx, { run: 'hang-run', boot: probe.boot, lastSeq: 20 });
  assert.ok(audit.ok && audit.stored === 20, JSON.stringify(audit));
  process.stdout.write(`# closed ${took} ms into a hung store\n`);
}

test('a minute without the store loses nothing and doubles nothing: embedded fault, HTTP refusing then accepting, and a spool over budget', { timeout: 240_000 }, async () => {
  const faultA = createStoreFault();
  const faultC = createStoreFault();
  const storeA = await faultyStore(faultA);
  const storeC = await faultyStore(faultC);
  const inspector = createStoreClient({ kind: 'embedded', dataDir });
  cleanup.push(() => inspector.client.close());
  const ctx: StoreContext = { client: inspector.client, tables: tableNames(inspector.database) };

  const collectorA = await collectorOn(storeA, 'a');
  const refusing = await freePort();
  // Not openStore: it would fail at its first round trip. The store's own inserts and reads, over HTTP.
  const httpStore = () => {
    const http = createStoreClient({ kind: 'server', url: `http://127.0.0.1:${refusing}` });
    const store = createClickhouseStore({ client: http.client, tables: tableNames(http.database) }, http.description);
    cleanup.push(() => store.close());
    return store;
  };
  const portB = await freePort();
  const collectorB = await collectorOn(httpStore(), 'b', { port: portB });
  const logC: string[] = [];
  const budgetC = 48 * 1024;
  const collectorC = await collectorOn(storeC, 'c', { spoolBudgetBytes: budgetC, log: createLogger('warn', (l) => logC.push(l)) });

  const hungStore = closeWhileTheStoreHangs(ctx);
  hungStore.catch(() => undefined); // awaited below; an early failure must not go unhandled meanwhile
  const appA = app(ingestOf(collectorA), 'outage-embedded');
  const appB = app(ingestOf(collectorB), 'outage-http');
  const appC = app(ingestOf(collectorC), 'outage-budget');
  const [runA, runC] = [(await appA.stats()).run, (await appC.stats()).run];
  await waitFor('samples of A and C stored before the outage', async () => (await sampleCount(ctx, runA)) >= 3 && (await sampleCount(ctx, runC)) >= 3, 30_000);
  const outageStart = Date.now();
  faultA.down(OUTAGE_MS);
  faultC.down(20_000);

  // C: past its soft limit new snapshots are refused; past the budget, data stays unacknowledged in the probe.
  await waitFor('C spool past its soft limit', () => spoolBytes('c') >= budgetC * 0.8, 30_000);
  // A snapshot upload (what a probe's trigger or a requested capture sends) is refused before any byte is written.
  const upload = new WebSocket(`${ingestOf(collectorC).replace(/\/ingest$/, SNAPSHOT_UPLOAD_PATH)}?run=${runC}`);
  upload.on('error', () => undefined);
  const refused = await new Promise<{ code: number; reason: string }>((resolve) => upload.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  assert.equal(refused.code, 4503);
  assert.match(refused.reason, /LW_ERR_SPOOL_FULL/);
  const holding = await waitFor('C probe holding unacknowledged data', async () => {
    const stats = await appC.stats();
    return stats.queued >= 10 ? stats : undefined;
  }, 30_000);
  assert.ok(faultC.isDown(), 'still during C\'s outage');
  assert.ok(spoolBytes('c') <= budgetC, `the spool stays within its budget (${spoolBytes('c')} bytes)`);
  assert.ok(logC.some((l) => l.includes('LW_ERR_SPOOL_FULL')), logC.join('\n'));

  // B, half way: stopped while the server refuses; a new collector takes the port and the spool.
  await waitFor('30 s of outage', () => Date.now() - outageStart >= 30_000, 60_000, 500);
  await collectorB.close();
  const heldByB = spoolBytes('b');
  assert.ok(heldByB > 0, 'B\'s batches stayed on disk');
  const collectorB2 = await collectorOn(httpStore(), 'b', { port: portB });
  assert.equal(collectorB2.port, portB);

  // A and B, most of a minute in: the probes' data is acknowledged once spooled, so their queues stay short.
  await waitFor('45 s of outage', () => Date.now() - outageStart >= 45_000, 60_000, 500);
  for (const [name, probe] of [['a', appA], ['b', appB]] as const) {
    const stats = await probe.stats();
    assert.ok(stats.queued < 30, `${name}: acked while the store is down (${stats.queued} queued)`);
    assert.ok(stats.lastSeq > 150, `${name}: the probe kept sending (${stats.lastSeq})`);
    assert.ok(spoolBytes(name) > 0, `${name}: its batches are in the spool`);
  }
  assert.ok(faultA.refused > 0 && faultA.isDown());
  // The minute is over.
  await waitFor('the end of A\'s outage', () => !faultA.isDown(), 30_000, 200);

  assert.ok(spoolBytes('b') > heldByB, 'the second collector kept spooling behind the first one\'s segments');
  // B: the refused port starts to accept, with the real engine behind it.
  const bridge = await startClickhouseHttpBridge({ dataDir, port: refusing });
  cleanup.push(() => bridge.close());

  await waitFor('every spool replayed', () => spoolBytes('a') === 0 && spoolBytes('b') === 0 && spoolBytes('c') === 0, 60_000, 200);
  // Caught up: only the last flush interval's messages wait for their ack.
  await waitFor('C\'s probe caught up after reconnecting', async () => ((await appC.stats()).queued < 8 ? true : undefined), 60_000, 500);

  const audits = await Promise.all([stopAndAudit(ctx, appA), stopAndAudit(ctx, appB), stopAndAudit(ctx, appC)]);
  await hungStore;
  assert.ok(bridge.requests > 0, 'B\'s spool went over HTTP');
  const [a, b, c] = audits;
  assert.ok(a.stored > 250, `A stored a minute and more of samples (${a.stored})`);
  assert.ok(b.stored > 250, `B stored a minute and more of samples (${b.stored})`);
  assert.ok(c.stored >= holding.lastSeq, `C stored what it held (${c.stored})`);
  // Printed for the record: rows written more than once and collapsed (or hidden by FINAL).
  process.stdout.write(`# audit ${JSON.stringify(audits.map(({ run, expected, stored, missing, duplicates, unmergedCopies }) => ({ run, expected, stored, missing: missing.length, duplicates: duplicates.length, unmergedCopies })))}\n`);
});
