import fs from 'node:fs';
import v8 from 'node:v8';
import { createSeededRandom } from '../../support/seeded-random';
import { UNITS_PER_BLOCK, createWorld, growTo, type World } from './heap-model';
import { measure, predictSnapshotBytes, readSnapshotCounts, unitsForTarget, type SizePoint } from './heap-size-model';

/**
 * Child entry of `npm run bench:snapshot`: grows a synthetic heap in this (real V8) process until
 * its snapshot is about the requested size, then writes it with v8.writeHeapSnapshot().
 *
 *   node --max-old-space-size=<MB> heap-child.js --target-mb <MB> --out <file>
 *   node heap-child.js --units <n> --out <file>   (no calibration: to check the model)
 *   ... --second <file> [--grow <fraction>]       then grow by the fraction (0.1) and write a second
 *                                                 snapshot of the same process (the diff benchmark:
 *                                                 object ids are only comparable within one process)
 *   ... --third <file>                            and a third after growing by the fraction again
 *                                                 (the suspects benchmark's window of three)
 *
 * The heap's contents are heap-model.ts; how its size is hit is heap-size-model.ts.
 *
 * Calibration: the snapshot size of this process is measured after two and after four blocks, and
 * predictSnapshotBytes() extrapolates from those two points to the unit count for the target.
 * Measuring in the same process (rather than assuming a figure) keeps the target right when V8
 * changes its object layouts or snapshot format. Targets below the second calibration point (about 40 MB)
 * come out at that size.
 *
 * Prints one JSON line on stdout (GenerateResult); progress goes to stderr.
 */

export interface GenerateResult {
  targetBytes: number;
  units: number;
  blocks: number;
  /** Snapshot bytes added per unit between the two calibration points. */
  bytesPerUnit: number;
  /** What the calibration model predicted for `units` (compare with fileBytes). */
  predictedBytes: number;
  calibration: SizePoint[];
  fileBytes: number;
  nodeCount: number;
  edgeCount: number;
  buildMs: number;
  writeMs: number;
  totalMs: number;
  heapUsedBytes: number;
  /** The generating process's peak RSS (the snapshot writer needs several times the heap). */
  peakRssBytes: number;
  /** With --second: the second snapshot, written after growing to `units`. */
  second?: LaterSnapshot;
  /** With --third: the third snapshot, written after growing by the same fraction again. */
  third?: LaterSnapshot;
}

/** A later snapshot of the same process (object ids match across them). */
export interface LaterSnapshot {
  file: string;
  units: number;
  fileBytes: number;
  nodeCount: number;
  edgeCount: number;
  writeMs: number;
}

function parseArgs(argv: readonly string[]): { targetBytes: number; out: string; units: number; second: string; third: string; grow: number } {
  let targetMb = NaN;
  let out = '';
  let units = 0;
  let second = '';
  let third = '';
  let grow = 0.1;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target-mb') targetMb = Number(argv[++i]);
    else if (argv[i] === '--units') units = Number(argv[++i]);
    else if (argv[i] === '--out') out = argv[++i] ?? '';
    else if (argv[i] === '--second') second = argv[++i] ?? '';
    else if (argv[i] === '--third') third = argv[++i] ?? '';
    else if (argv[i] === '--grow') grow = Number(argv[++i]);
    else throw new Error(`unknown argument "${argv[i]}" (expected --target-mb <MB> | --units <n>, --out <file>)`);
  }
  const sized = (Number.isFinite(targetMb) && targetMb > 0) || (Number.isInteger(units) && units > 0);
  if (!sized || !out) throw new Error('usage: heap-child (--target-mb <MB> | --units <n>) --out <file>');
  if (!(grow > 0)) throw new Error('--grow needs a positive fraction');
  if (third && !second) throw new Error('--third needs --second');
  return { targetBytes: targetMb * 1024 * 1024, out, units, second, third, grow };
}

function main(): void {
  const { targetBytes, out, units: fixedUnits, second: secondOut, third: thirdOut, grow } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  // Seeded: the same heap every run.
  const random = createSeededRandom(0x5eed);
  const world = createWorld();
  // Reachable from the global object, as an app's long-lived state is.
  (globalThis as { benchWorld?: World }).benchWorld = world;

  const calibrationFile = `${out}.calibration`;
  const state = { units: 0 };
  if (fixedUnits) {
    growTo(world, state, fixedUnits, random);
    v8.writeHeapSnapshot(out);
    process.stdout.write(`${JSON.stringify({ units: fixedUnits, fileBytes: fs.statSync(out).size, ...readSnapshotCounts(out) })}\n`);
    return;
  }
  // The first block carries one-off growth (tables, the catalog's start), so calibrate on blocks
  // two to four.
  growTo(world, state, 2 * UNITS_PER_BLOCK, random);
  const first = measure(calibrationFile, state.units);
  growTo(world, state, 4 * UNITS_PER_BLOCK, random);
  const second = measure(calibrationFile, state.units);
  if (second.bytes <= first.bytes || second.nodeCount <= first.nodeCount) {
    throw new Error(`calibration failed: ${first.bytes} then ${second.bytes} bytes`);
  }
  const bytesPerUnit = (second.bytes - first.bytes) / (second.units - first.units);
  const units = unitsForTarget(first, second, targetBytes);
  const predictedBytes = predictSnapshotBytes(first, second, units);
  process.stderr.write(
    `calibration: ${bytesPerUnit.toFixed(0)} snapshot bytes per unit at ${second.units} units; building ${units} units for a predicted ${(predictedBytes / 2 ** 20).toFixed(1)} MB\n`,
  );

  growTo(world, state, units, random);
  const built = performance.now();
  const heapUsedBytes = process.memoryUsage().heapUsed;
  process.stderr.write(`built in ${((built - started) / 1000).toFixed(1)} s; writing the snapshot\n`);
  v8.writeHeapSnapshot(out);
  const written = performance.now();
  const firstCounts = readSnapshotCounts(out);
  // Later snapshots of this same process: each after growing by `grow` of the first's units.
  const later = (file: string, laterUnits: number): LaterSnapshot => {
    growTo(world, state, laterUnits, random);
    const t = performance.now();
    v8.writeHeapSnapshot(file);
    return { file, units: laterUnits, fileBytes: fs.statSync(file).size, ...readSnapshotCounts(file), writeMs: performance.now() - t };
  };
  const secondResult = secondOut ? later(secondOut, Math.ceil(units * (1 + grow))) : undefined;
  const thirdResult = thirdOut ? later(thirdOut, Math.ceil(units * (1 + 2 * grow))) : undefined;

  const result: GenerateResult = {
    targetBytes,
    units,
    blocks: world.blocks.length,
    bytesPerUnit,
    predictedBytes,
    calibration: [first, second],
    fileBytes: fs.statSync(out).size,
    ...firstCounts,
    buildMs: built - started,
    writeMs: written - built,
    totalMs: written - started,
    heapUsedBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(secondResult ? { second: secondResult } : {}),
    ...(thirdResult ? { third: thirdResult } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`bench/snapshot/heap-child: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
