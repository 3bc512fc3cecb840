import type { SnapshotRecord } from '../shared/snapshot-data';
import { formatErrorLine, isLeakwatchError } from '../shared/errors';
import { spanText } from '../trend/reason-text';
import { callCollector } from './api-client';
import type { CheckThresholds } from './check-flags';
import { createCheckSnapshotPlanner } from './check-snapshot-planner';
import type { CollectorRunSource } from './run-source/run-source';

/** The growth rule needs this many snapshots of one process (docs/suspects.md). */
const SUSPECT_SNAPSHOTS = 3;
/** Before the command is stopped: how long a capture or upload of ours may still take. */
const CAPTURE_WAIT_MS = 60_000;
/** After it ended: how long the verdict waits for the analyses (and suspects) of ours. */
const ANALYSIS_WAIT_MS = 120_000;
const STATUS_POLL_MS = 500;
const PROGRESS_EVERY_MS = 15_000;
/**
 * Before the command is stopped, with --watch-suspects: the collector watches the top containers
 * one after the other (30 s each by default, src/collector/watches/watch-service.ts), so the
 * command must still run while they are watched. How long that may take in all, and how long no
 * watch may be under way before the watching is taken as over (the next one starts right after).
 */
const WATCH_WAIT_MS = 90_000;
const WATCH_SETTLE_MS = 3_000;

