import { formatErrorLine } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import type { Store } from '../../store/store-interface';
import { applyCaptureLost } from './lifecycle';
import { orphanCaptureReason, orphanSilenceMs } from './orphan-captures';
import type { RecordBook } from './record-book';

/**
 * How often pending captures are checked. A capture is given up on after at least ten minutes of
 * silence (orphan-captures.ts), so a check a minute shows it failed at most a tenth later than
 * the rule allows. A sweep with nothing pending asks the store nothing, and one with pending
 * captures asks only about those already silent past their limit since the write began.
 */
export const ORPHAN_SWEEP_MS = 60_000;

export interface OrphanSweeperOptions {
  store: Store;
  records: RecordBook;
  log: Logger;
  /** Between sweeps (default ORPHAN_SWEEP_MS). */
  intervalMs?: number;
  /** Epoch milliseconds (default Date.now; tests move it). */
  now?: () => number;
}

function keyOf(run: string, id: string): string {
  return `${run}\u0000${id}`;
}

/**
 * Fails orphaned captures (orphan-captures.ts) on a timer, through the record book, whose write
 * pushes the change to /live: an open run page sees the capture fail without asking, and
 * reading a run's snapshots never writes. Watched are the captures recorded while this process
 * runs and, from the first sweep on, those a previous collector process left `capturing` in runs
 * not yet ended (ending a run fails its captures itself).
 */
export function createOrphanSweeper(options: OrphanSweeperOptions) {
  const { store, records, log } = options;
  const now = options.now ?? Date.now;
  const watched = new Map<string, { run: string; id: string }>();
  let timer: NodeJS.Timeout | undefined;
  let adopted = false;
  let current: Promise<number> | undefined;

  function watch(run: string, id: string): void {
    watched.set(keyOf(run, id), { run, id });
  }

  /** Captures left `capturing` by an earlier collector process: no status message will name them again. */
  async function adoptStored(): Promise<void> {
    for (const run of await store.listRuns()) {
      if (run.status === 'ended') continue;
      for (const snapshot of await store.listSnapshots(run.id)) if (snapshot.status === 'capturing') watch(snapshot.run, snapshot.id);
    }
    adopted = true;
  }

  /** Whether the capture `key` is settled (failed now, or no longer capturing): it is then no longer watched. */
  async function settle(key: string, run: string, id: string): Promise<boolean> {
    const snapshot = await records.get(run, id);
    if (snapshot?.status !== 'capturing') {
      watched.delete(key);
      return false;
    }
    const at = now();
    // Only a capture silent past its limit since the write began can be an orphan; only then is
    // the store asked whether its process sampled again since.
    if (at - snapshot.takenAt <= orphanSilenceMs(snapshot.heapUsed)) return false;
    const reason = orphanCaptureReason(snapshot, await store.lastSampleOfBoot(run, snapshot.boot), at);
    if (!reason) return false;
    const after = await records.update(run, id, (prev) => applyCaptureLost(prev, reason));
    watched.delete(key);
    if (after?.status === 'failed' && after.reason === reason) {
      log.info(`snapshot ${id} of run ${run} failed: LW_ERR_SNAPSHOT_CAPTURE ${reason}`);
      return true;
    }
    return false;
  }

  async function sweepOnce(): Promise<number> {
    // A store that cannot list runs now does not stop the captures already watched from being checked.
    if (!adopted) await adoptStored().catch((err: unknown) => log.warn(`cannot look for captures left by an earlier collector: ${formatErrorLine(err)}`));
    let failed = 0;
    for (const [key, { run, id }] of [...watched]) if (await settle(key, run, id)) failed++;
    return failed;
  }

  /** Checks every watched capture now; resolves with how many were failed. Sweeps never overlap. */
  async function sweep(): Promise<number> {
    while (current) await current.catch(() => undefined);
    current = sweepOnce().finally(() => {
      current = undefined;
    });
    return current;
  }

  return {
    /** A capture was recorded: it is checked on every sweep until it is no longer `capturing`. */
    watch,
    sweep,

    /** Sweeps now and then every interval; the timer never keeps the process alive. */
    start(): void {
      const tick = () => {
        if (!current) sweep().catch((err: unknown) => log.warn(`orphaned capture sweep failed: ${formatErrorLine(err)}`));
      };
      tick();
      timer = setInterval(tick, options.intervalMs ?? ORPHAN_SWEEP_MS);
      timer.unref();
    },

    /** Stops the timer and waits for a sweep under way (it writes through the store). */
    async stop(): Promise<void> {
      clearInterval(timer);
      await current?.catch(() => undefined);
    },
  };
}

export type OrphanSweeper = ReturnType<typeof createOrphanSweeper>;
