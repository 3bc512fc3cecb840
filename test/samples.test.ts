import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SAMPLES } from './helpers/cli';
import { soakSample, startCollector, typeRow, type SoakResult } from './helpers/sample-soak';
import { makeTempDir } from './helpers/temp-dir';
import type { SnapshotRecord } from '../src/shared/snapshot-data';
import { suspectName, topSuspectPath, type SuspectSummary } from '../src/shared/suspect-data';

/*
 * Every sample app does what samples/README.md says it does, under the real probe and collector:
 * a leaky sample's heap floor rises, and a snapshot diff shows its named class growing by about
 * one object per leaking request; a healthy sample's floor stays flat after its warm-up and its
 * class stays within its cap. The growth suspects the collector ranks on the third snapshot
 * (GET /api/runs/:id/suspects) name the leak: a leaky sample's suspect 1 is its leaking
 * container, and its top path the variable that holds it; a healthy sample has no suspect. All samples run at their default 100 requests/s, side by side.
 * Margins, not exact numbers: a busy machine serves fewer requests, never more.
 */

const RATE = 100;
/** Between two snapshots; the heap floor and the diff are compared over the last such gap. */
const GAP_MS = 20_000;
const MB = 1024 * 1024;
/** A settled heap floor moves by well under 0.5 MB in 20 s; the slowest leak adds about 2 MB. */
const FLAT_FLOOR_BYTES = 0.5 * MB;
const LEAK_FLOOR_BYTES = 1 * MB;

interface LeakySample {
  script: string;
  /** The named class of the leaked objects, and the variable (or part of Node) that holds them. */
  leaked: string;
  holder: string;
  /** Leaked objects per request, and a lower bound of the bytes each one retains. */
  perRequest: number;
  bytesEach: number;
  /** Its suspect 1: the container's kind, its name (the last step of its path), and its top path (members' largest group). */
  suspect: { kind: string; name: string | RegExp; topPath: RegExp };
}

interface HealthySample {
  script: string;
  kept: string;
  holder: string;
  /** How many of `kept` the sample may hold at most, and holds at least once warm at full rate. */
  cap: number;
  warm: number;
}

