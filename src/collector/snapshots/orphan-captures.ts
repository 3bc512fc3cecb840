import type { SnapshotRecord } from '../../shared/snapshot-data';

/**
 * When a snapshot that is still `capturing` has been given up on. V8's write blocks the app, so
 * while it runs the probe sends nothing; a process killed during the write (the write needs
 * several times the heap in native memory, so it is what the OOM killer hits) never says so
 * either. `leakwatch run` ends its run and that fails the capture; a bare probe under `leakwatch
 * collect` has no one to end its run, so silence is the only evidence.
 *
 * Measured on the benchmark machine, V8 wrote about 10 MB of heap a second (a 370 MB heap in
 * 35-44 s, 700 MB in 61-66 s). Allowing one second per MB of heap used, and never less than ten
 * minutes, leaves a tenfold margin for a slower or busier machine. Should a process outlive that
 * after all, its upload still lands: a failed snapshot may be uploaded again.
 */
const MIN_SILENCE_MS = 10 * 60_000;
const SILENCE_MS_PER_HEAP_MB = 1000;

export function orphanSilenceMs(heapUsed: number): number {
  return Math.max(MIN_SILENCE_MS, (heapUsed / (1024 * 1024)) * SILENCE_MS_PER_HEAP_MB);
}

/**
 * The reason to record when `snapshot` is an orphaned capture, or undefined. `lastHeardAt` is the
 * last sample of the snapshot's own probe boot: a probe that sampled again after the write began
 * is alive and owns its snapshot (it uploads it or reports the failure itself), while samples of
 * a restarted process (a new boot under the same run id) say nothing for the old one.
 */
export function orphanCaptureReason(snapshot: Pick<SnapshotRecord, 'status' | 'takenAt' | 'heapUsed'>, lastHeardAt: number | null, now: number): string | undefined {
  if (snapshot.status !== 'capturing') return undefined;
  const silentMs = now - Math.max(snapshot.takenAt, lastHeardAt ?? 0);
  if (silentMs <= orphanSilenceMs(snapshot.heapUsed)) return undefined;
  return `no word from the process for ${Math.round(silentMs / 60_000)} min since it began writing this snapshot: it most likely died while V8 wrote it`;
}
