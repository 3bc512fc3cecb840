import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { AllocSitesBody, SnapshotsBody } from '../src/api/http-contract';
import { startCollector, type Collector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { Store } from '../src/store/store-interface';
import { REPO_ROOT, SAMPLES, runCli } from './helpers/cli';
import { MEASURED_FLOOR_FLAGS } from './helpers/measured-floor';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

/*
 * The TypeScript flow end to end, with the real probe in the compiled samples (built by the
 * project's build with source maps) and the real collector beside them:
 * 1. allocation sampling alone (no snapshot is taken) names the original `.ts` line of the code
 *    that allocates what leaks, for external maps and for inline ones, and a healthy app has no
 *    growing site;
 * 2. one command, `leakwatch run --check`, prints the verdict, the top suspect with its retainer
 *    path in `.ts` terms and the growing allocation site at its `.ts` line.
 * The sampler runs every 2 s here instead of every minute so a short soak has enough profiles.
 */
const tmp = makeTempDir('e2e-typescript');
const register = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'register.js');
let store: Store | undefined;
let collector: Collector | undefined;
const children: ChildProcess[] = [];

before(async () => {
  store = await openStore({ target: { kind: 'embedded', dataDir: path.join(tmp.dir, 'data') }, retentionDays: 30 });
  collector = await startCollector({ store, port: 0, log: createLogger('warn'), snapshotDir: path.join(tmp.dir, 'snapshots') });
});

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await collector?.close();
  await store?.close();
  tmp.remove();
});

