import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SuspectsBody, VerdictBody } from '../src/api/http-contract';
import { startCollector, type Collector } from '../src/collector/collector';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { runCli } from './helpers/cli';
import { collectorSnapshots, snapshotCollectorOptions } from './helpers/collector-snapshots';
import { connectRawProbe } from './helpers/raw-probe';
import { makeHello } from './helpers/store-fixtures';
import { leakingRows, uploadInTurn, writeSuspectSnapshots } from './helpers/suspect-snapshots';
import { makeTempDir } from './helpers/temp-dir';
import { allocProfileBody, flat, frame, rising, INTERVAL, MB as MIB } from './helpers/alloc-profiles';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * `leakwatch check` names the culprit: a run whose heap floor rises (samples and GCs written
 * into the real embedded ClickHouse, as cli-check.test.ts does) and whose process's real V8
 * snapshots went through the real collector, which ranked their growth suspects. The CLI then
 * reads the verdict from the store and the suspects from the snapshot directory, or both from
 * a running collector.
 */
const tmp = makeTempDir('check-suspects');
const dataDir = path.join(tmp.dir, 'data');
const snapshotDir = path.join(dataDir, 'snapshots');
const MINUTE = 60_000;
const start = Date.now() - 40 * MINUTE;
const TOP_PATH = 'suspects-child.ts (module) › responseCache (Map) › [*] › CachedResponse';
/** The child's allocation sites as its probe's sampling heap profiler would report them: the leaked class's constructor grows. */
const CHILD_JS = path.join(__dirname, 'fixtures', 'suspects-child.js');
const PROFILE_SITES = [
  { stack: [frame('CachedResponse', CHILD_JS, 10, 1), frame('handle', CHILD_JS, 30, 1)], liveAt: rising(MIB, 256 * 1024) },
  { stack: [frame('render', CHILD_JS, 40, 1)], liveAt: flat(4 * MIB, INTERVAL) },
];

/** The collector on the CLI's data directory, for the snapshots' upload and the --collector case. */
async function withCollector<T>(fn: (collector: Collector, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  const collector = await startCollector(snapshotCollectorOptions(store, snapshotDir));
  try {
    return await fn(collector, store);
  } finally {
    await collector.close();
    await store.close();
  }
}

before(async () => {
  const files = await writeSuspectSnapshots(tmp.dir, 'leaky');
  await withCollector(async (collector, store) => {
    for (const run of ['leaky', 'flat']) await store.upsertRun(makeHello(run, { startedAt: start }));
    await store.insertRows({ ...leakingRows('leaky', start), spaces: [] });
    const fx = collectorSnapshots(() => collector, snapshotDir);
    const probe = await connectRawProbe(fx.ingestUrl(), 'leaky');
    try {
      // Four snapshots inside the rising stretch, five minutes apart.
      await uploadInTurn(collector.url, fx, probe, files, [5, 10, 15, 20].map((m) => start + m * MINUTE));
      // One allocation profile a minute over the same 25 minutes, from the same process.
      let last = 0;
      for (let i = 0; i <= 25; i++) last = probe.send(allocProfileBody(start + i * MINUTE, start, PROFILE_SITES, i));
      await probe.waitForAck(last);
      await waitFor('the suspects of s4', async () => (await getJson<SuspectsBody>(fx.api('leaky/suspects'))).body.boots[0]?.snapshotId === 's4' || undefined, 60_000);
    } finally {
      await probe.close();
    }
  });
});
after(() => tmp.remove());

test('a leak names its top suspects: what grows, how fast, who holds it', { timeout: 60_000 }, async () => {
  const result = await runCli(['check', 'leaky', '--data', dataDir]);
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stdout, /^leak: run leaky, confidence > 99\.9 %\n  heap floor \+6\d MB\/h over \d+ min, p < 0\.001, no saturation\n/);
  const lines = result.stdout.split('\n').filter((l) => l.startsWith('  suspect '));
  assert.equal(lines.length, 3, result.stdout);
  const top = /^  suspect 1: responseCache \(Map\) \+1,200 entries, ([\d.]+) (KB|MB)\/h, LeakShare ([\d.]+) (KB|MB) — (.+)$/.exec(lines[0]);
  assert.ok(top, lines[0]);
  assert.equal(top[5], TOP_PATH);
  assert.match(lines[1] + lines[2], /request \(Array\) \+600 entries/, 'the listener list');
  assert.match(lines[1] + lines[2], /seenRequests \(Array\) \+1,200 entries/, 'the closure-held array');
  // Right after the suspects: the top 3 types whose new objects survived (the leaked class first).
  const all = result.stdout.split('\n');
  const surviving = all[all.indexOf(lines[2]) + 1];
  assert.match(surviving, /^  surviving new objects: CachedResponse \+800 \([\d.]+ KB\), \S.* \+[\d,]+ \([\d.]+ [KM]?B\), \S.* \+[\d,]+ \([\d.]+ [KM]?B\)$/);
});

