import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SnapshotRecord } from '../../src/shared/snapshot-data';
import { spawnTracked } from '../common/tracked-children';
import { connectProbes } from '../ingest/probe-load';
import type { SimulatedProbe } from '../ingest/simulated-probe';
import { callApi } from './soak-api';
import { startSoakCollector, type SoakCollector } from './collector-process';
import { formatSoakReport } from './report';
import { judgeCollectorRss } from './rss-verdict';
import { parseSchedule, type SoakSchedule } from './schedule';

/**
 * `npm run soak:self`: leakwatch's own soak. Does a long run with the probe make the app's heap
 * grow, and does the collector's memory grow while it ingests?
 *
 *   - an app with the probe attached (`-r register.js`, a sample a second), with steady traffic
 *     of its own (default samples/healthy-churn-server.js);
 *   - `leakwatch collect` on a temp data directory, restarted on the schedule (same port, same
 *     directory: the probe reconnects and resends), with 50 simulated probes attached (the
 *     ingest benchmark's, reconnecting the same way);
 *   - a heap snapshot of the app asked for on the schedule, through the collector's API;
 *   - at the end, the app's verdict from the collector (`GET /api/runs/:id/verdict`, the one
 *     `leakwatch check` prints) and the collector's RSS judged per lifetime (rss-verdict.ts).
 * Exits 1 when either verdict is `leak` or a simulated probe's acknowledged batch is missing from
 * the store, 0 otherwise (the report says when a verdict is inconclusive).
 * Options: --duration (2h)  --restart-every (duration/6)  --snapshot-every (duration/4)
 *          --probes <simulated probes> (50)  --app <script> (samples/healthy-churn-server.js)
 *          --app-env KEY=VALUE (repeatable: extra environment for the app, e.g. a probe setting)
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const REGISTER = path.join(ROOT, 'dist', 'src', 'probe', 'register.js');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const minutes = (ms: number) => (ms / 60_000).toFixed(1);

function log(line: string): void {
  process.stderr.write(`soak:self ${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

function startApp(schedule: SoakSchedule, ingestUrl: string, runId: string): ChildProcess {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('LEAKWATCH_')) env[key] = value;
  Object.assign(env, { LEAKWATCH_COLLECTOR: ingestUrl, LEAKWATCH_RUN_ID: runId, LEAKWATCH_RUN_NAME: 'soak-self app', LEAKWATCH_INTERVAL: '1s' }, schedule.appEnv);
  return spawnTracked(process.execPath, ['-r', REGISTER, path.resolve(ROOT, schedule.app)], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Asks for a snapshot, retrying while the probe has not reconnected after a restart. */
async function requestSnapshot(collector: SoakCollector, runId: string): Promise<SnapshotRecord | null> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const answer = await callApi<'POST /api/runs/:id/snapshots'>(collector.url, 'POST /api/runs/:id/snapshots', `/api/runs/${runId}/snapshots`, 'POST').catch(() => null);
    if (answer && answer.status < 300) return answer.body.snapshot;
    await sleep(2000);
  }
  return null;
}

const IN_FLIGHT = new Set(['capturing', 'uploading', 'analysing']);

/** A restart waits for a capture in flight to end (as an operator would), up to five minutes. */
async function waitForCaptures(collector: SoakCollector, runId: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const answer = await callApi<'GET /api/runs/:id/snapshots'>(collector.url, 'GET /api/runs/:id/snapshots', `/api/runs/${runId}/snapshots`).catch(() => null);
    if (answer && answer.status === 200 && !answer.body.snapshots.some((s) => IN_FLIGHT.has(s.status))) return;
    await sleep(2000);
  }
}

