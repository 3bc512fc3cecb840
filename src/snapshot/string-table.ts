/**
 * The snapshot's string table, kept as raw (still JSON-escaped) UTF-8 bytes in 16 MiB blocks and
 * decoded on demand. Analysis needs only a few thousand of the millions of strings (class names,
 * WeakMap edge names), so the loader keeps only those and skips the rest: no JS string per entry,
 * and no single buffer that would have to be copied as it grows.
 */
const BLOCK_BYTES = 16 * 1024 * 1024;
/** Blocks start small and double: a typical analysis keeps only a few hundred KB of names. */
const FIRST_BLOCK_BYTES = 64 * 1024;
const EPHEMERON_MARK = Buffer.from(' / part of key (');
/**
 * Longest string kept in analysis mode: names are for display (type names) and matching (WeakMap edge names), and
 * an object named by a 300 MB string must not cost 300 MB. Longer strings keep their first bytes.
 */
export const MAX_KEPT_STRING_BYTES = 4096;

export interface StringTable {
  /** Number of strings in the file. */
  readonly count: number;
  /** True when string `index` was kept (all are, when the table keeps everything). */
  has(index: number): boolean;
  /** The decoded string; '' for a string that was not kept. */
  get(index: number): string;
  /** Indexes of the kept strings (all of them when everything is kept). */
  keptIndices(): Iterable<number>;
}

export interface StringTableBuilder extends StringTable {
  /**
   * Starts string number `count`: 0 skip it, 2 keep it, 1 keep it only if it is a WeakMap
   * ephemeron edge name (V8: "<index> / part of key (<key> @<id>) -> value (...) pair in WeakMap
   * (table @<id>)"), the only internal edge names the analysis reads.
   */
  begin(keep: 0 | 1 | 2): void;
  /** Appends raw bytes of the current string (only if kept). */
  append(chunk: Buffer, start: number, end: number, hasEscape: boolean): void;
  end(): void;
}

export function createStringTable(options: { maxStringBytes?: number } = {}): StringTableBuilder {
  const maxBytes = options.maxStringBytes ?? Number.POSITIVE_INFINITY;
  const blocks: Buffer[] = [];
  let block = Buffer.allocUnsafe(0);
  let blockUsed = 0;
  // Per kept string: block number, offset, length, and whether it has escapes.
  const index = new Map<number, number>();
  let slots = new Float64Array(1024);
  let slotCount = 0;
  let count = 0;
  let keeping: 0 | 1 | 2 = 0;
  const parts: Buffer[] = [];
  let partsBytes = 0;
  let escaped = false;
  let truncated = false;
  const decoded = new Map<number, string>();

  function store(bytes: Buffer, stringIndex: number, hasEscape: boolean): void {
    if (bytes.length > BLOCK_BYTES) {
      blocks.push(bytes);
      block = Buffer.allocUnsafe(0);
      blockUsed = 0;
    } else {
      if (blockUsed + bytes.length > block.length) {
        block = Buffer.allocUnsafe(Math.max(bytes.length, Math.min(BLOCK_BYTES, block.length * 2 || FIRST_BLOCK_BYTES)));
        blocks.push(block);
        blockUsed = 0;
      }
      bytes.copy(block, blockUsed);
    }
    const slot = slotCount++;
    if (slotCount * 4 > slots.length) {
      const grown = new Float64Array(slots.length * 2);
      grown.set(slots);
      slots = grown;
    }
    slots[slot * 4] = blocks.length - 1;
    slots[slot * 4 + 1] = bytes.length > BLOCK_BYTES ? 0 : blockUsed;
    slots[slot * 4 + 2] = bytes.length;
    slots[slot * 4 + 3] = hasEscape ? 1 : 0;
    if (bytes.length <= BLOCK_BYTES) blockUsed += bytes.length;
    index.set(stringIndex, slot);
  }

  return {
    get count() {
      return count;
    },
    has(i) {
      return index.has(i);
    },
    keptIndices() {
      return index.keys();
    },
    get(i) {
      const cached = decoded.get(i);
      if (cached !== undefined) return cached;
      const slot = index.get(i);
      if (slot === undefined) return '';
      const b = blocks[slots[slot * 4]];
      const start = slots[slot * 4 + 1];
      const raw = b.toString('utf8', start, start + slots[slot * 4 + 2]);
      // The loader checked the escapes, so JSON.parse of the quoted raw text is the exact JSON decoding.
      let text = raw;
      if (slots[slot * 4 + 3]) {
        try {
          text = JSON.parse(`"${raw}"`) as string;
        } catch {
          // A raw control character (invalid JSON, never written by V8): show the text as is.
        }
      }
      if (decoded.size < 100_000) decoded.set(i, text);
      return text;
    },
    begin(keep) {
      keeping = keep;
      // Reused, not reallocated: this runs once per string, millions of times.
      if (parts.length > 0) parts.length = 0;
      partsBytes = 0;
      escaped = false;
      truncated = false;
    },
    append(chunk, start, end, hasEscape) {
      escaped ||= hasEscape;
      if (!keeping || end <= start || partsBytes >= maxBytes) return;
      const take = Math.min(end - start, maxBytes - partsBytes);
      // Copy: the chunk buffer is reused by the reader.
      parts.push(Buffer.from(chunk.subarray(start, start + take)));
      partsBytes += take;
      truncated ||= take < end - start;
    },
    end() {
      if (keeping) {
        let bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, partsBytes);
        if (truncated) bytes = cutAtSafePoint(bytes);
        if (keeping === 2 || (bytes.length > 0 && bytes[0] >= 0x30 && bytes[0] <= 0x39 && bytes.includes(EPHEMERON_MARK))) store(bytes, count, escaped);
        parts.length = 0;
      }
      count++;
    },
  };
}

/**
 * A truncated raw (JSON-escaped) string may end inside an escape sequence such as \u00e9; cut
 * back to before that backslash so the kept prefix still decodes.
 */
function cutAtSafePoint(bytes: Buffer): Buffer {
  for (let back = 1; back <= 6 && back <= bytes.length; back++) {
    if (bytes[bytes.length - back] !== 0x5c) continue;
    // Count the backslashes in this run: an even run is escaped backslashes, complete.
    let run = 1;
    while (run < bytes.length - back + 1 && bytes[bytes.length - back - run] === 0x5c) run++;
    if (run % 2 === 0) break;
    const escapeLength = bytes[bytes.length - back + 1] === 0x75 ? 6 : 2;
    if (back < escapeLength) return bytes.subarray(0, bytes.length - back);
    break;
  }
  return bytes;
}
