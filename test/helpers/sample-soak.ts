import path from 'node:path';
import type { SnapshotBody, SnapshotDetail, SnapshotDiff, SuspectsBody } from '../../src/api/http-contract';
import type { GcResult } from '../../src/shared/series-results';
import type { RunSummary } from '../../src/shared/run-data';
import type { SnapshotRecord, SnapshotStatus, TypeDiffRow } from '../../src/shared/snapshot-data';
import type { SnapshotSuspects } from '../../src/shared/suspect-data';
import { SAMPLES, startCli, type CliProcess } from './cli';
import { MEASURED_FLOOR_FLAGS } from './measured-floor';
import { getJson, waitFor } from './wait-for';

/**
 * One sample app watched the way a user would: the real `leakwatch run --collector` attaches the
 * real probe to `node samples/<script>`, three heap snapshots are taken through the collector's
 * API, `gapMs` apart (three, as the cross-snapshot suspects need), and the heap floor (heap used
 * after the forced full GC of every second, helpers/steady-gc.ts) is read before the last two.
 * The first snapshot also pays what a process's first snapshot costs once (the probe's capture
 * and upload code compiled and its buffers allocated, some 0.3 MB): the floors compared come
 * after it.
 */
export interface SoakPlan {
  script: string;
  /** A line the sample prints when its warm-up is over; the first snapshot waits for it. */
  warmLine?: RegExp;
  /** The first snapshot is taken no earlier than this long after the sample started. */
  settleMs: number;
  /** Time between two snapshots. */
  gapMs: number;
}

export interface SoakResult {
  /** The three snapshots, oldest first, all analysed. */
  snapshots: SnapshotRecord[];
  /** Last minus middle snapshot per type, as `GET /api/runs/:id/diff` answers. */
  rows: TypeDiffRow[];
  /** The same from the first snapshot to the middle one. */
  earlyRows: TypeDiffRow[];
  /** The lowest heap floor in the FLOOR_WINDOW_MS before the middle and the last snapshot. */
  floorA: number;
  floorB: number;
  /**
   * `GET /api/runs/:id/suspects` once the last snapshot is ready (the collector ranks the suspects
   * before it marks a snapshot ready): the sample's one process, ranked over the three snapshots.
   */
  suspects: SnapshotSuspects;
  exitCode: number | null;
  stdout: string;
}

/**
 * The floor is read over a few forced GCs before a snapshot, and their lowest value kept: a GC
 * that lands while requests are in flight counts their objects as live, the lowest one does not.
 * A rising floor's lowest point in a window is its first, so both windows span the snapshots' gap.
 */
const FLOOR_WINDOW_MS = 5000;
/**
 * The sample is stopped with Ctrl-C once measured; its own --duration only bounds how long it
 * could outlive a `leakwatch run` that had to be killed (SIGKILL cannot be passed on).
 */
const SAFETY_NET_S = 300;

/** `leakwatch collect` on a free port with its own data directory; the samples' runs report to it. */
export async function startCollector(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const cli = startCli(['collect', '--port', '0', '--data', dataDir, '--log-level', 'warn']);
  const [, url] = await cli.waitForLine(/leakwatch collector listening on (http:\/\/\S+)/);
  return { url, stop: async () => void (await stopCli(cli)) };
}

export async function soakSample(collectorUrl: string, plan: SoakPlan): Promise<SoakResult> {
  const started = Date.now();
  const cli = startCli(
    ['run', '--collector', collectorUrl, '--interval', '250ms', '--name', plan.script, ...MEASURED_FLOOR_FLAGS, '--', process.execPath, '--unhandled-rejections=strict', path.join(SAMPLES, plan.script), '--duration', `${SAFETY_NET_S}`],
  );
  try {
    const [, runId] = await cli.waitForLine(/leakwatch UI: http:\/\/[^/\s]+\/runs\/([\w-]+)/);
    const api = `${collectorUrl}/api/runs/${runId}`;
    await waitFor(`${plan.script}'s run to have samples`, async () => {
      const { status, body } = await getJson<{ run: RunSummary }>(api);
      return status === 200 && body.run.sampleCount >= 4;
    }, 60_000);
    if (plan.warmLine) await cli.waitForLine(plan.warmLine, 120_000);
    await sleep(started + plan.settleMs - Date.now());
    const taken: SnapshotRecord[] = [];
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(taken[i - 1].takenAt + plan.gapMs - Date.now());
      taken.push(await captureSnapshot(api));
    }
    // Analyses queue up in the collector's one worker; captures do not wait for them.
    const snapshots = await Promise.all(taken.map((snapshot) => analysed(api, snapshot.id)));
    const [first, middle, last] = snapshots;
    const rows = await diffRows(api, middle, last);
    const earlyRows = await diffRows(api, first, middle);
    const floorA = await lowestFloor(api, middle.takenAt);
    const floorB = await lowestFloor(api, last.takenAt);
    const suspects = await lastSuspects(api, last);
    const exitCode = await stopCli(cli);
    return { snapshots, rows, earlyRows, floorA, floorB, suspects, exitCode, stdout: cli.stdout() };
  } catch (err) {
    // Ctrl-C first: a SIGKILL'd `leakwatch run` could not stop the sample, which would run on.
    await stopCli(cli);
    throw new Error(`${plan.script}: ${(err as Error).message}\nstdout: ${cli.stdout().slice(-1500)}\nstderr: ${cli.stderr().slice(-1500)}`);
  }
}