async function main(): Promise<void> {
  let schedule: SoakSchedule;
  try {
    schedule = parseSchedule(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`soak:self: ${(err as Error).message}\n`);
    process.exit(64);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'leakwatch-soak-self-'));
  const runId = `soak-self-${Date.now()}`;
  const port = await freePort();
  const collector = await startSoakCollector(dataDir, port);
  const ingestUrl = `${collector.url.replace(/^http/, 'ws')}/ingest`;
  log(`collector on ${collector.url}, data in ${dataDir}; ${minutes(schedule.durationMs)} min, restart every ${minutes(schedule.restartEveryMs)} min, snapshot every ${minutes(schedule.snapshotEveryMs)} min`);
  let app: ChildProcess | undefined;
  let probes: SimulatedProbe[] = [];
  let paced: NodeJS.Timeout | undefined;
  let exitCode = 0;
  try {
    app = startApp(schedule, ingestUrl, runId);
    probes = await connectProbes(ingestUrl, 'soak-sim', schedule.probes, () => undefined, true);
    // One batch a second per simulated probe, spread over the second like the ingest benchmark's.
    let next = 0;
    const startedAt = Date.now();
    paced = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) * probes.length) / 1000);
      while (next < due) probes[next++ % probes.length]!.send();
    }, 20);
    const begin = Date.now();
    let nextRestart = begin + schedule.restartEveryMs;
    let nextSnapshot = begin + schedule.snapshotEveryMs;
    const end = begin + schedule.durationMs;
    const snapshotIds: string[] = [];
    let restarts = 0;
    while (Date.now() < end) {
      if (Date.now() >= nextRestart && nextRestart < end - 1000) {
        await waitForCaptures(collector, runId);
        log(`restarting the collector (${++restarts})`);
        await collector.restart();
        nextRestart += schedule.restartEveryMs;
      }
      if (Date.now() >= nextSnapshot && nextSnapshot < end - 1000) {
        const snapshot = await requestSnapshot(collector, runId);
        log(snapshot ? `snapshot ${snapshot.id} asked for` : 'snapshot request failed: the probe did not answer');
        if (snapshot) snapshotIds.push(snapshot.id);
        nextSnapshot += schedule.snapshotEveryMs;
      }
      await sleep(1000);
    }
    clearInterval(paced);
    paced = undefined;
    // The last batches are acked within a flush or two; then the store must hold every one.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && probes.some((p) => p.unacked > 0)) await sleep(100);
    await waitForCaptures(collector, runId);
    const runs = await callApi<'GET /api/runs'>(collector.url, 'GET /api/runs', '/api/runs');
    const simulatedSamples = runs.body.runs.filter((r) => r.id.startsWith('soak-sim-')).reduce((sum, r) => sum + r.sampleCount, 0);
    const verdict = await callApi<'GET /api/runs/:id/verdict'>(collector.url, 'GET /api/runs/:id/verdict', `/api/runs/${runId}/verdict`);
    const snapshots = await callApi<'GET /api/runs/:id/snapshots'>(collector.url, 'GET /api/runs/:id/snapshots', `/api/runs/${runId}/snapshots`);
    const run = await callApi<'GET /api/runs/:id'>(collector.url, 'GET /api/runs/:id', `/api/runs/${runId}`);
    const rss = judgeCollectorRss(collector.lifetimes);
    const report = formatSoakReport({ schedule, restarts, app: verdict.body, run: run.body, snapshots: snapshots.body.snapshots, rss, probes, simulatedSamples });
    process.stdout.write(`${report}\n`);
    const lost = probes.reduce((sum, p) => sum + p.sent, 0) - simulatedSamples;
    if (verdict.body.verdict === 'leak' || rss.verdict === 'leak' || lost !== 0) exitCode = 1;
  } finally {
    clearInterval(paced);
    await Promise.all(probes.map((p) => p.close()));
    app?.kill('SIGTERM');
    if (app && app.exitCode === null) await new Promise((resolve) => app!.once('exit', resolve));
    await collector.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  process.exitCode = exitCode;
}

main().catch((err: Error) => {
  process.stderr.write(`soak:self failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
