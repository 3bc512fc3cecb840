import { LeakwatchError } from '../shared/errors';
import type { Logger } from '../shared/log';
import { isRefusedData } from '../store/store-error';
import type { RowBatch, Store } from '../store/store-interface';
import type { HelloMessage } from '../protocol/messages';
import { mergeRows, rowCount } from './row-batches';
import { attempt, attemptInsert, storeAnswers, type Spool, type SpoolRecord } from './spool';

export interface WriterEntry {
  rows: RowBatch;
  /** `run/boot` of the probe the rows came from: a batch the store refuses is traced to its sender. */
  sender: string;
  /**
   * Called once the rows are durable (err undefined: stored, or spooled and fsynced), or with
   * LW_ERR_BAD_DATA (the store refuses this sender's rows alone), LW_ERR_SPOOL_FULL (store down and
   * the spool over its budget) or LW_ERR_STORE (store down and no spool).
   */
  done: (err?: Error) => void;
}

export interface BatchWriterOptions {
  store: Store;
  /** Where batches go while the store is down; without one, a failed insert fails its entries. */
  spool?: Spool;
  /** Told after a batch was spooled, so its replay starts. */
  onSpooled?: () => void;
  log?: Logger;
  /** ClickHouse prefers few large inserts: about one per second per table (DESIGN "Storage"). */
  flushIntervalMs?: number;
  /** Flush early when this many rows are waiting. */
  maxRows?: number;
  /** An insert that takes longer counts as a down store (default 10 s; at most 3 s once closing). */
  insertTimeoutMs?: number;
}

const MAX_REMEMBERED_HELLOS = 10_000;
/** How long a shutdown waits for the store before it spools what is left (SIGTERM drains within 10 s). */
const CLOSE_GRACE_MS = 3000;

function bySender(entries: readonly WriterEntry[]): Map<string, WriterEntry[]> {
  const groups = new Map<string, WriterEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.sender);
    if (group) group.push(entry);
    else groups.set(entry.sender, [entry]);
  }
  return groups;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/**
 * Collects rows from every connected probe and writes them with one insert per table per flush.
 * Flushes never overlap, so entries complete in the order they were added, which lets ingest
 * acknowledge each probe's messages in seq order.
 *
 * When the merged insert fails, each sender's rows are retried alone: senders that succeed are
 * done. If the store still answers a trivial query, a sender whose rows fail alone while the
 * others' succeed, or whose rows the engine names as unparseable, is refused (LW_ERR_BAD_DATA):
 * one bad probe never costs the others. Otherwise the store is down (or failing for everyone):
 * the rows go to the spool (durable, so done) and the replayer stores them later.
 * While the spool holds anything, new batches join it behind what waits, in order.
 */
