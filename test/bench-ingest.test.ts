import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './helpers/cli';

/**
 * The ingest benchmark's code, run small: real collector process, real sockets, real store.
 * It asserts what the benchmark counts (every batch acknowledged and stored, both phases
 * reported), never how fast: figures on a shared machine are the benchmark's business.
 */

const MAIN = path.join(REPO_ROOT, 'dist', 'bench', 'ingest', 'main.js');
const run = promisify(execFile);

test('bench:ingest, paced: every batch of every probe is acknowledged and stored, and both rates are reported', { timeout: 120_000 }, async () => {
  const { stdout } = await run(process.execPath, [MAIN, '--probes', '20', '--seconds', '3'], { cwd: REPO_ROOT });
  assert.match(stdout, /batches: 60 sent, 60 acknowledged, 0 unacknowledged; samples stored: 80 in 20 runs/);
  assert.match(stdout, /ack latency \(send -> ack\): p50 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(stdout, /direct insert .*\n {2}[\d,]+ rows in \d+ inserts: [\d,]+ rows\/s/);
  assert.match(stdout, /ingest \/ direct: \d+\.\d\d/);
  assert.match(stdout, /budget: p99 acknowledgement < 1000 ms: (met|MISSED)/);
  assert.match(stdout, /nothing lost: met/);
});

test('bench:ingest, max: probes keep a window of unacknowledged batches and lose none', { timeout: 120_000 }, async () => {
  const { stdout } = await run(process.execPath, [MAIN, '--mode', 'max', '--probes', '4', '--seconds', '2', '--window', '4'], { cwd: REPO_ROOT });
  const [, sent, acked] = /batches: ([\d,]+) sent, ([\d,]+) acknowledged, 0 unacknowledged/.exec(stdout) ?? [];
  assert.ok(sent, stdout);
  assert.equal(acked, sent);
  // More than a paced probe would send in 2 s: the window refills on each ack.
  assert.ok(Number(sent!.replace(/,/g, '')) > 4 * 4, stdout);
  assert.match(stdout, /budget: ingest >= 50 % of the direct rate: (met|MISSED) \(\d+ %\)/);
  assert.match(stdout, /nothing lost: met/);
});

test('bench:ingest refuses an unknown option with exit 64', async () => {
  await assert.rejects(run(process.execPath, [MAIN, '--nope'], { cwd: REPO_ROOT }), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 64);
    assert.match(err.stderr ?? '', /unknown argument "--nope"/);
    return true;
  });
});