/** The named type's row of a diff, or zeros when neither snapshot has it. */
export function typeRow(rows: TypeDiffRow[], type: string): TypeDiffRow {
  return rows.find((row) => row.type === type) ?? {
    type, countA: 0, countB: 0, countDelta: 0, selfSizeA: 0, selfSizeB: 0, selfSizeDelta: 0, retainedSizeA: 0, retainedSizeB: 0, retainedSizeDelta: 0,
    newCount: null, deletedCount: null, newSize: null, deletedSize: null,
  };
}

/** The suspects of the run's one process, which must have been ranked on its last snapshot over all three. */
async function lastSuspects(api: string, last: SnapshotRecord): Promise<SnapshotSuspects> {
  const { status, body } = await getJson<SuspectsBody>(`${api}/suspects`);
  if (status !== 200) throw new Error(`suspects: HTTP ${status} ${JSON.stringify(body)}`);
  const boot = body.boots.find((b) => b.snapshotId === last.id);
  if (!boot) throw new Error(`suspects: none ranked on the last snapshot ${last.id}: ${JSON.stringify(body.boots.map((b) => b.snapshotId))}`);
  if (boot.snapshots !== 3) throw new Error(`suspects of ${last.id} ranked over ${boot.snapshots} snapshot(s), want 3`);
  return boot;
}

/** Asks for a snapshot and waits until the probe has captured and uploaded it (the probe takes one at a time). */
async function captureSnapshot(api: string): Promise<SnapshotRecord> {
  const res = await fetch(`${api}/snapshots`, { method: 'POST' });
  const { snapshot } = (await res.json()) as SnapshotBody;
  if (res.status !== 202) throw new Error(`snapshot request: HTTP ${res.status} ${JSON.stringify(snapshot)}`);
  return pollSnapshot(api, snapshot.id, (status) => status === 'analysing' || status === 'ready');
}

function analysed(api: string, id: string): Promise<SnapshotRecord> {
  return pollSnapshot(api, id, (status) => status === 'ready');
}

async function pollSnapshot(api: string, id: string, done: (status: SnapshotStatus) => boolean): Promise<SnapshotRecord> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { body } = await getJson<SnapshotDetail>(`${api}/snapshots/${id}`);
    const { status, errorCode, reason } = body.snapshot;
    if (done(status)) return body.snapshot;
    // A refusal or failure is final: say so now rather than time out.
    if (status === 'refused' || status === 'failed') throw new Error(`snapshot ${id} ${status}: ${errorCode} ${reason}`);
    await sleep(250);
  }
  throw new Error(`snapshot ${id} not done within 120 s`);
}

async function diffRows(api: string, a: SnapshotRecord, b: SnapshotRecord): Promise<TypeDiffRow[]> {
  const diff = await getJson<SnapshotDiff>(`${api}/diff?a=${a.id}&b=${b.id}`);
  if (diff.status !== 200) throw new Error(`diff ${a.id} -> ${b.id}: HTTP ${diff.status} ${JSON.stringify(diff.body)}`);
  return diff.body.rows;
}

async function lowestFloor(api: string, before: number): Promise<number> {
  const { body } = await getJson<GcResult>(`${api}/gc?from=${before - FLOOR_WINDOW_MS}&to=${before - 1}&points=${FLOOR_WINDOW_MS / 100}`);
  const floors = body.floor.filter((value): value is number => value !== null);
  if (floors.length === 0) throw new Error(`no major GC in the ${FLOOR_WINDOW_MS} ms before ${new Date(before).toISOString()}`);
  return Math.min(...floors);
}

/** Ctrl-C as a user stops a run: leakwatch passes it to the sample, which exits 0. */
async function stopCli(cli: CliProcess): Promise<number | null> {
  if (cli.child.exitCode !== null) return cli.child.exitCode;
  cli.child.kill('SIGINT');
  const exited = await Promise.race([cli.exited, sleep(15_000).then(() => undefined)]);
  if (!exited) {
    cli.child.kill('SIGKILL');
    // The orphaned sample still holds the pipes it inherited: let go of them, or this process waits for it.
    cli.child.stdout?.destroy();
    cli.child.stderr?.destroy();
  }
  return exited?.code ?? null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
