import * as fs from 'node:fs';
import type { HeapGraph } from './heap-graph';
import { snapshotError } from './snapshot-error';
import { createSnapshotParser, type SnapshotParserOptions } from './snapshot-parser';

/** Read size: large enough that the per-call cost vanishes, small enough that the read buffer and the tokenizer scratch (8 bytes per number, up to half a read) stay a few MB. */
const READ_BYTES = 256 * 1024;

export interface LoadOptions {
  keepStrings?: SnapshotParserOptions['keepStrings'];
  keepLocations?: boolean;
  /** Called with bytes read so far, after each read of the file. */
  onBytes?: (done: number, total: number) => void;
}

/**
 * Loads a .heapsnapshot file synchronously in bounded reads (the caller is a worker thread or the
 * CLI, never the probe's host). Memory is the graph's typed arrays plus one read buffer.
 */
export function loadSnapshotFile(path: string, options: LoadOptions = {}): HeapGraph {
  let fd: number;
  let size: number;
  try {
    fd = fs.openSync(path, 'r');
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      fs.closeSync(fd);
      throw snapshotError('LW_ERR_SNAPSHOT_IO', `${path} is not a file`);
    }
    size = stat.size;
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof err.code === 'string' && !err.code.startsWith('LW_ERR')) {
      throw snapshotError('LW_ERR_SNAPSHOT_IO', `cannot read ${path}: ${err.code}`);
    }
    throw err;
  }
  try {
    const parser = createSnapshotParser({ inputBytes: size, keepStrings: options.keepStrings ?? 'analysis', keepLocations: options.keepLocations });
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    let done = 0;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buffer, 0, READ_BYTES, null);
      } catch (err) {
        throw snapshotError('LW_ERR_SNAPSHOT_IO', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
      if (n === 0) break;
      parser.write(n === READ_BYTES ? buffer : buffer.subarray(0, n));
      done += n;
      options.onBytes?.(done, size);
    }
    return parser.end();
  } finally {
    fs.closeSync(fd);
  }
}

/** Loads a snapshot held in memory (tests, small inputs). Keeps every string by default. */
export function loadSnapshotText(text: string | Buffer, options: Pick<LoadOptions, 'keepStrings' | 'keepLocations'> = {}): HeapGraph {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const parser = createSnapshotParser({ inputBytes: bytes.length, keepStrings: options.keepStrings ?? 'all', keepLocations: options.keepLocations });
  for (let at = 0; at < bytes.length; at += READ_BYTES) parser.write(bytes.subarray(at, Math.min(bytes.length, at + READ_BYTES)));
  return parser.end();
}
