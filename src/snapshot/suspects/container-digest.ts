import type { HeapGraph } from '../heap-graph';
import { createContainerReader, KIND_MAP, KIND_OBJECT, KIND_SET, KIND_TIMERS, NOT_A_CONTAINER } from './container-kinds';

/**
 * The containers of one snapshot, in a few typed arrays: what the cross-snapshot step needs of
 * each snapshot, so the run keeps one small digest per snapshot instead of its graph. Node ids
 * are V8's object ids, stable for the life of a process (HeapObjectsMap keeps an object's id when
 * the GC moves it), so one container is the same id in every snapshot of its process. V8 hands
 * out ids in increasing order, so `maxNodeId` also tells later snapshots which objects are new.
 */
export interface ContainerDigest {
  /** When the snapshot was taken (ms since the epoch). */
  takenAt: number;
  /** The largest id of a JavaScript node in the snapshot: one with a larger id in a later one is newer. */
  maxNodeId: number;
  /** Containers kept (those with at least `minEntries` entries). */
  count: number;
  /** Node ids, ascending (so digests join by merging). */
  ids: Uint32Array;
  /** Container kind per entry (container-kinds.ts: KIND_*). */
  kinds: Uint8Array;
  /** Entries held (container-kinds.ts says what counts as one for each kind). */
  entries: Uint32Array;
  /** Self size of the container and its backing store. */
  bytes: Float64Array;
}

export interface DigestOptions {
  takenAt: number;
  /**
   * Containers with fewer entries are left out: it bounds the digest (most objects hold a few
   * properties) at the cost of missing a container in the snapshots before it reached this size.
   */
  minEntries?: number;
}

export const DEFAULT_MIN_ENTRIES = 16;

/** Digests a loaded graph (edges still present, and every string kept: `keepStrings: 'all'`). */
export function digestContainers(graph: HeapGraph, options: DigestOptions): ContainerDigest {
  const minEntries = options.minEntries ?? DEFAULT_MIN_ENTRIES;
  const reader = createContainerReader(graph);
  const { nodeCount, nodeId, nodeType, firstEdge } = graph;
  // Synthetic and native (embedder) nodes take their ids from ranges of their own, far above the
  // JavaScript objects' (V8's HeapObjectsMap): they would hide which objects are new.
  const synthetic = graph.nodeTypeNames.indexOf('synthetic');
  const native = graph.nodeTypeNames.indexOf('native');
  let ordinals = new Uint32Array(1024);
  let entriesOf = new Uint32Array(1024);
  let kindsOf = new Uint8Array(1024);
  let count = 0;
  let maxNodeId = 0;
  for (let node = 0; node < nodeCount; node++) {
    if (nodeId[node] > maxNodeId && nodeType[node] !== synthetic && nodeType[node] !== native) maxNodeId = nodeId[node];
    // A container with fewer edges than minEntries cannot hold minEntries entries, except a
    // dictionary (keys in its backing) or a timer list (a chain): a cheap test first.
    const kind = reader.kindOf(node);
    if (kind === NOT_A_CONTAINER) continue;
    if (firstEdge[node + 1] - firstEdge[node] < minEntries && kind !== KIND_MAP && kind !== KIND_SET && kind !== KIND_OBJECT && kind !== KIND_TIMERS) continue;
    const entries = reader.entriesOf(node, kind);
    if (entries < minEntries) continue;
    if (count === ordinals.length) {
      ordinals = grow(ordinals);
      entriesOf = grow(entriesOf);
      kindsOf = grow(kindsOf);
    }
    ordinals[count] = node;
    entriesOf[count] = entries;
    kindsOf[count] = kind;
    count++;
  }
  // Sort by node id (V8 writes nodes roughly, not strictly, in id order).
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => nodeId[ordinals[a]] - nodeId[ordinals[b]]);
  const digest: ContainerDigest = {
    takenAt: options.takenAt,
    maxNodeId,
    count,
    ids: new Uint32Array(count),
    kinds: new Uint8Array(count),
    entries: new Uint32Array(count),
    bytes: new Float64Array(count),
  };
  order.forEach((from, to) => {
    const node = ordinals[from];
    digest.ids[to] = nodeId[node];
    digest.kinds[to] = kindsOf[from];
    digest.entries[to] = entriesOf[from];
    digest.bytes[to] = reader.bytesOf(node, kindsOf[from]);
  });
  return digest;
}

function grow<T extends Uint32Array | Uint8Array>(array: T): T {
  const grown = new (array.constructor as new (n: number) => T)(array.length * 2);
  grown.set(array);
  return grown;
}

const MAGIC = 0x4443574c; // "LWCD" little-endian
const VERSION = 1;
const HEADER_BYTES = 24;

/**
 * The digest as bytes, for the collector to store with its snapshot: a 24-byte header (magic,
 * version, count, maxNodeId, takenAt) and the arrays, little-endian; 17 bytes per container.
 */
export function encodeDigest(digest: ContainerDigest): Buffer {
  const n = digest.count;
  const out = Buffer.alloc(HEADER_BYTES + n * 17);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(VERSION, 4);
  out.writeUInt32LE(n, 8);
  out.writeUInt32LE(digest.maxNodeId, 12);
  out.writeDoubleLE(digest.takenAt, 16);
  let at = HEADER_BYTES;
  for (let i = 0; i < n; i++, at += 8) out.writeDoubleLE(digest.bytes[i], at);
  for (let i = 0; i < n; i++, at += 4) out.writeUInt32LE(digest.ids[i], at);
  for (let i = 0; i < n; i++, at += 4) out.writeUInt32LE(digest.entries[i], at);
  for (let i = 0; i < n; i++, at += 1) out.writeUInt8(digest.kinds[i], at);
  return out;
}

/** Reads what encodeDigest wrote; throws a plain Error on anything else (a stored digest is ours). */
export function decodeDigest(bytes: Buffer): ContainerDigest {
  if (bytes.length < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== VERSION) throw new Error('not a container digest (version 1)');
  const n = bytes.readUInt32LE(8);
  if (bytes.length !== HEADER_BYTES + n * 17) throw new Error(`container digest of ${n} entries has ${bytes.length} bytes`);
  const digest: ContainerDigest = {
    takenAt: bytes.readDoubleLE(16),
    maxNodeId: bytes.readUInt32LE(12),
    count: n,
    ids: new Uint32Array(n),
    kinds: new Uint8Array(n),
    entries: new Uint32Array(n),
    bytes: new Float64Array(n),
  };
  let at = HEADER_BYTES;
  for (let i = 0; i < n; i++, at += 8) digest.bytes[i] = bytes.readDoubleLE(at);
  for (let i = 0; i < n; i++, at += 4) digest.ids[i] = bytes.readUInt32LE(at);
  for (let i = 0; i < n; i++, at += 4) digest.entries[i] = bytes.readUInt32LE(at);
  for (let i = 0; i < n; i++, at += 1) digest.kinds[i] = bytes.readUInt8(at);
  return digest;
}
