import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { COMMENT_TAIL_BYTES, dataUrlText, lastSourceMappingUrl, mapFileOf, scriptPathOf, stripXssiPrefix } from './source-map-url';

/**
 * Finds and reads a script's source map from disk, the same way in the probe (to upload it) and
 * in the collector (to resolve with it): the script's last `sourceMappingURL` comment (an inline
 * `data:` map, or a file relative to the script), else `<script>.map` beside it, the file tsc,
 * esbuild and webpack write when the comment was stripped. Asynchronous (fs.promises) and
 * bounded: only the end of a script is read, and a map larger than `maxMapBytes` is refused.
 */
export type LocatedMap =
  /** `mapUrl`: where the map's relative `sources` resolve from (the map file, or the script for an inline map). */
  | { state: 'found'; text: string; mapUrl: string; origin: 'inline' | 'comment' | 'beside'; bytes: number }
  | { state: 'missing' }
  | { state: 'unreadable'; reason: string }
  | { state: 'not-file' };

export interface LocateOptions {
  /** Largest map read (bytes; an inline map counts its base64 text). */
  maxMapBytes: number;
}

const describe = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'not found' : e.code ?? (e instanceof Error ? e.message.split('\n')[0] : String(err));
};

/** The last `length` bytes of an open file as text (a cut UTF-8 sequence at the start is harmless). */
async function readTail(handle: fs.promises.FileHandle, size: number, length: number): Promise<string> {
  const take = Math.min(size, length);
  const buffer = Buffer.allocUnsafe(take);
  let done = 0;
  while (done < take) {
    const { bytesRead } = await handle.read(buffer, done, take - done, size - take + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.toString('utf8', 0, done);
}

/**
 * The script's comment url, or null. The end of the script first; when that holds no whole
 * comment but the script is longer, a tail large enough for the largest inline map (its base64
 * text is 4/3 of the map), so an inline map never makes the whole of a huge bundle be read.
 */
async function commentOf(scriptPath: string, maxMapBytes: number): Promise<string | null> {
  const handle = await fs.promises.open(scriptPath, 'r');
  try {
    const { size } = await handle.stat();
    const tail = await readTail(handle, size, COMMENT_TAIL_BYTES);
    const found = lastSourceMappingUrl(tail);
    if (found !== null || size <= COMMENT_TAIL_BYTES) return found;
    // Only a last line that began before the tail (a long inline map) is worth the longer read.
    if (tail.trimEnd().includes('\n')) return null;
    return lastSourceMappingUrl(await readTail(handle, size, Math.ceil(maxMapBytes * 1.4) + 4096));
  } finally {
    await handle.close();
  }
}

async function readMapFile(mapPath: string, maxMapBytes: number): Promise<{ text: string; bytes: number }> {
  const stat = await fs.promises.stat(mapPath);
  if (!stat.isFile()) throw new Error('not a file');
  if (stat.size > maxMapBytes) throw new Error(`${stat.size} bytes, more than the ${maxMapBytes} read`);
  const bytes = await fs.promises.readFile(mapPath);
  return { text: stripXssiPrefix(bytes.toString('utf8')), bytes: bytes.length };
}

export async function locateSourceMap(url: string, options: LocateOptions): Promise<LocatedMap> {
  const scriptPath = scriptPathOf(url);
  if (scriptPath === null) return { state: 'not-file' };
  let comment: string | null;
  try {
    comment = await commentOf(scriptPath, options.maxMapBytes);
  } catch (err) {
    // The script itself is gone (deleted, rebuilt elsewhere): nothing says where a map is.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'unreadable', reason: `cannot read the script: ${describe(err)}` };
  }
  if (comment !== null) {
    try {
      const inline = dataUrlText(comment);
      if (inline !== null) {
        if (comment.length > options.maxMapBytes * 1.4) return { state: 'unreadable', reason: `inline map of ${comment.length} characters, more than the ${options.maxMapBytes} bytes read` };
        return { state: 'found', text: stripXssiPrefix(inline), mapUrl: pathToFileURL(scriptPath).href, origin: 'inline', bytes: inline.length };
      }
    } catch (err) {
      return { state: 'unreadable', reason: (err as Error).message };
    }
    const mapPath = mapFileOf(scriptPath, comment);
    if (mapPath === null) return { state: 'unreadable', reason: `sourceMappingURL ${comment.slice(0, 200)} is not a file` };
    try {
      const read = await readMapFile(mapPath, options.maxMapBytes);
      return { state: 'found', ...read, mapUrl: pathToFileURL(mapPath).href, origin: 'comment' };
    } catch (err) {
      return { state: 'unreadable', reason: `${mapPath}: ${describe(err)}` };
    }
  }
  const beside = `${scriptPath}.map`;
  try {
    const read = await readMapFile(beside, options.maxMapBytes);
    return { state: 'found', ...read, mapUrl: pathToFileURL(beside).href, origin: 'beside' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'unreadable', reason: `${beside}: ${describe(err)}` };
  }
}
