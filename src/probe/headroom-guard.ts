import { promises as fsp } from 'node:fs';
import { readMemoryRoom, type MemoryRoom } from './memory-room';

/**
 * What writing a heap snapshot costs, estimated from heap used before it is written.
 *
 * V8 builds the whole snapshot graph in native memory (an entry per object, an edge per
 * reference, a copy of every string) before it serialises it, so the cost follows the number of
 * objects and references, which JS cannot read cheaply; heap used is the best cheap proxy.
 * Measured with bench/snapshot/capture-main.ts (`--shape <shape> --heap <MB> --rounds 1`) on
 * Node 20.20 / V8 11.3, x64 Linux: heap used after a full GC, the file's size, and V8's extra
 * peak RSS (VmHWM reset before, minus RSS before) for the first snapshot of a fresh process
 * (later ones reuse the native memory the first left in the allocator):
 *
 *   heap shape                    heap used   file     file/heap   extra peak RSS   per file byte   per heap byte
 *   objects {id, name, tags}          26 MB     42 MB     1.64          330 MB           7.9            12.9
 *                                     91 MB    160 MB     1.75         1291 MB           8.1            14.1
 *                                    370 MB    696 MB     1.88         5383 MB           7.7            14.6
 *   closures over small objects       40 MB     83 MB     2.10          526 MB           6.3            13.2
 *                                     92 MB    203 MB     2.20         1406 MB           6.9            15.3
 *   64 KiB strings                    40 MB     80 MB     1.96          340 MB           4.3             8.4
 *                                     98 MB    204 MB     2.09          959 MB           4.7             9.8
 *   Map cache, string -> record       25 MB     36 MB     1.40          486 MB          13.6            19.1
 *                                     48 MB     71 MB     1.47          986 MB          13.8            20.4
 *                                    134 MB    237 MB     1.77         3304 MB          13.9            24.6
 *                                    166 MB    247 MB     1.48         3395 MB          13.8            20.4
 *                                    209 MB    345 MB     1.65         4229 MB          12.3            20.3
 *   arrays of doubles                 28 MB      6 MB     0.20           24 MB           4.4             0.9
 *
 * The file is at most 2.2x heap used (rounded up: 2.4). The extra memory is 4.3-13.9x the file:
 * the 4.3x seen on one 700 MB production process (a 1 GB file took RSS from 0.7 to 5.2 GB) is the
 * low end here, so it is not used. Per heap byte the worst shape (a big Map, depending on how full
 * its hash table is) needs 24.6x, so the estimate is file = 2.4 x heap used and extra = 10.5 x
 * file (= 25.2 x heap used): enough for every shape above, and 1.7-3x the need of the common
 * object, closure and string heaps. A heap of big flat arrays needs far less, and the guard may
 * refuse a snapshot that would have fit: the price of never guessing low on the app's memory;
 * LEAKWATCH_SNAPSHOT_HEADROOM_FACTOR below 1 is the way out for a heap known to be cheap.
 */
export const SNAPSHOT_BYTES_PER_HEAP_BYTE = 2.4;
export const EXTRA_BYTES_PER_SNAPSHOT_BYTE = 10.5;

/** tmpfs keeps files in memory (and charges them to the cgroup): the file itself then costs RAM. */
const TMPFS_MAGIC = 0x01021994;

export interface SnapshotCostEstimate {
  /** Expected size of the .heapsnapshot file. */
  snapshotBytes: number;
  /** Extra process memory V8 needs while writing it. */
  extraBytes: number;
}

/**
 * Above this share of its heap limit the app gets no snapshot, whatever the machine's memory:
 * the snapshot begins with a full GC and stops the app for seconds, and an app this close to
 * its limit keeps allocating meanwhile and during the upload, so the write risks ending in V8's
 * fatal out-of-heap error instead of a file. The probe refuses; samples keep flowing.
 */
export const NEAR_HEAP_LIMIT_SHARE = 0.8;
/**
 * heap_size_limit also counts the young generation, which long-lived objects never occupy:
 * three semi-spaces of 16 MB on 64-bit Node 20 (--max-old-space-size=64 gives a 112 MB limit,
 * and adding --max-semi-space-size=4 a 76 MB one). The old generation is what fills up.
 */
const YOUNG_GENERATION_BYTES = 48 * 1024 * 1024;

