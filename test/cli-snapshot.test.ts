import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import type { SnapshotRecord, SnapshotTypeRow } from '../src/shared/snapshot-data';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { runCli, startCli } from './helpers/cli';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe, type RawProbe } from './helpers/raw-probe';
import { uploadSnapshot } from './helpers/snapshot-upload-client';
import { makeTempDir } from './helpers/temp-dir';
import { getJson } from './helpers/wait-for';

/*
 * `leakwatch snapshot` as a user runs it (the real bin in a child process) against a real
 * collector on the embedded store; the probe end is played by the test over real sockets, and
 * the snapshot is a real V8 heap snapshot.
 */

const temp = makeTempDir('cli-snapshot');
const LEAKS = 15_000;
let store: Store;
let collector: Collector;
let file: string;

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('silent'), flushIntervalMs: 100, snapshotDir: path.join(temp.dir, 'snapshots'), snapshotRequestTimeoutMs: 2000, snapshotMinGapMs: 0 });
  file = (await writeGrowingSnapshots(temp.dir, LEAKS)).after;
});

after(async () => {
  await collector?.close();
  await store?.close();
  temp.remove();
});

const ingestUrl = () => `${collector.url.replace('http', 'ws')}/ingest`;

/** Plays the probe for one request: answers capturing and uploads the file slowly enough to watch. */
async function answerWithUpload(probe: RawProbe, sid: string, options: { sha256?: string } = {}): Promise<void> {
  const requestId = await probe.waitForRequest(30_000);
  probe.sendStatus({ state: 'capturing', snapshotId: sid, requestId });
  await new Promise((resolve) => setTimeout(resolve, 600));
  await uploadSnapshot(collector.url, { run: probe.run, boot: probe.boot, snapshotId: sid, file, chunkDelayMs: 250, ...options });
}

test('leakwatch snapshot shows upload and analysis progress and prints the largest types', { timeout: 120_000 }, async () => {
  const probe = await connectRawProbe(ingestUrl(), 'cli-run');
  try {
    await probe.waitForAck(probe.sendBatch(1));
    const cli = startCli(['snapshot', 'cli-run', '--collector', collector.url, '--top', '5']);
    await answerWithUpload(probe, 'cli-1');
    const { code } = await cli.exited;
    const stdout = cli.stdout();
    const stderr = cli.stderr();
    assert.equal(code, 0, stderr);
    // Not a terminal: plain progress lines on stderr, upload then analysis.
    assert.match(stderr, /^capturing the heap snapshot$/m);
    assert.match(stderr, /^uploading [\d.]+ MB \d+%$/m);
    assert.match(stderr, /^analysing( \(\w+\))? \d+%$/m);
    assert.ok(stderr.indexOf('uploading') < stderr.indexOf('analysing'), 'upload before analysis');
    assert.doesNotMatch(stderr, /\x1b/, 'no terminal control characters in a pipe');

    const api = await getJson<{ snapshot: SnapshotRecord; types: SnapshotTypeRow[] }>(`${collector.url}/api/runs/cli-run/snapshots/cli-1`);
    assert.equal(api.body.snapshot.status, 'ready');
    assert.match(stdout, new RegExp(`^snapshot cli-1 of run cli-run ready: ${api.body.snapshot.nodeCount} nodes, ${api.body.snapshot.edgeCount} edges, ${api.body.types.length} types`, 'm'));
    const lines = stdout.split('\n');
    const header = lines.findIndex((l) => /^TYPE\s+COUNT\s+SELF\s+RETAINED$/.test(l));
    assert.ok(header > 0, stdout);
    const listed = lines.slice(header + 1, header + 6).map((l) => l.split(/\s{2,}/)[0]);
    assert.deepEqual(listed, api.body.types.slice(0, 5).map((t) => t.type), 'the top 5 types, largest retained first');
    assert.match(stdout, /download \(opens in Chrome DevTools, Memory tab\): http:\/\/.+\/api\/runs\/cli-run\/snapshots\/cli-1\/download/);

    // --json: the same snapshot and every type, machine-readable.
    const jsonCli = startCli(['snapshot', 'cli-run', '--collector', collector.url, '--json']);
    await answerWithUpload(probe, 'cli-2');
    const { code: jsonCode } = await jsonCli.exited;
    assert.equal(jsonCode, 0, jsonCli.stderr());
    const parsed = JSON.parse(jsonCli.stdout()) as { snapshot: SnapshotRecord; types: SnapshotTypeRow[] };
    assert.equal(parsed.snapshot.id, 'cli-2');
    assert.equal(parsed.snapshot.status, 'ready');
    assert.equal(parsed.types.find((t) => t.type === 'LeakwatchTestLeak')?.count, LEAKS);
  } finally {
    await probe.close();
  }
});