const LEAKY: LeakySample[] = [
  {
    script: 'leaky-cache-server.js', leaked: 'CachedResponse', holder: 'responseCache (Map)', perRequest: 1, bytesEach: 1000,
    suspect: { kind: 'map', name: 'responseCache (Map)', topPath: /^leaky-cache-server\.js \(module\) › responseCache \(Map\) › \[\*\] › CachedResponse$/ },
  },
  {
    script: 'leaky-listener-server.js', leaked: 'ConfigSubscriber', holder: "configEvents (EventEmitter) 'reload' listeners", perRequest: 1, bytesEach: 1500,
    // The members are the listener closures (each holds its ConfigSubscriber in its context).
    suspect: { kind: 'listeners', name: 'reload (Array)', topPath: /^leaky-listener-server\.js \(module\) › configEvents \(EventEmitter\) › _events \(Object\) › reload \(Array\) › \[\*\] › \(anonymous\)\(\) leaky-listener-server\.js:\d+:\d+$/ },
  },
  {
    script: 'leaky-closure-server.js', leaked: 'UploadBuffer', holder: 'retryHandlers (Map) of closures', perRequest: 1, bytesEach: 4000,
    suspect: { kind: 'map', name: 'retryHandlers (Map)', topPath: /^leaky-closure-server\.js \(module\) › retryHandlers \(Map\) › \[\*\] › \(anonymous\)\(\) leaky-closure-server\.js:\d+:\d+$/ },
  },
  {
    script: 'leaky-timer-server.js', leaked: 'PollingSubscription', holder: "Node's 20 s timer list", perRequest: 1 / 2, bytesEach: 4000,
    // No app variable holds the handles: Node's timer list for 20 s (lib/internal/timers.js,
    // `timerListMap[20000]`) does, and its members are the Timeouts whose callbacks hold the subscriptions.
    // Both lib/internal/timers.js and lib/timers.js hold that map at the same distance, so the path
    // starts at either module (which one V8 writes first differs between runs).
    suspect: { kind: 'timers', name: 'TimersList', topPath: /^node:(internal\/)?timers \(module\) › timerListMap \(Object\) › \[\*\] › TimersList › \[\*\] › Timeout$/ },
  },
  {
    script: 'leaky-pending-server.js', leaked: 'PendingCall', holder: 'pendingCalls (Map)', perRequest: 1 / 4, bytesEach: 6000,
    suspect: { kind: 'map', name: 'pendingCalls (Map)', topPath: /^leaky-pending-server\.js \(module\) › pendingCalls \(Map\) › \[\*\] › PendingCall$/ },
  },
  {
    script: 'leaky-lru-ttl-server.js', leaked: 'IdempotentReply', holder: 'idempotencyCache (lru-cache, ttl only)', perRequest: 9 / 10, bytesEach: 2000,
    // lru-cache's private `#valList` array, its class and field names as its minified build has them.
    suspect: { kind: 'array', name: /^#\w+ \(Array\)$/, topPath: /^leaky-lru-ttl-server\.js \(module\) › idempotencyCache \(\w+\) › #\w+ \(Array\) › \[\*\] › IdempotentReply$/ },
  },
  // The TypeScript samples run as compiled (samples/<name>/dist/); a heap snapshot names the compiled script.
  {
    script: 'ts-leaky-audit-server/dist/server.js', leaked: 'AuditEntry', holder: 'auditTrail (Array) in audit.ts', perRequest: 1, bytesEach: 1400,
    suspect: { kind: 'array', name: 'auditTrail (Array)', topPath: /^audit\.ts \(module\) › auditTrail \(Array\) › \[\*\] › AuditEntry$/ },
  },
  {
    script: 'ts-leaky-presence-server/dist/server.js', leaked: 'Presence', holder: "tracker (PresenceTracker)'s online (Set)", perRequest: 1, bytesEach: 1800,
    suspect: { kind: 'set', name: 'online (Set)', topPath: /^server\.ts \(module\) › tracker \(PresenceTracker\) › online \(Set\) › \[\*\] › Presence$/ },
  },
];

const HEALTHY: HealthySample[] = [
  { script: 'healthy-churn-server.js', kept: 'RenderedReport', holder: 'responseCache (LRU, 500)', cap: 500, warm: 500 },
  { script: 'healthy-lru-server.js', kept: 'CachedProfile', holder: 'profileCache (lru-cache, max 1000)', cap: 1000, warm: 1000 },
  // 5 s of logins, plus up to one sweep period and one second of catch-up burst from the driver.
  { script: 'healthy-sessions-server.js', kept: 'UserSession', holder: 'sessions (Map, 5 s TTL)', cap: RATE * (5 + 0.5 + 1), warm: RATE * 5 * 0.25 },
  { script: 'healthy-warmup-server.js', kept: 'CompiledTemplate', holder: 'templateCache (Map, 800 keys)', cap: 800, warm: 800 },
  { script: 'ts-healthy-cache-server/dist/server.js', kept: 'RenderedPage', holder: 'pages (BoundedCache, 600)', cap: 600, warm: 600 },
];

/**
 * A sample is a script in samples/ (leaky-*.js, healthy-*.js) or a TypeScript app in a folder of
 * its own (samples/ts-<name>/, with a tsconfig.json), run as `npm run build` compiled it.
 */
function listSamples(): string[] {
  return fs.readdirSync(SAMPLES, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isFile() && /^(leaky|healthy)-.*\.js$/.test(entry.name)) return [entry.name];
    if (entry.isDirectory() && fs.existsSync(path.join(SAMPLES, entry.name, 'tsconfig.json'))) return [`${entry.name}/dist/server.js`];
    return [];
  }).sort();
}

