import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { TypeDiffRow } from '../src/shared/snapshot-data';
import { runCli } from './helpers/cli';
import { LEAKS, useSnapshotCollector } from './helpers/collector-snapshots';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { connectRawProbe } from './helpers/raw-probe';

/*
 * `leakwatch diff <run> <a> <b>` as a user runs it (the real bin in a child process) against a
 * real collector that received two real snapshots of one growing process.
 */
const fx = useSnapshotCollector('cli-diff');
const run = 'cli-diff';

before(async () => {
  const files = await writeGrowingSnapshots(fx.temp.dir, LEAKS);
  const probe = await connectRawProbe(`${fx.collector.url.replace('http', 'ws')}/ingest`, run);
  try {
    assert.equal((await fx.captureAndUpload(probe, 'a', files.before)).stored, true);
    assert.equal((await fx.captureAndUpload(probe, 'b', files.after)).stored, true);
    await fx.waitForStatus(run, 'a', 'ready');
    await fx.waitForStatus(run, 'b', 'ready');
  } finally {
    await probe.close();
  }
});

test('leakwatch diff prints the per-type diff with #new / #deleted, and --json the API\'s answer', { timeout: 120_000 }, async () => {
  const json = await runCli(['diff', run, 'a', 'b', '--collector', fx.collector.url, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const body = JSON.parse(json.stdout) as { matchedById: boolean; rows: TypeDiffRow[] };
  assert.equal(body.matchedById, true);
  const leak = body.rows.find((r) => r.type === 'LeakwatchTestLeak');
  assert.deepEqual([leak?.countDelta, leak?.newCount, leak?.deletedCount], [LEAKS, LEAKS, 0]);

  const text = await runCli(['diff', run, 'a', 'b', '--collector', fx.collector.url, '--top', '3']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^run cli-diff: snapshot a → b: reachable .+ nodes\n/);
  assert.match(text.stdout, /^TYPE\s+COUNT A → B\s+ΔCOUNT\s+#NEW\s+#DELETED\s+NEW SIZE\s+ΔSELF\s+ΔRETAINED$/m);
  const rows = text.stdout.split('\n').filter((l) => /^\S.*\s→\s/.test(l) && !l.startsWith('TYPE') && !l.startsWith('run '));
  assert.deepEqual(rows.map((l) => l.split(/\s{2,}/)[0]), body.rows.slice(0, 3).map((r) => r.type), 'the top 3 by retained growth');
  assert.match(text.stdout, new RegExp(`… ${body.rows.length - 3} more types`));
});

test('leakwatch diff: unknown snapshot, same id twice, no collector: one line with a code, exit 64', { timeout: 60_000 }, async () => {
  const unknown = await runCli(['diff', run, 'a', 'nope', '--collector', fx.collector.url]);
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /^leakwatch: LW_ERR_NOT_FOUND: .*nope/);
  const same = await runCli(['diff', run, 'a', 'a', '--collector', fx.collector.url]);
  assert.equal(same.code, 64);
  assert.match(same.stderr, /^leakwatch: LW_ERR_USAGE: give two different snapshot ids/);
  const none = await runCli(['diff', run, 'a', 'b', '--data', fx.temp.dir]);
  assert.equal(none.code, 64);
  assert.match(none.stderr, /^leakwatch: LW_ERR_COLLECTOR_UNREACHABLE: no collector is running on/);
});
