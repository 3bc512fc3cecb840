import fs from 'node:fs';

/**
 * Flushes a written file to the disk. fsync through a new descriptor covers data written through
 * another one (it syncs the file, not the descriptor), so a stream can close its own fd first.
 */
export async function fsyncFile(file: string): Promise<void> {
  const handle = await fs.promises.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
