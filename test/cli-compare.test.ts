import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RunComparison } from '../src/api/run-comparison';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { runCli } from './helpers/cli';
import { COMMIT_A, COMMIT_B, TREND_FLAGS, startComparedReleases } from './helpers/compare-fixture';
import { makeTempDir } from './helpers/temp-dir';

/*
 * `leakwatch compare` on two runs of real apps with the real probe, each in its own project
 * directory: the healthy release (flat heap) and the next one (a leak), whose lock files differ
 * by one upgraded, one added and one removed dependency, and whose git commits differ.
 */
const tmp = makeTempDir('cli-compare');
let store: Store | undefined;
let collector: Collector | undefined;
let children: ChildProcess[] = [];
const TREND = TREND_FLAGS;

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('warn'), snapshotDir: path.join(tmp.dir, 'snapshots') });
  children = await startComparedReleases(tmp.dir, collector.url);
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await collector?.close();
  await store?.close();
  tmp.remove();
});

test('compare --json: the dependency diff, the app version and commit change, verdicts and slopes per process', { timeout: 120_000 }, async () => {
  const res = await runCli(['compare', 'orders-healthy', 'orders-leaky', '--collector', collector!.url, '--json', ...TREND]);
  assert.equal(res.code, 0, res.stderr);
  const cmp = JSON.parse(res.stdout) as RunComparison;
  const names = (list: RunComparison['dependencies']['added']) => list.map((c) => `${c.name} ${c.from.join(',')}->${c.to.join(',')}`);
  assert.deepEqual(names(cmp.dependencies.added), ['lru-cache ->10.2.0']);
  assert.deepEqual(names(cmp.dependencies.removed), ['left-pad 1.3.0->']);
  assert.deepEqual(names(cmp.dependencies.upgraded), ['body-parser 1.20.1->1.20.2', 'express 4.18.2->4.19.2']);
  assert.deepEqual(cmp.dependencies.downgraded, []);
  assert.deepEqual(cmp.dependencies.changed, []);
  assert.equal(cmp.dependencies.unchanged, 2);
  assert.equal(cmp.dependencies.upgraded.find((c) => c.name === 'express')?.direct, true);
  assert.equal(cmp.dependencies.upgraded.find((c) => c.name === 'body-parser')?.direct, false);
  const changed = Object.fromEntries(cmp.changes.map((c) => [c.field, `${c.from.join(',')}->${c.to.join(',')}`]));
  assert.equal(changed.appVersion, '1.0.0->1.1.0');
  assert.equal(changed.gitCommit, `${COMMIT_A}->${COMMIT_B}`);
  assert.ok(changed.lockSha256, 'the lock hash changed');
  assert.equal(changed.appName, undefined, 'same app name');
  assert.equal(changed.nodeVersion, undefined, 'same Node');

  // Verdicts and heap-floor slopes, per run and per process: the leaky release grows, the healthy one does not.
  assert.equal(cmp.b.verdict.verdict, 'leak', JSON.stringify(cmp.b.verdict));
  assert.notEqual(cmp.a.verdict.verdict, 'leak', JSON.stringify(cmp.a.verdict));
  for (const side of [cmp.a, cmp.b]) {
    assert.equal(side.processes.length, 1);
    assert.equal(side.processes[0].appName, 'orders');
    assert.equal(typeof side.processes[0].floorSlopeBytesPerHour, 'number');
  }
  assert.equal(cmp.b.processes[0].verdict, 'leak');
  assert.notEqual(cmp.a.processes[0].verdict, 'leak', JSON.stringify(cmp.a.processes[0]));
  assert.ok(cmp.b.processes[0].floorSlopeBytesPerHour! > 64 * 1024 * 1024, JSON.stringify(cmp.b.processes[0]));
  assert.ok(cmp.b.processes[0].floorSlopeBytesPerHour! > cmp.a.processes[0].floorSlopeBytesPerHour!, JSON.stringify([cmp.a.processes[0], cmp.b.processes[0]]));
  assert.equal(cmp.a.topTypes, null, 'no snapshot was taken');
});

test('compare as text names the changes and both verdicts', { timeout: 60_000 }, async () => {
  const res = await runCli(['compare', 'orders-healthy', 'orders-leaky', '--collector', collector!.url, ...TREND]);
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^A: run orders-healthy/m);
  assert.match(res.stdout, /^B: run orders-leaky/m);
  assert.match(res.stdout, /^ {2}verdict leak /m);
  assert.match(res.stdout, /^ {4}added lru-cache \(direct\) 10\.2\.0$/m);
  assert.match(res.stdout, /^ {4}removed left-pad \(direct\) 1\.3\.0$/m);
  assert.match(res.stdout, /^ {4}upgraded express \(direct\) 4\.18\.2 -> 4\.19\.2$/m);
  assert.match(res.stdout, /^ {2}gitCommit: a{40} -> b{40}$/m);
  assert.match(res.stdout, /^ {2}appVersion: 1\.0\.0 -> 1\.1\.0$/m);
});

test('a bad run id is one LW_ERR_NOT_FOUND line and exit 64', { timeout: 60_000 }, async () => {
  for (const args of [['no-such-run', 'orders-leaky'], ['orders-healthy', 'no-such-run']]) {
    const res = await runCli(['compare', ...args, '--collector', collector!.url]);
    assert.equal(res.code, 64, res.stderr);
    assert.equal(res.stdout, '');
    assert.match(res.stderr, /^leakwatch: LW_ERR_NOT_FOUND: .*no-such-run.*\n$/);
  }
  const same = await runCli(['compare', 'orders-healthy', 'orders-healthy', '--collector', collector!.url]);
  assert.equal(same.code, 64);
  assert.match(same.stderr, /^leakwatch: LW_ERR_USAGE: name two different runs\n$/);
});

test('with no collector running, compare opens the data directory itself and gives the same comparison', { timeout: 120_000 }, async () => {
  for (const child of children) child.kill('SIGKILL');
  const viaApi = JSON.parse((await runCli(['compare', 'orders-healthy', 'orders-leaky', '--collector', collector!.url, '--json', ...TREND])).stdout) as RunComparison;
  await collector!.close();
  await store!.close();
  collector = undefined;
  store = undefined;
  const res = await runCli(['compare', 'orders-healthy', 'orders-leaky', '--data', path.join(tmp.dir, 'data'), '--json', ...TREND]);
  assert.equal(res.code, 0, res.stderr);
  const local = JSON.parse(res.stdout) as RunComparison;
  assert.deepEqual(local.dependencies, viaApi.dependencies);
  assert.deepEqual(local.changes, viaApi.changes);
  assert.deepEqual([local.a.verdict.verdict, local.b.verdict.verdict], [viaApi.a.verdict.verdict, viaApi.b.verdict.verdict]);
  assert.equal(local.b.processes[0].verdict, 'leak');
  // An empty data directory has no such runs: one line, exit 64.
  const none = await runCli(['compare', 'a', 'b', '--data', path.join(tmp.dir, 'empty-data')]);
  assert.equal(none.code, 64, none.stderr);
  assert.match(none.stderr, /^leakwatch: LW_ERR_NOT_FOUND: .*"a".*\n$/);
});