test('a refused or failed snapshot exits 1 with the reason on one line', { timeout: 120_000 }, async () => {
  const probe = await connectRawProbe(ingestUrl(), 'cli-refused');
  try {
    await probe.waitForAck(probe.sendBatch(1));
    const refused = startCli(['snapshot', 'cli-refused', '--collector', collector.url]);
    const reason = 'needs about 900 MB, 200 MB available';
    probe.sendStatus({ state: 'refused', snapshotId: 'r-1', requestId: await probe.waitForRequest(30_000), reason, errorCode: 'LW_ERR_SNAPSHOT_REFUSED' });
    const result = await refused.exited;
    assert.equal(result.code, 1);
    assert.equal(refused.stderr(), `leakwatch: LW_ERR_SNAPSHOT_REFUSED: ${reason}\n`);
    assert.equal(refused.stdout(), '');

    const failing = startCli(['snapshot', 'cli-refused', '--collector', collector.url]);
    await answerWithUpload(probe, 'f-1', { sha256: 'f'.repeat(64) });
    assert.equal((await failing.exited).code, 1);
    assert.match(failing.stderr(), /^leakwatch: LW_ERR_SNAPSHOT_CHECKSUM: sha256 [0-9a-f]{64} does not match f{64}$/m);

    // --no-wait returns as soon as the probe accepted.
    const quick = startCli(['snapshot', 'cli-refused', '--collector', collector.url, '--no-wait']);
    probe.sendStatus({ state: 'capturing', snapshotId: 'q-1', requestId: await probe.waitForRequest(30_000) });
    assert.equal((await quick.exited).code, 0, quick.stderr());
    assert.equal(quick.stdout(), 'snapshot q-1 of run cli-refused: capturing\n');
  } finally {
    await probe.close();
  }
  const noProbe = await runCli(['snapshot', 'cli-refused', '--collector', collector.url]);
  assert.equal(noProbe.code, 1);
  assert.match(noProbe.stderr, /^leakwatch: LW_ERR_SNAPSHOT_NO_PROBE: .*no probe of run cli-refused is connected\n$/);
});

test('--data finds the collector that owns the directory, which keeps snapshots in <data>/snapshots', { timeout: 120_000 }, async () => {
  const dataDir = path.join(temp.dir, 'owned');
  const collect = startCli(['collect', '--port', '0', '--data', dataDir]);
  try {
    const [, url] = await collect.waitForLine(/listening on (http:\/\/\S+)/);
    const probe = await connectRawProbe(`${url.replace('http', 'ws')}/ingest`, 'owned-run');
    try {
      await probe.waitForAck(probe.sendBatch(1));
      const cli = startCli(['snapshot', 'owned-run', '--data', dataDir]);
      const requestId = await probe.waitForRequest(30_000);
      probe.sendStatus({ state: 'capturing', snapshotId: 'o-1', requestId });
      const uploaded = await uploadSnapshot(url, { run: 'owned-run', boot: probe.boot, snapshotId: 'o-1', file });
      assert.equal(uploaded.stored, true);
      assert.equal((await cli.exited).code, 0, cli.stderr());
      assert.match(cli.stdout(), /^snapshot o-1 of run owned-run ready: /m);
      assert.ok(fs.existsSync(path.join(dataDir, 'snapshots', 'owned-run', 'o-1.heapsnapshot.gz')));
    } finally {
      await probe.close();
    }
  } finally {
    collect.child.kill('SIGINT');
    await collect.exited;
  }
});

test('user errors exit 64 with one line', { timeout: 60_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['snapshot', 'no-such-run', '--collector', collector.url], /^leakwatch: LW_ERR_NOT_FOUND: .*no run "no-such-run"\n$/],
    [['snapshot', 'x', '--data', path.join(temp.dir, 'nobody-home')], /^leakwatch: LW_ERR_COLLECTOR_UNREACHABLE: no collector is running on .*nobody-home.*--collector <url>\)\n$/],
    [['snapshot', 'x', '--collector', collector.url, '--top', 'many'], /^leakwatch: LW_ERR_CONFIG: --top: expected a whole number/],
    [['snapshot'], /^leakwatch: LW_ERR_USAGE: missing required argument 'run'/],
  ];
  for (const [args, pattern] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, 64, args.join(' '));
    assert.match(result.stderr, pattern, args.join(' '));
  }
});