export function createBatchWriter(options: BatchWriterOptions) {
  const { store, spool } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxRows = options.maxRows ?? 5000;
  const insertTimeoutMs = options.insertTimeoutMs ?? 10_000;
  const timeoutMs = insertTimeoutMs;
  /**
   * Rejected CLOSE_GRACE_MS after close() began: cuts short every store call still waiting, so
   * a shutdown with a hanging store spools what it holds instead of waiting out the timeouts.
   */
  let giveUp: (err: Error) => void = () => undefined;
  const shutdown = new Promise<never>((_, reject) => (giveUp = reject));
  shutdown.catch(() => undefined);
  let pending: WriterEntry[] = [];
  let pendingRows = 0;
  let flushing: Promise<void> | undefined;
  let closed = false;
  /** Boots whose hello this process spooled (bounded: forgetting one only spools a repeat). */
  const spooledHellos = new Set<string>();

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref();

  /** Spools the entries' rows (one record per sender) and completes them: done once fsynced. */
  async function toSpool(entries: WriterEntry[], cause: unknown): Promise<void> {
    if (!spool) {
      const err = cause instanceof Error ? cause : new LeakwatchError('LW_ERR_STORE', firstLine(cause));
      for (const entry of entries) entry.done(err);
      return;
    }
    const records: SpoolRecord[] = [];
    for (const [sender, group] of bySender(entries)) {
      const rows = mergeRows(group.map((e) => e.rows));
      if (rowCount(rows) > 0) records.push({ sender, rows });
    }
    try {
      if (records.length > 0) await spool.append(records);
    } catch (err) {
      for (const entry of entries) entry.done(err as Error);
      return;
    }
    for (const entry of entries) entry.done();
    if (records.length > 0) options.onSpooled?.();
  }

  async function isolate(entries: WriterEntry[], mergedError: unknown): Promise<void> {
    // One question first: a store that does not answer is down for everyone, and splitting the
    // batch would only cost one timeout per sender (a shutdown must stay bounded).
    if (!(await storeAnswers(store, timeoutMs, shutdown))) {
      await toSpool(entries, mergedError);
      return;
    }
    const groups = bySender(entries);
    const failed: { sender: string; group: WriterEntry[]; err: unknown }[] = [];
    if (groups.size === 1) {
      const [[sender, group]] = groups;
      failed.push({ sender, group, err: mergedError });
    } else {
      for (const [sender, group] of groups) {
        try {
          await attemptInsert(store, mergeRows(group.map((e) => e.rows)), timeoutMs, shutdown);
          for (const entry of group) entry.done();
        } catch (err) {
          failed.push({ sender, group, err });
        }
      }
    }
    if (failed.length === 0) return;
    const othersStored = failed.length < groups.size;
    // Refused: the store answers and either names the values as the fault or took everyone
    // else's rows. Anything else (a store failing for everyone, now or since the question) is
    // the store's: spooled.
    const answers = othersStored || (await storeAnswers(store, timeoutMs, shutdown));
    const refused = answers ? failed.filter((f) => othersStored || isRefusedData(f.err)) : [];
    const unstored = failed.filter((f) => !refused.includes(f));
    for (const { sender, group, err } of refused) {
      options.log?.warn(`store refused the rows of ${sender} alone: ${firstLine(err)}`);
      const refusal = new LeakwatchError('LW_ERR_BAD_DATA', `the store refuses this probe's rows (${firstLine(err)})`);
      for (const entry of group) entry.done(refusal);
    }
    if (unstored.length > 0) await toSpool(unstored.flatMap((f) => f.group), unstored[0].err);
  }

  async function writeOnce(): Promise<void> {
    const entries = pending;
    pending = [];
    pendingRows = 0;
    if (entries.length === 0) return;
    if (spool && !spool.isEmpty()) {
      // Older batches wait in the spool: these go behind them rather than around them.
      await toSpool(entries, undefined);
      return;
    }
    try {
      await attemptInsert(store, mergeRows(entries.map((e) => e.rows)), timeoutMs, shutdown);
    } catch (err) {
      await isolate(entries, err);
      return;
    }
    for (const entry of entries) entry.done();
  }

  async function drain(): Promise<void> {
    // The first await comes before any state change, so `flushing` is always assigned before
    // the finally below clears it (a synchronous finish would otherwise leave it set forever).
    await Promise.resolve();
    try {
      while (pending.length > 0) await writeOnce();
    } finally {
      flushing = undefined;
    }
  }

  function flush(): Promise<void> {
    if (flushing) return flushing;
    if (pending.length === 0) return Promise.resolve();
    flushing = drain();
    return flushing;
  }

  return {
    add(entry: WriterEntry): void {
      if (closed) {
        entry.done(new LeakwatchError('LW_ERR_STORE', 'collector is shutting down'));
        return;
      }
      pending.push(entry);
      pendingRows += rowCount(entry.rows);
      if (pendingRows >= maxRows) void flush();
    },
    flush,
    /**
     * A hello's run row: written now, or spooled (fsynced, replayed before anything after it)
     * when the store does not answer, so a probe can connect and hand over its data during an
     * outage. Rejects, like before, when there is no spool or it is full.
     */
    async upsertRun(hello: HelloMessage): Promise<void> {
      const sender = `${hello.run}/${hello.boot}`;
      try {
        await attempt(() => store.upsertRun(hello), timeoutMs, shutdown);
      } catch (err) {
        if (!spool || (await storeAnswers(store, timeoutMs, shutdown))) throw err;
        // A probe refused for a full spool reconnects and says hello again: its first hello is
        // already on disk and will be replayed, so the repeats cost no spool space.
        if (spooledHellos.has(sender)) return;
        await spool.append([{ sender, rows: { samples: [], spaces: [], gcs: [] }, hello }]);
        if (spooledHellos.size >= MAX_REMEMBERED_HELLOS) spooledHellos.clear();
        spooledHellos.add(sender);
        options.onSpooled?.();
      }
    },
    /**
     * Writes what is pending (stored, or spooled when the store does not answer quickly) and
     * stops the timer: a shutdown is bounded even with the store gone.
     */
    async close(): Promise<void> {
      clearInterval(timer);
      const deadline = setTimeout(() => giveUp(new LeakwatchError('LW_ERR_STORE', `the store did not answer within ${CLOSE_GRACE_MS} ms of the shutdown`)), CLOSE_GRACE_MS);
      deadline.unref();
      await flush();
      // Entries added while that flush ran.
      await flush();
      clearTimeout(deadline);
      closed = true;
    },
  };
}

export type BatchWriter = ReturnType<typeof createBatchWriter>;
