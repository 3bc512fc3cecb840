import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { fsyncFile } from './fsync-file';

/**
 * Gzips `source` into `target`, streaming (a snapshot can be far larger than memory allows).
 * It is written to `partial` first, flushed to disk and renamed, so `target` is either absent or
 * complete. `onBytes` gets the number of source bytes read so far. Resolves with the gzip size.
 */
export async function compressFile(source: string, target: string, partial: string, options: { signal?: AbortSignal; onBytes?: (read: number) => void } = {}): Promise<number> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  let read = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      read += chunk.length;
      options.onBytes?.(read);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      fs.createReadStream(source, { highWaterMark: 1024 * 1024 }),
      counter,
      zlib.createGzip({ level: 6 }),
      fs.createWriteStream(partial),
      { signal: options.signal },
    );
    await fsyncFile(partial);
  } catch (err) {
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
  await fs.promises.rename(partial, target);
  return (await fs.promises.stat(target)).size;
}
