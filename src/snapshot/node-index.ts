import { snapshotError } from './snapshot-error';
import type { ClassifiedGraph } from './graph-handover';

/**
 * The node index of one snapshot: per type (DevTools' Constructor grouping), the ascending V8
 * object ids of its objects and their self sizes. V8 keeps an object's id for its whole life
 * (HeapObjectsMap), so two snapshots of one process can be compared object by object without
 * loading either graph again: that is how DevTools' Comparison view counts #New and #Deleted
 * (HeapSnapshot.ts, aggregatesForDiff and calculateDiffForClass), and node-index-diff.ts merges
 * two indexes the same way.
 *
 * The set of objects is the Summary view's: nodes with a self size of 0 are left out, and the
 * self sizes are the attributed ones (owned-sizes.ts), as DevTools compares them.
 *
 * Layout (all integers unsigned LEB128 varints unless said otherwise):
 *   "LWNI" version(1 byte)  typeCount
 *   per type:  nameBytes name(UTF-8)  count  sectionBytes(uint32 LE)  section
 *   section:   count x (idDelta selfSize)   idDelta is the id minus the previous one (the first: the id)
 * V8's JavaScript object ids step by 2, so most deltas and sizes take one or two bytes: a node
 * costs about 3 to 4 bytes.
 */

const MAGIC = [0x4c, 0x57, 0x4e, 0x49]; // "LWNI"
const VERSION = 1;

/** One type's run of entries in an index. */
export interface NodeIndexSection {
  count: number;
  /** Byte offsets of the entries in `NodeIndex.bytes`. */
  start: number;
  end: number;
}

/** An index read back: the bytes and where each type's entries are (decoded on demand). */
export interface NodeIndex {
  bytes: Uint8Array;
  types: Map<string, NodeIndexSection>;
}

/** A growable byte buffer for the encoder (the final size is only known at the end). */
function createByteWriter(initial: number) {
  let bytes = new Uint8Array(Math.max(64, initial));
  let length = 0;
  const ensure = (more: number) => {
    if (length + more <= bytes.length) return;
    const grown = new Uint8Array(Math.max(length + more, Math.ceil(bytes.length * 1.5)));
    grown.set(bytes.subarray(0, length));
    bytes = grown;
  };
  return {
    get length() {
      return length;
    },
    /** Unsigned varint of an integer up to 2^53 (sizes are doubles; ids fit in 32 bits). */
    varint(value: number): void {
      ensure(8);
      if (value < 0x8000_0000) {
        // Ids and nearly all sizes: 32-bit shifts instead of division.
        while (value >= 128) {
          bytes[length++] = (value & 127) | 128;
          value >>>= 7;
        }
        bytes[length++] = value;
        return;
      }
      while (value >= 128) {
        bytes[length++] = (value % 128) | 128;
        value = Math.floor(value / 128);
      }
      bytes[length++] = value;
    },
    raw(data: ArrayLike<number>): void {
      ensure(data.length);
      bytes.set(data, length);
      length += data.length;
    },
    /** Writes a uint32 placeholder and returns a setter for it. */
    placeholder(): (value: number) => void {
      ensure(4);
      const at = length;
      length += 4;
      return (value) => {
        bytes[at] = value & 0xff;
        bytes[at + 1] = (value >>> 8) & 0xff;
        bytes[at + 2] = (value >>> 16) & 0xff;
        bytes[at + 3] = (value >>> 24) & 0xff;
      };
    },
    /** The written bytes; copied out when the buffer is much larger, so the slack is not kept. */
    finish(): Uint8Array {
      return length < bytes.length * 0.8 ? bytes.slice(0, length) : bytes.subarray(0, length);
    },
  };
}

/**
 * Builds the index of a classified graph (graph-handover.ts: class ids per node, self sizes
 * attributed, node ids still there). `scratch` is a work array of at least nodeCount entries that
 * is free to overwrite (the analysis passes attributeOwnedSizes' finished `owners`, which the
 * dominator search clears before use), so the only new memory is the output (a few bytes per
 * node) and one sort buffer of 8 bytes per object of the largest type.
 */
