import { LeakwatchError } from '../shared/errors';
import { parseInteger } from '../shared/units';

/** How many snapshots `run --check` takes by itself unless told (`--check-snapshots <n>`): the growth rule's minimum. */
export const DEFAULT_CHECK_SNAPSHOTS = 3;
/** More than the growth window (6 digests, docs/suspects.md) would cost pauses for nothing. */
export const MAX_CHECK_SNAPSHOTS = 6;
/**
 * The shortest gap between two of them. Each one pauses the app for V8's full GC and graph walk
 * (seconds on a few hundred MB) and costs the collector an analysis; the D/4 spacing is the rule,
 * this floor only matters when the leak shows late in a run of a few minutes.
 */
export const MIN_CHECK_SNAPSHOT_GAP_MS = 15_000;
/** The end of the run that takes no new snapshot: it must be captured and uploaded while the command runs. */
const MIN_TAIL_MS = 10_000;

/**
 * `--check-snapshots <n>` / `--no-check-snapshots` as commander hands them over (one attribute:
 * undefined when neither is given, false for the `no-` form, the text otherwise). A bare number
 * is a count of snapshots, not a duration; 0 turns them off like `--no-check-snapshots`.
 */
export function parseCheckSnapshots(value: string | boolean | undefined): number {
  if (value === undefined || value === true) return DEFAULT_CHECK_SNAPSHOTS;
  if (value === false) return 0;
  if (!/^\d+$/.test(value.trim())) throw new LeakwatchError('LW_ERR_CONFIG', `--check-snapshots: expected a number of snapshots (0-${MAX_CHECK_SNAPSHOTS}), got "${value}"`);
  return parseInteger(value.trim(), '--check-snapshots', 0, MAX_CHECK_SNAPSHOTS);
}

export interface CheckSnapshotPlanOptions {
  /** When the command started, and how long it runs (`--duration`). */
  startedAt: number;
  durationMs: number;
  /** How many snapshots to take at most. */
  maxSnapshots: number;
  minGapMs?: number;
}

export type PlannerStep = 'snapshot' | 'wait' | 'done';

/**
 * When `run --check --duration D` asks the probe for a snapshot, as pure arithmetic on the clock
 * it is given (the caller reads the trend and sends the requests):
 *
 * - none before the trend points to a leak (a healthy run pays no pause);
 * - then one at once, and the next ones spread over what is left of the run so that all of them
 *   fit: gap = (last moment - previous) / snapshots left, at most D/4 (so they are spaced, and
 *   the growth rule sees steps of the run, not of one minute), at least `minGapMs`;
 * - none in the last max(10 s, D/10) (the target for the last one) and never after the last half
 *   of that tail: a capture must be written and uploaded before the command is stopped;
 * - one request at a time: the next waits for the answer to the previous;
 * - a refusal by the probe's headroom guard ends the plan: under a leak the heap only grows, so
 *   the next snapshot would need more memory still, and the guard is there to protect the app.
 *
 * No timing happens here: every step is given `now`, so tests drive it with a fake clock.
 */
export function createCheckSnapshotPlanner(options: CheckSnapshotPlanOptions) {
  const { startedAt, durationMs, maxSnapshots } = options;
  const minGapMs = options.minGapMs ?? MIN_CHECK_SNAPSHOT_GAP_MS;
  const tailMs = Math.max(MIN_TAIL_MS, durationMs / 10);
  const targetEnd = startedAt + durationMs - tailMs;
  const lastAsk = startedAt + durationMs - tailMs / 2;
  let taken = 0;
  let lastAt: number | undefined;
  let waitingForAnswer = false;
  let refusal: string | undefined;

  return {
    /** What to do at `now`, given whether the trend points to a leak. */
    next(now: number, pointsToLeak: boolean): PlannerStep {
      if (refusal !== undefined || taken >= maxSnapshots || now > lastAsk) return 'done';
      if (!pointsToLeak || waitingForAnswer) return 'wait';
      if (lastAt === undefined) return 'snapshot';
      const left = maxSnapshots - taken;
      const gap = Math.max(minGapMs, Math.min(durationMs / 4, (targetEnd - lastAt) / left));
      return now - lastAt >= gap ? 'snapshot' : 'wait';
    },
    /** A request went out at `now`. */
    asked(now: number): void {
      waitingForAnswer = true;
      lastAt = now;
    },
    /** Its answer: accepted (a capture started), refused by the headroom guard, or no answer (retried later). */
    answered(outcome: 'taken' | 'refused' | 'error', reason = ''): void {
      waitingForAnswer = false;
      if (outcome === 'taken') taken++;
      else if (outcome === 'refused') refusal = reason;
      // An error (no probe connected yet, a timeout) counts nothing: the next step retries, after the gap.
    },
    get taken(): number {
      return taken;
    },
    get refusal(): string | undefined {
      return refusal;
    },
    /**
     * How many fit at most when the trend points to a leak right after `warmupMs` (it cannot
     * before: the warm-up is left out of it), at `minGapMs` apart until the last moment.
     */
    room(warmupMs: number): number {
      const first = startedAt + warmupMs;
      if (first > lastAsk) return 0;
      return Math.min(maxSnapshots, 1 + Math.floor((lastAsk - first) / minGapMs));
    },
  };
}

export type CheckSnapshotPlanner = ReturnType<typeof createCheckSnapshotPlanner>;
