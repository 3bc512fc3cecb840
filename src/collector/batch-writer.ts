import type { RowBatch, Store } from '../store/store-interface';

export interface WriterEntry {
  rows: RowBatch;
  /** Called once the rows are in ClickHouse (err undefined) or the insert failed. */
  done: (err?: Error) => void;
}

export interface BatchWriterOptions {
  store: Store;
  /** ClickHouse prefers few large inserts: about one per second per table (DESIGN "Storage"). */
  flushIntervalMs?: number;
  /** Flush early when this many rows are waiting. */
  maxRows?: number;
}

/**
 * Collects rows from every connected probe and writes them with one insert per table per flush.
 * Flushes never overlap, so entries complete in the order they were added, which lets ingest
 * acknowledge each probe's messages in seq order. A failed insert fails all its entries: their
 * messages stay unacknowledged in the probes, which resend them after reconnecting.
 */
export function createBatchWriter(options: BatchWriterOptions) {
  const flushIntervalMs = options.flushIntervalMs ?? 1000;
  const maxRows = options.maxRows ?? 5000;
  let pending: WriterEntry[] = [];
  let pendingRows = 0;
  let flushing: Promise<void> | undefined;
  let closed = false;

  const timer = setInterval(() => void flush(), flushIntervalMs);
  timer.unref();

  async function writeOnce(): Promise<void> {
    const entries = pending;
    pending = [];
    pendingRows = 0;
    if (entries.length === 0) return;
    const merged: Required<RowBatch> = { samples: [], spaces: [], gcs: [], allocSites: [], gaps: [] };
    for (const { rows } of entries) {
      for (const r of rows.samples) merged.samples.push(r);
      for (const r of rows.spaces) merged.spaces.push(r);
      for (const r of rows.gcs) merged.gcs.push(r);
      for (const r of rows.allocSites ?? []) merged.allocSites.push(r);
      for (const r of rows.gaps ?? []) merged.gaps.push(r);
    }
    try {
      await options.store.insertRows(merged);
    } catch (err) {
      for (const entry of entries) entry.done(err as Error);
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
        entry.done(new Error('collector is shutting down'));
        return;
      }
      pending.push(entry);
      pendingRows += entry.rows.samples.length + entry.rows.spaces.length + entry.rows.gcs.length + (entry.rows.allocSites?.length ?? 0);
      if (pendingRows >= maxRows) void flush();
    },
    flush,
    /** Writes what is pending and stops the timer. */
    async close(): Promise<void> {
      clearInterval(timer);
      await flush();
      closed = true;
    },
  };
}

export type BatchWriter = ReturnType<typeof createBatchWriter>;
