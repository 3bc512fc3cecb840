import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startCollector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { GcRow, SampleRow } from '../src/store/store-interface';
import { runCli } from './helpers/cli';
import { makeGc, makeHello, makeSample } from './helpers/store-fixtures';
import { makeTempDir } from './helpers/temp-dir';

/*
 * `leakwatch check` end to end: runs written into the real embedded ClickHouse, the real CLI
 * reading them back through the store, exit codes and reports as a CI job sees them.
 */
const tmp = makeTempDir('check');
const dataDir = path.join(tmp.dir, 'data');
const MB = 1024 * 1024;

/** One sample a second; heap used saws 20 MB above a floor; a major GC every 10 s finds the floor. */
function rows(run: string, minutes: number, floorAt: (minute: number) => number, start: number): { samples: SampleRow[]; gcs: GcRow[] } {
  const samples: SampleRow[] = [];
  const gcs: GcRow[] = [];
  for (let s = 0; s <= minutes * 60; s++) {
    const floor = floorAt(s / 60);
    samples.push(makeSample(run, start + s * 1000, Math.round(floor + 20 * MB * ((s % 10) / 10)), { seq: s + 1 }));
    if (s % 10 === 0) gcs.push(makeGc(run, start + s * 1000, 0, 'major', 5, Math.round(floor), s + 1));
  }
  return { samples, gcs };
}

before(async () => {
  const store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  const start = Date.now() - 40 * 60_000;
  const runs: [string, number, (m: number) => number, number][] = [
    ['leaky', 25, (m) => 50 * MB + m * MB, start],
    ['flat', 25, () => 50 * MB, start],
    ['short', 5, (m) => 50 * MB + m * MB, start + 60_000],
  ];
  for (const [run, minutes, floor, at] of runs) {
    await store.upsertRun(makeHello(run, { startedAt: at }));
    await store.insertRows({ ...rows(run, minutes, floor, at), spaces: [] });
  }
  await store.close();
});
after(() => tmp.remove());

test('a leaking run exits 1 with the slope and significance in one line', async () => {
  const result = await runCli(['check', 'leaky', '--data', dataDir]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /^leak: run leaky, confidence > 99\.9 %\n  heap floor \+6\d MB\/h over \d+ min, p < 0\.001, no saturation\n/);
});

test('a flat run exits 0; a short one exits 2 and says why', async () => {
  const flat = await runCli(['check', 'flat', '--data', dataDir]);
  assert.equal(flat.code, 0, flat.stdout + flat.stderr);
  assert.match(flat.stdout, /^no-leak: run flat, confidence (\d+\.\d|> 99\.9) %\n/);
  const short = await runCli(['check', 'short', '--data', dataDir]);
  assert.equal(short.code, 2);
  assert.match(short.stdout, /too short: \d+ min after warm-up, need 10 min/);
  const relaxed = await runCli(['check', 'short', '--data', dataDir, '--min-duration', '2m']);
  assert.equal(relaxed.code, 1, relaxed.stdout);
});

test('--max-slope raises the bar; --latest picks the newest run', async () => {
  // The fixture's RSS is 10x heap used, so RSS beyond the heap grows 8x as fast (~480 MB/h).
  const tolerant = await runCli(['check', 'leaky', '--data', dataDir, '--max-slope', '1GB/h']);
  assert.equal(tolerant.code, 0, tolerant.stdout);
  assert.match(tolerant.stdout, /heap floor \+6\d MB\/h over \d+ min, below the \+1024 MB\/h threshold/);
  const latest = await runCli(['check', '--latest', '--data', dataDir, '--min-duration', '2m']);
  assert.match(latest.stdout, /run short/);
});

test('JSON and JUnit reports, on stdout and in a file', async () => {
  const json = await runCli(['check', 'leaky', '--data', dataDir, '--format', 'json']);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { run: string; verdict: string; signals: { signal: string; slopeBytesPerHour: number }[] };
  assert.equal(report.run, 'leaky');
  assert.equal(report.verdict, 'leak');
  const heap = report.signals.find((s) => s.signal === 'heap floor')!;
  assert.ok(Math.abs(heap.slopeBytesPerHour / MB - 60) < 5, `slope ${heap.slopeBytesPerHour / MB}`);
  const file = path.join(tmp.dir, 'junit.xml');
  const junit = await runCli(['check', 'leaky', '--data', dataDir, '--format', 'junit', '--report', file]);
  assert.equal(junit.code, 1);
  const xml = fs.readFileSync(file, 'utf8');
  assert.match(xml, /<testsuites tests="1" failures="1" skipped="0">/);
  assert.match(xml, /<failure message="memory leak" type="leak">heap floor \+6\d MB\/h/);
  const flatXml = await runCli(['check', 'flat', '--data', dataDir, '--format', 'junit']);
  assert.match(flatXml.stdout, /failures="0" skipped="0"/);
});

test('user errors are one line, exit 64', async () => {
  for (const args of [['check', '--data', dataDir], ['check', 'nope', '--data', dataDir], ['check', 'flat', '--data', dataDir, '--max-slope', 'fast'], ['check', 'flat', '--data', dataDir, '--format', 'xml']]) {
    const result = await runCli(args);
    assert.equal(result.code, 64, args.join(' '));
    assert.match(result.stderr, /^leakwatch: LW_ERR_[A-Z_]+: .+\n$/);
  }
});

test('through a running collector: GET /api/runs/:id/verdict, and check --collector gives the same answer', async () => {
  const store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  const collector = await startCollector({ store, port: 0, log: createLogger('silent') });
  try {
    const res = await fetch(`${collector.url}/api/runs/leaky/verdict?maxSlope=2MB/h`);
    assert.equal(res.status, 200);
    const verdict = (await res.json()) as { verdict: string; heapFloor: { t: number; v: number }[]; signals: { signal: string; line: { fromValue: number; toValue: number } | null }[] };
    assert.equal(verdict.verdict, 'leak');
    assert.ok(verdict.heapFloor.length >= 10, 'the floor series is there to draw');
    const line = verdict.signals.find((s) => s.signal === 'heap floor')!.line!;
    assert.ok(line.toValue - line.fromValue > 15 * MB, 'the fitted line rises about 1 MB a minute');
    const bad = await fetch(`${collector.url}/api/runs/leaky/verdict?maxSlope=fast`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'LW_ERR_BAD_REQUEST');
    const viaCollector = await runCli(['check', 'leaky', '--collector', collector.url]);
    assert.equal(viaCollector.code, 1);
    assert.match(viaCollector.stdout, /^leak: run leaky, confidence > 99\.9 %\n  heap floor \+6\d MB\/h/);
  } finally {
    await collector.close();
    await store.close();
  }
});
