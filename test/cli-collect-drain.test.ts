import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { encodeRecord } from '../src/collector/spool/spool-record';
import type { HelloMessage } from '../src/protocol/messages';
import type { RunSummary } from '../src/shared/run-data';
import { openStore } from '../src/store/open-store';
import { createStoreClient } from '../src/store/store-client';
import type { SampleRow } from '../src/store/store-interface';
import { tableNames } from '../src/store/table-names';
import { startCli } from './helpers/cli';
import { auditDelivery } from './helpers/delivery-audit';
import { connectRawProbe, sampleAt } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';
import { freePort } from './helpers/free-port';

const temp = makeTempDir('collect-drain');
const kill: (() => void)[] = [];
after(() => {
  for (const k of kill) k();
  temp.remove();
});

test('SIGTERM of `leakwatch collect` stores and acknowledges what it received, then exits within 10 s', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const data = path.join(temp.dir, 'data');
  const cli = startCli(['collect', '--port', String(port), '--data', data, '--log-level', 'info']);
  kill.push(() => cli.child.kill('SIGKILL'));
  await cli.waitForLine(/listening on/);
  const probe = await connectRawProbe(`ws://127.0.0.1:${port}/ingest`, 'drain-run');
  const t0 = Date.now() - 60_000;
  probe.send({ type: 'batch', samples: [sampleAt(t0)], spaces: [], gcs: [] });
  await probe.waitForAck(1, 30_000); // the run row exists; everything below waits in the writer
  for (let seq = 2; seq <= 40; seq++) probe.send({ type: 'batch', samples: [sampleAt(t0 + seq * 100)], spaces: [], gcs: [] });
  // Sent before the signal: the frames are on the collector's socket when it starts shutting down.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const signalled = Date.now();
  cli.child.kill('SIGTERM');
  const exit = await cli.exited;
  const took = Date.now() - signalled;
  assert.equal(exit.code, 0, cli.stderr());
  assert.ok(took < 10_000, `exited ${took} ms after SIGTERM`);
  process.stdout.write(`# exited ${took} ms after SIGTERM\n`);
  assert.match(cli.stderr(), /shutting down/);
  const acked = Math.max(...probe.acks.map((a) => a.seq));
  assert.equal(acked, 40, 'every batch received before the signal was acknowledged before the exit');

  // The data directory is free again: everything acked is in the store, once.
  const store = await openStore({ target: { kind: 'embedded', dataDir: data }, retentionDays: 30 });
  try {
    const inspector = createStoreClient({ kind: 'embedded', dataDir: data });
    const audit = await auditDelivery({ client: inspector.client, tables: tableNames(inspector.database) }, { run: 'drain-run', boot: probe.boot, lastSeq: acked });
    assert.ok(audit.ok && audit.stored === 40, JSON.stringify(audit));
    await inspector.client.close();
  } finally {
    await store.close();
  }
});

test('a spool with a torn tail: `leakwatch collect` quarantines it once, replays the records before it, and starts again cleanly', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const data = path.join(temp.dir, 'torn');
  const spoolDir = path.join(data, 'spool');
  fs.mkdirSync(spoolDir, { recursive: true });
  // What a collector killed in the middle of an append leaves: whole records, then half of one.
  const run = 'torn-run';
  const boot = 'torn-boot';
  const t0 = Date.now() - 60_000;
  const hello = { v: 1, type: 'hello', run, boot, seq: 0, name: 'torn', labels: {}, pid: 1, host: 'h', node: process.version, argv: [], startedAt: t0, intervalMs: 1000, probeVersion: 'test' } as HelloMessage;
  const sampleRecord = (seq: number) => encodeRecord({ sender: `${run}/${boot}`, rows: { samples: [{ ...(sampleAt(t0 + seq * 1000) as unknown as SampleRow), run, boot, seq }], spaces: [], gcs: [] } });
  const torn = sampleRecord(4);
  fs.writeFileSync(path.join(spoolDir, 'seg-000000000001.lws'), Buffer.concat([
    encodeRecord({ sender: `${run}/${boot}`, rows: { samples: [], spaces: [], gcs: [] }, hello }),
    sampleRecord(1), sampleRecord(2), sampleRecord(3),
    torn.subarray(0, torn.length - 7),
  ]));

  const start = () => {
    const cli = startCli(['collect', '--port', String(port), '--data', data, '--log-level', 'info']);
    kill.push(() => cli.child.kill('SIGKILL'));
    return cli;
  };
  const first = start();
  await first.waitForLine(/listening on/);
  const run1 = await waitFor('the spooled samples replayed', async () => {
    const { status, body } = await getJson<{ run: RunSummary }>(`http://127.0.0.1:${port}/api/runs/${run}`);
    return status === 200 && body.run.sampleCount === 3 ? body.run : undefined;
  }, 30_000);
  assert.equal(run1.name, 'torn', 'the spooled hello made the run row');
  assert.equal(first.stderr().match(/LW_ERR_SPOOL_CORRUPT/g)?.length, 1, first.stderr());
  assert.match(first.stderr(), /torn record/);
  assert.equal(fs.readdirSync(path.join(spoolDir, 'quarantine')).length, 1);
  first.child.kill('SIGTERM');
  assert.equal((await first.exited).code, 0);

  // No crash loop and no log loop: the damage is gone, the next start is quiet.
  const second = start();
  await second.waitForLine(/listening on/);
  assert.doesNotMatch(second.stderr(), /LW_ERR_SPOOL_CORRUPT/);
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
});
