import type { SnapshotStatusMessage } from '../../protocol/snapshot-messages';
import type { SnapshotRecord } from '../../shared/snapshot-data';

/** Announcements remembered until their status is recorded or their upload is done; the oldest go first. */
const MAX_ANNOUNCED = 10_000;
/** Statuses after which the announcing boot may (still, or again) upload: a failed upload may be retried. */
const UPLOADABLE: ReadonlySet<string> = new Set(['capturing', 'uploading', 'failed']);

/**
 * Which snapshot uploads the collector accepts: only a snapshot its own boot announced
 * (`snapshot-status` capturing on that boot's ingest connection, asked for by the collector or
 * by the probe's own schedule) and that is not stored yet. The announcement is noted as the
 * status frame arrives, before it is recorded, so an upload that overtakes the record (a small
 * heap is written in milliseconds) is still known; after that the snapshot's record is what counts,
 * which also holds across a collector restart.
 */
export function createUploadGrants(records: { get(run: string, id: string): Promise<SnapshotRecord | undefined> }) {
  const announced = new Map<string, string>();
  const keyOf = (run: string, id: string) => `${run}/${id}`;

  return {
    /** A `snapshot-status` arrived on the ingest connection of its (run, boot). */
    noteStatus(msg: SnapshotStatusMessage): void {
      if (msg.state !== 'capturing') return;
      const key = keyOf(msg.run, msg.snapshotId);
      if (announced.has(key)) return;
      announced.set(key, msg.boot);
      if (announced.size > MAX_ANNOUNCED) announced.delete(announced.keys().next().value as string);
    },

    /** Null when `boot` may upload snapshot `id` of `run`; otherwise why not (LW_ERR_SNAPSHOT_UNREQUESTED). */
    async refusal(run: string, boot: string, id: string): Promise<string | null> {
      const record = await records.get(run, id);
      if (record && (record.status === 'analysing' || record.status === 'ready')) return `snapshot ${id} is already stored`;
      if (record && record.boot !== '' && record.boot !== boot) return `snapshot ${id} was announced by another process`;
      if (record && record.boot === boot && UPLOADABLE.has(record.status)) return null;
      if (announced.get(keyOf(run, id)) === boot) return null;
      return `snapshot ${id} was not announced by boot ${boot} (snapshot-status capturing on its ingest connection)`;
    },

    /** The upload is verified: the record now speaks for the snapshot. */
    done(run: string, id: string): void {
      announced.delete(keyOf(run, id));
    },
  };
}

export type UploadGrants = ReturnType<typeof createUploadGrants>;
