import { promises as fsp } from 'node:fs';
import { readMemoryRoom, type MemoryRoom } from './memory-room';

/**
 * What writing a heap snapshot costs, estimated from heap used before it is written.
 *
 * V8 builds the whole snapshot graph in native memory (an entry per object, an edge per
 * reference, a copy of every string) before it serialises it, so the cost follows the number of
 * objects and references, which JS cannot read cheaply; heap used is the best cheap proxy.
 * Measured on Node 20.20 / V8 11.3, x64 Linux, heap used after a full GC, peak RSS as VmHWM
 * (scripts/bench-snapshot-capture.ts prints the same columns for its heaps):
 *
 *   heap shape                       heap used   file     file/heap   extra peak RSS   per file byte   per heap byte
 *   small objects {id,name,tags}        26 MB     45 MB     1.74          340 MB           7.6            13.2
 *                                       93 MB    167 MB     1.78         1293 MB           7.8            13.8
 *                                      226 MB    417 MB     1.84         3076 MB           7.4            13.6
 *   closures over small objects        102 MB    216 MB     2.11         1359 MB           6.3            13.3
 *   64 KiB strings                      97 MB    204 MB     2.11          950 MB           4.7             9.8
 *   Map cache of string -> record       24 MB     34 MB     1.46          474 MB          13.8            20.1
 *                                      251 MB    450 MB     1.79         5068 MB          11.3            20.2
 *   arrays of doubles                   80 MB      4 MB     0.05           ~0              -               -
 *
 * The file is at most 2.11x heap used (rounded up to 2.2). The extra memory is 4.7-13.9x the
 * file: the 4.3x measured on one 700 MB production process (a 1 GB file took RSS from 0.7 to
 * 5.2 GB) would have under-estimated every shape above but the strings. Per heap byte the worst
 * shape here needs 20.2x, so the estimate is file = 2.2 x heap used, extra = 9.5 x file
 * (= 20.9 x heap used): enough for each measured shape, at most about twice the need of a
 * string-heavy heap. A heap of big flat arrays needs far less, and the guard may refuse a snapshot that
 * would have fit: the price of never guessing low.
 */
export const SNAPSHOT_BYTES_PER_HEAP_BYTE = 2.2;
export const EXTRA_BYTES_PER_SNAPSHOT_BYTE = 9.5;

/** tmpfs keeps files in memory (and charges them to the cgroup): the file itself then costs RAM. */
const TMPFS_MAGIC = 0x01021994;

export interface SnapshotCostEstimate {
  /** Expected size of the .heapsnapshot file. */
  snapshotBytes: number;
  /** Extra process memory V8 needs while writing it. */
  extraBytes: number;
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
  const estimatedBytes = Math.ceil((cost.extraBytes + fileInMemory) * options.factor);
  const availableBytes = memory.availableBytes;
  if (options.factor === 0) return { ok: true, estimatedBytes, availableBytes, reason: '' };
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