/** How a sample calls itself (its script's name, or its folder's) and its row in the README (`<folder>/` for a TypeScript one). */
const sampleName = (script: string) => (script.includes('/') ? script.slice(0, script.indexOf('/')) : script.replace(/\.js$/, ''));
const readmeLabel = (script: string) => (script.includes('/') ? `${sampleName(script)}/` : script);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const temp = makeTempDir('samples');
let collector: { url: string; stop: () => Promise<void> } | undefined;
before(async () => {
  collector = await startCollector(path.join(temp.dir, 'data'));
});
after(async () => {
  await collector?.stop();
  temp.remove();
});

const mb = (bytes: number) => `${(bytes / MB).toFixed(2)} MB`;
const relative = (from: SnapshotRecord, to: SnapshotRecord) => ((to.takenAt - from.takenAt) / 1000).toFixed(1);

function describeSuspect(s: SuspectSummary, rank: number): string {
  return `suspect ${rank}: ${suspectName(s)} [${s.kind}] entries ${s.entries.join(' -> ')}, LeakShare ${mb(s.leakShareBytes)}, new ${mb(s.newBytes)}: ${topSuspectPath(s)}`;
}

function describeSoak(r: SoakResult, type: string): string {
  const row = typeRow(r.rows, type);
  const [first, middle, last] = r.snapshots;
  const counts = `${typeRow(r.earlyRows, type).countA} -> ${row.countA} -> ${row.countB}`;
  return `${type} ${counts} (last gap ${row.countDelta >= 0 ? '+' : ''}${row.countDelta}, retained ${mb(row.retainedSizeDelta)}) at ${relative(first, middle)} and ${relative(first, last)} s; heap floor ${mb(r.floorA)} -> ${mb(r.floorB)}`;
}

test('every sample has a row in samples/README.md and a case here', () => {
  const scripts = listSamples();
  const covered = [...LEAKY, ...HEALTHY].map((sample) => sample.script).sort();
  assert.deepEqual(scripts, covered);
  assert.ok(LEAKY.length >= 6 && HEALTHY.length >= 4, 'six leaky shapes and four healthy ones');
  for (const script of scripts) assert.ok(fs.existsSync(path.join(SAMPLES, script)), `${script} is built (npm run build compiles the TypeScript samples)`);
  const readme = fs.readFileSync(path.join(SAMPLES, 'README.md'), 'utf8');
  for (const script of scripts) assert.match(readme, new RegExp(`\\| \`${escapeRegExp(readmeLabel(script))}\` \\|`), `${readmeLabel(script)} in the README's table`);
  for (const sample of LEAKY) assert.match(readme, new RegExp(`\`${sample.leaked}\``), `${sample.script}'s leaked class named in the README`);
});

test('each sample prints one line at start and exits 0 when its --duration is over', { timeout: 60_000 }, async () => {
  const runs = [...LEAKY, ...HEALTHY].map(({ script }) => new Promise<{ script: string; code: number | null; out: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(SAMPLES, script), '--duration', '2', '--rate', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ script, code, out }));
  }));
  for (const { script, code, out } of await Promise.all(runs)) {
    const name = sampleName(script);
    assert.equal(code, 0, `${script} exit code; stdout: ${out}`);
    const lines = out.trim().split('\n');
    assert.match(lines[0], new RegExp(`^${name} listening on http://127\\.0\\.0\\.1:\\d+, driving load for 2 s$`));
    assert.match(lines[lines.length - 1], new RegExp(`^${name} stopping \\(2 s elapsed\\): `));
  }
});

