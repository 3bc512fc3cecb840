import { performance } from 'node:perf_hooks';
import { startProbe, stopProbe } from '../../src/probe/index';
import { render } from './workload';

/**
 * Forked by floor-cost.ts: the probe benchmark's unit of work (render(), an API response built
 * from fresh objects) at a fixed rate for a fixed time, in one of three modes:
 *   bare   no probe;
 *   probe  the probe at 1 s, allocation sampling off, no measured floor;
 *   floor  the same with the measured heap floor on (its full GCs through the inspector).
 * The rate is fixed, not "as fast as it goes", so the three processes do the same work and their
 * CPU times compare directly: the difference is what the probe (and its floor) cost.
 * Each collection's request-to-answer time and GC time are read from the probe's own counters
 * (stats().floor), polled often enough (every 50 ms, collections are at least 1 s apart) that each
 * change of the totals belongs to one collection.
 */
export type FloorCostMode = 'bare' | 'probe' | 'floor';

export interface FloorCostResult {
  type: 'floor-cost';
  mode: FloorCostMode;
  wallMs: number;
  cpuUs: number;
  rendered: number;
  /** Per collection of the floor meter (floor mode only). */
  pausesMs: number[];
  gcMs: number[];
  failures: number;
  heapUsed: number;
}

const [mode, secondsText, collector, everyText] = process.argv.slice(2) as [FloorCostMode, string, string, string];
const RENDERS_PER_TICK = 20;
const TICK_MS = 10;

async function main(): Promise<void> {
  const probe =
    mode === 'bare'
      ? undefined
      : startProbe({ collector, runName: `bench-floor-${mode}`, interval: '1s', allocSampling: false, measureFloor: mode === 'floor', measureFloorEvery: everyText });
  const pausesMs: number[] = [];
  const gcMs: number[] = [];
  let seen = { measured: 0, totalPauseMs: 0, totalGcMs: 0 };
  const poll = setInterval(() => {
    const floor = probe?.stats().floor;
    if (!floor) return;
    if (floor.measured > seen.measured) pausesMs.push(floor.totalPauseMs - seen.totalPauseMs);
    // GC time arrives from the observer a little after the answer: it belongs to the latest collection.
    if (floor.totalGcMs > seen.totalGcMs && pausesMs.length > 0) gcMs[pausesMs.length - 1] = (gcMs[pausesMs.length - 1] ?? 0) + floor.totalGcMs - seen.totalGcMs;
    seen = { measured: floor.measured, totalPauseMs: floor.totalPauseMs, totalGcMs: floor.totalGcMs };
  }, 50);
  let rendered = 0;
  let sink = 0;
  const work = setInterval(() => {
    for (let i = 0; i < RENDERS_PER_TICK; i++) sink += render(++rendered).length & 1;
  }, TICK_MS);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, Number(secondsText) * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  clearInterval(work);
  // One last poll for a GC time that came in at the very end.
  await new Promise((resolve) => setTimeout(resolve, 200));
  clearInterval(poll);
  const failures = probe?.stats().floor.failures ?? 0;
  await stopProbe(1000);
  const result: FloorCostResult = {
    type: 'floor-cost',
    mode,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    rendered: rendered + (sink & 0),
    pausesMs,
    gcMs: Array.from({ length: pausesMs.length }, (_, i) => gcMs[i] ?? 0),
    failures,
    heapUsed: process.memoryUsage().heapUsed,
  };
  process.send!(result);
}

process.on('disconnect', () => process.exit(0));
main().catch((err: Error) => {
  process.stderr.write(`floor cost worker failed: ${err.message}\n`);
  process.exit(1);
});
