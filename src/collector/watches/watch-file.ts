import fs from 'node:fs';
import path from 'node:path';
import type { SuspectWatch } from '../../shared/alloc-data';
import { LeakwatchError } from '../../shared/errors';

/** What is kept of one watch: what the API serves, and what matches the probe's report to it. */
export interface StoredWatch extends SuspectWatch {
  requestId: string;
  durationMs: number;
}

/** The newest this many watches of a run are kept (a watch is a few KB). */
export const MAX_STORED_WATCHES = 200;
const FILE_NAME = 'watches.json';

/** Same rule as the snapshot files' segments (snapshots/files.ts): no dot first, no separators. */
function segment(run: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(run)) throw new LeakwatchError('LW_ERR_BAD_REQUEST', `run id ${JSON.stringify(run).slice(0, 80)} cannot name a watches file`);
  return run;
}

/**
 * A run's watches in one JSON file beside its snapshot files, `<snapshot dir>/<run>/watches.json`,
 * newest first: a file rather than a table, because watches are few (one per suspect container
 * and process, at most a couple per snapshot) and read whole. Written to a `.partial` and
 * renamed, so a reader never sees half of one.
 */
export function watchFilePath(dir: string, run: string): string {
  return path.join(path.resolve(dir), segment(run), FILE_NAME);
}

/** The run's watches, newest first; [] when it has none. */
export async function readWatchFile(dir: string, run: string): Promise<StoredWatch[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(watchFilePath(dir, run), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? (parsed as StoredWatch[]) : [];
}

/** The API's view of a stored watch: the bookkeeping fields stay in the file. */
export function publicWatch(stored: StoredWatch): SuspectWatch {
  const { requestId: _requestId, durationMs: _durationMs, ...watch } = stored;
  return watch;
}

/** The run's watches as the API lists them, for a command reading the directory itself (`leakwatch check`). */
export async function readWatchesIn(dir: string, run: string): Promise<SuspectWatch[]> {
  return (await readWatchFile(dir, run)).map(publicWatch);
}

export async function writeWatchFile(dir: string, run: string, watches: readonly StoredWatch[]): Promise<void> {
  const target = watchFilePath(dir, run);
  const partial = `${target}.partial`;
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  try {
    await fs.promises.writeFile(partial, `${JSON.stringify(watches.slice(0, MAX_STORED_WATCHES))}\n`);
    await fs.promises.rename(partial, target);
  } catch (err) {
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
}
