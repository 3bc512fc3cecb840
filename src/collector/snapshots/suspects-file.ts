import type { Logger } from '../../shared/log';
import type { SnapshotRecord } from '../../shared/snapshot-data';
import type { SnapshotSuspects } from '../../shared/suspect-data';
import { createSnapshotFiles, type SnapshotFiles } from './files';
import { readSidecarFile, writeSidecarFile } from './sidecar-file';

/**
 * The suspects step's files beside a stored snapshot (files.ts): `<sid>.digest`, its containers
 * as encodeDigest wrote them, which the suspects of later snapshots of the process read; and
 * `<sid>.suspects.json`, the ranking over the window ending at it (SnapshotSuspects). Written
 * the digest first: a suspects file always has its digest beside it.
 */
export async function writeSuspectsFiles(files: SnapshotFiles, result: SnapshotSuspects, digest: Uint8Array): Promise<void> {
  await writeSidecarFile(files.digestPath(result.run, result.snapshotId), digest);
  await writeSidecarFile(files.suspectsPath(result.run, result.snapshotId), `${JSON.stringify(result)}\n`);
}

/** A stored snapshot's digest bytes; null when it has none. */
export function readDigestFile(files: SnapshotFiles, run: string, id: string): Promise<Buffer | null> {
  return readSidecarFile(files.digestPath(run, id));
}

/**
 * A stored snapshot's suspects; null when it has none (too early, the step failed, or gone). A
 * file written before the surviving types were kept reads with none.
 */
export async function readSuspectsFile(files: SnapshotFiles, run: string, id: string): Promise<SnapshotSuspects | null> {
  const bytes = await readSidecarFile(files.suspectsPath(run, id));
  if (!bytes) return null;
  const stored = JSON.parse(bytes.toString('utf8')) as Omit<SnapshotSuspects, 'survivingTypes'> & { survivingTypes?: SnapshotSuspects['survivingTypes'] };
  return { ...stored, survivingTypes: stored.survivingTypes ?? [] };
}

/**
 * Per process (boot) of a run, the suspects of its latest ready snapshot that has them, the
 * newest process first. `records` are the run's snapshots (any order). A damaged file is logged
 * and the next older one is tried.
 */
export async function latestSuspectsPerBoot(files: SnapshotFiles, records: readonly SnapshotRecord[], log?: Logger): Promise<SnapshotSuspects[]> {
  const ready = records.filter((r) => r.status === 'ready' && r.boot !== '').sort((a, b) => b.takenAt - a.takenAt || (a.id < b.id ? 1 : -1));
  const found = new Map<string, SnapshotSuspects>();
  for (const record of ready) {
    if (found.has(record.boot)) continue;
    try {
      const suspects = await readSuspectsFile(files, record.run, record.id);
      if (suspects) found.set(record.boot, suspects);
    } catch (err) {
      log?.warn(`suspects of snapshot ${record.id} of run ${record.run} not readable: ${(err as Error).message}`);
    }
  }
  return [...found.values()];
}

/**
 * The same read from a snapshot directory alone, for a command that opened the store itself
 * (`leakwatch check` without a collector): the directory is the one the collector wrote to.
 */
export function latestSuspectsIn(dir: string, records: readonly SnapshotRecord[], log: Logger): Promise<SnapshotSuspects[]> {
  // Only its paths are used: no retention sweep is started here.
  return latestSuspectsPerBoot(createSnapshotFiles({ dir, retentionDays: 1, log }), records, log);
}
