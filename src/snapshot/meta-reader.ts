import { snapshotError } from './snapshot-error';
import { MAX_META_BYTES, parseSnapshotMeta, type SnapshotMeta } from './snapshot-meta';
import type { ValueReader } from './value-reader';

export interface MetaReader extends ValueReader {
  /** The validated header, once done. */
  readonly meta: SnapshotMeta | null;
}

/**
 * Reads the `snapshot` header object (after its '{'): collects its bytes (bounded by
 * MAX_META_BYTES; V8 writes under 2 KiB), then validates them with parseSnapshotMeta. It is the
 * only value of the file that is JSON.parsed.
 */
export function createMetaReader(inputBytes: number): MetaReader {
  let parts: Buffer[] = [Buffer.from('{')];
  let bytes = 1;
  let depth = 1;
  let inString = false;
  let escape = false;
  let meta: SnapshotMeta | null = null;

  function feed(buf: Buffer, i: number, len: number): number {
    const start = i;
    for (; i < len; i++) {
      const c = buf[i];
      if (inString) {
        if (escape) escape = false;
        else if (c === 0x5c) escape = true;
        else if (c === 0x22) inString = false;
      } else if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth === 0) {
          // Copies: the piece's buffer is reused by the file reader.
          parts.push(Buffer.from(buf.subarray(start, i + 1)));
          const text = Buffer.concat(parts).toString('utf8');
          parts = [];
          meta = parseSnapshotMeta(text, inputBytes);
          return i + 1;
        }
      }
    }
    bytes += len - start;
    if (bytes > MAX_META_BYTES) throw snapshotError('LW_ERR_SNAPSHOT_META', `the snapshot header is larger than ${MAX_META_BYTES} bytes`);
    parts.push(Buffer.from(buf.subarray(start, len)));
    return len;
  }

  return {
    feed,
    get done() {
      return meta !== null;
    },
    get meta() {
      return meta;
    },
  };
}
