import type { RunSummary } from '../shared/run-data';

/** However fast a probe samples, a run is not called lost before this much silence. */
const MIN_LIVE_WINDOW_MS = 10_000;
/** Missing this many sample intervals in a row means the probe is gone. */
const LIVE_INTERVALS = 3;

export interface StatusInput {
  startedAt: number;
  endedAt: number | null;
  intervalMs: number;
  lastSampleAt: number | null;
}

/**
 * ended: closed explicitly; live: the last sample (or the start, before any sample) is recent
 * relative to `now`; lost: silent for longer than the window and never closed.
 */
export function runStatus(run: StatusInput, now: number): RunSummary['status'] {
  if (run.endedAt !== null) return 'ended';
  const last = run.lastSampleAt ?? run.startedAt;
  const window = Math.max(LIVE_INTERVALS * run.intervalMs, MIN_LIVE_WINDOW_MS);
  return now - last <= window ? 'live' : 'lost';
}
