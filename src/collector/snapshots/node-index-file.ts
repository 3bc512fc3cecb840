import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../shared/log';
import type { NodeIdDiff, SnapshotRecord } from '../../shared/snapshot-data';
import { readNodeIndex, type NodeIndex } from '../../snapshot/node-index';
import { diffNodeIndexes } from '../../snapshot/node-index-diff';
import type { SnapshotFiles } from './files';
import { fsyncFile } from './fsync-file';

/**
 * A snapshot's node index beside its stored file (`<run>/<sid>.nodes`, files.ts), written once
 * when the analysis is done: to a `.partial` first and renamed, so a reader never sees half an
 * index (recover() removes a `.partial` a crash left behind).
 */
export async function writeNodeIndexFile(files: SnapshotFiles, run: string, id: string, bytes: Uint8Array): Promise<void> {
  const target = files.nodeIndexPath(run, id);
  const partial = `${target}.partial`;
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  try {
    await fs.promises.writeFile(partial, bytes);
    await fsyncFile(partial);
    await fs.promises.rename(partial, target);
  } catch (err) {
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
}

/** The index of a stored snapshot; null when it has none (analysed before indexes were kept, or gone). */
export async function readNodeIndexFile(files: SnapshotFiles, run: string, id: string): Promise<NodeIndex | null> {
  let bytes: Buffer;
  try {
    bytes = await fs.promises.readFile(files.nodeIndexPath(run, id));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return readNodeIndex(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
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
