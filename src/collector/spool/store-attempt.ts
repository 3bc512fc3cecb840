import { LeakwatchError } from '../../shared/errors';
import type { RowBatch, Store } from '../../store/store-interface';

/**
 * One insert that gives up after `timeoutMs`: a store that hangs (a server behind a dead link)
 * counts as down, so its batches are spooled instead of holding every probe's acks. An insert
 * that completes after its timeout only writes rows that the spool's replay writes again, and the
 * tables collapse such repeats (ReplacingMergeTree on the full key).
 */
export function attemptInsert(store: Store, rows: RowBatch, timeoutMs: number, abandon?: Promise<never>): Promise<void> {
  return attempt(() => store.insertRows(rows), timeoutMs, abandon);
}

/**
 * Any one store write, bounded the same way; `abandon` (a shutdown's deadline) rejects it
 * sooner, whenever it rejects.
 */
export function attempt(write: () => Promise<void>, timeoutMs: number, abandon?: Promise<never>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LeakwatchError('LW_ERR_STORE', `store did not answer a write within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  });
  const insert = Promise.resolve().then(write);
  // The losing side of the race must not become an unhandled rejection.
  insert.catch(() => undefined);
  return Promise.race(abandon ? [insert, timeout, abandon] : [insert, timeout]).finally(() => clearTimeout(timer));
}

/** Whether the store answers at all: tells "these rows are bad" from "the store is down". */
export async function storeAnswers(store: Store, timeoutMs: number, abandon?: Promise<never>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  const ping = Promise.resolve()
    .then(() => store.ping())
    .then(() => true, () => false);
  const cut = abandon?.then(() => false, () => false);
  return Promise.race(cut ? [ping, timeout, cut] : [ping, timeout]).finally(() => clearTimeout(timer));
}
