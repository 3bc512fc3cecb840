import type { RunSummary } from '../shared/run-data';
import type { Store } from '../store/store-interface';
import type { LiveHub } from './live-hub';
import type { SnapshotService } from './snapshots';

export interface EndRunDeps {
  store: Store;
  snapshots: SnapshotService;
  live: LiveHub;
}

/**
 * Ends a run the one way all three callers need (a probe's bye, POST /api/runs/:id/end, and
 * `leakwatch run` with its embedded collector): the end is stored, a snapshot the process was
 * still writing is marked failed (nobody will upload it; the usual cause is the process being
 * killed while V8 wrote, which is exactly when its reason matters), and the UI is told.
 */
export async function endRun(deps: EndRunDeps, runId: string, endedAt: number, exitCode: number | null): Promise<RunSummary | null> {
  await deps.store.endRun(runId, endedAt, exitCode);
  await deps.snapshots.onRunEnded(runId);
  const ended = await deps.store.getRun(runId);
  if (ended) deps.live.publishRun(ended);
  return ended;
}