describe('under the real probe, side by side', { concurrency: true }, () => {
  for (const sample of LEAKY) {
    test(`${sample.script} leaks ${sample.leaked}, held by ${sample.holder}`, { timeout: 240_000 }, async (t) => {
      const soak = await soakSample(collector!.url, { script: sample.script, settleMs: 8000, gapMs: GAP_MS });
      t.diagnostic(describeSoak(soak, sample.leaked));
      soak.suspects.suspects.forEach((s, i) => t.diagnostic(describeSuspect(s, i + 1)));
      assert.equal(soak.exitCode, 0, `stopped with Ctrl-C, the sample exits 0; stdout: ${soak.stdout}`);
      const row = typeRow(soak.rows, sample.leaked);
      const [top] = soak.suspects.suspects;
      assert.ok(top, `a growth suspect over the three snapshots`);
      assert.equal(top.kind, sample.suspect.kind, `suspect 1 is a ${sample.suspect.kind}: ${describeSuspect(top, 1)}`);
      if (typeof sample.suspect.name === 'string') assert.equal(suspectName(top), sample.suspect.name);
      else assert.match(suspectName(top), sample.suspect.name);
      assert.match(topSuspectPath(top) ?? '(no path)', sample.suspect.topPath, 'its top path names who holds it');
      // Over the window (both gaps) the suspect's new memory covers at least what the last gap's new objects retain.
      assert.ok(top.newBytes >= row.retainedSizeDelta, `suspect 1 explains the growth: ${mb(top.newBytes)} new, ${sample.leaked} retained +${mb(row.retainedSizeDelta)} in the last gap`);
      const served = (RATE * (soak.snapshots[2].takenAt - soak.snapshots[1].takenAt)) / 1000;
      const expected = served * sample.perRequest;
      // The driver never sends more than the rate (plus one second of catch-up after a stall).
      assert.ok(row.countDelta <= 1.1 * expected + RATE * sample.perRequest, `${sample.leaked} +${row.countDelta}: no more than one per leaking request (~${Math.round(expected)})`);
      assert.ok(row.countDelta >= 0.25 * expected, `${sample.leaked} +${row.countDelta}: most leaking requests left one (~${Math.round(expected)})`);
      assert.ok(row.retainedSizeDelta >= 0.9 * row.countDelta * sample.bytesEach, `each new ${sample.leaked} retains ~${sample.bytesEach} B: ${mb(row.retainedSizeDelta)} for ${row.countDelta}`);
      const rise = soak.floorB - soak.floorA;
      assert.ok(rise >= LEAK_FLOOR_BYTES, `heap floor rose by ${mb(rise)}, want at least ${mb(LEAK_FLOOR_BYTES)}`);
      assert.ok(rise >= 0.7 * row.retainedSizeDelta, `heap floor rose by ${mb(rise)}: about what the new ${sample.leaked} objects retain (${mb(row.retainedSizeDelta)})`);
    });
  }

  for (const sample of HEALTHY) {
    test(`${sample.script} holds at most ${sample.cap} ${sample.kept} in ${sample.holder}; its floor stays flat`, { timeout: 240_000 }, async (t) => {
      const soak = await soakSample(collector!.url, { script: sample.script, warmLine: /warmed up: /, settleMs: 8000, gapMs: GAP_MS });
      t.diagnostic(describeSoak(soak, sample.kept));
      assert.equal(soak.exitCode, 0, `stopped with Ctrl-C, the sample exits 0; stdout: ${soak.stdout}`);
      // The collector ranks every container that passes the growth rule (no threshold on bytes): none may.
      assert.deepEqual(soak.suspects.suspects.map((s, i) => describeSuspect(s, i + 1)), [], 'no growth suspect once warm');
      const row = typeRow(soak.rows, sample.kept);
      const counts = [typeRow(soak.earlyRows, sample.kept).countA, row.countA, row.countB];
      for (const count of counts) assert.ok(count <= sample.cap, `${sample.kept}: ${count} within the cap of ${sample.cap}`);
      assert.ok(row.countA >= sample.warm, `${sample.kept}: ${row.countA} once warm, want at least ${sample.warm}`);
      const rise = soak.floorB - soak.floorA;
      assert.ok(rise <= FLAT_FLOOR_BYTES, `heap floor moved by ${mb(rise)} after warm-up, want at most ${mb(FLAT_FLOOR_BYTES)}`);
    });
  }
});
