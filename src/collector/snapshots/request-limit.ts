import { LeakwatchError } from '../../shared/errors';

/** Least time between two snapshot requests of one run unless the collector is told (docs/api.md). */
export const DEFAULT_MIN_REQUEST_GAP_MS = 10_000;

/** A request refused by the limit; `retryAfterSeconds` is sent as the `retry-after` header. */
export class RateLimitedError extends LeakwatchError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterMs: number) {
    super('LW_ERR_SNAPSHOT_RATE_LIMITED', message);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  }
}

interface RunLimit {
  /** When the last request was sent to the probe, and whether it still waits for the answer. */
  lastAt: number;
  waiting: boolean;
  /** The snapshot the last answer named, if any. */
  snapshotId?: string;
}

/**
 * Snapshot requests per run: one at a time, and at least `minGapMs` apart. A heap snapshot stops
 * the app while V8 writes it, so a script (or a stuck button) must not be able to ask for one
 * after another. Within the gap a request is not refused when the snapshot the last request
 * started is still with the probe: it is answered with that one, as the probe would ("busy").
 */
export function createRequestLimit(options: { minGapMs?: number; requestTimeoutMs: number; now?: () => number }) {
  const minGapMs = options.minGapMs ?? DEFAULT_MIN_REQUEST_GAP_MS;
  const now = options.now ?? Date.now;
  const runs = new Map<string, RunLimit>();

  function prune(at: number): void {
    // Runs whose gap is over need no entry; swept only now and then, the map stays small.
    if (runs.size < 1000) return;
    for (const [run, limit] of runs) if (!limit.waiting && at - limit.lastAt >= minGapMs) runs.delete(run);
  }

  return {
    /**
     * Decides a new request of `run`: throws RateLimitedError, or returns the id of the snapshot
     * to answer with instead of asking, or null when the probe is to be asked (the request then
     * counts as sent, before any await, so two at once cannot both pass). `inFlight` tells
     * whether a snapshot is still with the probe.
     */
    async admit(run: string, inFlight: (snapshotId: string) => Promise<boolean>): Promise<string | null> {
      const at = now();
      prune(at);
      const limit = runs.get(run);
      const send = () => {
        runs.set(run, { lastAt: at, waiting: true });
        return null;
      };
      if (!limit) return send();
      if (limit.waiting) {
        throw new RateLimitedError(`a snapshot request of run ${run} is already waiting for its probe`, limit.lastAt + options.requestTimeoutMs - at);
      }
      const left = limit.lastAt + minGapMs - at;
      if (left <= 0) return send();
      if (limit.snapshotId !== undefined && (await inFlight(limit.snapshotId))) return limit.snapshotId;
      throw new RateLimitedError(`snapshot requests of run ${run} are at least ${Math.round(minGapMs / 1000)} s apart`, left);
    },

    /**
     * The request cost the app nothing (no probe was connected, or its headroom guard refused):
     * the gap, which protects the app from one pause after another, does not start.
     */
    forget(run: string): void {
      runs.delete(run);
    },

    /** Its answer (a snapshot id), or none (a timeout). */
    answered(run: string, snapshotId?: string): void {
      const limit = runs.get(run);
      if (!limit) return;
      limit.waiting = false;
      limit.snapshotId = snapshotId;
    },
  };
}

export type RequestLimit = ReturnType<typeof createRequestLimit>;
