import type { Logger } from '../../shared/log';
import { isRefusedData } from '../../store/store-error';
import type { Store } from '../../store/store-interface';
import { mergeRows, rowCount } from '../row-batches';
import type { Spool } from './spool';
import type { SpoolRecord } from './spool-record';
import { attempt, attemptInsert, storeAnswers } from './store-attempt';

/** Rows per replayed insert, like the writer's early flush. */
const MAX_ROWS_PER_INSERT = 5000;
const MAX_RECORDS_PER_INSERT = 1000;

/** Records from `from` on, at most `limit` of them and (past the first) MAX_ROWS_PER_INSERT rows. */
function takeChunk(records: readonly SpoolRecord[], from: number, limit: number): SpoolRecord[] {
  const chunk: SpoolRecord[] = [];
  let rows = 0;
  for (let at = from; at < records.length && chunk.length < limit; at++) {
    const size = rowCount(records[at].rows);
    if (chunk.length > 0 && rows + size > MAX_ROWS_PER_INSERT) break;
    chunk.push(records[at]);
    rows += size;
  }
  return chunk;
}

export interface SpoolReplayerOptions {
  spool: Spool;
  store: Store;
  log: Logger;
  /** First wait after a failed replay; doubles per failure up to maxDelayMs, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  insertTimeoutMs?: number;
  random?: () => number;
}

export interface SpoolReplayerStats {
  replayedRecords: number;
  /** Records the store refused while it answered: their sender's rows were bad (counted, logged). */
  refusedRecords: number;
  failedAttempts: number;
}

/**
 * Stores the spool's records, oldest segment first and in order within it (many per insert),
 * retrying with exponential backoff and jitter while the store is down. A segment is deleted only once every
 * record in it is stored; a crash in between replays the whole segment again, which the tables
 * collapse (same rows, same keys) and the queries' FINAL hides until they do.
 */
export function createSpoolReplayer(options: SpoolReplayerOptions) {
  const { spool, store, log } = options;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const insertTimeoutMs = options.insertTimeoutMs ?? 10_000;
  const random = options.random ?? Math.random;
  const stats: SpoolReplayerStats = { replayedRecords: 0, refusedRecords: 0, failedAttempts: 0 };
  let running: Promise<void> | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const idleWaiters: (() => void)[] = [];

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function loop(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      const segment = await spool.oldest();
      if (!segment) break;
      let next = 0;
      // Many records per insert while they go in; one at a time to find a record the store refuses.
      let perAttempt = MAX_RECORDS_PER_INSERT;
      while (!stopped && next < segment.records.length) {
        const chunk = takeChunk(segment.records, next, perAttempt);
        try {
          for (const { hello } of chunk) if (hello) await attempt(() => store.upsertRun(hello), insertTimeoutMs);
          await attemptInsert(store, mergeRows(chunk.map((r) => r.rows)), insertTimeoutMs);
          stats.replayedRecords += chunk.length;
          failures = 0;
          next += chunk.length;
          perAttempt = MAX_RECORDS_PER_INSERT;
        } catch (err) {
          stats.failedAttempts++;
          const answers = await storeAnswers(store, insertTimeoutMs);
          if (answers && chunk.length > 1) {
            perAttempt = 1;
            continue;
          }
          if (answers && isRefusedData(err)) {
            // The store is up and refuses these values: retrying cannot help. Anything else is
            // retried, however long it takes: an acknowledged record is never dropped on a guess.
            stats.refusedRecords++;
            log.error(`LW_ERR_BAD_DATA: spooled rows of ${chunk[0].sender} refused by the store and dropped (${(err as Error).message.split('\n')[0]})`);
            next++;
            continue;
          }
          const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** failures) * (0.5 + random() / 2);
          failures++;
          if (failures === 1) log.warn(`store unavailable, replaying the spool with backoff: ${(err as Error).message.split('\n')[0]}`);
          await pause(delay);
        }
      }
      if (stopped) break;
      await spool.remove(segment.name);
    }
  }

  function start(): void {
    if (running || stopped) return;
    running = loop()
      .catch((err: Error) => log.error(`spool replay stopped: ${err.message}`))
      .finally(() => {
        running = undefined;
        if (spool.isEmpty()) for (const resolve of idleWaiters.splice(0)) resolve();
        // Something was appended after the last look: go again.
        else if (!stopped) setImmediate(start);
      });
  }

  return {
    /** Starts replaying if not already (after start-up, and whenever a batch was spooled). */
    kick: start,
    stats: (): SpoolReplayerStats => ({ ...stats }),
    /** Resolves once the spool is empty (tests, drains). */
    idle(): Promise<void> {
      if (spool.isEmpty() && !running) return Promise.resolve();
      start();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    /**
     * Stops after the insert in flight, waiting at most `graceMs` for it (a hanging store must not
     * hold a shutdown); what is left replays at the next start, and repeats collapse.
     */
    async stop(graceMs = 2000): Promise<void> {
      stopped = true;
      wake?.();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    },
  };
}

export type SpoolReplayer = ReturnType<typeof createSpoolReplayer>;
