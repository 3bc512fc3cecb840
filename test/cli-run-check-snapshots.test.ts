import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './helpers/cli';

/*
 * The flags of `run --check`'s own snapshots. That one command takes three snapshots by itself
 * and names the culprit is shown on the TypeScript sample in e2e-typescript.test.ts.
 */
test('--check-snapshots takes a count: anything else is one config error before anything starts', { timeout: 60_000 }, async () => {
  const { code, stderr } = await runCli(['run', '--collector', 'http://127.0.0.1:9', '--duration', '1m', '--check', '--check-snapshots', '10m', '--', process.execPath, '-e', '0']);
  assert.equal(code, 64, stderr);
  assert.match(stderr, /^leakwatch: LW_ERR_CONFIG: --check-snapshots: expected a number of snapshots \(0-6\), got "10m"\n$/);
});