test('a leak names its growing allocation site, the line its function starts at, and the suspect it allocates', { timeout: 60_000 }, async () => {
  const result = await runCli(['check', 'leaky', '--data', dataDir]);
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stdout.split('\n');
  const site = lines.findIndex((l) => l.startsWith('  growing allocation site: '));
  assert.ok(site > 0, result.stdout);
  assert.match(lines[site], /^ {2}growing allocation site: \S*suspects-child\.js:10 CachedResponse\(\) \+1[45]\.\d MB\/h \(live 7\.3 MB; generated location, (no source map|no mapping at this line)\), allocates suspect 1$/);
  assert.equal(lines[site + 1], "  (a site's line is where its allocating function starts: V8's sampling heap profiler records functions, not statements)");
  assert.ok(!lines.some((l) => /growing allocation site: .*render\(\)/.test(l)), 'the flat site is not named');
  const json = JSON.parse((await runCli(['check', 'leaky', '--data', dataDir, '--format', 'json'])).stdout) as VerdictBody;
  assert.equal(json.sites.length, 1);
  assert.deepEqual([json.sites[0].frames[0].fn, json.sites[0].growing, json.sites[0].suspectIds], ['CachedResponse', true, [json.suspects[0].id]]);
});

test('the JSON and JUnit reports carry the suspects; a run without a leak names none', { timeout: 60_000 }, async () => {
  const json = await runCli(['check', 'leaky', '--data', dataDir, '--format', 'json']);
  assert.equal(json.code, 1, json.stderr);
  const report = JSON.parse(json.stdout) as VerdictBody & { run: string };
  assert.equal(report.verdict, 'leak');
  assert.equal(report.suspects.length, 3);
  const [top] = report.suspects;
  assert.deepEqual([top.kind, top.entries, top.paths.container, top.paths.members[0].path], ['map', [400, 800, 1200, 1600], 'suspects-child.ts (module) › responseCache (Map)', TOP_PATH]);
  // 1,200 entries over 15 minutes; the floor rose ~15 MB meanwhile, of which the Map's new entries are a small part.
  assert.equal(Math.round(top.entriesPerHour), 4800);
  assert.ok(top.floorShare !== null && top.floorShare > 0 && top.floorShare < 1, `floor share ${top.floorShare}`);
  assert.equal(report.survivingTypes.length, 3);
  assert.deepEqual([report.survivingTypes[0].type, report.survivingTypes[0].count, report.survivingTypes[0].steps.map((s) => s.count)], ['CachedResponse', 800, [400, 400]]);

  const file = path.join(tmp.dir, 'junit.xml');
  const junit = await runCli(['check', 'leaky', '--data', dataDir, '--format', 'junit', '--report', file]);
  assert.equal(junit.code, 1);
  const xml = fs.readFileSync(file, 'utf8');
  assert.match(xml, /<failure message="memory leak" type="leak">heap floor \+6\d MB\/h[^<]*\nsuspect 1: responseCache \(Map\) \+1,200 entries, [^<]+ — suspects-child\.ts \(module\) › responseCache \(Map\) › \[\*\] › CachedResponse\n/);

  const flat = await runCli(['check', 'flat', '--data', dataDir, '--format', 'json', '--min-duration', '0s']);
  const flatReport = JSON.parse(flat.stdout) as VerdictBody;
  assert.deepEqual([flatReport.suspects, flatReport.survivingTypes, flatReport.sites], [[], [], []]);
  assert.doesNotMatch((await runCli(['check', 'flat', '--data', dataDir, '--min-duration', '0s'])).stdout, /surviving/);
});

test('through a running collector: the verdict API and check --collector name the same suspects', { timeout: 60_000 }, async () => {
  const fromStore = await runCli(['check', 'leaky', '--data', dataDir]);
  await withCollector(async (collector) => {
    const verdict = await getJson<VerdictBody>(`${collector.url}/api/runs/leaky/verdict`);
    assert.equal(verdict.body.verdict, 'leak');
    assert.deepEqual(verdict.body.suspects.map((s) => s.paths.members[0].path)[0], TOP_PATH);
    const viaCollector = await runCli(['check', 'leaky', '--collector', collector.url]);
    assert.equal(viaCollector.code, 1);
    assert.equal(viaCollector.stdout, fromStore.stdout);
  });
});
