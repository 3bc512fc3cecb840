import { formatErrorLine } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import type { SnapshotRecord } from '../../shared/snapshot-data';
import type { SnapshotSuspects } from '../../shared/suspect-data';
import { decodeDigest } from '../../snapshot/suspects';
import type { Store } from '../../store/store-interface';
import { floorGrowthBetween } from '../floor-growth';
import { mapSuspectLocations, type LocationResolver } from '../source-maps';
import { AnalysisCancelled, startSuspectsWorker, type RunningJob } from './analysis-worker-runner';
import type { SnapshotFiles } from './files';
import type { RecordBook } from './record-book';
import { readDigestFile, writeSuspectsFiles } from './suspects-file';

/**
 * Earlier snapshots whose digests the growth rule reads: its window is 6 snapshots
 * (growth-suspects.ts), the new one and 5 before it. A digest is a few KB, so this bounds nothing
 * that matters but the reading.
 */
const EARLIER_DIGESTS = 5;

export interface SuspectsStepDeps {
  store: Store;
  records: RecordBook;
  files: SnapshotFiles;
  log: Logger;
  workerPath?: string;
  /** Maps the suspects' closure locations to the original sources (none: they stay generated). */
  resolver?: LocationResolver;
  /** Told of the running worker, so that stopping the pipeline stops it too. */
  onStart(job: RunningJob<unknown>): void;
  /** Told of each ranking once it is stored (the collector's suspect watching starts there); must not throw. */
  onSuspects?(result: SnapshotSuspects): void;
}

/** The window before `record`: the last ready snapshots of its process taken before it, oldest first. */
async function earlierRecords(deps: SuspectsStepDeps, record: SnapshotRecord): Promise<SnapshotRecord[]> {
  const earlier = (await deps.records.list(record.run))
    .filter((r) => r.status === 'ready' && r.boot === record.boot && r.id !== record.id && r.takenAt < record.takenAt)
    .sort((a, b) => a.takenAt - b.takenAt);
  return earlier.slice(-EARLIER_DIGESTS);
}

/** The digests of the earlier snapshots of the window, oldest first (missing or damaged ones left out). */
async function earlierDigests(deps: SuspectsStepDeps, record: SnapshotRecord, earlier: readonly SnapshotRecord[]): Promise<{ bytes: Uint8Array[]; firstTakenAt: number }> {
  const bytes: Uint8Array[] = [];
  let firstTakenAt = record.takenAt;
  for (const r of earlier) {
    try {
      const digest = await readDigestFile(deps.files, r.run, r.id);
      if (!digest) continue;
      decodeDigest(digest);
      if (bytes.length === 0) firstTakenAt = r.takenAt;
      bytes.push(digest);
    } catch (err) {
      deps.log.warn(`snapshot ${r.id} of run ${r.run}: its container digest is not usable (${(err as Error).message}); left out of the suspects`);
    }
  }
  return { bytes, firstTakenAt };
}

/**
 * After a snapshot's analysis, before it is marked ready, while its verified (uncompressed) file
 * still exists: digests its
 * containers and ranks the growth suspects of its process over the stored digests of the earlier
 * ones (src/snapshot/suspects, in the analysis worker, one graph at a time), finds the types whose
 * new objects survive over the same window's node indexes (src/snapshot/surviving-types.ts), and
 * stores them beside the snapshot. Never fails the snapshot: a failure is logged and the snapshot is ready with no
 * suspects (later ones still get theirs, from the digests that exist). Returns false when the
 * step was cancelled (the collector is stopping).
 */
export async function runSuspectsStep(deps: SuspectsStepDeps, record: SnapshotRecord, file: string): Promise<boolean> {
  const { run, id } = record;
  const started = Date.now();
  try {
    if (record.boot === '') return true; // no process identity: ids cannot be matched to anything
    const window = await earlierRecords(deps, record);
    const earlier = await earlierDigests(deps, record, window);
    // The same window's node indexes for the surviving types; the new one's was written by the analysis.
    const nodeIndexes = [...window, record].map((r) => ({ path: deps.files.nodeIndexPath(r.run, r.id), takenAt: r.takenAt }));
    const floorGrowthBytes = earlier.bytes.length >= 2 ? await floorGrowthBetween(deps.store, run, earlier.firstTakenAt, record.takenAt) : null;
    const job = startSuspectsWorker({ job: 'suspects', file, takenAt: record.takenAt, earlier: earlier.bytes, floorGrowthBytes, nodeIndexes }, deps.workerPath);
    deps.onStart(job);
    const answer = await job.result;
    if (answer.survivingError) deps.log.warn(`snapshot ${id} of run ${run}: no surviving types: ${answer.survivingError}`);
    // After the worker ranked them: the maps are the collector's (uploaded ones included), and a
    // map that cannot be read leaves the generated locations, never the snapshot without suspects.
    const suspects = deps.resolver
      ? await mapSuspectLocations(deps.resolver, run, answer.suspects).catch((err: Error) => {
          deps.log.warn(`snapshot ${id} of run ${run}: suspect locations not source-mapped: ${err.message.split('\n')[0]}`);
          return answer.suspects;
        })
      : answer.suspects;
    const result: SnapshotSuspects = { run, boot: record.boot, snapshotId: id, takenAt: record.takenAt, snapshots: earlier.bytes.length + 1, floorGrowthBytes, computedAt: Date.now(), suspects, survivingTypes: answer.survivingTypes };
    await writeSuspectsFiles(deps.files, result, answer.digest);
    deps.onSuspects?.(result);
    deps.log.info(`snapshot ${id} of run ${run}: ${suspects.length} growth suspect(s) over ${earlier.bytes.length + 1} snapshot(s), in ${Date.now() - started} ms`);
    return true;
  } catch (err) {
    if (err instanceof AnalysisCancelled) return false;
    deps.log.warn(`snapshot ${id} of run ${run}: no growth suspects: ${formatErrorLine(err)}`);
    return true;
  }
}
