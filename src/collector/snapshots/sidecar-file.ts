import fs from 'node:fs';
import path from 'node:path';
import { fsyncFile } from './fsync-file';

/**
 * A file kept beside a stored snapshot (its node index, its container digest, its suspects;
 * files.ts names them), written once: to a `.partial` first and renamed, so a reader never sees
 * half of one (recover() removes a `.partial` a crash left behind).
 */
export async function writeSidecarFile(target: string, bytes: Uint8Array | string): Promise<void> {
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

/** The sidecar's bytes; null when there is none (written before leakwatch kept it, or gone). */
export async function readSidecarFile(target: string): Promise<Buffer | null> {
  try {
    return await fs.promises.readFile(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