export interface CheckSnapshotsOptions {
  source: CollectorRunSource;
  runId: string;
  thresholds: CheckThresholds;
  startedAt: number;
  durationMs: number;
  maxSnapshots: number;
  /** One line for the user (stderr). */
  note: (line: string) => void;
  /** The collector watches the suspects' containers (--watch-suspects): wait for that before the command stops. */
  watchSuspects?: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * `run --check --duration D` taking the snapshots its verdict needs to name the culprit: reads the
 * run's trend every D/20 (1 s to 30 s) through the run source, with the user's thresholds but no
 * minimum duration (the question is "does it point to a leak yet", not the verdict), and asks the
 * probe for a snapshot through the collector's API when the planner says so. Each snapshot is at a
 * heap-floor point by itself: V8's HeapSnapshotGenerator::GenerateSnapshot first calls
 * Heap::CollectAllAvailableGarbage (kHeapProfiler), full GCs until nothing more is freed (Node 20
 * reports two major GCs inside one v8.writeHeapSnapshot()), so nothing is asked of the probe
 * before. The probe's headroom guard decides every request; a refusal is reported and ends the
 * plan. Timers are unref'd and cleared by `stop`.
 */
export function startCheckSnapshots(options: CheckSnapshotsOptions) {
  const { source, runId, note } = options;
  const planner = createCheckSnapshotPlanner(options);
  const early: CheckThresholds = { ...options.thresholds, minDuration: '0s', options: { ...options.thresholds.options, minDurationMs: 0 } };
  const pollMs = Math.min(30_000, Math.max(1000, options.durationMs / 20));
  const route = `api/runs/${encodeURIComponent(runId)}/snapshots`;
  const ours: string[] = [];
  let leakAt: number | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> = Promise.resolve();

  const warmupMs = Math.max(options.thresholds.options.warmupMs ?? 0, options.durationMs / 10);
  const room = planner.room(warmupMs);
  if (room < SUSPECT_SNAPSHOTS && options.maxSnapshots >= SUSPECT_SNAPSHOTS) {
    note(`a ${spanText(options.durationMs)} run has room for ${room} of the ${SUSPECT_SNAPSHOTS} snapshots the suspects need after its ${spanText(warmupMs)} warm-up: run longer (--duration) for the culprit`);
  }

  async function ask(): Promise<void> {
    planner.asked(Date.now());
    try {
      const { snapshot } = await callCollector<'POST /api/runs/:id/snapshots'>(source.collectorUrl, route, { method: 'POST' });
      if (snapshot.status === 'refused') {
        planner.answered('refused', snapshot.reason);
        note(`the probe refused a snapshot (${snapshot.errorCode}: ${snapshot.reason}); no more are asked for in this run`);
      } else if (snapshot.status === 'failed') {
        planner.answered('error');
        note(`a snapshot failed: ${snapshot.errorCode}: ${snapshot.reason}`);
      } else {
        if (!ours.includes(snapshot.id)) ours.push(snapshot.id);
        planner.answered('taken');
        note(`snapshot ${planner.taken} of ${options.maxSnapshots} taken (${snapshot.id}): the trend points to a leak`);
      }
    } catch (err) {
      planner.answered('error');
      // No probe yet, or it did not answer in time: the next step retries.
      if (!(isLeakwatchError(err) && err.code === 'LW_ERR_SNAPSHOT_NO_PROBE')) note(`a snapshot request failed: ${formatErrorLine(err)}`);
    }
  }

  async function tick(): Promise<void> {
    if (leakAt === undefined) {
      // Before the probe's first batch the run is not there yet: not a leak, ask again next time.
      const trend = await source.verdict(runId, early).catch(() => undefined);
      if (trend?.verdict === 'leak') leakAt = Date.now();
    }
    if (stopped) return;
    const step = planner.next(Date.now(), leakAt !== undefined);
    if (step === 'snapshot') await ask();
    if (step !== 'done') schedule();
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick();
    }, pollMs);
    timer.unref();
  }

  async function ourRecords(): Promise<SnapshotRecord[]> {
    const { snapshots } = await callCollector<'GET /api/runs/:id/snapshots'>(source.collectorUrl, route);
    return snapshots.filter((s) => ours.includes(s.id));
  }

  /** Waits until none of ours is in one of `states`, at most `ms`; returns those still in them. */
  async function waitWhile(states: ReadonlySet<string>, ms: number, progress?: (left: number) => void): Promise<SnapshotRecord[]> {
    const deadline = Date.now() + ms;
    let lastProgress = 0;
    for (;;) {
      const left = (await ourRecords().catch(() => [])).filter((s) => states.has(s.status));
      if (left.length === 0 || Date.now() >= deadline) return left;
      if (progress && Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        progress(left.length);
      }
      await sleep(STATUS_POLL_MS);
    }
  }

  /**
   * The suspects come with the last snapshot's analysis, and the watches of their containers
   * after it: waits (bounded) for both while the command still runs, so the lines that add to
   * the leak are found before the process is gone.
   */
  async function waitForWatches(): Promise<void> {
    await waitWhile(new Set(['analysing']), ANALYSIS_WAIT_MS);
    const deadline = Date.now() + WATCH_WAIT_MS;
    const watchesRoute = `api/runs/${encodeURIComponent(runId)}/watches`;
    let idleSince = Date.now();
    let told = false;
    while (Date.now() < deadline) {
      const { watches } = await callCollector<'GET /api/runs/:id/watches'>(source.collectorUrl, watchesRoute).catch(() => ({ watches: [] }));
      if (watches.some((w) => w.state === 'watching')) {
        idleSince = Date.now();
        if (!told) note(`watching the suspects' containers before the command stops, to find the lines that add to them (${spanText(WATCH_WAIT_MS)} at most)`);
        told = true;
      } else if (Date.now() - idleSince >= WATCH_SETTLE_MS) return;
      await sleep(STATUS_POLL_MS);
    }
  }

  async function stop(): Promise<void> {
    stopped = true;
    clearTimeout(timer);
    await ticking;
  }

  schedule();
  return {
    stop,
    /** At the end of --duration, before the command is stopped: no new requests; ours finish capturing and uploading. */
    async beforeStop(): Promise<void> {
      await stop();
      if (ours.length > 0) await waitWhile(new Set(['capturing', 'uploading']), CAPTURE_WAIT_MS);
      if (options.watchSuspects && ours.length >= SUSPECT_SNAPSHOTS) await waitForWatches();
    },
    /**
     * After the command ended, before the run is ended (which closes an embedded collector and
     * with it any analysis under way): waits, bounded, for ours to be analysed and their suspects
     * ranked, then says what the run took.
     */
    async finish(): Promise<void> {
      await stop();
      const started = Date.now();
      const left = await waitWhile(new Set(['capturing', 'uploading', 'analysing']), ANALYSIS_WAIT_MS, (n) =>
        note(`waiting for ${n} snapshot${n === 1 ? '' : 's'} to be analysed, so the verdict can name the culprit (${Math.round((ANALYSIS_WAIT_MS - (Date.now() - started)) / 1000)} s at most)`),
      );
      if (left.length > 0) note(`${left.length} snapshot${left.length === 1 ? ' is' : 's are'} still being analysed after ${spanText(ANALYSIS_WAIT_MS)}: the verdict does without ${left.length === 1 ? 'it' : 'them'}`);
      const ready = (await ourRecords().catch(() => [])).filter((s) => s.status === 'ready').length;
      if (leakAt === undefined) return;
      const when = spanText(leakAt - options.startedAt);
      const line = `the run took ${ours.length} snapshot${ours.length === 1 ? '' : 's'} by itself (the trend pointed to a leak after ${when}), ${ready} analysed`;
      note(ready < SUSPECT_SNAPSHOTS && planner.refusal === undefined ? `${line}; the suspects need ${SUSPECT_SNAPSHOTS}: run longer (--duration) for the culprit` : line);
    },
  };
}

export type CheckSnapshots = ReturnType<typeof startCheckSnapshots>;
