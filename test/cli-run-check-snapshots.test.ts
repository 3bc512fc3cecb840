import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { SAMPLES, runCli } from './helpers/cli';
import { steadyGcEnv } from './helpers/steady-gc';
import { makeTempDir } from './helpers/temp-dir';

/*
 * One command gives the verdict and the culprit: `leakwatch run --duration 70s --check` on the
 * leaky sample, with no snapshot flag at all, takes three snapshots by itself once the trend points
 * to a leak, waits for their analysis, and names the sample's unbounded Map as suspect 1.
 */
const tmp = makeTempDir('run-check-snapshots');
after(() => tmp.remove());

test('run --check takes three snapshots by itself and names the leaking Map as suspect 1', { timeout: 240_000 }, async () => {
  const report = path.join(tmp.dir, 'verdict.json');
  const result = await runCli([
    'run', '--port', '0', '--data', path.join(tmp.dir, 'data'), '--interval', '250ms', '--duration', '70s',
    '--check', '--warmup', '10s', '--min-duration', '30s', '--report', report,
    '--', process.execPath, path.join(SAMPLES, 'leaky-cache-server.js'),
  ], steadyGcEnv('leaky-cache-server.js'));
  const all = result.stdout + result.stderr;
  assert.equal(result.code, 1, all);
  for (const n of [1, 2, 3]) assert.match(result.stderr, new RegExp(`^leakwatch: snapshot ${n} of 3 taken \\(\\S+\\): the trend points to a leak$`, 'm'), all);
  assert.match(result.stderr, /^leakwatch: the run took 3 snapshots by itself \(the trend pointed to a leak after \d+ s\), 3 analysed$/m, all);
  assert.match(result.stdout, /^leak: run [\w-]+, /m, all);
  assert.match(result.stdout, /^ {2}suspect 1: responseCache \(Map\) \+[\d,]+ entries, .*— leaky-cache-server\.js \(module\) › responseCache \(Map\) › \[\*\] › CachedResponse$/m, all);
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as { verdict: string; suspects: { kind: string; takenAt: number[]; paths: { container: string | null } }[] };
  assert.equal(json.verdict, 'leak');
  assert.equal(json.suspects[0]!.kind, 'map');
  assert.equal(json.suspects[0]!.paths.container, 'leaky-cache-server.js (module) › responseCache (Map)');
  // Ranked over the three snapshots the run took, spaced (the planner's gap is at least 15 s).
  const taken = json.suspects[0]!.takenAt;
  assert.equal(taken.length, 3);
  assert.ok(taken[1]! - taken[0]! >= 14_000 && taken[2]! - taken[1]! >= 14_000, JSON.stringify(taken));
});

test('--check-snapshots takes a count: anything else is one config error before anything starts', { timeout: 60_000 }, async () => {
  const { code, stderr } = await runCli(['run', '--collector', 'http://127.0.0.1:9', '--duration', '1m', '--check', '--check-snapshots', '10m', '--', process.execPath, '-e', '0']);
  assert.equal(code, 64, stderr);
  assert.match(stderr, /^leakwatch: LW_ERR_CONFIG: --check-snapshots: expected a number of snapshots \(0-6\), got "10m"\n$/);
});
