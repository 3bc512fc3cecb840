import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { openStore } from '../src/store/open-store';
import { createStoreClient } from '../src/store/store-client';
import { tableNames } from '../src/store/table-names';
import { startCli } from './helpers/cli';
import { auditDelivery } from './helpers/delivery-audit';
import { connectRawProbe, sampleAt } from './helpers/raw-probe';
import { makeTempDir } from './helpers/temp-dir';

const temp = makeTempDir('collect-drain');
const kill: (() => void)[] = [];
after(() => {
  for (const k of kill) k();
  temp.remove();
});

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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