/** The old generation's limit, the part of heap_size_limit an app's retained heap can fill. */
export function oldGenerationLimit(heapLimit: number): number {
  return Math.max(heapLimit / 2, heapLimit - YOUNG_GENERATION_BYTES);
}

export function estimateSnapshotCost(heapUsed: number): SnapshotCostEstimate {
  const snapshotBytes = Math.ceil(heapUsed * SNAPSHOT_BYTES_PER_HEAP_BYTE);
  return { snapshotBytes, extraBytes: Math.ceil(snapshotBytes * EXTRA_BYTES_PER_SNAPSHOT_BYTE) };
}

/** Free space of the snapshot directory's file system, and whether it lives in memory. */
export interface DiskRoom {
  freeBytes: number;
  inMemory: boolean;
}

export async function readDiskRoom(dir: string): Promise<DiskRoom> {
  const stats = await fsp.statfs(dir);
  return { freeBytes: stats.bavail * stats.bsize, inMemory: stats.type === TMPFS_MAGIC };
}

export interface HeadroomOptions {
  /** Multiplier on the estimate: above 1 more careful; 0 turns the guard off. */
  factor: number;
  /** V8's heap limit: a heap already this close to it gets no snapshot (NEAR_HEAP_LIMIT_SHARE). */
  heapLimit?: number;
  /** Injected by tests to present a machine with little memory; defaults read the kernel's files. */
  readMemoryRoom?: () => Promise<MemoryRoom>;
  readDiskRoom?: (dir: string) => Promise<DiskRoom>;
}

export interface HeadroomDecision {
  ok: boolean;
  /** Memory the guard requires (estimate x factor, plus the file when it lands in tmpfs). */
  estimatedBytes: number;
  availableBytes: number;
  /** One line for the UI when refused; '' otherwise. */
  reason: string;
}

function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/**
 * Decides whether a snapshot can be written now without pushing the machine or the container
 * into the OOM killer, which would take the app down with it. Async file reads only.
 * Throws only when the snapshot directory cannot be examined (missing, not permitted).
 */
export async function checkHeadroom(heapUsed: number, dir: string, options: HeadroomOptions): Promise<HeadroomDecision> {
  const cost = estimateSnapshotCost(heapUsed);
  const [memory, disk] = await Promise.all([(options.readMemoryRoom ?? readMemoryRoom)(), (options.readDiskRoom ?? readDiskRoom)(dir)]);
  const fileInMemory = disk.inMemory ? cost.snapshotBytes : 0;
  // Capped at 2^53 - 1: a huge factor still yields a number the collector's UInt64 columns accept
  // (it refuses out-of-range values at decode, and would refuse the whole status message).
  const estimatedBytes = Math.min(Number.MAX_SAFE_INTEGER, Math.ceil((cost.extraBytes + fileInMemory) * options.factor));
  const availableBytes = memory.availableBytes;
  if (options.factor === 0) return { ok: true, estimatedBytes, availableBytes, reason: '' };
  const oldLimit = options.heapLimit ? oldGenerationLimit(options.heapLimit) : Number.POSITIVE_INFINITY;
  if (heapUsed > oldLimit * NEAR_HEAP_LIMIT_SHARE) {
    return {
      ok: false,
      estimatedBytes,
      availableBytes,
      reason: `the heap (${mb(heapUsed)} used) is at ${Math.round((heapUsed / oldLimit) * 100)}% of its ${mb(oldLimit)} old-space limit (--max-old-space-size); a snapshot now could run the app out of heap`,
    };
  }
  if (estimatedBytes > availableBytes) {
    const where = memory.limitedBy === 'container' ? 'under the container memory limit' : 'on this machine';
    return {
      ok: false,
      estimatedBytes,
      availableBytes,
      reason: `writing a snapshot of a ${mb(heapUsed)} heap needs about ${mb(estimatedBytes)} of extra memory, but only ${mb(availableBytes)} is available ${where}`,
    };
  }
  const fileBytes = Math.ceil(cost.snapshotBytes * options.factor);
  if (fileBytes > disk.freeBytes) {
    return {
      ok: false,
      estimatedBytes,
      availableBytes,
      reason: `the snapshot file (about ${mb(fileBytes)}) does not fit in ${dir} (${mb(disk.freeBytes)} free)`,
    };
  }
  return { ok: true, estimatedBytes, availableBytes, reason: '' };
}
