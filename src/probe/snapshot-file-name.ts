import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** leakwatch-<pid>-<snapshot id>.heapsnapshot: the pid tells whose file it is. */
const NAME = /^leakwatch-(\d+)-[A-Za-z0-9_.-]{1,64}\.heapsnapshot$/;

export function snapshotFileName(dir: string, snapshotId: string): string {
  return path.join(dir, `leakwatch-${process.pid}-${snapshotId}.heapsnapshot`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes snapshot files left in `dir` by processes that no longer exist. A process killed while
 * V8 was writing (SIGKILL, or a signal whose default action ends it) runs no JS and leaves the
 * partial file; snapshots are large, so the next probe to use the directory removes it.
 * A file whose pid is alive is never touched: it may be another app's snapshot in progress.
 * Best effort, async; returns how many files it removed.
 */
export async function removeStaleSnapshotFiles(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const match = NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    try {
      await fsp.rm(path.join(dir, name), { force: true });
      removed++;
    } catch {
      // Not ours to remove (permissions): leave it.
    }
  }
  return removed;
}
