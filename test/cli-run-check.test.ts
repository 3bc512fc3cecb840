import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { BIN, SAMPLES, runCli } from './helpers/cli';
import { MEASURED_FLOOR_FLAGS } from './helpers/measured-floor';
import { makeTempDir } from './helpers/temp-dir';

/*
 * The one-step CI soak: `leakwatch run --duration … --check -- <cmd>` runs the real leaky sample
 * under the real probe and embedded collector, then exits with the verdict (the probe measures the
 * floor once a second, helpers/measured-floor.ts, so one minute is enough for a verdict on any machine).
 * And thresholds from the project's leakwatch.config.json.
 */
const tmp = makeTempDir('run-check');
after(() => tmp.remove());

test('run --check on the leaky sample exits 1 with the verdict and writes a JUnit report', { timeout: 120_000 }, async () => {
  const report = path.join(tmp.dir, 'leak.xml');
  const result = await runCli([
    'run', '--port', '0', '--data', path.join(tmp.dir, 'data'), '--interval', '250ms', '--duration', '60s',
    '--check', '--no-check-snapshots', '--warmup', '10s', '--min-duration', '30s', '--max-slope', '1MB/h', '--format', 'junit', '--report', report,
    ...MEASURED_FLOOR_FLAGS, '--', process.execPath, path.join(SAMPLES, 'leaky-cache-server.js'),
  ]);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  // --no-check-snapshots: the verdict alone, no snapshot taken for it (cli-run-check-snapshots.test.ts takes them).
  assert.doesNotMatch(result.stderr, /snapshot/, result.stderr);
  assert.match(fs.readFileSync(report, 'utf8'), /<failure message="memory leak" type="leak">heap floor \+\d+ MB\/h/);
});

test('run --check with the default thresholds on a short run is inconclusive: exit 2', { timeout: 120_000 }, async () => {
  const result = await runCli([
    'run', '--port', '0', '--data', path.join(tmp.dir, 'data2'), '--interval', '250ms', '--duration', '8s', '--check',
    '--', process.execPath, path.join(SAMPLES, 'healthy-churn-server.js'),
  ]);
  assert.equal(result.code, 2, result.stdout + result.stderr);
  assert.match(result.stdout, /^inconclusive: run [\w-]+\n  too short: \d s of samples, all in the 60 s warm-up; need 10 min after it\n/m);
  // Too short for the snapshots of the culprit, and told so before it starts.
  assert.match(result.stderr, /^leakwatch: a 8 s run has room for 0 of the 3 snapshots the suspects need after its 60 s warm-up: run longer \(--duration\) for the culprit$/m);
});

test('thresholds come from leakwatch.config.json in the working directory; flags win; a bad file is one line', () => {
  const project = path.join(tmp.dir, 'project');
  fs.mkdirSync(project);
  const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: project, encoding: 'utf8' });
  fs.writeFileSync(path.join(project, 'leakwatch.config.json'), JSON.stringify({ check: { minDuration: '2h' } }));
  // No run is needed to see the thresholds apply: an invalid flag is still reported before anything runs,
  // and the config's own errors are reported the same way.
  fs.writeFileSync(path.join(project, 'leakwatch.config.json'), JSON.stringify({ check: { maxSlope: 'fast' } }));
  let out = cli('check', '--latest', '--data', path.join(project, 'data'));
  assert.equal(out.status, 64);
  assert.match(out.stderr, /^leakwatch: LW_ERR_CONFIG: leakwatch\.config\.json check\.maxSlope: expected a rate such as 1MB\/h, got "fast"\n$/);
  fs.writeFileSync(path.join(project, 'leakwatch.config.json'), JSON.stringify({ check: { maxSlop: '1MB/h' } }));
  out = cli('check', '--latest', '--data', path.join(project, 'data'));
  assert.equal(out.status, 64);
  assert.match(out.stderr, /unknown setting check\.maxSlop/);
  fs.writeFileSync(path.join(project, 'leakwatch.config.json'), '{ not json');
  out = cli('check', '--latest', '--data', path.join(project, 'data'));
  assert.equal(out.status, 64);
  assert.match(out.stderr, /^leakwatch: LW_ERR_CONFIG: leakwatch\.config\.json is not valid JSON/);
});