export function buildNodeIndex(graph: Pick<ClassifiedGraph, 'nodeCount' | 'nodeId' | 'selfSize' | 'totals'>, scratch: Uint32Array | null = null): Uint8Array {
  const { nodeCount, nodeId, selfSize, totals } = graph;
  const { names, classOf, count } = totals;
  const classCount = names.length;
  // Counting sort of the counted nodes by class: ordinals of class c at order[start[c] .. start[c+1]).
  const start = new Float64Array(classCount + 1);
  let largest = 0;
  for (let c = 0; c < classCount; c++) {
    start[c + 1] = start[c] + count[c];
    largest = Math.max(largest, count[c]);
  }
  const counted = start[classCount];
  const order = scratch && scratch.length >= counted ? scratch : new Uint32Array(counted);
  const cursor = start.slice(0, classCount);
  for (let i = 0; i < nodeCount; i++) {
    // typeTotals marks uncounted nodes (self size 0) with the top bit; those are skipped here.
    if (selfSize[i] === 0) continue;
    order[cursor[classOf[i] & 0x7fff_ffff]++] = i;
  }
  // Within a class, sort by id: (id << 32 | ordinal) as one 64-bit key, written through a 32-bit
  // view (little-endian: ordinal low, id high) and sorted by the engine's native typed-array sort,
  // which is far faster than a comparator on a million entries.
  const pairs = new BigUint64Array(largest);
  const words = new Uint32Array(pairs.buffer);
  const out = createByteWriter(counted * 4 + 64);
  const encoder = new TextEncoder();
  out.raw(MAGIC);
  out.raw([VERSION]);
  let typeCount = 0;
  for (let c = 0; c < classCount; c++) if (count[c] > 0) typeCount++;
  out.varint(typeCount);
  for (let c = 0; c < classCount; c++) {
    const n = count[c];
    if (n === 0) continue;
    const from = start[c];
    for (let k = 0; k < n; k++) {
      const ordinal = order[from + k];
      words[2 * k] = ordinal;
      words[2 * k + 1] = nodeId[ordinal];
    }
    // V8 writes most objects in id order already; a sorted run needs no sort.
    let sorted = true;
    for (let k = 1; k < n && sorted; k++) sorted = words[2 * k - 1] < words[2 * k + 1];
    if (!sorted) pairs.subarray(0, n).sort();
    const name = encoder.encode(names[c]);
    out.varint(name.length);
    out.raw(name);
    out.varint(n);
    const setSectionBytes = out.placeholder();
    const sectionStart = out.length;
    let previous = 0;
    for (let k = 0; k < n; k++) {
      const id = words[2 * k + 1];
      out.varint(id - previous);
      out.varint(Math.round(selfSize[words[2 * k]]));
      previous = id;
    }
    setSectionBytes(out.length - sectionStart);
  }
  return out.finish();
}

/** A cursor over varints (sections are decoded on demand by node-index-diff.ts). */
export interface VarintCursor {
  bytes: Uint8Array;
  pos: number;
}

/** Reads one unsigned varint (up to 2^53) at the cursor. */
export function readVarint(cursor: VarintCursor): number {
  const bytes = cursor.bytes;
  let b = bytes[cursor.pos++];
  if (b < 128) return b;
  let value = b & 127;
  let scale = 128;
  do {
    b = bytes[cursor.pos++];
    value += (b & 127) * scale;
    scale *= 128;
  } while (b >= 128);
  return value;
}

function damaged(what: string): never {
  throw snapshotError('LW_ERR_SNAPSHOT_IO', `damaged node index: ${what}`);
}

/**
 * Reads an index's table of types (O(types): the entries stay encoded until a diff walks them).
 * LW_ERR_SNAPSHOT_IO when the bytes are not an index of this version or do not add up.
 */
export function readNodeIndex(bytes: Uint8Array): NodeIndex {
  if (bytes.length < 6 || MAGIC.some((b, i) => bytes[i] !== b)) damaged('not a leakwatch node index');
  if (bytes[4] !== VERSION) damaged(`version ${bytes[4]}, expected ${VERSION}`);
  const cursor: VarintCursor = { bytes, pos: 5 };
  const decoder = new TextDecoder();
  const typeCount = readVarint(cursor);
  const types = new Map<string, NodeIndexSection>();
  for (let t = 0; t < typeCount; t++) {
    const nameBytes = readVarint(cursor);
    if (!(cursor.pos + nameBytes <= bytes.length)) damaged('a type name runs past the end');
    const name = decoder.decode(bytes.subarray(cursor.pos, cursor.pos + nameBytes));
    cursor.pos += nameBytes;
    const count = readVarint(cursor);
    if (!(cursor.pos + 4 <= bytes.length)) damaged('a section header runs past the end');
    const sectionBytes = (bytes[cursor.pos] | (bytes[cursor.pos + 1] << 8) | (bytes[cursor.pos + 2] << 16) | (bytes[cursor.pos + 3] << 24)) >>> 0;
    const sectionStart = cursor.pos + 4;
    const end = sectionStart + sectionBytes;
    // Each entry is at least two bytes: a section too short for its count is damaged.
    if (end > bytes.length || sectionBytes < 2 * count) damaged(`the section of type ${JSON.stringify(name.slice(0, 60))} does not fit`);
    if (types.has(name)) damaged(`type ${JSON.stringify(name.slice(0, 60))} twice`);
    types.set(name, { count, start: sectionStart, end });
    cursor.pos = end;
  }
  if (cursor.pos !== bytes.length) damaged(`${bytes.length - cursor.pos} bytes after the last type`);
  return { bytes, types };
}

/** Every entry of one type, decoded (tests and small tools; a diff walks the bytes instead). */
export function nodeIndexEntries(index: NodeIndex, type: string): { ids: number[]; selfSizes: number[] } {
  const section = index.types.get(type);
  const ids: number[] = [];
  const selfSizes: number[] = [];
  if (!section) return { ids, selfSizes };
  const cursor: VarintCursor = { bytes: index.bytes, pos: section.start };
  let id = 0;
  for (let k = 0; k < section.count; k++) {
    id += readVarint(cursor);
    ids.push(id);
    selfSizes.push(readVarint(cursor));
  }
  return { ids, selfSizes };
}
