import type { Logger } from '../../shared/log';
import type { NodeIdDiff, SnapshotRecord } from '../../shared/snapshot-data';
import { readNodeIndex, type NodeIndex } from '../../snapshot/node-index';
import { diffNodeIndexes } from '../../snapshot/node-index-diff';
import type { SnapshotFiles } from './files';
import { readSidecarFile, writeSidecarFile } from './sidecar-file';

/** Writes a snapshot's node index beside its stored file (`<run>/<sid>.nodes`, files.ts), once, when the analysis is done. */
export function writeNodeIndexFile(files: SnapshotFiles, run: string, id: string, bytes: Uint8Array): Promise<void> {
  return writeSidecarFile(files.nodeIndexPath(run, id), bytes);
}

/** The index of a stored snapshot; null when it has none (analysed before indexes were kept, or gone). */
export async function readNodeIndexFile(files: SnapshotFiles, run: string, id: string): Promise<NodeIndex | null> {
  const bytes = await readSidecarFile(files.nodeIndexPath(run, id));
  return bytes && readNodeIndex(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/**
 * #new / #deleted per type between two snapshots of a run, or null when they cannot be matched
 * by id: different processes (ids are per process), or either one without a readable index.
 * A damaged index is logged and the diff goes on by type rows alone.
 */
export async function diffStoredNodeIndexes(files: SnapshotFiles, a: SnapshotRecord, b: SnapshotRecord, log?: Logger): Promise<Map<string, NodeIdDiff> | null> {
  if (a.boot === '' || a.boot !== b.boot) return null;
  try {
    const [indexA, indexB] = await Promise.all([readNodeIndexFile(files, a.run, a.id), readNodeIndexFile(files, b.run, b.id)]);
    if (!indexA || !indexB) return null;
    return diffNodeIndexes(indexA, indexB);
  } catch (err) {
    log?.warn(`diff of snapshots ${a.id} and ${b.id} of run ${a.run}: node index not usable (${(err as Error).message}); diffing by type only`);
    return null;
  }
}