/** Starts a compiled sample with the probe attached (run id `run`), allocation profiles every 2 s. */
function startSample(script: string, run: string): ChildProcess {
  const child = spawn(process.execPath, ['-r', register, path.join(SAMPLES, script), '--duration', '150'], {
    env: { ...process.env, LEAKWATCH_COLLECTOR: `${collector!.url.replace('http', 'ws')}/ingest`, LEAKWATCH_RUN_ID: run, LEAKWATCH_ALLOC_EVERY: '2s', LEAKWATCH_INTERVAL: '500ms' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  return child;
}

/** The sites as the collector judges them, with a 10 s warm-up (the default minute is longer than this soak). */
async function sitesOf(run: string, growingOnly: boolean): Promise<AllocSitesBody['boots']> {
  const body = (await getJson<AllocSitesBody>(`${collector!.url}/api/runs/${run}/alloc-sites?warmup=10s${growingOnly ? '&growingOnly=1' : ''}`)).body;
  return body.boots ?? [];
}

/** Every frame's `file:line` of every growing site of the run. */
async function growingFrames(run: string): Promise<string[]> {
  const boots = await sitesOf(run, true);
  return boots.flatMap((b) => b.sites.flatMap((s) => s.frames.filter((f) => f.source.mapped).map((f) => `${f.source.file}:${f.source.line}`)));
}

test('allocation sampling alone names the .ts line that allocates what leaks (external and inline maps); a healthy app has no growing site', { timeout: 180_000 }, async () => {
  startSample('ts-leaky-audit-server/dist/server.js', 'ts-audit');
  startSample('ts-leaky-presence-server/dist/server.js', 'ts-presence');
  startSample('ts-healthy-cache-server/dist/server.js', 'ts-healthy');
  // V8 reports the allocating function's first line; when the optimiser inlines the constructor
  // into its caller, the caller is the function it reports (samples/README.md).
  const audit = /samples\/ts-leaky-audit-server\/src\/(audit\.ts:16|server\.ts:31)$/;
  const presence = /samples\/ts-leaky-presence-server\/src\/(presence\.ts:16|server\.ts:22)$/;
  const seen = await waitFor('growing sites at the .ts lines of both leaky samples', async () => {
    const [a, p] = await Promise.all([growingFrames('ts-audit'), growingFrames('ts-presence')]);
    return a.some((f) => audit.test(f)) && p.some((f) => presence.test(f)) ? { a, p } : undefined;
  }, 120_000, 2000);
  assert.ok(seen.a.some((f) => audit.test(f)), seen.a.join('\n'));

  // No snapshot was taken: this is the pause-free path.
  for (const run of ['ts-audit', 'ts-presence']) {
    const { snapshots } = (await getJson<SnapshotsBody>(`${collector!.url}/api/runs/${run}/snapshots`)).body;
    assert.equal(snapshots.length, 0, `${run} took no snapshot`);
  }
  // The healthy cache has sites, and none of them grows past the threshold.
  const healthy = await sitesOf('ts-healthy', false);
  assert.ok(healthy.some((b) => b.profiles >= 10 && b.sites.length > 0), JSON.stringify(healthy.map((b) => ({ profiles: b.profiles, sites: b.sites.length }))));
  const growing = healthy.flatMap((b) => b.sites.filter((s) => s.growing).map((s) => `${s.frames[0]?.source.file}:${s.frames[0]?.source.line} ${s.slopeBytesPerHour}`));
  assert.deepEqual(growing, [], 'the healthy sample has no growing site');
  for (const child of children) child.kill('SIGTERM');
});

test('leakwatch run --check on the compiled TypeScript app: the verdict, the suspect in .ts terms, the .ts line that adds to it and the one that allocates it', { timeout: 240_000 }, async () => {
  const report = path.join(tmp.dir, 'verdict.json');
  const script = path.join(SAMPLES, 'ts-leaky-audit-server', 'dist', 'server.js');
  const result = await runCli([
    'run', '--port', '0', '--data', path.join(tmp.dir, 'run-data'), '--interval', '250ms', '--duration', '70s', '--alloc-every', '3s',
    '--check', '--warmup', '10s', '--min-duration', '30s', '--report', report,
    ...MEASURED_FLOOR_FLAGS, '--', process.execPath, script,
  ]);
  const all = result.stdout + result.stderr;
  assert.equal(result.code, 1, all);
  // No snapshot flag: the run takes the three the suspects need by itself, spaced, once the trend points to a leak.
  for (const n of [1, 2, 3]) assert.match(result.stderr, new RegExp(`^leakwatch: snapshot ${n} of 3 taken \\(\\S+\\): the trend points to a leak$`, 'm'), all);
  assert.match(result.stderr, /^leakwatch: the run took 3 snapshots by itself \(the trend pointed to a leak after \d+ s\), 3 analysed$/m, all);
  assert.match(result.stdout, /^leak: run [\w-]+, /m, all);
  assert.match(result.stdout, /^ {2}suspect 1: auditTrail \(Array\) .*— audit\.ts \(module\) › auditTrail \(Array\) › \[\*\] › AuditEntry$/m, all);
  // Watching the suspect's container (on by default under run --check) names the exact line that adds to it.
  assert.match(result.stdout, /^ {2}adds to auditTrail \(Array\): samples\/ts-leaky-audit-server\/src\/audit\.ts:26 remember\(\) \(\d+ of \d+ sampled calls\)$/m, all);
  assert.match(result.stdout, /growing allocation site: samples\/ts-leaky-audit-server\/src\/(audit\.ts:16 AuditEntry|server\.ts:31 editDocument)\(\)/, all);
  const json = JSON.parse(fs.readFileSync(report, 'utf8')) as { verdict: string; suspects: { kind: string; takenAt: number[] }[]; sites: { frames: { source: { file: string; line: number; mapped: boolean } }[] }[] };
  assert.equal(json.verdict, 'leak');
  assert.equal(json.suspects[0]!.kind, 'array');
  // Ranked over the three snapshots the run took, spaced (the planner's gap is at least 15 s).
  const taken = json.suspects[0]!.takenAt;
  assert.equal(taken.length, 3);
  assert.ok(taken[1]! - taken[0]! >= 14_000 && taken[2]! - taken[1]! >= 14_000, JSON.stringify(taken));
  const top = json.sites[0]?.frames[0]?.source;
  assert.ok(top && top.mapped && /ts-leaky-audit-server\/src\/(audit|server)\.ts$/.test(top.file), JSON.stringify(json.sites[0]));
});
