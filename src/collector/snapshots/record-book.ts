import type { SnapshotProgress, SnapshotRecord } from '../../shared/snapshot-data';
import { createKeyedSerializer } from '../../shared/keyed-serializer';
import type { Store, StoredSnapshot } from '../../store/store-interface';
import type { LiveHub } from '../live-hub';
import { isFinal } from './lifecycle';

/** Live progress pushes per snapshot are spaced at least this far apart (status changes are not held back). */
const PROGRESS_PUSH_MS = 250;

function keyOf(run: string, id: string): string {
  return `${run}\u0000${id}`;
}

/**
 * The record book: the one place the collector changes a snapshot's record (the row itself is
 * src/store/snapshot-record.ts). Every change is a read-modify-write of the latest
 * version, serialised per snapshot (a status message and an upload may touch one snapshot at the
 * same moment) and written to the store before anyone sees it. Records in flight are kept in
 * memory with their progress, which is merged into API answers and pushed to /live subscribers.
 */
export function createRecordBook(deps: { store: Store; live: LiveHub }) {
  const { store, live } = deps;
  const serial = createKeyedSerializer();
  const inFlight = new Map<string, StoredSnapshot>();
  const progress = new Map<string, SnapshotProgress>();
  const lastPush = new Map<string, number>();
  const pushTimers = new Map<string, NodeJS.Timeout>();

  function view(record: StoredSnapshot): SnapshotRecord {
    const current = progress.get(keyOf(record.run, record.id));
    return current && !isFinal(record.status) ? { ...record, progress: current } : { ...record };
  }

  function push(key: string): void {
    clearTimeout(pushTimers.get(key));
    pushTimers.delete(key);
    const record = inFlight.get(key);
    if (!record) return;
    lastPush.set(key, Date.now());
    live.publishSnapshot(record.run, view(record));
  }

  async function read(run: string, id: string): Promise<StoredSnapshot | undefined> {
    return inFlight.get(keyOf(run, id)) ?? (await store.getSnapshot(run, id)) ?? undefined;
  }

  return {
    /**
     * Applies `change` to the latest version; `change` returns undefined for "nothing to do".
     * Resolves with the record as it now is (undefined only if there is none at all).
     * `progress` is where the new status starts; it goes out with the status push.
     */
    update(
      run: string,
      id: string,
      change: (prev: StoredSnapshot | undefined) => StoredSnapshot | undefined,
      progressOfNewStatus?: SnapshotProgress,
    ): Promise<SnapshotRecord | undefined> {
      const key = keyOf(run, id);
      return serial(key, async () => {
        const prev = await read(run, id);
        const next = change(prev);
        if (!next) return prev && view(prev);
        // The version must grow even when the clock steps back, or FINAL could keep the old row.
        const record: StoredSnapshot = { ...next, takenAt: prev?.takenAt ?? next.takenAt, updatedAt: Math.max(Date.now(), (prev?.updatedAt ?? 0) + 1) };
        await store.writeSnapshot(record);
        // Progress belongs to a phase: a new status starts without the last one's.
        if (record.status !== prev?.status) {
          if (progressOfNewStatus) progress.set(key, progressOfNewStatus);
          else progress.delete(key);
        }
        inFlight.set(key, record);
        push(key);
        if (isFinal(record.status)) {
          inFlight.delete(key);
          progress.delete(key);
          lastPush.delete(key);
        }
        return view(record);
      });
    },

    /** Records progress of an in-flight snapshot; pushed live at most every PROGRESS_PUSH_MS. */
    setProgress(run: string, id: string, value: SnapshotProgress): void {
      const key = keyOf(run, id);
      if (!inFlight.has(key)) return;
      progress.set(key, value);
      if (pushTimers.has(key)) return;
      const wait = (lastPush.get(key) ?? 0) + PROGRESS_PUSH_MS - Date.now();
      if (wait <= 0) return push(key);
      const timer = setTimeout(() => push(key), wait);
      timer.unref();
      pushTimers.set(key, timer);
    },

    async get(run: string, id: string): Promise<SnapshotRecord | undefined> {
      const record = await read(run, id);
      return record && view(record);
    },

    async list(run: string): Promise<SnapshotRecord[]> {
      const stored = await store.listSnapshots(run);
      return stored.map((record) => view(inFlight.get(keyOf(record.run, record.id)) ?? record));
    },

    close(): void {
      for (const timer of pushTimers.values()) clearTimeout(timer);
      pushTimers.clear();
    },
  };
}

export type RecordBook = ReturnType<typeof createRecordBook>;
