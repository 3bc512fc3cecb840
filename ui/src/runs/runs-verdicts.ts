import type { RunSummary, VerdictBody } from '../../../src/api';
import { ApiError, fetchVerdict } from '../common/collector-api';
import { createTaskPool } from '../common/task-pool';
import type { VerdictThresholds } from '../common/verdict-query';
import { VERDICT_REFRESH_MS } from '../verdict/verdict-view';

/** Verdicts are fetched for the newest runs only: each one is a full scan of the run's series. */
export const MAX_VERDICT_ROWS = 50;
/** Verdict requests in flight at once. */
const CONCURRENCY = 4;

export type RowVerdict = { state: 'ok'; result: VerdictBody } | { state: 'error'; message: string };

interface Entry {
  verdict: RowVerdict | null;
  fetchedAt: number;
  /** The status the run had when this verdict was asked for. */
  status: RunSummary['status'];
  inFlight: boolean;
}

/**
 * The runs list's verdict per run: fetched once for a finished run, again every
 * VERDICT_REFRESH_MS for a live one and once more when it ends. `onChange(runId)` fires when a
 * run's verdict arrived.
 */
export function createRunsVerdicts(thresholds: VerdictThresholds, onChange: (runId: string) => void) {
  const pool = createTaskPool(CONCURRENCY);
  const entries = new Map<string, Entry>();

  function stale(entry: Entry, run: RunSummary, now: number): boolean {
    if (entry.inFlight) return false;
    if (entry.status !== run.status) return true;
    return run.status === 'live' && now - entry.fetchedAt >= VERDICT_REFRESH_MS;
  }

  function fetchFor(run: RunSummary): void {
    const entry: Entry = entries.get(run.id) ?? { verdict: null, fetchedAt: 0, status: run.status, inFlight: false };
    entry.inFlight = true;
    entry.status = run.status;
    entries.set(run.id, entry);
    pool.add(async () => {
      try {
        entry.verdict = { state: 'ok', result: await fetchVerdict(run.id, thresholds) };
      } catch (err) {
        entry.verdict = { state: 'error', message: err instanceof ApiError ? `${err.code}: ${err.message}` : String(err) };
      } finally {
        entry.inFlight = false;
        entry.fetchedAt = Date.now();
      }
      onChange(run.id);
    });
  }

  return {
    /** `runs` newest first, as shown: asks for the verdicts that are missing or out of date. */
    sync(runs: readonly RunSummary[]): void {
      const now = Date.now();
      for (const run of runs.slice(0, MAX_VERDICT_ROWS)) {
        const entry = entries.get(run.id);
        if (!entry || stale(entry, run, now)) fetchFor(run);
      }
    },
    /** The verdict shown for a run; null until it arrived (or for rows past MAX_VERDICT_ROWS). */
    get(runId: string): RowVerdict | null {
      return entries.get(runId)?.verdict ?? null;
    },
  };
}
