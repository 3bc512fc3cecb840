import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { forkTracked, stopChild, waitForMessage } from '../common/tracked-children';
import { median } from '../common/stats';
import { createStandInCollector } from '../../support/stand-in-collector';
import type { FloorCostMode, FloorCostResult } from './floor-cost-child';

/**
 * The cost of the measured heap floor (the probe's own full GCs through the inspector, on its
 * budget): the same fixed-rate workload in three processes side by side (bare, the probe, the
 * probe with the measured floor), so they share the machine's conditions; repeated, with the
 * ratios taken within each repeat. The pauses come from the probe's counters (request to answer,
 * which includes any wait for the loop; and the GC time V8 reported for them).
 */
const workerScript = path.join(__dirname, 'floor-cost-child.js');
export const FLOOR_COST_MODES: readonly FloorCostMode[] = ['bare', 'probe', 'floor'];

export interface FloorCostOptions {
  seconds: number;
  repeats: number;
  /** The floor meter's least gap (LEAKWATCH_MEASURE_FLOOR_EVERY's syntax); the default schedule is 10s. */
  every: string;
}

export async function runFloorCostBench(options: FloorCostOptions, log: (line: string) => void): Promise<FloorCostResult[][]> {
  const sink = await createStandInCollector({ mode: 'acks' });
  const repeats: FloorCostResult[][] = [];
  const children: ChildProcess[] = [];
  try {
    for (let r = 1; r <= options.repeats; r++) {
      log(`measured floor cost: repeat ${r}/${options.repeats}, bare / probe / probe + measured floor side by side for ${options.seconds} s...`);
      const answers = FLOOR_COST_MODES.map((mode) => {
        const child = forkTracked(workerScript, [mode, String(options.seconds), sink.url, options.every], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        children.push(child);
        return waitForMessage<FloorCostResult>(child, 'floor-cost', options.seconds * 1000 + 30_000);
      });
      repeats.push(await Promise.all(answers));
      await Promise.all(children.map(stopChild));
      children.length = 0;
    }
    return repeats;
  } finally {
    await Promise.all(children.map(stopChild));
    await sink.close();
  }
}

const cpuPerRender = (r: FloorCostResult): number => r.cpuUs / r.rendered;
const ms = (values: readonly number[], pick: (v: readonly number[]) => number): string => (values.length ? pick(values).toFixed(1) : '-');

/** Rows like the bench's other tables: per mode, then the floor's pauses and its CPU ratios. */
export function formatFloorCostReport(repeats: readonly FloorCostResult[][], options: FloorCostOptions, workloadCpuUsPerSecond?: number): string[] {
  const of = (mode: FloorCostMode) => repeats.map((rep) => rep.find((r) => r.mode === mode)!);
  const ratio = (mode: FloorCostMode, base: FloorCostMode) => median(repeats.map((rep) => cpuPerRender(rep.find((r) => r.mode === mode)!) / cpuPerRender(rep.find((r) => r.mode === base)!)));
  const floor = of('floor');
  const pauses = floor.flatMap((r) => r.pausesMs);
  const gcs = floor.flatMap((r) => r.gcMs);
  const wallMs = floor.reduce((sum, r) => sum + r.wallMs, 0);
  const lines = [
    '',
    `measured heap floor cost (the probe's full GCs through the inspector, every ${options.every} at least, 1 % budget), ` +
      `fixed-rate workload (render() x ${repeats[0]?.[0] ? Math.round(repeats[0][0].rendered / (repeats[0][0].wallMs / 1000)) : 0}/s), ` +
      `${repeats.length} x ${options.seconds} s, three processes side by side; ratios are medians of per-repeat ratios`,
    `${'mode'.padEnd(16)} ${'CPU s'.padStart(7)} ${'CPU µs/render'.padStart(14)} ${'vs bare'.padStart(8)} ${'vs probe'.padStart(9)} ${'heap MB'.padStart(8)}`,
  ];
  for (const mode of FLOOR_COST_MODES) {
    const rows = of(mode);
    lines.push(
      [
        (mode === 'floor' ? 'probe + floor' : mode).padEnd(16),
        (rows.reduce((s, r) => s + r.cpuUs, 0) / 1e6).toFixed(2).padStart(7),
        median(rows.map(cpuPerRender)).toFixed(2).padStart(14),
        ratio(mode, 'bare').toFixed(3).padStart(8),
        (mode === 'bare' ? '-' : ratio(mode, 'probe').toFixed(3)).padStart(9),
        (median(rows.map((r) => r.heapUsed)) / 1048576).toFixed(1).padStart(8),
      ].join(' '),
    );
  }
  const sorted = (v: readonly number[]) => [...v].sort((a, b) => a - b);
  const med = (v: readonly number[]) => median(sorted(v));
  const max = (v: readonly number[]) => Math.max(...v);
  const failures = floor.reduce((s, r) => s + r.failures, 0);
  lines.push(
    `floor collections: ${pauses.length} in ${(wallMs / 1000).toFixed(0)} s (${failures} failed); request-to-answer median ${ms(pauses, med)} ms, max ${ms(pauses, max)} ms; ` +
      `GC median ${ms(gcs, med)} ms, max ${ms(gcs, max)} ms; pauses ${((pauses.reduce((s, p) => s + p, 0) / wallMs) * 100).toFixed(3)} % of wall time`,
  );
  // The absolute extra CPU per second does not depend on how busy the fixed-rate workload is; set
  // against the HTTP server's CPU under load (the end-to-end rounds) it is the overhead there.
  const extraUsPerSecond = median(repeats.map((rep) => {
    const f = rep.find((r) => r.mode === 'floor')!;
    const p = rep.find((r) => r.mode === 'probe')!;
    return (cpuPerRender(f) - cpuPerRender(p)) * (f.rendered / (f.wallMs / 1000));
  }));
  lines.push(
    `measured floor CPU: probe + floor / probe = ${ratio('floor', 'probe').toFixed(3)}; extra ${(extraUsPerSecond / 1000).toFixed(2)} ms CPU per second` +
      (workloadCpuUsPerSecond ? `, ${((extraUsPerSecond / workloadCpuUsPerSecond) * 100).toFixed(2)} % of the HTTP workload's ${(workloadCpuUsPerSecond / 1000).toFixed(0)} ms CPU per second under load` : ''),
  );
  return lines;
}
