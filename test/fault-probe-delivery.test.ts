import assert from 'node:assert/strict';
import net from 'node:net';
import { after, test } from 'node:test';
import { startCollector, type Collector } from '../src/collector/collector';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { createLogger } from '../src/shared/log';
import { useEmbeddedStore } from './helpers/embedded-store';
import { assertDeliveryAudit, startAuditApp, storedAccount, type AuditApp } from './helpers/probe-audit';
import { getJson, waitFor } from './helpers/wait-for';
import { freePort } from './helpers/free-port';

/*
 * Delivery faults with an audit: a real app process with the probe (under
 * --unhandled-rejections=strict) against a collector on the real embedded engine. After each
 * fault the probe's own account (stopProbe() then stats()) is checked against the store: every
 * measured sample is stored once or counted in a recorded gap.
 */

const db = useEmbeddedStore({ inspector: true });
const apps: AuditApp[] = [];
const collectors: Collector[] = [];
after(async () => {
  for (const app of apps) app.kill();
  for (const c of collectors) await c.close();
});

async function collectorOn(port: number, heartbeatMs?: number): Promise<Collector> {
  const collector = await startCollector({ store: db.store, port, log: createLogger('silent'), flushIntervalMs: 200, readLocalSourceMaps: false, heartbeatMs });
  collectors.push(collector);
  return collector;
}

async function stopCollector(collector: Collector): Promise<void> {
  await collector.close();
  collectors.splice(collectors.indexOf(collector), 1);
}

async function storedSamples(runId: string): Promise<number> {
  return (await db.store.getRun(runId))?.sampleCount ?? 0;
}

/** Probe options every test shares: fast samples, no profiler traffic, a short heartbeat. */
function probeOptions(port: number, name: string): Record<string, unknown> {
  return { collector: `ws://127.0.0.1:${port}/ingest`, interval: 100, runName: name, allocSampling: false, uploadSourceMaps: false, heartbeat: '1s' };
}

test('the collector down longer than the probe buffer holds: the missing samples equal the recorded gaps exactly', { timeout: 90_000 }, async (t) => {
  const port = await freePort();
  let collector = await collectorOn(port);
  // Ten messages of buffer at 10 samples a second: one second's worth.
  const app = await startAuditApp({ ...probeOptions(port, 'fault-buffer'), maxQueuedMessages: 10 });
  apps.push(app);
  await waitFor('samples stored', async () => (await storedSamples(app.runId)) >= 5, 30_000);

  // A clean stop acks everything it stored; what the probe sends from now on waits in its buffer.
  await stopCollector(collector);
  const downAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  collector = await collectorOn(port);
  const upAt = Date.now();
  await waitFor('the probe to reconnect', () => /reconnected/.test(app.stderr()), 30_000);
  const before = await storedSamples(app.runId);
  await waitFor('samples after the reconnect', async () => (await storedSamples(app.runId)) >= before + 5, 30_000);

  const sent = await app.stop();
  const stored = await storedAccount(db.ctx, db.store, app.runId);
  assertDeliveryAudit(sent, stored);
  assert.ok(stored.gapSamples >= 10, `a 3 s outage with a 1 s buffer loses samples: ${stored.gapSamples}`);
  t.diagnostic(`measured ${sent.queuedSamples}, stored ${stored.samples}, lost ${stored.gapSamples} in ${stored.gaps.length} gaps; stopProbe() took ${sent.stopMs} ms`);
  for (const gap of stored.gaps) {
    assert.equal(gap.boot, app.bootId);
    assert.ok(gap.fromTs >= downAt - 1000 && gap.toTs <= upAt + 5000 && gap.fromTs <= gap.toTs, `gap ${JSON.stringify(gap)} lies in the outage ${downAt}..${upAt}`);
  }
  const { status, body } = await getJson<{ gaps: typeof stored.gaps }>(`${collector.url}/api/runs/${app.runId}/gaps`);
  assert.equal(status, 200);
  assert.deepEqual(body.gaps, stored.gaps, 'the API answers the stored gaps');
  assert.doesNotMatch(app.stderr(), /\n\s+at /, 'no stack trace in the app');
  await stopCollector(collector);
});

/**
 * A TCP proxy whose `freeze()` stops forwarding on the open connections without closing them.
 * `upstreamClosedAt` is when the collector ended its side of a frozen connection.
 */
async function startFreezableProxy(targetPort: number) {
  const pairs: [net.Socket, net.Socket][] = [];
  let upstreamClosedAt: number | undefined;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    upstream.once('close', () => {
      if ((upstream as net.Socket & { frozen?: boolean }).frozen) upstreamClosedAt ??= Date.now();
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => pairs.length,
    upstreamClosedAt: () => upstreamClosedAt,
    /**
     * Half-open in both directions: bytes are neither forwarded nor refused, no FIN, no RST. The
     * collector's side is read and discarded, so its end of the connection can be seen.
     */
    freeze(): void {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        (upstream as net.Socket & { frozen?: boolean }).frozen = true;
        upstream.on('data', () => undefined);
        upstream.resume();
      }
    },
    close(): void {
      server.close();
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
  };
}

test('a half-open connection is found by both heartbeats well within 30 s; the probe reconnects and resends, nothing is lost', { timeout: 90_000 }, async (t) => {
  // 1 s heartbeats on both sides (the defaults, 10 s, find one within 20 s).
  const collector = await collectorOn(0, 1000);
  const proxy = await startFreezableProxy(collector.port);
  try {
    const app = await startAuditApp(probeOptions(proxy.port, 'fault-half-open'));
    apps.push(app);
    await waitFor('samples stored', async () => (await storedSamples(app.runId)) >= 5, 30_000);
    assert.equal(proxy.connections(), 1);

    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor('the probe to give up on the silent connection', () => /no answer from/.test(app.stderr()), 30_000, 50);
    const detectedMs = Date.now() - frozenAt;
    await waitFor('the probe to reconnect through a new connection', () => /reconnected/.test(app.stderr()), 30_000);
    assert.ok(proxy.connections() >= 2);
    const before = await storedSamples(app.runId);
    await waitFor('samples after the reconnect', async () => (await storedSamples(app.runId)) >= before + 5, 30_000);

    const sent = await app.stop();
    const stored = await storedAccount(db.ctx, db.store, app.runId);
    assertDeliveryAudit(sent, stored);
    assert.equal(stored.gaps.length, 0, 'the buffer held the silent stretch: no gap');
    // 1 s heartbeat: two silent rounds, so about 2 s (the default 10 s heartbeat makes it 20 s).
    assert.ok(detectedMs < 30_000, `found after ${detectedMs} ms`);
    const collectorDropped = await waitFor('the collector to end its side of the silent connection', () => proxy.upstreamClosedAt(), 30_000);
    assert.ok(collectorDropped - frozenAt < 30_000, `the collector ended it after ${collectorDropped - frozenAt} ms`);
    t.diagnostic(`1 s heartbeats: found by the probe after ${detectedMs} ms, by the collector after ${collectorDropped - frozenAt} ms`);
  } finally {
    proxy.close();
    await stopCollector(collector);
  }
});

test('a probe host near its heap limit: the snapshot is refused with the reason, no OOM, samples keep flowing', { timeout: 120_000 }, async () => {
  const collector = await collectorOn(0);
  try {
    // 46 MB held under a 64 MB old space: ~85 % full, far below what the machine has free.
    const app = await startAuditApp(probeOptions(collector.port, 'fault-heap-limit'), { nodeArgs: ['--max-old-space-size=64'], holdMb: 46 });
    apps.push(app);
    await waitFor('samples stored', async () => (await storedSamples(app.runId)) >= 5, 30_000);

    const answer = await fetch(`${collector.url}/api/runs/${app.runId}/snapshots`, { method: 'POST' });
    assert.equal(answer.status, 202);
    const { snapshot } = (await answer.json()) as { snapshot: SnapshotRecord };
    assert.equal(snapshot.status, 'refused', JSON.stringify(snapshot));
    assert.equal(snapshot.errorCode, 'LW_ERR_SNAPSHOT_REFUSED');
    assert.match(snapshot.reason, /old-space limit \(--max-old-space-size\)/);

    const before = await storedSamples(app.runId);
    await waitFor('samples after the refusal', async () => (await storedSamples(app.runId)) >= before + 10, 30_000);
    const sent = await app.stop();
    assert.equal(sent.held, 46, 'the app still holds its heap');
    assert.equal(sent.snapshots.refused, 1);
    assertDeliveryAudit(sent, await storedAccount(db.ctx, db.store, app.runId));
    assert.doesNotMatch(app.stderr(), /heap out of memory|FATAL/);
  } finally {
    await stopCollector(collector);
  }
});

test('at the default heartbeats (10 s on both sides) both sides end a half-open connection within 30 s', { timeout: 120_000 }, async (t) => {
  const collector = await collectorOn(0);
  const proxy = await startFreezableProxy(collector.port);
  try {
    const defaults = probeOptions(proxy.port, 'fault-half-open-default');
    delete defaults.heartbeat;
    const app = await startAuditApp(defaults);
    apps.push(app);
    await waitFor('samples stored', async () => (await storedSamples(app.runId)) >= 3, 30_000);
    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor('the probe to give up on the silent connection', () => /no answer from/.test(app.stderr()), 40_000, 100);
    const probeMs = Date.now() - frozenAt;
    const collectorMs = (await waitFor('the collector to end its side', () => proxy.upstreamClosedAt(), 40_000)) - frozenAt;
    assert.ok(probeMs <= 30_000, `the probe found it after ${probeMs} ms`);
    assert.ok(collectorMs <= 30_000, `the collector found it after ${collectorMs} ms`);
    t.diagnostic(`half-open found by the probe after ${probeMs} ms, by the collector after ${collectorMs} ms`);
    await waitFor('the probe to reconnect', () => /reconnected/.test(app.stderr()), 30_000);
    const sent = await app.stop();
    assertDeliveryAudit(sent, await storedAccount(db.ctx, db.store, app.runId));
  } finally {
    proxy.close();
    await stopCollector(collector);
  }
});
